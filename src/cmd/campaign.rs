//! Campaign subcommands: `run`, `resume`, `status`, `report`, `export`, `merge`, `emit`.

use anyhow::{bail, Context as _};
use halo_campaign::config;
use halo_campaign::driver::{self, RunOptions};
use halo_campaign::emit::{self, SlurmOptions};
use halo_campaign::shard::Shard;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit code of a run stopped by SIGTERM (128 + 15), as a shell reports it.
const EXIT_TERM: u8 = 143;
/// Exit code of a run stopped by SIGINT (128 + 2).
const EXIT_INT: u8 = 130;
/// Exit code when some candidates failed (they are recorded with reasons).
const EXIT_SOME_FAILED: u8 = 1;
/// Exit code of `merge` when shards are missing.
const EXIT_MISSING_SHARDS: u8 = 3;
/// Exit code of a run or export that finished with nothing to rank or hand off (every
/// candidate rejected, none passing the filters, `synthesis.top = 0`); stderr says why.
const EXIT_EMPTY: u8 = 4;

/// How to execute a campaign pass (shared by `run` and `resume`).
#[derive(clap::Args)]
pub struct ExecArgs {
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only shard k of N (by candidate-id hash), k counted from 0: 0/8 … 7/8 (Slurm's
    /// SLURM_ARRAY_TASK_ID with --array=0-7).
    #[arg(long)]
    pub shard: Option<String>,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Records in the checkpoint computed with other settings (an edited workflow, another
    /// model version, a foreign checkpoint) are dropped and computed again; without this flag
    /// they stop the run (exit 2) and nothing is mixed. `halo run` with a workflow that differs
    /// from the folder's in what the records depend on ([kmc], [bvse], [enumerate], a framework,
    /// the seed) takes it only with this flag; a change of [filters] or [synthesis] alone is
    /// taken without it.
    #[arg(long)]
    pub recompute_stale: bool,
}

/// Arguments of `halo run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Workflow file (TOML), e.g. workflows/chlorospinel-in-sc.toml.
    pub workflow: PathBuf,
    /// Output folder (default: results/<campaign name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// Arguments of `halo resume`.
#[derive(clap::Args)]
pub struct ResumeArgs {
    /// Campaign output folder.
    pub dir: PathBuf,
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// Arguments of `halo status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    pub dir: PathBuf,
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `halo report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    pub dir: PathBuf,
}

/// Arguments of `halo export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    pub dir: PathBuf,
    /// Write the synthesis hand-off (JSON and CSV) of the top candidates.
    #[arg(long)]
    pub synthesis: bool,
    /// Batch mass in g (default: the workflow's synthesis.batch_mass_g).
    #[arg(long)]
    pub batch_mass_g: Option<f64>,
}

/// Arguments of `halo merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    pub dir: PathBuf,
    /// Number of shards the campaign was split into.
    #[arg(long)]
    pub shards: u32,
    #[arg(long)]
    pub json: bool,
    /// Leave out records computed with other settings (their shards are then reported missing)
    /// instead of refusing to merge.
    #[arg(long)]
    pub recompute_stale: bool,
}

/// Arguments of `halo emit`.
#[derive(clap::Args)]
pub struct EmitArgs {
    #[command(subcommand)]
    pub target: EmitTarget,
}

/// Where to emit for.
#[derive(clap::Subcommand)]
pub enum EmitTarget {
    /// Write a Slurm job-array script, a dependent merge job and a submit helper.
    Slurm(EmitOpts),
    /// Print the equivalent HyperQueue submission.
    Hq(EmitOpts),
}

/// Options shared by the emit targets.
#[derive(clap::Args)]
pub struct EmitOpts {
    pub workflow: PathBuf,
    #[arg(long)]
    pub shards: u32,
    /// Output folder of the campaign (default: results/<name>); Slurm scripts go to OUT/slurm/
    /// (HyperQueue: the submission is printed, its logs go to OUT/hq/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 2)]
    pub cpus_per_task: u32,
    #[arg(long, default_value = "02:00:00")]
    pub time: String,
    /// At most this many array tasks at once (0 = no limit).
    #[arg(long, default_value_t = 0)]
    pub max_parallel: u32,
    #[arg(long)]
    pub partition: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub mem_per_cpu: Option<String>,
    /// The halo binary the jobs run (default: this executable).
    #[arg(long)]
    pub halo_bin: Option<PathBuf>,
}

pub fn threads(t: Option<usize>) -> anyhow::Result<usize> {
    if let Some(t) = t {
        if t == 0 {
            bail!("--threads must be at least 1");
        }
        return Ok(t);
    }
    Ok(halo_campaign::driver::default_thread_count())
}

fn shard(s: &Option<String>) -> anyhow::Result<Shard> {
    match s {
        None => Ok(Shard::WHOLE),
        Some(t) => Ok(t.parse::<Shard>()?),
    }
}

/// SIGTERM / SIGINT flags: the runner stops starting candidates and records what is finished.
fn signals() -> anyhow::Result<(Arc<AtomicBool>, Arc<AtomicBool>, Arc<AtomicBool>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let term = Arc::new(AtomicBool::new(false));
    let int = Arc::new(AtomicBool::new(false));
    for (sig, flag) in [
        (signal_hook::consts::SIGTERM, &term),
        (signal_hook::consts::SIGINT, &int),
    ] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handler")?;
        signal_hook::flag::register(sig, flag.clone()).context("installing signal handler")?;
    }
    Ok((stop, term, int))
}

