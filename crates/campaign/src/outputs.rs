//! The outputs of a campaign folder, all built from the checkpoint records sorted by candidate
//! id, so they are byte-identical whatever the thread count, the resume points or the shards:
//! `ranked.csv`, `ranked.json`, `structures/`, `plots/`, `report.md`, and the synthesis hand-off.

use crate::config::LoadedWorkflow;
use crate::error::CampaignError;
use crate::folder::{write_atomic, CampaignFolder};
use crate::pipeline::Plan;
use crate::plots::{arrhenius_svg, ranking_svg, ArrheniusFitLine, ArrheniusSeries, RankPoint};
use crate::record::{CandidateRecord, Outcome};
use crate::synthesis::{hand_off, HandOff};
use halo_core::{Composition, Structure};
use halo_filters::{rank, CandidateMetrics, Ranking};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The ranking of the recorded candidates that belong to the plan.
pub fn ranking(
    lw: &LoadedWorkflow,
    plan_ids: &[&str],
    recs: &BTreeMap<String, CandidateRecord>,
) -> Result<Ranking, CampaignError> {
    rank(&ranking_metrics(plan_ids, recs), &rank_config(lw)).map_err(|e| CampaignError::Stage {
        stage: "rank",
        reason: e.to_string(),
    })
}

/// The ranking record of each recorded candidate of the plan, in plan order: an evaluated
/// candidate's metrics, a failed one's reason.
pub fn ranking_metrics(
    plan_ids: &[&str],
    recs: &BTreeMap<String, CandidateRecord>,
) -> Vec<CandidateMetrics> {
    plan_ids
        .iter()
        .filter_map(|id| recs.get(*id))
        .map(|r| match &r.outcome {
            Outcome::Evaluated { metrics } => metrics.ranking.clone(),
            Outcome::Failed { stage, reason } => CandidateMetrics {
                id: r.id.clone(),
                formula: r.formula.clone(),
                framework: Some(r.framework.clone()),
                failure: Some(format!("{stage}: {reason}")),
                ..Default::default()
            },
        })
        .collect()
}

/// The workflow's hard filters, with k of P(top k) its `synthesis.top` unless set.
pub fn rank_config(lw: &LoadedWorkflow) -> halo_filters::RankConfig {
    let mut config = lw.workflow.filters.clone();
    if config.top_k.is_none() {
        config.top_k = Some(lw.workflow.synthesis.top.max(1));
    }
    config
}

/// A value to 3 significant digits (the precision a ~10 % error bar supports).
fn sig3(v: Option<f64>) -> String {
    v.map(|x| halo_core::format::significant(x, 3))
        .unwrap_or_default()
}

/// An uncertainty to 2 significant digits (0 when numerically exact).
fn err2(e: Option<f64>, v: Option<f64>) -> String {
    e.map(|e| halo_core::format::uncertainty(e, v.unwrap_or(0.0)))
        .unwrap_or_default()
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The stored model structure of an evaluated record.
pub fn record_structure(r: &CandidateRecord) -> Option<Structure> {
    r.details
        .get("structure")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

#[derive(Serialize)]
struct RankedJson<'a> {
    campaign: &'a str,
    seed: u64,
    workflow: &'a crate::config::Workflow,
    halo_version: &'a str,
    n_planned: usize,
    n_rejected_by_enumeration: usize,
    n_recorded: usize,
    n_passed: usize,
    n_pareto_front: usize,
    /// k of `p_top_k`.
    top_k: usize,
    /// How the rows are ordered (the hand-off follows the same order).
    order: &'static str,
    rows: Vec<RankedJsonRow<'a>>,
}

/// The ranking rule, as written into ranked.json, the report and the hand-off.
/// Series of `plots/arrhenius.svg`: the best-ranked candidates, at most this many (more are not
/// legible on one plot; `ranked.csv` has every candidate's Ea and σ(300 K)).
const ARRHENIUS_SERIES: usize = 6;

pub const RANK_ORDER: &str = "candidates passing every hard filter first; among them the \
Pareto front on (σ(300 K), Ea, anodic limit, cost) computed with the error bars (a candidate \
dominated only within one standard error stays on the front, flagged pareto_within_errors), then \
by how many candidates dominate it beyond the errors, then by σ(300 K); p_top_k is the \
probability of being among the top k by σ(300 K) from its standard error, and candidates of one \
tie_group differ by less than their combined error (their order is not resolved)";

#[derive(Serialize)]
struct RankedJsonRow<'a> {
    rank: Option<usize>,
    /// Probability of being among the top k by σ(300 K) (`top_k` of the file).
    p_top_k: Option<f64>,
    /// Candidates of one tie group differ by less than their combined error.
    tie_group: Option<usize>,
    passed: bool,
    pareto_front: bool,
    /// On the front only because its dominators are within the error bars.
    pareto_within_errors: bool,
    dominated_by: usize,
    failed_filters: &'a [String],
    framework: &'a str,
    dopants: Option<&'a BTreeMap<String, f64>>,
    metrics: &'a CandidateMetrics,
    transport: Option<serde_json::Value>,
    structure_cif: Option<String>,
}

