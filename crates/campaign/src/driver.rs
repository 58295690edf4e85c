//! Campaign driver: output folder layout, run/resume, status, merge and final outputs.
//!
//! Layout of an output folder:
//! ```text
//! DIR/workflow.toml                 the workflow text the campaign was started with
//! DIR/candidates.json               the plan: every candidate (id, formula, …) and every rejection
//! DIR/checkpoint.jsonl              one durable line per finished candidate (unsharded run)
//! DIR/checkpoint.shard-k-of-N.jsonl the same, per shard
//! DIR/ranked.csv, ranked.json       the ranking (built from the checkpoint, sorted; deterministic)
//! DIR/report.md, plots/*.svg        the report
//! DIR/structures/<id>.cif|.json     each evaluated candidate's model (CIF and pymatgen JSON)
//! DIR/synthesis/handoff.json|.csv   the hand-off of the top candidates (`halo export --synthesis`)
//! ```

use crate::checkpoint::read_records;
use crate::config::{self, LoadedWorkflow};
use crate::error::CampaignError;
use crate::pipeline::{self, Plan};
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
}

/// Write `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CampaignError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| CampaignError::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(|e| CampaignError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| CampaignError::io(&tmp, e))?;
    f.sync_all().map_err(|e| CampaignError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| CampaignError::io(path, e))
}

/// Prepare an output folder: record the workflow text (refusing a folder that holds a different
/// campaign) and the plan.
fn prepare_dir(lw: &LoadedWorkflow, plan: &Plan, dir: &Path) -> Result<(), CampaignError> {
    let wf_path = dir.join("workflow.toml");
    if wf_path.exists() {
        let old = std::fs::read_to_string(&wf_path).map_err(|e| CampaignError::io(&wf_path, e))?;
        let old_w = config::parse(&old).map_err(|reason| CampaignError::Config {
            path: wf_path.clone(),
            reason,
        })?;
        let same = serde_json::to_value(&old_w).ok() == serde_json::to_value(&lw.workflow).ok();
        if !same {
            return Err(CampaignError::State {
                path: dir.to_path_buf(),
                reason:
                    "holds a different campaign (its workflow.toml differs); use another --out \
                         or `halo resume` on it"
                        .into(),
            });
        }
    } else {
        write_atomic(&wf_path, lw.text.as_bytes())?;
    }
    let plan_json =
        serde_json::to_vec_pretty(&plan.manifest()).map_err(|e| CampaignError::Serialize {
            what: "candidates.json".into(),
            reason: e.to_string(),
        })?;
    write_atomic(&dir.join("candidates.json"), &plan_json)
}

/// Load the workflow saved in an output folder (for resume/report/merge), resolving its
/// relative paths against the original workflow location if recorded, else the folder.
pub fn load_saved_workflow(dir: &Path) -> Result<LoadedWorkflow, CampaignError> {
    let p = dir.join("workflow.toml");
    if !p.is_file() {
        return Err(CampaignError::State {
            path: dir.to_path_buf(),
            reason: "no workflow.toml: not a halo campaign folder".into(),
        });
    }
    let mut lw = config::load_unchecked(&p)?;
    if let Ok(origin) = std::fs::read_to_string(dir.join("workflow.origin")) {
        lw.path = PathBuf::from(origin.trim());
    }
    Ok(lw)
}

/// Run (or continue) a campaign in `opts.out_dir`.
pub fn run(
    lw: &LoadedWorkflow,
    opts: &RunOptions,
    stop: Arc<AtomicBool>,
) -> Result<RunReport, CampaignError> {
    let t0 = Instant::now();
    let ctx = pipeline::Context::new(lw)?;
    let plan = pipeline::plan(&ctx)?;
    prepare_dir(lw, &plan, &opts.out_dir)?;
    if let Ok(abs) = std::fs::canonicalize(&lw.path) {
        write_atomic(
            &opts.out_dir.join("workflow.origin"),
            abs.display().to_string().as_bytes(),
        )?;
    }
    let mine: Vec<&pipeline::PlannedCandidate> = plan
        .candidates
        .iter()
        .filter(|c| opts.shard.contains(&c.id))
        .collect();
    let (progress, _mp) = StageProgress::new(pipeline::STAGES, mine.len() as u64, opts.progress);
    let seed = lw.workflow.campaign.seed;
    let ckpt = opts.out_dir.join(opts.shard.checkpoint_name());
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
    let mut outputs_written = false;
    if !summary.interrupted && opts.shard.count == 1 {
        crate::outputs::write_all(&opts.out_dir, lw, &plan, &done)?;
        outputs_written = true;
    }
    Ok(RunReport {
        summary,
        failed,
        rejected: plan.rejected.len(),
        planned: plan.candidates.len(),
        wall_s: t0.elapsed().as_secs_f64(),
        outputs_written,
    })
}