fn execute(lw: &config::LoadedWorkflow, out: PathBuf, e: &ExecArgs) -> anyhow::Result<ExitCode> {
    let threads_n = threads(e.threads)?;
    let shard = shard(&e.shard)?;
    let progress = !e.no_progress;
    let (stop, term, int) = signals()?;
    let opts = RunOptions {
        out_dir: out.clone(),
        threads: threads_n,
        shard,
        progress,
        recompute_stale: e.recompute_stale,
    };
    let r = driver::run(lw, &opts, stop)?;
    let s = &r.summary;
    eprintln!(
        "{}{}: {} candidates ({} already done, {} recorded now, {} failed); {} planned, {} rejected by enumeration; {:.1} s",
        lw.workflow.campaign.name,
        if shard.count > 1 {
            format!(" shard {shard}")
        } else {
            String::new()
        },
        s.total,
        s.already_done,
        s.recorded,
        r.failed,
        r.planned,
        r.rejected,
        r.wall_s
    );
    if s.interrupted {
        eprintln!(
            "stopped before the end; continue with: halo resume {}{}",
            out.display(),
            if shard.count > 1 {
                format!(" --shard {shard}")
            } else {
                String::new()
            }
        );
        if term.load(Ordering::SeqCst) {
            return Ok(ExitCode::from(EXIT_TERM));
        }
        if int.load(Ordering::SeqCst) {
            return Ok(ExitCode::from(EXIT_INT));
        }
        return Ok(ExitCode::from(EXIT_TERM));
    }
    if r.outputs_written {
        eprintln!("outputs in {}", out.display());
        note_without_fit(r.without_fit);
    }
    if r.planned == 0 {
        eprintln!(
            "nothing to rank: every candidate was rejected by enumeration ({}; reasons in {}/candidates.json)",
            r.rejected,
            out.display()
        );
        return Ok(ExitCode::from(EXIT_EMPTY));
    }
    if r.failed > 0 {
        eprintln!(
            "{} candidate(s) failed; `halo status {}` lists them",
            r.failed,
            out.display()
        );
        return Ok(ExitCode::from(EXIT_SOME_FAILED));
    }
    Ok(ranked_code(r.passed))
}

/// Say that some evaluated candidates have no Arrhenius fit: their σ(300 K) and Ea columns are
/// empty and they fail the ranking, which a ranking read without the report would hide.
fn note_without_fit(n: usize) {
    if n > 0 {
        eprintln!(
            "{n} evaluated candidate(s) have no Arrhenius fit (fewer than two of [kmc] \
             temperatures_k gave a σ above the run's resolution, or could be simulated): no \
             σ(300 K) or Ea to rank by, so they fail the ranking and are not handed off; \
             report.md lists them, and ranked.csv has their simulated σ(300 K) \
             (docs/physics.md §5.9)"
        );
    }
}

