//! Percolation sweep (thresholds + merge tree + site graph) on the default-mode landscape of the
//! Li2In1/3Sc1/3Cl4 spinel at 0.2 and 0.1 Å (≈1.16 M voxels).

use criterion::{criterion_group, criterion_main, Criterion};
use halo_bvse::{landscape, BvseParams};
use halo_percolation::{analyze, PercolationParams};
use std::path::PathBuf;

fn benches(c: &mut Criterion) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    let s = halo_io::read_structure(&p).unwrap().structure;
    let mut g = c.benchmark_group("percolation");
    g.sample_size(10);
    for res in [0.2, 0.1] {
        let land = landscape(
            &s,
            &BvseParams {
                resolution_ang: res,
                ..Default::default()
            },
        )
        .unwrap();
        g.bench_function(format!("analyze_{res}/Li2In1-3Sc1-3Cl4_spinel"), |b| {
            b.iter(|| analyze(&land, &PercolationParams::default()).unwrap())
        });
    }
    g.finish();
}

criterion_group!(percolation, benches);
criterion_main!(percolation);
