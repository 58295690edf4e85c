//! The transport model's options as a user gives them (`halo kmc`/`halo validate` flags, the
//! Python keywords), with one set of defaults, checked into [`TransportSettings`] before any
//! structure is read. `None` means the model's default.
//!
//! Model defaults: the explicit model runs the interacting kMC (hard core `HARD_CORE_ANG`,
//! Metropolis placement) with the Li–Li repulsion of [`PairPotential::Bvse`] — the landscape's
//! own cation–cation term, no fitted constant — and its calibrated ν0
//! (`crates/data/tables/kmc_calibration.csv`, model `explicit`); [`PairPotential::Yukawa`] is the
//! earlier Yukawa form `halo_kmc::defaults::pair_repulsion(ε)` with its own two calibrated
//! constants ν0 and ε (model `explicit-yukawa`). The averaged model runs the single-particle kMC
//! with the 2.5 Å blocking distance and its own calibrated ν0, and adds replicas at the
//! temperatures whose σ is not yet measured until σ(300 K) has `target_rel_se` (20 %) or
//! `max_replicas` (4 × `replicas`) is reached (`halo_kmc::replicas`); the explicit model meets
//! the same target by adding realisations.

use super::{ConductivityModel, EnsembleSettings, TransportSettings};
use halo_bvse::relax::RelaxEnergy;
use halo_bvse::{BvseParams, GridMode, MixedSiteMobile};
use halo_core::Species;
use halo_kmc::{defaults, KmcParams, MobileIons, ReplicaTarget, SupercellChoice};
use halo_percolation::PercolationParams;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The Li–Li repulsion of the explicit model (docs/physics.md §9.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairPotential {
    /// The landscape's own like-charge term between mobile ions,
    /// V(r) = K·q²/n · erfc(r/(f·2·rc))/r (softBV; Li+: 7.20 eV·Å, λ = 1.894 Å): the
    /// repulsion BVSE already applies to every framework cation, so a Li feels another Li as
    /// the landscape feels a framework Li. No fitted constant. The default.
    #[default]
    Bvse,
    /// The Yukawa repulsion (e²/4πε0ε)·exp(−r/4 Å)/r to 6 Å with a fitted dielectric constant ε
    /// (the explicit model's first form; calibrated with its own ν0).
    Yukawa,
}

/// Parse the energy of the anion relaxation (`valence_sums` or `force_field`); the error names
/// the option (CLI and Python alike).
pub fn parse_relax_energy(s: &str) -> Result<RelaxEnergy, OptionError> {
    RelaxEnergy::from_name(s).ok_or_else(|| {
        OptionError::new(
            "relax_energy",
            format!("'{s}': expected `valence_sums` or `force_field`"),
        )
    })
}

impl PairPotential {
    /// The name used by the CLI, workflows and Python.
    pub fn name(self) -> &'static str {
        match self {
            PairPotential::Bvse => "bvse",
            PairPotential::Yukawa => "yukawa",
        }
    }

    /// Parse a name (`bvse` or `yukawa`); the error names the option (CLI and Python alike).
    pub fn parse(s: &str) -> Result<PairPotential, OptionError> {
        match s {
            "bvse" => Ok(PairPotential::Bvse),
            "yukawa" => Ok(PairPotential::Yukawa),
            _ => Err(OptionError::new(
                "pair_potential",
                format!("'{s}': expected `bvse` or `yukawa`"),
            )),
        }
    }

    /// The model name of this form's rows in `kmc_calibration.csv`.
    fn calibration_model(self) -> &'static str {
        match self {
            PairPotential::Bvse => "explicit",
            PairPotential::Yukawa => "explicit-yukawa",
        }
    }
}

/// A model option the checker rejected: which option (its field name in [`ModelOptions`] or
/// [`EnsembleSettings`], which is also the Python keyword) and why. Each front end names the
/// option in its own words — [`OptionError::flag`] for `halo kmc`, `halo validate` and the Python
/// package, whose messages are the CLI's (the `Display` form), [`OptionError::workflow_key`] for
/// a workflow — so the reason is written once and never names a flag.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}: {reason}", self.flag())]
pub struct OptionError {
    /// The option's field name, e.g. `dielectric_constant`.
    pub option: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

impl OptionError {
    /// An error about `option` (a field name of [`ModelOptions`] or [`EnsembleSettings`]).
    pub fn new(option: &'static str, reason: impl Into<String>) -> Self {
        OptionError {
            option,
            reason: reason.into(),
        }
    }

