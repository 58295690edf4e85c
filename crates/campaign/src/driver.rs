//! Campaign driver: run/resume, status, merge, report and the synthesis export, on a
//! [`CampaignFolder`] (layout and readers in `folder`, rendering in `outputs`).

use crate::checkpoint::read_records;
use crate::config::LoadedWorkflow;
use crate::error::CampaignError;
use crate::folder::CampaignFolder;
use crate::pipeline;
use crate::record::CandidateRecord;
use crate::runner::{run_pending, RunSummary, StageProgress};
use crate::shard::{candidate_seed, Shard};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub out_dir: PathBuf,
    pub threads: usize,
    pub shard: Shard,
    pub progress: bool,
    /// Drop records computed with other settings from the checkpoint and compute them again
    /// (without it such records stop the run).
    pub recompute_stale: bool,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub summary: RunSummary,
    pub failed: usize,
    pub rejected: usize,
    pub planned: usize,
    pub wall_s: f64,
    /// Outputs written (only for a complete unsharded run).
    pub outputs_written: bool,
    /// Candidates that passed the hard filters (when the outputs were written).
    pub passed: Option<usize>,
    /// Evaluated candidates without an Arrhenius fit (when the outputs were written).
    pub without_fit: usize,
}

/// Worker threads when none are requested: `RAYON_NUM_THREADS` when it is a positive number,
/// else every core the machine offers (`halo run`, `halo validate`, `halo.run`).
pub fn default_thread_count() -> usize {
    if let Ok(v) = std::env::var("RAYON_NUM_THREADS") {
        if let Ok(n) = v.trim().parse::<usize>() {
            if n > 0 {
                return n;
            }
        }
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Run (or continue) a campaign in `opts.out_dir`.
pub fn run(
    lw: &LoadedWorkflow,
    opts: &RunOptions,
    stop: Arc<AtomicBool>,
) -> Result<RunReport, CampaignError> {
    let t0 = Instant::now();
    let started_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs_f64());
    let cpu0 = cpu_time::ProcessTime::now();
    let mut ctx = pipeline::Context::new(lw)?;
    ctx.stop = Some(stop.clone());
    for w in &ctx.framework_warnings {
        eprintln!("warning: framework {w}");
    }
    let plan = pipeline::plan(&ctx)?;
    let folder = CampaignFolder::new(&opts.out_dir);
    let _lock = folder.lock(Some(&opts.shard))?;
    folder.prepare(lw, &plan, opts.recompute_stale)?;
    let mine: Vec<&pipeline::PlannedCandidate> = plan
        .candidates
        .iter()
        .filter(|c| opts.shard.contains(&c.id))
        .collect();
    let (progress, _mp) = StageProgress::new(pipeline::STAGES, mine.len() as u64, opts.progress);
    let seed = lw.workflow.campaign.seed;
    let ckpt = folder.checkpoint_path(&opts.shard);
    check_other_checkpoints(&folder, &ckpt, &ctx.settings_hash, &plan, opts)?;
    drop_or_refuse_stale(&ckpt, &ctx.settings_hash, &plan, opts.recompute_stale)?;
    let (summary, done) = run_pending(
        &mine,
        |c| c.id.as_str(),
        &ckpt,
        opts.threads,
        stop,
        &progress,
        |c, p| pipeline::evaluate(&ctx, c, candidate_seed(seed, &c.id), p),
    )?;
    let failed = done.values().filter(|r| r.metrics().is_none()).count();
    folder.append_run(&crate::folder::RunLog {
        shard: opts.shard.to_string(),
        threads: opts.threads,
        recorded: summary.recorded,
        already_done: summary.already_done,
        interrupted: summary.interrupted,
        wall_s: t0.elapsed().as_secs_f64(),
        started_unix_s,
        cpu_s: cpu0.elapsed().as_secs_f64(),
        halo_version: env!("CARGO_PKG_VERSION").into(),
    })?;
    let mut outputs_written = false;
    let mut passed = None;
    let mut without_fit = 0;
    if !summary.interrupted && opts.shard.count == 1 {
        let w = crate::outputs::write_all(&folder, lw, &plan, &done)?;
        passed = Some(w.passed);
        without_fit = w.without_fit;
        outputs_written = true;
    }
    Ok(RunReport {
        summary,
        failed,
        rejected: plan.rejected.len(),
        planned: plan.candidates.len(),
        wall_s: t0.elapsed().as_secs_f64(),
        outputs_written,
        passed,
        without_fit,
    })
}

/// Records of `records` whose fingerprint does not match `settings` (or whose id is not a
/// candidate of `plan`), with the reason.
fn stale_records(
    records: &BTreeMap<String, CandidateRecord>,
    settings: &str,
    plan: &pipeline::Plan,
) -> Vec<(String, String)> {
    let ids: BTreeSet<&str> = plan.candidates.iter().map(|c| c.id.as_str()).collect();
    records
        .values()
        .filter_map(|r| {
            if !ids.contains(r.id.as_str()) {
                return Some((r.id.clone(), "not a candidate of this campaign".to_string()));
            }
            let expected = crate::fingerprint::fingerprint(settings, &r.id);
            crate::fingerprint::why_stale(r.fingerprint.as_ref(), &expected)
                .map(|w| (r.id.clone(), w))
        })
        .collect()
}

/// "N of M records …: reason (k), reason (k)" for an error message.
fn describe_stale(stale: &[(String, String)], total: usize) -> String {
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, w) in stale {
        *reasons.entry(w.as_str()).or_default() += 1;
    }
    let list: Vec<String> = reasons.iter().map(|(w, n)| format!("{n} {w}")).collect();
    format!(
        "{} of {total} recorded candidates do not belong to this folder's settings: {}",
        stale.len(),
        list.join("; ")
    )
}