/// The exit code of a command that wrote the ranking (`passed`: the candidates that passed the
/// hard filters; `None` when nothing was ranked): 4 with a note when none passed.
fn ranked_code(passed: Option<usize>) -> ExitCode {
    if passed == Some(0) {
        eprintln!(
            "no candidate passed the hard filters; ranked.csv lists each with the filter it failed"
        );
        return ExitCode::from(EXIT_EMPTY);
    }
    ExitCode::SUCCESS
}

fn default_out(lw: &config::LoadedWorkflow) -> PathBuf {
    Path::new("results").join(&lw.workflow.campaign.name)
}

/// `halo run`.
pub fn run(a: RunArgs) -> anyhow::Result<ExitCode> {
    let lw = config::load(&a.workflow)?;
    let out = a.out.clone().unwrap_or_else(|| default_out(&lw));
    execute(&lw, out, &a.exec)
}

/// `halo resume`. Without `--shard` it continues what the folder was started with
/// (`CampaignFolder::resume_shard`).
pub fn resume(mut a: ResumeArgs) -> anyhow::Result<ExitCode> {
    let folder = halo_campaign::folder::CampaignFolder::new(&a.dir);
    let lw = folder.load_workflow()?;
    if a.exec.shard.is_none() {
        if let Some(one) = folder.resume_shard()? {
            eprintln!(
                "halo resume: {} holds the checkpoint of shard {one} only; resuming that shard \
                 (--shard 0/1 for the whole campaign)",
                a.dir.display()
            );
            a.exec.shard = Some(one.to_string());
        }
    } else if let Some(given) = &a.exec.shard {
        // a resume continues shards that exist; another N would start a new split from nothing
        let n = shard(&a.exec.shard)?.count;
        let counts: std::collections::BTreeSet<u32> = folder
            .checkpoint_files()?
            .iter()
            .filter_map(|(s, _)| s.map(|s| s.count))
            .collect();
        if n > 1 && !counts.is_empty() && !counts.contains(&n) {
            let found: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
            bail!(
                "{}: holds the shard checkpoints of N = {}, none of N = {n}: --shard {given} would \
                 start a new split and compute its candidates again. Resume with --shard k/{} \
                 (k from 0), or start the new split with `halo run` if that is what you want",
                a.dir.display(),
                found.join(", "),
                found[0]
            );
        }
    }
    execute(&lw, a.dir.clone(), &a.exec)
}

/// `halo status`.
pub fn status(a: StatusArgs) -> anyhow::Result<ExitCode> {
    let s = driver::status(&a.dir)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!("campaign   {}", s.name);
        println!("planned    {}", s.planned);
        println!(
            "rejected   {} (by enumeration; reasons in candidates.json)",
            s.rejected
        );
        println!("evaluated  {}", s.evaluated);
        println!("failed     {}", s.failed.len());
        println!("pending    {}", s.pending);
        for (n, missing) in &s.incomplete_shards {
            if missing.is_empty() {
                println!("shards     {n}: all complete");
            } else {
                let list: Vec<String> = missing.iter().map(|k| k.to_string()).collect();
                println!("shards     {n}: incomplete {}", list.join(","));
            }
        }
        if let Some(why) = &s.settings_unchecked {
            println!("settings   not checked: {why}");
        }
        if !s.conflicts.is_empty() {
            println!(
                "conflicts  {} candidate(s) recorded twice with different results ({}): merge \
                 and resume refuse them until one record is removed",
                s.conflicts.len(),
                s.conflicts.join(", ")
            );
        }
        if let Some(stale) = &s.stale {
            println!("stale      {stale}; `halo resume --recompute-stale` computes them again");
        }
        for (id, formula, stage, reason) in &s.failed {
            println!("  FAILED {id} {formula} at {stage}: {reason}");
        }
    }
    Ok(if s.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_SOME_FAILED)
    })
}

