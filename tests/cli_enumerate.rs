//! End-to-end tests of `halo enumerate` on the project's framework CIFs.

mod common;
use common::output as halo;

const SPINEL: &str = "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif";
const MONO: &str = "structures/Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron.cif";
const DOPANTS: &str = "In,Sc,Y,Er,Yb,Lu,Ho,Zr,Hf,Mg,Zn,Ga,Al";

#[test]
fn spinel_family_json() {
    let out = halo(&[
        "enumerate",
        "--framework",
        SPINEL,
        "--site",
        "16d",
        "--dopants",
        DOPANTS,
        "--fractions",
        "0:0.666:0.111",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let acc = v["accepted"].as_array().unwrap();
    let rej = v["rejected"].as_array().unwrap();
    // the Li2InxSc2/3-xCl4 family, x = 0 … 2/3
    let family: Vec<&str> = acc
        .iter()
        .filter(|c| {
            let d = c["dopants"].as_array().unwrap();
            d.is_empty() || (d.len() == 1 && d[0]["species"] == "In3+")
        })
        .map(|c| c["formula"].as_str().unwrap())
        .collect();
    assert_eq!(family.len(), 7, "{family:?}");
    assert!(family.contains(&"Li2Sc0.3333In0.3333Cl4"));
    assert!(family.contains(&"Li2In0.6667Cl4"));
    // Y, Er, Ho, … fail the size rule against Sc3+; Sc on Sc is a duplicate
    assert!(rej.iter().any(|r| r["reason"]["kind"] == "size_mismatch"
        && r["message"].as_str().unwrap().contains("Y3+")));
    assert!(rej.iter().any(|r| r["reason"]["kind"] == "duplicate"));
    // every accepted candidate carries an id, Li change, Li sites and a lattice
    for c in acc {
        assert_eq!(c["id"].as_str().unwrap().len(), 16);
        assert!(c["lattice"]["a_ang"].as_f64().unwrap() > 10.0);
        assert!(c["li_sites"].as_array().unwrap().len() == 3);
    }
}

#[test]
fn monoclinic_text_and_write() {
    let dir = std::env::temp_dir().join(format!("halo_enum_{}", std::process::id()));
    let out = halo(&[
        "enumerate",
        "--framework",
        MONO,
        "--site",
        "2a",
        "--dopants",
        "Zr,Mg",
        "--fractions",
        "0,0.5",
        "--write",
        dir.to_str().unwrap(),
        "--orderings",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("C2/m"), "{text}");
    assert!(text.contains("Li2.5Zr0.5"), "{text}");
    assert!(text.contains("Li3.5"), "{text}");
    let cifs: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(cifs.len() >= 3, "{}", cifs.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn clear_errors_and_exit_codes() {
    for (args, needle) in [
        (
            vec!["--site", "16d", "--dopants", "Xx", "--fractions", "0.1"],
            "unknown element symbol 'Xx'",
        ),
        (
            vec!["--site", "16d", "--dopants", "Sm2+", "--fractions", "0.1"],
            "Shannon",
        ),
        (
            vec![
                "--site",
                "16d",
                "--dopants",
                "In",
                "--fractions",
                "0:1.5:0.5",
            ],
            "outside [0, 1]",
        ),
        (
            vec!["--site", "16d", "--dopants", "In", "--fractions", "0.9"],
            "not charge-balanceable",
        ),
        (
            vec!["--site", "4z", "--dopants", "In", "--fractions", "0.1"],
            "has no site '4z'",
        ),
    ] {
        let mut a = vec!["enumerate", "--framework", SPINEL];
        a.extend(args);
        let out = halo(&a);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let out = halo(&[
        "enumerate",
        "--framework",
        "structures/nope.cif",
        "--site",
        "16d",
        "--dopants",
        "In",
        "--fractions",
        "0.1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.cif"));
}

/// A candidate whose fractions fit no small supercell is listed without orderings, with a note
/// on stderr and its reason under `orderings_skipped`; the others are realised and the command
/// succeeds (one such candidate used to be written with rounded, charged counts).
#[test]
fn orderings_skip_a_candidate_no_small_cell_holds() {
    let out = halo(&[
        "enumerate",
        "--framework",
        SPINEL,
        "--site",
        "16d",
        "--dopants",
        "In",
        "--fractions",
        "0.0015,0.111111111111",
        "--orderings",
        "1",
        "--json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("note: no ordered cell of"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = v["orderings_skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]["formula"].as_str().unwrap().contains("In0.0015"));
    // the undoped framework and In 1/9 are realised
    assert_eq!(v["orderings"].as_array().unwrap().len(), 2);
}

/// What an ordering list does not say by itself is said: orderings tied at the lowest Ewald
/// energy (In for Sc on the spinel's 16d: isovalent, so several of the 20 lowest tie), and random draws
/// that repeated one already drawn (Zr 1/12, 1000 asked at seed 7: a few repeat); more than 1000 is refused
/// naming the flag, before any file is read.
#[test]
fn ordering_lists_say_ties_and_repeated_draws() {
    let run = |extra: &[&str]| {
        let mut args = vec!["enumerate", "--framework", SPINEL, "--site", "16d"];
        args.extend_from_slice(extra);
        halo(&args)
    };
    let text = spinel_text(&[
        "--dopants",
        "In",
        "--fractions",
        "0.333",
        "--orderings",
        "20",
    ]);
    let ties = text
        .lines()
        .find(|l| l.contains(" of the 20 orderings listed tie at the lowest Ewald energy"))
        .unwrap_or_else(|| panic!("{text}"));
    let n: usize = ties.split_whitespace().next().unwrap().parse().unwrap();
    assert!((2..=20).contains(&n), "{ties}");
    let out = run(&[
        "--dopants",
        "Zr",
        "--fractions",
        "0.0833",
        "--orderings",
        "1000",
        "--seed",
        "7",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    // "1000 random orderings asked, N distinct: M draw(s) repeated …" with N + M = 1000, M > 0
    let line = text
        .lines()
        .find(|l| l.contains("1000 random orderings asked, "))
        .unwrap_or_else(|| panic!("{text}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(nums.len(), 3, "{line}");
    assert!(nums[2] > 0 && nums[1] + nums[2] == 1000, "{line}");
    let listed = text
        .lines()
        .find(|l| l.contains("random ") && l.contains(" samples of "))
        .unwrap();
    assert!(
        listed.contains(&format!("random {} samples", nums[1])),
        "{listed}"
    );
    let out = run(&[
        "--dopants",
        "Zr",
        "--fractions",
        "0.0833",
        "--orderings",
        "1001",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--orderings 1001: at most 1000"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ordering supercell is chosen on the lattice, not on the basis moyo returns: the same
/// composition Li2Sc1/3In1/3Cl4 reached from two spinel refinements (In 1/3 on Li2Sc2/3Cl4, and
/// the undoped Li2In1/3Sc1/3Cl4) gets the same cell shape, so the same symmetry and the same
/// number of distinct orderings (it got 111 from one file and 85 from the other).
#[test]
fn the_ordering_cell_does_not_depend_on_the_files_basis() {
    let of = |file: &str, fraction: &str| -> serde_json::Value {
        let out = halo(&[
            "enumerate",
            "--framework",
            file,
            "--site",
            "16d",
            "--dopants",
            "In",
            "--fractions",
            fraction,
            "--orderings",
            "1",
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["orderings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["counts"] == serde_json::json!([8, 2, 2]))
            .cloned()
            .unwrap_or_else(|| panic!("{v}"))
    };
    let a = of(SPINEL, "0.3333");
    let b = of(
        "structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif",
        "0",
    );
    for key in ["group_order", "distinct_orderings", "burnside_count"] {
        assert_eq!(a[key], b[key], "{key}: {a} / {b}");
    }
}

/// A candidate whose only Li share the substituted site (Zr 2/3 on the spinel's 16d) is named
/// in the text table's notes, not only in the JSON's li_note.
#[test]
fn a_candidate_without_li_only_sites_is_noted_in_the_text() {
    let text = spinel_text(&["--dopants", "Zr", "--fractions", "0.6667"]);
    assert!(
        text.contains(": no Li is left on the Li-only sites"),
        "{text}"
    );
    assert_eq!(text.matches("no Li is left").count(), 1, "{text}");
}

/// `halo enumerate` on the bundled spinel's 16d with `extra` flags: its text output, after
/// checking that it succeeded.
fn spinel_text(extra: &[&str]) -> String {
    let mut args = vec!["enumerate", "--framework", SPINEL, "--site", "16d"];
    args.extend_from_slice(extra);
    let out = halo(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
