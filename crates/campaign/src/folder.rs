//! A campaign output folder: its layout, atomic writes and the readers of what it holds. The
//! driver (run, resume, status, merge, report, export) and the renderers of `outputs` both use
//! it; it depends on neither.
//!
//! Layout:
//! ```text
//! DIR/workflow.toml                 the workflow text the campaign was started with
//! DIR/workflow.origin               the absolute path of the workflow file (relative paths)
//! DIR/candidates.json               the plan: every candidate (id, formula, …) and every rejection
//! DIR/checkpoint.jsonl              one durable line per finished candidate (unsharded run)
//! DIR/checkpoint.shard-k-of-N.jsonl the same, per shard
//! DIR/merge-status.json             the latest merge's coverage
//! DIR/ranked.csv, ranked.json       the ranking (built from the checkpoint, sorted; deterministic)
//! DIR/report.md, plots/*.svg        the report
//! DIR/structures/<id>.cif|.json     each evaluated candidate's model (CIF and pymatgen JSON)
//! DIR/synthesis/handoff.json|.csv   the hand-off of the top candidates (`halo export --synthesis`)
//! ```

use crate::checkpoint::read_records;
use crate::config::{self, LoadedWorkflow};
use crate::error::CampaignError;
use crate::pipeline::Plan;
use crate::record::CandidateRecord;
use crate::shard::Shard;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// An advisory lock on a campaign folder (`DIR/.lock`, and `DIR/.lock.shard-k-of-N` for a
/// shard), held until dropped; the operating system releases it when the process dies, so a
/// SIGKILLed run never leaves a stale lock. One writer per folder: `run`/`resume` of the whole
/// campaign, `report`, `merge` and `export` take the folder lock exclusively; a shard run takes
/// it shared (shards of one array run side by side) and its shard lock exclusively. `status`
/// reads without a lock.
#[derive(Debug)]
pub struct FolderLock {
    _files: Vec<std::fs::File>,
}

/// One `halo run`/`resume` pass, appended to `DIR/runs.jsonl`: the report's throughput.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunLog {
    /// `k/N`, or `0/1` for the whole campaign.
    pub shard: String,
    pub threads: usize,
    /// Candidates recorded by this pass.
    pub recorded: usize,
    pub already_done: usize,
    pub interrupted: bool,
    /// Wall time of the pass, s.
    pub wall_s: f64,
    /// When the pass started, s since the Unix epoch (`None` in logs of earlier versions):
    /// passes that ran at the same time (shards of one array) overlap, and the report counts
    /// their wall-clock time once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_unix_s: Option<f64>,
    /// CPU time of the process over the pass (all threads), s.
    pub cpu_s: f64,
    pub halo_version: String,
}

/// The records of a folder's checkpoints, one per candidate id ([`CampaignFolder::collect`]).
#[derive(Clone, Debug, Default)]
pub struct Collected {
    pub records: BTreeMap<String, CandidateRecord>,
    /// Records left out because another of the same id was kept.
    pub duplicates: usize,
    /// Ids with two current records that hold different results.
    pub conflicts: Vec<String>,
}

/// A campaign output folder.
#[derive(Clone, Debug)]
pub struct CampaignFolder {
    /// The folder.
    pub dir: PathBuf,
}

impl CampaignFolder {
    /// The folder at `dir` (nothing is created or read yet).
    pub fn new(dir: impl Into<PathBuf>) -> CampaignFolder {
        CampaignFolder { dir: dir.into() }
    }

