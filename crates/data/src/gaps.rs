//! Band gaps, measured and computed (Borlido et al., JCTC 2019; Zhuo et al. 2018; Materials
//! Project via the Roost snapshot). `method` says which.

use crate::{blank, parse_table};
use serde::Deserialize;
use std::sync::OnceLock;

/// One band gap.
#[derive(Clone, Debug, Deserialize)]
pub struct GapRow {
    pub formula: String,
    pub structure_id: String,
    #[serde(rename = "gap_eV", deserialize_with = "blank::f64_opt")]
    pub gap_ev: Option<f64>,
    /// `experimental`, `DFT-PBE`, `DFT-PBE (MP)`, `DFT-HSE06`, `DFT-SCAN`, `DFT-mBJ`, …
    pub method: String,
    pub source: String,
    pub note: String,
}

/// Every row of `band_gaps.csv`.
pub fn rows() -> &'static [GapRow] {
    static T: OnceLock<Vec<GapRow>> = OnceLock::new();
    T.get_or_init(|| parse_table("band_gaps.csv", include_str!("../tables/band_gaps.csv")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn loads() {
        assert_eq!(super::rows().len(), 964);
        assert!(super::rows().iter().any(|r| r.method == "experimental"));
    }
}
