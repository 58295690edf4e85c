//! The transport chain for one structure, written once. Two models (docs/physics.md §5, §9.8):
//!
//! - [`ConductivityModel::Averaged`] (the default; [`averaged`]): one occupancy-averaged
//!   landscape, Li sharing a site with a framework cation kept in the framework, minima on
//!   framework-cation sites dropped, single-particle kMC with hard blocking. It stays the default
//!   because `halo validate` ranks the public set better with it than with the explicit model
//!   (docs/physics.md §9.7–9.8: the measured comparison).
//! - [`ConductivityModel::Explicit`] (`--model explicit`; [`explicit`]): the structure's partial and
//!   mixed framework occupancies are realised explicitly in seeded supercells with integer
//!   charges (`halo_enumerate::disorder`); each realisation gets its own BVSE landscape (every Li
//!   removed: every Li of the composition is mobile), percolation site graph, kMC network with
//!   the shallow path stations contracted into their hops (`halo_kmc::stations`), and an
//!   interacting-Li kMC (screened Coulomb pairs — BVSE's own like-charge term by default, or a
//!   Yukawa with a fitted ε ([`options::PairPotential`]) —, hard core, E_KRA + ΔE/2 rates,
//!   Metropolis placement). σ, Ea, D, Haven ratio and occupancies are ensemble results over realisations
//!   ([`ensemble`]), the realisation spread in the error bar; realisations are added until the
//!   relative SE of σ(300 K) is below a target or a cap is hit.
//!
//! `halo kmc`, `halo validate` and the campaign pipeline (and so `halo eval`) call
//! [`evaluate`]; they differ only in the [`TransportSettings`] they pass.

pub mod averaged;
pub mod cache;
pub mod ensemble;
pub mod explicit;
pub mod grounding;
pub mod options;
pub mod report;
pub mod site_energies;
pub mod sublattice;

use halo_bvse::BvseParams;
use halo_core::Structure;
use halo_kmc::{KmcParams, KmcResult, MobileIonCount};
use halo_percolation::{PercolationParams, PercolationResult};
use serde::{Deserialize, Serialize};

pub use ensemble::{Ensemble, EnsembleSettings, RealisationSummary};
pub use options::{parse_relax_energy, ModelOptions, OptionError, PairPotential};
pub use report::kmc_json;
pub use sublattice::LiSublattice;

/// Which conductivity model the chain runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConductivityModel {
    /// Explicit configurations, interacting Li, all Li mobile, stations contracted.
    Explicit,
    /// The occupancy-averaged single-particle model (the default: it ranks the public
    /// validation set better, docs/physics.md §9.8).
    #[default]
    Averaged,
}

impl ConductivityModel {
    /// The name used in flags, workflow files and outputs.
    pub fn name(self) -> &'static str {
        match self {
            ConductivityModel::Explicit => "explicit",
            ConductivityModel::Averaged => "averaged",
        }
    }

    /// Parse `explicit` or `averaged`.
    pub fn parse(s: &str) -> Option<ConductivityModel> {
        match s {
            "explicit" => Some(ConductivityModel::Explicit),
            "averaged" => Some(ConductivityModel::Averaged),
            _ => None,
        }
    }

    /// A one-line description for provenance records.
    pub fn description(self) -> &'static str {
        match self {
            ConductivityModel::Explicit => {
                "explicit configurations (seeded integer-occupancy supercells) + BVSE (all Li mobile) \
                 + percolation + stations contracted + interacting-Li kMC (screened Coulomb \
                 pairs, BVSE or Yukawa form, E_KRA + dE/2), ensemble over realisations (halo)"
            }
            ConductivityModel::Averaged => {
                "occupancy-averaged BVSE (default mode) + percolation + single-particle kMC \
                 (fast descriptor, halo)"
            }
        }
    }
}

