//! Measured ionic and electronic conductivities: the only data any model constant may be
//! calibrated on (`conductivity_calibration.csv`), the measured electronic conductivities and
//! the published electrochemical windows.

use crate::{blank, parse_table};
use serde::Deserialize;
use std::sync::OnceLock;

/// A measured room-temperature ionic conductivity and activation energy.
#[derive(Clone, Debug, Deserialize)]
pub struct ConductivityRow {
    pub composition: String,
    pub anion: String,
    #[serde(rename = "structure_type/space_group")]
    pub structure_type: String,
    #[serde(rename = "sigma_rt_S_cm", deserialize_with = "blank::f64_opt")]
    pub sigma_rt_s_per_cm: Option<f64>,
    #[serde(rename = "temperature_C", deserialize_with = "blank::f64_opt")]
    pub temperature_c: Option<f64>,
    #[serde(rename = "Ea_eV", deserialize_with = "blank::f64_opt")]
    pub ea_ev: Option<f64>,
    pub synthesis: String,
    pub reference: String,
    pub source: String,
    pub mobile_ion: String,
    pub notes: String,
}

/// Every row of `conductivity_calibration.csv`.
pub fn ionic() -> &'static [ConductivityRow] {
    static T: OnceLock<Vec<ConductivityRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "conductivity_calibration.csv",
            include_str!("../tables/conductivity_calibration.csv"),
        )
    })
}

/// The row of `conductivity_calibration.csv` for `composition` (as written there, e.g.
/// `Li2Sc2/3Cl4`), `None` if there is none.
pub fn ionic_row(composition: &str) -> Option<&'static ConductivityRow> {
    ionic().iter().find(|r| r.composition == composition)
}

/// A measured electronic conductivity.
#[derive(Clone, Debug, Deserialize)]
pub struct ElectronicRow {
    pub material: String,
    #[serde(rename = "sigma_e_S_per_cm", deserialize_with = "blank::f64_opt")]
    pub sigma_e_s_per_cm: Option<f64>,
    pub method: String,
    pub source: String,
    pub note: String,
}

/// Every row of `electronic_conductivity.csv`.
pub fn electronic() -> &'static [ElectronicRow] {
    static T: OnceLock<Vec<ElectronicRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "electronic_conductivity.csv",
            include_str!("../tables/electronic_conductivity.csv"),
        )
    })
}

/// A published electrochemical window.
#[derive(Clone, Debug, Deserialize)]
pub struct WindowRow {
    pub material: String,
    pub anion_family: String,
    pub method: String,
    pub reduction_limit_v: String,
    pub oxidation_limit_v: String,
    pub source: String,
    pub note: String,
}

/// Every row of `echem_windows_literature.csv`.
pub fn windows() -> &'static [WindowRow] {
    #[derive(Deserialize)]
    struct Raw {
        material: String,
        anion_family: String,
        method: String,
        #[serde(rename = "reduction_limit_V")]
        reduction_limit_v: String,
        #[serde(rename = "oxidation_limit_V")]
        oxidation_limit_v: String,
        source: String,
        note: String,
    }
    static T: OnceLock<Vec<WindowRow>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table::<Raw>(
            "echem_windows_literature.csv",
            include_str!("../tables/echem_windows_literature.csv"),
        )
        .into_iter()
        .map(|r| WindowRow {
            material: r.material,
            anion_family: r.anion_family,
            method: r.method,
            reduction_limit_v: r.reduction_limit_v,
            oxidation_limit_v: r.oxidation_limit_v,
            source: r.source,
            note: r.note,
        })
        .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tables_load() {
        assert_eq!(super::ionic().len(), 11);
        assert_eq!(super::electronic().len(), 4);
        assert_eq!(super::windows().len(), 15);
        let x = super::electronic()
            .iter()
            .find(|r| r.material == "Li2In1/3Sc1/3Cl4")
            .unwrap();
        assert_eq!(x.sigma_e_s_per_cm, Some(4.7e-10));
    }
}

