//! End-to-end tests of the campaign commands: determinism across thread counts, SIGKILL at
//! random moments with resume, SIGTERM, status, merge of shards, bad workflow files.

mod common;
use common::{halo, json_ok, root, run_ok};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn mini() -> PathBuf {
    root().join("tests/data/workflows/mini.toml")
}

/// The text of mini.toml with its framework path made absolute, for an edited copy written in a
/// temporary folder (a copy next to mini.toml would stay behind if the test failed).
fn mini_text_absolute() -> String {
    let structures = root().join("structures");
    std::fs::read_to_string(mini())
        .unwrap()
        .replace("../../../structures", structures.to_str().unwrap())
}

fn run_to_end(args: &[&str]) -> std::process::Output {
    let out = halo().args(args).output().expect("run halo");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "halo {:?} failed: {}\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn checkpoint_ids(p: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(p).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("complete checkpoint line");
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn kill_resume_threads_and_shards_give_identical_rankings() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    let d = tmp.path().join("d");
    let wf = mini();
    let wf = wf.to_str().unwrap();

    // reference: uninterrupted, 2 threads
    run_to_end(&[
        "run",
        wf,
        "--out",
        a.to_str().unwrap(),
        "--threads",
        "2",
        "--no-progress",
    ]);
    let ranked_csv = read(&a.join("ranked.csv"));
    let ranked_json = read(&a.join("ranked.json"));
    assert!(String::from_utf8_lossy(&ranked_csv).lines().count() >= 3);
    let n_candidates = checkpoint_ids(&a.join("checkpoint.jsonl")).len();
    assert!(
        n_candidates >= 4,
        "mini campaign should have several candidates"
    );

    // different thread count: byte-identical ranking
    run_to_end(&[
        "run",
        wf,
        "--out",
        b.to_str().unwrap(),
        "--threads",
        "1",
        "--no-progress",
    ]);
    assert_eq!(read(&b.join("ranked.csv")), ranked_csv);
    assert_eq!(read(&b.join("ranked.json")), ranked_json);

    // ten SIGKILLs at pseudo-random moments, resuming each time
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..10 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay_ms = 40 + state % 900;
        let mut cmd = halo();
        if i == 0 {
            cmd.args(["run", wf, "--out", c.to_str().unwrap()]);
        } else {
            cmd.args(["resume", c.to_str().unwrap()]);
        }
        let mut child = cmd
            .args(["--threads", "2", "--no-progress"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix; may arrive after a normal exit
        let _ = child.wait();
    }
    run_to_end(&[
        "resume",
        c.to_str().unwrap(),
        "--threads",
        "2",
        "--no-progress",
    ]);
    let ids = checkpoint_ids(&c.join("checkpoint.jsonl"));
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), n_candidates, "no candidate lost");
    assert_eq!(ids.len(), uniq.len(), "no candidate duplicated");
    assert_eq!(read(&c.join("ranked.csv")), ranked_csv);
    assert_eq!(read(&c.join("ranked.json")), ranked_json);

    // three shards run separately, then merged: identical ranking; a missing shard is named
    for k in 0..3 {
        let s = format!("{k}/3");
        if k == 1 {
            continue;
        }
        run_to_end(&[
            "run",
            wf,
            "--out",
            d.to_str().unwrap(),
            "--shard",
            &s,
            "--threads",
            "1",
            "--no-progress",
        ]);
    }
    let first_merge = halo()
        .args(["merge", d.to_str().unwrap(), "--shards", "3"])
        .output()
        .unwrap();
    run_to_end(&[
        "run",
        wf,
        "--out",
        d.to_str().unwrap(),
        "--shard",
        "1/3",
        "--threads",
        "1",
        "--no-progress",
    ]);
    let shard1 = checkpoint_ids(&d.join("checkpoint.shard-1-of-3.jsonl"));
    if !shard1.is_empty() {
        // shard 1 had work, so the first merge must have refused and named it
        let stderr = String::from_utf8_lossy(&first_merge.stderr);
        assert_eq!(first_merge.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("missing shards: 1 "), "{stderr}");
        // no Slurm script was emitted into this folder: the hint is a shard run, not sbatch
        assert!(
            stderr.contains(&format!(
                "halo run {} --out",
                std::fs::canonicalize(wf).unwrap().display()
            )) && stderr.contains("--shard 1/3"),
            "{stderr}"
        );
        assert!(!stderr.contains("sbatch"), "{stderr}");
        let st: serde_json::Value =
            serde_json::from_slice(&read(&d.join("merge-status.json"))).unwrap();
        assert_eq!(st["missing_shards"], serde_json::json!([1]));
    }
    let m = halo()
        .args(["merge", d.to_str().unwrap(), "--shards", "3"])
        .output()
        .unwrap();
    assert!(
        matches!(m.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&m.stderr)
    );
    assert_eq!(read(&d.join("ranked.csv")), ranked_csv);
    assert_eq!(read(&d.join("ranked.json")), ranked_json);

    // status lists counts
    let st = halo()
        .args(["status", a.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(v["pending"], 0);
    assert_eq!(
        v["evaluated"].as_u64().unwrap() as usize + v["failed"].as_array().unwrap().len(),
        n_candidates
    );

    // reports, plots, structures and hand-off exist
    for f in ["report.md", "plots/ranking.svg", "plots/arrhenius.svg"] {
        assert!(a.join(f).is_file(), "{f} missing");
    }
    run_ok(halo().args(["export", a.to_str().unwrap(), "--synthesis"]));
    let h: serde_json::Value =
        serde_json::from_slice(&read(&a.join("synthesis/handoff.json"))).unwrap();
    let first = &h["candidates"][0];
    let total: f64 = first["precursors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["mass_g"].as_f64().unwrap())
        .sum();
    assert!(
        (total - 1.0).abs() < 1e-9,
        "precursor masses add up to the batch"
    );
    // the hand-off names each candidate as the ranking does, so a chemist can match the two
    let ranked: serde_json::Value = serde_json::from_slice(&read(&a.join("ranked.json"))).unwrap();
    let row = ranked["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metrics"]["id"] == first["id"])
        .unwrap();
    assert_eq!(first["formula"], row["metrics"]["formula"]);
    let csv = String::from_utf8(read(&a.join("synthesis/handoff.csv"))).unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("rank,id,formula,target_formula,"));
    let cells: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(cells[1], first["id"].as_str().unwrap());
    assert_eq!(cells[2], row["metrics"]["formula"].as_str().unwrap());
}