    /// An error of a lower-level parameter check (`halo_kmc::KmcParams`, `halo_bvse::BvseParams`
    /// field names) re-addressed to the option that sets the parameter.
    fn from_parameter(name: &'static str, reason: String) -> Self {
        let option = match name {
            "blocks_per_replica" => "blocks",
            "hops_per_ion_per_block" => "hops_per_block",
            "equilibration_hops_per_ion" => "equilibration",
            "pair_repulsion" => "dielectric_constant",
            "mobile_ions" => "mobile_per_cell",
            other => other,
        };
        OptionError::new(option, reason)
    }

    /// The command-line flag of the option (`halo kmc`, `halo validate`).
    pub fn flag(&self) -> String {
        flag_of(self.option)
    }

    /// The key of the option in a workflow (`kmc.dielectric_constant`; the grid spacing is
    /// `bvse.resolution_ang`). Options a workflow does not have (the supercell, the mobile
    /// ion) keep their option name under `kmc.`.
    pub fn workflow_key(&self) -> String {
        match self.option {
            "resolution_ang" => "bvse.resolution_ang".to_string(),
            "screening_factor" => "bvse.screening_factor".to_string(),
            "hops_per_block" => "kmc.hops_per_ion".to_string(),
            "equilibration" => "kmc.equilibration_hops_per_ion".to_string(),
            o => format!("kmc.{o}"),
        }
    }

    /// The message in a workflow's words: `kmc.dielectric_constant: 0.5 must be at least 1`.
    pub fn in_workflow(&self) -> String {
        format!("{}: {}", self.workflow_key(), self.reason)
    }
}

/// The command-line flag of option `option` (a field name of [`ModelOptions`]).
fn flag_of(option: &str) -> String {
    match option {
        "equilibration" => "--equilibration-hops-per-ion".to_string(),
        o => format!("--{}", o.replace('_', "-")),
    }
}

/// The options of the transport model; see the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOptions {
    /// The conductivity model.
    pub model: ConductivityModel,
    /// Temperatures, K (default `halo_kmc::defaults::TEMPERATURES_K`).
    pub temperatures_k: Option<Vec<f64>>,
    /// Master seed of the RNG streams (and of the realisations).
    pub seed: u64,
    /// `auto` or `a,b,c` repetitions of the kMC network cell.
    pub supercell: String,
    /// Mobile ion, e.g. `Li+`.
    pub mobile_ion: String,
    /// BVSE grid spacing, Å.
    pub resolution_ang: f64,
    /// Screening factor f of the landscape's Coulomb term between the mobile ion and the
    /// framework cations, erfc(r/(f·(rc_M + rc_j)))/r (default bvlain's 0.74; docs/physics.md
    /// §9.11).
    pub screening_factor: Option<f64>,
    /// Hard core / blocking distance, Å (default: 1.6 explicit, 2.5 averaged).
    pub blocking_distance_ang: Option<f64>,
    /// Attempt frequency ν0, s⁻¹ (default: the model's calibrated value).
    pub attempt_frequency_hz: Option<f64>,
    /// The Li–Li repulsion of the explicit model (default [`PairPotential::Bvse`]).
    pub pair_potential: Option<PairPotential>,
    /// Dielectric constant ε of the Yukawa Li–Li repulsion (explicit model with
    /// [`PairPotential::Yukawa`]; default calibrated).
    pub dielectric_constant: Option<f64>,
    /// Metropolis moves per ion before the kMC equilibration (explicit model).
    pub metropolis_sweeps_per_ion: Option<f64>,
    /// Stiffness c of the anions' bond-valence saturation, eV/v.u.² (explicit model;
    /// `halo_bvse::saturation`; default 0: no term).
    pub anion_saturation_ev: Option<f64>,
    /// Relax the anions before the landscape (averaged model; `halo_bvse::relax`; default off).
    pub relax_anions: bool,
    /// The energy the anions are relaxed to the minimum of (with `relax_anions`; default
    /// [`RelaxEnergy::ValenceSums`], the GII).
    pub relax_energy: Option<RelaxEnergy>,
    /// Realisations, stopping rule and stations (explicit model).
    pub ensemble: EnsembleSettings,
    /// Independent replicas per temperature (the averaged model: the replicas each
    /// temperature starts with).
    pub replicas: usize,
    /// Most replicas per temperature: the cap of the averaged model's stopping rule
    /// (`halo_kmc::replicas`; default 4 × `replicas`; `replicas` turns the rule off).
    pub max_replicas: Option<usize>,
    /// Measured blocks per replica.
    pub blocks: usize,
    /// Block length, hops per ion.
    pub hops_per_block: f64,
    /// Equilibration, hops per ion.
    pub equilibration: f64,
    /// Minimum mobile ions in an automatic supercell.
    pub min_ions: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            model: ConductivityModel::default(),
            temperatures_k: None,
            seed: 0,
            supercell: "auto".to_string(),
            mobile_ion: "Li+".to_string(),
            resolution_ang: halo_bvse::DEFAULT_RESOLUTION_ANG,
            screening_factor: None,
            blocking_distance_ang: None,
            attempt_frequency_hz: None,
            pair_potential: None,
            dielectric_constant: None,
            metropolis_sweeps_per_ion: None,
            anion_saturation_ev: None,
            relax_anions: false,
            relax_energy: None,
            ensemble: EnsembleSettings::default(),
            replicas: defaults::REPLICAS,
            max_replicas: None,
            blocks: defaults::BLOCKS,
            hops_per_block: defaults::HOPS_PER_ION_PER_BLOCK,
            equilibration: defaults::EQUILIBRATION_HOPS_PER_ION,
            min_ions: defaults::MIN_IONS,
        }
    }
}