/// Write ranked.csv/json, structures, plots and report.md; returns how many candidates passed
/// the hard filters.
pub fn write_all(
    folder: &CampaignFolder,
    lw: &LoadedWorkflow,
    plan: &Plan,
    recs: &BTreeMap<String, CandidateRecord>,
) -> Result<OutputsWritten, CampaignError> {
    let dir = folder.dir.as_path();
    let ids: Vec<&str> = plan.candidates.iter().map(|c| c.id.as_str()).collect();
    let r = ranking(lw, &ids, recs)?;
    let written = write_structures(dir, recs)?;
    write_atomic(
        &dir.join("ranked.csv"),
        ranked_csv(&r, recs, &written).as_bytes(),
    )?;
    let json = ranked_json(lw, plan, &r, recs, &written)?;
    write_atomic(&dir.join("ranked.json"), json.as_bytes())?;
    let plot_notes = write_plots(dir, &r, recs)?;
    let report = report_markdown(lw, plan, recs, &r, &plot_notes, &folder.runs());
    write_atomic(&dir.join("report.md"), report.as_bytes())?;
    refresh_handoff(folder, lw, plan, recs)?;
    Ok(OutputsWritten {
        passed: r.n_passed,
        without_fit: without_fit(recs).len(),
    })
}

/// What [`write_all`] wrote, for the command's closing lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutputsWritten {
    /// Candidates that passed the hard filters.
    pub passed: usize,
    /// Evaluated candidates without an Arrhenius fit (fewer than two temperatures with σ above
    /// the run's resolution): no σ(300 K) or E_a to rank by, so they fail the ranking.
    pub without_fit: usize,
}

/// The evaluated candidates whose kMC gave no Arrhenius fit, in id order.
fn without_fit(recs: &BTreeMap<String, CandidateRecord>) -> Vec<&CandidateRecord> {
    recs.values()
        .filter(|x| {
            x.metrics()
                .is_some_and(|m| m.ranking.sigma_300k_s_per_cm.is_none())
        })
        .collect()
}

/// The report's list of evaluated candidates without an Arrhenius fit, with the temperatures
/// the kMC left out, so a ranking whose tail is empty columns says why.
fn without_fit_section(s: &mut String, recs: &BTreeMap<String, CandidateRecord>) {
    let list = without_fit(recs);
    if list.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Candidates without an Arrhenius fit\n\nFewer than two of the kMC temperatures gave \
         them a conductivity above the run's resolution (or could be simulated at all: too \
         cold), so they have no σ(300 K) or Ea to rank by: they fail the ranking with that \
         reason and are not handed off. The σ simulated at 300 K, when there is one, is in \
         `ranked.csv` (`sigma_300k_simulated_s_per_cm`). Choose `[kmc] temperatures_k` the kMC \
         resolves (docs/physics.md §5.9).\n"
    );
    for x in list {
        let _ = writeln!(s, "- `{}` {}", x.id, x.formula);
    }
    let _ = writeln!(s);
}

/// A hand-off exported earlier describes the ranking it was exported from: when the outputs
/// are written again (a resumed or merged campaign, changed filters, `halo report`), it is
/// exported again with the batch mass it was written with, or removed when no candidate can
/// be handed off any more (said on stderr), so the folder never holds a hand-off of another
/// ranking. Nothing is done when none was exported.
fn refresh_handoff(
    folder: &CampaignFolder,
    lw: &LoadedWorkflow,
    plan: &Plan,
    recs: &BTreeMap<String, CandidateRecord>,
) -> Result<(), CampaignError> {
    let json_path = folder.path("synthesis/handoff.json");
    let csv_path = folder.path("synthesis/handoff.csv");
    if !json_path.is_file() && !csv_path.is_file() {
        return Ok(());
    }
    let batch = std::fs::read(&json_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["batch_mass_g"].as_f64())
        .filter(|b| crate::config::check_batch_mass(*b).is_ok())
        .unwrap_or(lw.workflow.synthesis.batch_mass_g);
    let h = (lw.workflow.synthesis.top > 0)
        .then(|| render_handoff(lw, plan, recs, batch))
        .transpose()?
        .filter(|h| h.n_candidates > 0);
    match h {
        Some(h) => {
            folder.write("synthesis/handoff.json", h.json.as_bytes())?;
            folder.write("synthesis/handoff.csv", h.csv.as_bytes())?;
        }
        None => {
            for p in [&json_path, &csv_path] {
                if p.is_file() {
                    std::fs::remove_file(p).map_err(|e| CampaignError::io(p, e))?;
                }
            }
            eprintln!(
                "halo: {}: the synthesis hand-off was removed: no candidate of the new ranking \
                 can be handed off",
                folder.dir.display()
            );
        }
    }
    Ok(())
}

