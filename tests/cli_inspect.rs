//! End-to-end tests of `halo inspect`: every CIF in structures/ against pymatgen + spglib
//! (tests/data/inspect_reference.json from scripts/reference/inspect_pymatgen.py), and every
//! kind of bad input in tests/data/bad/ (truncated file, unknown element, flat or zero-volume
//! cell, POSCAR count mismatch, a structure that is not charge neutral): non-zero exit, a message
//! naming the file and the line or field, no panic.

mod common;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// Density agreement with pymatgen, g/cm³ (docs/physics.md §8.2).
const DENSITY_TOLERANCE_G_PER_CM3: f64 = 1e-3;
/// Nearest-anion distance agreement with pymatgen's neighbour search, Å.
const DISTANCE_TOLERANCE_ANG: f64 = 1e-6;

use common::{output as halo, root};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "halo panicked: {e}");
    assert_ne!(o.status.code(), Some(101), "halo panicked: {e}");
}

#[test]
fn every_structure_matches_pymatgen_and_spglib() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/inspect_reference.json")).unwrap(),
    )
    .unwrap();
    let structures = reference["structures"].as_object().unwrap();
    assert_eq!(structures.len(), 6);
    for (name, want) in structures {
        let path = format!("structures/{name}");
        let o = halo(&["inspect", &path, "--json"]);
        no_panic(&o);
        let expect_neutral = !name.contains("SCXRD");
        assert_eq!(
            o.status.code(),
            Some(if expect_neutral { 0 } else { 3 }),
            "{name}: {}",
            stderr(&o)
        );
        let got: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(got["formula"], want["formula"], "{name}");
        assert_eq!(got["reduced_formula"], want["reduced_formula"], "{name}");
        assert_eq!(
            got["space_group_number"], want["space_group_number"],
            "{name}"
        );
        assert_eq!(
            got["space_group_symbol"], want["space_group_symbol"],
            "{name}"
        );
        let rho = got["density_g_per_cm3"].as_f64().unwrap();
        let rho_ref = want["density_g_per_cm3"].as_f64().unwrap();
        assert!(
            (rho - rho_ref).abs() < DENSITY_TOLERANCE_G_PER_CM3,
            "{name}: density {rho} vs pymatgen {rho_ref}"
        );
        let v = got["volume_ang3"].as_f64().unwrap();
        assert!(
            (v - want["volume_ang3"].as_f64().unwrap()).abs() < 1e-6,
            "{name}"
        );
        let q = got["net_charge_cell_e"].as_f64().unwrap();
        assert!(
            (q - want["net_charge_cell_e"].as_f64().unwrap()).abs() < 1e-9,
            "{name}"
        );
        assert!(got["net_charge_per_formula_unit"].is_f64(), "{name}");
        // sites: the same orbits (Wyckoff symbol, multiplicity, species and occupancies) and
        // the same nearest-anion distances
        let key = |s: &Value, sp: Vec<(String, f64)>| {
            let mut sp = sp;
            sp.sort_by(|a, b| a.0.cmp(&b.0));
            let sp: Vec<String> = sp.iter().map(|(e, o)| format!("{e}:{o:.4}")).collect();
            format!(
                "{} {} {}",
                s["wyckoff"].as_str().unwrap(),
                s["multiplicity"],
                sp.join(",")
            )
        };
        let mut ours: Vec<(String, f64)> = got["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let sp = s["species"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| {
                        (
                            x["element"].as_str().unwrap().to_string(),
                            x["occupancy"].as_f64().unwrap(),
                        )
                    })
                    .collect();
                (
                    key(s, sp),
                    s["nearest_anion_distance_ang"].as_f64().unwrap(),
                )
            })
            .collect();
        let mut theirs: Vec<(String, f64)> = want["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let sp = s["species"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(e, o)| (e.clone(), o.as_f64().unwrap()))
                    .collect();
                (
                    key(s, sp),
                    s["nearest_anion_distance_ang"].as_f64().unwrap(),
                )
            })
            .collect();
        let order = |a: &(String, f64), b: &(String, f64)| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1));
        ours.sort_by(order);
        theirs.sort_by(order);
        assert_eq!(ours.len(), theirs.len(), "{name}: {ours:?} vs {theirs:?}");
        // Wyckoff letters are fixed only up to the affine normaliser: in Fd-3m the origin
        // shift (1/2, 1/2, 1/2) swaps 8a <-> 8b and 16c <-> 16d for the whole structure. spglib
        // and moyo may pick different origins, so for space group 227 spglib's labels with that
        // swap applied to every site are accepted too.
        let sg = want["space_group_number"].as_u64().unwrap();
        if sg == 227 && ours.iter().map(|x| &x.0).ne(theirs.iter().map(|x| &x.0)) {
            for x in theirs.iter_mut() {
                let (w, rest) = x.0.split_once(' ').unwrap();
                let w = match w {
                    "8a" => "8b",
                    "8b" => "8a",
                    "16c" => "16d",
                    "16d" => "16c",
                    other => other,
                };
                x.0 = format!("{w} {rest}");
            }
            theirs.sort_by(order);
        }
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.0, b.0, "{name}");
            assert!(
                (a.1 - b.1).abs() < DISTANCE_TOLERANCE_ANG,
                "{name}: {} nearest anion {} vs pymatgen {}",
                a.0,
                a.1,
                b.1
            );
        }
    }
}

