//! Property tests: the CIF and POSCAR readers never panic on mutated text (truncations,
//! deletions, insertions of CIF-significant characters, line duplications and swaps); they
//! return a structure or an error. Case counts are bounded so this runs in seconds in CI.

use halo_io::cif::{parse_cif, CifOptions};
use halo_io::poscar::parse_poscar;
use proptest::prelude::*;

const LIALCL4: &str = include_str!("../../../structures/LiAlCl4_P21c_COD1004036.cif");
const SPINEL: &str = include_str!("../../../structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
const POSCAR: &str = include_str!("data/roundtrip/LiAlCl4_P21c_COD1004036.vasp");

/// One edit of the text.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    ReplaceNumber(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let junk = prop::collection::vec(
        prop::sample::select(vec![
            "'", "\"", ";", "\n;", "#", "_", "loop_", "data_x", "(", ")", "?", ".", "-", "/0", " ",
            "\n", "x", "1e308", "-0", "Xx", "é", "0/0", ",", "save_",
        ]),
        1..4,
    )
    .prop_map(|v| v.concat());
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), junk.clone()).prop_map(|(a, s)| Mutation::Insert(a, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "0", "-1", "1e30", "nan", "inf", "0.5(", "?", "180", "1e-30"
            ])
            .prop_map(str::to_string)
        )
            .prop_map(|(a, s)| Mutation::ReplaceNumber(a, s)),
    ]
}

fn boundary(text: &str, i: usize) -> usize {
    let mut i = i % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut t = text.to_string();
    for m in muts {
        match m {
            Mutation::Truncate(i) => {
                let i = boundary(&t, *i);
                t.truncate(i);
            }
            Mutation::Delete(a, n) => {
                let a = boundary(&t, *a);
                let b = boundary(&t, (a + n).min(t.len()));
                if b > a {
                    t.replace_range(a..b, "");
                }
            }
            Mutation::Insert(a, s) => {
                let a = boundary(&t, *a);
                t.insert_str(a, s);
            }
            Mutation::DuplicateLine(i)
            | Mutation::SwapLines(i, _)
            | Mutation::ReplaceNumber(i, _) => {
                let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
                if lines.is_empty() {
                    continue;
                }
                let k = i % lines.len();
                match m {
                    Mutation::DuplicateLine(_) => lines.insert(k, lines[k].clone()),
                    Mutation::SwapLines(_, j) => {
                        let n = lines.len();
                        lines.swap(k, j % n)
                    }
                    Mutation::ReplaceNumber(_, s) => {
                        let words: Vec<&str> = lines[k].split_whitespace().collect();
                        if let Some(w) = words.iter().position(|w| w.parse::<f64>().is_ok()) {
                            let mut ws: Vec<String> = words.iter().map(|x| x.to_string()).collect();
                            ws[w] = s.clone();
                            lines[k] = ws.join(" ");
                        }
                    }
                    _ => {}
                }
                t = lines.join("\n");
            }
        }
    }
    t
}

proptest! {
    // 1000 cases (≈0.5 s); more with HALO_FUZZ_CASES=N for a longer local run
    #![proptest_config(ProptestConfig {
        cases: std::env::var("HALO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn cif_reader_never_panics(muts in prop::collection::vec(mutation(), 1..4), spinel in any::<bool>()) {
        let text = apply(if spinel { SPINEL } else { LIALCL4 }, &muts);
        // Ok or Err, both fine; a panic fails the property
        if let Ok(l) = parse_cif(&text, "mutated.cif", &CifOptions::default()) {
            prop_assert!(l.structure.num_sites() > 0);
            prop_assert!(l.structure.volume_ang3() > 0.0);
        }
    }

    /// A file with no operations and a designation of random tokens (Hall and Hermann–Mauguin
    /// pieces, setting suffixes, numbers): generated operations or an error, never a panic.
    #[test]
    fn space_group_designations_never_panic(
        tokens in prop::collection::vec(prop::sample::select(vec![
            "-", "P", "F", "I", "R", "C", "A", "4", "2", "3", "6", "1", "d", "v", "w", "c", "n",
            "b", "m", "x", "y", "z", "\"", "^", "=", "*", "(", ")", "0 0 1", "11", "12", "-1",
            " ", "/", "_", ":", ":1", ":2", ":H", ":R", "b1", "230", "0", "1e3", "é",
        ]), 0..10),
        tag in prop::sample::select(vec![
            "_space_group_name_Hall",
            "_symmetry_space_group_name_H-M",
            "_space_group_IT_number",
            "_space_group_IT_coordinate_system_code",
        ]),
    ) {
        let value = tokens.concat().replace('\'', "");
        let text = format!(
            "data_x\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n\
             _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
             {tag} '{value}'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n\
             _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
             Li1 Li+ 0.1 0.2 0.3\nCl1 Cl- 0.6 0.7 0.8\n"
        );
        if let Ok(l) = parse_cif(&text, "designation.cif", &CifOptions::default()) {
            prop_assert!(l.structure.num_sites() >= 2);
        }
    }

    #[test]
    fn poscar_reader_never_panics(muts in prop::collection::vec(mutation(), 1..4)) {
        let text = apply(POSCAR, &muts);
        if let Ok(l) = parse_poscar(&text, "POSCAR") {
            prop_assert!(l.structure.num_sites() > 0);
        }
    }
}

#[test]
fn unmutated_inputs_parse() {
    assert!(parse_cif(LIALCL4, "a.cif", &CifOptions::default()).is_ok());
    assert!(parse_cif(SPINEL, "b.cif", &CifOptions::default()).is_ok());
    assert_eq!(
        parse_poscar(POSCAR, "POSCAR")
            .unwrap()
            .structure
            .num_sites(),
        24
    );
}
