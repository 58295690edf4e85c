//! `halo validate`: the conductivity model measured against measured halides.
//!
//! Every distinct structure of the set is run once through the transport chain
//! ([`crate::transport::evaluate`], the model of `halo kmc` with its defaults), and the predicted
//! σ(300 K) (Arrhenius fit) and Ea are compared with the measured values:
//! - per row, and per composition (geometric means of the measured and of the predicted σ over
//!   the rows of one composition, so a material measured four times counts once);
//! - with the attempt frequency ν0 as shipped, and leave-one-composition-out (LOCO): ν0 is the
//!   model's one fitted constant, fitted as ln ν0 = ln ν0_run + mean ln(σ_measured/σ_kMC) over
//!   the calibration pairs (rows of `conductivity_calibration.csv` and the structure each was
//!   measured on, the rule of `scripts/calibrate_kmc.py`); for each composition it is refitted
//!   without the pairs of that composition, and that composition is predicted with the refit.
//!   σ ∝ ν0 at fixed energies, so a refit rescales σ exactly without a new run.
//!
//! Optionally, the predicted 300 K occupancy of every refined Li site is set beside the refined
//! occupancy, and K copies of every structure with OBELiX-style coordinate noise
//! ([`halo_io::perturb`]) measure how far σ and Ea move with the noise public datasets carry.

pub mod baseline;
mod checks;
mod evaluate;
pub mod input;
pub mod metrics;
mod output;
mod plot;
mod score;

pub use input::{CalibrationPair, SetRow, SiteRow};
pub use output::write_outputs;

use crate::error::CampaignError;
use crate::transport::TransportSettings;
use halo_kmc::ClassOccupancy;
use metrics::Metrics;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to run besides the set itself.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// The transport model (`halo kmc`'s settings).
    pub settings: TransportSettings,
    /// Where the attempt frequency comes from (written into the JSON as is).
    pub calibration: serde_json::Value,
    /// Refined Li sites to compare occupancies with.
    pub sites: Vec<SiteRow>,
    /// Calibration pairs for the LOCO refit of ν0.
    pub calibration_pairs: Vec<CalibrationPair>,
    /// Path of the calibration-pairs file, for the report.
    pub calibration_pairs_path: Option<PathBuf>,
    /// Noisy copies per structure (0: no noise study).
    pub noise_copies: usize,
    /// Noise σ, fractional units.
    pub noise_sigma_frac: f64,
    /// Further passes over the set at the seeds after the run's (seed + 1, seed + 2, …), without
    /// the noise study, to show how far single-run metrics move with the kMC's and the
    /// realisations' random streams (0: none).
    pub seed_repeats: usize,
    /// A previous run of the same set to compare with on the rows both evaluated.
    pub baseline: Option<baseline::Baseline>,
    /// Site energies and hop barriers from another model, per structure file (`--energies`).
    pub energies: Vec<input::EnergyFiles>,
}

/// The model's numbers for one structure.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    pub sigma_300k_s_per_cm: f64,
    pub sigma_300k_se_s_per_cm: f64,
    pub ea_ev: f64,
    pub ea_se_ev: f64,
    /// Li per cell: all, and on the kMC network.
    pub li_total_per_cell: f64,
    pub li_mobile_per_cell: f64,
    pub e_3d_ev: Option<f64>,
    pub n_ions: usize,
    pub supercell: [usize; 3],
    /// Share of the mobile Li on landscape minima that match no Li site of the file, at the
    /// lowest temperature (`transport::LiSublattice::interstitial_share`; `None` when the file's
    /// sites carry no labels).
    pub interstitial_fraction: Option<f64>,
    /// Time-averaged occupancies per site class at the lowest temperature.
    pub occupancies: Vec<ClassOccupancy>,
    pub lowest_temperature_k: f64,
    /// Temperatures whose σ was below the run's resolution and so not fitted
    /// (`halo_kmc::TemperatureResult::is_resolved`), K.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved_temperatures_k: Vec<f64>,
    /// How the kMC's stopping rule ended (averaged model; `halo_kmc::replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopping: Option<halo_kmc::ReplicaStopping>,
    /// The relative SE of σ(300 K) when the stopping rule ended above its target: the averaged
    /// model's replicas or the explicit model's realisations (at the cap, or on scatter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_se_above_target: Option<f64>,
}