#[test]
fn sigterm_stops_cleanly_and_resume_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let mut child = halo()
        .args([
            "run",
            mini().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--threads", "1", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = child.wait().unwrap();
    // either it was stopped (143) or it had already finished (0/1)
    assert!(
        matches!(status.code(), Some(143) | Some(0) | Some(1)),
        "unexpected exit {status}"
    );
    if out.join("checkpoint.jsonl").exists() {
        let text = std::fs::read_to_string(out.join("checkpoint.jsonl")).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "no torn line after SIGTERM"
        );
    }
    run_to_end(&[
        "resume",
        out.to_str().unwrap(),
        "--threads",
        "2",
        "--no-progress",
    ]);
    assert!(out.join("ranked.csv").is_file());
}

#[test]
fn bad_workflows_are_rejected_with_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(mini()).unwrap();
    let cases = [
        (text.replace("seed = 11", "seed = 11\nseeed = 3"), "seeed"),
        (
            text.replace("resolution_ang = 0.35", "resolution_ang = -0.3"),
            "bvse.resolution_ang",
        ),
        (
            text.replace("[\"In\", \"Y\"]", "[\"In\", \"Qq\"]"),
            "enumerate.dopants",
        ),
        (
            text.replace("Li2Sc2-3Cl4_Fd-3m", "Nope_Fd-3m"),
            "framework.cif",
        ),
    ];
    for (i, (t, key)) in cases.iter().enumerate() {
        let p = tmp.path().join(format!("bad{i}.toml"));
        // keep relative paths valid: write next to the original
        let p2 = mini().with_file_name(format!(".bad-{}-{i}.toml", std::process::id()));
        std::fs::write(&p2, t).unwrap();
        let out = halo()
            .args([
                "run",
                p2.to_str().unwrap(),
                "--out",
                p.with_extension("out").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&p2);
        assert_eq!(out.status.code(), Some(2), "case {i}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "case {i}: expected '{key}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn eval_runs_every_stage_on_a_refined_structure() {
    let cif = root().join("structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let v = json_ok(halo().args([
        "eval",
        cif.to_str().unwrap(),
        "--workflow",
        mini().to_str().unwrap(),
        "--json",
    ]));
    // per formula unit of 4 Cl (Z = 8 from the multiplicities)
    assert!(
        v["formula"].as_str().unwrap().ends_with("Cl4"),
        "{}",
        v["formula"]
    );
    let m = &v["metrics"];
    assert!(m["e_3d_ev"].as_f64().unwrap() > 0.1);
    assert!((m["mobile_ions_per_cell"].as_f64().unwrap() - 5.664).abs() < 1e-9);
    let r = &m["ranking"];
    assert!(r["sigma_300k_s_per_cm"].as_f64().unwrap() > 0.0);
    assert!(r["ea_ev"].as_f64().unwrap() > 0.0);
    // a ternary chloride of In/Sc: anodic limit at the LiCl value, cathodic at In3+ reduction
    assert!(
        (r["anodic_limit_v_dg"].as_f64().unwrap() - 3.98).abs() < 0.01,
        "{r}"
    );
    assert!(r["cathodic_limit_v_dg"].as_f64().unwrap() < 3.0, "{r}");
    // a missing file is a clear error
    let bad = halo().args(["eval", "no/such.cif"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no/such.cif"));
}

/// A structure that is not charge neutral (the bundled SCXRD refinement under-counts Li: −0.82 e
/// per formula unit) is evaluated to the end, as physics §1.3 says: its σ is reported and its
/// stability is not assessable with the reason (the filters stage stopped the whole evaluation
/// before, throwing the kMC away). Without a workflow the output says that no filter was applied,
/// and the JSON lists the warnings.
#[test]
fn eval_of_a_structure_that_is_not_neutral_reports_what_it_can() {
    let cif = root().join("structures/Li3In2-3Sc1-3Cl6_C2m_Zhou2022_SCXRD.cif");
    let v = json_ok(halo().args(["eval", cif.to_str().unwrap(), "--json"]));
    let r = &v["metrics"]["ranking"];
    assert!(r["sigma_300k_s_per_cm"].as_f64().unwrap() > 0.0, "{r}");
    assert_eq!(r["verdicts"]["stability"], "not_assessable", "{r}");
    assert!(
        r["verdicts"]["notes"]
            .to_string()
            .contains("not a charge-balanced halide"),
        "{r}"
    );
    assert_eq!(v["filters_applied"], false);
    assert!(
        v["warnings"].to_string().contains("not charge neutral"),
        "{}",
        v["warnings"]
    );
    let text = halo()
        .args(["eval", cif.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(text.status.code(), Some(0));
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("no hard filters applied"), "{out}");
    assert!(out.contains("stability not_assessable"), "{out}");
    // a workflow whose [filters] sets none applies none either
    let tmp = tempfile::tempdir().unwrap();
    let wf = tmp.path().join("no-filters.toml");
    let mini_text = mini_text_absolute();
    assert!(mini_text.contains("[filters]\nmin_anodic_limit_v = 3.5\n"));
    std::fs::write(
        &wf,
        mini_text.replace("[filters]\nmin_anodic_limit_v = 3.5\n", ""),
    )
    .unwrap();
    let v = json_ok(halo().args([
        "eval",
        cif.to_str().unwrap(),
        "--workflow",
        wf.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["filters_applied"], false);
}

/// A campaign whose candidates have every Li site full (LiAlCl4) lists them in its report and
/// carries the warning in each candidate's record; the mini spinel campaign lists none.
#[test]
fn candidates_whose_every_li_site_is_full_are_named_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let wf = root().join("tests/data/workflows/lialcl4-full-li.toml");
    run_to_end(&[
        "run",
        wf.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = report
        .split("## Candidates whose every Li site is full")
        .nth(1)
        .unwrap_or_else(|| panic!("no section in\n{report}"));
    let ids = checkpoint_ids(&out.join("checkpoint.jsonl"));
    assert!(!ids.is_empty());
    for id in &ids {
        assert!(
            section.contains(&format!("`{id}` LiAlCl4")),
            "{id}: {report}"
        );
    }
    let line = std::fs::read_to_string(out.join("checkpoint.jsonl")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(rec["details"]["li_sublattice"]["full"], true, "{rec}");
    assert!(
        rec.to_string()
            .contains("every Li site of the input is full"),
        "{rec}"
    );
    // ranked.csv says it beside the σ
    let li_col = |dir: &Path| -> Vec<String> {
        let mut rdr = csv::Reader::from_path(dir.join("ranked.csv")).unwrap();
        let i = rdr
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "li_sites_full")
            .expect("li_sites_full column");
        rdr.records().map(|r| r.unwrap()[i].to_string()).collect()
    };
    let col = li_col(&out);
    assert!(
        !col.is_empty() && col.iter().all(|v| v == "true"),
        "{col:?}"
    );
    // the spinel's Li sites are partial: no such section
    let spinel = tmp.path().join("spinel");
    run_to_end(&[
        "run",
        mini().to_str().unwrap(),
        "--out",
        spinel.to_str().unwrap(),
        "--no-progress",
    ]);
    let report = std::fs::read_to_string(spinel.join("report.md")).unwrap();
    assert!(!report.contains("every Li site is full"), "{report}");
    assert!(!report.contains("without an Arrhenius fit"), "{report}");
    let col = li_col(&spinel);
    assert!(
        !col.is_empty() && col.iter().all(|v| v == "false"),
        "{col:?}"
    );
}

/// Candidates whose kMC temperatures leave fewer than two resolved conductivities have no
/// σ(300 K) or Ea to rank by: the run, `halo report` and report.md say so and name them, rather
/// than leaving a ranking whose tail is empty columns (1 K: no hop is resolved there).
#[test]
fn candidates_without_an_arrhenius_fit_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let wf = tmp.path().join("cold.toml");
    std::fs::write(
        &wf,
        mini_text_absolute().replace("temperatures_k = [300, 500]", "temperatures_k = [300, 1]"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = halo()
        .args([
            "run",
            wf.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--no-progress",
        ])
        .output()
        .unwrap();
    // no candidate has a σ(300 K): none passes (it would rank on cost alone and be handed
    // off as a conductor), so the run ends as "nothing passed"
    assert_eq!(
        run.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let csv = std::fs::read_to_string(out.join("ranked.csv")).unwrap();
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.contains("no σ(300 K) to rank by")),
        "{csv}"
    );
    let e = halo()
        .args(["export", out.to_str().unwrap(), "--synthesis"])
        .output()
        .unwrap();
    assert_eq!(
        e.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    let ids = checkpoint_ids(&out.join("checkpoint.jsonl"));
    assert!(!ids.is_empty());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "{} evaluated candidate(s) have no Arrhenius fit",
            ids.len()
        )),
        "{stderr}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = report
        .split("## Candidates without an Arrhenius fit")
        .nth(1)
        .unwrap_or_else(|| panic!("no section in\n{report}"));
    for id in &ids {
        assert!(section.contains(&format!("`{id}`")), "{id}: {report}");
    }
    let again = halo()
        .args(["report", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("have no Arrhenius fit"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// `halo rank DIR` ranks a campaign folder's records with its workflow's filters (the same
/// rows as its ranked.json), a flag overrides one filter, and the folder's own files, which
/// are not ranking records, are refused naming the line instead of ranking as empty rows.
#[test]
fn rank_reads_a_campaign_folder_and_refuses_its_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_to_end(&[
        "run",
        mini().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let dir = out.to_str().unwrap();
    let ranked: serde_json::Value =
        serde_json::from_slice(&read(&out.join("ranked.json"))).unwrap();
    let ranked_rows = ranked["rows"].as_array().unwrap();
    let v = json_ok(halo().args(["rank", dir, "--json"]));
    let rows = v["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert_eq!(rows.len(), ranked_rows.len());
    for (a, b) in rows.iter().zip(ranked_rows) {
        assert_eq!(a["metrics"]["id"], b["metrics"]["id"]);
        assert_eq!(a["rank"], b["rank"]);
        assert_eq!(a["passed"], b["passed"]);
        assert!(a["metrics"]["sigma_300k_s_per_cm"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(v["top_k"], ranked["top_k"]);
    assert_eq!(v["n_passed"], ranked["n_passed"]);
    // a flag overrides the workflow's filter; --require-insulating sets it either way
    // none passing: the ranking is still printed, and the code is 4 ("nothing to rank")
    let (code, stdout, err) =
        common::run_args(&["rank", dir, "--min-sigma-s-per-cm", "1e3", "--json"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("no candidate passed the hard filters"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["n_passed"], 0);
    // `halo report` under a workflow none passes says so with the same code
    let saved = out.join("workflow.toml");
    let text = std::fs::read_to_string(&saved).unwrap();
    std::fs::write(
        &saved,
        text.replace("min_anodic_limit_v = 3.5", "min_anodic_limit_v = 9.0"),
    )
    .unwrap();
    let (code, _, err) = common::run_args(&["report", dir]);
    assert_eq!(code, 4, "{err}");
    std::fs::write(&saved, &text).unwrap();
    assert_eq!(common::run_args(&["report", dir]).0, 0);
    assert_eq!(
        v["config"]["require_insulating"],
        ranked["workflow"]["filters"]["require_insulating"]
    );
    let v = json_ok(halo().args(["rank", dir, "--require-insulating=false", "--json"]));
    assert_eq!(v["config"]["require_insulating"], false);
    let v = json_ok(halo().args(["rank", "--require-insulating", dir, "--json"]));
    assert_eq!(v["config"]["require_insulating"], true);
    // the checkpoint and ranked.json are not ranking records
    let ckpt = out.join("checkpoint.jsonl");
    let (code, _, err) = common::run_args(&["rank", ckpt.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("checkpoint.jsonl, line 1:"), "{err}");
    assert!(
        err.contains("no metric") && err.contains("halo rank DIR"),
        "{err}"
    );
    let rj = out.join("ranked.json");
    let (code, _, err) = common::run_args(&["rank", rj.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("one JSON object") && err.contains("halo rank DIR"),
        "{err}"
    );
    // a campaign not yet complete says how much of it is ranked
    let part = tmp.path().join("part");
    run_to_end(&[
        "run",
        mini().to_str().unwrap(),
        "--out",
        part.to_str().unwrap(),
        "--shard",
        "0/2",
        "--no-progress",
    ]);
    let (code, _, err) = common::run_args(&["rank", part.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("planned candidates are recorded so far"),
        "{err}"
    );
    let (_, _, err) = common::run_args(&["rank", dir]);
    assert!(!err.contains("recorded so far"), "{err}");
    // a folder that is no campaign
    let (code, _, err) = common::run_args(&["rank", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a halo campaign folder"), "{err}");
}

/// `halo run` on a folder that records another workflow: a change of the filters (which the
/// records do not depend on) is taken, with a note; a change of [kmc] is refused, naming the
/// section, unless --recompute-stale, which takes the workflow and recomputes every record;
/// `halo emit slurm` refuses such a folder before any task would stop.
#[test]
fn an_edited_workflow_is_taken_where_its_records_allow() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = out.to_str().unwrap();
    let text = mini_text_absolute();
    let write = |tag: &str, t: &str| {
        let p = tmp.path().join(format!("edit-{tag}.toml"));
        std::fs::write(&p, t).unwrap();
        p
    };
    let filters = write(
        "filters",
        &text.replace("min_anodic_limit_v = 3.5", "min_anodic_limit_v = 3.0"),
    );
    let kmc = write(
        "kmc",
        &text.replace("hops_per_ion = 20", "hops_per_ion = 25"),
    );
    let run = |wf: &Path, extra: &[&str]| {
        let mut args = vec!["run", wf.to_str().unwrap(), "--out", o, "--no-progress"];
        args.extend_from_slice(extra);
        halo().args(&args).output().unwrap()
    };
    let original = write("original", &text);
    let first = run(&original, &[]);
    assert!(matches!(first.status.code(), Some(0 | 1)));
    let ids = checkpoint_ids(&out.join("checkpoint.jsonl"));

    let f = run(&filters, &[]);
    let err = String::from_utf8_lossy(&f.stderr);
    assert!(matches!(f.status.code(), Some(0 | 1)), "{err}");
    assert!(
        err.contains("(changed: filters); the records do not depend on it"),
        "{err}"
    );
    assert!(err.contains("0 recorded now"), "{err}");
    assert!(std::fs::read_to_string(out.join("workflow.toml"))
        .unwrap()
        .contains("min_anodic_limit_v = 3.0"));

    let k = run(&kmc, &[]);
    let err = String::from_utf8_lossy(&k.stderr);
    assert_eq!(k.status.code(), Some(2), "{err}");
    assert!(
        err.contains(" in kmc, filters; its records depend on kmc: "),
        "{err}"
    );
    let emit = halo()
        .args([
            "emit",
            "slurm",
            kmc.to_str().unwrap(),
            "--shards",
            "2",
            "--out",
            o,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&emit.stderr);
    assert_eq!(emit.status.code(), Some(2), "{err}");
    assert!(err.contains("every task would stop"), "{err}");

    let k = run(&kmc, &["--recompute-stale"]);
    let err = String::from_utf8_lossy(&k.stderr);
    assert!(matches!(k.status.code(), Some(0 | 1)), "{err}");
    assert!(
        err.contains(&format!("{} recorded now", ids.len())),
        "{err}"
    );
    // the old settings' ranking was removed when their records were dropped (a pass stopped
    // before its end leaves none), and this pass wrote the new one
    assert!(
        err.contains("the ranking, report, plots and hand-off of the old settings are removed"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "dropped {n} stale record(s); {n} of them are candidates of the current plan",
            n = ids.len()
        )),
        "{err}"
    );
    assert!(out.join("ranked.csv").is_file() && out.join("report.md").is_file());
    let mut again = checkpoint_ids(&out.join("checkpoint.jsonl"));
    again.sort();
    let mut ids = ids;
    ids.sort();
    assert_eq!(again, ids, "every candidate once, recomputed");
}

/// `halo status` counts each shard set as `merge --shards N` reads it: complete 3-shard
/// checkpoints do not make a 2-shard set complete whose shard 1 never ran.
#[test]
fn status_counts_each_shard_set_as_merge_does() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    let o = out.to_str().unwrap();
    let wf = mini();
    let wf = wf.to_str().unwrap();
    for shard in ["0/3", "1/3", "2/3", "0/2"] {
        run_to_end(&["run", wf, "--out", o, "--shard", shard, "--no-progress"]);
    }
    let status = halo().args(["status", o]).output().unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("shards     3: all complete"), "{text}");
    let merge = halo().args(["merge", o, "--shards", "2"]).output().unwrap();
    let err = String::from_utf8_lossy(&merge.stderr);
    assert_eq!(merge.status.code(), Some(3), "{err}");
    assert!(err.contains("missing shards: 1 "), "{err}");
    assert!(text.contains("shards     2: incomplete 1"), "{text}");
    // resume continues a split that exists; another N is refused (run starts one)
    let r = halo()
        .args(["resume", o, "--shard", "1/4", "--no-progress"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("none of N = 4"), "{err}");
    assert!(!out.join("checkpoint.shard-1-of-4.jsonl").exists());
}

/// `halo emit hq` prints the HyperQueue submission; Slurm's scheduling flags, which it has no
/// counterpart for, are refused rather than dropped from it.
#[test]
fn emit_hq_refuses_the_slurm_only_flags() {
    let d = tempfile::tempdir().unwrap();
    let o = d.path().join("o");
    let wf = root().join("workflows/chlorospinel-in-sc.toml");
    let base = |extra: &[&str]| {
        let mut c = halo();
        c.args(["emit", "hq"])
            .arg(&wf)
            .args(["--shards", "2", "--out"])
            .arg(&o)
            .args(extra);
        c.output().unwrap()
    };
    let ok = base(&[]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("hq submit"));
    for flag in [
        ["--partition", "p"],
        ["--max-parallel", "2"],
        ["--account", "a"],
    ] {
        let e = base(&flag);
        let err = String::from_utf8_lossy(&e.stderr);
        assert_eq!(e.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("{} applies to `halo emit slurm` only", flag[0])),
            "{err}"
        );
    }
}

/// A campaign's filters see the candidate's exact composition, as `halo eval` of the candidate's
/// written structure does: the undoped framework, Li2Sc2/3Cl4 (recorded as Li2Sc0.6667Cl4), is
/// the same composition per atom as the table's Li3ScCl6 row, and gets that row's band gap
/// either way (the 4-decimal formula missed it and fell back to the lowest binary gap).
#[test]
fn the_campaign_and_eval_of_its_structure_give_the_same_filters() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("m");
    run_ok(
        halo()
            .arg("run")
            .arg(mini())
            .arg("--out")
            .arg(&out)
            .arg("--no-progress"),
    );
    let ranked: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("ranked.json")).unwrap()).unwrap();
    let row = ranked["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metrics"]["formula"] == "Li2Sc0.6667Cl4")
        .expect("the undoped framework is a candidate");
    let m = &row["metrics"];
    let id = m["id"].as_str().unwrap();
    let e = json_ok(
        halo()
            .arg("eval")
            .arg(out.join(format!("structures/{id}.json")))
            .arg("--json"),
    );
    let r = &e["metrics"]["ranking"];
    for key in [
        "band_gap_ev",
        "cost_usd_per_kg",
        "anodic_limit_v_dg",
        "cathodic_limit_v_dg",
    ] {
        assert_eq!(
            m[key], r[key],
            "{key}: campaign {} vs eval {}",
            m[key], r[key]
        );
    }
    assert_eq!(m["verdicts"]["insulation"], r["verdicts"]["insulation"]);
}

/// A campaign of the explicit model says so in its report: the "Models and settings" paragraph
/// describes realisations and interacting Li, not the averaged model's rules.
#[test]
fn an_explicit_campaign_report_describes_the_explicit_model() {
    let tmp = tempfile::tempdir().unwrap();
    let text = mini_text_absolute()
        .replace(
            "fractions = [0.0, 0.111, 0.222, 0.333, 0.444]",
            "fractions = [0.0]",
        )
        .replace(
            "[kmc]\n",
            "[kmc]\nmodel = \"explicit\"\nmax_realisations = 2\n",
        )
        .replace("temperatures_k = [300, 500]", "temperatures_k = [400, 500]")
        .replace("hops_per_ion = 20", "hops_per_ion = 8\nblocks = 4");
    let wf = tmp.path().join("explicit.toml");
    std::fs::write(&wf, text).unwrap();
    let out = tmp.path().join("x");
    let o = halo()
        .arg("run")
        .arg(&wf)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("interacting-Li kinetic Monte Carlo"),
        "{report}"
    );
    assert!(
        !report.contains("occupancy-weighted average model"),
        "{report}"
    );
}

/// A pass logs its time in `runs.jsonl` only when it ends: records of a pass killed outright
/// (SIGKILL, a node failure) have no time, and the report's throughput says how many it leaves
/// out instead of presenting the logged passes as the whole campaign.
#[test]
fn the_throughput_names_records_of_passes_killed_before_they_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let o = out.to_str().unwrap();
    run_to_end(&["run", mini().to_str().unwrap(), "--out", o, "--no-progress"]);
    let report = || String::from_utf8(read(&out.join("report.md"))).unwrap();
    assert!(!report().contains("killed before they could log"));
    let n = checkpoint_ids(&out.join("checkpoint.jsonl")).len();
    assert!(n >= 3);
    // as if the first pass had been killed after 2 records and a second one logged the rest
    let mut pass: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(out.join("runs.jsonl"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    pass["recorded"] = serde_json::json!(n - 2);
    std::fs::write(out.join("runs.jsonl"), format!("{pass}\n")).unwrap();
    run_to_end(&["report", o]);
    let r = report();
    assert!(
        r.contains(&format!("{} candidates recorded in 1 pass(es)", n - 2)),
        "{r}"
    );
    assert!(
        r.contains(
            "2 candidate(s) were recorded by passes that were killed before they could log their \
             time"
        ),
        "{r}"
    );
    // no pass logged at all: the section still says where the records came from
    std::fs::remove_file(out.join("runs.jsonl")).unwrap();
    run_to_end(&["report", o]);
    assert!(
        report().contains(&format!(
            "{n} candidate(s) were recorded by passes that were killed"
        )),
        "{}",
        report()
    );
}

/// Records computed under other `[kmc]` settings (here: the folder's workflow edited in place;
/// in the field, one shard rerun with `--recompute-stale` after an edit) are never ranked with
/// the others: `report`, `rank` and `export` refuse the folder as `resume` and `merge` do.
#[test]
fn report_rank_and_export_refuse_records_of_other_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let o = out.to_str().unwrap();
    run_to_end(&["run", mini().to_str().unwrap(), "--out", o, "--no-progress"]);
    let wf = out.join("workflow.toml");
    let text = std::fs::read_to_string(&wf).unwrap();
    assert!(text.contains("hops_per_ion = 20"), "{text}");
    std::fs::write(&wf, text.replace("hops_per_ion = 20", "hops_per_ion = 30")).unwrap();
    let before = read(&out.join("ranked.csv"));
    for args in [
        vec!["report", o],
        vec!["rank", o],
        vec!["export", o, "--synthesis"],
    ] {
        let r = halo().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("do not belong to this folder's settings")
                && err.contains("--recompute-stale"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(read(&out.join("ranked.csv")), before, "nothing rewritten");
    assert!(!out.join("synthesis/handoff.csv").exists());
    // put back, the folder ranks again
    std::fs::write(&wf, text).unwrap();
    run_to_end(&["report", o]);
    assert_eq!(read(&out.join("ranked.csv")), before);
}

/// A hand-off exported from a partial ranking is exported again when the outputs are rewritten
/// (here by the merge that completes the campaign), and removed when the new ranking has no
/// candidate to hand off (filters tightened): the folder never holds the hand-off of another
/// ranking than its `ranked.csv`.
#[test]
fn the_hand_off_follows_the_ranking_it_was_exported_from() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let o = out.to_str().unwrap();
    let wf = mini();
    let wf = wf.to_str().unwrap();
    run_to_end(&["run", wf, "--out", o, "--shard", "0/2", "--no-progress"]);
    // the ranking of what is recorded, said to be incomplete (exit 3)
    let r = halo().args(["report", o]).output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    run_to_end(&["export", o, "--synthesis", "--batch-mass-g", "2.5"]);
    let h = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&read(&out.join("synthesis").join(p))).unwrap()
    };
    assert_eq!(h("handoff.json")["complete"], false);
    run_to_end(&["run", wf, "--out", o, "--shard", "1/2", "--no-progress"]);
    let m = halo().args(["merge", o, "--shards", "2"]).output().unwrap();
    assert!(matches!(m.status.code(), Some(0) | Some(1)));
    let refreshed = h("handoff.json");
    assert_eq!(refreshed["complete"], true, "{refreshed}");
    assert_eq!(refreshed["batch_mass_g"], 2.5);
    // the same as exporting the complete campaign afresh
    let csv = read(&out.join("synthesis/handoff.csv"));
    run_to_end(&["export", o, "--synthesis", "--batch-mass-g", "2.5"]);
    assert_eq!(read(&out.join("synthesis/handoff.csv")), csv);
    assert_eq!(h("handoff.json"), refreshed);
    // filters no candidate passes: the outputs say so and the hand-off is gone
    let wfp = out.join("workflow.toml");
    let text = std::fs::read_to_string(&wfp).unwrap();
    assert!(text.contains("min_anodic_limit_v = 3.5"), "{text}");
    std::fs::write(
        &wfp,
        text.replace("min_anodic_limit_v = 3.5", "min_anodic_limit_v = 6.5"),
    )
    .unwrap();
    let r = halo().args(["report", o]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("hand-off was removed"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(!out.join("synthesis/handoff.csv").exists());
    assert!(!out.join("synthesis/handoff.json").exists());
}

/// A mixed-halide candidate (the spinel with its Cl site half Br) is handed off with a
/// precursor set that balances every element (LiCl and LiBr beside the M halides) and masses
/// that add up to the batch, not skipped; candidates the workflow's filters let through without
/// an insulation verdict carry it in their notes.
#[test]
fn mixed_halide_candidates_are_handed_off() {
    let tmp = tempfile::tempdir().unwrap();
    let spinel =
        std::fs::read_to_string(root().join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"))
            .unwrap();
    let row = "  Cl  Cl5  32  0.12065000  0.12065000  0.87935000  1\n";
    assert!(spinel.contains(row));
    let mixed = spinel.replace("10.40370000", "10.7000000").replace(
        row,
        "  Cl  Cl5  32  0.12065000  0.12065000  0.87935000  0.5\n  Br  Br5  32  0.12065000  0.12065000  0.87935000  0.5\n",
    );
    std::fs::write(tmp.path().join("mix.cif"), mixed).unwrap();
    let wf = tmp.path().join("mix.toml");
    let text = mini_text_absolute()
        .replace(
            &format!(
                "{}/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif",
                root().join("structures").display()
            ),
            "mix.cif",
        )
        .replace("min_anodic_limit_v = 3.5", "");
    assert!(text.contains("cif = \"mix.cif\""), "{text}");
    std::fs::write(&wf, text).unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    run_to_end(&["run", wf.to_str().unwrap(), "--out", o, "--no-progress"]);
    let e = halo().args(["export", o, "--synthesis"]).output().unwrap();
    assert_eq!(
        e.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    let h: serde_json::Value =
        serde_json::from_slice(&read(&out.join("synthesis/handoff.json"))).unwrap();
    assert_eq!(h["skipped"].as_array().unwrap().len(), 0, "{h}");
    let cands = h["candidates"].as_array().unwrap();
    assert!(!cands.is_empty(), "{h}");
    for c in cands {
        let names: Vec<&str> = c["precursors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["formula"].as_str().unwrap())
            .collect();
        assert!(
            names.iter().any(|n| n.ends_with("Br") || n.contains("Br")),
            "{names:?}"
        );
        assert!(names.iter().any(|n| n.contains("Cl")), "{names:?}");
        assert!(
            c["mass_balance_error_g"].as_f64().unwrap().abs() < 1e-9,
            "{c}"
        );
        let notes = c["notes"].to_string();
        assert!(notes.contains("mixed halide"), "{notes}");
    }
    let csv = String::from_utf8(read(&out.join("synthesis/handoff.csv"))).unwrap();
    assert!(csv.contains(",LiBr,") && csv.contains(",LiCl,"), "{csv}");
    assert!(!csv.contains("NOT HANDED OFF"), "{csv}");
}

/// A torn last record (a crash during its write) is cut when the campaign resumes, and said:
/// it was dropped without a word before. The ranking is unchanged.
#[test]
fn a_torn_last_record_is_cut_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let o = out.to_str().unwrap();
    run_to_end(&["run", mini().to_str().unwrap(), "--out", o, "--no-progress"]);
    let ranked = read(&out.join("ranked.csv"));
    let ckpt = out.join("checkpoint.jsonl");
    let mut text = std::fs::read_to_string(&ckpt).unwrap();
    text.push_str("{\"id\": \"0123456789abcdef\", \"formula\": \"Li2");
    std::fs::write(&ckpt, text).unwrap();
    let r = run_to_end(&["resume", o, "--no-progress"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("cut a torn last record"), "{err}");
    assert_eq!(read(&out.join("ranked.csv")), ranked);
    // every line parses again
    assert!(!checkpoint_ids(&ckpt).is_empty());
}

/// A change of [enumerate] with --recompute-stale: the dropped records' structure files go with
/// them, so `structures/` holds the files of the current candidates only.
#[test]
fn dropped_candidates_take_their_structure_files_with_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c");
    let o = out.to_str().unwrap();
    let text = mini_text_absolute();
    let first = tmp.path().join("first.toml");
    std::fs::write(&first, &text).unwrap();
    run_to_end(&["run", first.to_str().unwrap(), "--out", o, "--no-progress"]);
    let fewer = tmp.path().join("fewer.toml");
    assert!(text.contains("dopants = [\"In\", \"Y\"]"));
    std::fs::write(
        &fewer,
        text.replace("dopants = [\"In\", \"Y\"]", "dopants = [\"In\"]"),
    )
    .unwrap();
    run_to_end(&[
        "run",
        fewer.to_str().unwrap(),
        "--out",
        o,
        "--no-progress",
        "--recompute-stale",
    ]);
    let ids: std::collections::BTreeSet<String> = checkpoint_ids(&out.join("checkpoint.jsonl"))
        .into_iter()
        .collect();
    let files: std::collections::BTreeSet<String> = std::fs::read_dir(out.join("structures"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            p.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert!(!ids.is_empty());
    assert_eq!(
        files, ids,
        "structures/ holds the current candidates' files only"
    );
}

/// A framework file's reader warnings (here: a second data block) are printed by `halo run`, as
/// every command that reads a file prints them; a campaign ran on it without a word.
#[test]
fn a_campaign_names_its_frameworks_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let spinel =
        std::fs::read_to_string(root().join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"))
            .unwrap();
    let second = spinel.replacen("data_", "data_second_", 1);
    let cif = tmp.path().join("two_blocks.cif");
    std::fs::write(&cif, format!("{spinel}\n{second}")).unwrap();
    let wf = tmp.path().join("wf.toml");
    let text = std::fs::read_to_string(mini()).unwrap();
    assert!(text.contains("../../../structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"));
    std::fs::write(
        &wf,
        text.replace(
            "../../../structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif",
            cif.to_str().unwrap(),
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let r = run_to_end(&[
        "run",
        wf.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("warning: framework") && err.contains("holds 2 data blocks with atom sites"),
        "{err}"
    );
}
