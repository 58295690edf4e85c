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

pub mod input;
pub mod metrics;
mod output;
mod plot;

pub use input::{CalibrationPair, SetRow, SiteRow};
pub use output::write_outputs;

use crate::error::CampaignError;
use crate::transport::{Transport, TransportSettings};
use halo_kmc::ClassOccupancy;
use metrics::{Metrics, Point};
use rayon::prelude::*;
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
    /// Share of the mobile Li on landscape minima that match no refined Li site, at the lowest
    /// temperature.
    pub interstitial_fraction: f64,
    /// Time-averaged occupancies per site class at the lowest temperature.
    pub occupancies: Vec<ClassOccupancy>,
    pub lowest_temperature_k: f64,
}

/// One structure file and what the model made of it (and of its noisy copies).
#[derive(Clone, Debug, Serialize)]
pub struct StructureOutcome {
    /// The file as the input names it.
    pub file: String,
    pub formula: Option<String>,
    /// The prediction, or the stage and reason it failed.
    pub result: Result<Prediction, String>,
    /// Refined Li occupancies per CIF label, and whether the site is shared with a framework
    /// cation.
    pub refined_li: Vec<RefinedLi>,
    /// Noisy copies: (seed, prediction or failure).
    pub noise: Vec<NoisyCopy>,
}

/// A refined Li site of a structure.
#[derive(Clone, Debug, Serialize)]
pub struct RefinedLi {
    pub label: String,
    pub occupancy: f64,
    pub shared_with_framework_cation: bool,
}

/// One noisy copy of a structure.
#[derive(Clone, Debug, Serialize)]
pub struct NoisyCopy {
    pub seed: u64,
    pub sigma_300k_s_per_cm: Option<f64>,
    pub ea_ev: Option<f64>,
    pub error: Option<String>,
}

/// A scored row of the set.
#[derive(Clone, Debug, Serialize)]
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
    pub attempt_frequency: AttemptFrequencies,
    pub rows: Vec<RowResult>,
    pub compositions: Vec<CompositionResult>,
    pub structures: Vec<StructureOutcome>,
    pub occupancies: Vec<OccupancyComparison>,
    pub noise_sigma_frac: f64,
    pub noise: Vec<NoiseSummary>,
    /// Wall time of the whole run, s.
    pub wall_s: f64,
}

fn prediction(tr: &Transport, refined: &[RefinedLi]) -> Result<Prediction, String> {
    let fit = tr
        .kmc
        .arrhenius
        .as_ref()
        .ok_or("kmc: no Arrhenius fit (fewer than two temperatures with σ > 0)")?;
    let lowest = tr
        .kmc
        .temperatures
        .iter()
        .min_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k))
        .ok_or("kmc: no temperature")?;
    let total: f64 = lowest.occupancies.iter().map(|o| o.ions_per_cell).sum();
    let inter: f64 = lowest
        .occupancies
        .iter()
        .filter(|o| !refined.iter().any(|r| r.label == o.label))
        .map(|o| o.ions_per_cell)
        .sum();
    Ok(Prediction {
        sigma_300k_s_per_cm: fit.sigma_300k_s_per_cm,
        sigma_300k_se_s_per_cm: fit.sigma_300k_se_s_per_cm,
        ea_ev: fit.ea_ev,
        ea_se_ev: fit.ea_se_ev,
        li_total_per_cell: tr.mobile.total_per_cell,
        li_mobile_per_cell: tr.mobile_per_cell_used,
        e_3d_ev: tr.percolation.thresholds.e_3d_ev,
        n_ions: tr.kmc.n_ions,
        supercell: tr.kmc.supercell,
        interstitial_fraction: if total > 0.0 { inter / total } else { 0.0 },
        occupancies: lowest.occupancies.clone(),
        lowest_temperature_k: lowest.temperature_k,
    })
}

fn refined_li(loaded: &halo_io::LoadedStructure) -> Vec<RefinedLi> {
    let li = halo_core::Element::LI;
    let mut out: Vec<RefinedLi> = Vec::new();
    for (site, origins) in loaded.structure.sites.iter().zip(&loaded.site_origins) {
        let shared = site
            .species
            .iter()
            .any(|(sp, o)| sp.element != li && *o > 0.0 && !sp.element.is_halogen());
        for &a in origins {
            let row = &loaded.asymmetric_sites[a];
            if row.species.element == li && !out.iter().any(|r| r.label == row.label) {
                out.push(RefinedLi {
                    label: row.label.clone(),
                    occupancy: row.occupancy,
                    shared_with_framework_cation: shared,
                });
            }
        }
    }
    out
}

