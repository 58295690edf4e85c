//! Shared fixtures: the bvlain golden models (tests/data/bvse_golden, copied from the project's
//! reference set; computed with bvlain 0.25.1).
#![allow(dead_code)]

use halo_core::Structure;
use serde_json::Value;
use std::path::PathBuf;

pub const GOLDEN: [&str; 5] = halo_bvse::reference::BVLAIN_GOLDEN_CASES;

pub fn golden(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bvse_golden")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("golden file")).expect("golden json")
}

pub fn golden_model(v: &Value) -> Structure {
    serde_json::from_value::<halo_bvse::reference::BvlainModel>(v["model"].clone())
        .expect("golden model")
        .to_structure()
        .expect("valid golden model")
}
