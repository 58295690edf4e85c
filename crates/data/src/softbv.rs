//! softBV bond-valence parameters (Chen & Adams, IUCrJ 4 (2017) 614; Chen, Wong & Adams,
//! Acta Cryst. B75 (2019) 18) as shipped in bvlain 0.25.1, and the ion properties of the
//! BVSE Coulomb term (principal quantum number, covalent radii).

use crate::{blank, parse_table, DataError};
use serde::Deserialize;
use std::sync::OnceLock;

/// Morse parameters of one (cation, anion) pair.
#[derive(Clone, Debug, Deserialize)]
pub struct PairRow {
    pub cation: String,
    pub cation_valence: i8,
    pub anion: String,
    pub anion_valence: i8,
    #[serde(rename = "R0_A")]
    pub r0_ang: f64,
    /// Softness b (Å); negative for 20 halide pairs (flagged in `note`).
    #[serde(rename = "b_A")]
    pub b_ang: f64,
    /// α = 1/b (Å⁻¹).
    #[serde(rename = "alpha_per_A")]
    pub alpha_per_ang: f64,
    #[serde(rename = "Rmin_A")]
    pub rmin_ang: f64,
    #[serde(rename = "D0_eV")]
    pub d0_ev: f64,
    #[serde(rename = "Nc_softbv", deserialize_with = "blank::f64_opt")]
    pub nc: Option<f64>,
    #[serde(rename = "Rcut_softbv_A", deserialize_with = "blank::f64_opt")]
    pub rcut_ang: Option<f64>,
    pub note: String,
    pub source: String,
}

/// Every row of `bvse_params.csv`.
pub fn pairs() -> &'static [PairRow] {
    static T: OnceLock<Vec<PairRow>> = OnceLock::new();
    T.get_or_init(|| parse_table("bvse_params.csv", include_str!("../tables/bvse_params.csv")))
}

/// The pair (cation with valence, anion with valence), e.g. `("Li", 1, "Cl", -1)`.
pub fn pair(
    cation: &str,
    cation_valence: i8,
    anion: &str,
    anion_valence: i8,
) -> Result<&'static PairRow, DataError> {
    pairs()
        .iter()
        .find(|r| {
            r.cation == cation
                && r.cation_valence == cation_valence
                && r.anion == anion
                && r.anion_valence == anion_valence
        })
        .ok_or_else(|| DataError::NotFound {
            table: "bvse_params.csv",
            key: format!("pair {cation}{cation_valence:+}–{anion}{anion_valence:+}"),
        })
}

/// Ion properties for the Coulomb term.
#[derive(Clone, Debug, Deserialize)]
pub struct IonPropsRow {
    #[serde(rename = "Z")]
    pub z: u8,
    pub element: String,
    pub valence: String,
    /// Principal quantum number n.
    pub n_principal: u8,
    /// Covalent radius, ASE/Cordero set (bvlain's default), Å.
    #[serde(rename = "r_cov_ase_A", deserialize_with = "blank::f64_opt")]
    pub r_cov_ase_ang: Option<f64>,
    /// Covalent radius, softBV set, Å.
    #[serde(rename = "r_cov_softbv_A", deserialize_with = "blank::f64_opt")]
    pub r_cov_softbv_ang: Option<f64>,
    pub source: String,
}

/// Every row of `bvse_ion_props.csv`.
pub fn ion_props_rows() -> &'static [IonPropsRow] {
    static T: OnceLock<Vec<IonPropsRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "bvse_ion_props.csv",
            include_str!("../tables/bvse_ion_props.csv"),
        )
    })
}

/// Ion properties of an element: its first row. The table has a row per (element, valence);
/// n and the ASE radius are the same in every row of an element, the softBV radius is not
/// (Cl: 0.99 Å for Cl(III)–Cl(VII), 1.74 Å for Cl−): use [`ion_props_with_valence`] for it.
pub fn ion_props(element: &str) -> Result<&'static IonPropsRow, DataError> {
    ion_props_rows()
        .iter()
        .find(|r| r.element == element)
        .ok_or_else(|| DataError::NotFound {
            table: "bvse_ion_props.csv",
            key: element.to_string(),
        })
}

/// The row of `element` with `valence` (e.g. Cl, −1: r_cov_softbv 1.74 Å).
pub fn ion_props_with_valence(
    element: &str,
    valence: i8,
) -> Result<&'static IonPropsRow, DataError> {
    let v = valence.to_string();
    ion_props_rows()
        .iter()
        .find(|r| r.element == element && r.valence.trim() == v)
        .ok_or_else(|| DataError::NotFound {
            table: "bvse_ion_props.csv",
            key: format!("{element} {valence:+}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load() {
        assert_eq!(pairs().len(), 276);
        assert_eq!(ion_props_rows().len(), 173);
        assert_eq!(pairs().iter().filter(|p| p.b_ang < 0.0).count(), 20);
        let li = ion_props("Li").unwrap();
        assert_eq!(li.n_principal, 2);
        assert_eq!(li.r_cov_ase_ang, Some(1.28));
        let chloride = ion_props_with_valence("Cl", -1).unwrap();
        assert_eq!(chloride.r_cov_softbv_ang, Some(1.74));
        assert_eq!(ion_props("Cl").unwrap().r_cov_softbv_ang, Some(0.99));
        assert!(ion_props_with_valence("Cl", 2).is_err());
        assert!(pair("Li", 1, "Xx", -1).is_err());
    }
}