/// One structure file and what the model made of it (and of its noisy copies).
#[derive(Clone, Debug, Serialize)]
pub struct StructureOutcome {
    /// The file as the input names it.
    pub file: String,
    /// SHA-256 of the file's bytes (16 hex digits), so a `--baseline` comparison knows an input
    /// changed in place from one moved unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    pub formula: Option<String>,
    /// The prediction, or the stage and reason it failed.
    pub result: Result<Prediction, String>,
    /// Refined Li occupancies per CIF label, and whether the site is shared with a framework
    /// cation.
    pub refined_li: Vec<RefinedLi>,
    /// Noisy copies: (seed, prediction or failure).
    pub noise: Vec<NoisyCopy>,
    /// The input's Li-only sites (whether every one is full; `transport::sublattice`), from the
    /// file as read (also for a failed run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub li_sublattice: Option<crate::transport::LiSublattice>,
    /// What the reader found in the file (a skipped zero-occupancy row, an oxidation state that
    /// contradicts the type symbol, …) and its charge balance when it is not neutral: what
    /// `halo kmc` prints on stderr for the same file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The other model's energies its runs used (`--energies`): `site energies F; hop barriers G`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_energies: Option<String>,
    /// What `--ground-occupancies` fitted on the unperturbed structure
    /// (`transport::grounding`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounding: Option<crate::transport::grounding::GroundingReport>,
}

/// A refined Li site of a structure.
#[derive(Clone, Debug, Serialize)]
pub struct RefinedLi {
    pub label: String,
    pub occupancy: f64,
    /// The refined occupancy's standard uncertainty, where the file states one (`0.61(3)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupancy_esd: Option<f64>,
    pub shared_with_framework_cation: bool,
    /// Sites of this label in the structure cell.
    pub sites_per_cell: usize,
    /// The label's Wyckoff symbols in the file (`16c`): the literature-origin letter that
    /// `halo inspect` prints first and moyo's own when they differ (docs/physics.md §0.3); empty
    /// when the symmetry analysis failed. `--sites` rows are checked against them.
    #[serde(skip)]
    pub wyckoff: Vec<String>,
}

/// One noisy copy of a structure.
#[derive(Clone, Debug, Serialize)]
pub struct NoisyCopy {
    pub seed: u64,
    pub sigma_300k_s_per_cm: Option<f64>,
    pub ea_ev: Option<f64>,
    pub error: Option<String>,
    /// The other model's energies this copy used and how much of its network they covered
    /// (`--energies`; a noisy landscape can have minima the file's position rows do not reach).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_energies: Option<String>,
}

/// A scored row of the set.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct RowResult {
    #[serde(flatten)]
    pub row: SetRow,
    pub status: String,
    pub reason: Option<String>,
    pub predicted_sigma_300k_s_per_cm: Option<f64>,
    pub predicted_sigma_300k_se_s_per_cm: Option<f64>,
    pub predicted_ea_ev: Option<f64>,
    pub predicted_ea_se_ev: Option<f64>,
    pub log10_error: Option<f64>,
    pub loco_attempt_frequency_hz: Option<f64>,
    pub loco_predicted_sigma_300k_s_per_cm: Option<f64>,
    pub loco_log10_error: Option<f64>,
    pub diagnosis: Option<String>,
    /// The structure's temperatures whose σ was below the run's resolution (not fitted), K.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved_temperatures_k: Vec<f64>,
    /// The relative SE of σ(300 K) when the kMC's stopping rule ended above its target (the
    /// cap, or scatter between temperatures): a prediction measured less well than asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel_se_above_target: Option<f64>,
    /// Every Li-only site of the row's structure is full (`transport::sublattice`): the model
    /// does not price what carries its current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub li_sites_full: Option<bool>,
    /// The structure file's warnings (its [`StructureOutcome::warnings`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// SHA-256 of the structure file's bytes ([`StructureOutcome::file_sha256`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// The other model's energies the structure's runs used
    /// ([`StructureOutcome::external_energies`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_energies: Option<String>,
}

/// A composition scored once.
#[derive(Clone, Debug, Serialize)]
pub struct CompositionResult {
    pub formula: String,
    pub rows: Vec<String>,
    pub measured_sigma_s_per_cm: f64,
    pub measured_ea_ev: Option<f64>,
    pub predicted_sigma_300k_s_per_cm: Option<f64>,
    pub predicted_ea_ev: Option<f64>,
    pub loco_predicted_sigma_300k_s_per_cm: Option<f64>,
    pub log10_error: Option<f64>,
    pub loco_log10_error: Option<f64>,
}