/// `auto` or three positive integers `a,b,c`.
pub fn parse_supercell(s: &str) -> Result<SupercellChoice, OptionError> {
    if s == "auto" {
        return Ok(SupercellChoice::Auto);
    }
    let v: Vec<usize> = s
        .split(',')
        .map(|x| {
            x.trim().parse::<usize>().map_err(|_| {
                OptionError::new("supercell", format!("'{x}' is not a positive integer"))
            })
        })
        .collect::<Result<_, _>>()?;
    if v.len() != 3 {
        return Err(OptionError::new(
            "supercell",
            format!("must be `auto` or three integers a,b,c, got '{s}'"),
        ));
    }
    Ok(SupercellChoice::Fixed([v[0], v[1], v[2]]))
}

/// A calibrated constant of `model` (its rows in `kmc_calibration.csv`) and where it comes
/// from, or the user's value.
fn constant(
    model: &str,
    name: &'static str,
    given: Option<f64>,
) -> Result<(f64, serde_json::Value), OptionError> {
    let cal = halo_data::calibration::kmc_constant(model, name).ok_or_else(|| {
        OptionError::new(
            name,
            format!("kmc_calibration.csv has no calibrated value for the {model} model"),
        )
    })?;
    let flag = flag_of(name);
    Ok(match given {
        Some(v) => (
            v,
            json!({name: v, "source": format!("{flag} (not the calibrated value)"),
                   format!("calibrated_{name}"): cal.value}),
        ),
        None => (
            cal.value,
            json!({name: cal.value,
                   "source": "calibrated default, crates/data/tables/kmc_calibration.csv",
                   "fit": cal.fit, "input": cal.input, "script": cal.script,
                   "output": cal.output}),
        ),
    })
}

impl ModelOptions {
    /// Refuse, naming it, an option given for a model that does not have it: the explicit
    /// model's pair potential, Yukawa ε and anion saturation with the averaged model, the
    /// averaged model's anion relaxation and replica cap with the explicit model (which meets
    /// the stopping rule by adding realisations).
    fn refuse_the_other_models_options(&self) -> Result<(), OptionError> {
        // the ensemble's settings have defaults: one that differs from its default was given
        let ens = &self.ensemble;
        let d = EnsembleSettings::default();
        let (given, model, only) = match self.model {
            ConductivityModel::Averaged => (
                vec![
                    ("pair_potential", self.pair_potential.is_some()),
                    ("dielectric_constant", self.dielectric_constant.is_some()),
                    ("anion_saturation_ev", self.anion_saturation_ev.is_some()),
                    (
                        "min_realisations",
                        ens.min_realisations != d.min_realisations,
                    ),
                    (
                        "max_realisations",
                        ens.max_realisations != d.max_realisations,
                    ),
                    (
                        "station_max_depth_ev",
                        ens.station_max_depth_ev != d.station_max_depth_ev,
                    ),
                ],
                "averaged",
                "explicit",
            ),
            ConductivityModel::Explicit => (
                vec![
                    ("relax_anions", self.relax_anions),
                    ("relax_energy", self.relax_energy.is_some()),
                    ("max_replicas", self.max_replicas.is_some()),
                ],
                "explicit",
                "averaged",
            ),
        };
        match given.iter().find(|(_, g)| *g) {
            Some((option, _)) => Err(OptionError::new(
                option,
                format!("applies to the {only} model only (the model is `{model}`)"),
            )),
            None => Ok(()),
        }
    }

