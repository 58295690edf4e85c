//! Timing of the filters on the paper's compositions (run: `cargo bench -p halo-filters`).
use criterion::{criterion_group, criterion_main, Criterion};
use halo_core::Composition;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    for f in ["Li2In1/3Sc1/3Cl4", "Li2.5Y0.5Zr0.5Cl6", "Li3YBr3Cl3"] {
        let comp = Composition::parse(f).expect("formula");
        c.bench_function(&format!("stability {f}"), |b| {
            b.iter(|| halo_filters::stability(black_box(&comp)))
        });
        c.bench_function(&format!("insulation {f}"), |b| {
            b.iter(|| halo_filters::insulation(black_box(&comp)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
