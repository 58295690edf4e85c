//! Test fixtures: the framework structures of `structures/` as pymatgen reads them, with
//! formal oxidation states (written by `scripts/reference/enumerate.py`).
#![allow(dead_code)]

use halo_core::{Lattice, Site, Species, Structure};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct FixtureSite {
    pub species: Vec<(String, f64)>,
    pub frac_coords: [f64; 3],
    pub label: Option<String>,
}

#[derive(Deserialize)]
pub struct Fixture {
    pub name: String,
    pub lattice_rows_ang: [[f64; 3]; 3],
    pub sites: Vec<FixtureSite>,
}

pub fn fixtures() -> Vec<Fixture> {
    serde_json::from_str(include_str!("../data/frameworks.json")).expect("frameworks.json")
}

pub fn to_structure(f: &Fixture) -> Structure {
    let sites = f
        .sites
        .iter()
        .map(|s| Site {
            species: s
                .species
                .iter()
                .map(|(n, o)| (Species::parse(n).unwrap(), *o))
                .collect(),
            frac_coords: nalgebra::Vector3::from(s.frac_coords),
            label: s.label.clone(),
        })
        .collect();
    Structure::new(Lattice::from_rows(f.lattice_rows_ang).unwrap(), sites).unwrap()
}

pub fn framework(prefix: &str) -> Structure {
    let all = fixtures();
    let f = all
        .iter()
        .find(|f| f.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no fixture {prefix}"));
    to_structure(f)
}
