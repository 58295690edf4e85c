//! halo-core's Ewald sum against pymatgen's `EwaldSummation` (scripts/reference/ewald_pymatgen.py →
//! tests/data/ewald_reference.json): total energy and every site energy within 1e-4 eV.

use halo_core::ewald::{ewald, EwaldParams};
use halo_core::{Lattice, Species, Structure};
use halo_io::cif::{read_cif, CifOptions};
use nalgebra::Vector3;
use serde_json::Value;
use std::path::PathBuf;

/// Agreement required with pymatgen's `EwaldSummation`, eV (docs/physics.md §2.5).
const EWALD_TOLERANCE_EV: f64 = 1e-4;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(root().join("tests/data/ewald_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rocksalt() -> Structure {
    let li = Species::parse("Li+").unwrap();
    let cl = Species::parse("Cl-").unwrap();
    let fcc = [
        [0.0, 0.0, 0.0],
        [0.0, 0.5, 0.5],
        [0.5, 0.0, 0.5],
        [0.5, 0.5, 0.0],
    ];
    let mut atoms = vec![];
    for f in fcc {
        atoms.push((li, f));
    }
    for f in fcc {
        atoms.push((cl, [f[0] + 0.5, f[1] + 0.5, f[2] + 0.5]));
    }
    Structure::from_spacegroup_free(Lattice::cubic(5.13), atoms).unwrap()
}

fn check(name: &str, s: &Structure) {
    let r = reference();
    let case = &r["cases"][name];
    let got = ewald(s, EwaldParams::default()).unwrap();
    let want = case["total_energy_ev"].as_f64().unwrap();
    assert!(
        (got.total_energy_ev - want).abs() < EWALD_TOLERANCE_EV,
        "{name}: halo {} eV, pymatgen {want} eV",
        got.total_energy_ev
    );
    let eta = case["eta_per_ang2"].as_f64().unwrap();
    assert!((got.eta_per_ang2 - eta).abs() < 1e-9 * eta, "{name}: eta");
    let sites = case["sites"].as_array().unwrap();
    assert_eq!(sites.len(), s.num_sites(), "{name}: site count");
    let mut worst: f64 = 0.0;
    for ref_site in sites {
        let f: Vec<f64> = ref_site["frac_coords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let p = Vector3::new(f[0], f[1], f[2]);
        // match by position (the two readers may order sites differently)
        let i = (0..s.num_sites())
            .find(|&i| {
                let d = (s.sites[i].frac_coords - p).map(|x| x - x.round());
                d.norm() < 1e-6
            })
            .unwrap_or_else(|| panic!("{name}: no halo site at {p:?}"));
        assert_eq!(
            s.sites[i].species_string(),
            ref_site["species"].as_str().unwrap(),
            "{name}: species at {p:?}"
        );
        let e = ref_site["site_energy_ev"].as_f64().unwrap();
        worst = worst.max((got.site_energies_ev[i] - e).abs());
    }
    eprintln!(
        "{name}: total {:.8} eV (pymatgen {want:.8}, diff {:.2e}); worst site diff {worst:.2e} eV",
        got.total_energy_ev,
        got.total_energy_ev - want
    );
    assert!(
        worst < EWALD_TOLERANCE_EV,
        "{name}: site energies differ from pymatgen by up to {worst} eV"
    );
}

#[test]
fn rocksalt_licl_matches_pymatgen() {
    check("rocksalt_LiCl_a5.13", &rocksalt());
}

#[test]
fn licl_alcl4_matches_pymatgen() {
    let s = read_cif(
        &root().join("structures/LiAlCl4_P21c_COD1004036.cif"),
        &CifOptions::default(),
    )
    .unwrap()
    .structure;
    check("LiAlCl4_P21c_COD1004036", &s);
}

#[test]
fn ordered_spinel_matches_pymatgen() {
    let s = read_cif(
        &root().join("tests/data/spinel_Li17Sc5Cl32_ordered_P1.cif"),
        &CifOptions::default(),
    )
    .unwrap()
    .structure;
    assert_eq!(s.composition().reduced_formula(), "Li17Sc5Cl32");
    check("spinel_Li17Sc5Cl32_ordered_P1", &s);
}