/// A model constant fitted on measured data, with how it was fitted.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct FittedConstant {
    /// The conductivity model it belongs to (`explicit` or `averaged`).
    pub model: String,
    /// Name of the constant, with its unit (`attempt_frequency_hz`).
    pub constant: String,
    /// The value used by default.
    pub value: f64,
    /// Unit of `value`.
    pub unit: String,
    /// The fitting rule and its scatter.
    pub fit: String,
    /// The data it was fitted on.
    pub input: String,
    /// The command that fitted it.
    pub script: String,
    /// The file the fit wrote.
    pub output: String,
    /// Where the value comes from.
    pub source: String,
}

/// Every row of `kmc_calibration.csv`: the constants of the kMC model fitted on measured
/// conductivities.
pub fn kmc_constants() -> &'static [FittedConstant] {
    static T: OnceLock<Vec<FittedConstant>> = OnceLock::new();
    T.get_or_init(|| {
        parse_table(
            "kmc_calibration.csv",
            include_str!("../tables/kmc_calibration.csv"),
        )
    })
}

/// A constant of `model` (`averaged`, `explicit`, `explicit-yukawa`) by name, e.g.
/// `attempt_frequency_hz` or `dielectric_constant`; `None` when the table has no such row.
pub fn kmc_constant(model: &str, constant: &str) -> Option<&'static FittedConstant> {
    kmc_constants()
        .iter()
        .find(|c| c.model == model && c.constant == constant)
}

/// The calibrated attempt frequency ν0 of the averaged model's kMC rates ν0·exp(−ΔE/k_BT),
/// s⁻¹. σ ∝ ν0 at fixed energies, so it scales every predicted conductivity and leaves Ea
/// unchanged.
pub fn kmc_attempt_frequency() -> &'static FittedConstant {
    kmc_constant("averaged", "attempt_frequency_hz")
        .expect("kmc_calibration.csv has averaged,attempt_frequency_hz (checked by the tests)")
}

#[cfg(test)]
mod kmc_calibration_tests {
    use super::*;

    #[test]
    fn the_attempt_frequency_is_positive_and_documented() {
        let c = kmc_attempt_frequency();
        assert!(c.value > 1e12 && c.value < 1e15, "{}", c.value);
        assert_eq!(c.unit, "s^-1");
        assert!(c.script.contains("calibrate_kmc.py"));
        assert!(c.input.contains("conductivity_calibration.csv"));
    }

    #[test]
    fn each_explicit_pair_potential_has_its_fitted_constants_and_nothing_else() {
        let documented = |c: &FittedConstant| {
            assert!(
                c.script.contains("calibrate_explicit.py"),
                "{}: {}",
                c.constant,
                c.script
            );
            assert!(c.input.contains("conductivity_calibration.csv"));
        };
        // the default (BVSE pair, nothing fitted in the repulsion): ν0 only, and a phonon-scale one
        let rows: Vec<_> = kmc_constants()
            .iter()
            .filter(|c| c.model == "explicit")
            .collect();
        assert_eq!(rows.len(), 1, "the BVSE pair has no fitted constant");
        let nu0 = kmc_constant("explicit", "attempt_frequency_hz").unwrap();
        assert!(nu0.value > 1e12 && nu0.value < 1e16, "{}", nu0.value);
        documented(nu0);
        // the Yukawa pair: ν0 and ε (at most two global constants, issue 14)
        let rows: Vec<_> = kmc_constants()
            .iter()
            .filter(|c| c.model == "explicit-yukawa")
            .collect();
        assert_eq!(rows.len(), 2);
        // its declared fit gives an unphysically large ν0 (docs/physics.md §9.8, 2.9e17 s⁻¹), so
        // the bound is wide: it catches a unit or exponent slip, not an implausible fit
        let nu0 = kmc_constant("explicit-yukawa", "attempt_frequency_hz").unwrap();
        assert!(nu0.value > 1e11 && nu0.value < 1e20, "{}", nu0.value);
        let eps = kmc_constant("explicit-yukawa", "dielectric_constant").unwrap();
        assert!(eps.value >= 1.0 && eps.value < 100.0, "{}", eps.value);
        rows.into_iter().for_each(documented);
        assert!(kmc_constants()
            .iter()
            .all(|c| ["explicit", "explicit-yukawa", "averaged"].contains(&c.model.as_str())));
    }
}