    /// A path inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Write `name` (relative to the folder) atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, CampaignError> {
        let p = self.path(name);
        write_atomic(&p, bytes)?;
        Ok(p)
    }

    /// The whole-folder lock of a command that rewrites a campaign's outputs (`report`, `merge`,
    /// `export`), taken before its workflow is read: a run that holds it may not have written
    /// `workflow.toml` yet, and the answer is then "in use by PID …", not "not a campaign
    /// folder". A folder with neither a workflow nor a lock file is refused as no campaign
    /// without creating anything in it.
    pub fn lock_campaign(&self) -> Result<FolderLock, CampaignError> {
        if !self.path("workflow.toml").exists() && !self.path(".lock").exists() {
            self.load_workflow()?;
        }
        self.lock(None)
    }

    /// Take the folder's lock: exclusively for `shard` = None (a whole run, report, merge,
    /// export), shared plus the shard's own lock for a shard run. A folder in use gives
    /// [`CampaignError::Busy`] naming the holder's PID.
    pub fn lock(&self, shard: Option<&Shard>) -> Result<FolderLock, CampaignError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| CampaignError::io(&self.dir, e))?;
        let folder_path = self.path(".lock");
        let shared = shard.is_some_and(|s| s.count > 1);
        let take = |f: &std::fs::File| {
            if shared {
                f.try_lock_shared()
            } else {
                f.try_lock()
            }
        };
        let mut files = Vec::new();
        // the folder itself is locked as well: `.lock` can be deleted while a run holds it (it
        // is left behind with a dead PID after a crash, which invites deleting it), and a second
        // writer then locked a new file and wrote the checkpoint beside the first one. A
        // directory with files in it cannot be deleted, and flock works on its descriptor.
        // Best effort: where the file system cannot lock a directory (NFS emulates flock with
        // byte-range locks, which a read-only descriptor cannot take exclusively) `.lock`
        // alone guards the folder, as before.
        #[cfg(unix)]
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            match take(&dir) {
                Ok(()) => files.push(dir),
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(self.busy(&folder_path, std::fs::TryLockError::WouldBlock))
                }
                Err(std::fs::TryLockError::Error(_)) => {}
            }
        }
        let folder = open_lock_file(&folder_path)?;
        if let Err(e) = take(&folder) {
            return Err(self.busy(&folder_path, e));
        }
        files.push(folder);
        let holder_file = files.len() - 1;
        match shard.filter(|s| s.count > 1) {
            Some(s) => {
                let p = self.path(&format!(".lock.shard-{}-of-{}", s.index, s.count));
                let f = open_lock_file(&p)?;
                if let Err(e) = f.try_lock() {
                    return Err(self.busy(&p, e));
                }
                write_holder(&f, &p)?;
                files.push(f);
                // the shard's checkpoint is locked too: its lock file can be deleted under a
                // running shard like `.lock`, and a second run of the shard then appended to the
                // same checkpoint (torn, interleaved records); the checkpoint itself is the data
                let ckpt = self.checkpoint_path(s);
                let c = open_lock_file(&ckpt)?;
                if let Err(e) = c.try_lock() {
                    return Err(self.busy(&p, e));
                }
                files.push(c);
            }
            None => write_holder(&files[holder_file], &folder_path)?,
        }
        Ok(FolderLock { _files: files })
    }

    fn busy(&self, lock_path: &Path, e: std::fs::TryLockError) -> CampaignError {
        match e {
            std::fs::TryLockError::Error(e) => CampaignError::io(lock_path, e),
            std::fs::TryLockError::WouldBlock => {
                // shard runs hold the folder shared and cannot write `.lock` (it keeps whoever
                // held it last, often a process long gone): the holders are the shard locks
                // that are held now
                let shards = if lock_path == self.path(".lock") {
                    self.shard_holders()
                } else {
                    Vec::new()
                };
                let holder = if shards.is_empty() {
                    std::fs::read_to_string(lock_path).unwrap_or_default()
                } else {
                    format!("shard runs: {}", shards.join("; "))
                };
                let holder = holder.trim();
                CampaignError::Busy {
                    path: self.dir.clone(),
                    holder: if holder.is_empty() {
                        "another halo process (shard runs hold the folder shared)".into()
                    } else {
                        holder.to_string()
                    },
                }
            }
        }
    }

    /// The shard locks (`.lock.shard-k-of-N`) held now, each as "k/N: PID p on host".
    fn shard_holders(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Some(shard) = name.strip_prefix(".lock.shard-") else {
                continue;
            };
            let Ok(f) = std::fs::File::open(e.path()) else {
                continue;
            };
            // a lock that can be taken is held by no one (taking it here releases it on drop)
            if let Err(std::fs::TryLockError::WouldBlock) = f.try_lock_shared() {
                let who = std::fs::read_to_string(e.path()).unwrap_or_default();
                out.push(format!("{}: {}", shard.replace("-of-", "/"), who.trim()));
            }
        }
        out.sort();
        out
    }

    /// Append a pass to `runs.jsonl` (one line, fsync'd).
    pub fn append_run(&self, log: &RunLog) -> Result<(), CampaignError> {
        use std::io::Write;
        let p = self.path("runs.jsonl");
        let mut line = serde_json::to_vec(log).map_err(|e| CampaignError::Serialize {
            what: "runs.jsonl".into(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .map_err(|e| CampaignError::io(&p, e))?;
        f.write_all(&line).map_err(|e| CampaignError::io(&p, e))?;
        f.sync_data().map_err(|e| CampaignError::io(&p, e))
    }

    /// Every pass recorded in `runs.jsonl` (unreadable lines are skipped: the log is only for
    /// the report).
    pub fn runs(&self) -> Vec<RunLog> {
        std::fs::read_to_string(self.path("runs.jsonl"))
            .map(|t| {
                t.lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The checkpoint file of a shard (`checkpoint.jsonl` when unsharded).
    pub fn checkpoint_path(&self, shard: &Shard) -> PathBuf {
        self.path(&shard.checkpoint_name())
    }

    /// The sections in which the workflow recorded in the folder differs from `lw`'s (empty when
    /// they are the same), or `None` when the folder records none.
    pub fn workflow_change(
        &self,
        lw: &LoadedWorkflow,
    ) -> Result<Option<Vec<&'static str>>, CampaignError> {
        let wf_path = self.path("workflow.toml");
        if !wf_path.exists() {
            return Ok(None);
        }
        let old = std::fs::read_to_string(&wf_path).map_err(|e| CampaignError::io(&wf_path, e))?;
        let old_w = config::parse(&old).map_err(|reason| CampaignError::Config {
            path: wf_path.clone(),
            reason,
        })?;
        Ok(Some(changed_sections(&old_w, &lw.workflow)))
    }

    /// Prepare an output folder: record the workflow text and the plan. A folder that records
    /// another workflow takes this one when they differ only where the records do not depend
    /// on them ([`RECORD_SECTIONS`]: the filters, the hand-off, the name), with a note, and
    /// otherwise only with `recompute_stale` (its records of other settings are then dropped and
    /// computed again by the run); else it is refused, naming the sections.
    pub fn prepare(
        &self,
        lw: &LoadedWorkflow,
        plan: &Plan,
        recompute_stale: bool,
    ) -> Result<(), CampaignError> {
        let dir = self.dir.as_path();
        let wf_path = dir.join("workflow.toml");
        match self.workflow_change(lw)? {
            None => write_atomic(&wf_path, lw.text.as_bytes())?,
            Some(changed) if changed.is_empty() => {}
            Some(changed) => {
                let depended: Vec<&str> = changed
                    .iter()
                    .copied()
                    .filter(|s| RECORD_SECTIONS.contains(s))
                    .collect();
                let records = !depended.is_empty();
                if records && !recompute_stale {
                    return Err(CampaignError::State {
                        path: dir.to_path_buf(),
                        reason: format!(
                            "holds a campaign whose workflow.toml differs from {} in {}; its \
                             records depend on {}: use another --out, or give \
                             --recompute-stale to take this workflow and compute again the \
                             records it changes",
                            lw.path.display(),
                            changed.join(", "),
                            depended.join(", ")
                        ),
                    });
                }
                write_atomic(&wf_path, lw.text.as_bytes())?;
                eprintln!(
                    "halo: {}: workflow.toml replaced by {} (changed: {}){}",
                    dir.display(),
                    lw.path.display(),
                    changed.join(", "),
                    if records {
                        ""
                    } else {
                        "; the records do not depend on it and are kept"
                    }
                );
            }
        }
        if let Ok(abs) = std::fs::canonicalize(&lw.path) {
            write_atomic(
                &dir.join("workflow.origin"),
                abs.display().to_string().as_bytes(),
            )?;
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
    pub fn load_workflow(&self) -> Result<LoadedWorkflow, CampaignError> {
        let dir = self.dir.as_path();
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

    /// The shard a resume without one continues (`halo resume DIR`, `halo.resume(dir)`):
    /// `None` (the whole campaign) if the folder has a whole-campaign checkpoint or none at all;
    /// the one shard whose checkpoint it holds if that is all it has (a shard run that crashed:
    /// a whole-campaign pass would compute that shard's records again); an error naming them
    /// when it holds several shards only.
    pub fn resume_shard(&self) -> Result<Option<Shard>, CampaignError> {
        let files = self.checkpoint_files()?;
        if files.iter().any(|(s, _)| s.is_none_or(|s| s.count == 1)) {
            return Ok(None);
        }
        let shards: Vec<Shard> = files.iter().filter_map(|(s, _)| *s).collect();
        match shards.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => {
                let list: Vec<String> = shards.iter().map(|s| s.to_string()).collect();
                Err(CampaignError::State {
                    path: self.dir.clone(),
                    reason: format!(
                        "holds the checkpoints of shards {} and no whole-campaign one: say which \
                         to resume (--shard k/N), or --shard 0/1 for the whole campaign (it \
                         would compute again what the shard checkpoints hold; `halo merge` keeps \
                         one record per candidate)",
                        list.join(", ")
                    ),
                })
            }
        }
    }

    /// All checkpoint files of a folder: (shard or None for the unsharded file, path).
    pub fn checkpoint_files(&self) -> Result<Vec<(Option<Shard>, PathBuf)>, CampaignError> {
        let dir = self.dir.as_path();
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

    /// Every record found in the folder's checkpoints, one per candidate id, a record of
    /// `settings` (see [`CampaignFolder::collect`]) before any other.
    pub fn collect_records(
        &self,
        settings: Option<&str>,
    ) -> Result<BTreeMap<String, CandidateRecord>, CampaignError> {
        Ok(self.collect(None, settings)?.records)
    }

    /// The records a merge into `shards` shards reads (the whole-campaign checkpoint and the
    /// shard checkpoints of that count; every checkpoint when `None`), one per candidate id.
    ///
    /// With `settings` (the folder's [`crate::fingerprint::settings_hash`]) a record computed
    /// with them is kept before one that is not, whichever file holds it: the records of an
    /// earlier whole run or shard count, made stale by an edit, do not hide the current ones
    /// the shards computed again (they were kept first by file order, and the folder then read
    /// as stale, or as two different results for one candidate, though every candidate had a
    /// current record). Two current records with different results are a conflict; a stale
    /// record that differs from a current one is only stale. Without `settings` every record
    /// counts as current.
    pub fn collect(
        &self,
        shards: Option<u32>,
        settings: Option<&str>,
    ) -> Result<Collected, CampaignError> {
        let files = self
            .checkpoint_files()?
            .into_iter()
            .filter(|(s, _)| match (shards, s) {
                (Some(n), Some(s)) => s.count == n,
                _ => true,
            });
        collect_files(files.map(|(_, p)| p), settings)
    }

    /// Read the plan saved in the folder (`candidates.json`): `report`, `merge`, `status` and
    /// `export` use it instead of enumerating the frameworks again.
    pub fn read_plan(&self) -> Result<Plan, CampaignError> {
        let p = self.path("candidates.json");
        let text = std::fs::read_to_string(&p).map_err(|e| CampaignError::io(&p, e))?;
        serde_json::from_str(&text).map_err(|e| CampaignError::State {
            path: p,
            reason: format!("unreadable plan: {e}"),
        })
    }
}

/// The records of the checkpoint files `files`, one per candidate id, a record of `settings`
/// before any other ([`CampaignFolder::collect`]).
pub fn collect_files(
    files: impl IntoIterator<Item = PathBuf>,
    settings: Option<&str>,
) -> Result<Collected, CampaignError> {
    use crate::checkpoint::Keyed;
    let current = |r: &CandidateRecord| match settings {
        None => true,
        Some(s) => r.fingerprint.as_ref() == Some(&crate::fingerprint::fingerprint(s, &r.id)),
    };
    let mut out = Collected::default();
    for p in files {
        let (recs, recovery, _) = read_records::<CandidateRecord>(&p)?;
        out.duplicates += recovery.duplicates;
        out.conflicts.extend(recovery.conflicts);
        for (k, v) in recs {
            match out.records.entry(k) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    out.duplicates += 1;
                    match (current(o.get()), current(&v)) {
                        (true, true) if !o.get().same_result(&v) => {
                            out.conflicts.push(o.key().clone())
                        }
                        (false, true) => {
                            o.insert(v);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    out.conflicts.sort();
    out.conflicts.dedup();
    Ok(out)
}

/// An exclusive lock on `dir/.lock` for a command that writes its outputs into `dir` (`halo
/// validate --out`), held until dropped (the operating system releases it when the process
/// dies): a second such command on the same folder is refused with the holder's PID instead of
/// interleaving its files with the first one's. `what` names the command in the message.
pub fn lock_output_dir(dir: &Path, what: &str) -> Result<FolderLock, CampaignError> {
    std::fs::create_dir_all(dir).map_err(|e| CampaignError::io(dir, e))?;
    let path = dir.join(".lock");
    let f = open_lock_file(&path)?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            return Err(CampaignError::State {
                path: dir.to_path_buf(),
                reason: format!(
                    "output folder in use by {} ({what} writing there); wait for it to finish or \
                     give another output folder",
                    match holder.trim() {
                        "" => "another halo process",
                        h => h,
                    }
                ),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(CampaignError::io(&path, e)),
    }
    write_holder(&f, &path)?;
    Ok(FolderLock { _files: vec![f] })
}

fn open_lock_file(path: &Path) -> Result<std::fs::File, CampaignError> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| CampaignError::io(path, e))
}

/// Record the holder's PID in a lock file it holds exclusively.
fn write_holder(f: &std::fs::File, path: &Path) -> Result<(), CampaignError> {
    use std::io::{Seek, Write};
    let mut f = f;
    f.set_len(0).map_err(|e| CampaignError::io(path, e))?;
    f.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| CampaignError::io(path, e))?;
    writeln!(f, "PID {} on {}", std::process::id(), hostname())
        .map_err(|e| CampaignError::io(path, e))
}

/// This machine's name, for lock holders (on a cluster a PID means nothing without its node).
fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this host".into())
}

/// The workflow sections a checkpoint record depends on (see [`crate::fingerprint`]): a change
/// there makes the folder's records stale.
pub const RECORD_SECTIONS: [&str; 5] = ["campaign.seed", "framework", "enumerate", "bvse", "kmc"];

/// The sections (as named in [`RECORD_SECTIONS`], plus `campaign.name`,
/// `campaign.description`, `filters` and `synthesis`) in which `a` and `b` differ.
pub fn changed_sections(a: &config::Workflow, b: &config::Workflow) -> Vec<&'static str> {
    fn differ<T: serde::Serialize>(x: &T, y: &T) -> bool {
        serde_json::to_value(x).ok() != serde_json::to_value(y).ok()
    }
    let (ca, cb) = (&a.campaign, &b.campaign);
    [
        ("campaign.name", differ(&ca.name, &cb.name)),
        (
            "campaign.description",
            differ(&ca.description, &cb.description),
        ),
        ("campaign.seed", differ(&ca.seed, &cb.seed)),
        ("framework", differ(&a.frameworks, &b.frameworks)),
        ("enumerate", differ(&a.enumerate, &b.enumerate)),
        ("bvse", differ(&a.bvse, &b.bvse)),
        ("kmc", differ(&a.kmc, &b.kmc)),
        ("filters", differ(&a.filters, &b.filters)),
        ("synthesis", differ(&a.synthesis, &b.synthesis)),
    ]
    .into_iter()
    .filter_map(|(name, d)| d.then_some(name))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shard runs hold the folder shared and cannot write `.lock`, which keeps the PID of its
    /// last exclusive holder (a merge long gone): a writer refused while shards run names the
    /// shard runs that hold their locks now, with PID and host.
    #[test]
    fn a_busy_folder_names_the_shard_runs_that_hold_it() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = CampaignFolder::new(tmp.path());
        std::fs::write(folder.path(".lock"), "PID 1 on gone\n").unwrap();
        let shard: Shard = "1/4".parse().unwrap();
        let _held = folder.lock(Some(&shard)).unwrap();
        match folder.lock(None) {
            Err(CampaignError::Busy { holder, .. }) => {
                let me = format!("1/4: PID {} on ", std::process::id());
                assert!(holder.contains(&me), "{holder}");
                assert!(!holder.contains("PID 1 on gone"), "{holder}");
            }
            other => panic!("{other:?}"),
        }
    }
}
