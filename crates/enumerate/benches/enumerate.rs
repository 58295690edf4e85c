//! Enumerating and realising the 13-dopant sets on the spinel and monoclinic frameworks
//! (the target: under 10 s on 2 cores). Fixtures: `tests/data/frameworks.json`.

use criterion::{criterion_group, criterion_main, Criterion};
use halo_enumerate::{
    enumerate_candidates, parse_fraction_grid, EnumerationConfig, OrderingOptions, Realiser,
};

#[path = "../tests/common/mod.rs"]
mod common;

const DOPANTS: &str = "In,Sc,Y,Er,Yb,Lu,Ho,Zr,Hf,Mg,Zn,Ga,Al";

fn run(name: &str, site: &str, max_dopants: usize) -> usize {
    let s = common::framework(name);
    let config = EnumerationConfig {
        framework_name: name.into(),
        site: site.into(),
        dopants: DOPANTS.split(',').map(String::from).collect(),
        fractions: parse_fraction_grid("0:0.666:0.111").unwrap(),
        max_dopants,
        ..EnumerationConfig::default()
    };
    let result = enumerate_candidates(&s, &config).unwrap();
    let mut realiser = Realiser::new(&result);
    let opt = OrderingOptions {
        n_random: 1,
        max_orderings: 1,
        max_colourings: 20_000,
        ..OrderingOptions::default()
    };
    let mut n = 0;
    for c in &result.accepted {
        let avg = realiser.average_structure(c).unwrap();
        let ord = realiser.orderings(c, &opt).unwrap();
        n += avg.num_sites() + ord.realisations.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("enumerate_and_realise");
    g.sample_size(10);
    g.bench_function("spinel_13_dopants_max2", |b| {
        b.iter(|| run("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron", "16d", 2))
    });
    g.bench_function("monoclinic_13_dopants_max2", |b| {
        b.iter(|| run("Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron", "2a", 2))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
