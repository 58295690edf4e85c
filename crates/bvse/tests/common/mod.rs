//! Shared fixtures: the bvlain golden models (tests/data/bvse_golden, copied from the project's
//! reference set; computed with bvlain 0.25.1).
#![allow(dead_code)]

use halo_core::{Lattice, Species, Structure};
use serde_json::Value;
use std::path::PathBuf;

pub const GOLDEN: [&str; 5] = [
    "Li2CrCl4_C2c_OBELiX-4kt_perturbed",
    "Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron__ase_dominant_model",
    "LiAlCl4_P21c_COD1004036",
    "LiCl_rocksalt_a5.13",
    "LiGaBr4_P21c_OBELiX-be9_perturbed",
];

pub fn golden(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bvse_golden")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("golden file")).expect("golden json")
}

pub fn golden_model(v: &Value) -> Structure {
    let m = &v["model"];
    let rows: [[f64; 3]; 3] = serde_json::from_value(m["cell_rows_A"].clone()).unwrap();
    let species: Vec<String> = serde_json::from_value(m["species"].clone()).unwrap();
    let oxi: Vec<i8> = serde_json::from_value(m["oxi"].clone()).unwrap();
    let frac: Vec<[f64; 3]> = serde_json::from_value(m["frac"].clone()).unwrap();
    let atoms = species
        .iter()
        .zip(oxi)
        .zip(frac)
        .map(|((s, q), f)| {
            let el = Species::parse(s).unwrap().element;
            (Species::new(el, q), f)
        })
        .collect();
    Structure::from_spacegroup_free(Lattice::from_rows(rows).unwrap(), atoms).unwrap()
}
