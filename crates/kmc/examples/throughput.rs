//! Events per CPU-second of the BKL engine (CPU time from /proc/self/schedstat, so the figure
//! is meaningful on a loaded machine). `cargo run --release -p halo-kmc --example throughput`.
use halo_kmc::engine::stream_rng;
use halo_kmc::network::ideal;
use halo_kmc::{SupercellNetwork, Trajectory, TrajectoryConfig};
use std::time::Instant;

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
    let sc_net = ideal::simple_cubic(2.5, 0.3);
    for edge in [10usize, 22, 46, 100] {
        let t0 = Instant::now();
        let sc = SupercellNetwork::build(&sc_net, [edge; 3], 0.0, None).unwrap();
        let build = t0.elapsed().as_secs_f64();
        println!("  build {edge}^3: {build:.3} s wall");
        measure(
            &format!("lattice gas sc c=0.5 {edge}^3"),
            &sc,
            sc.n_sites() / 2,
            2_000_000,
        );
    }
    let sp = ideal::spinel_8a_16c(10.42138, 0.0, 0.1, 0.35);
    let sc = SupercellNetwork::build(&sp, [7, 7, 7], 2.5, None).unwrap();
    measure(
        "spinel 8a-16c model 7x7x7, 2.5 Å",
        &sc,
        (5.66f64 * 343.0).round() as usize,
        2_000_000,
    );
}
