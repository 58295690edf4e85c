//! The chain of stages for one candidate: realise → BVSE landscape → percolation and site graph
//! → kinetic Monte Carlo → filters. Each stage's failure becomes a recorded failure with its
//! reason; the campaign goes on.

use crate::config::{BvseSection, KmcSection, LoadedWorkflow, Workflow};
use crate::error::CampaignError;
use crate::record::{ArrheniusPoint, CandidateRecord, Metrics, Outcome};
use crate::runner::StageProgress;
use halo_core::Structure;
use halo_enumerate::{EnumerationConfig, EnumerationResult, Realiser};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// The stages, in order (progress bars and timings use these names).
pub const STAGES: &[&str] = &["realise", "bvse", "graph", "kmc", "filters"];

/// What the report says about the models.
pub const MODEL_DESCRIPTION: &str = "Realisation: the occupancy-weighted average model of each \
candidate on its estimated lattice (halo-enumerate). Landscape: bond-valence site energy of Li+ \
(softBV parameters, Chen & Adams 2017; bvlain 0.25.1 conventions: Morse halved, screened Coulomb \
with factor 0.74, 14.4 eV·Å), every framework atom within 10 Å with occupancy weights; Li \
sharing a site with a framework cation stays in the framework (halo-bvse). Percolation: exact thresholds from a union-find sweep with winding vectors; Li sites \
= basin minima, edges = basin merges at saddles (halo-percolation). Transport: rejection-free kMC \
on the site graph, rates ν0·exp(−(E_saddle − E_site)/k_BT), one ion per site and near-site \
blocking, mobile Li = Li not sharing a site with a framework cation; σ = (N/V)e²D_σ/(k_BT); \
weighted Arrhenius fit of ln(σT) (halo-kmc). Filters: grand-potential anodic/cathodic limits \
from tabulated thermochemistry, band-gap estimate and open-shell check, element cost by mass \
fraction (halo-filters). The attempt frequency ν0 is the workflow's kmc.attempt_frequency_hz \
(default: the value fitted by scripts/calibrate_kmc.py on conductivity_calibration.csv only, \
crates/data/tables/kmc_calibration.csv; the value this campaign used is in the settings below); \
it scales σ and leaves Ea unchanged. How far this model can be trusted outside the paper's \
family is measured by `halo validate` (results/validation/report.md).";

/// What the report says about the models of a campaign run with `[kmc] model = "explicit"`
/// (docs/physics.md §9.8).
pub const EXPLICIT_MODEL_DESCRIPTION: &str = "Realisation: each candidate's partial and mixed \
occupancies realised explicitly as seeded integer-occupancy supercells (an ensemble of \
realisations; halo-enumerate disorder). Landscape: bond-valence site energy of Li+ on each \
realisation (softBV parameters, Chen & Adams 2017; bvlain 0.25.1 conventions), with every Li \
mobile, Li of a mixed site included. Percolation and sites: as for the averaged model, with \
minima shallower than the station depth (default 0.1 eV) between deeper sites contracted into \
the hop as stations. \
Transport: interacting-Li kinetic Monte Carlo (screened Coulomb Li–Li pairs, the BVSE \
like-charge term or a Yukawa form; a hard core, default 1.6 Å; rates ν0·exp(−(E_KRA + ΔE/2)/k_BT), exact \
detailed balance; Metropolis placement first); σ = (N/V)e²D_σ/(k_BT) per realisation, means \
over realisations with the realisation spread in the error bar; weighted Arrhenius fit of \
ln(σT). Filters: grand-potential anodic/cathodic limits from tabulated thermochemistry, \
band-gap estimate and open-shell check, element cost by mass fraction (halo-filters), on the \
candidate's exact composition. The attempt frequency ν0 is the workflow's \
kmc.attempt_frequency_hz (default: the explicit model's own calibrated value, \
crates/data/tables/kmc_calibration.csv); the values this campaign used are in the settings \
below and in each record's provenance. ν0 scales σ and leaves Ea unchanged. How far this model can be trusted is measured by \
`halo validate --model explicit` (results/validation_explicit/).";

/// Distance within which a landscape minimum is taken to sit on a framework cation site, Å.
pub use halo_kmc::mobile::FRAMEWORK_MINIMUM_TOLERANCE_ANG;

