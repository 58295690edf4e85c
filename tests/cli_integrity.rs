//! Campaign integrity end to end: one writer per folder, settings fingerprints on every record
//! (edited workflow, foreign checkpoint, conflicting duplicates), merge with the wrong shard
//! count.

mod common;
use common::{halo, root};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

/// The test workflow `mini.toml` with `[kmc]` lines replaced, written next to it (so its
/// relative framework path still resolves).
fn workflow(dir: &Path, name: &str, seed: u64, hops_per_ion: u64) -> PathBuf {
    let text = std::fs::read_to_string(root().join("tests/data/workflows/mini.toml")).unwrap();
    let text = text
        .replace("seed = 11", &format!("seed = {seed}"))
        .replace(
            "hops_per_ion = 20",
            &format!("hops_per_ion = {hops_per_ion}"),
        )
        .replace(
            "cif = \"../../../structures/",
            &format!("cif = \"{}/structures/", root().display()),
        );
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

fn halo_out(args: &[&str]) -> Output {
    halo().args(args).output().expect("halo runs")
}

fn code_and_err(o: &Output) -> (Option<i32>, String) {
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn all_lines_parse(p: &Path) -> usize {
    let text = std::fs::read_to_string(p).unwrap();
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("{}: torn or glued record {l}: {e}", p.display()));
    }
    text.lines().count()
}

