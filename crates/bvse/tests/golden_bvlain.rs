//! bvlain mode reproduces bvlain 0.25.1 on the five golden models: grid shape, grid minimum and
//! 202 voxel energies each within 1e-6 eV (voxels with |E| > 1e3 eV, on top of atoms, skipped).

mod common;
use common::*;
use halo_bvse::{landscape, BvseParams};

const VOXEL_TOL_EV: f64 = 1e-6;

#[test]
fn voxels_match_bvlain() {
    for name in GOLDEN {
        let g = golden(name);
        let s = golden_model(&g);
        let res = g["resolution"].as_f64().unwrap();
        let land = landscape(&s, &BvseParams::bvlain(res)).unwrap();
        let shape: [usize; 3] = serde_json::from_value(g["grid_shape"].clone()).unwrap();
        assert_eq!(land.shape, shape, "{name}");
        let want_min = g["grid_min_eV"].as_f64().unwrap();
        assert!(
            (land.min_ev() - want_min).abs() < VOXEL_TOL_EV,
            "{name}: min {} vs {want_min}",
            land.min_ev()
        );
        let mut checked = 0;
        let mut worst: f64 = 0.0;
        for p in g["points"].as_array().unwrap() {
            let ijk = ["i", "j", "k"].map(|c| p[c].as_u64().unwrap() as usize);
            let want = p["E_eV"].as_f64().unwrap();
            let got = land.energy_ev(ijk[0], ijk[1], ijk[2]);
            let f = land.frac_coords(ijk[0], ijk[1], ijk[2]);
            for (a, c) in f.iter().zip(["fx", "fy", "fz"]) {
                assert!((a - p[c].as_f64().unwrap()).abs() < 1e-12, "{name} frac");
            }
            if want.abs() > 1e3 {
                assert!(got > 1e3, "{name} {ijk:?}: bvlain {want}, halo {got}");
                continue;
            }
            worst = worst.max((got - want).abs());
            assert!(
                (got - want).abs() < VOXEL_TOL_EV,
                "{name} {ijk:?}: bvlain {want}, halo {got}"
            );
            checked += 1;
        }
        assert!(checked >= 190, "{name}: only {checked} voxels compared");
        eprintln!("{name}: {checked} voxels, worst |ΔE| = {worst:.2e} eV");
    }
}

#[test]
fn exact_evaluation_agrees_with_tables() {
    let g = golden(GOLDEN[1]);
    let s = golden_model(&g);
    let tab = landscape(&s, &BvseParams::bvlain(0.4)).unwrap();
    let exact = landscape(
        &s,
        &BvseParams {
            table_spacing_ang: None,
            ..BvseParams::bvlain(0.4)
        },
    )
    .unwrap();
    for (a, b) in tab.energies_ev.iter().zip(&exact.energies_ev) {
        if b.abs() < 1e3 {
            assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        }
    }
}
