//! Event throughput of the BKL engine (docs/physics.md §5.6): hard-core lattice gas on simple
//! cubic at 1e3/1e4/1e5/1e6 sites (c = 0.5), the ideal spinel 8a–16c network (~1e4 sites, 2.5 Å
//! blocking) and the real Li2In1/3Sc1/3Cl4 site graph from its CIF in a ~1e4-site supercell,
//! plus setup time at 1e5 sites. Throughput is reported by criterion as elements/s = events/s.

#[path = "spinel_graph.rs"]
mod spinel_graph;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use halo_kmc::engine::stream_rng;
use halo_kmc::network::ideal;
use halo_kmc::{HopNetwork, SupercellNetwork, Trajectory, TrajectoryConfig};
use std::hint::black_box;

const EVENTS: u64 = 200_000;

fn traj<'a>(sc: &'a SupercellNetwork, n_ions: usize) -> Trajectory<'a> {
    let cfg = TrajectoryConfig {
        temperature_k: 400.0,
        attempt_frequency_hz: 1e13,
        rebuild_interval_events: 16 * sc.n_sites() as u64,
    };
    let mut t = Trajectory::new(sc, cfg, n_ions, stream_rng(1, 400.0, 0)).unwrap();
    t.run_events(2 * n_ions as u64).unwrap();
    t
}

fn lattice_gas(c: &mut Criterion) {
    let mut g = c.benchmark_group("lattice_gas_sc_c0.5");
    g.sample_size(10);
    g.throughput(Throughput::Elements(EVENTS));
    for edge in [10usize, 22, 46, 100] {
        let sites = edge * edge * edge;
        let sc =
            SupercellNetwork::build(&ideal::simple_cubic(2.5, 0.3), [edge; 3], 0.0, None).unwrap();
        let mut t = traj(&sc, sites / 2);
        g.bench_with_input(BenchmarkId::from_parameter(sites), &sites, |b, _| {
            b.iter(|| t.run_events(black_box(EVENTS)).unwrap())
        });
    }
    g.finish();
}

fn spinel(c: &mut Criterion) {
    let mut g = c.benchmark_group("spinel_8a_16c_blocking2.5");
    g.sample_size(10);
    g.throughput(Throughput::Elements(EVENTS));
    let net: HopNetwork = ideal::spinel_8a_16c(10.42138, 0.0, 0.1, 0.35);
    // 7×7×7 conventional cells × 24 sites = 8232 sites; 5.66 Li per cell
    let sc = SupercellNetwork::build(&net, [7, 7, 7], 2.5, None).unwrap();
    let n = (5.66 * 343.0f64).round() as usize;
    let mut t = traj(&sc, n);
    g.bench_function(BenchmarkId::from_parameter(sc.n_sites()), |b| {
        b.iter(|| t.run_events(black_box(EVENTS)).unwrap())
    });
    g.finish();
}

fn real_spinel_graph(c: &mut Criterion) {
    let mut g = c.benchmark_group("Li2In1-3Sc1-3Cl4_site_graph");
    g.sample_size(10);
    g.throughput(Throughput::Elements(EVENTS));
    let (net, per_cell) = spinel_graph::spinel_network();
    let scale = spinel_graph::scale_for_sites(&net, 10_000);
    let sc = SupercellNetwork::build(&net, scale, 2.5, None).unwrap();
    let n = (per_cell * sc.n_cells() as f64).round() as usize;
    let mut t = traj(&sc, n);
    g.bench_function(BenchmarkId::from_parameter(sc.n_sites()), |b| {
        b.iter(|| t.run_events(black_box(EVENTS)).unwrap())
    });
    g.finish();
}

fn setup(c: &mut Criterion) {
    let mut g = c.benchmark_group("setup_sc_1e5_sites");
    g.sample_size(10);
    let net = ideal::simple_cubic(2.5, 0.3);
    g.bench_function("build+place", |b| {
        b.iter(|| {
            let sc = SupercellNetwork::build(&net, [46, 46, 46], 0.0, None).unwrap();
            let cfg = TrajectoryConfig {
                temperature_k: 400.0,
                attempt_frequency_hz: 1e13,
                rebuild_interval_events: 1 << 40,
            };
            let t = Trajectory::new(&sc, cfg, sc.n_sites() / 2, stream_rng(1, 400.0, 0)).unwrap();
            black_box(t.total_rate())
        })
    });
    g.finish();
}

criterion_group!(benches, lattice_gas, spinel, real_spinel_graph, setup);
criterion_main!(benches);