/// Each evaluated candidate's structure as CIF and pymatgen JSON in `structures/`; returns
/// id → relative CIF path.
fn write_structures<'r>(
    dir: &Path,
    recs: &'r BTreeMap<String, CandidateRecord>,
) -> Result<BTreeMap<&'r str, String>, CampaignError> {
    let sdir = dir.join("structures");
    let mut written: BTreeMap<&str, String> = BTreeMap::new();
    for rec in recs.values() {
        if rec.metrics().is_none() {
            continue;
        }
        if let Some(s) = record_structure(rec) {
            std::fs::create_dir_all(&sdir).map_err(|e| CampaignError::io(&sdir, e))?;
            let cif = sdir.join(format!("{}.cif", rec.id));
            let text = halo_io::cif::write_cif_string(&s, &rec.formula);
            write_atomic(&cif, text.as_bytes())?;
            let json = halo_io::pmg_json::to_pymatgen_json(&s);
            write_atomic(&sdir.join(format!("{}.json", rec.id)), json.as_bytes())?;
            written.insert(rec.id.as_str(), format!("structures/{}.cif", rec.id));
        }
    }
    Ok(written)
}

/// ranked.csv: one line per candidate in ranking order, values with the precision their
/// errors support.
fn ranked_csv(
    r: &Ranking,
    recs: &BTreeMap<String, CandidateRecord>,
    written: &BTreeMap<&str, String>,
) -> String {
    let mut csv = String::from(
        "rank,p_top_k,tie_group,pareto_front,pareto_within_errors,passed,id,framework,formula,\
sigma_300k_arrhenius_s_per_cm,sigma_300k_arrhenius_se_s_per_cm,sigma_300k_simulated_s_per_cm,\
sigma_300k_simulated_se_s_per_cm,ea_ev,ea_se_ev,e_1d_ev,e_2d_ev,e_3d_ev,haven_ratio,\
li_sites_full,anodic_limit_v_dg,anodic_limit_v_dh,anodic_limit_unc_v,cathodic_limit_v_dg,cathodic_limit_v_dh,\
cathodic_limit_unc_v,band_gap_ev,band_gap_err_ev,cost_usd_per_kg,insulation,stability,failed_filters,seed,\
structure_cif\n",
    );
    for row in &r.rows {
        let m = &row.metrics;
        let rec = recs.get(&m.id);
        let t = rec.and_then(|x| x.metrics());
        let ins = m
            .verdicts
            .insulation
            .as_ref()
            .map(|v| {
                serde_json::to_value(v)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        let sim = t.and_then(|t| {
            t.arrhenius
                .iter()
                .find(|p| (p.temperature_k - 300.0).abs() < 1e-9)
        });
        let fields = [
            row.rank.map(|k| k.to_string()).unwrap_or_default(),
            row.p_top_k.map(|p| format!("{p:.2}")).unwrap_or_default(),
            row.tie_group.map(|g| g.to_string()).unwrap_or_default(),
            row.pareto_front.to_string(),
            row.pareto_within_errors.to_string(),
            row.passed.to_string(),
            m.id.clone(),
            rec.map(|x| x.framework.clone()).unwrap_or_default(),
            m.formula.clone(),
            sig3(m.sigma_300k_s_per_cm),
            err2(m.sigma_300k_se_s_per_cm, m.sigma_300k_s_per_cm),
            sig3(sim.map(|p| p.sigma_s_per_cm)),
            err2(
                sim.map(|p| p.sigma_se_s_per_cm),
                sim.map(|p| p.sigma_s_per_cm),
            ),
            sig3(m.ea_ev),
            err2(m.ea_se_ev, m.ea_ev),
            sig3(t.and_then(|t| t.e_1d_ev)),
            sig3(t.and_then(|t| t.e_2d_ev)),
            sig3(t.and_then(|t| t.e_3d_ev)),
            sig3(t.and_then(|t| t.haven_ratio)),
            // every Li site of the candidate full: its σ is not a prediction (physics.md §9.12)
            rec.and_then(|x| x.details.get("li_sublattice"))
                .and_then(|l| l.get("full"))
                .and_then(|f| f.as_bool())
                .map(|b| b.to_string())
                .unwrap_or_default(),
            sig3(m.anodic_limit_v_dg),
            sig3(m.anodic_limit_v_dh),
            err2(m.anodic_limit_unc_v, m.anodic_limit_v_dg),
            sig3(m.cathodic_limit_v_dg),
            sig3(m.cathodic_limit_v_dh),
            err2(m.cathodic_limit_unc_v, m.cathodic_limit_v_dg),
            sig3(m.band_gap_ev),
            err2(m.band_gap_err_ev, m.band_gap_ev),
            sig3(m.cost_usd_per_kg),
            ins,
            m.verdicts.stability.clone().unwrap_or_default(),
            row.failed_filters.join("; "),
            rec.map(|x| x.seed.to_string()).unwrap_or_default(),
            written.get(m.id.as_str()).cloned().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    csv
}

/// ranked.json: the ranking with the workflow, the rule and every number.
fn ranked_json(
    lw: &LoadedWorkflow,
    plan: &Plan,
    r: &Ranking,
    recs: &BTreeMap<String, CandidateRecord>,
    written: &BTreeMap<&str, String>,
) -> Result<String, CampaignError> {
    let rows: Vec<RankedJsonRow> = r
        .rows
        .iter()
        .map(|row| {
            let rec = recs.get(&row.metrics.id);
            RankedJsonRow {
                rank: row.rank,
                p_top_k: row.p_top_k,
                tie_group: row.tie_group,
                passed: row.passed,
                pareto_front: row.pareto_front,
                pareto_within_errors: row.pareto_within_errors,
                dominated_by: row.dominated_by,
                failed_filters: &row.failed_filters,
                framework: rec.map(|x| x.framework.as_str()).unwrap_or(""),
                dopants: rec.map(|x| &x.dopants),
                metrics: &row.metrics,
                transport: rec.and_then(|x| x.metrics()).map(|t| {
                    serde_json::json!({
                        "lattice_abc_ang": t.lattice_abc_ang,
                        "e_1d_ev": t.e_1d_ev, "e_2d_ev": t.e_2d_ev, "e_3d_ev": t.e_3d_ev,
                        "n_sites": t.n_sites, "n_edges": t.n_edges,
                        "mobile_ions_per_cell": t.mobile_ions_per_cell,
                        "haven_ratio": t.haven_ratio,
                        "arrhenius": t.arrhenius,
                    })
                }),
                structure_cif: written.get(row.metrics.id.as_str()).cloned(),
            }
        })
        .collect();
    let rj = RankedJson {
        campaign: &lw.workflow.campaign.name,
        seed: lw.workflow.campaign.seed,
        workflow: &lw.workflow,
        halo_version: env!("CARGO_PKG_VERSION"),
        n_planned: plan.candidates.len(),
        n_rejected_by_enumeration: plan.rejected.len(),
        n_recorded: r.n_candidates,
        n_passed: r.n_passed,
        n_pareto_front: r.n_pareto_front,
        top_k: r.top_k,
        order: RANK_ORDER,
        rows,
    };
    let mut json = serde_json::to_string_pretty(&rj).map_err(|e| CampaignError::Serialize {
        what: "ranked.json".into(),
        reason: e.to_string(),
    })?;
    json.push('\n');
    Ok(json)
}

/// plots/arrhenius.svg and plots/ranking.svg; returns notes on plots that could not be drawn.
fn write_plots(
    dir: &Path,
    r: &Ranking,
    recs: &BTreeMap<String, CandidateRecord>,
) -> Result<Vec<String>, CampaignError> {
    let pdir = dir.join("plots");
    std::fs::create_dir_all(&pdir).map_err(|e| CampaignError::io(&pdir, e))?;
    let series: Vec<ArrheniusSeries> = r
        .rows
        .iter()
        .filter_map(|row| {
            let t = recs.get(&row.metrics.id)?.metrics()?;
            let m = &row.metrics;
            (!t.arrhenius.is_empty()).then(|| ArrheniusSeries {
                label: m.formula.clone(),
                points: t.arrhenius.clone(),
                fit: match (m.sigma_300k_s_per_cm, m.ea_ev) {
                    (Some(s), Some(e)) => Some(ArrheniusFitLine {
                        sigma_300k_s_per_cm: s,
                        sigma_300k_se_s_per_cm: m.sigma_300k_se_s_per_cm.unwrap_or(0.0),
                        ea_ev: e,
                        ea_se_ev: m.ea_se_ev.unwrap_or(0.0),
                    }),
                    _ => None,
                },
            })
        })
        .take(ARRHENIUS_SERIES)
        .collect();
    let mut plot_notes = Vec::new();
    if let Err(e) = arrhenius_svg(&pdir.join("arrhenius.svg"), &series) {
        plot_notes.push(format!("arrhenius.svg not drawn: {e}"));
    }
    let points: Vec<RankPoint> = r
        .rows
        .iter()
        .filter_map(|row| {
            let m = &row.metrics;
            Some(RankPoint {
                label: m.formula.clone(),
                rank: row.rank,
                sigma_300k_s_per_cm: m.sigma_300k_s_per_cm?,
                sigma_300k_se_s_per_cm: m.sigma_300k_se_s_per_cm.unwrap_or(0.0),
                ea_ev: m.ea_ev?,
                ea_se_ev: m.ea_se_ev.unwrap_or(0.0),
                anodic_limit_v: m.anodic_limit_v_dg,
                pareto: row.pareto_front,
                passes_filters: row.passed,
            })
        })
        .collect();
    if let Err(e) = ranking_svg(&pdir.join("ranking.svg"), &points, r.top_k) {
        plot_notes.push(format!("ranking.svg not drawn: {e}"));
    }
    Ok(plot_notes)
}

/// The wall-clock time the passes took together: the length of the union of their intervals
/// [start, start + wall] (shards of one array run at the same time, and summing their wall times
/// made a 32-task array look 32× slower); passes logged without a start time (earlier versions)
/// add their wall time.
fn wall_clock_s(runs: &[crate::folder::RunLog]) -> f64 {
    let mut spans: Vec<(f64, f64)> = runs
        .iter()
        .filter_map(|r| r.started_unix_s.map(|t| (t, t + r.wall_s)))
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for (a, b) in spans {
        match current {
            Some((s, e)) if a <= e => current = Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                current = Some((a, b));
            }
            None => current = Some((a, b)),
        }
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
        + runs
            .iter()
            .filter(|r| r.started_unix_s.is_none())
            .map(|r| r.wall_s)
            .sum::<f64>()
}

/// Throughput of the passes that recorded candidates: wall time and CPU time, both named.
/// A pass logs itself in `runs.jsonl` when it ends, so one killed outright (SIGKILL, a node
/// failure, an out-of-memory kill) leaves its records in the checkpoint and no time: the
/// section counts those records apart (`n_records` is the folder's record count).
fn throughput_section(s: &mut String, runs: &[crate::folder::RunLog], n_records: usize) {
    let recorded: usize = runs.iter().map(|r| r.recorded).sum();
    let unlogged = n_records.saturating_sub(recorded);
    let unlogged_note = format!(
        "{unlogged} candidate(s) were recorded by passes that were killed before they could log \
         their time (SIGKILL, a node failure): they are not in these figures.\n"
    );
    if recorded == 0 {
        if unlogged > 0 {
            let _ = writeln!(s, "## Throughput\n\n{unlogged_note}");
        }
        return;
    }
    let wall = wall_clock_s(runs);
    let cpu: f64 = runs.iter().map(|r| r.cpu_s).sum();
    let threads: Vec<String> = runs.iter().map(|r| r.threads.to_string()).collect();
    let _ = writeln!(s, "## Throughput\n");
    let _ = writeln!(
        s,
        "{recorded} candidates recorded in {} pass(es) (threads: {}): wall-clock time {wall:.1} \
         s, passes at the same time counted once ({:.0} candidates per wall-clock hour), CPU \
         time {cpu:.1} s ({:.0} candidates per CPU-hour); per pass in `runs.jsonl`.\n",
        runs.len(),
        threads.join(", "),
        3600.0 * recorded as f64 / wall.max(1e-9),
        3600.0 * recorded as f64 / cpu.max(1e-9),
    );
    if unlogged > 0 {
        let _ = writeln!(s, "{unlogged_note}");
    }
}

/// Which differences of the ranking the error bars resolve.
/// The candidates whose every Li site is full (`transport::sublattice`): their σ is the
/// landscape's guess about sites the structure does not list, not a prediction.
fn domain_section(s: &mut String, recs: &BTreeMap<String, CandidateRecord>) {
    let flagged: Vec<&CandidateRecord> = recs
        .values()
        .filter(|x| {
            x.details
                .get("li_sublattice")
                .and_then(|l| l.get("full"))
                .and_then(|f| f.as_bool())
                == Some(true)
        })
        .collect();
    if flagged.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Candidates whose every Li site is full\n\nTheir Li can move only through sites the \
         structure does not list or by forming defects, which the model prices by the \
         single-particle landscape alone: their σ and Ea are not predictions (docs/physics.md \
         §9.12; the warning is among each candidate's notes).\n"
    );
    for x in flagged {
        let _ = writeln!(s, "- `{}` {}", x.id, x.formula);
    }
    let _ = writeln!(s);
}

fn resolution_section(s: &mut String, r: &Ranking) {
    let passing: Vec<&halo_filters::rank::RankedCandidate> =
        r.rows.iter().filter(|x| x.passed).collect();
    if passing.is_empty() {
        return;
    }
    let _ = writeln!(s, "## How far the ranking is resolved\n");
    let _ = writeln!(s, "Order: {RANK_ORDER}.\n");
    let mut groups: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for x in &passing {
        if let Some(g) = x.tie_group {
            groups.entry(g).or_default().push(&x.metrics.formula);
        }
    }
    for (g, members) in &groups {
        let _ = writeln!(
            s,
            "- tie group {g}: {} — σ(300 K) within their combined standard error: their order is \
             not resolved (more kMC hops, `kmc.hops_per_ion`, shrink the error bars)",
            members.join(", ")
        );
    }
    let resolved: Vec<&str> = passing
        .iter()
        .filter(|x| x.tie_group.is_none())
        .map(|x| x.metrics.formula.as_str())
        .collect();
    if !resolved.is_empty() {
        let _ = writeln!(
            s,
            "- resolved from their neighbours in σ(300 K): {}",
            resolved.join(", ")
        );
    }
    let sure = passing
        .iter()
        .filter(|x| x.p_top_k.is_some_and(|p| p >= 0.95))
        .count();
    let _ = writeln!(
        s,
        "- {sure} candidate(s) are in the top {} by σ(300 K) with probability ≥ 0.95\n",
        r.top_k
    );
}

fn report_markdown(
    lw: &LoadedWorkflow,
    plan: &Plan,
    recs: &BTreeMap<String, CandidateRecord>,
    r: &Ranking,
    plot_notes: &[String],
    runs: &[crate::folder::RunLog],
) -> String {
    let w = &lw.workflow;
    let mut s = String::new();
    let _ = writeln!(s, "# halo campaign report: {}\n", w.campaign.name);
    if !w.campaign.description.is_empty() {
        let _ = writeln!(s, "{}\n", w.campaign.description);
    }
    let failed: Vec<&CandidateRecord> = recs.values().filter(|x| x.metrics().is_none()).collect();
    let _ = writeln!(
        s,
        "- candidates planned: {} (plus {} rejected by enumeration)\n- recorded: {} ({} evaluated, {} failed)\n- pending: {}\n- passing the hard filters: {}; on the Pareto front: {}\n- campaign seed: {}; halo {}\n",
        plan.candidates.len(),
        plan.rejected.len(),
        recs.len(),
        recs.len() - failed.len(),
        failed.len(),
        plan.candidates.len().saturating_sub(recs.len()),
        r.n_passed,
        r.n_pareto_front,
        w.campaign.seed,
        env!("CARGO_PKG_VERSION"),
    );
    // stage timings
    let mut totals: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for rec in recs.values() {
        for (k, v) in &rec.timings_s {
            let e = totals.entry(k.as_str()).or_insert((0.0, 0));
            e.0 += v;
            e.1 += 1;
        }
    }
    throughput_section(&mut s, runs, recs.len());
    let _ = writeln!(
        s,
        "## Stage timings (wall time of each stage per candidate, this machine)\n"
    );
    let _ = writeln!(
        s,
        "| stage | candidates | mean s | total s |\n|---|---:|---:|---:|"
    );
    let mut grand = 0.0;
    for (k, (t, n)) in &totals {
        grand += t;
        let _ = writeln!(s, "| {k} | {n} | {:.3} | {:.1} |", t / *n as f64, t);
    }
    if !recs.is_empty() {
        let per = grand / recs.len() as f64;
        let _ = writeln!(
            s,
            "\nSum of the stage wall times: {grand:.1} s, {per:.2} s per candidate (each candidate's \
             kMC may run its replicas on several threads, and candidates run side by side, so \
             this is neither CPU time nor the campaign's wall time; see Throughput).\n"
        );
    }
    let _ = writeln!(s, "## Ranking\n\n```text\n{}```\n", halo_filters::table(r));
    resolution_section(&mut s, r);
    let _ = writeln!(
        s,
        "Plots: `plots/ranking.svg` (σ(300 K) vs Ea with ±SE bars, colour = anodic limit, Pareto front filled, top k labelled) and `plots/arrhenius.svg` (at most the {ARRHENIUS_SERIES} best-ranked candidates, to stay legible: kMC points ± SE, the Arrhenius fit and its ±1 SE band).\n"
    );
    for n in plot_notes {
        let _ = writeln!(s, "- {n}");
    }
    domain_section(&mut s, recs);
    without_fit_section(&mut s, recs);
    if !failed.is_empty() {
        let _ = writeln!(s, "## Failed candidates\n");
        for f in &failed {
            if let Outcome::Failed { stage, reason } = &f.outcome {
                let _ = writeln!(s, "- `{}` {} — {stage}: {reason}", f.id, f.formula);
            }
        }
        let _ = writeln!(s);
    }
    if !plan.rejected.is_empty() {
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for x in &plan.rejected {
            *reasons.entry(x.reason_kind.as_str()).or_insert(0) += 1;
        }
        let _ = writeln!(s, "## Rejected by enumeration\n");
        for (k, n) in reasons {
            let _ = writeln!(s, "- {k}: {n}");
        }
        let _ = writeln!(
            s,
            "\nEvery rejection with its reason is in `candidates.json`.\n"
        );
    }
    let _ = writeln!(
        s,
        "## Models and settings\n\n{}\n\n```toml\n{}```\n",
        match lw.workflow.kmc.model {
            crate::transport::ConductivityModel::Explicit => {
                crate::pipeline::EXPLICIT_MODEL_DESCRIPTION
            }
            crate::transport::ConductivityModel::Averaged => crate::pipeline::MODEL_DESCRIPTION,
        },
        lw.text
    );
    s
}

/// The synthesis hand-off (JSON and CSV text) of the top passing candidates.
pub fn render_handoff(
    lw: &LoadedWorkflow,
    plan: &Plan,
    recs: &BTreeMap<String, CandidateRecord>,
    batch: f64,
) -> Result<RenderedHandoff, CampaignError> {
    let ids: Vec<&str> = plan.candidates.iter().map(|c| c.id.as_str()).collect();
    let r = ranking(lw, &ids, recs)?;
    // a hand-off from a stopped campaign ranks the candidates evaluated so far: it says so
    let evaluated = ids.iter().filter(|id| recs.contains_key(**id)).count();
    #[derive(Serialize)]
    struct Item {
        rank: Option<usize>,
        id: String,
        /// The candidate's formula as `ranked.csv` and the report print it (its name); the
        /// hand-off's `target_formula` is the stored structure's exact composition.
        formula: String,
        framework: String,
        structure_cif: String,
        sigma_300k_s_per_cm: Option<f64>,
        sigma_300k_se_s_per_cm: Option<f64>,
        ea_ev: Option<f64>,
        ea_se_ev: Option<f64>,
        anodic_limit_v_dg: Option<f64>,
        #[serde(flatten)]
        handoff: HandOff,
    }
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    // (rank, id, formula, reason) of each passing candidate that could not be handed off: a CSV
    // row of its own, so a reader of the CSV sees the rank it leaves empty
    let mut skipped_rows: Vec<(Option<usize>, String, String, String)> = Vec::new();
    for row in r.rows.iter().filter(|x| x.passed) {
        if items.len() >= lw.workflow.synthesis.top {
            break;
        }
        let Some(rec) = recs.get(&row.metrics.id) else {
            continue;
        };
        let Some(s) = record_structure(rec) else {
            skipped.push(format!("{}: no stored structure", rec.id));
            skipped_rows.push((
                row.rank,
                rec.id.clone(),
                rec.formula.clone(),
                "no stored structure".into(),
            ));
            continue;
        };
        // per formula unit of the reduced target formula (matched on the anion count)
        let comp = s.composition();
        let target = Composition::parse(&rec.formula).ok();
        let anion = comp.elements().into_iter().find(|e| e.is_halogen());
        let scaled = match (target, anion) {
            (Some(t), Some(x)) => comp
                .normalized_to(x, t.amount_of(x))
                .unwrap_or(comp.clone()),
            _ => comp.clone(),
        };
        match hand_off(&scaled, batch).map(|mut h| {
            h.notes.extend(verdict_notes(&row.metrics));
            h
        }) {
            Ok(h) => items.push(Item {
                rank: row.rank,
                id: rec.id.clone(),
                formula: rec.formula.clone(),
                framework: rec.framework.clone(),
                structure_cif: format!("structures/{}.cif", rec.id),
                sigma_300k_s_per_cm: row.metrics.sigma_300k_s_per_cm,
                sigma_300k_se_s_per_cm: row.metrics.sigma_300k_se_s_per_cm,
                ea_ev: row.metrics.ea_ev,
                ea_se_ev: row.metrics.ea_se_ev,
                anodic_limit_v_dg: row.metrics.anodic_limit_v_dg,
                handoff: h,
            }),
            Err(e) => {
                skipped.push(format!("{}: {e}", rec.id));
                skipped_rows.push((row.rank, rec.id.clone(), rec.formula.clone(), e.to_string()));
            }
        }
    }
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "campaign": lw.workflow.campaign.name,
        "order": RANK_ORDER,
        "batch_mass_g": batch,
        "planned": ids.len(),
        "evaluated": evaluated,
        "complete": evaluated == ids.len(),
        "candidates": items,
        "skipped": skipped,
    }))
    .map_err(|e| CampaignError::Serialize {
        what: "handoff.json".into(),
        reason: e.to_string(),
    })?;
    let json = json + "\n";
    let mut csv = String::from(
        "rank,id,formula,target_formula,batch_mass_g,precursor,mass_g,moles_per_formula_unit,molar_mass_g_per_mol,melting_point_k,boiling_point_k,route,notes\n",
    );
    // rows in rank order, a candidate not handed off at its own rank
    let mut lines: Vec<(Option<usize>, String)> = Vec::new();
    for it in &items {
        for p in &it.handoff.precursors {
            let f = [
                it.rank.map(|k| k.to_string()).unwrap_or_default(),
                it.id.clone(),
                it.formula.clone(),
                it.handoff.target_formula.clone(),
                format!("{batch}"),
                p.formula.clone(),
                mass_text(p.mass_g),
                // round-off of the formula's fractions (1.999999999999999) is not a quantity
                format!("{}", (p.moles_per_formula_unit * 1e9).round() / 1e9),
                format!("{}", (p.molar_mass_g_per_mol * 1e6).round() / 1e6),
                opt(p.melting_point_k),
                opt(p.boiling_point_k),
                it.handoff.route.clone(),
                it.handoff.notes.join(" | "),
            ];
            let line: Vec<String> = f.iter().map(|x| csv_field(x)).collect();
            lines.push((it.rank, line.join(",")));
        }
    }
    for (rank, id, formula, reason) in &skipped_rows {
        let mut f: Vec<String> = vec![String::new(); 13];
        f[0] = rank.map(|k| k.to_string()).unwrap_or_default();
        f[1] = id.clone();
        f[2] = formula.clone();
        f[4] = format!("{batch}");
        f[12] = format!("NOT HANDED OFF: {reason}");
        let line: Vec<String> = f.iter().map(|x| csv_field(x)).collect();
        lines.push((*rank, line.join(",")));
    }
    // stable: a candidate's precursor rows keep their order
    lines.sort_by_key(|(rank, _)| rank.unwrap_or(usize::MAX));
    for (_, line) in lines {
        csv.push_str(&line);
        csv.push('\n');
    }
    Ok(RenderedHandoff {
        json,
        csv,
        n_candidates: items.len(),
        skipped,
        planned: ids.len(),
        evaluated,
    })
}

/// What the filters said of a handed-off candidate that a chemist should read beside its
/// masses: an insulation verdict other than `insulating` and a stability other than `stable`
/// (possible when the workflow's hard filters do not require them).
fn verdict_notes(m: &halo_filters::CandidateMetrics) -> Vec<String> {
    let mut out = Vec::new();
    match m.verdicts.insulation {
        Some(halo_filters::InsulationVerdict::Insulating) => {}
        Some(v) => out.push(format!(
            "electronic insulation: {} (not required by this workflow's filters; ranked.json \
             gives the reasons)",
            v.name()
        )),
        None => out.push("electronic insulation: not assessed".into()),
    }
    match m.verdicts.stability.as_deref() {
        Some("stable") => {}
        Some(v) => out.push(format!("oxidation stability: {v}")),
        None => out.push("oxidation stability: not assessed".into()),
    }
    out
}

/// The synthesis hand-off as text, and what went into it.
pub struct RenderedHandoff {
    pub json: String,
    pub csv: String,
    /// Candidates handed off.
    pub n_candidates: usize,
    /// Passing candidates that could not be handed off, with the reason.
    pub skipped: Vec<String>,
    /// Candidates of the plan.
    pub planned: usize,
    /// Candidates with a record (the rest are pending: a stopped run, missing shards).
    pub evaluated: usize,
}

/// A precursor mass for the hand-off CSV, g: five significant figures and at least four
/// decimals (0.1 mg), so that the smallest batch (0.01 g) keeps its minor precursors to 0.01 %
/// (a fixed 0.1 mg wrote 0.00075 g of ScCl3 as 0.0007, 7 % short).
fn mass_text(mass_g: f64) -> String {
    let exp = if mass_g > 0.0 {
        mass_g.log10().floor() as i32
    } else {
        0
    };
    let decimals = (4 - exp).max(4) as usize;
    format!("{mass_g:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder::RunLog;

    fn pass(start: Option<f64>, wall_s: f64) -> RunLog {
        RunLog {
            shard: "0/1".into(),
            threads: 1,
            recorded: 1,
            already_done: 0,
            interrupted: false,
            wall_s,
            started_unix_s: start,
            cpu_s: wall_s,
            halo_version: "test".into(),
        }
    }

    /// Shards that ran at the same time count their wall-clock time once; passes one after the
    /// other add up; a pass logged without a start time (an older log) adds its wall time.
    #[test]
    fn overlapping_passes_count_their_time_once() {
        let same_time = [
            pass(Some(100.0), 10.0),
            pass(Some(101.0), 10.0),
            pass(Some(102.0), 9.0),
        ];
        assert!((wall_clock_s(&same_time) - 11.0).abs() < 1e-12);
        let one_after_the_other = [pass(Some(0.0), 5.0), pass(Some(50.0), 5.0)];
        assert!((wall_clock_s(&one_after_the_other) - 10.0).abs() < 1e-12);
        let mixed = [pass(Some(0.0), 5.0), pass(None, 7.0), pass(Some(3.0), 4.0)];
        assert!((wall_clock_s(&mixed) - 14.0).abs() < 1e-12);
    }
}
