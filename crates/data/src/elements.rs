//! Per-element, per-oxidation-state data: Shannon radii, electron configurations, open shells.
//! Table `tables/elements.csv` (Shannon 1976 with the Lundberg 2016 update via mendeleev 1.3.0;
//! NIST ASD ionisation energies; pymatgen 2026.10.24 masses and oxidation-state lists).

use crate::{blank, parse_table, DataError};
use halo_core::Element;
use serde::Deserialize;
use std::sync::OnceLock;

/// One row: an element in one oxidation state.
#[derive(Clone, Debug, Deserialize)]
pub struct IonRow {
    pub symbol: String,
    #[serde(rename = "Z")]
    pub z: u8,
    pub atomic_mass: f64,
    #[serde(rename = "pauling_X", deserialize_with = "blank::f64_opt")]
    pub pauling_x: Option<f64>,
    #[serde(rename = "IE1_eV", deserialize_with = "blank::f64_opt")]
    pub ie1_ev: Option<f64>,
    #[serde(rename = "electron_affinity_eV", deserialize_with = "blank::f64_opt")]
    pub electron_affinity_ev: Option<f64>,
    /// Common oxidation states, `|`-separated.
    pub common_ox_states: String,
    pub ox_state: i8,
    pub ion_econf: String,
    #[serde(deserialize_with = "blank::f64_opt")]
    pub n_d: Option<f64>,
    #[serde(deserialize_with = "blank::f64_opt")]
    pub n_f: Option<f64>,
    /// Partly filled d shell (0 < n_d < 10): a redox-active, usually electron-conducting cation.
    #[serde(deserialize_with = "blank::bool01")]
    pub open_shell_d: bool,
    /// Partly filled 4f/5f shell.
    #[serde(deserialize_with = "blank::bool01")]
    pub open_shell_f: bool,
    #[serde(rename = "shannon_IV_ionic_pm", deserialize_with = "blank::f64_opt")]
    pub shannon_iv_ionic_pm: Option<f64>,
    #[serde(rename = "shannon_VI_ionic_pm", deserialize_with = "blank::f64_opt")]
    pub shannon_vi_ionic_pm: Option<f64>,
    #[serde(rename = "shannon_VIII_ionic_pm", deserialize_with = "blank::f64_opt")]
    pub shannon_viii_ionic_pm: Option<f64>,
    pub source: String,
}

/// Every row of `elements.csv`.
pub fn rows() -> &'static [IonRow] {
    static T: OnceLock<Vec<IonRow>> = OnceLock::new();
    T.get_or_init(|| parse_table("elements.csv", include_str!("../tables/elements.csv")))
}

/// The row for `element` in oxidation state `ox`.
pub fn ion(element: Element, ox: i8) -> Result<&'static IonRow, DataError> {
    rows()
        .iter()
        .find(|r| r.z == element.z() && r.ox_state == ox)
        .ok_or_else(|| DataError::NotFound {
            table: "elements.csv",
            key: format!("{element} in oxidation state {ox:+}"),
        })
}

/// Coordination numbers with tabulated Shannon ionic radii.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coordination {
    IV,
    VI,
    VIII,
}

/// Shannon ionic radius (pm) of `element` in state `ox` at coordination `cn`.
pub fn shannon_ionic_radius_pm(
    element: Element,
    ox: i8,
    cn: Coordination,
) -> Result<f64, DataError> {
    let r = ion(element, ox)?;
    let (v, column) = match cn {
        Coordination::IV => (r.shannon_iv_ionic_pm, "shannon_IV_ionic_pm"),
        Coordination::VI => (r.shannon_vi_ionic_pm, "shannon_VI_ionic_pm"),
        Coordination::VIII => (r.shannon_viii_ionic_pm, "shannon_VIII_ionic_pm"),
    };
    v.ok_or_else(|| DataError::MissingValue {
        table: "elements.csv",
        key: format!("{element}{ox:+}"),
        column,
    })
}

/// Formal oxidation state halo assigns when a file gives none (docs/physics.md §1.2): alkali +1,
/// halide −1, Sc, Y, In, Al, Ga, lanthanides +3, Zr, Hf, Ti, Sn +4, Mg, Zn, Cd, Mn, Fe, Co, Ni,
/// Cr, V, Ca +2, Sr, Ba +2, O −2, S −2; `None` where there is no single sensible default.
pub fn formal_oxidation_state(element: Element) -> Option<i8> {
    let s = element.symbol();
    Some(match s {
        "Li" | "Na" | "K" | "Rb" | "Cs" => 1,
        "F" | "Cl" | "Br" | "I" => -1,
        "O" | "S" => -2,
        "Sc" | "Y" | "In" | "Al" | "Ga" | "La" | "Ce" | "Pr" | "Nd" | "Sm" | "Eu" | "Gd" | "Tb"
        | "Dy" | "Ho" | "Er" | "Tm" | "Yb" | "Lu" | "Bi" | "Sb" => 3,
        "Zr" | "Hf" | "Ti" | "Sn" => 4,
        "Mg" | "Zn" | "Cd" | "Mn" | "Fe" | "Co" | "Ni" | "Cr" | "V" | "Ca" | "Sr" | "Ba" | "Cu"
        | "Pb" => 2,
        "Nb" | "Ta" => 5,
        "Mo" | "W" => 6,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_with_sources() {
        assert_eq!(rows().len(), 82);
        assert!(rows().iter().all(|r| !r.source.is_empty()));
    }

    #[test]
    fn shannon_lookups() {
        let el = |s| Element::from_symbol(s).unwrap();
        assert_eq!(
            shannon_ionic_radius_pm(el("In"), 3, Coordination::VI).unwrap(),
            80.0
        );
        assert_eq!(
            shannon_ionic_radius_pm(el("Li"), 1, Coordination::VI).unwrap(),
            76.0
        );
        assert!(matches!(
            shannon_ionic_radius_pm(el("In"), 1, Coordination::VI),
            Err(DataError::MissingValue { .. })
        ));
        assert!(ion(el("Sc"), 5).is_err());
        assert!(ion(el("Fe"), 2).unwrap().open_shell_d);
        assert!(!ion(el("Sc"), 3).unwrap().open_shell_d);
    }

    #[test]
    fn every_formal_state_has_a_row() {
        for el in Element::all() {
            if let Some(q) = formal_oxidation_state(el) {
                assert!(ion(el, q).is_ok(), "{el}{q:+} missing from elements.csv");
            }
        }
    }
}