/// Loaded frameworks and their enumerations.
pub struct Context {
    pub workflow: Workflow,
    pub enumerations: Vec<(String, EnumerationResult)>,
    /// [`crate::fingerprint::settings_hash`] of the workflow and its framework files.
    pub settings_hash: String,
    /// Set on SIGTERM/SIGINT: running kMC trajectories are abandoned and their candidates are
    /// not recorded (a resume computes them again).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The framework files' reader warnings (a second data block, short contacts, the charge),
    /// each naming its file: `halo run` prints them, as every command that reads a file does.
    pub framework_warnings: Vec<String>,
}

impl Context {
    /// Read every framework CIF of the workflow and enumerate its candidates.
    pub fn new(lw: &LoadedWorkflow) -> Result<Context, CampaignError> {
        let w = &lw.workflow;
        let fractions = w
            .enumerate
            .fractions
            .values()
            .map_err(|reason| CampaignError::Config {
                path: lw.path.clone(),
                reason: format!("enumerate.fractions: {reason}"),
            })?;
        let mut enumerations = Vec::new();
        let mut framework_bytes = Vec::new();
        let mut framework_warnings = Vec::new();
        for f in &w.frameworks {
            let path = lw.resolve(&f.cif);
            framework_bytes.push(std::fs::read(&path).map_err(|e| CampaignError::io(&path, e))?);
            let loaded = halo_io::read_structure(&path).map_err(|e| CampaignError::Stage {
                stage: "framework",
                reason: e.to_string(),
            })?;
            framework_warnings.extend(loaded.warnings.iter().map(|w| {
                if w.starts_with(&loaded.source_path) {
                    w.clone()
                } else {
                    format!("{}: {w}", loaded.source_path)
                }
            }));
            let cfg = EnumerationConfig {
                framework_name: f.name.clone(),
                site: loaded
                    .resolve_site_label(&f.site)
                    .unwrap_or_else(|| f.site.clone()),
                dopants: w.enumerate.dopants.clone(),
                fractions: fractions.clone(),
                max_dopants: w.enumerate.max_dopants,
                radius_tolerance: w.enumerate.radius_tolerance,
                ..Default::default()
            };
            let result =
                halo_enumerate::enumerate_candidates(&loaded.structure, &cfg).map_err(|e| {
                    CampaignError::Config {
                        path: lw.path.clone(),
                        reason: format!("framework '{}' ({}): {e}", f.name, path.display()),
                    }
                })?;
            enumerations.push((f.name.clone(), result));
        }
        Ok(Context {
            settings_hash: crate::fingerprint::settings_hash(w, &framework_bytes),
            workflow: w.clone(),
            enumerations,
            stop: None,
            framework_warnings,
        })
    }
}

/// The settings hash of a loaded workflow (reads its framework files).
pub fn settings_hash_of(lw: &LoadedWorkflow) -> Result<String, CampaignError> {
    let bytes = lw
        .workflow
        .frameworks
        .iter()
        .map(|f| {
            let p = lw.resolve(&f.cif);
            std::fs::read(&p).map_err(|e| CampaignError::io(&p, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::fingerprint::settings_hash(&lw.workflow, &bytes))
}

/// A candidate to evaluate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlannedCandidate {
    pub id: String,
    pub framework: String,
    pub formula: String,
    pub dopants: BTreeMap<String, f64>,
    pub li_change_per_fu: f64,
    pub li_note: String,
    pub lattice_a_ang: f64,
    pub lattice_rule: String,
    /// Index into the framework's accepted list (not serialised in a stable form).
    #[serde(skip)]
    pub index: (usize, usize),
}

/// A candidate rejected by enumeration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlannedRejection {
    pub framework: String,
    pub dopants: BTreeMap<String, f64>,
    pub reason_kind: String,
    pub message: String,
}

/// The plan: accepted candidates sorted by id, and the rejections.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    pub candidates: Vec<PlannedCandidate>,
    pub rejected: Vec<PlannedRejection>,
}

/// The plan as written to `candidates.json`.
pub type Manifest = Plan;

impl Plan {
    /// The manifest view (the plan itself).
    pub fn manifest(&self) -> &Manifest {
        self
    }
}

