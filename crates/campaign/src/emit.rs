//! Scripts for running a campaign as a Slurm job array (and the HyperQueue equivalent).
//!
//! The array script follows the project's Slurm notes: `--requeue`, `--open-mode=append`,
//! `--signal=B:TERM@120` (the batch shell forwards nothing: the binary is started with `exec`, so
//! it receives SIGTERM itself, records what is finished and exits), the shard count baked in
//! (resubmitting a subset of indices changes `SLURM_ARRAY_TASK_COUNT`, so it is never read), the
//! shard index from `SLURM_ARRAY_TASK_ID`, and rayon's thread count from `SLURM_CPUS_PER_TASK`.
//! A task that runs twice (requeue, preemption) resumes from its own checkpoint; duplicates are
//! removed by candidate id at merge. The merge job depends `afterany` on the array and reports
//! missing shards by index so that only those are resubmitted.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Options of `halo emit slurm`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SlurmOptions {
    pub shards: u32,
    /// Maximum simultaneously running array tasks (`%M`); 0 = no limit.
    pub max_parallel: u32,
    pub cpus_per_task: u32,
    /// Wall time per task, Slurm syntax (`HH:MM:SS` or `D-HH:MM:SS`).
    pub time: String,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub mem_per_cpu: Option<String>,
}

/// The emitted files' contents.
#[derive(Clone, Debug, PartialEq)]
pub struct SlurmScripts {
    pub array_sbatch: String,
    pub merge_sbatch: String,
    pub submit_sh: String,
}

