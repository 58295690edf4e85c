//! Melting and boiling points and densities of halide precursors (CRC Handbook via PyPI
//! `chemicals` 1.5.2).

use crate::{blank, parse_table};
use serde::Deserialize;
use std::sync::OnceLock;

/// One precursor.
#[derive(Clone, Debug, Deserialize)]
pub struct MeltingRow {
    pub formula: String,
    pub name: String,
    pub cas: String,
    #[serde(rename = "melting_point_K", deserialize_with = "blank::f64_opt")]
    pub melting_point_k: Option<f64>,
    #[serde(rename = "boiling_point_K", deserialize_with = "blank::f64_opt")]
    pub boiling_point_k: Option<f64>,
    #[serde(deserialize_with = "blank::f64_opt")]
    pub density_kg_m3: Option<f64>,
    pub source: String,
    pub note: String,
}

/// Every row of `halide_melting_points.csv`.
pub fn rows() -> &'static [MeltingRow] {
    static T: OnceLock<Vec<MeltingRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "halide_melting_points.csv",
            include_str!("../tables/halide_melting_points.csv"),
        )
    })
}

/// The row for a formula such as `ScCl3`.
pub fn find(formula: &str) -> Option<&'static MeltingRow> {
    rows().iter().find(|r| r.formula == formula)
}

#[cfg(test)]
mod tests {
    #[test]
    fn licl_melts() {
        let r = super::find("LiCl").expect("LiCl row");
        assert!((r.melting_point_k.unwrap() - 883.0).abs() < 10.0);
        assert_eq!(super::rows().len(), 245);
    }
}