/// Predicted vs refined occupancy of one refined Li site.
#[derive(Clone, Debug, Serialize)]
pub struct OccupancyComparison {
    pub file: String,
    pub label: String,
    pub wyckoff: String,
    pub refined_occupancy: Option<f64>,
    /// The refined occupancy's standard uncertainty as the file states it; `None` when the file
    /// gives none (every bundled refinement) or for minima matching no refined site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refined_occupancy_esd: Option<f64>,
    pub predicted_occupancy_300k: Option<f64>,
    pub difference: Option<f64>,
    pub note: String,
}

/// How far noise moves the prediction of one structure.
#[derive(Clone, Debug, Serialize)]
pub struct NoiseSummary {
    pub file: String,
    pub copies: usize,
    pub failed: usize,
    /// The first failed copy's reason (the report names it; every copy's is in `structures`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
    pub median_abs_dlog10_sigma: Option<f64>,
    pub worst_abs_dlog10_sigma: Option<f64>,
    pub median_abs_dea_ev: Option<f64>,
    pub worst_abs_dea_ev: Option<f64>,
}

/// The attempt frequencies involved.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptFrequencies {
    /// The value the run used (the calibrated default unless overridden).
    pub used_hz: f64,
    /// Refit on every calibration pair with this run's predictions.
    pub refit_all_hz: Option<f64>,
    /// Pairs the refit used.
    pub n_pairs: usize,
    /// Per composition of the set: the refit without that composition's pairs.
    pub loco_hz: BTreeMap<String, f64>,
}

/// The metrics of one pass over the set at another seed (see [`ValidateOptions::seed_repeats`]).
#[derive(Clone, Debug, Serialize)]
pub struct SeedRun {
    /// The master seed of the pass.
    pub seed: u64,
    pub metrics: Metrics,
    pub metrics_per_composition: Metrics,
    pub metrics_loco: Metrics,
    pub metrics_loco_per_composition: Metrics,
}

/// The per-row metrics of the rows whose input lists vacant Li sites and of those whose every
/// Li site is full (docs/physics.md §9.12), ν0 as shipped and LOCO.
#[derive(Clone, Debug, Serialize)]
pub struct SublatticeSplit {
    pub vacant_sites: Metrics,
    pub vacant_sites_loco: Metrics,
    pub full_sites: Metrics,
    pub full_sites_loco: Metrics,
}

impl SublatticeSplit {
    fn new(rows: &[RowResult]) -> SublatticeSplit {
        let part = |full: bool| -> Vec<RowResult> {
            rows.iter()
                .filter(|r| r.li_sites_full == Some(full))
                .cloned()
                .collect()
        };
        let (vacant, full) = (part(false), part(true));
        SublatticeSplit {
            vacant_sites: score::row_metrics(&vacant, false),
            vacant_sites_loco: score::row_metrics(&vacant, true),
            full_sites: score::row_metrics(&full, false),
            full_sites_loco: score::row_metrics(&full, true),
        }
    }
}

/// Bootstrap draws of [`ValidationReport::sampling_loco_per_composition`].
const SAMPLING_DRAWS: usize = 2000;

/// Everything `halo validate` found.
#[derive(Clone, Debug, Serialize)]
pub struct ValidationReport {
    pub set: String,
    pub calibration: serde_json::Value,
    pub calibration_pairs_file: Option<String>,
    pub calibration_pairs: Vec<CalibrationPair>,
    pub settings: serde_json::Value,
    pub metrics: Metrics,
    pub metrics_per_composition: Metrics,
    pub metrics_loco: Metrics,
    pub metrics_loco_per_composition: Metrics,
    /// The sampling uncertainty of the per-composition LOCO metrics (bootstrap over the
    /// compositions; `None` below four): how much the set alone moves them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampling_loco_per_composition: Option<metrics::SamplingInterval>,
    /// Per row, split by whether the input's Li sites are all full.
    pub by_li_sublattice: SublatticeSplit,
    pub attempt_frequency: AttemptFrequencies,
    pub rows: Vec<RowResult>,
    pub compositions: Vec<CompositionResult>,
    pub structures: Vec<StructureOutcome>,
    pub occupancies: Vec<OccupancyComparison>,
    pub noise_sigma_frac: f64,
    pub noise: Vec<NoiseSummary>,
    /// Passes at further seeds (the first pass, this report's, is not repeated here).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seed_runs: Vec<SeedRun>,
    /// This run against a baseline run on the rows both evaluated (`--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineComparison>,
    /// What the reader noticed in the set and the calibration pairs
    /// ([`input::composition_notes`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Wall time of the whole run, s.
    pub wall_s: f64,
}

