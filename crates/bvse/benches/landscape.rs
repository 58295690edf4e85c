//! Landscape timings on real fixtures: bvlain mode at 0.2 Å on the bvlain golden models (the
//! grid bvlain itself uses; compare with scripts/bench/bvse_vs_bvlain.py) and default mode on the
//! Li2In1/3Sc1/3Cl4 spinel at 0.2 and 0.1 Å (≈1.16 M voxels).

use criterion::{criterion_group, criterion_main, Criterion};
use halo_bvse::{landscape, BvseParams};
use halo_core::Structure;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden_model(name: &str) -> Structure {
    let p = root()
        .join("tests/data/bvse_golden")
        .join(format!("{name}.json"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    serde_json::from_value::<halo_bvse::reference::BvlainModel>(v["model"].clone())
        .unwrap()
        .to_structure()
        .unwrap()
}

fn spinel() -> Structure {
    let p = root().join("../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif");
    halo_io::read_structure(&p).unwrap().structure
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("bvse");
    g.sample_size(10);
    for name in [
        "LiCl_rocksalt_a5.13",
        "Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron__ase_dominant_model",
        "LiAlCl4_P21c_COD1004036",
    ] {
        let s = golden_model(name);
        let p = BvseParams::bvlain(0.2);
        g.bench_function(format!("bvlain_mode_0.2/{name}"), |b| {
            b.iter(|| landscape(&s, &p).unwrap())
        });
    }
    let s = spinel();
    for res in [0.2, 0.1] {
        let p = BvseParams {
            resolution_ang: res,
            ..Default::default()
        };
        g.bench_function(format!("default_{res}/Li2In1-3Sc1-3Cl4_spinel"), |b| {
            b.iter(|| landscape(&s, &p).unwrap())
        });
    }
    g.finish();
}

criterion_group!(bvse, benches);
criterion_main!(bvse);
