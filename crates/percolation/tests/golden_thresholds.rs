//! bvlain-mode thresholds on the five bvlain golden models (crates/bvse/tests/data/bvse_golden):
//! exact thresholds within 1e-9 eV, bvlain's printed (bisection-rounded) barriers exactly, and
//! the site graph percolating at exactly the grid thresholds.

use halo_bvse::{landscape, BvseParams};
use halo_core::Structure;
use halo_percolation::{analyze, graph_thresholds, PercolationParams};
use serde_json::Value;
use std::path::PathBuf;

const THRESHOLD_TOL_EV: f64 = 1e-9;

const GOLDEN: [&str; 5] = halo_bvse::reference::BVLAIN_GOLDEN_CASES;

fn golden(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../bvse/tests/data/bvse_golden")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn model(v: &Value) -> Structure {
    serde_json::from_value::<halo_bvse::reference::BvlainModel>(v["model"].clone())
        .expect("golden model")
        .to_structure()
        .expect("valid golden model")
}

#[test]
fn thresholds_match_bvlain_golden() {
    for name in GOLDEN {
        let g = golden(name);
        let land = landscape(&model(&g), &BvseParams::bvlain(0.2)).unwrap();
        let r = analyze(&land, &PercolationParams::default()).unwrap();
        for d in 1..=3 {
            let key = d.to_string();
            let want = g["exact_threshold_eV"][&key].as_f64();
            let got = r.thresholds.get(d);
            match (want, got) {
                (Some(w), Some(x)) => assert!(
                    (w - x).abs() < THRESHOLD_TOL_EV,
                    "{name} E_{d}D: golden {w}, halo {x}"
                ),
                (None, None) => {}
                _ => panic!("{name} E_{d}D: golden {want:?}, halo {got:?}"),
            }
            let printed = g["bvlain_percolation_encut10"][format!("E_{d}D")].as_f64();
            assert_eq!(r.bvlain_rounded.get(d), printed, "{name} bvlain E_{d}D");
        }
        assert_eq!(graph_thresholds(&r.site_graph), r.thresholds, "{name}");
        eprintln!(
            "{name}: {:?}; {} sites, {} edges, {} grid minima",
            r.thresholds,
            r.site_graph.graph.node_count(),
            r.site_graph.graph.edge_count(),
            r.n_grid_minima
        );
    }
}
