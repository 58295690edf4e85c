//! `halo validate`, `halo perturb`, and the calibrated default of `halo kmc`, end to end.

mod common;
use common::{fails_with, halo, json_ok, root, run_ok, structure};
use std::path::Path;

/// A short kMC (the default five temperatures, fewer hops): enough to run every stage and give
/// every row of the small set a conductivity, not to converge.
const SHORT: &[&str] = &[
    "--replicas",
    "2",
    "--blocks",
    "8",
    "--hops-per-block",
    "25",
    "--equilibration",
    "20",
    "--threads",
    "2",
];

fn write_set(dir: &Path) -> std::path::PathBuf {
    let v = root().join("tests/validation/structures");
    let text = format!(
        "id,file,formula,sigma_rt_s_per_cm,ea_ev\n\
         superionic,{},Li2In1/3Sc1/3Cl4,2.0e-3,0.33\n\
         intermediate,{},LiAlCl4,1e-6,0.47\n\
         poor,{},Li2MgBr4,7.8e-10,0.77\n",
        structure("Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif").display(),
        structure("LiAlCl4_P21c_COD1004036.cif").display(),
        v.join("Li2MgBr4_Cmmm_mp-29009_obx-45e.cif").display()
    );
    let p = dir.join("set.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn ranks(x: &[f64]) -> Vec<f64> {
    // no ties in this test's data: the rank is 1 + the number of smaller values
    x.iter()
        .map(|a| 1.0 + x.iter().filter(|b| *b < a).count() as f64)
        .collect()
}

#[test]
fn validate_writes_outputs_whose_metrics_follow_from_the_csv() {
    let d = tempfile::tempdir().unwrap();
    let set = write_set(d.path());
    let out = d.path().join("out");
    let mut cmd = halo();
    cmd.arg("validate")
        .arg(&set)
        .arg("--out")
        .arg(&out)
        .args(SHORT);
    cmd.args(["--calibration-pairs"])
        .arg(root().join("tests/validation/calibration_structures.csv"));
    run_ok(&mut cmd);
    for f in [
        "validation.csv",
        "validation.json",
        "report.md",
        "parity.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let m = &json["metrics"];
    // read the CSV back and compute every metric independently
    let mut rdr = csv::Reader::from_path(out.join("validation.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (mut pred, mut meas, mut ea_err) = (Vec::new(), Vec::new(), Vec::new());
    let mut full_sites = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        assert_eq!(&rec[col("status")], "ok", "{rec:?}");
        full_sites.push(rec[col("li_sites_full")].to_string());
        let p: f64 = rec[col("predicted_sigma_300k_s_per_cm")].parse().unwrap();
        let s: f64 = rec[col("measured_sigma_s_per_cm")].parse().unwrap();
        let err: f64 = rec[col("log10_error")].parse().unwrap();
        assert!((err - (p / s).log10()).abs() < 1e-9);
        pred.push(p.log10());
        meas.push(s.log10());
        if let (Ok(a), Ok(b)) = (
            rec[col("predicted_ea_ev")].parse::<f64>(),
            rec[col("measured_ea_ev")].parse::<f64>(),
        ) {
            ea_err.push((a - b).abs());
        }
    }
    let n = pred.len();
    assert_eq!(n, 3);
    // the spinel lists vacant Li sites; every Li site of LiAlCl4 and of Li2MgBr4 is full: the
    // split scores the spinel alone and the other two together
    assert_eq!(full_sites, ["false", "true", "true"]);
    let split = &json["by_li_sublattice"];
    assert_eq!(split["vacant_sites"]["n_rows"], 1);
    assert!(
        (split["vacant_sites"]["log10_mae"].as_f64().unwrap() - (pred[0] - meas[0]).abs()).abs()
            < 1e-9
    );
    assert_eq!(split["full_sites"]["n_rows"], 2);
    let full_mae = ((pred[1] - meas[1]).abs() + (pred[2] - meas[2]).abs()) / 2.0;
    assert!((split["full_sites"]["log10_mae"].as_f64().unwrap() - full_mae).abs() < 1e-9);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("## By the input's Li sites")
            && report.contains("| every Li site full, ν0 as shipped |")
            && report.contains("| all full | ok"),
        "{report}"
    );
    assert_eq!(m["n_rows"], 3);
    assert_eq!(m["n_failed"], 0);
    // Spearman without ties: 1 − 6Σd²/(n(n²−1))
    let (rp, rm) = (ranks(&pred), ranks(&meas));
    let d2: f64 = rp.iter().zip(&rm).map(|(a, b)| (a - b) * (a - b)).sum();
    let rho = 1.0 - 6.0 * d2 / (n * (n * n - 1)) as f64;
    assert!((m["spearman_rho"].as_f64().unwrap() - rho).abs() < 1e-9);
    // Kendall without ties: (concordant − discordant)/(n(n−1)/2)
    let mut s = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            s += ((pred[i] - pred[j]) * (meas[i] - meas[j])).signum();
        }
    }
    let tau = s / (n * (n - 1) / 2) as f64;
    assert!((m["kendall_tau"].as_f64().unwrap() - tau).abs() < 1e-9);
    let mae = pred
        .iter()
        .zip(&meas)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / n as f64;
    let bias = pred.iter().zip(&meas).map(|(a, b)| a - b).sum::<f64>() / n as f64;
    assert!((m["log10_mae"].as_f64().unwrap() - mae).abs() < 1e-9);
    assert!((m["log10_bias"].as_f64().unwrap() - bias).abs() < 1e-9);
    let ea_mae = ea_err.iter().sum::<f64>() / ea_err.len() as f64;
    assert_eq!(m["n_ea"], 3);
    assert!((m["ea_mae_ev"].as_f64().unwrap() - ea_mae).abs() < 1e-9);
    // one superionic row (index 0) and one poor row (index 2)
    let ordered = if pred[0] > pred[2] { 1.0 } else { 0.0 };
    assert_eq!(m["n_superionic_poor_pairs"], 1);
    assert_eq!(
        m["superionic_above_poor_fraction"].as_f64().unwrap(),
        ordered
    );
    // LOCO: the spinel's own calibration pairs are left out of its refit
    let af = &json["attempt_frequency"];
    assert_eq!(af["n_pairs"], 4);
    let loco = af["loco_hz"]["Li2In1/3Sc1/3Cl4"].as_f64().unwrap();
    let all = af["refit_all_hz"].as_f64().unwrap();
    assert!(
        (loco / all - 1.0).abs() > 1e-6,
        "leaving the composition out changes ν0"
    );
    assert_eq!(af["loco_hz"]["LiAlCl4"].as_f64().unwrap(), all);
}

