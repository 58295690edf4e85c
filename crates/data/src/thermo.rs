//! Thermochemistry of binary and ternary halides at 298.15 K (NIST-JANAF 4th ed., CRC Handbook
//! 95th ed., experimental formation enthalpies; `estimated` rows derive ΔG from ΔH with the
//! family's mean formation entropy, ±7 kJ/mol).

use crate::{blank, parse_table};
use serde::Deserialize;
use std::sync::OnceLock;

/// A binary halide M_nX_m.
#[derive(Clone, Debug, Deserialize)]
pub struct BinaryRow {
    pub formula: String,
    pub reduced_formula: String,
    pub cation: String,
    pub cation_ox: f64,
    pub anion: String,
    pub n_cation: f64,
    pub n_anion: f64,
    pub phase: String,
    /// ΔH°f(298 K), kJ/mol of formula unit.
    #[serde(rename = "dHf_298_kJmol", deserialize_with = "blank::f64_opt")]
    pub dhf_kj_per_mol: Option<f64>,
    #[serde(rename = "dHf_unc_kJmol", deserialize_with = "blank::f64_opt")]
    pub dhf_unc_kj_per_mol: Option<f64>,
    /// ΔG°f(298 K), kJ/mol of formula unit.
    #[serde(rename = "dGf_298_kJmol", deserialize_with = "blank::f64_opt")]
    pub dgf_kj_per_mol: Option<f64>,
    #[serde(rename = "dGf_unc_kJmol", deserialize_with = "blank::f64_opt")]
    pub dgf_unc_kj_per_mol: Option<f64>,
    #[serde(rename = "S298_JmolK", deserialize_with = "blank::f64_opt")]
    pub s298_j_per_mol_k: Option<f64>,
    /// `tabulated` or `estimated`.
    pub value_type: String,
    /// One recommended row per compound.
    #[serde(deserialize_with = "blank::bool01")]
    pub recommended: bool,
    pub source_id: String,
    pub source: String,
    pub source_detail: String,
    pub note: String,
}

/// Every row of `thermo_binary_halides.csv`.
pub fn binaries() -> &'static [BinaryRow] {
    static T: OnceLock<Vec<BinaryRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "thermo_binary_halides.csv",
            include_str!("../tables/thermo_binary_halides.csv"),
        )
    })
}

/// The recommended rows only (one per compound).
pub fn recommended_binaries() -> impl Iterator<Item = &'static BinaryRow> {
    binaries().iter().filter(|r| r.recommended)
}

/// A ternary halide with measured formation data.
#[derive(Clone, Debug, Deserialize)]
pub struct TernaryRow {
    pub formula: String,
    pub alkali: String,
    pub cation: String,
    pub cation_ox: f64,
    pub anion: String,
    pub n_atoms: f64,
    pub phase: String,
    #[serde(rename = "dHf_298_kJmol", deserialize_with = "blank::f64_opt")]
    pub dhf_kj_per_mol: Option<f64>,
    #[serde(rename = "dGf_298_kJmol", deserialize_with = "blank::f64_opt")]
    pub dgf_kj_per_mol: Option<f64>,
    pub binaries: String,
    #[serde(
        rename = "dH_mix_from_binaries_kJmol",
        deserialize_with = "blank::f64_opt"
    )]
    pub dh_mix_kj_per_mol: Option<f64>,
    #[serde(rename = "dH_mix_meV_per_atom", deserialize_with = "blank::f64_opt")]
    pub dh_mix_mev_per_atom: Option<f64>,
    #[serde(
        rename = "dG_mix_from_binaries_kJmol",
        deserialize_with = "blank::f64_opt"
    )]
    pub dg_mix_kj_per_mol: Option<f64>,
    pub source_id: String,
    pub source: String,
    pub note: String,
}

/// Every row of `thermo_ternary_halides.csv`.
pub fn ternaries() -> &'static [TernaryRow] {
    static T: OnceLock<Vec<TernaryRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "thermo_ternary_halides.csv",
            include_str!("../tables/thermo_ternary_halides.csv"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licl_janaf() {
        let licl: Vec<_> = recommended_binaries()
            .filter(|r| r.reduced_formula == "LiCl")
            .collect();
        assert_eq!(licl.len(), 1);
        assert!((licl[0].dgf_kj_per_mol.unwrap() + 384.019).abs() < 1e-9);
        assert_eq!(ternaries().len(), 20);
        assert_eq!(binaries().len(), 556);
    }
}
