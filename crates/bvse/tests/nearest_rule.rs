//! Both modes against a brute-force evaluation of every grid point (exact pair terms): every
//! framework atom within the cutoff (default mode), or only the 100 nearest strictly within it
//! (bvlain mode). This checks the tile classification (images in, out, or ranked per point)
//! on whole grids, including the symmetric rock salt where many distances tie.

mod common;
use common::*;
use halo_bvse::{landscape, BvseParams, Framework, GridMode};
use halo_core::Structure;
use nalgebra::Vector3;

/// (r, kind) of every framework atom image within `rc` of Cartesian `p`.
fn neighbours(s: &Structure, fw: &Framework, p: Vector3<f64>, rc: f64) -> Vec<(f64, usize)> {
    let m = s.lattice.matrix();
    let w = s.lattice.perpendicular_widths_ang();
    let n = [0, 1, 2].map(|a| (rc / w[a]).ceil() as i32 + 1);
    let mut out = Vec::new();
    for site in &fw.sites {
        let x0 = s.lattice.cart(&site.frac_coords);
        for i in -n[0]..=n[0] {
            for j in -n[1]..=n[1] {
                for k in -n[2]..=n[2] {
                    let t = (m.row(0) * i as f64 + m.row(1) * j as f64 + m.row(2) * k as f64)
                        .transpose();
                    let r = (x0 + t - p).norm();
                    if r < rc {
                        out.push((r, site.kind));
                    }
                }
            }
        }
    }
    out
}

fn check(s: &Structure, params: BvseParams) {
    let land = landscape(s, &params).unwrap();
    let fw = Framework::new(s, &params).unwrap();
    let d = land.periodic_shape();
    let mut worst: f64 = 0.0;
    for i in 0..land.shape[0] {
        for j in 0..land.shape[1] {
            for k in 0..land.shape[2] {
                let f = Vector3::new(
                    i as f64 / d[0] as f64,
                    j as f64 / d[1] as f64,
                    k as f64 / d[2] as f64,
                );
                let mut nb = neighbours(s, &fw, s.lattice.cart(&f), params.cutoff_ang);
                if params.mode == GridMode::Bvlain {
                    nb.sort_by(|a, b| a.0.total_cmp(&b.0));
                    nb.truncate(params.bvlain_max_neighbors);
                }
                let want: f64 = nb
                    .iter()
                    .map(|&(r, kind)| fw.kinds[kind].energy_ev(r))
                    .sum();
                let got = land.energy_ev(i, j, k);
                if want.abs() > 1e3 {
                    assert!(
                        got > 1e3,
                        "{:?} ({i},{j},{k}): {got} vs {want}",
                        params.mode
                    );
                    continue;
                }
                worst = worst.max((got - want).abs());
                assert!(
                    (got - want).abs() < 1e-9,
                    "{:?} ({i},{j},{k}): {got} vs {want}",
                    params.mode
                );
            }
        }
    }
    eprintln!("{:?}: worst |ΔE| = {worst:.1e} eV", params.mode);
}

#[test]
fn whole_grids_match_brute_force() {
    for (name, resolution_ang) in [
        ("LiCl_rocksalt_a5.13", 0.45),
        ("LiCl_rocksalt_a5.13", 0.2),
        ("LiAlCl4_P21c_COD1004036", 0.45),
    ] {
        let s = golden_model(&golden(name));
        for mode in [GridMode::Default, GridMode::Bvlain] {
            check(
                &s,
                BvseParams {
                    resolution_ang,
                    mode,
                    table_spacing_ang: None,
                    ..Default::default()
                },
            );
        }
    }
}