#[test]
fn validate_refuses_bad_rows_naming_them() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("set.csv");
    std::fs::write(
        &p,
        format!(
            "id,file,formula,sigma_rt_s_per_cm\nnasicon,{},Na3Zr2Si2PO12,1e-3\n",
            structure("LiAlCl4_P21c_COD1004036.cif").display()
        ),
    )
    .unwrap();
    fails_with(halo().arg("validate").arg(&p), "row 'nasicon'");
    std::fs::write(
        &p,
        format!(
            "id,file,formula,sigma_rt_s_per_cm\nnone,{},LiAlCl4,\n",
            structure("LiAlCl4_P21c_COD1004036.cif").display()
        ),
    )
    .unwrap();
    fails_with(halo().arg("validate").arg(&p), "no measured σ");
    fails_with(
        halo().args(["validate", "x.csv", "--noise-sigma-frac=-1"]),
        "--noise-sigma-frac",
    );
}

/// A blind table's slips that were scored silently: a column spelled like one halo reads
/// (`temperature_C`: a 90 °C row scored as room temperature) is refused with the name meant; a
/// row whose id starts with `#` is a row, not a comment (it vanished); an error names the file's
/// own line when blank lines precede it (they were not counted).
#[test]
fn validate_tables_are_read_as_written() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("set.csv");
    let f = structure("LiAlCl4_P21c_COD1004036.cif");
    let f = f.display();
    std::fs::write(
        &p,
        format!("id,file,formula,sigma_rt_s_per_cm,temperature_C\na,{f},LiAlCl4,1e-6,90\n"),
    )
    .unwrap();
    fails_with(
        halo().arg("validate").arg(&p),
        "column 'temperature_C' is not read (its values would be ignored): did you mean \
         'temperature_c'?",
    );
    std::fs::write(
        &p,
        format!("id,file,formula,sigma_rt_s_per_cm,ea_eV\na,{f},LiAlCl4,1e-6,0.47\n"),
    )
    .unwrap();
    fails_with(halo().arg("validate").arg(&p), "did you mean 'ea_ev'?");
    // columns that carry what the numbers depend on, under names halo does not read: a unit
    // (0.05 mS/cm was scored as 0.05 S/cm), a temperature, an E_a in meV; kelvin is named
    for (col, value, says) in [
        ("sigma_unit", "mS/cm", "units are not read from a column"),
        ("T_C", "90", "read from temperature_c (°C"),
        (
            "measurement_temperature_c",
            "90",
            "read from temperature_c (°C",
        ),
        ("ea_mev", "470", "read from ea_ev (eV) only"),
        (
            "sigma_ms_per_cm",
            "0.05",
            "read from sigma_rt_s_per_cm (S/cm) only",
        ),
        ("temperature_k", "298", "(it is in °C: K − 273.15)"),
    ] {
        std::fs::write(
            &p,
            format!("id,file,formula,sigma_rt_s_per_cm,{col}\na,{f},LiAlCl4,1e-6,{value}\n"),
        )
        .unwrap();
        fails_with(halo().arg("validate").arg(&p), says);
    }
    // notes about a measurement stay free-form, whatever quantity they name
    let notes = format!(
        "id,file,formula,sigma_rt_s_per_cm,conductivity_doi,ea_source,temperature_method\n\
         a,{},LiI,1e-7,10.1/x,table 2,impedance\n",
        root()
            .join("tests/validation/structures/LiI_Fm-3m_mp-22899.cif")
            .display()
    );
    std::fs::write(&p, notes).unwrap();
    let o = halo()
        .arg("validate")
        .arg(&p)
        .arg("--out")
        .arg(d.path().join("notes-out"))
        .args(SHORT)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // a '#' id is an id: here a duplicate-free row with a bad value, named by its line
    std::fs::write(
        &p,
        format!("id,file,formula,sigma_rt_s_per_cm\na,{f},LiAlCl4,1e-6\n#7,{f},LiAlCl4,-1\n"),
    )
    .unwrap();
    fails_with(halo().arg("validate").arg(&p), "line 3: row '#7'");
    // blank lines before a bad row: the file's own line number
    std::fs::write(
        &p,
        format!(
            "id,file,formula,sigma_rt_s_per_cm,temperature_c\n\n\na,{f},LiAlCl4,1e-6,\n\n\n\nb,{f},LiAlCl4,1e-6,RT\n"
        ),
    )
    .unwrap();
    fails_with(halo().arg("validate").arg(&p), "line 8: temperature_c 'RT'");
}