/// `halo report`.
pub fn report(a: ReportArgs) -> anyhow::Result<ExitCode> {
    let (n, pending, written) = driver::report(&a.dir)?;
    eprintln!(
        "report for {n} recorded candidates written to {}",
        a.dir.display()
    );
    note_without_fit(written.without_fit);
    // a campaign still running, stopped, or with shards missing: the outputs rank what is
    // recorded, which is not the campaign's ranking (`merge` writes nothing then)
    if n > 0 && pending > 0 {
        eprintln!(
            "warning: the campaign is incomplete: {pending} candidates pending (`halo status \
             {}`); the outputs rank the {n} recorded ones only",
            a.dir.display()
        );
        return Ok(ExitCode::from(EXIT_MISSING_SHARDS));
    }
    if n == 0 {
        // the README's "nothing to rank": no candidate recorded yet
        eprintln!(
            "nothing to rank: no candidate is recorded yet (`halo status {}`)",
            a.dir.display()
        );
        return Ok(ExitCode::from(EXIT_EMPTY));
    }
    // as `halo run` on the same folder
    Ok(ranked_code(Some(written.passed)))
}

/// `halo export`.
pub fn export(a: ExportArgs) -> anyhow::Result<ExitCode> {
    if !a.synthesis {
        bail!("nothing to export: pass --synthesis");
    }
    match driver::export_synthesis(&a.dir, a.batch_mass_g)? {
        driver::ExportOutcome::Written {
            files,
            incomplete,
            skipped,
        } => {
            for f in files {
                println!("{}", f.display());
            }
            if let Some(w) = incomplete {
                eprintln!("warning: {w}");
            }
            if !skipped.is_empty() {
                eprintln!(
                    "warning: {} passing candidate(s) not handed off (a row each in the CSV says \
                     so): {}",
                    skipped.len(),
                    skipped.join("; ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        driver::ExportOutcome::Empty(why) => {
            eprintln!("nothing exported: {why}; existing hand-off files are left as they were");
            Ok(ExitCode::from(EXIT_EMPTY))
        }
    }
}

/// `halo merge`.
pub fn merge(a: MergeArgs) -> anyhow::Result<ExitCode> {
    let sbatch = a.dir.join("slurm").join("array.sbatch");
    if !a.dir.join("workflow.toml").exists() && sbatch.is_file() {
        // emitted, but no task started (the array cancelled, every task failed at its start)
        eprintln!(
            "missing shards: all {} (no shard has started in {}: it holds the emitted scripts \
             only; `halo status` has nothing to read); submit them, e.g. sbatch {}",
            a.shards,
            a.dir.display(),
            emit::shell_word(&sbatch.display().to_string())
        );
        return Ok(ExitCode::from(EXIT_MISSING_SHARDS));
    }
    let r = driver::merge(&a.dir, a.shards, a.recompute_stale)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    }
    if !r.missing_shards.is_empty() {
        let list: Vec<String> = r.missing_shards.iter().map(|k| k.to_string()).collect();
        // stale records left out: their shards are rerun with --recompute-stale, or they stop
        let stale_flag = if r.stale_left_out > 0 {
            " --recompute-stale"
        } else {
            ""
        };
        // the resubmission the folder was set up for: its Slurm script (when it writes into
        // this folder: a copied or moved folder keeps scripts that write into the old one),
        // else a shard run
        let script_out = std::fs::read_to_string(&sbatch)
            .ok()
            .and_then(|t| emit::array_script_out(&t));
        let here = std::fs::canonicalize(&a.dir).ok();
        let script_here = script_out
            .as_ref()
            .is_some_and(|o| std::fs::canonicalize(o).ok() == here);
        let workflow = std::fs::read_to_string(a.dir.join("workflow.origin"))
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let dir = emit::shell_word(&a.dir.display().to_string());
        let how = if script_here {
            format!(
                "sbatch --array={} {}{stale_flag}",
                list.join(","),
                emit::shell_word(&sbatch.display().to_string())
            )
        } else {
            let wf = workflow
                .as_deref()
                .map(emit::shell_word)
                .unwrap_or_else(|| "WORKFLOW".into());
            let moved = match &script_out {
                Some(o) => format!(
                    " ({} writes into {o}, not into this folder: re-emit it with `halo emit \
                     slurm {wf} --shards {} --out {dir}` to resubmit with Slurm)",
                    sbatch.display(),
                    a.shards
                ),
                None => String::new(),
            };
            format!(
                "halo run {wf} --out {dir} --shard {}/{}{stale_flag} (and each other one){moved}",
                r.missing_shards[0], a.shards
            )
        };
        eprintln!(
            "missing shards: {} ({} of {} candidates recorded{}); resubmit them, e.g. {how}",
            list.join(","),
            r.recorded,
            r.candidates,
            if r.stale_left_out > 0 {
                format!("; {} records of other settings left out", r.stale_left_out)
            } else {
                String::new()
            }
        );
        return Ok(ExitCode::from(EXIT_MISSING_SHARDS));
    }
    eprintln!(
        "merged {} shards: {} candidates, {} failed, {} duplicate records removed; outputs in {}",
        r.shards,
        r.recorded,
        r.failed,
        r.duplicates_removed,
        a.dir.display()
    );
    note_without_fit(r.without_fit);
    if r.failed > 0 {
        return Ok(ExitCode::from(EXIT_SOME_FAILED));
    }
    Ok(ranked_code(r.passed))
}

/// `--halo-bin`: the binary every job runs, as an absolute path that exists and is executable
/// here (a bare name is looked up on PATH, as the shell would; it was joined to the current
/// folder, and a missing file made every task and the merge fail on the cluster).
fn halo_bin(b: &Path) -> anyhow::Result<PathBuf> {
    let found = if b.components().count() == 1 && !b.is_absolute() && !b.exists() {
        std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(b))
                    .find(|p| p.is_file())
            })
            .ok_or_else(|| anyhow::anyhow!("--halo-bin {}: not found on PATH", b.display()))?
    } else {
        abs(b)?
    };
    let meta =
        std::fs::metadata(&found).with_context(|| format!("--halo-bin {}", found.display()))?;
    if !meta.is_file() {
        bail!("--halo-bin {}: not a file", found.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            bail!("--halo-bin {}: not executable", found.display());
        }
    }
    Ok(found)
}