    /// Check the options into the transport settings and say where the fitted constants come
    /// from (the JSON `calibration` object: `attempt_frequency_hz` always; for the explicit
    /// model `pair_potential`, and `dielectric_constant` with the Yukawa form). Errors name the
    /// option.
    pub fn settings(
        &self,
        mobile_per_cell: Option<f64>,
    ) -> Result<(TransportSettings, serde_json::Value), OptionError> {
        let temps = self
            .temperatures_k
            .clone()
            .unwrap_or_else(|| defaults::TEMPERATURES_K.to_vec());
        let supercell = parse_supercell(&self.supercell)?;
        let mobile_ion = Species::parse(&self.mobile_ion).map_err(|e| {
            OptionError::new(
                "mobile_ion",
                format!("'{}' is not an ion: {e}", self.mobile_ion),
            )
        })?;
        // σ = (N/V) e² D_σ / k_BT (physics §5.8) is the conductivity of monovalent ions
        if mobile_ion.oxidation_state.is_some_and(|q| q != 1) {
            return Err(OptionError::new(
                "mobile_ion",
                format!(
                    "{mobile_ion}: the kMC's conductivity σ = (N/V)e²D_σ/k_BT is that of a \
                     monovalent mobile ion (and ν0 is calibrated on Li+); a mobile ion of \
                     another charge is not modelled (`halo bvse` takes it for the landscape)"
                ),
            ));
        }
        self.refuse_the_other_models_options()?;
        // the ν0 object at the top level (as before the explicit model), the model's name and,
        // for the explicit model, the pair potential's (and the Yukawa ε's) object beside it
        let pair = match self.model {
            ConductivityModel::Explicit => Some(self.pair_potential.unwrap_or_default()),
            ConductivityModel::Averaged => None,
        };
        let calibration_model = pair.map_or(self.model.name(), PairPotential::calibration_model);
        let (nu0, mut calibration) = constant(
            calibration_model,
            "attempt_frequency_hz",
            self.attempt_frequency_hz,
        )?;
        calibration["model"] = json!(self.model.name());
        let mut params = KmcParams::new(temps);
        params.seed = self.seed;
        params.supercell = supercell;
        params.attempt_frequency_hz = nu0;
        params.replicas = self.replicas;
        params.blocks_per_replica = self.blocks;
        params.hops_per_ion_per_block = self.hops_per_block;
        params.equilibration_hops_per_ion = self.equilibration;
        params.min_ions = self.min_ions;
        match self.model {
            ConductivityModel::Explicit => {
                if pair == Some(PairPotential::Yukawa) {
                    let (eps, eps_src) = constant(
                        calibration_model,
                        "dielectric_constant",
                        self.dielectric_constant,
                    )?;
                    if !(eps.is_finite() && eps >= 1.0) {
                        return Err(OptionError::new(
                            "dielectric_constant",
                            format!("{eps} must be at least 1"),
                        ));
                    }
                    calibration["dielectric_constant"] = eps_src;
                    params.pair_repulsion = Some(defaults::pair_repulsion(eps));
                } else if self.dielectric_constant.is_some() {
                    return Err(OptionError::new(
                        "dielectric_constant",
                        "applies to the Yukawa pair potential only (the pair potential is `bvse`)",
                    ));
                }
                params.blocking_distance_ang = self
                    .blocking_distance_ang
                    .unwrap_or(defaults::HARD_CORE_ANG);
                params.metropolis_sweeps_per_ion = self
                    .metropolis_sweeps_per_ion
                    .unwrap_or(defaults::METROPOLIS_SWEEPS_PER_ION);
                self.ensemble.validate()?;
            }
            ConductivityModel::Averaged => {
                params.blocking_distance_ang = self
                    .blocking_distance_ang
                    .unwrap_or(defaults::BLOCKING_DISTANCE_ANG);
                params.metropolis_sweeps_per_ion = self.metropolis_sweeps_per_ion.unwrap_or(0.0);
                // the per-candidate stopping rule: replicas added where σ is not yet measured
                let mut target = ReplicaTarget::default_for(self.replicas);
                target.rel_se = self.ensemble.target_rel_se;
                if let Some(m) = self.max_replicas {
                    target.max_replicas = m;
                }
                params.replica_target = Some(target);
            }
        }
        // every other parameter is validated before the file is read; the ion count from the
        // structure replaces this value
        params.mobile_ions = MobileIons::PerCell(mobile_per_cell.unwrap_or(1.0));
        params.validate().map_err(|e| match e {
            halo_kmc::KmcError::InvalidParameter { name, reason } => {
                OptionError::from_parameter(name, reason)
            }
            other => OptionError::new("model", other.to_string()),
        })?;
        if let Some(m) = mobile_per_cell {
            if !(m.is_finite() && m > 0.0) {
                return Err(OptionError::new(
                    "mobile_per_cell",
                    format!("must be a positive number, got {m}"),
                ));
            }
        }
        let bvse = BvseParams {
            mobile_ion,
            resolution_ang: self.resolution_ang,
            screening_factor: self
                .screening_factor
                .unwrap_or(BvseParams::default().screening_factor),
            mode: GridMode::Default,
            mixed_site_mobile: match self.model {
                ConductivityModel::Explicit => MixedSiteMobile::Remove,
                ConductivityModel::Averaged => MixedSiteMobile::KeepAsFramework,
            },
            ..Default::default()
        };
        bvse.validate().map_err(|e| match e {
            halo_bvse::BvseError::InvalidParameter { name, reason } => {
                OptionError::from_parameter(name, reason)
            }
            other => OptionError::new("resolution_ang", other.to_string()),
        })?;
        if pair == Some(PairPotential::Bvse) {
            // the landscape's like-charge term between two mobile ions: no fitted constant
            let (a, lambda) = halo_bvse::framework::mobile_pair_coulomb(&bvse)
                .map_err(|e| OptionError::new("mobile_ion", e.to_string()))?;
            let rep = defaults::bvse_pair_repulsion(a, lambda);
            calibration["pair_potential"] = json!({
                "pair_potential": PairPotential::Bvse.name(),
                "prefactor_ev_ang": rep.prefactor_ev_ang,
                "screening_length_ang": rep.screening_length_ang,
                "cutoff_ang": rep.cutoff_ang,
                "source": "BVSE like-charge term K·q²/n·erfc(r/(f·2·rc))/r of the mobile ion \
                           (softBV parameters, crates/data/tables/bvse_ion_props.csv); not fitted",
            });
            params.pair_repulsion = Some(rep);
            params
                .validate()
                .map_err(|e| OptionError::new("pair_potential", e.to_string()))?;
        } else if pair == Some(PairPotential::Yukawa) {
            calibration["pair_potential"] = json!({"pair_potential": PairPotential::Yukawa.name()});
        }
        let anion_saturation_ev = self.anion_saturation_ev.unwrap_or(0.0);
        if !(anion_saturation_ev.is_finite() && anion_saturation_ev >= 0.0) {
            return Err(OptionError::new(
                "anion_saturation_ev",
                format!("{anion_saturation_ev} is not a finite stiffness ≥ 0 eV/v.u.²"),
            ));
        }
        if let Some(f) = self.screening_factor {
            calibration["screening_factor"] = json!({
                "screening_factor": f,
                "source": format!(
                    "{} (not calibrated; ν0 was calibrated at bvlain's 0.74)",
                    flag_of("screening_factor")
                ),
            });
        }
        if self.relax_energy.is_some() && !self.relax_anions {
            return Err(OptionError::new(
                "relax_energy",
                "applies only when the anions are relaxed (`--relax-anions`; in a workflow \
                 `relax_anions = true`)",
            ));
        }
        let relax_energy = self.relax_energy.unwrap_or_default();
        if self.relax_anions {
            calibration["relax_anions"] = json!(true);
            // the default energy keeps the record of the first relaxation (its fingerprint)
            if relax_energy != RelaxEnergy::ValenceSums {
                calibration["relax_energy"] = json!(relax_energy.name());
            }
        }
        if self.model == ConductivityModel::Explicit {
            calibration["anion_saturation_ev"] = match self.anion_saturation_ev {
                Some(c) => json!({"anion_saturation_ev": c,
                                  "source": format!("{} (not calibrated)", flag_of("anion_saturation_ev"))}),
                None => {
                    json!({"anion_saturation_ev": 0.0, "source": "default: no saturation term"})
                }
            };
        }
        Ok((
            TransportSettings {
                model: self.model,
                anion_saturation_ev,
                relax_anions: self.relax_anions,
                relax_energy,
                bvse,
                percolation: PercolationParams::default(),
                kmc: params,
                ensemble: self.ensemble.clone(),
                mobile_per_cell,
                site_energies: None,
                hop_barriers: None,
                grounding: None,
                stop: None,
            },
            calibration,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(o: ModelOptions) -> OptionError {
        o.settings(None).unwrap_err()
    }

    /// One reason, named as the CLI flag (`halo kmc`, Python) or as the workflow key, for the
    /// options' own checks, the kMC parameters' and the BVSE parameters'.
    #[test]
    fn an_option_error_is_named_in_each_front_ends_words() {
        let explicit = || ModelOptions {
            model: ConductivityModel::Explicit,
            ..Default::default()
        };
        let e = error(ModelOptions {
            pair_potential: Some(PairPotential::Yukawa),
            dielectric_constant: Some(0.5),
            ..explicit()
        });
        assert_eq!(e.option, "dielectric_constant");
        assert_eq!(
            e.to_string(),
            "--dielectric-constant: 0.5 must be at least 1"
        );
        assert_eq!(
            e.in_workflow(),
            "kmc.dielectric_constant: 0.5 must be at least 1"
        );
        // the averaged model refuses the explicit model's constant, in words that fit both
        let e = error(ModelOptions {
            dielectric_constant: Some(10.0),
            ..Default::default()
        });
        assert!(e
            .to_string()
            .starts_with("--dielectric-constant: applies to"));
        assert!(e
            .in_workflow()
            .starts_with("kmc.dielectric_constant: applies to"));
        // the explicit model's ensemble settings are refused by the averaged model, which
        // would ignore them
        for (ens, flag) in [
            (
                EnsembleSettings {
                    min_realisations: 3,
                    ..Default::default()
                },
                "--min-realisations: applies to the explicit model only",
            ),
            (
                EnsembleSettings {
                    station_max_depth_ev: 0.2,
                    ..Default::default()
                },
                "--station-max-depth-ev: applies to the explicit model only",
            ),
        ] {
            let e = error(ModelOptions {
                ensemble: ens,
                ..Default::default()
            });
            assert!(e.to_string().starts_with(flag), "{e}");
        }
        // σ = (N/V)e²D/k_BT is a monovalent ion's: Mg2+ is refused, Na+ is not
        let e = error(ModelOptions {
            mobile_ion: "Mg2+".into(),
            ..Default::default()
        });
        assert!(e.to_string().contains("monovalent"), "{e}");
        assert!(ModelOptions {
            mobile_ion: "Na+".into(),
            ..Default::default()
        }
        .settings(None)
        .is_ok());
        // the saturation stiffness: explicit model only, finite and ≥ 0
        let e = error(ModelOptions {
            anion_saturation_ev: Some(1.0),
            ..Default::default()
        });
        assert!(e
            .to_string()
            .starts_with("--anion-saturation-ev: applies to the explicit model only"));
        let e = error(ModelOptions {
            anion_saturation_ev: Some(f64::INFINITY),
            ..explicit()
        });
        assert_eq!(e.option, "anion_saturation_ev");
        assert!(e
            .in_workflow()
            .starts_with("kmc.anion_saturation_ev: inf is not"));
        // halo_kmc's checks name KmcParams fields; the error names the option that sets them
        let e = error(ModelOptions {
            equilibration: -1.0,
            ..Default::default()
        });
        assert_eq!(e.option, "equilibration");
        assert!(
            e.to_string().starts_with("--equilibration-hops-per-ion: "),
            "{e}"
        );
        assert!(e
            .in_workflow()
            .starts_with("kmc.equilibration_hops_per_ion: "));
        let e = error(ModelOptions {
            hops_per_block: 0.0,
            ..Default::default()
        });
        assert!(e.to_string().starts_with("--hops-per-block: "), "{e}");
        assert!(e.in_workflow().starts_with("kmc.hops_per_ion: "));
        let e = error(ModelOptions {
            blocks: 0,
            ..Default::default()
        });
        assert!(e.to_string().starts_with("--blocks: "), "{e}");
        assert!(e.in_workflow().starts_with("kmc.blocks: "));
        // the ensemble's checks (explicit model only)
        let mut o = explicit();
        o.ensemble.min_realisations = 9;
        let e = error(o);
        assert_eq!(
            e.to_string(),
            "--min-realisations: 9 must be between 1 and the most realisations (4)"
        );
        assert!(e.in_workflow().starts_with("kmc.min_realisations: 9 "));
        // a BVSE parameter: the grid spacing is in a workflow's [bvse] section
        let e = error(ModelOptions {
            resolution_ang: -1.0,
            ..Default::default()
        });
        assert!(e.to_string().starts_with("--resolution-ang: "), "{e}");
        assert!(e.in_workflow().starts_with("bvse.resolution_ang: "));
        let e = error(ModelOptions {
            supercell: "2,2".into(),
            ..Default::default()
        });
        assert!(
            e.to_string().starts_with("--supercell: must be `auto`"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod pair_tests {
    use super::*;
    use halo_bvse::potential::PairTerm;

    /// The explicit model's default Li–Li repulsion is the landscape's own term: a Li feels
    /// another Li exactly as the BVSE landscape feels a framework Li+ (same K, n, rc, f), up
    /// to a cutoff where it is below a millielectronvolt.
    #[test]
    fn the_bvse_pair_is_the_landscapes_li_li_term() {
        let (ts, cal) = ModelOptions {
            model: ConductivityModel::Explicit,
            ..Default::default()
        }
        .settings(None)
        .unwrap();
        let rep = ts.kmc.pair_repulsion.expect("the explicit model interacts");
        assert_eq!(rep.form, halo_kmc::PairForm::Erfc);
        let landscape = PairTerm::Coulomb {
            prefactor_ev_ang: 14.4 * 1.0 * 1.0 / (2.0f64 * 2.0).sqrt(),
            screening_length_ang: 0.74 * (1.28 + 1.28),
        };
        for r in [1.6, 2.0, 2.26, 2.5, 3.0, 3.7, 4.5] {
            let (a, b) = (rep.energy_ev(r), landscape.energy_ev(r));
            assert!(
                (a - b).abs() < 1e-12 * b.abs().max(1.0),
                "r {r}: {a} vs {b}"
            );
        }
        assert!(landscape.energy_ev(rep.cutoff_ang) < 1e-3);
        assert_eq!(rep.energy_ev(rep.cutoff_ang + 1e-9), 0.0);
        assert_eq!(cal["pair_potential"]["pair_potential"], "bvse");
        // the Yukawa form keeps its calibrated ε and ν0
        let (ts, cal) = ModelOptions {
            model: ConductivityModel::Explicit,
            pair_potential: Some(PairPotential::Yukawa),
            ..Default::default()
        }
        .settings(None)
        .unwrap();
        assert_eq!(
            ts.kmc.pair_repulsion.unwrap().form,
            halo_kmc::PairForm::Yukawa
        );
        let table = |c| {
            halo_data::calibration::kmc_constant("explicit-yukawa", c)
                .unwrap()
                .value
        };
        assert_eq!(
            cal["dielectric_constant"]["dielectric_constant"],
            table("dielectric_constant")
        );
        assert_eq!(ts.kmc.attempt_frequency_hz, table("attempt_frequency_hz"));
        // and the BVSE pair its own ν0
        let nu0 = halo_data::calibration::kmc_constant("explicit", "attempt_frequency_hz").unwrap();
        assert_ne!(nu0.value, table("attempt_frequency_hz"));
    }
}