/// Values no measurement gives are unit slips, refused with the row: σ above 0.1 S/cm (mS/cm),
/// Ea above 3 eV (meV), a measurement temperature outside room temperature (the prediction is
/// σ(300 K)); so are a column given twice, a semicolon-separated table (with a hint) and a
/// single kMC temperature (no Arrhenius fit).
#[test]
fn validate_refuses_values_no_measurement_gives() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("set.csv");
    let f = structure("LiAlCl4_P21c_COD1004036.cif");
    let cases = [
        (
            "id,file,formula,sigma_rt_s_per_cm\nx,{f},LiAlCl4,1.5\n",
            "is it in mS/cm?",
        ),
        (
            "id,file,formula,sigma_rt_s_per_cm,ea_ev\nx,{f},LiAlCl4,1e-6,470\n",
            "in meV",
        ),
        (
            "id,file,formula,sigma_rt_s_per_cm,sigma_rt_s_per_cm\nx,{f},LiAlCl4,1e-6,1e-3\n",
            "column 'sigma_rt_s_per_cm' appears twice",
        ),
        (
            "id;file;formula;sigma_rt_s_per_cm\nx;{f};LiAlCl4;1e-6\n",
            "comma-separated",
        ),
    ];
    for (text, needle) in cases {
        std::fs::write(&p, text.replace("{f}", &f.display().to_string())).unwrap();
        fails_with(halo().arg("validate").arg(&p), needle);
    }
    std::fs::write(
        &p,
        format!(
            "id,file,formula,sigma_rt_s_per_cm,ea_ev,temperature_c\nx,{},LiAlCl4,1e-6,,25\n",
            f.display()
        ),
    )
    .unwrap();
    fails_with(
        halo()
            .arg("validate")
            .arg(&p)
            .args(["--temperatures-k", "300"]),
        "at least two temperatures",
    );
}

/// A row whose formula is not its structure file's composition (a wrong file) is a failed row
/// that says so, not a prediction scored against another material's measurement; the same
/// material written with another formula unit is noted (scored as two compositions, which
/// leave-one-composition-out does not leave out for each other).
#[test]
fn a_row_whose_formula_is_not_its_file_fails_and_formula_multiples_are_noted() {
    let d = tempfile::tempdir().unwrap();
    let lii = root().join("tests/validation/structures/LiI_Fm-3m_mp-22899.cif");
    let (o, out) = validate_one_row(d.path(), ("wrong", &lii, "Li3InCl6", 1e-3), &[]);
    let csv = output_of_a_run_with_failed_rows(&o, &out, "validation.csv");
    assert!(
        csv.contains("failed") && csv.contains("is not the composition of its structure file"),
        "{csv}"
    );
    // a measurement far from room temperature fails its row the same way
    let warm = format!(
        "id,file,formula,sigma_rt_s_per_cm,ea_ev,temperature_c\nhot,{},LiI,1e-7,,500\n",
        lii.display()
    );
    let (o, out) = validate_table(d.path(), "warm", &warm, &[]);
    let csv = output_of_a_run_with_failed_rows(&o, &out, "validation.csv");
    assert!(
        csv.contains("failed") && csv.contains("temperature_c 500"),
        "{csv}"
    );
    // room temperature written in kelvin in the °C column is named as such
    let kelvin = format!(
        "id,file,formula,sigma_rt_s_per_cm,ea_ev,temperature_c\nk,{},LiI,1e-7,,298\n",
        lii.display()
    );
    let (o, out) = validate_table(d.path(), "kelvin", &kelvin, &[]);
    let csv = output_of_a_run_with_failed_rows(&o, &out, "validation.csv");
    assert!(
        csv.contains("298 looks like a temperature in kelvin (24.9 °C)"),
        "{csv}"
    );
    let f = structure("Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let two = format!(
        "id,file,formula,sigma_rt_s_per_cm\na,{0},Li2In1/3Sc1/3Cl4,2e-3\nb,{0},Li6InScCl12,2e-3\n",
        f.display()
    );
    let (o, out) = validate_table(d.path(), "two", &two, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("note: Li2In1/3Sc1/3Cl4 and Li6InScCl12 are the same composition per atom"),
        "{err}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Note: Li2In1/3Sc1/3Cl4 and Li6InScCl12"),
        "{report}"
    );
}

/// Output file `name` of a validate run that must end with exit 1 (some rows failed, scored the
/// rest), its stderr shown otherwise.
fn output_of_a_run_with_failed_rows(o: &std::process::Output, out: &Path, name: &str) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(out.join(name)).unwrap()
}