fn evaluate_file(
    file: &str,
    path: &std::path::Path,
    copy: usize,
    opts: &ValidateOptions,
) -> (
    Option<String>,
    Vec<RefinedLi>,
    Result<Prediction, String>,
    u64,
) {
    let noise_seed =
        halo_core::seed::candidate_seed(opts.settings.kmc.seed, &format!("{file}#noise{copy}"));
    let loaded = match halo_io::read_structure(path) {
        Ok(l) => l,
        Err(e) => return (None, Vec::new(), Err(format!("read: {e}")), noise_seed),
    };
    let refined = refined_li(&loaded);
    let formula = Some(loaded.structure.composition().reduced_formula());
    let structure = if copy == 0 {
        loaded.structure.clone()
    } else {
        match halo_io::perturb::perturb(&loaded, opts.noise_sigma_frac, noise_seed) {
            Ok(s) => s,
            Err(e) => return (formula, refined, Err(format!("perturb: {e}")), noise_seed),
        }
    };
    let result = crate::transport::evaluate(&structure, &opts.settings, |_| {})
        .map_err(|e| e.to_string())
        .and_then(|tr| prediction(&tr, &refined));
    (formula, refined, result, noise_seed)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

fn geometric_mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}

/// One line naming the stage that puts a row more than a decade off (or failed it), from the
/// numbers the run produced.
fn diagnose(row: &RowResult, p: Option<&Prediction>) -> Option<String> {
    if let Some(reason) = &row.reason {
        return Some(if reason.contains("jammed") {
            "jammed network: with every Li site full and 2.5 Å hard blocking no hop is \
             possible; the model has no defect formation (Frenkel pairs, vacancies)"
                .into()
        } else if reason.contains("cannot place") {
            "mobile-ion count vs blocking: the composition's Li do not fit on the landscape \
             minima under the 2.5 Å blocking rule (sites of a full sublattice closer than that)"
                .into()
        } else {
            format!("failed stage: {reason}")
        });
    }
    let (err, p) = (row.log10_error?, p?);
    if err.abs() <= 1.0 {
        return None;
    }
    Some(if err > 0.0 {
        if p.interstitial_fraction > 0.05 {
            format!(
                "site energies / missing interstitials cost: {:.0} % of the mobile Li sit on \
                 landscape minima with no refined Li (interstitials that cost little in the \
                 single-particle landscape), a vacancy network the real material lacks",
                100.0 * p.interstitial_fraction
            )
        } else if p.li_total_per_cell > p.li_mobile_per_cell + 1e-9 {
            format!(
                "mobile-ion count: {:.2} of {:.2} Li per cell counted as framework (shared \
                 sites averaged), leaving a vacancy-rich network",
                p.li_total_per_cell - p.li_mobile_per_cell,
                p.li_total_per_cell
            )
        } else {
            format!(
                "barrier: hops too easy (BVSE E_3D = {:.3} eV, predicted Ea {:.3} eV{})",
                p.e_3d_ev.unwrap_or(f64::NAN),
                p.ea_ev,
                row.row
                    .ea_ev
                    .map(|e| format!(", measured {e:.2} eV"))
                    .unwrap_or_default()
            )
        }
    } else if p.e_3d_ev.is_some_and(|e| p.ea_ev > e + 0.15) {
        format!(
            "blocking / full Li sublattice: predicted Ea {:.3} eV exceeds the BVSE path barrier \
             E_3D = {:.3} eV; with few vacancies and 2.5 Å hard blocking most hops are \
             forbidden (the model has no defect formation)",
            p.ea_ev,
            p.e_3d_ev.unwrap_or(f64::NAN)
        )
    } else {
        format!(
            "barrier: BVSE path barrier E_3D = {} too high (predicted Ea {:.3} eV{})",
            p.e_3d_ev
                .map(|e| format!("{e:.3} eV"))
                .unwrap_or_else(|| "none (no 3D path)".into()),
            p.ea_ev,
            row.row
                .ea_ev
                .map(|e| format!(", measured {e:.2} eV"))
                .unwrap_or_default()
        )
    })
}