#[test]
fn text_output_of_the_spinel() {
    let o = halo(&[
        "inspect",
        "structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "Li16.464 Sc2.624 In2.576 Cl32",
        "Fd-3m (227)",
        "Z = 8",
        "neutral within 0.05 e",
        "Li+:0.675 Sc3+:0.164 In3+:0.161",
    ] {
        assert!(out.contains(needle), "missing '{needle}' in\n{out}");
    }
}

fn assert_error(args: &[&str], needles: &[&str]) {
    let o = halo(args);
    no_panic(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected an error for {args:?}: {}",
        stderr(&o)
    );
    let e = stderr(&o);
    for n in needles {
        assert!(e.contains(n), "message for {args:?} lacks '{n}': {e}");
    }
}

#[test]
fn truncated_cif() {
    assert_error(
        &["inspect", "tests/data/bad/truncated.cif"],
        &[
            "tests/data/bad/truncated.cif",
            "line 39",
            "_atom_site_type_symbol",
            "truncated",
        ],
    );
}

#[test]
fn unknown_element() {
    assert_error(
        &["inspect", "tests/data/bad/unknown_element.cif"],
        &[
            "unknown_element.cif",
            "line 35",
            "_atom_site_type_symbol",
            "'Xq'",
        ],
    );
}

#[test]
fn zero_volume_cell() {
    assert_error(
        &["inspect", "tests/data/bad/zero_volume.cif"],
        &["zero_volume.cif", "line 10", "_cell_length_c", "degenerate"],
    );
    assert_error(
        &["inspect", "tests/data/bad/flat_cell.cif"],
        &["flat_cell.cif", "line", "_cell_angle", "volume"],
    );
}

#[test]
fn missing_file() {
    assert!(!Path::new("tests/data/bad/does_not_exist.cif").exists());
    assert_error(
        &["inspect", "tests/data/bad/does_not_exist.cif"],
        &["tests/data/bad/does_not_exist.cif", "cannot read"],
    );
}

#[test]
fn poscar_counts_not_matching_coordinates() {
    assert_error(
        &["inspect", "tests/data/bad/POSCAR_count_mismatch"],
        &[
            "POSCAR_count_mismatch",
            "line 16",
            "coordinates",
            "sum to 8",
        ],
    );
}

#[test]
fn not_charge_neutral_is_a_warning_with_the_net_charge() {
    let o = halo(&["inspect", "tests/data/bad/not_neutral.cif", "--json"]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("warning"), "{e}");
    assert!(e.contains("not_neutral.cif"), "{e}");
    assert!(e.contains("-0.5000 e per formula unit"), "{e}");
    let got: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got["charge_neutral"], false);
    assert!((got["net_charge_per_formula_unit"].as_f64().unwrap() + 0.5).abs() < 1e-12);
}

