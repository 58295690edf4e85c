//! A CIF that names its space group but lists no symmetry operations: the operations are
//! generated from the group (moyo's Hall-symbol database), and must give the structure the file
//! gives with its listed operations; a setting the file leaves open where the choice moves atoms
//! (two origins) is refused, never guessed.

use halo_io::cif::{parse_cif, CifOptions};
use halo_io::LoadedStructure;
use std::path::PathBuf;

mod common;
use common::cif_text;

/// Type symbol and fractional coordinates.
const XYZ: [&str; 4] = ["type_symbol", "fract_x", "fract_y", "fract_z"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(text: &str, name: &str) -> Result<LoadedStructure, String> {
    parse_cif(text, name, &CifOptions::default()).map_err(|e| e.to_string())
}

/// The file without its loop of symmetry operations.
fn strip_operations(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let next = lines.get(i + 1).map(|l| l.to_ascii_lowercase());
        if lines[i].trim() == "loop_"
            && next.as_deref().is_some_and(|n| {
                n.contains("_symmetry_equiv_pos") || n.contains("_space_group_symop")
            })
        {
            i += 1;
            while i < lines.len() && lines[i].trim_start().starts_with('_') {
                i += 1;
            }
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && !lines[i].trim_start().starts_with('_')
                && lines[i].trim() != "loop_"
            {
                i += 1;
            }
            continue;
        }
        out.push(lines[i]);
        i += 1;
    }
    out.join("\n") + "\n"
}

/// Sites as sorted (species and occupancies, fractional coordinates to 1e-6).
fn fingerprint(l: &LoadedStructure) -> Vec<String> {
    let mut v: Vec<String> = l
        .structure
        .sites
        .iter()
        .map(|s| {
            let sp: Vec<String> = s
                .species
                .iter()
                .map(|(sp, o)| format!("{sp}:{o:.6}"))
                .collect();
            let c = s.frac_coords.map(|x| {
                let y = x.rem_euclid(1.0);
                if (1.0 - y) < 1e-6 {
                    0.0
                } else {
                    y
                }
            });
            format!("{} {:.6} {:.6} {:.6}", sp.join(","), c.x, c.y, c.z)
        })
        .collect();
    v.sort();
    v
}

