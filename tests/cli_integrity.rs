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

/// `halo run WF --out OUT --shard K --no-progress EXTRA…`.
fn shard_run(wf: &str, out: &str, k: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", wf, "--out", out, "--shard", k, "--no-progress"];
    args.extend_from_slice(extra);
    halo_out(&args)
}

fn code_and_err(o: &Output) -> (Option<i32>, String) {
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A campaign command that finished (0, or 1 with failed candidates recorded).
fn assert_finished(o: &Output) {
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{:?}",
        code_and_err(o)
    );
}

/// A temporary folder with the test workflow and a campaign folder `name` in it (not created).
fn campaign(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "w", 11, 20);
    let out = tmp.path().join(name);
    (tmp, wf, out)
}

fn all_lines_parse(p: &Path) -> usize {
    let text = std::fs::read_to_string(p).unwrap();
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("{}: torn or glued record {l}: {e}", p.display()));
    }
    text.lines().count()
}

/// Wait (at most 60 s) until the lock file `lock` names the process `pid` as its holder.
fn wait_for_holder(lock: &Path, pid: impl std::fmt::Display, what: &str) {
    let pid = pid.to_string();
    let t0 = Instant::now();
    while !std::fs::read_to_string(lock).is_ok_and(|t| t.contains(&pid)) {
        assert!(t0.elapsed() < Duration::from_secs(60), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A shard run's lock files deleted under it (`.lock` and `.lock.shard-0-of-2`): a second run
/// of the same shard is still refused, because the shard's checkpoint is locked as well; it
/// was admitted and the two interleaved their records.
#[test]
fn a_shard_whose_lock_files_were_deleted_is_not_run_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "slow", 11, 400_000);
    let out = tmp.path().join("out");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    let shard = |extra: &[&str]| {
        let mut v = vec![
            "run",
            wf_s,
            "--out",
            out_s,
            "--shard",
            "0/2",
            "--no-progress",
        ];
        v.extend_from_slice(extra);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let mut a = halo()
        .args(shard(&["--threads", "1"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lock = out.join(".lock.shard-0-of-2");
    wait_for_holder(&lock, a.id(), "the shard never took its lock");
    std::fs::remove_file(&lock).unwrap();
    let _ = std::fs::remove_file(out.join(".lock"));
    let args = shard(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, err) = code_and_err(&halo_out(&args));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("in use by"), "{err}");
    a.kill().unwrap();
    a.wait().unwrap();
    let ckpt = out.join("checkpoint.shard-0-of-2.jsonl");
    if ckpt.exists() {
        all_lines_parse(&ckpt);
    }
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
    wait_for_holder(&lock, a.id(), "run A never took the lock");
    let b = halo_out(&["run", wf_s, "--out", out_s, "--no-progress"]);
    let (code, err) = code_and_err(&b);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("in use by PID {}", a.id())), "{err}");
    for cmd in [vec!["report", out_s], vec!["export", out_s, "--synthesis"]] {
        let (code, err) = code_and_err(&halo_out(&cmd));
        assert_eq!(code, Some(2), "{cmd:?}: {err}");
        assert!(err.contains("in use by PID"), "{cmd:?}: {err}");
    }
    // the lock file deleted under a running writer (it is left behind with a dead PID after a
    // crash, which invites deleting it): the folder itself is still locked, so a second
    // writer is refused instead of appending to the checkpoint beside the first
    std::fs::remove_file(&lock).unwrap();
    let (code, err) = code_and_err(&halo_out(&["resume", out_s, "--no-progress"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("in use by"), "{err}");
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
    wait_for_holder(&lock, c.id(), "resume never took the lock");
    let mut c = c;
    c.kill().unwrap();
    c.wait().unwrap();
    if out.join("checkpoint.jsonl").exists() {
        all_lines_parse(&out.join("checkpoint.jsonl"));
    }
}

#[test]
fn an_edited_workflow_or_a_foreign_checkpoint_is_refused_and_recomputed_on_request() {
    let (tmp, wf, out) = campaign("a");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    let o = halo_out(&["run", wf_s, "--out", out_s, "--no-progress"]);
    assert_finished(&o);
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
    // `halo status` says so too, and how to go on
    let st = halo_out(&["status", out_s]);
    let text = String::from_utf8_lossy(&st.stdout);
    assert!(
        text.contains("stale      5 of 5 recorded candidates")
            && text.contains("--recompute-stale"),
        "{text}"
    );
    let o = halo_out(&["resume", out_s, "--no-progress", "--recompute-stale"]);
    assert_finished(&o);
    assert_eq!(all_lines_parse(&ckpt), 5, "recomputed, not mixed");
    let st = halo_out(&["status", out_s]);
    assert!(!String::from_utf8_lossy(&st.stdout).contains("stale"));
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
    // status names it too (it read "complete" while merge and resume refused the folder)
    let o = halo_out(&["status", out_s]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("conflicts  1 candidate(s) recorded twice with different results"),
        "{text}"
    );
}

#[test]
fn merge_with_another_shard_count_names_the_one_found() {
    let (_tmp, wf, out) = campaign("s");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    for k in ["0/2", "1/2"] {
        let o = halo_out(&["run", wf_s, "--out", out_s, "--shard", k, "--no-progress"]);
        assert_finished(&o);
    }
    let (code, err) = code_and_err(&halo_out(&["merge", out_s, "--shards", "3"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("N = 2") && err.contains("--shards 2"), "{err}");
    assert!(!err.contains("sbatch"), "{err}");
    let o = halo_out(&["merge", out_s, "--shards", "2"]);
    assert_finished(&o);
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
    assert!(!code_and_err(&o).1.contains("incomplete"));
    let files = ["synthesis/handoff.json", "synthesis/handoff.csv"];
    let handoff = |dir: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(files[0])).unwrap()).unwrap()
    };
    let h = handoff(&out);
    assert_eq!(h["complete"], true);
    assert_eq!(h["evaluated"], h["planned"]);

    // a stopped campaign (the checkpoint's last records missing) still exports, says it is
    // incomplete on stderr and in the JSON: its ranking may change
    let copy = tmp.path().join("stopped");
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, copy.join(p.file_name().unwrap())).unwrap();
        }
    }
    let ckpt = std::fs::read_to_string(copy.join("checkpoint.jsonl")).unwrap();
    // nothing evaluated yet (a run killed in its first second): the export says so, not that
    // no candidate passed the filters
    std::fs::write(copy.join("checkpoint.jsonl"), "").unwrap();
    let o = halo_out(&["export", copy.to_str().unwrap(), "--synthesis"]);
    let (code, err) = code_and_err(&o);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("no candidate has been evaluated yet"), "{err}");
    let (code, err) = code_and_err(&halo_out(&["report", copy.to_str().unwrap()]));
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("nothing to rank: no candidate is recorded yet"),
        "{err}"
    );
    let kept: Vec<&str> = ckpt.lines().take(3).collect();
    std::fs::write(copy.join("checkpoint.jsonl"), kept.join("\n") + "\n").unwrap();
    let o = halo_out(&["export", copy.to_str().unwrap(), "--synthesis"]);
    let (code, err) = code_and_err(&o);
    assert_eq!(code, Some(0), "{err}");
    let h = handoff(&copy);
    assert_eq!(h["complete"], false, "{h}");
    assert_eq!(h["evaluated"], 3);
    let planned = h["planned"].as_u64().unwrap();
    assert!(planned > 3);
    assert!(
        err.contains(&format!("3 of {planned} candidates evaluated"))
            && err.contains("halo resume"),
        "{err}"
    );
    // the smallest batch: the CSV keeps every mass to 5 significant figures (a fixed 0.1 mg
    // wrote a 0.75 mg precursor as 0.0007 g), and each candidate's masses add up to the batch
    let o = halo_out(&[
        "export",
        copy.to_str().unwrap(),
        "--synthesis",
        "--batch-mass-g=0.01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", code_and_err(&o));
    let csv = std::fs::read_to_string(copy.join(files[1])).unwrap();
    let mut sums: std::collections::BTreeMap<String, f64> = Default::default();
    let h = handoff(&copy);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (id, precursor, mass): (&str, &str, f64) = (f[1], f[5], f[6].parse().unwrap());
        *sums.entry(id.to_string()).or_default() += mass;
        let exact = h["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["precursors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["formula"] == precursor)
            .unwrap()["mass_g"]
            .as_f64()
            .unwrap();
        assert!(
            (mass - exact).abs() <= 5e-5 * exact,
            "{line}: exact {exact}"
        );
    }
    assert!(!sums.is_empty());
    for (id, total) in sums {
        assert!((total - 0.01).abs() < 1e-6, "{id}: {total}");
    }
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    for bad in ["0", "-1", "NaN", "inf", "1e9", "1e-12"] {
        let (code, err) = code_and_err(&halo_out(&[
            "export",
            out_s,
            "--synthesis",
            &format!("--batch-mass-g={bad}"),
        ]));
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(
            err.contains("--batch-mass-g: batch mass") && err.contains("nothing was written"),
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

/// SIGTERM while a very long candidate runs (10¹² hops per ion): halo stops within seconds with
/// 143, records nothing for the abandoned candidates, and a resume would compute them again.
#[test]
fn sigterm_stops_a_long_candidate_within_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = workflow(tmp.path(), "long", 11, 1_000_000_000_000);
    let out = tmp.path().join("long");
    let mut child = halo()
        .args(["run", wf.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--no-progress", "--threads", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let lock = out.join(".lock");
    wait_for_holder(&lock, &pid, "the run never started");
    std::thread::sleep(Duration::from_millis(1500)); // well inside the kMC of every candidate
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let t_term = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t_term.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running 10 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(143));
    let ckpt = out.join("checkpoint.jsonl");
    let text = std::fs::read_to_string(&ckpt).unwrap_or_default();
    assert!(
        text.is_empty(),
        "abandoned candidates are not recorded: {text}"
    );
}

/// Fuzz-style: hostile numbers on every numeric option that sets a size or an amount of work.
/// Each is refused (or runs) with an ordinary exit code, never an allocation abort (134), an
/// out-of-memory kill (137) or a panic (101); a run still working after 5 s (a legitimately
/// long amount of work) is stopped and accepted.
#[test]
fn hostile_numbers_on_numeric_options_never_abort() {
    let s = "structures/LiAlCl4_P21c_COD1004036.cif";
    let quick = [
        "--temperatures-k",
        "300,400",
        "--blocks",
        "2",
        "--hops-per-block",
        "1",
    ];
    let hostile = [
        "0",
        "-1",
        "NaN",
        "inf",
        "1e300",
        "4294967297",
        "18446744073709551616",
    ];
    let mut cases: Vec<Vec<String>> = Vec::new();
    for flag in [
        "--resolution-ang",
        "--blocking-distance-ang",
        "--attempt-frequency-hz",
        "--replicas",
        "--blocks",
        "--hops-per-block",
        "--equilibration",
        "--min-ions",
        "--mobile-per-cell",
    ] {
        for v in hostile {
            let mut c: Vec<String> = ["kmc", s].iter().map(|x| x.to_string()).collect();
            c.extend(quick.iter().filter(|q| **q != flag).map(|x| x.to_string()));
            c.push(format!("{flag}={v}"));
            cases.push(c);
        }
    }
    for sc in ["1000,1000,1000", "200,200,200", "0,1,1", "-1,1,1", "1,1"] {
        let mut c: Vec<String> = ["kmc", s].iter().map(|x| x.to_string()).collect();
        c.extend(quick.iter().map(|x| x.to_string()));
        c.push(format!("--supercell={sc}"));
        cases.push(c);
    }
    for v in ["1e-4", "0", "-1", "NaN", "1e300"] {
        cases.push(vec![
            "bvse".into(),
            s.into(),
            format!("--resolution-ang={v}"),
        ]);
    }
    for v in ["-1", "NaN", "1e300", "0.5"] {
        cases.push(vec![
            "perturb".into(),
            s.into(),
            format!("--sigma-frac={v}"),
            "--out".into(),
            "/dev/null".into(),
        ]);
    }
    for v in ["1000000", "18446744073709551616"] {
        cases.push(vec![
            "validate".into(),
            "tests/validation/validation_set.csv".into(),
            format!("--noise-copies={v}"),
        ]);
    }
    for f in ["0:0.666:1e-12", "0:1e300:0.1", "NaN", "0:1:0"] {
        cases.push(vec![
            "enumerate".into(),
            "--framework".into(),
            "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif".into(),
            "--site".into(),
            "16d".into(),
            "--dopants".into(),
            "In".into(),
            format!("--fractions={f}"),
        ]);
    }
    for c in &cases {
        let mut child = halo()
            .current_dir(root())
            .args(c)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break Some(st);
            }
            if t0.elapsed() > Duration::from_secs(5) {
                // a legitimately long run (e.g. 4e9 hops per ion): it was working, not aborting
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let Some(status) = status else { continue };
        let mut err = String::new();
        use std::io::Read;
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(
            !matches!(status.code(), Some(101) | Some(134) | Some(137)) && status.code().is_some(),
            "{c:?}: {status:?}\n{err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{c:?}: {err}"
        );
    }
}

/// `halo resume DIR` continues what DIR was started with: a folder that holds one shard's
/// checkpoint only resumes that shard (a whole-campaign pass would compute its records
/// again); one that holds several shards only asks which.
#[test]
fn resume_without_a_shard_continues_the_one_the_folder_holds() {
    let (_tmp, wf, out) = campaign("s");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    let run_shard = |k: &str| {
        assert_finished(&halo_out(&[
            "run",
            wf_s,
            "--out",
            out_s,
            "--shard",
            k,
            "--no-progress",
        ]))
    };
    run_shard("0/2");
    let shard_file = out.join("checkpoint.shard-0-of-2.jsonl");
    let before = std::fs::read(&shard_file).unwrap();
    let o = halo_out(&["resume", out_s, "--no-progress"]);
    assert_finished(&o);
    let (_, err) = code_and_err(&o);
    assert!(err.contains("shard 0/2 only; resuming that shard"), "{err}");
    // nothing computed again, no whole-campaign checkpoint started
    assert!(!out.join("checkpoint.jsonl").exists());
    assert_eq!(std::fs::read(&shard_file).unwrap(), before);
    run_shard("1/2");
    let (code, err) = code_and_err(&halo_out(&["resume", out_s, "--no-progress"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("shards 0/2, 1/2") && err.contains("--shard k/N"),
        "{err}"
    );
    assert!(!out.join("checkpoint.jsonl").exists());
}

/// Records made stale by an edit do not hide the current ones computed again: a whole run's
/// checkpoint beside the shards rerun after a `[kmc]` edit (merge read "recorded twice with
/// different results", with or without --recompute-stale), then the shards of another count
/// (report and export refused the folder merge had accepted). A report of an incomplete
/// campaign says so and exits 3.
#[test]
fn stale_records_of_an_earlier_run_do_not_hide_the_current_ones() {
    let (tmp, wf, out) = campaign("s");
    let out_s = out.to_str().unwrap();
    assert_finished(&halo_out(&[
        "run",
        wf.to_str().unwrap(),
        "--out",
        out_s,
        "--no-progress",
    ]));
    let wf2 = workflow(tmp.path(), "w2", 11, 24);
    let wf2 = wf2.to_str().unwrap();
    let shard = |wf: &str, k: &str| shard_run(wf, out_s, k, &["--recompute-stale"]);
    assert_finished(&shard(wf2, "0/2"));
    // between the two, the whole run's records of the other half are stale: refused
    let (code, err) = code_and_err(&halo_out(&["report", out_s]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("1 computed with other settings")
            || err.contains("computed with other settings"),
        "{err}"
    );
    assert_finished(&shard(wf2, "1/2"));
    let o = halo_out(&["merge", out_s, "--shards", "2"]);
    assert_finished(&o);
    let merged = std::fs::read(out.join("ranked.csv")).unwrap();

    // the same settings as N = 4: its records are current, the N = 2 ones of the old settings
    // stale; every command takes the current ones
    let wf3 = workflow(tmp.path(), "w3", 11, 28);
    let wf3 = wf3.to_str().unwrap();
    for k in ["0/4", "1/4", "2/4", "3/4"] {
        assert_finished(&shard(wf3, k));
    }
    assert_finished(&halo_out(&["merge", out_s, "--shards", "4"]));
    let by_merge = std::fs::read(out.join("ranked.csv")).unwrap();
    assert_ne!(merged, by_merge, "the [kmc] edit changes the numbers");
    assert_finished(&halo_out(&["report", out_s]));
    assert_eq!(std::fs::read(out.join("ranked.csv")).unwrap(), by_merge);
    let o = halo_out(&["export", out_s, "--synthesis"]);
    assert_eq!(o.status.code(), Some(0), "{:?}", code_and_err(&o));
    let o = halo_out(&["status", out_s]);
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("stale"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // one shard of a fresh campaign: a report ranks what is recorded, and says it is incomplete
    let half = tmp.path().join("half");
    let half_s = half.to_str().unwrap();
    assert_finished(&shard_run(wf.to_str().unwrap(), half_s, "0/2", &[]));
    let (code, err) = code_and_err(&halo_out(&["report", half_s]));
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("the campaign is incomplete"), "{err}");
}

/// A framework file edited in place leaves `workflow.toml` as it was: a shard started after the
/// edit sees the other shards' records of the old file and stops before any work (it ran to
/// completion, and only the merge refused the mix). With --recompute-stale it runs and names
/// them; merge leaves them out and gives the resubmission with --recompute-stale.
#[test]
fn a_framework_edited_between_shards_is_refused_when_the_next_shard_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let cif = tmp.path().join("spinel.cif");
    let text =
        std::fs::read_to_string(root().join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"))
            .unwrap();
    std::fs::write(&cif, &text).unwrap();
    let wf = tmp.path().join("w.toml");
    let base = std::fs::read_to_string(root().join("tests/data/workflows/mini.toml")).unwrap();
    let base = base.replace(
        "cif = \"../../../structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif\"",
        "cif = \"spinel.cif\"",
    );
    std::fs::write(&wf, base).unwrap();
    let out = tmp.path().join("o");
    let (wf_s, out_s) = (wf.to_str().unwrap(), out.to_str().unwrap());
    assert_finished(&shard_run(wf_s, out_s, "0/2", &[]));
    let before = std::fs::read(out.join("checkpoint.shard-0-of-2.jsonl")).unwrap();
    // the Cl parameter moved by 0.001
    std::fs::write(&cif, text.replace("0.12065", "0.12165")).unwrap();
    let o = shard_run(wf_s, out_s, "1/2", &[]);
    let (code, err) = code_and_err(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("checkpoint.shard-0-of-2.jsonl") && err.contains("--recompute-stale"),
        "{err}"
    );
    assert!(
        !out.join("checkpoint.shard-1-of-2.jsonl").exists() || {
            std::fs::read(out.join("checkpoint.shard-1-of-2.jsonl"))
                .unwrap()
                .is_empty()
        }
    );
    let o = shard_run(wf_s, out_s, "1/2", &["--recompute-stale"]);
    let (code, err) = code_and_err(&o);
    assert!(code == Some(0) || code == Some(1), "{err}");
    assert!(
        err.contains("must be rerun with --recompute-stale"),
        "{err}"
    );
    // shard 0's records are left as they were (only its own run drops them)
    assert_eq!(
        std::fs::read(out.join("checkpoint.shard-0-of-2.jsonl")).unwrap(),
        before
    );
    let (code, err) = code_and_err(&halo_out(&[
        "merge",
        out_s,
        "--shards",
        "2",
        "--recompute-stale",
    ]));
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("missing shards: 0") && err.contains("--shard 0/2 --recompute-stale"),
        "{err}"
    );
}