/// A `--sites` row is checked against the file's symmetry: a label on the Wyckoff position the
/// table names gets no note, one whose letter is not the label's in the file (here the spinel's
/// Li1 on 16c and Li2 on 8a swapped) is named in its row's note, so a comparison of the wrong
/// site does not pass unseen.
#[test]
fn sites_rows_are_checked_against_the_files_wyckoff_positions() {
    let d = tempfile::tempdir().unwrap();
    let cif = structure("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
    let sites = d.path().join("sites.csv");
    let f = cif.display();
    std::fs::write(
        &sites,
        format!("file,label,wyckoff\n{f},Li1,8a\n{f},Li2,16c\n{f},Li0,48f\n"),
    )
    .unwrap();
    let (o, out) = validate_one_row(
        d.path(),
        ("spinel", &cif, "Li2Sc2/3Cl4", 1.5e-3),
        &["--sites", sites.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let note = |label: &str| -> String {
        json["occupancies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["label"] == label)
            .unwrap_or_else(|| panic!("{label}: {json}"))["note"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        note("Li1").contains("WYCKOFF MISMATCH: the file's Li1 is on 16c")
            && note("Li1").contains("the sites table says 8a"),
        "{}",
        note("Li1")
    );
    assert!(note("Li2").contains("is on 8a"), "{}", note("Li2"));
    assert!(!note("Li0").contains("MISMATCH"), "{}", note("Li0"));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("WYCKOFF MISMATCH"), "{report}");
    // the bundled refinement states no esd: none is reported
    assert!(json["occupancies"][0]
        .get("refined_occupancy_esd")
        .is_none());

    // the same refinement with its Li1 occupancy written with a standard uncertainty: the
    // comparison carries it (JSON and report), the value read is unchanged
    let text = std::fs::read_to_string(&cif).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(" Li1 ") && l.trim_end().ends_with("0.218"))
        .expect("Li1 row")
        .to_string();
    let esd_cif = d.path().join("spinel_esd.cif");
    std::fs::write(
        &esd_cif,
        text.replace(&line, &format!("{}(9)", line.trim_end())),
    )
    .unwrap();
    let e = esd_cif.display();
    std::fs::create_dir(d.path().join("esd")).unwrap();
    std::fs::write(&sites, format!("file,label,wyckoff\n{e},Li1,16c\n")).unwrap();
    let (o, out) = validate_one_row(
        &d.path().join("esd"),
        ("spinel", &esd_cif, "Li2Sc2/3Cl4", 1.5e-3),
        &["--sites", sites.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let li1 = &json["occupancies"][0];
    assert_eq!(li1["label"], "Li1");
    assert!((li1["refined_occupancy"].as_f64().unwrap() - 0.218).abs() < 1e-12);
    assert!((li1["refined_occupancy_esd"].as_f64().unwrap() - 0.009).abs() < 1e-12);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("| 0.218 ± 0.009 |"), "{report}");
}

/// `halo validate` on a one-row set (`id`, `file`, `formula`, measured σ) with the short
/// statistics and `extra` flags; the process output and the output folder.
fn validate_one_row(
    dir: &Path,
    row: (&str, &Path, &str, f64),
    extra: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let (id, file, formula, sigma) = row;
    let table = format!(
        "id,file,formula,sigma_rt_s_per_cm\n{id},{},{formula},{sigma:e}\n",
        file.display()
    );
    validate_table(dir, "set", &table, extra)
}

/// `halo validate` on the table `text` (written as DIR/NAME.csv) with the short statistics and
/// `extra` flags, into DIR/NAME-out; the process output and the output folder.
fn validate_table(
    dir: &Path,
    name: &str,
    text: &str,
    extra: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let p = dir.join(format!("{name}.csv"));
    std::fs::write(&p, text).unwrap();
    let out = dir.join(if name == "set" {
        "o".to_string()
    } else {
        format!("{name}-out")
    });
    let o = halo()
        .arg("validate")
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .args(SHORT)
        .args(extra)
        .output()
        .unwrap();
    (o, out)
}

/// One writer per output folder: while another process holds `OUT/.lock` (here this test, as a
/// running `halo validate` would), a validate into OUT is refused before it runs, naming the
/// holder, and writes nothing; once the lock is released it runs.
#[test]
fn a_second_validate_into_the_same_folder_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("o");
    let lock = halo_campaign::folder::lock_output_dir(&out, "a test").unwrap();
    let row = (
        "lialcl4",
        structure("LiAlCl4_P21c_COD1004036.cif"),
        "LiAlCl4",
        1e-6,
    );
    let (o, out) = validate_one_row(d.path(), (row.0, &row.1, row.2, row.3), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("in use by PID {}", std::process::id())),
        "{err}"
    );
    assert!(!out.join("validation.json").exists());
    drop(lock);
    let (o, out) = validate_one_row(d.path(), (row.0, &row.1, row.2, row.3), &[]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
    assert!(out.join("validation.json").exists());
}

#[test]
fn a_failing_structure_is_recorded_not_dropped() {
    let d = tempfile::tempdir().unwrap();
    let lif = root().join("tests/validation/structures/LiF_Fm-3m_mp-1138_liv-2031.cif");
    let (o, out) = validate_one_row(d.path(), ("lif", &lif, "LiF", 1.18e-14), &[]);
    let csv = output_of_a_run_with_failed_rows(&o, &out, "validation.csv");
    assert!(
        csv.contains("lif,") && csv.contains("failed") && csv.contains("jammed"),
        "{csv}"
    );
    // the reason says what a jammed full sublattice means
    assert!(csv.contains("formed as defects"), "{csv}");
}

/// A file that runs but whose reader found something (a skipped zero-occupancy row, a charge
/// that does not balance) carries those findings into the row: the CSV's `warnings`, the
/// report's status, the JSON — what `halo kmc` prints on stderr for the same file.
#[test]
fn the_readers_warnings_reach_the_validation_row() {
    let d = tempfile::tempdir().unwrap();
    let cif = d.path().join("not_neutral.cif");
    let text = std::fs::read_to_string(root().join("tests/data/bad/not_neutral.cif")).unwrap();
    std::fs::write(&cif, format!("{text}Na1 Na1+ 0.25 0.25 0.25 0\n")).unwrap();
    let (o, out) = validate_one_row(
        d.path(),
        ("odd", &cif, "LiCl2", 1e-3),
        &["--temperatures-k", "400,500"],
    );
    assert!(
        o.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut rdr = csv::Reader::from_path(out.join("validation.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let w = headers.iter().position(|h| h == "warnings").unwrap();
    let rec = rdr.records().next().unwrap().unwrap();
    assert!(
        rec[w].contains("site Na1 has occupancy 0 and is skipped"),
        "{rec:?}"
    );
    assert!(
        rec[w].contains("structure is not charge neutral"),
        "{rec:?}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let row = report.lines().find(|l| l.starts_with("| odd |")).unwrap();
    assert!(
        row.contains("; warning: ") && row.contains("has occupancy 0"),
        "{row}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let rw = json["rows"][0]["warnings"].as_array().unwrap();
    assert_eq!(rw.len(), 2, "{rw:?}");
}

/// `--energies`: a structure listed in the energy table runs with the other model's site
/// energies and barriers (the committed CHGNet files for the seed spinel), the row says so in
/// the CSV, the report and the JSON, and a table that names no energy file is refused with its
/// line.
#[test]
fn validate_puts_another_models_energies_on_the_structures_it_lists() {
    let d = tempfile::tempdir().unwrap();
    let cif = structure("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
    let table = root().join("scripts/reference/mlip/results/chgnet_energies.csv");
    let (o, out) = validate_one_row(
        d.path(),
        ("spinel", &cif, "Li2Sc2/3Cl4", 1.5e-3),
        &["--energies", table.to_str().unwrap(), "--noise-copies", "1"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rdr = csv::Reader::from_path(out.join("validation.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = headers
        .iter()
        .position(|h| h == "external_energies")
        .unwrap();
    let rec = rdr.records().next().unwrap().unwrap();
    assert!(
        rec[col].contains("Li2Sc2-3Cl4_chgnet_site_energies.csv")
            && rec[col].contains("Li2Sc2-3Cl4_chgnet_hop_barriers.csv"),
        "{rec:?}"
    );
    // how much of the network they covered: the spinel's Li1 and Li2 (16 + 8 of 32 minima) and
    // the 8a–16c hops
    assert!(rec[col].contains("(24 of 32 minima addressed)"), "{rec:?}");
    assert!(rec[col].contains("hops set)"), "{rec:?}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Energies from another model"), "{report}");
    // CHGNet's energies fill the spinel's 8a, where the landscape's leave it empty
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let occ = json["structures"][0]["result"]["Ok"]["occupancies"]
        .as_array()
        .cloned()
        .or_else(|| {
            json["structures"][0]["result"]["occupancies"]
                .as_array()
                .cloned()
        })
        .expect("occupancies of the run");
    let li2 = occ
        .iter()
        .find(|o| o["label"] == "Li2")
        .and_then(|o| o["occupancy"].as_f64())
        .unwrap();
    assert!(li2 > 0.3, "8a {li2}");
    // the noisy copy used them too, and says how much of its own network they covered
    let copy = &json["structures"][0]["noise"][0];
    let text = copy["external_energies"].as_str().unwrap_or("");
    assert!(
        text.contains("Li2Sc2-3Cl4_chgnet_site_energies.csv") && text.contains("minima addressed"),
        "{copy}"
    );
    let bad = d.path().join("energies.csv");
    std::fs::write(&bad, format!("file,site_energies\n{},\n", cif.display())).unwrap();
    let (o, _) = validate_one_row(
        d.path(),
        ("spinel", &cif, "Li2Sc2/3Cl4", 1.5e-3),
        &["--energies", bad.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("energies.csv") && err.contains("line 2") && err.contains("neither"),
        "{err}"
    );
}

/// `--ground-occupancies` reaches every run of a validation: the spinel's fitted shifts are in
/// the JSON and the report says those labels' occupancies are an input; with `--energies` for the
/// same structure the row fails naming both (they would set the same energies).
#[test]
fn validate_grounds_the_occupancies_and_says_they_are_an_input() {
    let d = tempfile::tempdir().unwrap();
    let cif = structure("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
    let (o, out) = validate_one_row(
        d.path(),
        ("spinel", &cif, "Li2Sc2/3Cl4", 1.5e-3),
        &["--ground-occupancies"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let g = &json["structures"][0]["grounding"];
    assert_eq!(g["converged"], true, "{g}");
    let li2 = g["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "Li2")
        .unwrap();
    assert!(li2["shift_ev"].as_f64().unwrap() < -0.05, "{li2}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Occupancies grounded"), "{report}");
    assert!(report.contains("| Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif | 300 (default) | Li2 |"));

    let table = root().join("scripts/reference/mlip/results/chgnet_energies.csv");
    let d2 = tempfile::tempdir().unwrap();
    let (_, out) = validate_one_row(
        d2.path(),
        ("spinel", &cif, "Li2Sc2/3Cl4", 1.5e-3),
        &[
            "--ground-occupancies",
            "--energies",
            table.to_str().unwrap(),
        ],
    );
    let csv = std::fs::read_to_string(out.join("validation.csv")).unwrap();
    assert!(csv.contains("give one"), "{csv}");
}

#[test]
fn kmc_defaults_to_the_calibrated_attempt_frequency_and_says_so() {
    let f = structure("Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let short = &SHORT[..SHORT.len() - 2]; // no --threads for halo kmc
    let j = json_ok(halo().arg("kmc").arg(&f).arg("--json").args(short));
    let cal =
        std::fs::read_to_string(root().join("crates/data/tables/kmc_calibration.csv")).unwrap();
    // the averaged model's ν0 row (columns: model, constant, value, …)
    let value: f64 = cal
        .lines()
        .find(|l| l.starts_with("averaged,attempt_frequency_hz,"))
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        j["kmc"]["params"]["attempt_frequency_hz"].as_f64(),
        Some(value)
    );
    assert_eq!(
        j["calibration"]["attempt_frequency_hz"].as_f64(),
        Some(value)
    );
    assert!(j["calibration"]["script"]
        .as_str()
        .unwrap()
        .contains("calibrate_kmc.py"));
    let j = json_ok(
        halo()
            .arg("kmc")
            .arg(&f)
            .args(["--json", "--attempt-frequency", "1e13"])
            .args(short),
    );
    assert_eq!(
        j["kmc"]["params"]["attempt_frequency_hz"].as_f64(),
        Some(1e13)
    );
    assert!(j["calibration"]["source"]
        .as_str()
        .unwrap()
        .contains("--attempt-frequency"));
}

#[test]
fn perturb_keeps_the_composition_and_inspect_flags_heavy_noise() {
    let d = tempfile::tempdir().unwrap();
    let f = structure("LiAlCl4_P21c_COD1004036.cif");
    let small = d.path().join("small.cif");
    run_ok(
        halo()
            .arg("perturb")
            .arg(&f)
            .args(["--seed", "3", "--out"])
            .arg(&small),
    );
    let a = json_ok(halo().arg("inspect").arg(&f).arg("--json"));
    let b = json_ok(halo().arg("inspect").arg(&small).arg("--json"));
    assert_eq!(a["formula"], b["formula"]);
    assert_ne!(std::fs::read(&f).unwrap(), std::fs::read(&small).unwrap());
    let o = halo().arg("inspect").arg(&f).output().unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("contacts shorter"));
    let big = d.path().join("big.cif");
    run_ok(
        halo()
            .arg("perturb")
            .arg(&f)
            .args(["--sigma-frac", "0.05", "--seed", "1", "--out"])
            .arg(&big),
    );
    let o = halo().arg("inspect").arg(&big).output().unwrap();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("contacts shorter than 0.85"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    fails_with(
        halo()
            .arg("perturb")
            .arg(&f)
            .args(["--sigma-frac", "0.5", "--out"])
            .arg(&big),
        "must be in [0, 0.1]",
    );
    // an output name of no known format is refused before any work (it was written as a CIF)
    let xyz = d.path().join("x.xyz");
    fails_with(
        halo().arg("perturb").arg(&f).arg("--out").arg(&xyz),
        "the name must end in .cif, .json or .vasp",
    );
    assert!(!xyz.exists());
    // a coordinate many cells away is a slip, refused with its line
    let text = std::fs::read_to_string(&f).unwrap();
    let far = d.path().join("far.cif");
    let (line_no, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("Li"))
        .unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let bad_line = line.replacen(fields[3], "1e308", 1);
    std::fs::write(&far, text.replacen(line, &bad_line, 1)).unwrap();
    fails_with(
        halo().arg("inspect").arg(&far),
        &format!("line {}", line_no + 1),
    );
    fails_with(
        halo().arg("inspect").arg(&far),
        "is not a position in the cell",
    );
}

/// `--seed-repeats K` adds passes at seeds seed+1 … seed+K: each one's metrics are those of a
/// run at that seed, and the report shows them beside the run's own.
#[test]
fn seed_repeats_are_runs_at_the_next_seeds() {
    let d = tempfile::tempdir().unwrap();
    let set = write_set(d.path());
    let run = |seed: &str, repeats: &str, out: &str| {
        let out = d.path().join(out);
        let mut cmd = halo();
        cmd.arg("validate")
            .arg(&set)
            .arg("--out")
            .arg(&out)
            .args(SHORT)
            .args(["--seed", seed, "--seed-repeats", repeats]);
        run_ok(&mut cmd);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
                .unwrap();
        (
            json,
            std::fs::read_to_string(out.join("report.md")).unwrap(),
        )
    };
    let (a, report) = run("4", "1", "a");
    let (b, _) = run("5", "0", "b");
    let runs = a["seed_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["seed"], 5);
    for key in [
        "metrics",
        "metrics_per_composition",
        "metrics_loco",
        "metrics_loco_per_composition",
    ] {
        assert_eq!(runs[0][key], b[key], "{key}");
    }
    // the two seeds are two samples: the kMC numbers differ
    assert_ne!(a["metrics"]["log10_mae"], b["metrics"]["log10_mae"]);
    assert!(b.get("seed_runs").is_none());
    assert!(report.contains("## Seed spread"), "{report}");
    assert!(report.contains("| seed 5, LOCO |"), "{report}");
}

/// `halo validate SET --out DIR ARGS` on a set of `(id, file, formula, σ, Ea)` rows in a temporary
/// folder: the JSON and the report.
fn validate_rows(
    rows: &[(&str, &Path, &str, &str, &str)],
    args: &[&str],
) -> (serde_json::Value, String) {
    let d = tempfile::tempdir().unwrap();
    let set = d.path().join("set.csv");
    let mut text = String::from("id,file,formula,sigma_rt_s_per_cm,ea_ev\n");
    for (id, file, formula, sigma, ea) in rows {
        text += &format!("{id},{},{formula},{sigma},{ea}\n", file.display());
    }
    std::fs::write(&set, text).unwrap();
    let out = d.path().join("out");
    run_ok(
        halo()
            .arg("validate")
            .arg(&set)
            .arg("--out")
            .arg(&out)
            .args(args),
    );
    let json = serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
        .unwrap();
    (
        json,
        std::fs::read_to_string(out.join("report.md")).unwrap(),
    )
}

/// A row whose kMC left a temperature unresolved (LiI at seed 0: at 300 K the ions only rattle)
/// is scored from the resolved temperatures, and the JSON and the report say which temperature
/// was left out. The run is the fixed one of 4 replicas (`--max-replicas 4`): the default stopping
/// rule would give the 300 K point the replicas that resolve it (`tests/cli_kmc.rs`).
#[test]
fn validate_names_the_temperatures_below_the_runs_resolution() {
    let lii = root().join("tests/validation/structures/LiI_Fm-3m_mp-22899.cif");
    let lialcl4 = structure("LiAlCl4_P21c_COD1004036.cif");
    let (json, report) = validate_rows(
        &[
            ("lii", &lii, "LiI", "1e-7", ""),
            ("lialcl4", &lialcl4, "LiAlCl4", "1e-6", "0.47"),
        ],
        &[
            "--threads",
            "2",
            "--max-replicas",
            "4",
            "--target-rel-se",
            "0.01",
        ],
    );
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows[0]["id"], "lii");
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(
        rows[0]["unresolved_temperatures_k"],
        serde_json::json!([300.0])
    );
    let ea = rows[0]["predicted_ea_ev"].as_f64().unwrap();
    assert!((ea - 0.745).abs() < 0.1, "{ea}");
    assert!(rows[1].get("unresolved_temperatures_k").is_none());
    // a 1 % target no 4-replica run meets: every row says how far its σ(300 K) is from it
    for r in rows {
        let rel = r["rel_se_above_target"].as_f64().unwrap();
        assert!(rel > 0.01, "{r}");
    }
    assert!(
        report.contains(
            "| ok; σ below the run's resolution at 300 K (not fitted); σ(300 K) relative SE "
        ),
        "{report}"
    );
    assert!(
        report.contains("above the stopping rule's target |"),
        "{report}"
    );
}

/// The explicit model meets the same stopping rule by adding realisations: a row that ends at
/// the realisation cap above the target says so, as the averaged model's rows do.
#[test]
fn validate_flags_an_explicit_row_that_stopped_above_the_target() {
    let lialcl4 = structure("LiAlCl4_P21c_COD1004036.cif");
    let mut args = vec!["--model", "explicit", "--temperatures-k", "400,500"];
    // one replica of four blocks of five hops per ion (common::short_statistics), one realisation
    args.extend(["--replicas", "1", "--blocks", "4", "--hops-per-block", "5"]);
    args.extend([
        "--equilibration",
        "5",
        "--max-realisations",
        "1",
        "--min-realisations",
        "1",
    ]);
    args.extend(["--target-rel-se", "0.001"]);
    let (json, report) = validate_rows(&[("lialcl4", &lialcl4, "LiAlCl4", "1e-6", "0.47")], &args);
    let row = &json["rows"][0];
    assert_eq!(row["status"], "ok", "{row}");
    assert!(
        row["rel_se_above_target"].as_f64().unwrap() > 0.001,
        "{row}"
    );
    assert!(
        report.contains("above the stopping rule's target |"),
        "{report}"
    );
}

/// `--baseline`: both runs scored on the rows both evaluated. A baseline in which one row
/// failed leaves that row out of both scorings (and names it); on the others this run and its
/// own earlier output (same seed) agree metric for metric. A baseline of another set is refused
/// before anything runs.
#[test]
fn a_baseline_is_compared_on_the_rows_both_runs_evaluated() {
    let d = tempfile::tempdir().unwrap();
    let set = write_set(d.path());
    let first = d.path().join("first");
    let mut cmd = halo();
    cmd.arg("validate")
        .arg(&set)
        .arg("--out")
        .arg(&first)
        .args(SHORT);
    run_ok(&mut cmd);
    let text = std::fs::read_to_string(first.join("validation.json")).unwrap();
    let mut base: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = base["rows"].as_array_mut().unwrap();
    let k = rows.iter().position(|r| r["id"] == "intermediate").unwrap();
    rows[k]["status"] = "failed".into();
    rows[k]["reason"] = "kmc: made to fail for this test".into();
    // and the baseline computed the superionic row on a file whose contents have changed
    // since (same path): named, not refused; the poor row's file is at another path with the
    // same contents (moved): the same input, not named
    let s = rows.iter().position(|r| r["id"] == "superionic").unwrap();
    assert!(rows[s]["file_sha256"].is_string(), "{}", rows[s]);
    rows[s]["file_sha256"] = "0000000000000000".into();
    let p = rows.iter().position(|r| r["id"] == "poor").unwrap();
    rows[p]["file"] = "elsewhere/moved.cif".into();
    for key in [
        "predicted_sigma_300k_s_per_cm",
        "predicted_ea_ev",
        "loco_predicted_sigma_300k_s_per_cm",
        "log10_error",
        "loco_log10_error",
    ] {
        rows[k][key] = serde_json::Value::Null;
    }
    let baseline = d.path().join("baseline.json");
    std::fs::write(&baseline, base.to_string()).unwrap();

    let mut cmd = halo();
    cmd.arg("validate")
        .arg(&set)
        .arg("--out")
        .arg(d.path().join("second"))
        .arg("--baseline")
        .arg(&baseline)
        .arg("--json")
        .args(SHORT);
    let v = json_ok(&mut cmd);
    let b = &v["baseline"];
    assert_eq!(b["common_rows"], serde_json::json!(["superionic", "poor"]));
    assert_eq!(
        b["failed_in_baseline_only"],
        serde_json::json!(["intermediate"])
    );
    assert_eq!(b["failed_here_only"], serde_json::json!([]));
    let other = b["other_files"].as_array().expect("other_files");
    assert_eq!(other.len(), 1, "{other:?}");
    let said = other[0].as_str().unwrap();
    assert!(
        said.starts_with("superionic: ") && said.ends_with(" (its contents changed)"),
        "{other:?}"
    );
    assert_eq!(
        b["here"], b["baseline"],
        "same seed, same rows: same metrics"
    );
    assert_eq!(b["here"]["per_row"]["n_rows"], 2);
    // the per-row MAE on the common rows, from this run's own rows
    let mae: f64 = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] != "intermediate")
        .map(|r| r["log10_error"].as_f64().unwrap().abs())
        .sum::<f64>()
        / 2.0;
    let got = b["here"]["per_row"]["log10_mae"].as_f64().unwrap();
    assert!((got - mae).abs() < 1e-12, "{got} vs {mae}");
    // the whole run still scores all three rows
    assert_eq!(v["metrics"]["n_rows"], 3);
    let report = std::fs::read_to_string(d.path().join("second/report.md")).unwrap();
    assert!(report.contains("## Against the baseline, on the rows both evaluated"));
    assert!(report.contains("Failed in the baseline only: `intermediate`"));
    assert!(
        report.contains("Rows computed on another structure file than in the baseline"),
        "{report}"
    );
    assert!(
        report.contains("(model `averaged`). Both runs scored on the 2 rows both evaluated"),
        "{report}"
    );

    // another set: refused at once, naming the row
    base["rows"].as_array_mut().unwrap().remove(2);
    std::fs::write(&baseline, base.to_string()).unwrap();
    fails_with(
        halo()
            .arg("validate")
            .arg(&set)
            .arg("--out")
            .arg(d.path().join("third"))
            .arg("--baseline")
            .arg(&baseline),
        "scores another set: row `poor` is not in the baseline",
    );
    assert!(!d.path().join("third").exists());
    // a missing file: its reason said once (the error chain does not repeat a cause its
    // message already ends with)
    let out = halo()
        .arg("validate")
        .arg(&set)
        .arg("--baseline")
        .arg(d.path().join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.json: "), "{err}");
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
}

/// Without calibration pairs there is no LOCO refit: the report says so instead of listing
/// every row as a LOCO failure, and it names the model that ran.
#[test]
fn a_table_without_calibration_pairs_says_loco_was_not_computed() {
    let d = tempfile::tempdir().unwrap();
    let (o, out) = validate_one_row(
        d.path(),
        (
            "a",
            &structure("LiAlCl4_P21c_COD1004036.cif"),
            "LiAlCl4",
            1e-6,
        ),
        &[],
    );
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Leave-one-composition-out was not computed: no calibration pairs"),
        "{report}"
    );
    assert!(!report.contains("| per row, LOCO ν0 |"), "{report}");
    assert!(!report.contains("LOCO ν0 | –"), "{report}");
    assert!(report.contains("Model: `averaged`"), "{report}");
}

/// Noisy copies that fail are named with their reason in the report (it counted them only):
/// LiF's copies are jammed like the file itself.
#[test]
fn failed_noisy_copies_are_named_with_their_reason() {
    let d = tempfile::tempdir().unwrap();
    let lif = root().join("tests/validation/structures/LiF_Fm-3m_mp-1138_liv-2031.cif");
    let (o, out) = validate_one_row(
        d.path(),
        ("lif", &lif, "LiF", 1.18e-14),
        &["--noise-copies", "1"],
    );
    let report = output_of_a_run_with_failed_rows(&o, &out, "report.md");
    assert!(
        report.contains("Failed copies, the first reason of each structure")
            && report.contains("LiF_Fm-3m_mp-1138_liv-2031.cif (1 of 1): ")
            && report.contains("jammed"),
        "{report}"
    );
}

/// A composition is scored on its scored rows: a row failed for its temperature (90 °C, 1e-4
/// S/cm) does not enter the composition's measured mean (it made LiI's 1e-7 read 3.2e-6), and
/// compositions are grouped transitively (`Li2In0.333Sc0.333Cl4` and `Li2In0.334Sc0.334Cl4`,
/// each within 1e-3 of `Li2In1/3Sc1/3Cl4` but not of each other, are one composition, not two
/// sharing a row).
#[test]
fn compositions_are_scored_on_their_scored_rows_and_grouped_transitively() {
    let d = tempfile::tempdir().unwrap();
    let lii = root().join("tests/validation/structures/LiI_Fm-3m_mp-22899.cif");
    let table = format!(
        "id,file,formula,sigma_rt_s_per_cm,ea_ev,temperature_c\n\
         rt,{0},LiI,1e-7,0.43,\nhot,{0},LiI,1e-4,0.30,90\n",
        lii.display()
    );
    let (o, out) = validate_table(d.path(), "hot", &table, &[]);
    let _ = output_of_a_run_with_failed_rows(&o, &out, "validation.csv");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let c = &json["compositions"][0];
    assert_eq!(c["rows"].as_array().unwrap().len(), 2, "{c}");
    assert_eq!(c["measured_sigma_s_per_cm"].as_f64(), Some(1e-7), "{c}");
    assert_eq!(c["measured_ea_ev"].as_f64(), Some(0.43), "{c}");

    let f = structure("Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let table = format!(
        "id,file,formula,sigma_rt_s_per_cm\na,{0},Li2In0.333Sc0.333Cl4,2e-3\n\
         b,{0},Li2In0.334Sc0.334Cl4,2e-3\nc,{0},Li2In1/3Sc1/3Cl4,2e-3\n",
        f.display()
    );
    // the two spellings of the calibration file (Li2In0.333Sc0.333Cl4 is within 1e-3 of the
    // 0.333 and 1/3 rows, not of the 0.334 one) and a pair of another material
    let pairs = d.path().join("pairs.csv");
    std::fs::write(
        &pairs,
        format!(
            "composition,file,source
Li2In1/3Sc1/3Cl4,{0},t
Li2In0.333Sc0.333Cl4,{0},t
             Li2Sc2/3Cl4,{1},t
",
            f.display(),
            structure("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif").display()
        ),
    )
    .unwrap();
    let (o, out) = validate_table(
        d.path(),
        "three",
        &table,
        &["--calibration-pairs", pairs.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("validation.json")).unwrap())
            .unwrap();
    let comps = json["compositions"].as_array().unwrap();
    assert_eq!(comps.len(), 1, "{comps:?}");
    assert_eq!(comps[0]["rows"].as_array().unwrap().len(), 3);
    // one LOCO ν0 for the three spellings: each leaves out every pair of the material
    let loco = &json["attempt_frequency"]["loco_hz"];
    let v: Vec<f64> = [
        "Li2In0.333Sc0.333Cl4",
        "Li2In0.334Sc0.334Cl4",
        "Li2In1/3Sc1/3Cl4",
    ]
    .iter()
    .map(|f| loco[f].as_f64().unwrap_or_else(|| panic!("{f}: {loco}")))
    .collect();
    assert!(v[0] == v[1] && v[1] == v[2], "{v:?}");
}