/// Everything the chain needs besides the structure.
#[derive(Clone, Debug)]
pub struct TransportSettings {
    /// The model.
    pub model: ConductivityModel,
    /// Landscape parameters (the model sets `mixed_site_mobile`).
    pub bvse: BvseParams,
    /// Percolation and site-graph parameters.
    pub percolation: PercolationParams,
    /// kMC parameters; `mobile_ions` is replaced by the count of the structure (or
    /// `mobile_per_cell`). The explicit model derives each realisation's seed from `seed`.
    pub kmc: KmcParams,
    /// Realisations, stopping rule and station depth of the explicit model.
    pub ensemble: EnsembleSettings,
    /// Stiffness c of the anions' bond-valence saturation lattice gas (explicit model;
    /// `halo_bvse::saturation`), eV/v.u.²; 0: no term.
    pub anion_saturation_ev: f64,
    /// Move the anions to the minimum of `relax_energy` before the landscape (averaged model;
    /// `halo_bvse::relax`).
    pub relax_anions: bool,
    /// The energy of that relaxation.
    pub relax_energy: halo_bvse::relax::RelaxEnergy,
    /// Mobile ions per structure cell instead of the composition's count.
    pub mobile_per_cell: Option<f64>,
    /// Site energies from another model put on the landscape minima before the kMC
    /// ([`site_energies`]; `halo kmc --site-energies`). `None`: the landscape's own.
    pub site_energies: Option<std::sync::Arc<halo_io::site_energies::SiteEnergies>>,
    /// Migration barriers (E_KRA) from another model set on the hops they name, after the site
    /// energies ([`site_energies::apply_hop_barriers`]; `halo kmc --hop-barriers`). `None`: the
    /// landscape's own.
    pub hop_barriers: Option<std::sync::Arc<halo_io::site_energies::HopBarriers>>,
    /// Fit the Li labels' energies to the file's occupancies before the run
    /// ([`grounding`]; `halo kmc --ground-occupancies`). `None`: the landscape's (or the file's).
    pub grounding: Option<grounding::GroundingSettings>,
    /// A stop request (SIGTERM/SIGINT): the kMC is abandoned within
    /// `halo_kmc::STOP_CHECK_EVENTS` events and the error says `interrupted`.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// What the chain produced.
#[derive(Clone, Debug)]
pub struct Transport {
    /// The model that ran.
    pub model: ConductivityModel,
    /// The mobile element's count from the composition (the explicit model counts every Li as
    /// mobile).
    pub mobile: MobileIonCount,
    /// The input's mobile-ion sites (whether every one is full: the models do not price the
    /// defects such a structure conducts by) and the share of the ions the kMC put elsewhere.
    pub li_sublattice: LiSublattice,
    /// The input's net charge (`halo_io::charge`, Z from the site types; `None` when a species
    /// has no oxidation state). Set once by [`evaluate`] for both models (`None` from a model's
    /// own `evaluate`). The chain runs on the charges as given; a structure that is not neutral
    /// gets a warning.
    pub charge: Option<halo_io::charge::ChargeBalance>,
    /// Set by [`evaluate`] when the input's cell was strongly sheared and the chain ran on the
    /// same lattice in its reduced basis (`halo_core::reduction`): the note that says so.
    pub cell_reduction: Option<String>,
    /// Mobile ions per structure cell placed on the network (ensemble mean for the explicit
    /// model: each realisation places the count that makes it neutral).
    pub mobile_per_cell_used: f64,
    /// Thresholds, site graph and parameters of the percolation stage (the first realisation's
    /// for the explicit model).
    pub percolation: PercolationResult,
    /// Sites of the kMC network per structure cell (first realisation).
    pub network_sites: usize,
    /// Hops of the kMC network per structure cell (first realisation).
    pub network_hops: usize,
    /// Landscape minima dropped because they sit on framework-cation sites (averaged model).
    pub framework_minima_dropped: usize,
    /// Shallow path stations contracted into hops (explicit model, first realisation).
    pub stations_contracted: usize,
    /// The kMC result (the ensemble result for the explicit model: means over realisations,
    /// SEs including the realisation spread; see [`ensemble`]).
    pub kmc: KmcResult,
    /// The explicit model's realisations and stopping rule.
    pub ensemble: Option<Ensemble>,
    /// What the anion relaxation did (averaged model with `relax_anions`).
    pub relaxation: Option<halo_bvse::relax::RelaxReport>,
    /// What the settings' site-energy file did to the network (the first realisation's for the
    /// explicit model).
    pub site_energies: Option<site_energies::SiteEnergyReport>,
    /// What the settings' hop-barrier file did (the first realisation's for the explicit model).
    pub hop_barriers: Option<site_energies::HopBarrierReport>,
    /// What the grounding of the occupancies fitted (`settings.grounding`).
    pub grounding: Option<grounding::GroundingReport>,
    /// Wall time of landscape + graph, s.
    pub landscape_graph_s: f64,
    /// Wall time of the kMC, s.
    pub kmc_s: f64,
}

impl Transport {
    /// Why the number may not be a prediction, one sentence each: the input is not charge
    /// neutral (docs/physics.md §1.3), or every Li site of it is full (§9.12); and the note that
    /// a sheared input cell was reduced first (positions are then in the reduced cell). Empty
    /// for an input inside the model's domain written in a reduced cell. `halo kmc` prints these
    /// on stderr, its JSON and `halo.kmc` carry them as `warnings`, a campaign record among its
    /// notes.
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .charge
            .as_ref()
            .and_then(halo_io::charge::charge_note)
            .into_iter()
            .collect();
        out.extend(self.cell_reduction.clone());
        out.extend(self.li_sublattice.warning());
        out
    }
}