fn replace_line(text: &str, tag: &str, new: &str) -> String {
    text.lines()
        .map(|l| {
            if l.to_ascii_lowercase()
                .starts_with(&tag.to_ascii_lowercase())
            {
                new.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Every bundled CIF that names a group with one setting for its symbol (C2/m, P2_1/c, C2/c,
/// Fm-3m) reads to the same structure without its operations, with a note naming the tag.
#[test]
fn a_named_group_gives_the_listed_operations_structure() {
    let files = [
        "structures/Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron.cif",
        "structures/Li3In2-3Sc1-3Cl6_C2m_Zhou2022_SCXRD.cif",
        "structures/LiAlCl4_P21c_COD1004036.cif",
        "tests/validation/structures/Li3AlF6_C2c_obelix-l9v_obx-l9v.cif",
        "tests/validation/structures/LiF_Fm-3m_cod9008667-ncrystal_liv-2031.cif",
    ];
    for f in files {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        let listed = read(&text, f).unwrap();
        let named = read(&strip_operations(&text), f).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(fingerprint(&listed), fingerprint(&named), "{f}");
        assert!(
            named
                .warnings
                .iter()
                .any(|w| w.contains("no symmetry operations listed")
                    && w.contains("_symmetry_space_group_name_h-m")),
            "{f}: {:?}",
            named.warnings
        );
    }
}

/// A number whose group has many settings is refused even with stated multiplicities when
/// they fit several of them (LiAlCl4: every atom on a general position, four images in each of
/// the 9 settings of group 14).
#[test]
fn a_number_alone_is_refused_where_multiplicities_do_not_choose() {
    let f = "structures/LiAlCl4_P21c_COD1004036.cif";
    let text = std::fs::read_to_string(root().join(f)).unwrap();
    let number_only: String = strip_operations(&text)
        .lines()
        .filter(|l| !l.starts_with("_symmetry_space_group_name_H-M"))
        .collect::<Vec<_>>()
        .join("\n");
    let e = read(&number_only, "n.cif").unwrap_err();
    assert!(
        e.contains("field _symmetry_int_tables_number: space group 14 is given by its number alone and has 9 settings"),
        "{e}"
    );
}

/// Fd-3m has two origins. The spinel without its operations takes the one under which every row
/// has its stated multiplicity (origin 1, the file's); without the multiplicities it is refused
/// naming the choice; with the file's origin given it is the file's structure, and the other
/// origin is another structure.
#[test]
fn two_origins_are_refused_unless_the_file_chooses() {
    let f = "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif";
    let text = std::fs::read_to_string(root().join(f)).unwrap();
    let listed = read(&text, f).unwrap();
    let with_multiplicities = read(&strip_operations(&text), "spinel.cif").unwrap();
    assert_eq!(fingerprint(&with_multiplicities), fingerprint(&listed));
    assert!(
        with_multiplicities.warnings.iter().any(|w| w.contains(
            "setting '1', the one of its 2 settings that gives every row its stated \
             _atom_site_symmetry_multiplicity"
        )),
        "{:?}",
        with_multiplicities.warnings
    );
    // the same file without the multiplicity column
    let stripped: String = strip_operations(&text)
        .lines()
        .filter(|l| l.trim() != "_atom_site_symmetry_multiplicity")
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() == 7 && ["Li", "Sc", "Cl"].contains(&w[0]) {
                format!("{} {} {}", w[0], w[1], w[3..].join(" "))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let e = read(&stripped, "spinel.cif").unwrap_err();
    assert!(
        e.contains("spinel.cif, line 7, field _symmetry_space_group_name_h-m")
            && e.contains("two origin choices")
            && e.contains(":1"),
        "{e}"
    );
    let tag = "_symmetry_space_group_name_H-M";
    let one = replace_line(&stripped, tag, &format!("{tag} 'F d -3 m :1'"));
    assert_eq!(
        fingerprint(&read(&one, "o1.cif").unwrap()),
        fingerprint(&listed)
    );
    let two = read(
        &replace_line(
            &strip_operations(&text),
            tag,
            &format!("{tag} 'F d -3 m :2'"),
        ),
        "o2.cif",
    )
    .unwrap();
    assert_ne!(fingerprint(&two), fingerprint(&listed));
    // the file's stated multiplicities say that origin is not the coordinates'
    assert!(
        two.warnings.iter().any(|w| w.contains(
            "site Li1 has multiplicity 16 in the file (_atom_site_symmetry_multiplicity) but 8 \
             images"
        )),
        "{:?}",
        two.warnings
    );
    assert!(!listed.warnings.iter().any(|w| w.contains("multiplicity")));
    // origin choice 1 as some programs write it (`S`; `Z` is choice 2)
    let s_origin = replace_line(&stripped, tag, &format!("{tag} 'F d -3 m S'"));
    assert_eq!(
        fingerprint(&read(&s_origin, "s.cif").unwrap()),
        fingerprint(&listed)
    );
    // the coordinate-system code chooses as the suffix does
    let code = format!("{stripped}_space_group_IT_coordinate_system_code 1\n");
    assert_eq!(
        fingerprint(&read(&code, "code.cif").unwrap()),
        fingerprint(&listed)
    );
}

fn rock_salt(group: &str) -> Result<LoadedStructure, String> {
    let text = cif_text(
        [4.03, 4.03, 4.03, 90.0, 90.0, 90.0],
        group,
        &XYZ,
        &["Li1 Li+ 0 0 0", "F1 F- 0.5 0.5 0.5"],
    );
    read(&text, "LiF.cif")
}

/// The number alone, the Hall symbol alone and the symbol give the same rock salt; a number
/// with several settings is refused, and so are a number that contradicts the symbol and a
/// symbol that is none.
#[test]
fn numbers_hall_symbols_and_bad_designations() {
    let by_symbol = rock_salt("_symmetry_space_group_name_H-M 'F m -3 m'").unwrap();
    assert_eq!(by_symbol.structure.num_sites(), 8);
    for g in [
        "_space_group_IT_number 225",
        "_symmetry_Int_Tables_number 225",
        "_space_group_name_Hall '-F 4 2 3'",
        "_space_group_name_H-M_alt 'Fm-3m'\n_space_group_IT_number 225",
    ] {
        let l = rock_salt(g).unwrap_or_else(|e| panic!("{g}: {e}"));
        assert_eq!(fingerprint(&l), fingerprint(&by_symbol), "{g}");
    }
    // P1, named or numbered: the identity
    for g in [
        "_symmetry_space_group_name_H-M 'P 1'",
        "_space_group_IT_number 1",
    ] {
        assert_eq!(rock_salt(g).unwrap().structure.num_sites(), 2, "{g}");
    }
    for (g, needle) in [
        (
            "_space_group_IT_number 12",
            "LiF.cif, line 8, field _space_group_it_number: space group 12 is given by its number \
             alone and has 9 settings",
        ),
        (
            "_symmetry_space_group_name_H-M 'F m -3 m'\n_symmetry_Int_Tables_number 221",
            "LiF.cif, line 9, field _symmetry_int_tables_number: space group number 221 \
             contradicts",
        ),
        (
            "_symmetry_space_group_name_H-M 'Q 9'",
            "line 8, field _symmetry_space_group_name_h-m: space group 'Q 9' is not a \
             Hermann–Mauguin symbol",
        ),
        (
            "_space_group_IT_number 231",
            "231 is not a space-group number (1–230)",
        ),
        // a malformed number beside a symbol is not passed over
        (
            "_symmetry_space_group_name_H-M 'F m -3 m'\n_symmetry_Int_Tables_number 22x",
            "LiF.cif, line 9, field _symmetry_int_tables_number: '22x' is not a space-group number",
        ),
        (
            "_space_group_name_Hall 'x y z'",
            "'x y z' is not the Hall symbol of one of the 530 settings",
        ),
        (
            "_symmetry_space_group_name_H-M 'F m -3 m :2'",
            "has no setting '2'",
        ),
    ] {
        let e = rock_salt(g).map(|_| ()).unwrap_err();
        assert!(e.contains(needle), "{g}: {e}");
    }
}

/// An R group takes hexagonal axes from a hexagonal cell; `P 21/n` (a short symbol of a
/// non-standard setting) is found by its full symbol `P 1 21/n 1`.
#[test]
fn rhombohedral_axes_from_the_cell_and_short_monoclinic_symbols() {
    let hex = cif_text(
        [3.0, 3.0, 14.0, 90.0, 90.0, 120.0],
        "_symmetry_space_group_name_H-M 'R -3 m'",
        &XYZ,
        &["Li1 Li+ 0 0 0", "Cl1 Cl- 0 0 0.25"],
    );
    let l = read(&hex, "hex.cif").unwrap();
    // 3a and 6c of R-3m (hexagonal axes): 3 Li and 6 Cl
    assert_eq!(l.structure.num_sites(), 9, "{:?}", l.warnings);
    assert!(l.warnings.iter().any(|w| w.contains("setting 'H'")));
    for written in ["'R -3 m :H'", "'R -3 m H'"] {
        let explicit = read(&hex.replace("'R -3 m'", written), "hex.cif").unwrap();
        assert_eq!(fingerprint(&l), fingerprint(&explicit), "{written}");
    }
    let mono = cif_text(
        [5.0, 6.0, 7.0, 90.0, 95.0, 90.0],
        "_symmetry_space_group_name_H-M 'P 21/n'",
        &XYZ,
        &["Li1 Li+ 0.1 0.2 0.3", "Cl1 Cl- 0.3 0.1 0.2"],
    );
    let l = read(&mono, "mono.cif").unwrap();
    assert_eq!(l.structure.num_sites(), 8);
    assert!(
        l.warnings.iter().any(|w| w.contains("setting 'b2'")),
        "{:?}",
        l.warnings
    );
    // (x, y, z), (-x, -y, -z), (1/2-x, 1/2+y, 1/2-z), (1/2+x, 1/2-y, 1/2+z) of P 1 21/n 1
    let has = |x: f64, y: f64, z: f64| {
        l.structure.sites.iter().any(|s| {
            let d = s.frac_coords - nalgebra::Vector3::new(x, y, z);
            d.map(|v| v - v.round()).norm() < 1e-9
        })
    };
    assert!(has(0.1, 0.2, 0.3) && has(0.9, 0.8, 0.7) && has(0.4, 0.7, 0.2) && has(0.6, 0.3, 0.8));
}

/// All 230 groups, by pymatgen's symbol of its default setting, generate as many images of a
/// general position as pymatgen's own operations do
/// (`tests/data/spacegroup_orbits_reference.json`, `scripts/reference/spacegroup_orbits_pymatgen.py`);
/// a group with two origins is given one (the count does not depend on it). The position
/// (0.4222, 0.8121, 0.7194) lies at least 0.0149 from every plane x, y, z, x ± y, … = k/8, and
/// the cells are large (50–70 Å), so that no image lies within the reader's 1 Å of another,
/// which it would take for a noisy special position.
#[test]
fn every_group_matches_pymatgen_on_a_general_position() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/spacegroup_orbits_reference.json"))
            .unwrap(),
    )
    .unwrap();
    let groups = reference["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 230);
    for g in groups {
        let symbol = g["symbol"].as_str().unwrap();
        let cell = match g["crystal_system"].as_str().unwrap() {
            "triclinic" => [50.0, 60.0, 70.0, 80.0, 85.0, 95.0],
            "monoclinic" => [50.0, 60.0, 70.0, 90.0, 95.0, 90.0],
            "orthorhombic" => [50.0, 60.0, 70.0, 90.0, 90.0, 90.0],
            "tetragonal" => [50.0, 50.0, 70.0, 90.0, 90.0, 90.0],
            "trigonal" | "hexagonal" => [50.0, 50.0, 70.0, 90.0, 90.0, 120.0],
            "cubic" => [60.0, 60.0, 60.0, 90.0, 90.0, 90.0],
            other => panic!("{other}"),
        };
        let cif = |s: &str| {
            cif_text(
                cell,
                &format!("_symmetry_space_group_name_H-M '{s}'"),
                &XYZ,
                &["Li1 Li+ 0.4222 0.8121 0.7194"],
            )
        };
        let number = g["number"].as_i64().unwrap() as i32;
        let l = match read(&cif(symbol), "g.cif") {
            Err(e) if e.contains("two origin choices") => {
                read(&cif(&format!("{symbol}:2")), "g.cif")
            }
            // a symbol that fits settings with different operations (the e-glide groups: Cmme
            // is written for C m m a and C m m b): the standard setting's Hall symbol
            Err(e) if e.contains("settings") => {
                let hall = moyo::data::Setting::Standard
                    .hall_number(number)
                    .and_then(moyo::data::hall_symbol_entry)
                    .unwrap()
                    .hall_symbol;
                read(
                    &cif(symbol).replace(
                        &format!("_symmetry_space_group_name_H-M '{symbol}'"),
                        &format!("_space_group_name_Hall '{hall}'"),
                    ),
                    "g.cif",
                )
            }
            r => r,
        }
        .unwrap_or_else(|e| panic!("{symbol} ({}): {e}", g["number"]));
        assert_eq!(
            l.structure.num_sites() as u64,
            g["general_orbit"].as_u64().unwrap(),
            "{symbol} ({})",
            g["number"]
        );
    }
}