#[test]
fn two_runs_on_one_folder_one_proceeds_and_a_killed_run_leaves_no_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "slow", 11, 400_000);
    let out = tmp.path().join("out");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    let mut a = halo()
        .args([
            "run",
            wf_s,
            "--out",
            out_s,
            "--no-progress",
            "--threads",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait until A holds the lock (its PID is in the lock file)
    let lock = out.join(".lock");
    let t0 = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&a.id().to_string())) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "run A never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let b = halo_out(&["run", wf_s, "--out", out_s, "--no-progress"]);
    let (code, err) = code_and_err(&b);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("in use by PID {}", a.id())), "{err}");
    for cmd in [vec!["report", out_s], vec!["export", out_s, "--synthesis"]] {
        let (code, err) = code_and_err(&halo_out(&cmd));
        assert_eq!(code, Some(2), "{cmd:?}: {err}");
        assert!(err.contains("in use by PID"), "{cmd:?}: {err}");
    }
    // read-only status works during the run
    let s = halo_out(&["status", out_s]);
    assert!(s.status.code().is_some(), "{}", code_and_err(&s).1);
    assert!(!code_and_err(&s).1.contains("in use"));
    // SIGKILL: the operating system releases the lock, a new run proceeds and finishes
    a.kill().unwrap();
    a.wait().unwrap();
    let c = halo()
        .args(["resume", out_s, "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&c.id().to_string())) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "resume never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut c = c;
    c.kill().unwrap();
    c.wait().unwrap();
    if out.join("checkpoint.jsonl").exists() {
        all_lines_parse(&out.join("checkpoint.jsonl"));
    }
}

#[test]
fn an_edited_workflow_or_a_foreign_checkpoint_is_refused_and_recomputed_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "w", 11, 20);
    let out = tmp.path().join("a");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    let o = halo_out(&["run", wf_s, "--out", out_s, "--no-progress"]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1));
    let ckpt = out.join("checkpoint.jsonl");
    let n = all_lines_parse(&ckpt);
    assert_eq!(n, 5);
    let before = std::fs::read(&ckpt).unwrap();

    // edit the saved workflow: another attempt frequency
    let saved = out.join("workflow.toml");
    let text = std::fs::read_to_string(&saved).unwrap();
    std::fs::write(
        &saved,
        text.replace("[kmc]\n", "[kmc]\nattempt_frequency_hz = 1e13\n"),
    )
    .unwrap();
    let (code, err) = code_and_err(&halo_out(&["resume", out_s, "--no-progress"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("5 of 5 recorded candidates") && err.contains("other settings"),
        "{err}"
    );
    assert_eq!(std::fs::read(&ckpt).unwrap(), before, "nothing touched");
    let o = halo_out(&["resume", out_s, "--no-progress", "--recompute-stale"]);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{:?}",
        code_and_err(&o)
    );
    assert_eq!(all_lines_parse(&ckpt), 5, "recomputed, not mixed");
    let settings: Vec<String> = std::fs::read_to_string(&ckpt)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["fingerprint"]["settings"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(settings.windows(2).all(|w| w[0] == w[1]));
    assert_ne!(std::fs::read(&ckpt).unwrap(), before);

    // a checkpoint copied in from another campaign (another seed)
    let other = workflow(tmp.path(), "other", 12, 20);
    let out_b = tmp.path().join("b");
    halo_out(&[
        "run",
        other.to_str().unwrap(),
        "--out",
        out_b.to_str().unwrap(),
        "--no-progress",
    ]);
    std::fs::copy(out_b.join("checkpoint.jsonl"), &ckpt).unwrap();
    let (code, err) = code_and_err(&halo_out(&["resume", out_s, "--no-progress"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("do not belong to this folder's settings"),
        "{err}"
    );

    // one id recorded twice with different numbers
    std::fs::write(&ckpt, &before).unwrap();
    let first = String::from_utf8(before.clone())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut v: serde_json::Value = serde_json::from_str(&first).unwrap();
    v["seed"] = serde_json::json!(v["seed"].as_u64().unwrap() ^ 1);
    let mut bytes = before.clone();
    bytes.extend(format!("{v}\n").as_bytes());
    std::fs::write(&ckpt, bytes).unwrap();
    let (code, err) = code_and_err(&halo_out(&["resume", out_s, "--no-progress"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("recorded twice with different results"),
        "{err}"
    );
}

#[test]
fn merge_with_another_shard_count_names_the_one_found() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "w", 11, 20);
    let out = tmp.path().join("s");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    for k in ["0/2", "1/2"] {
        let o = halo_out(&["run", wf_s, "--out", out_s, "--shard", k, "--no-progress"]);
        assert!(
            o.status.code() == Some(0) || o.status.code() == Some(1),
            "{:?}",
            code_and_err(&o)
        );
    }
    let (code, err) = code_and_err(&halo_out(&["merge", out_s, "--shards", "3"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("N = 2") && err.contains("--shards 2"), "{err}");
    assert!(!err.contains("sbatch"), "{err}");
    let o = halo_out(&["merge", out_s, "--shards", "2"]);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{:?}",
        code_and_err(&o)
    );
}

#[test]
fn invalid_or_empty_exports_leave_the_hand_off_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "w", 11, 20);
    let out = tmp.path().join("e");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    let o = halo_out(&["run", wf_s, "--out", out_s, "--no-progress"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", code_and_err(&o));
    let o = halo_out(&["export", out_s, "--synthesis"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", code_and_err(&o));
    let files = ["synthesis/handoff.json", "synthesis/handoff.csv"];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    for bad in ["0", "-1", "NaN", "inf", "1e9"] {
        let (code, err) = code_and_err(&halo_out(&[
            "export",
            out_s,
            "--synthesis",
            &format!("--batch-mass-g={bad}"),
        ]));
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(
            err.contains("batch mass") && err.contains("nothing was written"),
            "{err}"
        );
    }
    // synthesis.top = 0: nothing to hand off, a distinct exit code and the reason
    let saved = out.join("workflow.toml");
    let text = std::fs::read_to_string(&saved).unwrap();
    std::fs::write(&saved, text.replace("top = 3", "top = 0")).unwrap();
    let (code, err) = code_and_err(&halo_out(&["export", out_s, "--synthesis"]));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("synthesis.top = 0"), "{err}");
    let after: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    assert_eq!(before, after, "the good hand-off is untouched");

    // a campaign none of whose candidates passes the filters
    let strict = tmp.path().join("strict.toml");
    std::fs::write(
        &strict,
        std::fs::read_to_string(&wf)
            .unwrap()
            .replace("min_anodic_limit_v = 3.5", "min_anodic_limit_v = 9.5"),
    )
    .unwrap();
    let out2 = tmp.path().join("strict");
    let (code, err) = code_and_err(&halo_out(&[
        "run",
        strict.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--no-progress",
    ]));
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("no candidate passed the hard filters"),
        "{err}"
    );
}