/// Build the plan from the enumerations.
pub fn plan(ctx: &Context) -> Result<Plan, CampaignError> {
    let mut candidates = Vec::new();
    let mut rejected = Vec::new();
    for (fi, (name, res)) in ctx.enumerations.iter().enumerate() {
        for (ci, c) in res.accepted.iter().enumerate() {
            candidates.push(PlannedCandidate {
                id: c.id.clone(),
                framework: name.clone(),
                formula: c.formula.clone(),
                dopants: c
                    .dopants
                    .iter()
                    .map(|d| (d.species.to_string(), d.amount_per_fu))
                    .collect(),
                li_change_per_fu: c.li_change_per_fu,
                li_note: c.li_note.clone(),
                lattice_a_ang: c.lattice.a_ang,
                lattice_rule: c.lattice.rule.to_string(),
                index: (fi, ci),
            });
        }
        for r in &res.rejected {
            let kind = serde_json::to_value(&r.reason)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                .unwrap_or_else(|| "rejected".into());
            rejected.push(PlannedRejection {
                framework: name.clone(),
                dopants: r.dopants.iter().map(|(s, a)| (s.to_string(), *a)).collect(),
                reason_kind: kind,
                message: r.message.clone(),
            });
        }
    }
    candidates.sort_by(|a, b| a.id.cmp(&b.id));
    for w in candidates.windows(2) {
        if w[0].id == w[1].id {
            return Err(CampaignError::Stage {
                stage: "enumerate",
                reason: format!(
                    "candidate id {} appears twice ({} and {})",
                    w[0].id, w[0].framework, w[1].framework
                ),
            });
        }
    }
    Ok(Plan {
        candidates,
        rejected,
    })
}

/// The model options of a workflow's `[kmc]` and `[bvse]` sections with the campaign seed: the
/// same options, defaults and checks as `halo kmc` (`halo_campaign::transport::ModelOptions`;
/// Li sharing a site with a framework cation stays in the averaged model's framework, as in
/// `halo kmc`).
pub fn model_options(k: &KmcSection, b: &BvseSection, seed: u64) -> crate::transport::ModelOptions {
    crate::transport::ModelOptions {
        resolution_ang: b.resolution_ang,
        screening_factor: b.screening_factor,
        model: k.model,
        temperatures_k: Some(k.temperatures_k.clone()),
        seed,
        blocking_distance_ang: k.blocking_distance_ang,
        attempt_frequency_hz: k.attempt_frequency_hz,
        pair_potential: k.pair_potential,
        dielectric_constant: k.dielectric_constant,
        metropolis_sweeps_per_ion: k.metropolis_sweeps_per_ion,
        anion_saturation_ev: k.anion_saturation_ev,
        relax_anions: k.relax_anions,
        relax_energy: k.relax_energy,
        ensemble: crate::transport::EnsembleSettings {
            min_realisations: k.min_realisations,
            max_realisations: k.max_realisations,
            target_rel_se: k.target_rel_se,
            station_max_depth_ev: k.station_max_depth_ev,
            ..Default::default()
        },
        replicas: k.replicas,
        max_replicas: k.max_replicas,
        blocks: k.blocks,
        hops_per_block: k.hops_per_ion / k.blocks as f64,
        equilibration: k.equilibration_hops_per_ion,
        min_ions: k.min_ions,
        ..Default::default()
    }
}

/// The transport-chain settings of a workflow for a candidate seed (the mobile-ion count comes
/// from each structure). The section was checked when the workflow was read.
pub fn transport_settings(
    settings: StageSettings,
    seed: u64,
) -> Result<crate::transport::TransportSettings, String> {
    let (mut ts, _) = model_options(settings.kmc, settings.bvse, seed)
        .settings(None)
        .map_err(|e| e.in_workflow())?;
    ts.stop = settings.stop.cloned();
    Ok(ts)
}

struct Timer<'a> {
    timings: &'a mut BTreeMap<String, f64>,
    t: Instant,
}

impl Timer<'_> {
    fn lap(&mut self, stage: &str) {
        let now = Instant::now();
        self.timings
            .insert(stage.to_string(), (now - self.t).as_secs_f64());
        self.t = now;
    }
}

/// What is being evaluated: its id, formula and framework name.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub id: &'a str,
    pub formula: &'a str,
    pub framework: &'a str,
}

/// Where an evaluation writes its side results.
pub struct Sink<'a> {
    pub progress: Option<&'a StageProgress>,
    pub timings: &'a mut BTreeMap<String, f64>,
    pub details: &'a mut BTreeMap<String, serde_json::Value>,
}

/// The settings of the evaluation stages.
#[derive(Clone, Copy, Debug)]
pub struct StageSettings<'a> {
    pub bvse: &'a BvseSection,
    pub kmc: &'a KmcSection,
    /// A stop request that abandons the kMC (see [`STOPPED`]).
    pub stop: Option<&'a std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl<'a> StageSettings<'a> {
    /// The stage settings of a workflow.
    pub fn of(w: &'a Workflow) -> Self {
        StageSettings {
            bvse: &w.bvse,
            kmc: &w.kmc,
            stop: None,
        }
    }
}