/// Refuse to rank, report or hand off a folder whose records are not all of its settings (an
/// edited `[kmc]` picked up by one shard with `--recompute-stale`, an edited `workflow.toml`):
/// the outputs would mix numbers of two models. `action` names what was not done. A framework
/// file that cannot be read leaves the settings unchecked, as `halo status` does (said on
/// stderr): the records are ranked as they are.
fn refuse_stale_records(
    dir: &Path,
    lw: &LoadedWorkflow,
    plan: &pipeline::Plan,
    recs: &BTreeMap<String, CandidateRecord>,
    action: &str,
) -> Result<(), CampaignError> {
    let settings = match pipeline::settings_hash_of(lw) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "halo: {}: the records' settings are not checked: a framework file cannot be \
                 read ({e})",
                dir.display()
            );
            return Ok(());
        }
    };
    let stale = stale_records(recs, &settings, plan);
    if stale.is_empty() {
        return Ok(());
    }
    Err(CampaignError::Stale {
        path: dir.to_path_buf(),
        reason: format!(
            "{}; nothing was {action}, so that no output mixes two settings. `halo resume {} \
             --recompute-stale` recomputes them (a sharded campaign: rerun the shards with \
             --recompute-stale, then `halo merge`)",
            describe_stale(&stale, recs.len()),
            dir.display()
        ),
    })
}

