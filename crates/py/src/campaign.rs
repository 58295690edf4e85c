//! Campaign control from Python: `halo.run(workflow, out=...)`, `halo.resume(dir)` and
//! `halo.status(dir)` through `halo_campaign::driver` (the functions behind `halo run`,
//! `halo resume` and `halo status --json`).

use crate::errors::{Classify, Failure, HResult, Kind};
use halo_campaign::config::{self, LoadedWorkflow};
use halo_campaign::driver::{self, RunOptions};
use halo_campaign::folder::CampaignFolder;
use halo_campaign::shard::Shard;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// How to execute a pass (the CLI's `--threads`, `--shard`, `--recompute-stale`; progress bars
/// on stderr only when asked).
#[derive(Clone)]
pub struct ExecOptions {
    pub threads: Option<usize>,
    pub shard: Option<String>,
    pub progress: bool,
    pub recompute_stale: bool,
}

/// `--threads`, or RAYON_NUM_THREADS, or every core (as `halo run`).
fn threads(t: Option<usize>) -> HResult<usize> {
    if let Some(t) = t {
        if t == 0 {
            return Err(Failure::msg(
                Kind::Parameter,
                "--threads must be at least 1",
            ));
        }
        return Ok(t);
    }
    Ok(halo_campaign::driver::default_thread_count())
}

/// The default output folder, `results/<campaign name>` (relative to the working directory).
pub fn default_out(lw: &LoadedWorkflow) -> PathBuf {
    Path::new("results").join(&lw.workflow.campaign.name)
}

fn execute(
    lw: &LoadedWorkflow,
    out: PathBuf,
    e: &ExecOptions,
    stop: Arc<AtomicBool>,
) -> HResult<serde_json::Value> {
    let shard = match &e.shard {
        None => Shard::WHOLE,
        Some(t) => t.parse::<Shard>().kind(Kind::Parameter)?,
    };
    let opts = RunOptions {
        out_dir: out.clone(),
        threads: threads(e.threads)?,
        shard,
        progress: e.progress,
        recompute_stale: e.recompute_stale,
    };
    let r = driver::run(lw, &opts, stop).kind(Kind::Campaign)?;
    let s = &r.summary;
    Ok(json!({
        "campaign": lw.workflow.campaign.name,
        "out": out.display().to_string(),
        "shard": shard.to_string(),
        "total": s.total,
        "already_done": s.already_done,
        "recorded": s.recorded,
        "interrupted": s.interrupted,
        "failed": r.failed,
        "planned": r.planned,
        "rejected": r.rejected,
        "passed": r.passed,
        // evaluated candidates without an Arrhenius fit: they fail the ranking (report.md names them)
        "without_fit": r.without_fit,
        "outputs_written": r.outputs_written,
        "wall_s": r.wall_s,
    }))
}

/// `halo run WORKFLOW [--out DIR]`: returns the pass summary.
pub fn run(
    workflow: &Path,
    out: Option<PathBuf>,
    e: &ExecOptions,
    stop: Arc<AtomicBool>,
) -> HResult<serde_json::Value> {
    let lw = config::load(workflow).kind(Kind::Campaign)?;
    let out = out.unwrap_or_else(|| default_out(&lw));
    execute(&lw, out, e, stop)
}

/// `halo resume DIR`.
pub fn resume(dir: &Path, e: &ExecOptions, stop: Arc<AtomicBool>) -> HResult<serde_json::Value> {
    let folder = CampaignFolder::new(dir);
    let lw = folder.load_workflow().kind(Kind::Campaign)?;
    // without a shard, continue what the folder was started with (as `halo resume DIR`)
    let mut e = e.clone();
    if e.shard.is_none() {
        e.shard = folder
            .resume_shard()
            .kind(Kind::Campaign)?
            .map(|s| s.to_string());
    }
    execute(&lw, dir.to_path_buf(), &e, stop)
}

/// `halo merge DIR --shards N --json`: the merge report; the outputs are written when no shard
/// is missing (`missing_shards` empty), as the CLI writes them.
pub fn merge(dir: &Path, shards: u32, recompute_stale: bool) -> HResult<serde_json::Value> {
    let r = driver::merge(dir, shards, recompute_stale).kind(Kind::Campaign)?;
    serde_json::to_value(&r).kind(Kind::Internal)
}

/// `halo status DIR --json`.
pub fn status(dir: &Path) -> HResult<serde_json::Value> {
    let s = driver::status(dir).kind(Kind::Campaign)?;
    serde_json::to_value(&s).kind(Kind::Internal)
}
