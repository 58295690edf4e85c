//! Events per CPU-second of the BKL engine (CPU time from /proc/self/schedstat, so the figure
//! is meaningful on a loaded machine). `cargo run --release -p halo-kmc --example throughput`.
//! Arguments: simple-cubic edges (default 10 22 46 100). Environment: `HALO_KMC_EVENTS` (events
//! per measurement, default 2·10⁶), `HALO_KMC_LATTICE_ONLY` (skip the spinel graphs),
//! `HALO_KMC_STATS` (print the real graph's hop and blocker counts).
//! `scripts/bench/kmc_pair.py` runs two builds of this example side by side.
use halo_kmc::engine::stream_rng;
use halo_kmc::network::ideal;
use halo_kmc::{SupercellNetwork, Trajectory, TrajectoryConfig};
use std::time::Instant;

#[path = "../benches/spinel_graph.rs"]
mod spinel_graph;

fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn measure(label: &str, sc: &SupercellNetwork, n_ions: usize, events: u64) {
    let cfg = TrajectoryConfig {
        temperature_k: 400.0,
        attempt_frequency_hz: 1e13,
        rebuild_interval_events: 16 * sc.n_sites() as u64,
    };
    let t0 = (cpu_ns(), Instant::now());
    let mut t = Trajectory::new(sc, cfg, n_ions, stream_rng(1, 400.0, 0)).unwrap();
    let setup = (cpu_ns(), Instant::now());
    t.run_events(n_ions as u64).unwrap();
    let c0 = cpu_ns();
    let w0 = Instant::now();
    t.run_events(events).unwrap();
    let c1 = cpu_ns();
    let wall = w0.elapsed().as_secs_f64();
    let cpu = match (c0, c1) {
        (Some(a), Some(b)) => (b - a) as f64 * 1e-9,
        _ => wall,
    };
    let setup_cpu = match (t0.0, setup.0) {
        (Some(a), Some(b)) => (b - a) as f64 * 1e-9,
        _ => (setup.1 - t0.1).as_secs_f64(),
    };
    println!(
        "{label:<34} sites {:>8}  ions {:>7}  {:>6.3} M events/CPU-s  ({:.0} ns/event; wall {:.2} M/s; placement {:.3} s CPU)",
        sc.n_sites(),
        n_ions,
        events as f64 / cpu / 1e6,
        cpu / events as f64 * 1e9,
        events as f64 / wall / 1e6,
        setup_cpu
    );
}

fn main() {
    // optional arguments: the simple-cubic edges to run (default 10 22 46 100), e.g. `-- 46`
    let edges: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("edge lengths are integers"))
        .collect();
    let edges = if edges.is_empty() {
        vec![10, 22, 46, 100]
    } else {
        edges
    };
    let sc_net = ideal::simple_cubic(2.5, 0.3);
    for edge in edges {
        let t0 = Instant::now();
        let sc = SupercellNetwork::build(&sc_net, [edge; 3], 0.0, None).unwrap();
        let build = t0.elapsed().as_secs_f64();
        println!("  build {edge}^3: {build:.3} s wall (setup target: < 1 s at 1e5 sites)");
        measure(
            &format!("lattice gas sc c=0.5 {edge}^3"),
            &sc,
            sc.n_sites() / 2,
            events_from_env(),
        );
    }
    if std::env::var_os("HALO_KMC_LATTICE_ONLY").is_some() {
        return;
    }
    let sp = ideal::spinel_8a_16c(10.42138, 0.0, 0.1, 0.35);
    let sc = SupercellNetwork::build(&sp, [7, 7, 7], 2.5, None).unwrap();
    measure(
        "spinel 8a-16c model 7x7x7, 2.5 Å",
        &sc,
        (5.66f64 * 343.0).round() as usize,
        events_from_env(),
    );
    let t0 = Instant::now();
    let (net, per_cell) = spinel_graph::spinel_network();
    let scale = spinel_graph::scale_for_sites(&net, 10_000);
    let sc = SupercellNetwork::build(&net, scale, 2.5, None).unwrap();
    if std::env::var_os("HALO_KMC_STATS").is_some() {
        stats(&sc);
    }
    println!(
        "  Li2In1/3Sc1/3Cl4 graph: {} sites, {} hops per cell, {} rate groups; supercell {:?}; landscape+graph+build {:.2} s wall",
        net.sites.len(),
        net.hops.len(),
        sc.group_barrier_ev.len(),
        scale,
        t0.elapsed().as_secs_f64()
    );
    measure(
        "Li2In1/3Sc1/3Cl4 site graph, 2.5 Å",
        &sc,
        (per_cell * sc.n_cells() as f64).round() as usize,
        events_from_env(),
    );
}

/// Events per measurement: `HALO_KMC_EVENTS`, default 2·10⁶.
fn events_from_env() -> u64 {
    match std::env::var("HALO_KMC_EVENTS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("HALO_KMC_EVENTS={v:?} is not an event count")),
        Err(_) => 2_000_000,
    }
}

#[allow(dead_code)]
fn stats(sc: &SupercellNetwork) {
    let n = sc.n_sites();
    let hops: usize = (0..n).map(|i| sc.hops_of(i).len()).sum();
    let bl: usize = (0..n).map(|i| sc.blockers_of(i).len()).sum();
    let hb: usize = (0..n)
        .map(|i| {
            sc.blockers_of(i)
                .iter()
                .map(|&b| sc.hops_of(b as usize).len())
                .sum::<usize>()
        })
        .sum();
    eprintln!(
        "stats: {:.2} hops/site, {:.2} blockers/site, {:.2} hops of blockers/site; classes {:?}",
        hops as f64 / n as f64,
        bl as f64 / n as f64,
        hb as f64 / n as f64,
        sc.class_names
    );
}
