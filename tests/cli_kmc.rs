//! End-to-end tests of `halo kmc`.
mod common;
use common::{fails_with, halo, json_ok, short_statistics, structure};
use std::process::Command;

const SPINEL: &str = "structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif";
const MONOCLINIC: &str = "structures/Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron.cif";

/// The occupancy of `label` at the first temperature of a `halo kmc --json` output.
fn occupancy(v: &serde_json::Value, label: &str) -> f64 {
    v["temperatures"][0]["occupancies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["label"] == label)
        .and_then(|o| o["occupancy"].as_f64())
        .unwrap()
}

/// Short statistics on a coarse grid and a small supercell.
fn quick(cmd: &mut Command) -> &mut Command {
    short_statistics(cmd).args(["--resolution", "0.3", "--min-ions", "32"])
}

#[test]
fn kmc_json_on_the_spinel_has_the_documented_keys() {
    let dir = std::env::temp_dir().join(format!("halo_kmc_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("arrhenius.svg");
    let v = json_ok(quick(
        halo()
            .args([
                "kmc",
                SPINEL,
                "--temperatures",
                "400,500",
                "--seed",
                "7",
                "--json",
                "--plot",
            ])
            .arg(&svg),
    ));
    // mobile Li from the composition: 0.28·8 + 0.19·16 + 0.008·48 = 5.664 per cell
    let mobile = v["mobile_ions"]["mobile_per_cell"].as_f64().unwrap();
    assert!((mobile - 5.664).abs() < 0.01, "mobile Li per cell {mobile}");
    // its Li sites (8a 0.28, 16c 0.19, 48f 0.008; 16d is shared with Sc/In) are far from full:
    // no warning
    let sub = &v["li_sublattice"];
    assert_eq!(sub["sites_per_cell"], 72, "{sub}");
    assert_eq!(sub["full"], false, "{sub}");
    assert!((sub["ions_per_cell"].as_f64().unwrap() - 5.664).abs() < 0.01);
    assert_eq!(v["warnings"], serde_json::json!([]));
    let temps = v["temperatures"].as_array().unwrap();
    assert_eq!(temps.len(), 2);
    for t in temps {
        for key in [
            "temperature_k",
            "d_tracer_cm2_per_s",
            "d_sigma_cm2_per_s",
            "haven_ratio",
            "sigma_s_per_cm",
            "sigma_se_s_per_cm",
        ] {
            assert!(t[key].is_number(), "missing {key}");
        }
        assert!(t["sigma_s_per_cm"].as_f64().unwrap() > 0.0);
    }
    for key in [
        "ea_ev",
        "ea_se_ev",
        "sigma_300k_s_per_cm",
        "sigma_300k_se_s_per_cm",
    ] {
        assert!(v["arrhenius"][key].is_number(), "missing arrhenius.{key}");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("Ea ="));
    // same seed → identical output
    let w = json_ok(quick(halo().args([
        "kmc",
        SPINEL,
        "--temperatures",
        "400,500",
        "--seed",
        "7",
        "--json",
    ])));
    assert_eq!(v["temperatures"], w["temperatures"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn kmc_bad_input_is_a_clear_error() {
    for (args, needle) in [
        (vec!["kmc", "no/such/file.cif"], "no/such/file.cif"),
        (vec!["kmc", SPINEL, "--temperatures", "300,abc"], "abc"),
        (
            vec!["kmc", SPINEL, "--temperatures", "300,-5"],
            "--temperatures-k: ",
        ),
        (vec!["kmc", SPINEL, "--supercell", "2,2"], "--supercell"),
        (vec!["kmc", SPINEL, "--replicas", "0"], "replicas"),
        (vec!["kmc", SPINEL, "--model", "fancy"], "--model 'fancy'"),
        (
            vec!["kmc", SPINEL, "--dielectric-constant", "10"],
            "explicit model only",
        ),
        (
            vec![
                "kmc",
                SPINEL,
                "--model",
                "explicit",
                "--pair-potential",
                "yukawa",
                "--dielectric-constant",
                "0.5",
            ],
            "--dielectric-constant: 0.5 must be at least 1",
        ),
        (
            vec![
                "kmc",
                SPINEL,
                "--model",
                "explicit",
                "--dielectric-constant",
                "30",
            ],
            "--dielectric-constant: applies to the Yukawa pair potential only",
        ),
        (
            vec!["kmc", SPINEL, "--pair-potential", "bvse"],
            "--pair-potential: applies to the explicit model only",
        ),
        (
            vec![
                "kmc",
                SPINEL,
                "--model",
                "explicit",
                "--pair-potential",
                "coulomb",
            ],
            "--pair-potential: 'coulomb': expected `bvse` or `yukawa`",
        ),
        (
            vec![
                "kmc",
                SPINEL,
                "--model",
                "explicit",
                "--min-realisations",
                "9",
            ],
            "--min-realisations: 9 must be between 1 and the most realisations (4)",
        ),
    ] {
        fails_with(halo().args(&args), needle);
    }
}

/// A structure whose charges do not add up to zero still runs (X-ray refinements often
/// under-count Li), but never silently: `halo kmc` warns on stderr, its JSON carries the charge
/// balance and the warning, and `halo bvse` warns too.
#[test]
fn a_structure_that_is_not_charge_neutral_is_warned_about() {
    // the file plus a zero-occupancy row, a reader's finding the commands must pass on
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not_neutral.cif");
    let text =
        std::fs::read_to_string(common::root().join("tests/data/bad/not_neutral.cif")).unwrap();
    std::fs::write(&file, format!("{}Na1 Na1+ 0.25 0.25 0.25 0\n", text)).unwrap();
    let v = json_ok(quick(halo().arg("kmc").arg(&file).args([
        "--temperatures",
        "400,500",
        "--json",
    ])));
    assert_eq!(v["charge"]["neutral"], false, "{}", v["charge"]);
    let per_fu = v["charge"]["net_charge_per_formula_unit_e"]
        .as_f64()
        .unwrap();
    assert!(
        (per_fu + 0.5).abs() < 1e-9,
        "net charge per formula unit {per_fu}"
    );
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("structure is not charge neutral: net charge -0.5000 e")),
        "{warnings:?}"
    );
    let out = quick(
        halo()
            .arg("kmc")
            .arg(&file)
            .args(["--temperatures", "400,500"]),
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not_neutral.cif: structure is not charge neutral"),
        "{err}"
    );
    assert_eq!(
        err.matches("structure is not charge neutral").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("site Na1 has occupancy 0 and is skipped"),
        "{err}"
    );
    // a reader warning that names the file already is not prefixed with it again
    let p = file.display().to_string();
    assert!(!err.contains(&format!("{p}: {p}")), "{err}");
    let out = halo()
        .arg("bvse")
        .arg(&file)
        .args(["--resolution", "0.3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // once (the reader's own charge warning is not repeated beside the landscape's), and the
    // reader's other finding
    assert_eq!(
        err.matches("structure is not charge neutral").count(),
        1,
        "{err}"
    );
    assert!(err.contains("has occupancy 0 and is skipped"), "{err}");
    let b = json_ok(
        halo()
            .arg("bvse")
            .arg(&file)
            .args(["--resolution", "0.3", "--json"]),
    );
    assert_eq!(b["warnings"], v["warnings"], "bvse and kmc give one text");
    // a neutral refinement has a neutral balance and no such warning
    let v = json_ok(quick(halo().args([
        "kmc",
        SPINEL,
        "--temperatures",
        "400,500",
        "--json",
    ])));
    assert_eq!(v["charge"]["neutral"], true, "{}", v["charge"]);
}

/// One stage chain, one set of defaults: `halo kmc FILE` and the campaign's per-candidate
/// evaluation of the same structure (`halo eval FILE`, the pipeline's `evaluate_structure` with
/// the default workflow settings) give the same σ(300 K) and Ea bit for bit at the same seed.
#[test]
fn kmc_and_the_campaign_evaluation_agree_bit_for_bit() {
    let f = structure("LiAlCl4_P21c_COD1004036.cif");
    let e = json_ok(halo().arg("eval").arg(&f).arg("--json"));
    let seed = e["seed"].as_u64().expect("eval reports its kMC seed");
    let k = json_ok(
        halo()
            .arg("kmc")
            .arg(&f)
            .args(["--json", "--seed", &seed.to_string()]),
    );
    let r = &e["metrics"]["ranking"];
    for (a, b) in [
        (
            &r["sigma_300k_s_per_cm"],
            &k["arrhenius"]["sigma_300k_s_per_cm"],
        ),
        (
            &r["sigma_300k_se_s_per_cm"],
            &k["arrhenius"]["sigma_300k_se_s_per_cm"],
        ),
        (&r["ea_ev"], &k["arrhenius"]["ea_ev"]),
    ] {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert_eq!(a.to_bits(), b.to_bits(), "eval {a:e} vs kmc {b:e}");
    }
    // the same stopping rule ran (LiAlCl4 needs more than the 4 starting replicas at 300 K)
    let stop = &k["stopping"];
    assert_eq!(&e["details"]["kmc"]["stopping"], stop);
    assert!(stop["rounds"].as_u64().unwrap() > 1, "{stop}");
    let text = halo().arg("eval").arg(&f).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("stopping rule: replicas per temperature"),
        "{text}"
    );
    // every Li site of LiAlCl4 is full: the sublattice is recorded, the kMC put a share of the
    // Li on minima that are no Li site of the file, and both commands say the model does not
    // price that
    let sub = &k["li_sublattice"];
    assert_eq!(sub["full"], true, "{sub}");
    assert_eq!(sub["sites_per_cell"], 4, "{sub}");
    let share = sub["interstitial_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 0.5, "{sub}");
    assert_eq!(&e["details"]["li_sublattice"], sub);
    let warning = k["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("every Li site of the input is full"),
        "{warning}"
    );
    let notes = e["metrics"]["ranking"]["verdicts"]["notes"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n.as_str() == Some(warning)),
        "{notes:?}"
    );
    let out = halo().arg("kmc").arg(&f).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: ") && stderr.contains("§9.12"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Li sites: 4 sites per cell holding only Li, 4.000 Li on them (mean occupancy 1.000: full)"),
        "{stdout}"
    );
}

#[test]
fn kmc_explicit_realisation_is_widened_to_the_kmc_cell_when_the_network_has_long_hops() {
    // the monoclinic neutron refinement with the Yukawa pair (6 Å cutoff): the 17 Å rule gives
    // 3×2×4 cells, but its network has a hop longer than the 5 Å the rule assumes, so the kMC
    // would have repeated that realisation 2×1×1; the realisation is redrawn as wide as the kMC
    // needs (4×2×4) and run once (the default grid and min_ions: the coarse `quick` grid has no
    // such hop; the BVSE pair's 4.74 Å cutoff leaves 3×2×4 wide enough)
    let v = json_ok(short_statistics(halo().args([
        "kmc",
        MONOCLINIC,
        "--json",
        "--model",
        "explicit",
        "--pair-potential",
        "yukawa",
        "--temperatures-k",
        "400,500",
        "--max-realisations",
        "2",
        "--metropolis-sweeps-per-ion",
        "5",
    ])));
    assert_eq!(
        v["kmc"]["supercell"],
        serde_json::json!([1, 1, 1]),
        "{}",
        v["kmc"]
    );
    for r in v["ensemble"]["realisations"].as_array().unwrap() {
        assert_eq!(r["scale"], serde_json::json!([4, 2, 4]), "{r}");
    }
}

/// The explicit model (docs/physics.md §9.8): an ensemble over seeded realisations of the 16d
/// disorder, every Li placed, the BVSE pair and the calibrated ν0 named, reproducible for a seed.
#[test]
fn kmc_explicit_model_reports_its_ensemble_and_is_reproducible() {
    let run = || {
        json_ok(quick(halo().args([
            "kmc",
            SPINEL,
            "--json",
            "--model",
            "explicit",
            "--temperatures-k",
            "400,500",
            "--seed",
            "3",
            "--max-realisations",
            "2",
            "--metropolis-sweeps-per-ion",
            "5",
        ])))
    };
    let v = run();
    assert_eq!(v["model"], "explicit");
    // the ensemble's Haven ratio is that of its own D* and D_σ (a mean of per-realisation
    // ratios contradicted them: 2.49 against D*/D_σ = 1.42)
    for t in v["temperatures"].as_array().unwrap() {
        let (dt, ds) = (
            t["d_tracer_cm2_per_s"].as_f64().unwrap(),
            t["d_sigma_cm2_per_s"].as_f64().unwrap(),
        );
        if ds > 0.0 && dt > 0.0 {
            let h = t["haven_ratio"].as_f64().unwrap();
            assert!((h - dt / ds).abs() <= 1e-12 * h, "{t}");
        }
    }
    let e = &v["ensemble"];
    assert_eq!(e["disordered"], true);
    let reals = e["realisations"].as_array().unwrap();
    assert!((2..=2).contains(&reals.len()), "{e}");
    // each realisation is neutral: its Li count differs from the refined 16.46 per cell by at
    // most the rounding of Sc and In on the 16 16d sites of a cell (|q| = 3 each)
    for r in reals {
        let cells: u64 = r["scale"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .product();
        let per_cell = r["mobile_count"].as_f64().unwrap() / cells as f64;
        assert!((per_cell - 16.464).abs() <= 6.1, "{r}");
        let refined = r["mobile_count_composition"].as_f64().unwrap();
        assert!((refined - 16.464 * cells as f64).abs() < 1e-6, "{r}");
    }
    // a realisation is the whole kMC cell (2×2×2 spinel cells, ≥ 128 Li): the kMC runs on it
    // once, not on periodic copies
    for r in reals {
        assert_eq!(r["scale"], serde_json::json!([2, 2, 2]), "{r}");
    }
    assert_eq!(v["kmc"]["supercell"], serde_json::json!([1, 1, 1]));
    // every Li is mobile in this model
    assert_eq!(v["mobile_ions"]["framework_per_cell"].as_f64(), Some(0.0));
    // the default Li–Li repulsion is BVSE's like-charge term for Li+ (K/2, 0.74·2·1.28 Å), with
    // no fitted dielectric constant
    let pair = &v["calibration"]["pair_potential"];
    assert_eq!(pair["pair_potential"], "bvse", "{pair}");
    let a = pair["prefactor_ev_ang"].as_f64().unwrap();
    assert!((a - 14.4 / 2.0).abs() < 1e-9, "{a}");
    let lambda = pair["screening_length_ang"].as_f64().unwrap();
    assert!((lambda - 0.74 * 2.0 * 1.28).abs() < 1e-12, "{lambda}");
    assert!(v["calibration"].get("dielectric_constant").is_none());
    assert_eq!(v["calibration"]["model"], "explicit");
    let s = v["temperatures"][0]["sigma_s_per_cm"].as_f64().unwrap();
    assert!(s.is_finite() && s > 0.0, "{s}");
    // the same seed gives the same numbers
    let w = run();
    assert_eq!(v["temperatures"], w["temperatures"]);
}

/// LiI (rock salt, full Li sublattice) at seed 0 with the averaged model's defaults: at 300 K
/// the ions only rattle and the run sees no net charge displacement (D_σ ≈ 1e-45 cm²/s against
/// D* ≈ 1e-14), a σ below the run's resolution. It is reported as such and left out of the
/// Arrhenius fit, which then agrees with seeds 1 and 2 (before the rule: Ea 1.94 ± 1.51 eV and
/// σ(300 K) 7e-14 S/cm at seed 0 against 0.74 eV and 1.4–1.7e-7 at seeds 1 and 2). The run is
/// the fixed one of 4 replicas (`--max-replicas 4`); with the default stopping rule the 300 K
/// point gets the replicas it needs to become a measurement (below).
#[test]
fn kmc_leaves_a_sigma_below_its_resolution_out_of_the_fit() {
    let lii = "tests/validation/structures/LiI_Fm-3m_mp-22899.cif";
    let v = json_ok(halo().args(["kmc", lii, "--seed", "0", "--max-replicas", "4", "--json"]));
    assert_eq!(
        v["stopping"]["replicas_per_temperature"],
        serde_json::json!([4, 4, 4, 4, 4])
    );
    let temps = v["temperatures"].as_array().unwrap();
    let t300 = &temps[0];
    assert_eq!(t300["temperature_k"], 300.0);
    let (s, res) = (
        t300["sigma_s_per_cm"].as_f64().unwrap(),
        t300["sigma_resolution_s_per_cm"].as_f64().unwrap(),
    );
    assert!(s < res, "σ300 {s:e} resolution {res:e}");
    // the JSON says so itself, for readers of its Haven ratio and D*
    assert_eq!(t300["resolved"], false);
    for t in &temps[1..] {
        assert!(
            t["sigma_s_per_cm"].as_f64().unwrap()
                >= t["sigma_resolution_s_per_cm"].as_f64().unwrap()
        );
        assert_eq!(t["resolved"], true);
    }
    let fit = &v["arrhenius"];
    assert_eq!(fit["points"], 4);
    let ea = fit["ea_ev"].as_f64().unwrap();
    assert!((ea - 0.745).abs() < 0.1, "Ea {ea}");
    let s300 = fit["sigma_300k_s_per_cm"].as_f64().unwrap();
    assert!((1e-7..3e-7).contains(&s300), "σ(300 K) {s300:e}");
    let out = halo()
        .args(["kmc", lii, "--seed", "0", "--max-replicas", "4"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("σ below the run's resolution"), "{text}");
}

/// Temperatures too cold for the arithmetic do not cost the run its warm ones: LiAlCl4 (2.44 eV
/// hops) at 5 K underflows and at 20 K its clock cannot resolve the waiting times; both are
/// listed in `too_cold` with their reasons and printed as not simulated, and 300 and 400 K run
/// and are fitted. With only the cold ones the run stops with the first one's error.
#[test]
fn temperatures_too_cold_to_simulate_are_listed_and_the_rest_run() {
    let f = "structures/LiAlCl4_P21c_COD1004036.cif";
    let v = json_ok(quick(halo().args([
        "kmc",
        f,
        "--temperatures",
        "5,20,300,400",
        "--json",
    ])));
    let cold = v["too_cold"].as_array().unwrap();
    assert_eq!(cold.len(), 2);
    assert_eq!(cold[0]["temperature_k"], 5.0);
    assert!(cold[0]["reason"].as_str().unwrap().contains("underflow"));
    assert_eq!(cold[1]["temperature_k"], 20.0);
    assert!(cold[1]["reason"]
        .as_str()
        .unwrap()
        .contains("0 s on the clock"));
    let temps: Vec<f64> = v["temperatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["temperature_k"].as_f64().unwrap())
        .collect();
    assert_eq!(temps, vec![300.0, 400.0]);
    assert_eq!(v["arrhenius"]["points"], 2);
    let out = quick(halo().args(["kmc", f, "--temperatures", "5,300,400"]))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("5.0 not simulated"), "{text}");
    fails_with(
        quick(halo().args(["kmc", f, "--temperatures", "5,20"])),
        "hop rates underflow",
    );
    // a campaign evaluation records the cold temperature among the candidate's notes
    let d = tempfile::tempdir().unwrap();
    let wf = d.path().join("cold.toml");
    let mini = std::fs::read_to_string(common::root().join("tests/data/workflows/mini.toml"))
        .unwrap()
        .replace(
            "../../../structures",
            common::root().join("structures").to_str().unwrap(),
        )
        .replace(
            "temperatures_k = [300, 500]",
            "temperatures_k = [5, 300, 500]",
        );
    std::fs::write(&wf, mini).unwrap();
    let e = json_ok(
        halo()
            .arg("eval")
            .arg(f)
            .arg("--workflow")
            .arg(&wf)
            .arg("--json"),
    );
    let notes = e["metrics"]["ranking"]["verdicts"]["notes"].to_string();
    assert!(
        notes.contains("kMC at 5 K not simulated, left out of the Arrhenius fit"),
        "{notes}"
    );
}

/// The same LiI run with the default stopping rule: the temperatures whose σ is not measured to
/// 20 % get more replicas (up to 16), which resolves the 300 K point; the fit then uses all five
/// temperatures and σ(300 K) reaches the target. Each temperature's numbers are those of a
/// fixed run with its final replica count (`crates/kmc/tests/replica_rule.rs`).
#[test]
fn the_stopping_rule_gives_a_rattling_temperature_the_replicas_it_needs() {
    let lii = "tests/validation/structures/LiI_Fm-3m_mp-22899.cif";
    let v = json_ok(halo().args(["kmc", lii, "--seed", "0", "--json"]));
    let stop = &v["stopping"];
    assert_eq!(stop["target"]["rel_se"], 0.2);
    assert_eq!(stop["target"]["max_replicas"], 16);
    let n: Vec<u64> = stop["replicas_per_temperature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(n[0], 16, "{n:?}");
    assert!(n.iter().all(|&k| [4, 8, 16].contains(&k)), "{n:?}");
    assert_eq!(stop["target_missed"], false);
    let t300 = &v["temperatures"][0];
    assert_eq!(t300["blocks"], 16 * 16);
    let (s, res) = (
        t300["sigma_s_per_cm"].as_f64().unwrap(),
        t300["sigma_resolution_s_per_cm"].as_f64().unwrap(),
    );
    assert!(s > res, "σ300 {s:e} resolution {res:e}");
    let fit = &v["arrhenius"];
    assert_eq!(fit["points"], 5);
    let rel = fit["sigma_300k_se_s_per_cm"].as_f64().unwrap()
        / fit["sigma_300k_s_per_cm"].as_f64().unwrap();
    assert!(
        rel <= 0.2 && stop["rel_se_reached"].as_f64() == Some(rel),
        "{rel}"
    );
    let ea = fit["ea_ev"].as_f64().unwrap();
    assert!((0.7..0.85).contains(&ea), "Ea {ea}");
    // a cap below the starting replicas, and the cap with the explicit model, are refused
    for (args, msg) in [
        (
            vec!["--max-replicas", "2"],
            "--max-replicas: 2 is not in 4..=",
        ),
        (
            vec!["--model", "explicit", "--max-replicas", "8"],
            "--max-replicas: applies to the averaged model only",
        ),
        (
            vec!["--target-rel-se", "0"],
            "--target-rel-se: 0 is not positive",
        ),
    ] {
        let out = halo().args(["kmc", lii]).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

/// E_3D and σ(300 K) of a short `halo kmc` run of `file` with `extra` flags, and its JSON.
fn relaxed_run(file: &std::path::Path, extra: &[&str]) -> (f64, f64, serde_json::Value) {
    let mut cmd = halo();
    cmd.arg("kmc").arg(file).args([
        "--temperatures-k",
        "300,400,500",
        "--max-replicas",
        "4",
        "--json",
    ]);
    cmd.args(extra);
    let v = json_ok(&mut cmd);
    (
        v["network"]["e_3d_ev"].as_f64().unwrap(),
        v["arrhenius"]["sigma_300k_s_per_cm"].as_f64().unwrap(),
        v,
    )
}

/// An OBELiX-style noisy copy (σ = 0.01 fractional) of `file` written to `dir`.
fn noisy_copy(file: &std::path::Path, dir: &std::path::Path, seed: u64) -> std::path::PathBuf {
    let noisy = dir.join(format!("noisy{seed}.cif"));
    let out = halo()
        .arg("perturb")
        .arg(file)
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(&noisy)
        .output()
        .unwrap();
    assert!(out.status.success());
    noisy
}

/// `--relax-anions` moves the anions to the bond-valence (GII) minimum before the landscape:
/// OBELiX-style noisy copies of a chlorospinel (which move its BVSE barrier by ±0.2 eV) relax to
/// the same landscape, so their σ(300 K) agree within a few tenths of a decade; without it the
/// same copies scatter by decades. The explicit model refuses it.
#[test]
fn relaxed_anions_make_a_spinel_insensitive_to_coordinate_noise() {
    let d = tempfile::tempdir().unwrap();
    let f = structure("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
    let (e_ref, s_ref, v) = relaxed_run(&f, &["--relax-anions"]);
    assert_eq!(v["calibration"]["relax_anions"], true);
    assert!(v["calibration"].get("relax_energy").is_none());
    let mut spread_raw: f64 = 0.0;
    let (e_raw, _, _) = relaxed_run(&f, &[]);
    for seed in [2u64, 4] {
        let noisy = noisy_copy(&f, d.path(), seed);
        let (e, s, _) = relaxed_run(&noisy, &["--relax-anions"]);
        assert!((e - e_ref).abs() < 0.01, "seed {seed}: E_3D {e} vs {e_ref}");
        assert!(
            (s / s_ref).log10().abs() < 0.3,
            "seed {seed}: σ {s:e} vs {s_ref:e}"
        );
        spread_raw = spread_raw.max((relaxed_run(&noisy, &[]).0 - e_raw).abs());
    }
    // the same copies, unrelaxed: the barrier moves by more than 0.1 eV
    assert!(spread_raw > 0.1, "unrelaxed E_3D spread {spread_raw}");
    fails_with(
        halo()
            .arg("kmc")
            .arg(&f)
            .args(["--model", "explicit", "--relax-anions"]),
        "--relax-anions: applies to the averaged model only",
    );
}

/// `--relax-energy force_field` relaxes the anions in a bond-valence force field, whose
/// anion–anion repulsion gives each anion a place: the monoclinic Li3In2/3Sc1/3Cl6 refinement,
/// whose anions the valence sums alone would slide by 0.83 Å (refused), relaxes by 0.06 Å, and
/// its noisy copies (unrelaxed E_3D 0.39–0.55 eV) relax to one landscape.
#[test]
fn the_force_field_relaxes_a_monoclinic_chloride_that_the_valence_sums_cannot() {
    let d = tempfile::tempdir().unwrap();
    let f = structure("Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron.cif");
    fails_with(
        halo().arg("kmc").arg(&f).arg("--relax-anions"),
        "far from a minimum of the bond-valence sums (GII)",
    );
    let ff = ["--relax-anions", "--relax-energy", "force_field"];
    let (e_ref, s_ref, v) = relaxed_run(&f, &ff);
    assert_eq!(v["calibration"]["relax_anions"], true);
    assert_eq!(v["calibration"]["relax_energy"], "force_field");
    let moved = v["anion_relaxation"]["max_displacement_ang"]
        .as_f64()
        .unwrap();
    assert_eq!(v["anion_relaxation"]["energy"], "force_field");
    assert!(
        moved > 0.01 && moved < 0.1,
        "largest displacement {moved} Å"
    );
    // these short runs (3 temperatures, 4 replicas) give σ(300 K) to ±25 %, and a copy's
    // relaxed network still differs a little (E_3D within 0.011 eV; Ea 0.37–0.42 eV): relaxed
    // copies agree within 0.7 decades, unrelaxed ones (E_3D 0.39–0.55 eV) differ by 2–4
    let (e_raw, s_raw, _) = relaxed_run(&f, &[]);
    let (mut spread_raw, mut sigma_spread_raw): (f64, f64) = (0.0, 0.0);
    for seed in [2u64, 4] {
        let noisy = noisy_copy(&f, d.path(), seed);
        let (e, s, _) = relaxed_run(&noisy, &ff);
        assert!((e - e_ref).abs() < 0.03, "seed {seed}: E_3D {e} vs {e_ref}");
        assert!(
            (s / s_ref).log10().abs() < 0.7,
            "seed {seed}: σ {s:e} vs {s_ref:e}"
        );
        let (e_noisy, s_noisy, _) = relaxed_run(&noisy, &[]);
        spread_raw = spread_raw.max((e_noisy - e_raw).abs());
        sigma_spread_raw = sigma_spread_raw.max((s_noisy / s_raw).log10().abs());
    }
    assert!(spread_raw > 0.05, "unrelaxed E_3D spread {spread_raw}");
    assert!(
        sigma_spread_raw > 1.5,
        "unrelaxed σ spread {sigma_spread_raw} decades"
    );
    fails_with(
        halo()
            .arg("kmc")
            .arg(&f)
            .args(["--relax-energy", "force_field"]),
        "--relax-energy: applies only when the anions are relaxed",
    );
    fails_with(
        halo()
            .arg("kmc")
            .arg(&f)
            .args(["--relax-anions", "--relax-energy", "gii"]),
        "--relax-energy: 'gii': expected `valence_sums` or `force_field`",
    );
}

/// `--site-energies`: the seed spinel with CHGNet's E(8a) − E(16c) (the committed case-D file)
/// fills 8a and empties 16c, where the BVSE landscape leaves 8a empty (docs/physics.md §9.14);
/// the JSON records what each row did; the explicit model takes the file too; a file that does
/// not fit is refused with its line.
#[test]
fn site_energies_from_another_model_reorder_the_spinel_sites() {
    let cif = "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif";
    let file = "scripts/reference/mlip/results/Li2Sc2-3Cl4_chgnet_site_energies.csv";
    let run = |extra: &[&str]| {
        json_ok(
            quick(halo().args(["kmc", cif, "--json", "--temperatures-k", "300,400"])).args(extra),
        )
    };
    let bvse = run(&[]);
    let chgnet = run(&["--site-energies", file]);
    assert!(bvse.get("site_energies").is_none());
    let rows = chgnet["site_energies"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["site"].as_str(), rows[0]["minima"].as_u64()),
        (Some("Li1"), Some(16))
    );
    assert_eq!(
        (rows[1]["site"].as_str(), rows[1]["minima"].as_u64()),
        (Some("Li2"), Some(8))
    );
    let gap = rows[1]["energy_ev"].as_f64().unwrap() - rows[0]["energy_ev"].as_f64().unwrap();
    assert!(
        (gap - rows[1]["value_ev"].as_f64().unwrap()).abs() < 1e-12,
        "{gap}"
    );
    // 8a (Li2) below 16c (Li1) by 0.05 eV: 8a fills at 300 K (refined 0.14, 16c 0.22)
    let (a0, c0) = (occupancy(&bvse, "Li2"), occupancy(&bvse, "Li1"));
    let (a1, c1) = (occupancy(&chgnet, "Li2"), occupancy(&chgnet, "Li1"));
    assert!(a0 < 0.05 && c0 > 0.3, "BVSE: 8a {a0}, 16c {c0}");
    assert!(a1 > 0.4 && c1 < 0.15, "CHGNet: 8a {a1}, 16c {c1}");
    // and CHGNet's NEB barrier on the 8a–16c hops (0.145 eV against BVSE's 0.227)
    let hops = "scripts/reference/mlip/results/Li2Sc2-3Cl4_chgnet_hop_barriers.csv";
    let both = run(&["--site-energies", file, "--hop-barriers", hops]);
    let h = &both["hop_barriers"]["rows"][0];
    assert_eq!(
        (h["from"].as_str(), h["to"].as_str()),
        (Some("Li2"), Some("Li1"))
    );
    assert!(h["hops"].as_u64().unwrap() > 0, "{h}");
    let (k0, k1) = (
        h["landscape_e_kra_ev"].as_f64().unwrap(),
        h["e_kra_ev"].as_f64().unwrap(),
    );
    assert!(k0 > 0.2 && (k1 - 0.1447).abs() < 1e-3, "{h}");
    // the explicit model puts the file on its realisation
    let explicit = run(&[
        "--site-energies",
        file,
        "--model",
        "explicit",
        "--min-realisations",
        "1",
        "--max-realisations",
        "1",
        "--metropolis-sweeps-per-ion",
        "5",
    ]);
    let rows = explicit["site_energies"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r["minima"].as_u64().unwrap() > 0),
        "{rows:?}"
    );
    // a row that addresses no minimum, with its line
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "site,energy_ev\nLi1,0\nLi9,0.1\n").unwrap();
    fails_with(
        halo().args(["kmc", cif]).arg("--site-energies").arg(&bad),
        "bad.csv, line 3: no landscape minimum of the kMC network carries the label 'Li9'",
    );
    std::fs::write(&bad, "site,energy\nLi1,0\n").unwrap();
    fails_with(
        halo().args(["kmc", cif]).arg("--site-energies").arg(&bad),
        "bad.csv, line 1: header",
    );
    std::fs::write(&bad, "from,to,e_kra_ev\nLi2,Li1,-0.2\n").unwrap();
    fails_with(
        halo().args(["kmc", cif]).arg("--hop-barriers").arg(&bad),
        "bad.csv, line 2, field e_kra_ev",
    );
}

/// `halo sites` writes the network's sites as a site-energy file to fill in (one row per label,
/// one per orbit of unlabelled minima); `halo kmc --site-energies` reads it back and addresses
/// every minimum; a structure that cannot be read is a clear error.
#[test]
fn halo_sites_writes_a_file_that_halo_kmc_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sites.csv");
    let cif = "structures/LiAlCl4_P21c_COD1004036.cif";
    // the same landscape settings as the kMC run below (`quick`: a 0.3 Å grid)
    common::run_ok(
        halo()
            .args(["sites", cif, "--resolution-ang", "0.3", "--out"])
            .arg(&out),
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .collect();
    assert!(rows.len() >= 9, "{text}");
    assert_eq!(rows[0], "Li0,0.000000");
    let v = json_ok(
        quick(halo().args(["kmc", cif, "--json", "--temperatures-k", "400,500"]))
            .arg("--site-energies")
            .arg(&out),
    );
    assert_eq!(
        v["site_energies"]["unaddressed_minima"], 0,
        "{}",
        v["site_energies"]
    );
    assert_eq!(
        v["site_energies"]["rows"].as_array().unwrap().len(),
        rows.len()
    );
    fails_with(halo().args(["sites", "no/such.cif"]), "no/such.cif");
}

/// A full Li sublattice whose kMC moves most of the Li off the file's sites (the hand-built
/// inverse spinel Li2MgCl4: BVSE puts the empty 16c below the full 8a) is warned as a landscape
/// that contradicts its structure; LiAlCl4 (7 % off) only gets the full-sublattice warning.
#[test]
fn a_landscape_that_empties_the_files_li_sites_is_warned_about() {
    let warnings = |f: &str| {
        let v = json_ok(quick(halo().args([
            "kmc",
            f,
            "--json",
            "--temperatures-k",
            "300,400",
        ])));
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let w = warnings("scripts/reference/mlip/Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif");
    assert!(
        w.iter()
            .any(|x| x.contains("the landscape's site energies contradict the structure")),
        "{w:?}"
    );
    let w = warnings("structures/LiAlCl4_P21c_COD1004036.cif");
    assert!(
        w.iter()
            .any(|x| x.contains("every Li site of the input is full")),
        "{w:?}"
    );
    assert!(!w.iter().any(|x| x.contains("contradict")), "{w:?}");
}

/// `--ground-occupancies` fits the partly occupied Li labels' energies to the file's occupancies
/// (docs/physics.md §9.15): on the seed spinel the averaged landscape leaves 8a (Li2) empty; the
/// fit lowers it until the Li distribute over 8a and 16c (Li1) as refined, within the tolerance,
/// and the run uses those energies. A full sublattice has nothing to fit and runs unchanged; a
/// site-energy file as well is refused.
#[test]
fn grounding_puts_the_refined_occupancies_on_the_spinel() {
    let cif = "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif";
    let run = |file: &str, extra: &[&str]| {
        json_ok(
            quick(halo().args(["kmc", file, "--json", "--temperatures-k", "300,400"])).args(extra),
        )
    };
    let bvse = run(cif, &[]);
    let grounded = run(cif, &["--ground-occupancies"]);
    let g = &grounded["grounding"];
    assert_eq!(g["converged"], true, "{g}");
    let labels = g["labels"].as_array().unwrap();
    // 16c holds most of the file's Li: the gauge; 8a is fitted; 48f (0.028) is below the fitted
    // range; the 16d Li are framework Li in the averaged model
    assert_eq!(labels[0]["label"], "Li1");
    assert_eq!(labels[0]["shift_ev"], 0.0);
    let a = labels.iter().find(|l| l["label"] == "Li2").unwrap();
    let shift = a["shift_ev"].as_f64().unwrap();
    assert!(shift < -0.05, "8a must come down: {a}");
    let ungrounded = g["ungrounded"].as_array().unwrap();
    let why = |label: &str| {
        ungrounded
            .iter()
            .find(|u| u["label"] == label)
            .and_then(|u| u["reason"].as_str())
            .unwrap()
            .to_string()
    };
    assert!(why("Li0").contains("below the fitted range"), "{g}");
    assert!(why("Li3").contains("framework cation"), "{g}");
    // the file's 8a:16c ratio of ions (1.13 : 3.49 per cell) at 300 K, where BVSE had 8a empty
    let (a0, a1, c1) = (
        occupancy(&bvse, "Li2"),
        occupancy(&grounded, "Li2"),
        occupancy(&grounded, "Li1"),
    );
    assert!(a0 < 0.02, "BVSE 8a {a0}");
    let ratio = 8.0 * a1 / (16.0 * c1);
    assert!(
        (ratio - 8.0 * 0.141 / (16.0 * 0.218)).abs() < 0.1,
        "8a {a1}, 16c {c1}"
    );
    // the run's table is the fit's shifts
    let rows = grounded["site_energies"]["rows"].as_array().unwrap();
    let row = rows.iter().find(|r| r["site"] == "Li2").unwrap();
    assert_eq!(row["value_ev"].as_f64().unwrap(), shift);
    assert!(grounded["calibration"]["grounding"].is_object());
    // the bundled refinement states no temperature: the default
    let source = &g["settings"]["temperature_source"];
    assert_eq!(source["from"], "default", "{source}");
    assert_eq!(g["settings"]["temperature_k"], 300.0);

    // the same refinement stating its measurement temperature is fitted at it, unless one is
    // given; the shift is an energy, so at a lower temperature the same occupancies ask for a
    // different one
    let dir = tempfile::tempdir().unwrap();
    let cold = dir.path().join("cold.cif");
    let text = std::fs::read_to_string(cif).unwrap();
    std::fs::write(
        &cold,
        text.replacen(
            "_cell_length_a",
            "_diffrn_ambient_temperature 200(2)\n_cell_length_a",
            1,
        ),
    )
    .unwrap();
    let cold = cold.to_str().unwrap();
    let at_file = run(cold, &["--ground-occupancies"]);
    let settings = &at_file["grounding"]["settings"];
    assert_eq!(settings["temperature_k"], 200.0);
    assert_eq!(settings["temperature_source"]["from"], "file");
    assert_eq!(
        settings["temperature_source"]["tag"],
        "_diffrn_ambient_temperature"
    );
    assert_eq!(settings["temperature_source"]["line"], 8);
    assert_eq!(at_file["calibration"]["grounding"]["settings"], *settings);
    let given = run(
        cold,
        &["--ground-occupancies", "--grounding-temperature-k", "300"],
    );
    assert_eq!(
        given["grounding"]["settings"]["temperature_source"]["from"],
        "given"
    );
    assert_eq!(
        given["grounding"]["labels"], grounded["grounding"]["labels"],
        "a given temperature over the file's: the run at 300 K"
    );
    let cold_shift = at_file["grounding"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "Li2")
        .unwrap()["shift_ev"]
        .as_f64()
        .unwrap();
    assert!(
        cold_shift < -0.05 && cold_shift != shift,
        "{cold_shift} vs {shift}"
    );
    // and the fit at 200 K reached the targets there (each label's occupancy is the last
    // evaluation's, at the grounding temperature)
    assert_eq!(at_file["grounding"]["converged"], true);
    for l in at_file["grounding"]["labels"].as_array().unwrap() {
        let (o, t) = (
            l["occupancy"].as_f64().unwrap(),
            l["target_occupancy"].as_f64().unwrap(),
        );
        assert!((o - t).abs() <= 0.02, "{l}");
    }

    // every Li site of LiAlCl4 is full: nothing to fit, the run is the ungrounded one
    let full = "structures/LiAlCl4_P21c_COD1004036.cif";
    let (plain, same) = (run(full, &[]), run(full, &["--ground-occupancies"]));
    assert_eq!(same["grounding"]["labels"].as_array().unwrap().len(), 0);
    assert!(same.get("site_energies").is_none());
    assert_eq!(
        plain["arrhenius"]["sigma_300k_s_per_cm"],
        same["arrhenius"]["sigma_300k_s_per_cm"]
    );

    let file = "scripts/reference/mlip/results/Li2Sc2-3Cl4_chgnet_site_energies.csv";
    fails_with(
        halo().args(["kmc", cif, "--ground-occupancies", "--site-energies", file]),
        "give one",
    );
    fails_with(
        halo().args(["kmc", cif, "--grounding-temperature-k", "300"]),
        "--ground-occupancies",
    );
}

/// The explicit model grounds the spinel too, all its counts: every Li of the composition is
/// mobile and the 16d Li (shared with Sc) are a label of their own, full in the refinement, so
/// the fit keeps them on 16d, and 8a comes down against 16c by about as much as CHGNet's 8a–16c
/// energy asks of the landscape (§9.13: BVSE puts 8a 0.13–0.17 eV above 16c, CHGNet 0.05 below;
/// docs/physics.md §9.15).
#[test]
fn the_explicit_model_grounds_the_spinels_8a_where_chgnet_puts_it() {
    let cif = "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif";
    let v = json_ok(halo().args([
        "kmc",
        cif,
        "--json",
        "--model",
        "explicit",
        "--ground-occupancies",
        "--temperatures-k",
        "300,400",
        "--blocks",
        "4",
        "--replicas",
        "2",
        "--hops-per-block",
        "20",
        "--equilibration-hops-per-ion",
        "20",
        "--resolution",
        "0.3",
        "--min-ions",
        "32",
        "--max-realisations",
        "2",
    ]));
    let g = &v["grounding"];
    assert_eq!(g["converged"], true, "{g}");
    let labels = g["labels"].as_array().unwrap();
    let names: Vec<&str> = labels
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Li1", "Li2", "Li3"], "{g}");
    let shift = labels[1]["shift_ev"].as_f64().unwrap();
    assert!((-0.25..=-0.10).contains(&shift), "8a shift {shift}");
    let occupied = labels[1]["occupancy"].as_f64().unwrap();
    assert!(occupied > 0.1, "8a {occupied}");
    // the 16d Li stay on 16d, as refined (ungrounded, a fifth of them leave for 16c)
    assert_eq!(labels[2]["target_occupancy"], 1.0);
    assert!(labels[2]["occupancy"].as_f64().unwrap() > 0.97, "{g}");
    assert_eq!(g["ungrounded"][0]["label"], "Li0");
}

/// A structure whose every Li shares a site with a framework cation (a Li-poor substitution of
/// the spinel, Li only on 16d) cannot be run by the averaged model, which keeps such Li in the
/// framework; the refusal says so and names the model that places every Li.
#[test]
fn no_mobile_li_names_the_explicit_model() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("li_on_16d_only.cif");
    let text = std::fs::read_to_string(common::root().join(SPINEL)).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !["  Li  Li0", "  Li  Li1", "  Li  Li2"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert_eq!(kept.len() + 3, text.lines().count());
    std::fs::write(&file, kept.join("\n") + "\n").unwrap();
    fails_with(
        quick(halo().arg("kmc").arg(&file)),
        "no mobile Li: all 10.800 Li per cell share sites with framework cations",
    );
    fails_with(
        quick(halo().arg("kmc").arg(&file)),
        "the explicit model places every Li (`--model explicit`",
    );
}

/// A structure with no Li is named as such by kmc and eval (it was "all 0.000 Li per cell share
/// sites with framework cations … the explicit model places every Li").
#[test]
fn a_structure_without_li_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("NaCl.cif");
    std::fs::write(
        &p,
        "data_NaCl\n_cell_length_a 5.64\n_cell_length_b 5.64\n_cell_length_c 5.64\n\
         _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
         _symmetry_space_group_name_H-M 'F m -3 m'\nloop_\n_atom_site_label\n\
         _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nNa1 0 0 0\nCl1 0.5 0.5 0.5\n",
    )
    .unwrap();
    let f = p.to_str().unwrap();
    for args in [
        vec!["kmc", f],
        vec!["kmc", f, "--model", "explicit"],
        vec!["eval", f],
    ] {
        let (code, _, err) = common::run_args(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("has no Li") && !err.contains("framework cations"),
            "{args:?}: {err}"
        );
    }
}