/// What the folder's other checkpoints (the other shards, an earlier whole run or shard count)
/// say before a pass starts. Records there of other settings — a framework file edited in
/// place, which leaves `workflow.toml` as it was, or a new halo — are refused without
/// `recompute_stale` (this pass and every later shard would run to completion and the merge
/// then refuse the mix), and named with it (those shards must be rerun with it too). A whole
/// run says how many candidates the shard checkpoints already hold: it does not read them.
fn check_other_checkpoints(
    folder: &CampaignFolder,
    own: &Path,
    settings: &str,
    plan: &pipeline::Plan,
    opts: &RunOptions,
) -> Result<(), CampaignError> {
    let others: Vec<(Option<crate::shard::Shard>, std::path::PathBuf)> = folder
        .checkpoint_files()?
        .into_iter()
        .filter(|(_, p)| p.as_path() != own)
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let collected =
        crate::folder::collect_files(others.iter().map(|(_, p)| p.clone()), Some(settings))?;
    let stale = stale_records(&collected.records, settings, plan);
    if !stale.is_empty() {
        let names: Vec<String> = others
            .iter()
            .filter_map(|(_, p)| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        let what = format!(
            "the folder's other checkpoints ({}) hold records this pass's settings do not give: \
             {}",
            names.join(", "),
            describe_stale(&stale, collected.records.len())
        );
        if !opts.recompute_stale {
            return Err(CampaignError::Stale {
                path: folder.dir.clone(),
                reason: format!(
                    "{what}. A framework file or the workflow changed since they were computed. \
                     Nothing was run: use another --out, or give --recompute-stale (then rerun \
                     every shard with it before `halo merge`)"
                ),
            });
        }
        eprintln!(
            "halo: {}: {what}; their shards must be rerun with --recompute-stale too before \
             `halo merge`",
            folder.dir.display()
        );
    }
    if opts.shard.count == 1 {
        let (own_recs, _, _) = read_records::<CandidateRecord>(own)?;
        let elsewhere = plan
            .candidates
            .iter()
            .filter(|c| !own_recs.contains_key(&c.id))
            .filter(|c| {
                collected.records.get(&c.id).is_some_and(|r| {
                    r.fingerprint.as_ref()
                        == Some(&crate::fingerprint::fingerprint(settings, &c.id))
                })
            })
            .count();
        if elsewhere > 0 {
            let counts: BTreeSet<u32> = others
                .iter()
                .filter_map(|(s, _)| s.map(|s| s.count))
                .collect();
            let n: Vec<String> = counts.iter().map(|n| n.to_string()).collect();
            eprintln!(
                "halo: {}: {elsewhere} candidates are recorded in the shard checkpoints (N = {}), \
                 which a whole-campaign run does not read: it computes them again (`halo merge \
                 {} --shards N` joins the shards instead)",
                folder.dir.display(),
                n.join(", "),
                folder.dir.display()
            );
        }
    }
    Ok(())
}

/// Refuse a checkpoint holding records of other settings (or one id recorded twice with
/// different results); with `recompute` drop the stale lines (atomic rewrite) so they are
/// computed again, never mixed.
fn drop_or_refuse_stale(
    ckpt: &Path,
    settings: &str,
    plan: &pipeline::Plan,
    recompute: bool,
) -> Result<(), CampaignError> {
    let (records, recovery, _) = read_records::<CandidateRecord>(ckpt)?;
    if !recovery.conflicts.is_empty() {
        return Err(CampaignError::Stale {
            path: ckpt.to_path_buf(),
            reason: format!(
                "candidates recorded twice with different results: {}",
                recovery.conflicts.join(", ")
            ),
        });
    }
    let stale = stale_records(&records, settings, plan);
    if stale.is_empty() {
        return Ok(());
    }
    if !recompute {
        return Err(CampaignError::Stale {
            path: ckpt.to_path_buf(),
            reason: format!(
                "{}; nothing was mixed. Give --recompute-stale to drop and recompute them",
                describe_stale(&stale, records.len())
            ),
        });
    }
    let drop: BTreeSet<&str> = stale.iter().map(|(id, _)| id.as_str()).collect();
    let text = std::fs::read_to_string(ckpt).map_err(|e| CampaignError::io(ckpt, e))?;
    let kept: String = text
        .split_inclusive('\n')
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v["id"].as_str().map(|id| !drop.contains(id)))
                .unwrap_or(true)
        })
        .collect();
    crate::folder::write_atomic(ckpt, kept.as_bytes())?;
    // the folder's ranking, report, plots and hand-off describe the dropped records: removed,
    // so that a pass stopped before it writes new ones leaves no outputs of the old settings
    // (they are written again at the end of the pass, or by `halo report`)
    let dir = ckpt.parent().unwrap_or(Path::new("."));
    let mut removed = 0;
    for f in STALE_OUTPUTS {
        let p = dir.join(f);
        if p.is_file() {
            std::fs::remove_file(&p).map_err(|e| CampaignError::io(&p, e))?;
            removed += 1;
        }
    }
    // the dropped records' structure files: a candidate of the plan writes its own again
    for id in &drop {
        for ext in ["cif", "json"] {
            let p = dir.join("structures").join(format!("{id}.{ext}"));
            if p.is_file() {
                std::fs::remove_file(&p).map_err(|e| CampaignError::io(&p, e))?;
            }
        }
    }
    let planned: BTreeSet<&str> = plan.candidates.iter().map(|c| c.id.as_str()).collect();
    let again = drop.iter().filter(|id| planned.contains(**id)).count();
    eprintln!(
        "halo: {}: dropped {} stale record(s); {again} of them are candidates of the current plan \
         and are computed again{}",
        ckpt.display(),
        stale.len(),
        if removed > 0 {
            " (the ranking, report, plots and hand-off of the old settings are removed)"
        } else {
            ""
        }
    );
    Ok(())
}

/// The outputs a pass writes from the records (relative to the campaign folder): stale once
/// records are dropped.
const STALE_OUTPUTS: [&str; 7] = [
    "ranked.csv",
    "ranked.json",
    "report.md",
    "plots/ranking.svg",
    "plots/arrhenius.svg",
    "synthesis/handoff.json",
    "synthesis/handoff.csv",
];