/// Validate a Slurm time string: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S` with digits.
pub fn valid_slurm_time(t: &str) -> bool {
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, t),
    };
    if let Some(d) = days {
        if d.is_empty() || !d.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let parts: Vec<&str> = rest.split(':').collect();
    !parts.is_empty()
        && parts.len() <= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// Seconds of a valid Slurm time string ([`valid_slurm_time`]): `M`, `M:S`, `H:M:S`, `D-H`,
/// `D-H:M`, `D-H:M:S`. 0 is Slurm's "no limit".
pub fn slurm_time_s(t: &str) -> Option<u64> {
    if !valid_slurm_time(t) {
        return None;
    }
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (d.parse::<u64>().ok()?, r),
        None => (0, t),
    };
    let p: Vec<u64> = rest
        .split(':')
        .map(|x| x.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    let s = if t.contains('-') {
        match p.as_slice() {
            [h] => h * 3600,
            [h, m] => h * 3600 + m * 60,
            [h, m, s] => h * 3600 + m * 60 + s,
            _ => return None,
        }
    } else {
        match p.as_slice() {
            [m] => m * 60,
            [m, s] => m * 60 + s,
            [h, m, s] => h * 3600 + m * 60 + s,
            _ => return None,
        }
    };
    Some(days * 86400 + s)
}

/// Seconds before the time limit at which the array script asks Slurm for SIGTERM
/// (`--signal=B:TERM@120`): the task records what is finished and exits.
pub const TERM_BEFORE_LIMIT_S: u64 = 120;

/// Slurm's default `MaxArraySize`: array indices run up to one less.
pub const SLURM_DEFAULT_MAX_ARRAY_SIZE: u32 = 1001;

/// A Slurm memory size: digits with an optional K, M, G or T suffix (`2G`, `4000M`, `500`).
fn valid_slurm_memory(v: &str) -> bool {
    let digits = v.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && v.len() - digits.len() <= 1
}

/// `p` as one shell word for a command a user copies from a message: as it is when it holds
/// only `A-Za-z0-9_./-+,:=@%`, else single-quoted.
pub fn shell_word(p: &str) -> String {
    if !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-+,:=@%".contains(c))
    {
        p.to_string()
    } else {
        sh_quote(p)
    }
}

/// The `--out` folder an emitted `array.sbatch` runs its shards into (its `exec … --out '…'`
/// line), to tell whether the scripts belong to the folder they sit in (a folder copied or
/// moved keeps scripts that write into the old one).
pub fn array_script_out(script: &str) -> Option<String> {
    let line = script.lines().find(|l| l.starts_with("exec "))?;
    let rest = line.split_once(" --out '")?.1;
    // the path is single-quoted with every ' written as '\''
    let mut out = String::new();
    let mut it = rest;
    loop {
        let end = it.find('\'')?;
        out.push_str(&it[..end]);
        it = &it[end..];
        if let Some(r) = it.strip_prefix("'\\''") {
            out.push('\'');
            it = r;
        } else {
            return Some(out);
        }
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A path in an `#SBATCH` directive, double-quoted (sbatch splits a directive's value at
/// spaces otherwise). sbatch reads `"` and `\` there as quoting and `%` as a file-name pattern,
/// so a path with one of them (or a line break) is refused rather than written wrong.
fn sbatch_path(p: &Path) -> Result<String, String> {
    let s = p.display().to_string();
    match s
        .chars()
        .find(|c| matches!(c, '"' | '\\' | '%' | '\n' | '\r'))
    {
        Some(c) => Err(format!(
            "{s}: a Slurm log path cannot hold {c:?} (sbatch reads it as quoting or a file-name \
             pattern); choose an --out without it"
        )),
        None => Ok(format!("\"{s}\"")),
    }
}

/// A value of an `#SBATCH` option given on the command line (partition, account, memory):
/// Slurm names and sizes are words of letters, digits and `_ . , : + -`.
fn sbatch_word(flag: &str, v: &str) -> Result<String, String> {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.,:+-".contains(c))
    {
        Ok(v.to_string())
    } else {
        Err(format!(
            "{flag} '{v}' is not a Slurm name or size (letters, digits and _ . , : + -)"
        ))
    }
}

/// Generate the array script, the merge script and a submit helper.
///
/// `halo_bin`, `workflow` and `out_dir` should be absolute paths (the jobs run elsewhere).
pub fn slurm_scripts(
    name: &str,
    halo_bin: &Path,
    workflow: &Path,
    out_dir: &Path,
    o: &SlurmOptions,
) -> Result<SlurmScripts, String> {
    if o.shards == 0 {
        return Err("--shards must be at least 1".into());
    }
    if o.cpus_per_task == 0 {
        return Err("--cpus-per-task must be at least 1".into());
    }
    match slurm_time_s(&o.time) {
        None => {
            return Err(format!(
                "--time '{}' is not a Slurm time (e.g. 02:00:00)",
                o.time
            ))
        }
        // 0 is no limit; a limit within the SIGTERM lead stops every task as it starts
        Some(t) if t > 0 && t <= TERM_BEFORE_LIMIT_S => {
            return Err(format!(
            "--time '{}' ({t} s): the array script asks Slurm for SIGTERM {TERM_BEFORE_LIMIT_S} s \
                 before the limit (to record what is finished), so every task would stop as it \
                 starts; give more than {TERM_BEFORE_LIMIT_S} s",
            o.time
        ))
        }
        Some(_) => {}
    }
    if let Some(m) = &o.mem_per_cpu {
        if !valid_slurm_memory(m) {
            return Err(format!(
                "--mem-per-cpu '{m}' is not a Slurm memory size (digits with an optional K, M, G \
                 or T: 2G, 4000M)"
            ));
        }
    }
    let bin = sh_quote(&halo_bin.display().to_string());
    let wf = sh_quote(&workflow.display().to_string());
    let out = sh_quote(&out_dir.display().to_string());
    let logs = out_dir.join("slurm").join("logs");
    // checked without the file names: `%a` (the array index) is the one pattern wanted
    sbatch_path(&logs)?;
    let log = |file: &str| format!("\"{}\"", logs.join(file).display());
    let throttle = if o.max_parallel > 0 {
        format!("%{}", o.max_parallel)
    } else {
        String::new()
    };
    let mut extra = String::new();
    if let Some(p) = &o.partition {
        extra += &format!("#SBATCH --partition={}\n", sbatch_word("--partition", p)?);
    }
    if let Some(a) = &o.account {
        extra += &format!("#SBATCH --account={}\n", sbatch_word("--account", a)?);
    }
    if let Some(m) = &o.mem_per_cpu {
        extra += &format!(
            "#SBATCH --mem-per-cpu={}\n",
            sbatch_word("--mem-per-cpu", m)?
        );
    }
    let n = o.shards;
    let array_sbatch = format!(
        r#"#!/bin/bash
#SBATCH --job-name=halo-{name}
#SBATCH --array=0-{last}{throttle}
#SBATCH --cpus-per-task={cpus}
#SBATCH --ntasks=1
#SBATCH --time={time}
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --signal=B:TERM@120
#SBATCH --output={shard_out}
#SBATCH --error={shard_err}
{extra}# Generated by `halo emit slurm`. One array task = one deterministic shard of {n}.
# The shard count is baked in: resubmitting a subset (sbatch --array=1,3 ...) keeps it.
set -euo pipefail
SHARDS={n}
: "${{SLURM_ARRAY_TASK_ID:?run this script with sbatch --array}}"
export RAYON_NUM_THREADS="${{SLURM_CPUS_PER_TASK:-1}}"
echo "halo shard ${{SLURM_ARRAY_TASK_ID}}/${{SHARDS}} on $(hostname) restart=${{SLURM_RESTART_COUNT:-0}} $(date -u +%FT%TZ)"
# Arguments after the script's name go to `halo run`: sbatch --array=3 array.sbatch --recompute-stale
exec {bin} run {wf} --out {out} --shard "${{SLURM_ARRAY_TASK_ID}}/${{SHARDS}}" --threads "${{RAYON_NUM_THREADS}}" --no-progress "$@"
"#,
        last = n - 1,
        cpus = o.cpus_per_task,
        time = o.time,
        shard_out = log("shard-%a.out"),
        shard_err = log("shard-%a.err"),
    );
    let merge_sbatch = format!(
        r#"#!/bin/bash
#SBATCH --job-name=halo-{name}-merge
#SBATCH --cpus-per-task=1
#SBATCH --ntasks=1
#SBATCH --time=00:30:00
#SBATCH --open-mode=truncate
#SBATCH --output={merge_out}
#SBATCH --error={merge_err}
{extra}# Generated by `halo emit slurm`. Runs after the array (afterany): checks that all {n} shards
# are complete, de-duplicates by candidate id, writes the ranked outputs; exits non-zero and
# names the missing shards otherwise (resubmit them with: sbatch --array=<list> array.sbatch).
set -euo pipefail
exec {bin} merge {out} --shards {n}
"#,
        merge_out = log("merge.out"),
        merge_err = log("merge.err"),
    );
    let slurm_dir = sh_quote(&out_dir.join("slurm").display().to_string());
    let submit_sh = format!(
        r#"#!/bin/bash
# Generated by `halo emit slurm`: submit the array, then the merge job that waits for it.
# Resubmit missing shards only:  sbatch --array=<k1,k2,...> {slurm_dir}/array.sbatch
# (shards whose records are stale: add --recompute-stale after the script's name)
set -euo pipefail
cd {slurm_dir}
mkdir -p logs
array_id=$(sbatch --parsable array.sbatch)
array_id=${{array_id%%;*}}
merge_id=$(sbatch --parsable --dependency=afterany:${{array_id}} merge.sbatch)
echo "array job ${{array_id}}, merge job ${{merge_id%%;*}}"
"#
    );
    Ok(SlurmScripts {
        array_sbatch,
        merge_sbatch,
        submit_sh,
    })
}

/// The HyperQueue equivalent: one `hq submit --array` over shard indices and a merge afterwards.
pub fn hq_script(
    halo_bin: &Path,
    workflow: &Path,
    out_dir: &Path,
    o: &SlurmOptions,
) -> Result<String, String> {
    if o.shards == 0 || o.cpus_per_task == 0 {
        return Err("--shards and --cpus-per-task must be at least 1".into());
    }
    if !valid_slurm_time(&o.time) {
        return Err(format!(
            "--time '{}' is not a time limit (e.g. 02:00:00)",
            o.time
        ));
    }
    let bin = sh_quote(&halo_bin.display().to_string());
    let wf = sh_quote(&workflow.display().to_string());
    let out = sh_quote(&out_dir.display().to_string());
    let n = o.shards;
    let cpus = o.cpus_per_task;
    // the task's command is one argument of `bash -c`, quoted whole: the paths inside keep their
    // own quoting, and $HQ_TASK_ID is expanded by the task's shell, not this one
    let task = sh_quote(&format!(
        "exec {bin} run {wf} --out {out} --shard \"$HQ_TASK_ID/{n}\" --threads {cpus} --no-progress"
    ));
    let hq_dir = out_dir.join("hq");
    let log = |ext: &str| {
        sh_quote(
            &hq_dir
                .join(format!("shard-%{{TASK_ID}}.{ext}"))
                .display()
                .to_string(),
        )
    };
    Ok(format!(
        r#"#!/bin/bash
# Generated by `halo emit hq`: the same shards as `halo emit slurm`, on a HyperQueue server.
# HQ sets HQ_TASK_ID per array task; the shard count ({n}) is baked in.
set -euo pipefail
mkdir -p {hq_dir}
job=$(hq submit --array=0-{last} --cpus={cpus} --time-limit={time} --crash-limit=3 \
  --stdout={stdout} --stderr={stderr} \
  --output-mode=quiet -- bash -c {task})
hq job wait "$job" || true
exec {bin} merge {out} --shards {n}
"#,
        last = n - 1,
        time = o.time,
        hq_dir = sh_quote(&hq_dir.display().to_string()),
        stdout = log("out"),
        stderr = log("err"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> SlurmOptions {
        SlurmOptions {
            shards: 4,
            max_parallel: 2,
            cpus_per_task: 2,
            time: "01:00:00".into(),
            partition: Some("debug".into()),
            account: None,
            mem_per_cpu: None,
        }
    }

    #[test]
    fn array_script_has_the_required_directives() {
        let s = slurm_scripts(
            "t",
            Path::new("/opt/halo"),
            Path::new("/w/t.toml"),
            Path::new("/r/t"),
            &opts(),
        )
        .unwrap();
        for needle in [
            "#SBATCH --array=0-3%2",
            "#SBATCH --requeue",
            "#SBATCH --open-mode=append",
            "#SBATCH --signal=B:TERM@120",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --partition=debug",
            "SHARDS=4",
            "exec '/opt/halo' run",
            "RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
            "--shard \"${SLURM_ARRAY_TASK_ID}/${SHARDS}\"",
        ] {
            assert!(s.array_sbatch.contains(needle), "missing {needle}");
        }
        assert!(!s.array_sbatch.contains("SLURM_ARRAY_TASK_COUNT"));
        assert!(s.merge_sbatch.contains("merge '/r/t' --shards 4"));
        assert!(s.submit_sh.contains("--dependency=afterany:${array_id}"));
    }

    #[test]
    fn bad_options_rejected() {
        let mut o = opts();
        o.time = "1h".into();
        assert!(slurm_scripts("t", Path::new("/b"), Path::new("/w"), Path::new("/o"), &o).is_err());
        o.time = "1-00:00:00".into();
        assert!(slurm_scripts("t", Path::new("/b"), Path::new("/w"), Path::new("/o"), &o).is_ok());
        o.shards = 0;
        assert!(slurm_scripts("t", Path::new("/b"), Path::new("/w"), Path::new("/o"), &o).is_err());
        assert!(valid_slurm_time("30"));
        assert!(!valid_slurm_time("a:b"));
    }

    /// Times are read as Slurm reads them; a limit within the SIGTERM lead (every task would
    /// stop as it starts) and a memory size Slurm does not take are refused; extra arguments of
    /// the array script go to `halo run` (a stale shard is resubmitted with --recompute-stale).
    #[test]
    fn times_memory_and_forwarded_arguments() {
        for (t, s) in [
            ("30", 1800),
            ("2:30", 150),
            ("01:00:00", 3600),
            ("1-0", 86400),
            ("1-2:3", 93780),
            ("1-02:03:04", 93784),
            ("0", 0),
        ] {
            assert_eq!(slurm_time_s(t), Some(s), "{t}");
        }
        assert_eq!(slurm_time_s("1h"), None);
        let run = |time: &str, mem: Option<&str>| {
            let mut o = opts();
            o.time = time.into();
            o.mem_per_cpu = mem.map(String::from);
            slurm_scripts("t", Path::new("/b"), Path::new("/w"), Path::new("/o"), &o)
        };
        for t in ["00:02:00", "2", "1"] {
            assert!(run(t, None).unwrap_err().contains("SIGTERM"), "{t}");
        }
        assert!(run("00:02:01", None).is_ok());
        assert!(run("0", None).is_ok());
        assert!(run("1:00:00", Some("2X"))
            .unwrap_err()
            .contains("--mem-per-cpu '2X'"));
        for m in ["2G", "4000M", "500"] {
            assert!(run("1:00:00", Some(m)).is_ok(), "{m}");
        }
        assert!(run("1:00:00", None)
            .unwrap()
            .array_sbatch
            .contains("--no-progress \"$@\"\n"));
    }

    #[test]
    fn quoting_survives_spaces_and_quotes() {
        assert_eq!(sh_quote("a b'c"), r"'a b'\''c'");
        assert_eq!(shell_word("/r/t-1/x.sbatch"), "/r/t-1/x.sbatch");
        assert_eq!(shell_word("/r/a b/$HOME"), "'/r/a b/$HOME'");
        // the folder an array script writes into is read back as written
        for out in ["/r/t", "/r/my runs/it's", "/r/o'q $HOME dir"] {
            let s = slurm_scripts(
                "t",
                Path::new("/b"),
                Path::new("/w"),
                Path::new(out),
                &opts(),
            )
            .unwrap();
            assert_eq!(array_script_out(&s.array_sbatch).as_deref(), Some(out));
        }
    }

    /// Paths with spaces and quotes: the #SBATCH log paths are double-quoted (sbatch splits
    /// them at spaces otherwise), a path sbatch cannot take is refused, option values are
    /// words, and the merge log is replaced by each merge.
    #[test]
    fn slurm_directives_quote_their_paths() {
        let out = Path::new("/r/my runs/it's");
        let s = slurm_scripts("t", Path::new("/b"), Path::new("/w x.toml"), out, &opts()).unwrap();
        assert!(s
            .array_sbatch
            .contains("#SBATCH --output=\"/r/my runs/it's/slurm/logs/shard-%a.out\"\n"));
        assert!(s
            .merge_sbatch
            .contains("#SBATCH --error=\"/r/my runs/it's/slurm/logs/merge.err\"\n"));
        assert!(s.merge_sbatch.contains("#SBATCH --open-mode=truncate\n"));
        for bad in ["/r/a\"b", "/r/100%", "/r/a\\b"] {
            let e = slurm_scripts(
                "t",
                Path::new("/b"),
                Path::new("/w"),
                Path::new(bad),
                &opts(),
            );
            assert!(e.unwrap_err().contains("Slurm log path"), "{bad}");
        }
        let mut o = opts();
        o.partition = Some("debug --mem=1".into());
        let e = slurm_scripts("t", Path::new("/b"), Path::new("/w"), Path::new("/o"), &o);
        assert!(e.unwrap_err().contains("--partition 'debug --mem=1'"));
    }

    /// The HyperQueue script run against a stand-in `hq` that runs the task command the way hq
    /// does (`bash -c` with HQ_TASK_ID set) and a stand-in halo that prints its arguments one
    /// per line: every path arrives as one argument, whatever its spaces and quotes.
    #[cfg(unix)]
    #[test]
    fn hq_script_passes_paths_with_spaces_and_quotes_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sp ace/it's");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        let exe = |name: &str, body: &str| {
            let p = root.join("bin").join(name);
            std::fs::write(&p, format!("#!/bin/bash\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        let log = root.join("calls.txt");
        let log_q = sh_quote(&log.display().to_string());
        exe(
            "hq",
            &format!(
                "if [ \"$1\" = submit ]; then printf '%s\\n' \"$@\" >> {log_q}; \
                 while [ \"$1\" != -- ]; do shift; done; shift; HQ_TASK_ID=1 \"$@\"; echo 7; fi"
            ),
        );
        let halo = exe("halo x", &format!("printf '<%s>\\n' \"$@\" >> {log_q}"));
        let out = root.join("out dir");
        let o = SlurmOptions {
            shards: 2,
            ..opts()
        };
        let script = hq_script(&halo, &root.join("w f.toml"), &out, &o).unwrap();
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    root.join("bin").display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .status()
            .unwrap();
        assert!(status.success());
        assert!(out.join("hq").is_dir(), "the log folder is made");
        let calls = std::fs::read_to_string(&log).unwrap();
        let o_ = out.display();
        for line in [
            format!("--stdout={o_}/hq/shard-%{{TASK_ID}}.out"),
            format!("<{}>", root.join("w f.toml").display()),
            format!("<{o_}>"),
            "<1/2>".to_string(),
            "<merge>".to_string(),
        ] {
            assert!(
                calls.lines().any(|l| l == line),
                "no line {line} in:\n{calls}"
            );
        }
    }
}
