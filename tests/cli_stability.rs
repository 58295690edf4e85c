//! End-to-end tests of `halo stability`.

mod common;
use common::run_args as halo;

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = halo(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

#[test]
fn lithium_halide_limits_in_json() {
    // docs/physics.md §6.1 references: ΔG (298 K) / ΔH
    for (f, dg, dh) in [
        ("LiCl", 3.98, 4.23),
        ("LiBr", 3.54, 3.64),
        ("LiI", 2.79, 2.80),
        ("LiF", 6.10, 6.39),
    ] {
        let v = json(&["stability", f, "--json"]);
        let a = v["anodic_limit_v_dg"].as_f64().unwrap();
        let b = v["anodic_limit_v_dh"].as_f64().unwrap();
        assert!(
            (a - dg).abs() < 0.006 && (b - dh).abs() < 0.006,
            "{f}: {a} {b}"
        );
        assert_eq!(v["cathodic_limit_v_dg"].as_f64(), Some(0.0));
        assert!(v["cathodic_limit_v_dh"].is_number());
        assert!(!v["rows_used"].as_array().unwrap().is_empty());
    }
}

#[test]
fn ternaries_products_and_rows() {
    let v = json(&["stability", "Li2FeCl4", "--json"]);
    assert!((v["anodic_limit_v_dg"].as_f64().unwrap() - 3.65).abs() < 0.01);
    let prods: Vec<&str> = v["oxidation_products_dg"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["formula"].as_str().unwrap())
        .collect();
    assert!(prods.contains(&"FeCl3"), "{prods:?}");
    let v = json(&["stability", "Li2Sc2/3Cl4", "--json"]);
    assert!((v["cathodic_limit_v_dg"].as_f64().unwrap() - 1.0).abs() < 0.03);
    assert_eq!(v["formation_model"]["kind"], "binary_sum");
    let rows: Vec<&str> = v["rows_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["formula"].as_str().unwrap())
        .collect();
    assert!(
        rows.contains(&"ScCl3") && rows.contains(&"LiCl"),
        "{rows:?}"
    );
    // a supplied ternary term moves the anodic limit up: −10 meV/atom × 9 atoms / 2 Li = +45 mV
    let w = json(&[
        "stability",
        "Li2ZrCl6",
        "--json",
        "--mix-mev-per-atom",
        "-10",
    ]);
    let base = json(&["stability", "Li2ZrCl6", "--json"]);
    let d = w["anodic_limit_v_dg"].as_f64().unwrap() - base["anodic_limit_v_dg"].as_f64().unwrap();
    assert!((d - 0.045).abs() < 1e-6, "{d}");
}

#[test]
fn text_output_names_limits_and_sources() {
    let (code, out, err) = halo(&["stability", "Li3InCl6"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("anodic limit [V vs Li]") && out.contains("3.980"),
        "{out}"
    );
    assert!(out.contains("2.415"), "{out}");
    assert!(out.contains("NIST-JANAF"), "{out}");
}

#[test]
fn structure_files_are_read() {
    let cif = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/structures/LiAlCl4_P21c_COD1004036.cif"
    );
    let v = json(&["stability", cif, "--json"]);
    assert!((v["anodic_limit_v_dg"].as_f64().unwrap() - 3.98).abs() < 0.01);
    assert!((v["cathodic_limit_v_dg"].as_f64().unwrap() - 1.80).abs() < 0.01);
}

#[test]
fn not_assessable_and_malformed_inputs() {
    // Sc has no iodide in the thermochemical table
    let (code, out, _) = halo(&["stability", "Li3ScI6"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("not assessable") && out.contains("Sc"),
        "{out}"
    );
    let (code, out, _) = halo(&["stability", "Li3ScI6", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "not_assessable");
    for bad in ["Li2Xx", "Li(Cl", "LiCl2", "missing_file.cif"] {
        let (code, _, err) = halo(&["stability", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(
            err.starts_with("error:") && !err.contains("panicked"),
            "{bad}: {err}"
        );
    }
    // option values out of range are named by their flag, in the flag's units
    for (flag, value, says) in [
        (
            "--mix-mev-per-atom",
            "1e6",
            "invalid --mix-mev-per-atom: 1000000 meV/atom",
        ),
        (
            "--hull-tolerance-ev-per-atom",
            "10",
            "invalid --hull-tolerance-ev-per-atom: 10 eV/atom",
        ),
        (
            "--hull-tolerance-ev-per-atom",
            "-0.01",
            "between 0 and 0.5 eV/atom",
        ),
    ] {
        let (code, _, err) = halo(&["stability", "Li3InCl6", flag, value]);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(err.contains(says), "{flag} {value}: {err}");
    }
}

/// A composition without Li (NaCl; `Li0Cl`, which is Cl2) is computed and says that its
/// limits are those of Li exchange only.
#[test]
fn a_composition_without_li_says_so() {
    for f in ["NaCl", "Li0Cl"] {
        let (code, out, err) = halo(&["stability", f]);
        assert_eq!(code, 0, "{f}: {err}");
        assert!(
            out.contains("has no Li: its limits are those of taking up Li"),
            "{f}: {out}"
        );
    }
    let (_, out, _) = halo(&["stability", "LiCl"]);
    assert!(!out.contains("has no Li"), "{out}");
}

/// `--hull-tolerance-ev-per-atom` is a metastability allowance: the text says which limits it
/// printed, and an allowance only widens the window.
#[test]
fn the_hull_tolerance_widens_the_window_and_is_named() {
    let (code, out, err) = halo(&["stability", "Li2FeCl4"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("exact limits (no allowance above the hull)"),
        "{out}"
    );
    let exact = json(&["stability", "Li2FeCl4", "--json"]);
    let loose = json(&[
        "stability",
        "Li2FeCl4",
        "--json",
        "--hull-tolerance-ev-per-atom",
        "0.05",
    ]);
    for (key, wider) in [("anodic_limit_v_dg", 1.0), ("cathodic_limit_v_dg", -1.0)] {
        let (a, b) = (exact[key].as_f64().unwrap(), loose[key].as_f64().unwrap());
        assert!(wider * (b - a) > 0.01, "{key}: {a} -> {b}");
    }
    let (_, out, _) = halo(&[
        "stability",
        "Li2FeCl4",
        "--hull-tolerance-ev-per-atom",
        "0.05",
    ]);
    assert!(out.contains("allowed 0.05 eV/atom above the hull"), "{out}");
}

/// A structure file is assessed by its neutral formula unit: one outside the charge tolerance
/// is refused naming the file, and one whose Li was adjusted within the tolerance says so.
#[test]
fn a_structure_file_must_be_neutral() {
    let bad = common::root().join("tests/data/bad/not_neutral.cif");
    let (code, _, err) = halo(&["stability", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not_neutral.cif: not charge neutral: -0.500 e per formula unit"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // the same file through the library call the Python binding uses
    let loaded = halo_io::read_structure(&bad).unwrap();
    let e = loaded.neutral_formula_unit().unwrap_err().to_string();
    assert!(e.contains("not_neutral.cif: not charge neutral"), "{e}");
}

/// A formula balanced only by a cation outside its formal state (Li4InCl6, a slip for
/// Li3InCl6, balances with In2+) is computed as written, and the output names the state it took.
#[test]
fn a_cation_outside_its_formal_state_is_named() {
    let (code, text, _) = halo(&["stability", "Li4InCl6"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("In is taken as +2 (InCl2) to balance the formula; its formal state is +3"),
        "{text}"
    );
    let (_, json, _) = halo(&["stability", "Li4InCl6", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["notes"].to_string().contains("In is taken as +2"), "{v}");
    // the formula as meant: no such note
    let (_, text, _) = halo(&["stability", "Li3InCl6"]);
    assert!(!text.contains("taken as"), "{text}");
}
