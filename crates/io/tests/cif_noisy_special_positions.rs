//! A special position written with noise on its coordinates (as hand-made or scripted noisy
//! copies of a refinement can be) splits into a cluster of images under the file's symmetry
//! operations; the reader merges a cluster back to its centre when its occupancies add up to
//! more than one atom, and keeps a split-site model (whose members share one atom) as it is.

use halo_io::cif::{parse_cif, CifOptions};
use halo_io::LoadedStructure;
use std::path::PathBuf;

mod common;
use common::cif_text;

fn read(text: &str, name: &str) -> LoadedStructure {
    parse_cif(text, name, &CifOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const OCCUPANCY: [&str; 5] = ["type_symbol", "fract_x", "fract_y", "fract_z", "occupancy"];
const STATED: [&str; 6] = [
    "type_symbol",
    "symmetry_multiplicity",
    "fract_x",
    "fract_y",
    "fract_z",
    "occupancy",
];
const FM3M: &str = "_symmetry_space_group_name_H-M 'F m -3 m'";
const CELL: [f64; 6] = [5.13, 5.13, 5.13, 90.0, 90.0, 90.0];

/// Rock-salt LiCl in Fm-3m with `li_row` for its Li (the row on line 16).
fn rock_salt(li_row: &str) -> String {
    cif_text(CELL, FM3M, &OCCUPANCY, &[li_row, "Cl1 Cl- 0.5 0.5 0.5 1"])
}

/// The same with `_atom_site_symmetry_multiplicity` stated (Cl on 4b: 4).
fn rock_salt_stated(li_row: &str) -> String {
    cif_text(CELL, FM3M, &STATED, &[li_row, "Cl1 Cl- 4 0.5 0.5 0.5 1"])
}

fn li_per_cell(l: &LoadedStructure) -> f64 {
    l.structure
        .sites
        .iter()
        .flat_map(|s| s.species.iter())
        .filter(|(sp, _)| sp.element.symbol() == "Li")
        .map(|(_, o)| o)
        .sum()
}

#[test]
fn a_noisy_special_position_is_merged_back_and_a_split_site_is_kept() {
    // Li on 4a written at (0.01, 0, 0): 24 images in clusters of six, 0.07 Å apart
    let l = read(&rock_salt("Li1 Li+ 0.01 0 0 1"), "noisy.cif");
    assert_eq!(l.structure.num_sites(), 8);
    assert!((li_per_cell(&l) - 4.0).abs() < 1e-12);
    assert!(l.charge.as_ref().unwrap().neutral);
    // the centre of each cluster is the special position itself
    for s in l
        .structure
        .sites
        .iter()
        .filter(|s| s.label.as_deref() == Some("Li1"))
    {
        let d = s.frac_coords.map(|x| x - x.round());
        let on_fcc = [d.x, d.y, d.z]
            .iter()
            .all(|&v| (v.abs() < 1e-12) || ((v.abs() - 0.5).abs() < 1e-12));
        assert!(on_fcc, "{:?}", s.frac_coords);
    }
    assert!(
        l.warnings.iter().any(|w| w.contains("noisy.cif, line 16")
            && w.contains("24 images of site Li1")
            && w.contains("4 groups")),
        "{:?}",
        l.warnings
    );
    // a special position with little occupancy and noise: its groups of six hold less than one
    // atom's occupancy (6 × 0.15), so only a stated multiplicity tells it from a split site
    let sparse = read(&rock_salt("Li1 Li+ 0.01 0 0 0.15"), "sparse.cif");
    assert_eq!(sparse.structure.num_sites(), 28);
    let sparse = read(
        &rock_salt_stated("Li1 Li+ 4 0.01 0 0 0.15"),
        "sparse_stated.cif",
    );
    assert_eq!(sparse.structure.num_sites(), 8);
    assert!((li_per_cell(&sparse) - 0.6).abs() < 1e-12);
    assert!(sparse
        .warnings
        .iter()
        .any(|w| w.contains("in 4 groups (the file's stated multiplicity")));
    // a split-site model: six positions around 4a holding one Li between them
    let l = read(&rock_salt("Li1 Li+ 0.03 0 0 0.1666667"), "split.cif");
    assert_eq!(l.structure.num_sites(), 28);
    assert!((li_per_cell(&l) - 4.0).abs() < 1e-5);
    assert!(!l.warnings.iter().any(|w| w.contains("images of site")));
    // a split site whose members' occupancies add up to a little more than one atom is kept
    // when the file states the split multiplicity
    let split = rock_salt_stated("Li1 Li+ 24 0.03 0 0 0.18");
    let l = read(&split, "split_stated.cif");
    assert_eq!(l.structure.num_sites(), 28);
    assert!(!l.warnings.iter().any(|w| w.contains("images of site")));
}

/// The spinel's Cl (32e, x x x) written off its threefold axis: merged back onto it, the
/// structure is the refinement's again, within the noise projected onto the axis.
#[test]
fn a_noisy_anion_of_the_spinel_returns_to_its_axis() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let f = root.join("structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif");
    let text = std::fs::read_to_string(&f).unwrap();
    let original = read(&text, "spinel.cif");
    assert!(text.contains("0.12065000  0.12065000  0.87935000"));
    let noisy = read(
        &text.replace(
            "0.12065000  0.12065000  0.87935000",
            "0.12265000  0.11965000  0.87835000",
        ),
        "noisy_spinel.cif",
    );
    assert_eq!(noisy.structure.num_sites(), original.structure.num_sites());
    let cl = |l: &LoadedStructure| -> Vec<f64> {
        l.structure
            .sites
            .iter()
            .filter(|s| s.label.as_deref() == Some("Cl5"))
            .map(|s| s.frac_coords.x)
            .collect()
    };
    assert_eq!(cl(&noisy).len(), 32);
    // 32e of Fd-3m has every coordinate at ±x + k/4 (mod 1); the noisy row's three
    // coordinates (0.12265, 0.11965, 1 - 0.87835) average to x = 0.12132 on its threefold axis
    let on_orbit = |l: &LoadedStructure, x: f64| {
        l.structure
            .sites
            .iter()
            .filter(|s| s.label.as_deref() == Some("Cl5"))
            .all(|s| {
                [s.frac_coords.x, s.frac_coords.y, s.frac_coords.z]
                    .iter()
                    .all(|&a| {
                        (0..4).any(|k| {
                            [x, -x].iter().any(|&v| {
                                let d = a - v - k as f64 / 4.0;
                                (d - d.round()).abs() < 2e-5
                            })
                        })
                    })
            })
    };
    assert!(on_orbit(&original, 0.12065));
    assert!(on_orbit(&noisy, 0.12132));
    assert!(!on_orbit(&noisy, 0.12065));
    assert!(noisy
        .warnings
        .iter()
        .any(|w| w.contains("site Cl5")
            && w.contains("in 32 groups (the file's stated multiplicity")));
}