/// `halo inspect FILE | head`: a reader that goes away ends halo quietly, never with a panic.
#[test]
fn a_closed_pipe_ends_output_without_a_panic() {
    use std::process::Stdio;
    for args in [
        vec![
            "inspect",
            "structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif",
        ],
        vec![
            "enumerate",
            "--framework",
            "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif",
            "--site",
            "16d",
            "--dopants",
            "In,Y",
            "--fractions",
            "0:0.666:0.111",
        ],
    ] {
        let mut child = common::halo()
            .current_dir(common::root())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before halo writes
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}

/// `halo inspect` names the sites with the letters of the literature, as `halo enumerate`
/// does (spinel M on 16d, Li on 8a/16c), with moyo's standard letter beside it.
#[test]
fn inspect_and_enumerate_use_the_same_wyckoff_letters() {
    let f = "structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif";
    let text = String::from_utf8(halo(&["inspect", f]).stdout).unwrap();
    for want in ["8a (8b)", "16c (16d)", "16d (16c)"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let out = halo(&["inspect", f, "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mixed = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["labels"].as_array().unwrap().len() == 3)
        .unwrap();
    assert_eq!(mixed["wyckoff_published"], "16d");
    let e = halo(&[
        "enumerate",
        "--framework",
        f,
        "--site",
        "16d",
        "--dopants",
        "Y",
        "--fractions",
        "0",
    ]);
    let t = String::from_utf8(e.stdout).unwrap();
    assert!(t.contains("16d (Li3)"), "{t}");
}

/// The literature letters `halo inspect` prints are the ones `halo enumerate --site` takes:
/// placed by the orbit holding Li and a framework cation together, not by the first cation in
/// the file. A spinel with Al on 8a (listed before the Li/Sc 16d) was printed with 16c for the
/// Li/Sc site, which `halo enumerate` calls 16d.
#[test]
fn the_printed_letters_are_the_enumerators() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("al_on_8a.cif");
    let text =
        std::fs::read_to_string(root().join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"))
            .unwrap();
    assert!(text.contains("  Li  Li2  8 "));
    std::fs::write(&file, text.replace("  Li  Li2  8 ", "  Al  Al2  8 ")).unwrap();
    let o = halo(&["inspect", file.to_str().unwrap(), "--json"]);
    no_panic(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let letter = |label: &str| {
        v["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["labels"][0] == label)
            .map(|s| s["wyckoff_published"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(letter("Li3"), "16d");
    assert_eq!(letter("Al2"), "8a");
    assert_eq!(letter("Li1"), "16c");
    // and the enumerator substitutes on that orbit by that name
    let o = halo(&[
        "enumerate",
        "--framework",
        file.to_str().unwrap(),
        "--site",
        "16d",
        "--dopants",
        "In",
        "--fractions",
        "0.111",
        "--json",
    ]);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// moyo's own letters can flip between 8a/16c and 8b/16d when only the cell length changes (its
/// origin choice depends on the numbers); the literature letter must not move.
#[test]
fn the_literature_letters_do_not_move_with_the_cell_length() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        root().join("structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif"),
    )
    .unwrap();
    assert!(text.contains("10.42138000"));
    for a in ["10.40", "10.41", "10.42", "10.4214", "10.43", "11"] {
        let file = dir.path().join(format!("a_{a}.cif"));
        std::fs::write(&file, text.replace("10.42138000", a)).unwrap();
        let o = halo(&["inspect", file.to_str().unwrap(), "--json"]);
        no_panic(&o);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let sites = v["sites"].as_array().unwrap();
        let by_label = |label: &str, key: &str| {
            sites
                .iter()
                .find(|s| s["labels"][0] == label)
                .map(|s| s[key].as_str().unwrap().to_string())
                .unwrap()
        };
        assert_eq!(by_label("Li2", "wyckoff_published"), "8a", "a = {a}");
        assert_eq!(by_label("Li1", "wyckoff_published"), "16c", "a = {a}");
        assert_eq!(by_label("Li3", "wyckoff_published"), "16d", "a = {a}");
    }
}

/// A file with two structures: every command that reads it says which block it read and that
/// another is there (perturb and enumerate printed none of the reader's warnings).
#[test]
fn a_file_with_two_structures_names_the_block_read() {
    let dir = tempfile::tempdir().unwrap();
    let licl = "data_LiCl\n_cell_length_a 5.13\n_cell_length_b 5.13\n_cell_length_c 5.13\n\
                _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
                _symmetry_space_group_name_H-M 'F m -3 m'\n_symmetry_Int_Tables_number 225\n\
                loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n\
                _atom_site_fract_y\n_atom_site_fract_z\nLi1 Li 0 0 0\nCl1 Cl 0.5 0.5 0.5\n\n";
    let spinel =
        std::fs::read_to_string(root().join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"))
            .unwrap();
    let file = dir.path().join("two.cif");
    std::fs::write(&file, format!("{licl}{spinel}")).unwrap();
    let f = file.to_str().unwrap();
    let out = dir.path().join("p.cif");
    for args in [
        vec!["perturb", f, "--out", out.to_str().unwrap()],
        vec![
            "enumerate",
            "--framework",
            f,
            "--site",
            "a",
            "--dopants",
            "Na",
            "--fractions",
            "0",
        ],
        vec!["bvse", f],
    ] {
        let o = halo(&args);
        no_panic(&o);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("holds 2 data blocks with atom sites") && err.contains("'LiCl'"),
            "{args:?}: {err}"
        );
    }
    // the JSON lists it as stderr does
    let o = halo(&["bvse", f, "--json"]);
    no_panic(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["warnings"]
            .to_string()
            .contains("holds 2 data blocks with atom sites"),
        "{}",
        v["warnings"]
    );
    // naming the block reads it, without the warning
    let o = halo(&["inspect", f, "--block", "LiCl", "--json"]);
    no_panic(&o);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("data blocks with atom sites"));
}

/// Operations listed beside a group number they cannot belong to (a file edited by hand) are
/// used, as pymatgen uses them, but not without a word.
#[test]
fn listed_operations_that_are_not_the_stated_group_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(root().join("structures/LiAlCl4_P21c_COD1004036.cif")).unwrap();
    assert!(text.contains("_symmetry_Int_Tables_number   14"));
    let file = dir.path().join("wrong_number.cif");
    std::fs::write(
        &file,
        text.replace(
            "_symmetry_Int_Tables_number   14",
            "_symmetry_Int_Tables_number   225",
        ),
    )
    .unwrap();
    let o = halo(&["inspect", file.to_str().unwrap()]);
    no_panic(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("states group 225, whose settings have 192 operations, but the file lists 4"),
        "{err}"
    );
    // the file as published: no such note
    let o = halo(&[
        "inspect",
        root()
            .join("structures/LiAlCl4_P21c_COD1004036.cif")
            .to_str()
            .unwrap(),
    ]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("states group"));
}

/// A POSCAR's selective dynamics flags survive `halo perturb` to a POSCAR (they were dropped),
/// in the sites' order, with every atom moved; another output format says it drops them.
#[test]
fn perturb_keeps_selective_dynamics_flags_in_a_poscar() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("POSCAR");
    std::fs::write(
        &file,
        "LiCl\n1.0\n5.13 0 0\n0 5.13 0\n0 0 5.13\nLi Cl\n4 4\nSelective dynamics\nDirect\n\
         0 0 0 F F F\n0 0.5 0.5 T T T\n0.5 0 0.5 T F T\n0.5 0.5 0 F T F\n\
         0.5 0.5 0.5 T T T\n0.5 0 0 F F T\n0 0.5 0 T T F\n0 0 0.5 F F F\n",
    )
    .unwrap();
    let out = dir.path().join("POSCAR_noisy");
    let o = halo(&[
        "perturb",
        file.to_str().unwrap(),
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    no_panic(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("Selective dynamics"), "{text}");
    let atoms: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Direct"))
        .skip(1)
        .collect();
    let flags: Vec<String> = atoms
        .iter()
        .map(|l| {
            l.split_whitespace()
                .skip(3)
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        flags,
        ["F F F", "T T T", "T F T", "F T F", "T T T", "F F T", "T T F", "F F F"]
    );
    // every atom moved, the fixed ones too
    let first: Vec<f64> = atoms[0]
        .split_whitespace()
        .take(3)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(
        first
            .iter()
            .any(|x| x.abs() > 1e-6 && (1.0 - x).abs() > 1e-6),
        "{first:?}"
    );
    // a CIF output cannot hold them, and says so
    let cif = dir.path().join("noisy.cif");
    let o = halo(&[
        "perturb",
        file.to_str().unwrap(),
        "--out",
        cif.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("selective dynamics flags are not written"),
        "{}",
        stderr(&o)
    );
}