/// Run the set. `progress(done, total, file)` is called as each structure (or copy) finishes.
pub fn run(
    set_path: &std::path::Path,
    rows: Vec<SetRow>,
    opts: &ValidateOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<ValidationReport, CampaignError> {
    let t0 = std::time::Instant::now();
    // distinct structures, in first-appearance order
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut add = |file: &str, path: &PathBuf| {
        let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
        if !files
            .iter()
            .any(|(_, p)| p.canonicalize().unwrap_or_else(|_| p.clone()) == canon)
        {
            files.push((file.to_string(), path.clone()));
        }
    };
    for r in &rows {
        add(&r.file, &r.path);
    }
    for s in &opts.sites {
        add(&s.file, &s.path);
    }
    for c in &opts.calibration_pairs {
        add(&c.file, &c.path);
    }
    let key_of = |path: &PathBuf| -> usize {
        let canon = path.canonicalize().unwrap_or_else(|_| path.clone());
        files
            .iter()
            .position(|(_, p)| p.canonicalize().unwrap_or_else(|_| p.clone()) == canon)
            .expect("every file was added")
    };
    let jobs: Vec<(usize, usize)> = (0..files.len())
        .flat_map(|f| (0..=opts.noise_copies).map(move |k| (f, k)))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<_> = jobs
        .par_iter()
        .map(|&(f, k)| {
            let (file, path) = &files[f];
            let r = evaluate_file(file, path, k, opts);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let what = if k == 0 {
                file.clone()
            } else {
                format!("{file} (noisy copy {k})")
            };
            progress(n, jobs.len(), &what);
            r
        })
        .collect();
    let mut structures: Vec<StructureOutcome> = files
        .iter()
        .map(|(file, _)| StructureOutcome {
            file: file.clone(),
            formula: None,
            result: Err("not run".into()),
            refined_li: Vec::new(),
            noise: Vec::new(),
        })
        .collect();
    for (&(f, k), (formula, refined, result, seed)) in jobs.iter().zip(results) {
        let s = &mut structures[f];
        if k == 0 {
            s.formula = formula;
            s.refined_li = refined;
            s.result = result;
        } else {
            let (sigma, ea, error) = match result {
                Ok(p) => (Some(p.sigma_300k_s_per_cm), Some(p.ea_ev), None),
                Err(e) => (None, None, Some(e)),
            };
            s.noise.push(NoisyCopy {
                seed,
                sigma_300k_s_per_cm: sigma,
                ea_ev: ea,
                error,
            });
        }
    }

    // ν0: as used, refit on all pairs, and without each composition
    let used = opts.settings.kmc.attempt_frequency_hz;
    let pair_logs: Vec<(String, f64)> = opts
        .calibration_pairs
        .iter()
        .filter_map(|c| {
            let p = structures[key_of(&c.path)].result.as_ref().ok()?;
            Some((
                c.composition.clone(),
                (c.sigma_rt_s_per_cm / p.sigma_300k_s_per_cm).ln(),
            ))
        })
        .collect();
    let refit = |skip: Option<&str>| -> Option<f64> {
        let v: Vec<f64> = pair_logs
            .iter()
            .filter(|(c, _)| skip.is_none_or(|s| !input::same_composition(c, s)))
            .map(|(_, l)| *l)
            .collect();
        (!v.is_empty()).then(|| used * (v.iter().sum::<f64>() / v.len() as f64).exp())
    };
    let mut loco_hz = BTreeMap::new();
    for r in &rows {
        if let Some(v) = refit(Some(&r.formula)) {
            loco_hz.insert(r.formula.clone(), v);
        }
    }

    // rows
    let mut row_results: Vec<RowResult> = Vec::new();
    for r in &rows {
        let s = &structures[key_of(&r.path)];
        let mut rr = RowResult {
            row: r.clone(),
            status: "ok".into(),
            reason: None,
            predicted_sigma_300k_s_per_cm: None,
            predicted_sigma_300k_se_s_per_cm: None,
            predicted_ea_ev: None,
            predicted_ea_se_ev: None,
            log10_error: None,
            loco_attempt_frequency_hz: loco_hz.get(&r.formula).copied(),
            loco_predicted_sigma_300k_s_per_cm: None,
            loco_log10_error: None,
            diagnosis: None,
        };
        match &s.result {
            Err(e) => {
                rr.status = "failed".into();
                rr.reason = Some(e.clone());
            }
            Ok(p) => {
                let sigma = p.sigma_300k_s_per_cm;
                rr.predicted_sigma_300k_s_per_cm = Some(sigma);
                rr.predicted_sigma_300k_se_s_per_cm = Some(p.sigma_300k_se_s_per_cm);
                rr.predicted_ea_ev = Some(p.ea_ev);
                rr.predicted_ea_se_ev = Some(p.ea_se_ev);
                if sigma > 0.0 && sigma.is_finite() {
                    rr.log10_error = Some((sigma / r.sigma_rt_s_per_cm).log10());
                    if let Some(nu) = rr.loco_attempt_frequency_hz {
                        let l = sigma * nu / used;
                        rr.loco_predicted_sigma_300k_s_per_cm = Some(l);
                        rr.loco_log10_error = Some((l / r.sigma_rt_s_per_cm).log10());
                    }
                } else {
                    rr.status = "failed".into();
                    rr.reason = Some(format!("kmc: predicted σ(300 K) = {sigma} S/cm"));
                }
            }
        }
        rr.diagnosis = diagnose(&rr, s.result.as_ref().ok());
        row_results.push(rr);
    }

    // compositions
    let mut compositions: Vec<CompositionResult> = Vec::new();
    for r in &row_results {
        if compositions
            .iter()
            .any(|c| input::same_composition(&c.formula, &r.row.formula))
        {
            continue;
        }
        let members: Vec<&RowResult> = row_results
            .iter()
            .filter(|x| input::same_composition(&x.row.formula, &r.row.formula))
            .collect();
        let measured: Vec<f64> = members.iter().map(|x| x.row.sigma_rt_s_per_cm).collect();
        let ok: Vec<&&RowResult> = members
            .iter()
            .filter(|x| x.predicted_sigma_300k_s_per_cm.is_some() && x.status == "ok")
            .collect();
        let pred: Vec<f64> = ok
            .iter()
            .filter_map(|x| x.predicted_sigma_300k_s_per_cm)
            .collect();
        let loco: Vec<f64> = ok
            .iter()
            .filter_map(|x| x.loco_predicted_sigma_300k_s_per_cm)
            .collect();
        let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let m = geometric_mean(&measured).expect("a composition has a row");
        let p = geometric_mean(&pred);
        let l = geometric_mean(&loco);
        compositions.push(CompositionResult {
            formula: r.row.formula.clone(),
            rows: members.iter().map(|x| x.row.id.clone()).collect(),
            measured_sigma_s_per_cm: m,
            measured_ea_ev: mean(members.iter().filter_map(|x| x.row.ea_ev).collect()),
            predicted_sigma_300k_s_per_cm: p,
            predicted_ea_ev: mean(ok.iter().filter_map(|x| x.predicted_ea_ev).collect()),
            loco_predicted_sigma_300k_s_per_cm: l,
            log10_error: p.map(|p| (p / m).log10()),
            loco_log10_error: l.map(|l| (l / m).log10()),
        });
    }

    let point = |pred: Option<f64>, meas: f64, pe: Option<f64>, me: Option<f64>| {
        pred.map(|p| Point {
            predicted_s_per_cm: p,
            measured_s_per_cm: meas,
            predicted_ea_ev: pe,
            measured_ea_ev: me,
        })
    };
    let score_rows = |loco: bool| {
        let pts: Vec<Point> = row_results
            .iter()
            .filter(|r| r.status == "ok")
            .filter_map(|r| {
                let pred = if loco {
                    r.loco_predicted_sigma_300k_s_per_cm
                } else {
                    r.predicted_sigma_300k_s_per_cm
                };
                point(
                    pred,
                    r.row.sigma_rt_s_per_cm,
                    r.predicted_ea_ev,
                    r.row.ea_ev,
                )
            })
            .collect();
        metrics::score(&pts, row_results.len() - pts.len())
    };
    let score_comps = |loco: bool| {
        let pts: Vec<Point> = compositions
            .iter()
            .filter_map(|c| {
                let pred = if loco {
                    c.loco_predicted_sigma_300k_s_per_cm
                } else {
                    c.predicted_sigma_300k_s_per_cm
                };
                point(
                    pred,
                    c.measured_sigma_s_per_cm,
                    c.predicted_ea_ev,
                    c.measured_ea_ev,
                )
            })
            .collect();
        metrics::score(&pts, compositions.len() - pts.len())
    };

    // occupancies of the refined sites
    let mut occupancies = Vec::new();
    for site in &opts.sites {
        let s = &structures[key_of(&site.path)];
        let refined = s.refined_li.iter().find(|r| r.label == site.label);
        let (pred, note) = match (&s.result, refined) {
            (_, None) => (
                None,
                format!("no Li site labelled {} in the file", site.label),
            ),
            (Err(e), _) => (None, format!("no prediction: {e}")),
            (Ok(_), Some(r)) if r.shared_with_framework_cation => (
                None,
                "shared with a framework cation: kept in the framework at its refined \
                 occupancy (not predicted)"
                    .into(),
            ),
            (Ok(p), Some(_)) => match p.occupancies.iter().find(|o| o.label == site.label) {
                Some(o) => (Some(o.occupancy), String::new()),
                None => (
                    Some(0.0),
                    "no landscape minimum at this site (a station on a path): no Li predicted"
                        .into(),
                ),
            },
        };
        let refined_occ = refined.map(|r| r.occupancy);
        occupancies.push(OccupancyComparison {
            file: site.file.clone(),
            label: site.label.clone(),
            wyckoff: site.wyckoff.clone(),
            refined_occupancy: refined_occ,
            predicted_occupancy_300k: pred,
            difference: pred.zip(refined_occ).map(|(p, r)| p - r),
            note,
        });
    }
    // and the minima matching no refined site, once per structure listed
    let mut seen: Vec<&str> = Vec::new();
    for site in &opts.sites {
        if seen.contains(&site.file.as_str()) {
            continue;
        }
        seen.push(&site.file);
        if let Ok(p) = &structures[key_of(&site.path)].result {
            for o in p.occupancies.iter().filter(|o| {
                !structures[key_of(&site.path)]
                    .refined_li
                    .iter()
                    .any(|r| r.label == o.label)
            }) {
                occupancies.push(OccupancyComparison {
                    file: site.file.clone(),
                    label: o.label.clone(),
                    wyckoff: format!("{} sites per cell", o.sites_per_cell),
                    refined_occupancy: Some(0.0),
                    predicted_occupancy_300k: Some(o.occupancy),
                    difference: Some(o.occupancy),
                    note: "landscape minima matching no refined Li site (interstitials)".into(),
                });
            }
        }
    }

    // noise
    let noise = if opts.noise_copies == 0 {
        Vec::new()
    } else {
        structures
            .iter()
            .map(|s| {
                let base = s.result.as_ref().ok();
                let ds: Vec<f64> = s
                    .noise
                    .iter()
                    .filter_map(|c| {
                        Some(
                            (c.sigma_300k_s_per_cm? / base?.sigma_300k_s_per_cm)
                                .log10()
                                .abs(),
                        )
                    })
                    .collect();
                let de: Vec<f64> = s
                    .noise
                    .iter()
                    .filter_map(|c| Some((c.ea_ev? - base?.ea_ev).abs()))
                    .collect();
                NoiseSummary {
                    file: s.file.clone(),
                    copies: s.noise.len(),
                    failed: s.noise.iter().filter(|c| c.error.is_some()).count(),
                    median_abs_dlog10_sigma: median(ds.clone()),
                    worst_abs_dlog10_sigma: ds.iter().copied().reduce(f64::max),
                    median_abs_dea_ev: median(de.clone()),
                    worst_abs_dea_ev: de.iter().copied().reduce(f64::max),
                }
            })
            .collect()
    };

    let settings = serde_json::json!({
        "bvse_resolution_ang": opts.settings.bvse.resolution_ang,
        "kmc": opts.settings.kmc,
        "percolation": opts.settings.percolation,
        "noise_copies": opts.noise_copies,
    });
    Ok(ValidationReport {
        set: set_path.display().to_string(),
        calibration: opts.calibration.clone(),
        calibration_pairs_file: opts
            .calibration_pairs_path
            .as_ref()
            .map(|p| p.display().to_string()),
        calibration_pairs: opts.calibration_pairs.clone(),
        settings,
        metrics: score_rows(false),
        metrics_per_composition: score_comps(false),
        metrics_loco: score_rows(true),
        metrics_loco_per_composition: score_comps(true),
        attempt_frequency: AttemptFrequencies {
            used_hz: used,
            refit_all_hz: refit(None),
            n_pairs: pair_logs.len(),
            loco_hz,
        },
        rows: row_results,
        compositions,
        structures,
        occupancies,
        noise_sigma_frac: opts.noise_sigma_frac,
        noise,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}