/// Run the set. `progress(done, total, file)` is called as each structure (or copy) finishes.
pub fn run(
    set_path: &std::path::Path,
    rows: Vec<SetRow>,
    opts: &ValidateOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<ValidationReport, CampaignError> {
    let t0 = std::time::Instant::now();
    let files = evaluate::Files::new(
        rows.iter()
            .map(|r| (r.file.as_str(), &r.path))
            .chain(opts.sites.iter().map(|s| (s.file.as_str(), &s.path)))
            .chain(
                opts.calibration_pairs
                    .iter()
                    .map(|c| (c.file.as_str(), &c.path)),
            ),
    );
    let structures = evaluate::evaluate_all(&files, opts, progress);
    let attempt_frequency = score::Refit::new(
        opts.settings.kmc.attempt_frequency_hz,
        &opts.calibration_pairs,
        &files,
        &structures,
    )
    .summary(&rows);
    let row_results: Vec<RowResult> = rows
        .iter()
        .map(|r| {
            score::score_row(
                r,
                &structures[files.index(&r.path)],
                &attempt_frequency,
                opts.settings.kmc.blocking_distance_ang,
            )
        })
        .collect();
    let compositions = score::compositions(&row_results);
    let occupancies =
        checks::occupancy_comparisons(&opts.sites, &files, &structures, opts.settings.model);
    let noise = if opts.noise_copies == 0 {
        Vec::new()
    } else {
        checks::noise_summaries(&structures)
    };
    let mut seed_runs = Vec::new();
    for k in 1..=opts.seed_repeats as u64 {
        let mut o = opts.clone();
        o.settings.kmc.seed = opts.settings.kmc.seed.wrapping_add(k);
        o.noise_copies = 0;
        o.seed_repeats = 0;
        o.sites = Vec::new();
        o.baseline = None;
        let r = run(set_path, rows.clone(), &o, progress)?;
        seed_runs.push(SeedRun {
            seed: o.settings.kmc.seed,
            metrics: r.metrics,
            metrics_per_composition: r.metrics_per_composition,
            metrics_loco: r.metrics_loco,
            metrics_loco_per_composition: r.metrics_loco_per_composition,
        });
    }
    let baseline = opts.baseline.as_ref().map(|b| b.compare(&row_results));
    Ok(ValidationReport {
        baseline,
        set: set_path.display().to_string(),
        calibration: opts.calibration.clone(),
        calibration_pairs_file: opts
            .calibration_pairs_path
            .as_ref()
            .map(|p| p.display().to_string()),
        calibration_pairs: opts.calibration_pairs.clone(),
        settings: serde_json::json!({
            "model": opts.settings.model.name(),
            "model_description": opts.settings.model.description(),
            "ensemble": opts.settings.ensemble,
            "bvse_resolution_ang": opts.settings.bvse.resolution_ang,
            "kmc": opts.settings.kmc,
            "percolation": opts.settings.percolation,
            "noise_copies": opts.noise_copies,
        }),
        metrics: score::row_metrics(&row_results, false),
        metrics_per_composition: score::composition_metrics(&compositions, false),
        metrics_loco: score::row_metrics(&row_results, true),
        metrics_loco_per_composition: score::composition_metrics(&compositions, true),
        sampling_loco_per_composition: metrics::sampling_interval(
            &score::composition_points(&compositions, true),
            SAMPLING_DRAWS,
            0,
        ),
        by_li_sublattice: SublatticeSplit::new(&row_results),
        attempt_frequency,
        rows: row_results,
        compositions,
        structures,
        occupancies,
        noise_sigma_frac: opts.noise_sigma_frac,
        noise,
        seed_runs,
        notes: input::composition_notes(
            rows.iter().map(|r| r.formula.as_str()).chain(
                opts.calibration_pairs
                    .iter()
                    .map(|c| c.composition.as_str()),
            ),
        ),
        wall_s: t0.elapsed().as_secs_f64(),
    })
}