/// The "stage" of an evaluation abandoned on a stop request: not a failure, nothing is
/// recorded for the candidate.
pub const STOPPED: &str = "stopped";

/// Run the landscape, graph, kMC and filter stages on one structure. Returns the metrics (stage details and timings go to `sink`), or the failing stage and
/// its reason.
pub fn evaluate_structure(
    structure: &Structure,
    target: Target,
    settings: StageSettings,
    seed: u64,
    sink: Sink,
) -> Result<Metrics, (&'static str, String)> {
    let Target {
        id,
        formula,
        framework,
    } = target;
    let Sink {
        progress,
        timings,
        details,
    } = sink;
    let mut timer = Timer {
        timings,
        t: Instant::now(),
    };
    let ts = transport_settings(settings, seed).map_err(|e| ("kmc", e))?;
    let tr = crate::transport::evaluate(structure, &ts, |stage| {
        timer.lap(stage);
        if let Some(p) = progress {
            p.done(stage)
        }
    })
    .map_err(|e| {
        if e.interrupted {
            (STOPPED, e.message)
        } else {
            (e.stage, e.message)
        }
    })?;
    let perc = &tr.percolation;
    let sg = &perc.site_graph;
    details.insert(
        "percolation".into(),
        serde_json::json!({
            "grid_min_ev": perc.grid_min_ev,
            "thresholds": perc.thresholds,
            "bvlain_rounded": perc.bvlain_rounded,
            "n_sites": sg.graph.node_count(),
            "n_edges": sg.graph.edge_count(),
            "excluded_framework_minima": tr.framework_minima_dropped,
            "resolution_ang": ts.bvse.resolution_ang,
            "params": perc.params,
        }),
    );
    let kr = &tr.kmc;
    let kp = &kr.params;
    let mobile = &tr.mobile;
    let fit = kr.arrhenius.clone();
    details.insert(
        "kmc".into(),
        serde_json::to_value(kr).map_err(|e| ("kmc", e.to_string()))?,
    );
    details.insert(
        "model".into(),
        serde_json::json!({"name": tr.model.name(), "description": tr.model.description(),
                           "stations_contracted": tr.stations_contracted,
                           "ensemble": tr.ensemble}),
    );
    details.insert(
        "mobile_ions".into(),
        serde_json::to_value(mobile).map_err(|e| ("kmc", e.to_string()))?,
    );
    details.insert(
        "li_sublattice".into(),
        serde_json::to_value(&tr.li_sublattice).map_err(|e| ("kmc", e.to_string()))?,
    );
    // why the number may not be a prediction (charge, full Li sublattice) and the cell note, as
    // `halo kmc` lists them (`halo eval` prints them; the record's notes carry them too)
    details.insert("warnings".into(), serde_json::json!(tr.warnings()));
    // filters, on the structure's exact composition per formula unit (Z from the site
    // multiplicities), as `halo eval` of the same structure: the record's formula is printed to
    // 4 decimals, which can miss the table row of the candidate's own composition
    let z = halo_io::charge::formula_units(structure);
    let comp = structure.composition().scaled(1.0 / z);
    let mut m = halo_filters::CandidateMetrics::with_filters_of(id, formula, &comp)
        .map_err(|e| ("filters", e.to_string()))?;
    m.framework = Some(framework.to_string());
    m.structure_file = Some(format!("structures/{id}.cif"));
    if let Some(f) = &fit {
        m.sigma_300k_s_per_cm = Some(f.sigma_300k_s_per_cm);
        m.sigma_300k_se_s_per_cm = Some(f.sigma_300k_se_s_per_cm);
        m.ea_ev = Some(f.ea_ev);
        m.ea_se_ev = Some(f.ea_se_ev);
    } else {
        m.verdicts
            .notes
            .push("no Arrhenius fit: fewer than two temperatures with a conductivity above the run's resolution".into());
    }
    m.verdicts.notes.extend(tr.warnings());
    // temperatures the kMC could not simulate are not in the fit: σ(300 K) may be extrapolated
    m.verdicts.notes.extend(kr.too_cold.iter().map(|c| {
        format!(
            "kMC at {} K not simulated, left out of the Arrhenius fit: {}",
            c.temperature_k, c.reason
        )
    }));
    m.provenance.model = tr.model.description().into();
    m.provenance.seed = Some(seed);
    m.provenance.halo_version = Some(env!("CARGO_PKG_VERSION").into());
    m.provenance
        .parameters
        .insert("bvse_resolution_ang".into(), ts.bvse.resolution_ang.into());
    m.provenance.parameters.insert(
        "kmc_attempt_frequency_hz".into(),
        kp.attempt_frequency_hz.into(),
    );
    m.provenance
        .parameters
        .insert("kmc_replicas".into(), (kp.replicas as u64).into());
    m.provenance.parameters.insert(
        "kmc_hops_per_ion".into(),
        (kp.hops_per_ion_per_block * kp.blocks_per_replica as f64).into(),
    );
    m.provenance.parameters.insert(
        "kmc_blocking_distance_ang".into(),
        kp.blocking_distance_ang.into(),
    );
    timer.lap("filters");
    if let Some(p) = progress {
        p.done("filters")
    }
    let lowest = kr
        .temperatures
        .iter()
        .filter(|t| t.is_resolved())
        .min_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k));
    Ok(Metrics {
        ranking: m,
        lattice_abc_ang: structure.lattice.abc(),
        e_1d_ev: perc.thresholds.e_1d_ev,
        e_2d_ev: perc.thresholds.e_2d_ev,
        e_3d_ev: perc.thresholds.e_3d_ev,
        n_sites: tr.network_sites,
        n_edges: tr.network_hops,
        mobile_ions_per_cell: mobile.mobile_per_cell,
        haven_ratio: lowest.map(|t| t.haven_ratio),
        arrhenius: kr
            .temperatures
            .iter()
            .map(|t| ArrheniusPoint {
                temperature_k: t.temperature_k,
                sigma_s_per_cm: t.sigma_s_per_cm,
                sigma_se_s_per_cm: t.sigma_se_s_per_cm,
                resolved: t.is_resolved(),
            })
            .collect(),
    })
}