/// All checkpoint files of a folder: (shard or None for the unsharded file, path).
fn checkpoint_files(dir: &Path) -> Result<Vec<(Option<Shard>, PathBuf)>, CampaignError> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| CampaignError::io(dir, e))?;
    for e in rd {
        let e = e.map_err(|e| CampaignError::io(dir, e))?;
        let name = e.file_name().to_string_lossy().to_string();
        if name == "checkpoint.jsonl" {
            out.push((None, e.path()));
        } else if let Some(rest) = name
            .strip_prefix("checkpoint.shard-")
            .and_then(|r| r.strip_suffix(".jsonl"))
        {
            if let Some((k, n)) = rest.split_once("-of-") {
                if let Ok(s) = format!("{k}/{n}").parse::<Shard>() {
                    out.push((Some(s), e.path()));
                }
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Every record found in the folder's checkpoints, de-duplicated by candidate id.
pub fn collect_records(dir: &Path) -> Result<BTreeMap<String, CandidateRecord>, CampaignError> {
    let mut all = BTreeMap::new();
    for (_, p) in checkpoint_files(dir)? {
        let (recs, _, _) = read_records::<CandidateRecord>(&p)?;
        for (k, v) in recs {
            all.entry(k).or_insert(v);
        }
    }
    Ok(all)
}

/// Read the plan of a folder.
pub fn read_manifest(dir: &Path) -> Result<pipeline::Manifest, CampaignError> {
    let p = dir.join("candidates.json");
    let text = std::fs::read_to_string(&p).map_err(|e| CampaignError::io(&p, e))?;
    serde_json::from_str(&text).map_err(|e| CampaignError::State {
        path: p,
        reason: format!("unreadable plan: {e}"),
    })
}

/// The state of a campaign folder.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub name: String,
    pub planned: usize,
    pub rejected: usize,
    pub evaluated: usize,
    pub failed: Vec<(String, String, String, String)>,
    pub pending: usize,
    /// Per shard count N found on disk: shards that are not complete.
    pub incomplete_shards: BTreeMap<u32, Vec<u32>>,
}

/// Status of a folder.
pub fn status(dir: &Path) -> Result<Status, CampaignError> {
    let lw = load_saved_workflow(dir)?;
    let manifest = read_manifest(dir)?;
    let recs = collect_records(dir)?;
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
    let counts: BTreeSet<u32> = checkpoint_files(dir)?
        .iter()
        .filter_map(|(s, _)| s.map(|s| s.count))
        .collect();
    for n in counts {
        incomplete_shards.insert(n, missing_shards(&manifest, &recs, n));
    }
    Ok(Status {
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
    manifest: &pipeline::Manifest,
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
}

/// Join the shard checkpoints of `dir`, check coverage, and write the outputs when complete.
pub fn merge(dir: &Path, shards: u32) -> Result<MergeReport, CampaignError> {
    if shards == 0 {
        return Err(CampaignError::BadShard("0".into()));
    }
    let lw = load_saved_workflow(dir)?;
    let manifest = read_manifest(dir)?;
    let mut recs: BTreeMap<String, CandidateRecord> = BTreeMap::new();
    let mut dups = 0;
    for (s, p) in checkpoint_files(dir)? {
        if let Some(s) = s {
            if s.count != shards {
                continue;
            }
        }
        let (r, rec, _) = read_records::<CandidateRecord>(&p)?;
        dups += rec.duplicates;
        for (k, v) in r {
            match recs.entry(k) {
                std::collections::btree_map::Entry::Occupied(_) => dups += 1,
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
    }
    let missing = missing_shards(&manifest, &recs, shards);
    let ids: BTreeSet<&str> = manifest.candidates.iter().map(|c| c.id.as_str()).collect();
    recs.retain(|k, _| ids.contains(k.as_str()));
    let report = MergeReport {
        shards,
        missing_shards: missing.clone(),
        candidates: manifest.candidates.len(),
        recorded: recs.len(),
        failed: recs.values().filter(|r| r.metrics().is_none()).count(),
        duplicates_removed: dups,
    };
    let status_json = serde_json::to_vec_pretty(&report).map_err(|e| CampaignError::Serialize {
        what: "merge-status.json".into(),
        reason: e.to_string(),
    })?;
    write_atomic(&dir.join("merge-status.json"), &status_json)?;
    if missing.is_empty() {
        let ctx = pipeline::Context::new(&lw)?;
        let plan = pipeline::plan(&ctx)?;
        crate::outputs::write_all(dir, &lw, &plan, &recs)?;
    }
    Ok(report)
}

/// Rewrite the outputs of a complete (unsharded or merged) folder.
pub fn report(dir: &Path) -> Result<usize, CampaignError> {
    let lw = load_saved_workflow(dir)?;
    let ctx = pipeline::Context::new(&lw)?;
    let plan = pipeline::plan(&ctx)?;
    let recs = collect_records(dir)?;
    crate::outputs::write_all(dir, &lw, &plan, &recs)?;
    Ok(recs.len())
}
