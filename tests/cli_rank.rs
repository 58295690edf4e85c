//! End-to-end tests of `halo rank` on example hand-off records
//! (crates/filters/tests/data/candidates_measured.jsonl: the measured σ(RT) and Eₐ of
//! conductivity_calibration.csv with halo's filter columns, plus one failed record).

mod common;
use common::run_args as halo;

const RECORDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/crates/filters/tests/data/candidates_measured.jsonl"
);

#[test]
fn table_has_units_errors_and_front() {
    let (code, out, err) = halo(&["rank", RECORDS]);
    assert_eq!(code, 0, "{err}");
    for col in [
        "σ(300 K) [mS/cm] ± SE",
        "Ea [eV] ± SE",
        "E_ox [V vs Li] ± data",
        "cost [USD/kg]",
    ] {
        assert!(out.contains(col), "{col} missing:\n{out}");
    }
    assert!(out.contains("Pareto front"), "{out}");
    // the failed record is listed as failed with its reason
    assert!(out.contains("FAIL: failed stage: kmc"), "{out}");
}

#[test]
fn hard_filters_from_the_command_line() {
    let (code, out, err) = halo(&[
        "rank",
        RECORDS,
        "--min-anodic-v",
        "3.9",
        "--max-cost",
        "500",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["n_candidates"], 7);
    assert_eq!(v["n_passed"], 5);
    let rows = v["rows"].as_array().unwrap();
    let sc = rows
        .iter()
        .find(|r| r["metrics"]["formula"] == "Li2Sc2/3Cl4")
        .unwrap();
    assert_eq!(sc["passed"], false);
    assert!(sc["failed_filters"][0].as_str().unwrap().contains("cost"));
    // ranks are 1..n over the passing rows, front first
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[0]["pareto_front"], true);
}

#[test]
fn bad_records_name_file_and_line() {
    let dir = std::env::temp_dir().join(format!("halo-cli-rank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.jsonl");
    let good = std::fs::read_to_string(RECORDS).unwrap();
    let first = good.lines().next().unwrap();
    std::fs::write(&p, format!("{first}\n{{\"id\": \"x\", \"formula\": 5}}\n")).unwrap();
    let (code, _, err) = halo(&["rank", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.jsonl, line 2"), "{err}");
    let (code, _, err) = halo(&["rank", RECORDS, "--max-cost", "-3"]);
    assert_eq!(code, 2);
    assert!(err.contains("--max-cost-usd-per-kg: -3 is not"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Nothing to rank (an empty records file) is the README's exit 4 with the reason, not a
/// silent empty table with exit 0.
#[test]
fn nothing_to_rank_is_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let (code, _, err) = halo(&["rank", empty.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("nothing to rank"), "{err}");
}