/// The state of a campaign folder.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub name: String,
    pub planned: usize,
    pub rejected: usize,
    pub evaluated: usize,
    pub failed: Vec<(String, String, String, String)>,
    pub pending: usize,
    /// Per shard count N found on disk: shards that are not complete, as `merge --shards N`
    /// would find them (from the whole-campaign checkpoint and the shard checkpoints of N).
    pub incomplete_shards: BTreeMap<u32, Vec<u32>>,
    /// Records computed with other settings or another model version (`resume` refuses them
    /// without `--recompute-stale`): how many, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
    /// Why the records' settings could not be checked (a framework file moved since the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings_unchecked: Option<String>,
    /// Candidates recorded twice with different results (`merge` and `resume` refuse them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

/// Status of a folder.
pub fn status(dir: &Path) -> Result<Status, CampaignError> {
    let folder = CampaignFolder::new(dir);
    let lw = folder.load_workflow()?;
    let manifest = folder.read_plan()?;
    let settings = pipeline::settings_hash_of(&lw);
    let collected = folder.collect(None, settings.as_ref().ok().map(String::as_str))?;
    let conflicts = collected.conflicts;
    let recs = collected.records;
    let ids: BTreeSet<&str> = manifest.candidates.iter().map(|c| c.id.as_str()).collect();
    let mut failed = Vec::new();
    let mut evaluated = 0;
    for r in recs.values().filter(|r| ids.contains(r.id.as_str())) {
        match &r.outcome {
            crate::record::Outcome::Evaluated { .. } => evaluated += 1,
            crate::record::Outcome::Failed { stage, reason } => failed.push((
                r.id.clone(),
                r.formula.clone(),
                stage.clone(),
                reason.clone(),
            )),
        }
    }
    let mut incomplete_shards = BTreeMap::new();
    let counts: BTreeSet<u32> = folder
        .checkpoint_files()?
        .iter()
        .filter_map(|(s, _)| s.map(|s| s.count))
        .collect();
    for n in counts {
        // what `merge --shards n` would read: the checkpoints of other shard counts do not count
        let of_n = folder
            .collect(Some(n), settings.as_ref().ok().map(String::as_str))?
            .records;
        incomplete_shards.insert(n, missing_shards(&manifest, &of_n, n));
    }
    // status only reads: a framework file moved since the run leaves the records' settings
    // unchecked (resume and merge, which need them, refuse), not the status unreadable
    let (stale, settings_unchecked) = match settings {
        Ok(settings) => {
            let stale = stale_records(&recs, &settings, &manifest);
            (
                (!stale.is_empty()).then(|| describe_stale(&stale, recs.len())),
                None,
            )
        }
        Err(e) => (
            None,
            Some(format!(
                "a framework file cannot be read ({e}): the settings of the records are not \
                 compared with the workflow's (resume and merge need the file)"
            )),
        ),
    };
    Ok(Status {
        stale,
        conflicts,
        settings_unchecked,
        name: lw.workflow.campaign.name.clone(),
        planned: manifest.candidates.len(),
        rejected: manifest.rejected.len(),
        evaluated,
        pending: manifest.candidates.len() - evaluated - failed.len(),
        failed,
        incomplete_shards,
    })
}

fn missing_shards(
    manifest: &pipeline::Plan,
    recs: &BTreeMap<String, CandidateRecord>,
    n: u32,
) -> Vec<u32> {
    let mut missing = BTreeSet::new();
    for c in &manifest.candidates {
        if !recs.contains_key(&c.id) {
            missing.insert(crate::shard::shard_of(&c.id, n));
        }
    }
    missing.into_iter().collect()
}

/// Result of a merge.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MergeReport {
    pub shards: u32,
    pub missing_shards: Vec<u32>,
    pub candidates: usize,
    pub recorded: usize,
    pub failed: usize,
    pub duplicates_removed: usize,
    /// Records of other settings left out (`--recompute-stale`): their shards are missing and
    /// must be rerun with `--recompute-stale`.
    #[serde(default)]
    pub stale_left_out: usize,
    /// Candidates that passed the hard filters, when the merge wrote the outputs (not in
    /// `merge-status.json`, which is written before them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<usize>,
    /// Evaluated candidates without an Arrhenius fit, when the merge wrote the outputs.
    #[serde(skip)]
    pub without_fit: usize,
}