/// A failed stage of the chain and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{stage}: {message}")]
pub struct TransportError {
    /// `bvse`, `graph` or `kmc` (the campaign's stage names).
    pub stage: &'static str,
    /// The reason.
    pub message: String,
    /// The chain was stopped on request (not a failure of the structure).
    pub interrupted: bool,
}

pub(crate) fn fail(stage: &'static str) -> impl Fn(String) -> TransportError {
    move |message| TransportError {
        stage,
        message,
        interrupted: false,
    }
}

/// The kMC error as a chain error (a stop request is `interrupted`).
pub(crate) fn kmc_error(e: halo_kmc::KmcError) -> TransportError {
    TransportError {
        stage: "kmc",
        interrupted: matches!(e, halo_kmc::KmcError::Stopped),
        message: e.to_string(),
    }
}

/// The cell the chain computes in: `structure` in its shear-reduced basis when its cell is
/// strongly sheared (`halo_core::reduction`; the grid's voxels take the cell's shape, so a
/// sheared basis of the same crystal gave other minima and a σ 5–7× off), with the matrix of
/// the new vectors; `None` when the cell is reduced already, or in bvlain's grid mode, which
/// reproduces bvlain on the cell as given. `halo bvse`, `halo sites`, `halo kmc`, `halo eval`,
/// campaigns and `halo validate` all compute in this cell.
pub fn chain_cell(
    structure: &Structure,
    bvse: &BvseParams,
) -> Option<(Structure, nalgebra::Matrix3<i64>)> {
    if bvse.mode == halo_bvse::GridMode::Bvlain {
        return None;
    }
    halo_core::reduction::shear_reduced(structure)
}

/// Run the chain on `structure` with the settings' model. `on_stage` is called with `"bvse"`,
/// `"graph"` and `"kmc"` as each stage finishes (progress bars; the explicit model reports each
/// stage once, after its first realisation's landscape and graph and after the last kMC).
///
/// With `settings.grounding` the Li labels' energies are first fitted to the file's
/// occupancies ([`grounding`]) and the run uses them as its site-energy table; a
/// site-energy file as well is refused (both would set the labels' energies).
pub fn evaluate(
    structure: &Structure,
    settings: &TransportSettings,
    on_stage: impl FnMut(&'static str),
) -> Result<Transport, TransportError> {
    // a sheared cell is sampled by a sheared grid: the chain runs on the reduced basis of the
    // same lattice, so the numbers do not depend on how the cell was written
    let reduced = chain_cell(structure, &settings.bvse);
    let structure = reduced.as_ref().map(|(s, _)| s).unwrap_or(structure);
    // one cache per call: the grounding's iterations and the run after them share the
    // structure's landscapes and networks
    let cache = cache::NetworkCache::default();
    let mut tr = match &settings.grounding {
        None => evaluate_model(structure, settings, &cache, on_stage)?,
        Some(g) => {
            if let Some(file) = &settings.site_energies {
                return Err(fail("kmc")(format!(
                    "grounding the occupancies and the site-energy file {} would both set the \
                     Li sites' energies: give one",
                    file.path
                )));
            }
            let report = grounding::ground(structure, settings, g, &cache)?;
            let mut s = settings.clone();
            if !report.labels.is_empty() {
                s.site_energies = Some(std::sync::Arc::new(report.table()));
            }
            let mut tr = evaluate_model(structure, &s, &cache, on_stage)?;
            tr.grounding = Some(report);
            tr
        }
    };
    tr.charge = halo_io::charge::charge_balance(structure);
    tr.cell_reduction = reduced.map(|(_, t)| halo_core::reduction::describe(&t));
    Ok(tr)
}

/// The settings' model on `structure`, as it is (no grounding, no charge balance), with the
/// landscapes and networks `cache` keeps from earlier evaluations of the same call
/// ([`cache`]).
pub(crate) fn evaluate_model(
    structure: &Structure,
    settings: &TransportSettings,
    cache: &cache::NetworkCache,
    on_stage: impl FnMut(&'static str),
) -> Result<Transport, TransportError> {
    match settings.model {
        ConductivityModel::Explicit => explicit::evaluate(structure, settings, cache, on_stage),
        ConductivityModel::Averaged => averaged::evaluate(structure, settings, cache, on_stage),
    }
}