fn abs(p: &Path) -> anyhow::Result<PathBuf> {
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()?.join(p)
    })
}

/// `halo emit slurm|hq`.
pub fn emit(a: EmitArgs) -> anyhow::Result<ExitCode> {
    let (o, slurm) = match a.target {
        EmitTarget::Slurm(o) => (o, true),
        EmitTarget::Hq(o) => {
            // Slurm's scheduling options have no HyperQueue counterpart here: refuse them
            // rather than print a submission that silently drops them
            let slurm_only = [
                ("--max-parallel", o.max_parallel != 0),
                ("--partition", o.partition.is_some()),
                ("--account", o.account.is_some()),
                ("--mem-per-cpu", o.mem_per_cpu.is_some()),
            ];
            if let Some((flag, _)) = slurm_only.iter().find(|(_, given)| *given) {
                anyhow::bail!(
                    "{flag} applies to `halo emit slurm` only: the HyperQueue submission has no \
                     such option (set it on the HyperQueue workers, `hq worker start`)"
                );
            }
            (o, false)
        }
    };
    let lw = config::load(&o.workflow)?;
    let out = abs(&o.out.clone().unwrap_or_else(|| default_out(&lw)))?;
    // a folder holding another campaign would stop every task (exit 2): say so now
    let folder = halo_campaign::folder::CampaignFolder::new(&out);
    if let Some(changed) = folder.workflow_change(&lw)? {
        let records: Vec<&str> = changed
            .into_iter()
            .filter(|s| halo_campaign::folder::RECORD_SECTIONS.contains(s))
            .collect();
        if !records.is_empty() {
            anyhow::bail!(
                "{}: holds a campaign whose workflow.toml differs from {} in {}, which its \
                 records depend on: every task would stop (exit 2). Use another --out, \
                 or bring the folder to this workflow first (`halo run {} --out {} \
                 --recompute-stale`)",
                out.display(),
                o.workflow.display(),
                records.join(", "),
                o.workflow.display(),
                out.display()
            );
        }
    }
    let wf =
        std::fs::canonicalize(&o.workflow).with_context(|| format!("{}", o.workflow.display()))?;
    let bin = match &o.halo_bin {
        Some(b) => halo_bin(b)?,
        None => std::env::current_exe().context("locating the halo executable")?,
    };
    if slurm && o.shards > emit::SLURM_DEFAULT_MAX_ARRAY_SIZE {
        eprintln!(
            "warning: --shards {} makes array indices 0-{}; Slurm's default MaxArraySize ({}) \
             refuses arrays past index {} (`scontrol show config | grep MaxArraySize` says the \
             cluster's): use fewer shards unless it is raised",
            o.shards,
            o.shards - 1,
            emit::SLURM_DEFAULT_MAX_ARRAY_SIZE,
            emit::SLURM_DEFAULT_MAX_ARRAY_SIZE - 1
        );
    }
    // a folder whose records are shards of another count: they are not reused at this one
    if let Ok(files) = folder.checkpoint_files() {
        let other: std::collections::BTreeSet<u32> = files
            .iter()
            .filter_map(|(s, _)| s.map(|s| s.count))
            .filter(|&n| n != o.shards)
            .collect();
        if !other.is_empty() {
            let n: Vec<String> = other.iter().map(|n| n.to_string()).collect();
            eprintln!(
                "warning: {} holds the shard checkpoints of N = {}; shards of {} do not read \
                 them and compute every candidate again (emit with --shards {} to continue \
                 that campaign)",
                out.display(),
                n.join(", "),
                o.shards,
                n[0]
            );
        }
    }
    let opts = SlurmOptions {
        shards: o.shards,
        max_parallel: o.max_parallel,
        cpus_per_task: o.cpus_per_task,
        time: o.time.clone(),
        partition: o.partition.clone(),
        account: o.account.clone(),
        mem_per_cpu: o.mem_per_cpu.clone(),
    };
    if slurm {
        let s = emit::slurm_scripts(&lw.workflow.campaign.name, &bin, &wf, &out, &opts)
            .map_err(anyhow::Error::msg)?;
        let dir = out.join("slurm");
        std::fs::create_dir_all(dir.join("logs"))
            .with_context(|| format!("creating {}", dir.display()))?;
        for (name, text) in [
            ("array.sbatch", &s.array_sbatch),
            ("merge.sbatch", &s.merge_sbatch),
            ("submit.sh", &s.submit_sh),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("chmod {}", p.display()))?;
            }
            println!("{}", p.display());
        }
        eprintln!(
            "submit with: bash {}",
            emit::shell_word(&dir.join("submit.sh").display().to_string())
        );
    } else {
        print!(
            "{}",
            emit::hq_script(&bin, &wf, &out, &opts).map_err(anyhow::Error::msg)?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `halo eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// CIF, POSCAR or pymatgen JSON file.
    pub file: PathBuf,
    /// Take the stage settings ([bvse], [kmc], [filters]) from this workflow file.
    #[arg(long)]
    pub workflow: Option<PathBuf>,
    /// Seed of the kMC streams (default: derived from the file content).
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub json: bool,
}

/// `halo eval`: one structure through every stage (landscape, site graph, kMC, filters).
pub fn eval(a: EvalArgs) -> anyhow::Result<ExitCode> {
    use halo_campaign::config::{BvseSection, KmcSection};
    use halo_campaign::pipeline::{evaluate_structure, Sink, StageSettings, Target};
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(&a.file).with_context(|| format!("{}", a.file.display()))?;
    let loaded = halo_io::read_structure(&a.file)?;
    // the reader's findings, then the charge balance as the calculations see it (the record's
    // notes carry the same text)
    for w in loaded
        .warnings_besides_charge()
        .chain(&halo_io::charge::structure_charge_note(&loaded.structure))
    {
        super::warn(&a.file.display().to_string(), w);
    }
    let digest = Sha256::digest(&bytes);
    let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let seed = a
        .seed
        .unwrap_or_else(|| halo_campaign::shard::candidate_seed(0, &id));
    let (bvse, kmc, filters) = match &a.workflow {
        Some(p) => {
            let lw = config::load_unchecked(p)?;
            (lw.workflow.bvse, lw.workflow.kmc, lw.workflow.filters)
        }
        None => (
            BvseSection::default(),
            KmcSection::default(),
            halo_filters::RankConfig::default(),
        ),
    };
    let s = &loaded.structure;
    // per formula unit (Z from the site multiplicities), so the filters see e.g. Li2.06…Cl4
    let z = halo_io::charge::formula_units(s);
    let formula = s.composition().scaled(1.0 / z).reduced_formula();
    let name = a
        .file
        .file_stem()
        .map(|x| x.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut timings = std::collections::BTreeMap::new();
    let mut details = std::collections::BTreeMap::new();
    let result = evaluate_structure(
        s,
        Target {
            id: &id,
            formula: &formula,
            framework: &name,
        },
        StageSettings {
            bvse: &bvse,
            kmc: &kmc,
            stop: None,
        },
        seed,
        Sink {
            progress: None,
            timings: &mut timings,
            details: &mut details,
        },
    );
    let m = match result {
        Ok(m) => m,
        Err((stage, reason)) => bail!("{}: stage {stage} failed: {reason}", a.file.display()),
    };
    let ranking = halo_filters::rank(std::slice::from_ref(&m.ranking), &filters)?;
    // the reader's findings and the chain's (charge, full Li sublattice, a reduced cell), once
    let charge_note = halo_io::charge::structure_charge_note(&loaded.structure);
    let chain_warnings: Vec<String> = details
        .get("warnings")
        .and_then(|w| serde_json::from_value::<Vec<String>>(w.clone()).ok())
        .unwrap_or_default();
    let warnings: Vec<String> = loaded
        .warnings_besides_charge()
        .cloned()
        .chain(chain_warnings.iter().cloned())
        .collect();
    let filters_applied = filters.has_filters();
    let filters_note = (!filters_applied).then_some(if a.workflow.is_none() {
        "no hard filters applied (--workflow FILE applies its [filters]): \"pass\" means no \
         filter was tested; see the insulation and stability verdicts"
    } else {
        "no hard filters applied (the workflow's [filters] sets none): \"pass\" means no \
         filter was tested; see the insulation and stability verdicts"
    });
    if a.json {
        let v = serde_json::json!({
            "file": a.file.display().to_string(),
            "id": id,
            "seed": seed,
            "formula": formula,
            "warnings": warnings,
            "filters_applied": filters_applied,
            "metrics": m,
            "passed_filters": ranking.rows[0].passed,
            "failed_filters": ranking.rows[0].failed_filters,
            "details": details,
            "timings_s": timings,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}  ({} sites, seed {seed})", formula, s.num_sites());
        let th = |x: Option<f64>| x.map_or("none".to_string(), |v| format!("{v:.3} eV"));
        println!(
            "percolation  E_1D {}  E_2D {}  E_3D {}",
            th(m.e_1d_ev),
            th(m.e_2d_ev),
            th(m.e_3d_ev)
        );
        println!(
            "site graph   {} sites, {} hops; {:.3} mobile Li per cell",
            m.n_sites, m.n_edges, m.mobile_ions_per_cell
        );
        for p in &m.arrhenius {
            println!(
                "kmc          T = {:6.1} K  σ = {:.4e} ± {:.1e} S/cm{}",
                p.temperature_k,
                p.sigma_s_per_cm,
                p.sigma_se_s_per_cm,
                if p.resolved {
                    ""
                } else {
                    "  (below the run's resolution: not fitted)"
                }
            );
        }
        if let Some(stop) = details
            .get("kmc")
            .and_then(|k| k.get("stopping"))
            .and_then(|s| serde_json::from_value::<halo_kmc::ReplicaStopping>(s.clone()).ok())
        {
            println!("kmc          stopping rule: {}", stop.summary());
        }
        // the charge note was printed with the reader's findings
        for w in chain_warnings
            .iter()
            .filter(|w| Some(*w) != charge_note.as_ref())
        {
            super::warn(&a.file.display().to_string(), w);
        }
        print!("{}", halo_filters::table(&ranking));
        let v = &m.ranking.verdicts;
        println!(
            "verdicts     insulation {}, stability {}",
            v.insulation.map_or("—", |x| x.name()),
            v.stability.as_deref().unwrap_or("—")
        );
        if let Some(n) = filters_note {
            println!("filters      {n}");
        }
        for (k, t) in &timings {
            eprintln!("time {k}: {t:.2} s");
        }
    }
    Ok(ExitCode::SUCCESS)
}