/// Join the shard checkpoints of `dir`, check coverage, and write the outputs when complete.
pub fn merge(dir: &Path, shards: u32, recompute_stale: bool) -> Result<MergeReport, CampaignError> {
    if shards == 0 {
        return Err(CampaignError::State {
            path: dir.to_path_buf(),
            reason: "--shards 0: a campaign is split into at least 1 shard".into(),
        });
    }
    let folder = CampaignFolder::new(dir);
    let _lock = folder.lock_campaign()?;
    let lw = folder.load_workflow()?;
    let manifest = folder.read_plan()?;
    let files = folder.checkpoint_files()?;
    let counts: BTreeSet<u32> = files
        .iter()
        .filter_map(|(s, _)| s.map(|s| s.count))
        .collect();
    if !counts.is_empty() && !counts.contains(&shards) {
        let found: Vec<String> = counts.iter().map(|n| n.to_string()).collect();
        return Err(CampaignError::State {
            path: dir.to_path_buf(),
            reason: format!(
                "no checkpoints of {shards} shards here; found the shard checkpoints of N = {} \
                 (merge with --shards {})",
                found.join(", "),
                found[0]
            ),
        });
    }
    // the settings first: a record of them is kept before a stale one of the same candidate
    // (an earlier whole run or shard count), which is then neither stale nor a conflict
    let settings = pipeline::settings_hash_of(&lw)?;
    let collected = folder.collect(Some(shards), Some(&settings))?;
    let mut recs = collected.records;
    let dups = collected.duplicates;
    if !collected.conflicts.is_empty() {
        return Err(CampaignError::Stale {
            path: dir.to_path_buf(),
            reason: format!(
                "candidates recorded twice with different results: {}; nothing was merged",
                collected.conflicts.join(", ")
            ),
        });
    }
    let stale = stale_records(&recs, &settings, &manifest);
    if !stale.is_empty() {
        if !recompute_stale {
            return Err(CampaignError::Stale {
                path: dir.to_path_buf(),
                reason: format!(
                    "{}; nothing was merged. Give --recompute-stale to leave them out (their \
                     shards are then reported missing; rerun those shards with --recompute-stale)",
                    describe_stale(&stale, recs.len())
                ),
            });
        }
        for (id, _) in &stale {
            recs.remove(id);
        }
    }
    let stale_left_out = stale.len();
    let missing = missing_shards(&manifest, &recs, shards);
    let ids: BTreeSet<&str> = manifest.candidates.iter().map(|c| c.id.as_str()).collect();
    recs.retain(|k, _| ids.contains(k.as_str()));
    let mut report = MergeReport {
        shards,
        missing_shards: missing.clone(),
        candidates: manifest.candidates.len(),
        recorded: recs.len(),
        failed: recs.values().filter(|r| r.metrics().is_none()).count(),
        duplicates_removed: dups,
        stale_left_out,
        passed: None,
        without_fit: 0,
    };
    let status_json = serde_json::to_vec_pretty(&report).map_err(|e| CampaignError::Serialize {
        what: "merge-status.json".into(),
        reason: e.to_string(),
    })?;
    folder.write("merge-status.json", &status_json)?;
    if missing.is_empty() {
        let w = crate::outputs::write_all(&folder, &lw, &manifest, &recs)?;
        report.passed = Some(w.passed);
        report.without_fit = w.without_fit;
    }
    Ok(report)
}

/// What `halo rank DIR` ranks: the ranking record of every candidate the folder's checkpoints
/// hold (all shards; a campaign still running or stopped gives the ones recorded so far), the
/// workflow's hard filters, and how many candidates the plan has.
pub struct FolderRankingInputs {
    pub records: Vec<halo_filters::CandidateMetrics>,
    pub config: halo_filters::RankConfig,
    pub planned: usize,
}

/// Read a campaign folder's [`FolderRankingInputs`]. Reads only: no lock, nothing written.
pub fn folder_ranking_inputs(dir: &Path) -> Result<FolderRankingInputs, CampaignError> {
    let folder = CampaignFolder::new(dir);
    let lw = folder.load_workflow()?;
    let plan = folder.read_plan()?;
    let recs = folder.collect_records(pipeline::settings_hash_of(&lw).ok().as_deref())?;
    refuse_stale_records(dir, &lw, &plan, &recs, "ranked")?;
    let ids: Vec<&str> = plan.candidates.iter().map(|c| c.id.as_str()).collect();
    Ok(FolderRankingInputs {
        records: crate::outputs::ranking_metrics(&ids, &recs),
        config: crate::outputs::rank_config(&lw),
        planned: ids.len(),
    })
}