/// Evaluate one planned candidate (never fails: a failing stage is recorded). `None` when a
/// stop request abandoned it: nothing is recorded and a resume computes it again.
pub fn evaluate(
    ctx: &Context,
    c: &PlannedCandidate,
    seed: u64,
    progress: &StageProgress,
) -> Option<CandidateRecord> {
    let mut timings = BTreeMap::new();
    let mut details = BTreeMap::new();
    let (fi, ci) = c.index;
    let res = &ctx.enumerations[fi].1;
    let cand = &res.accepted[ci];
    let t0 = Instant::now();
    let outcome = match Realiser::new(res).average_structure(cand) {
        Err(e) => {
            progress.skip_from("realise");
            Outcome::Failed {
                stage: "realise".into(),
                reason: e.to_string(),
            }
        }
        Ok(structure) => {
            timings.insert("realise".into(), t0.elapsed().as_secs_f64());
            progress.done("realise");
            if let Ok(v) = serde_json::to_value(&structure) {
                details.insert("structure".into(), v);
            }
            details.insert(
                "candidate".into(),
                serde_json::to_value(cand).unwrap_or(serde_json::Value::Null),
            );
            let target = Target {
                id: &c.id,
                formula: &c.formula,
                framework: &c.framework,
            };
            let sink = Sink {
                progress: Some(progress),
                timings: &mut timings,
                details: &mut details,
            };
            let settings = StageSettings {
                stop: ctx.stop.as_ref(),
                ..StageSettings::of(&ctx.workflow)
            };
            match evaluate_structure(&structure, target, settings, seed, sink) {
                Ok(m) => Outcome::Evaluated {
                    metrics: Box::new(m),
                },
                Err((STOPPED, _)) => return None,
                Err((stage, reason)) => {
                    // the stages it passed have a timing; every other bar counts it as done
                    let passed: Vec<&str> = timings.keys().map(String::as_str).collect();
                    progress.skip_all_but(&passed);
                    Outcome::Failed {
                        stage: stage.into(),
                        reason,
                    }
                }
            }
        }
    };
    Some(CandidateRecord {
        id: c.id.clone(),
        framework: c.framework.clone(),
        formula: c.formula.clone(),
        dopants: c.dopants.clone(),
        seed,
        outcome,
        details,
        timings_s: timings,
        fingerprint: Some(crate::fingerprint::fingerprint(&ctx.settings_hash, &c.id)),
    })
}