/// Rewrite the outputs of a folder: the records used, the plan's candidates with none yet
/// (a campaign still running, stopped, or with shards missing: the outputs rank the recorded
/// ones only), and what the outputs hold.
pub fn report(dir: &Path) -> Result<(usize, usize, crate::outputs::OutputsWritten), CampaignError> {
    let folder = CampaignFolder::new(dir);
    let _lock = folder.lock_campaign()?;
    let lw = folder.load_workflow()?;
    let plan = folder.read_plan()?;
    let recs = folder.collect_records(pipeline::settings_hash_of(&lw).ok().as_deref())?;
    refuse_stale_records(dir, &lw, &plan, &recs, "written")?;
    let written = crate::outputs::write_all(&folder, &lw, &plan, &recs)?;
    let pending = plan
        .candidates
        .iter()
        .filter(|c| !recs.contains_key(&c.id))
        .count();
    Ok((recs.len(), pending, written))
}

/// Write the synthesis hand-off (`synthesis/handoff.json` and `.csv`) of the top passing
/// candidates of a folder; `batch_mass_g` overrides the workflow's batch.
pub fn export_synthesis(
    dir: &Path,
    batch_mass_g: Option<f64>,
) -> Result<ExportOutcome, CampaignError> {
    let folder = CampaignFolder::new(dir);
    let _lock = folder.lock_campaign()?;
    let lw = folder.load_workflow()?;
    let plan = folder.read_plan()?;
    let recs = folder.collect_records(pipeline::settings_hash_of(&lw).ok().as_deref())?;
    refuse_stale_records(dir, &lw, &plan, &recs, "handed off")?;
    let batch = batch_mass_g.unwrap_or(lw.workflow.synthesis.batch_mass_g);
    if let Err(why) = crate::config::check_batch_mass(batch) {
        let given = if batch_mass_g.is_some() {
            "--batch-mass-g".to_string()
        } else {
            format!(
                "synthesis.batch_mass_g in {}",
                dir.join("workflow.toml").display()
            )
        };
        return Err(CampaignError::Config {
            path: dir.to_path_buf(),
            reason: format!("{given}: {why}; nothing was written"),
        });
    }
    if lw.workflow.synthesis.top == 0 {
        return Ok(ExportOutcome::Empty(
            "synthesis.top = 0 in the workflow: no candidate is handed off".into(),
        ));
    }
    let h = crate::outputs::render_handoff(&lw, &plan, &recs, batch)?;
    if h.n_candidates == 0 {
        let why = if h.evaluated == 0 {
            format!(
                "no candidate has been evaluated yet (`halo status {}` says how far the campaign \
                 got)",
                dir.display()
            )
        } else if h.skipped.is_empty() {
            "no candidate passed the hard filters (ranked.csv says which filter each failed)"
                .to_string()
        } else {
            format!(
                "no passing candidate could be handed off: {}",
                h.skipped.join("; ")
            )
        };
        return Ok(ExportOutcome::Empty(why));
    }
    let incomplete = (h.evaluated < h.planned).then(|| {
        format!(
            "the campaign is incomplete ({} of {} candidates evaluated, {} pending): the hand-off \
             ranks the evaluated ones only and its order may change; `halo resume {}` (or the \
             missing shards and `halo merge`) first",
            h.evaluated,
            h.planned,
            h.planned - h.evaluated,
            dir.display()
        )
    });
    Ok(ExportOutcome::Written {
        files: vec![
            folder.write("synthesis/handoff.json", h.json.as_bytes())?,
            folder.write("synthesis/handoff.csv", h.csv.as_bytes())?,
        ],
        incomplete,
        skipped: h.skipped,
    })
}

/// What `export` did.
#[derive(Clone, Debug)]
pub enum ExportOutcome {
    /// The hand-off files written, and a warning when the campaign has pending candidates (the
    /// JSON says `"complete": false` then).
    Written {
        /// The files.
        files: Vec<PathBuf>,
        /// Why the ranking may change: candidates not evaluated yet.
        incomplete: Option<String>,
        /// Passing candidates that could not be handed off (`id: reason`); the CSV has a row
        /// for each saying so.
        skipped: Vec<String>,
    },
    /// Nothing to hand off, and why; existing files are left as they were.
    Empty(String),
}
