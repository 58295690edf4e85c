//! Exact references of docs/physics.md §5.11. Every tolerance is a multiple (2–3) of
//! the standard error the run itself measures, and each test also checks that this standard
//! error is small enough for the comparison to mean something.

use halo_core::K_B_EV_PER_K;
use halo_kmc::engine::stream_rng;
use halo_kmc::network::ideal;
use halo_kmc::{
    simulate, BlockRecord, DiffusionEstimate, HopNetwork, KmcParams, MobileIons, SupercellChoice,
    SupercellNetwork, Trajectory, TrajectoryConfig,
};

const NU0: f64 = 1e13;

fn gamma(barrier_ev: f64, t: f64) -> f64 {
    NU0 * (-barrier_ev / (K_B_EV_PER_K * t)).exp()
}

/// One trajectory: equilibrate, then `blocks` blocks of `events_per_block` events.
#[allow(clippy::too_many_arguments)]
fn run(
    net: &HopNetwork,
    scale: [usize; 3],
    n_ions: usize,
    t: f64,
    blocks: usize,
    events_per_block: u64,
    eq_events: u64,
    seed: u64,
    boundary_correction: bool,
) -> (DiffusionEstimate, Vec<BlockRecord>, f64) {
    let sc = SupercellNetwork::build(net, scale, 0.0, None).unwrap();
    let cfg = TrajectoryConfig {
        temperature_k: t,
        attempt_frequency_hz: NU0,
        rebuild_interval_events: 16 * sc.n_sites() as u64,
    };
    let mut tr = Trajectory::new(&sc, cfg, n_ions, stream_rng(seed, t, 0)).unwrap();
    tr.run_events(eq_events).unwrap();
    tr.run_block(events_per_block).unwrap();
    let recs: Vec<BlockRecord> = (0..blocks)
        .map(|_| tr.run_block(events_per_block).unwrap())
        .collect();
    tr.full_rebuild();
    let est =
        DiffusionEstimate::from_blocks(&recs, n_ions, net.dimension, boundary_correction).unwrap();
    (est, recs, tr.state().rate_drift_max_rel)
}

#[test]
fn single_particle_d0_on_sc_bcc_fcc_honeycomb() {
    let t = 400.0;
    let eb = 0.25;
    let g = gamma(eb, t);
    // (network, supercell, z, hop length, d)
    type Case = (&'static str, HopNetwork, [usize; 3], f64, f64, f64);
    let cases: Vec<Case> = vec![
        ("sc", ideal::simple_cubic(2.0, eb), [4, 4, 4], 6.0, 2.0, 3.0),
        ("bcc", ideal::bcc(2.0, eb), [3, 3, 3], 8.0, 3f64.sqrt(), 3.0),
        (
            "fcc",
            ideal::fcc(2.0, eb),
            [3, 3, 3],
            12.0,
            2f64.sqrt(),
            3.0,
        ),
        (
            "honeycomb",
            ideal::honeycomb(2.0, eb),
            [4, 4, 1],
            3.0,
            2.0,
            2.0,
        ),
    ];
    for (k, (name, net, sc, z, a, d)) in cases.into_iter().enumerate() {
        let d0 = z * g * a * a / (2.0 * d);
        let (est, _, _) = run(&net, sc, 1, t, 8000, 20, 100, 11 + k as u64, true);
        let (dt, se) = (est.d_tracer_ang2_per_s, est.d_tracer_se_ang2_per_s);
        println!(
            "{name}: D = {dt:.5e} ± {se:.2e}, D0 = {d0:.5e}, ratio {:.4}",
            dt / d0
        );
        assert!(se / d0 < 0.03, "{name}: SE too large to test");
        assert!((dt - d0).abs() < 3.0 * se, "{name}: {dt} vs {d0} (SE {se})");
        // one ion: tracer and jump diffusion are the same estimator
        assert_eq!(est.d_tracer_ang2_per_s, est.d_sigma_ang2_per_s);
    }
}

/// A spinel-type 8a–16c network with unequal site energies and unequal (seeded pseudo-random)
/// saddles, so the exact tensor is anisotropic and correlated.
fn rough_spinel() -> HopNetwork {
    let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.10, 0.30);
    let mut x = 0x2545F4914F6CDD1Du64;
    for h in net.hops.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h.saddle_energy_ev = 0.30 + 0.12 * (x >> 11) as f64 / (1u64 << 53) as f64;
    }
    net
}

#[test]
fn single_ion_matches_bloch_generator_tensor() {
    let net = rough_spinel();
    let t = 600.0;
    let exact = net
        .exact_single_ion_diffusion_tensor_ang2_per_s(t, NU0)
        .unwrap();
    let d_iso = exact.trace() / 3.0;
    let aniso = (exact[(0, 0)] - exact[(2, 2)]).abs() / d_iso;
    println!("exact tensor {exact:.4e}, anisotropy {aniso:.3}");
    let (est, _, _) = run(&net, [1, 1, 1], 1, t, 12000, 400, 1000, 5, true);
    let (dk, se) = (est.d_tracer_ang2_per_s, est.d_tracer_se_ang2_per_s);
    println!(
        "kMC D = {dk:.5e} ± {se:.2e}, exact trace/3 = {d_iso:.5e}, ratio {:.4}",
        dk / d_iso
    );
    assert!(se / d_iso < 0.02);
    assert!((dk - d_iso).abs() < 2.0 * se, "{dk} vs {d_iso} ± {se}");
    // correlated: the exact D is below the uncorrelated Σ π Γ d²/(2·3)
    assert!(est.correlation_factor < 0.99);
}

/// Vacancy correlation factors f0 (Compaan & Haven 1956/58; Mehrer, Diffusion in Solids,
/// Table 7.2): one vacancy in a full periodic lattice, f = Σ_i|Δr_i|² / Σ_hops |hop|²
/// (with the adjacent-block cross terms, so block edges do not bias it). The 2D lattices need
/// larger cells: a 24 × 24 square cell still sits ~1.5 % below f0 (finite-size return paths).
fn check_f0(name: &str, net: HopNetwork, sc: [usize; 3], f0: f64, seed: u64) {
    let n = net.sites.len() * sc.iter().product::<usize>();
    let (est, _, drift) = run(
        &net,
        sc,
        n - 1,
        500.0,
        60,
        20 * n as u64,
        10 * n as u64,
        seed,
        true,
    );
    let (f, se) = (est.correlation_factor, est.correlation_factor_se);
    println!(
        "{name} ({n} sites): f = {f:.5} ± {se:.5}, f0 = {f0:.5}, (f-f0)/se = {:.2}",
        (f - f0) / se
    );
    assert!(se < 0.01, "{name}: SE {se} too large to test");
    assert!(
        (f - f0).abs() < 2.0 * se,
        "{name}: f = {f} ± {se}, f0 = {f0}"
    );
    assert!(drift < 1e-12);
}

#[test]
fn vacancy_f0_simple_cubic() {
    check_f0("sc", ideal::simple_cubic(2.0, 0.2), [8, 8, 8], 0.65311, 100);
}

#[test]
fn vacancy_f0_bcc() {
    check_f0("bcc", ideal::bcc(2.0, 0.2), [6, 6, 6], 0.72722, 101);
}

#[test]
fn vacancy_f0_fcc() {
    check_f0("fcc", ideal::fcc(2.0, 0.2), [5, 5, 5], 0.78146, 102);
}

#[test]
fn vacancy_f0_diamond() {
    check_f0("diamond", ideal::diamond(2.0, 0.2), [4, 4, 4], 0.5, 103);
}

#[test]
fn vacancy_f0_square() {
    check_f0("square", ideal::square(2.0, 0.2), [48, 48, 1], 0.46694, 104);
}

#[test]
fn vacancy_f0_honeycomb() {
    check_f0(
        "honeycomb",
        ideal::honeycomb(2.0, 0.2),
        [32, 32, 1],
        1.0 / 3.0,
        105,
    );
}

/// Hard-core lattice gas on simple cubic: D_σ = (1 − c)·D0 exactly (the centre of mass is a
/// martingale) and D* = (1 − c)·f(c)·D0 with f(0.25) ≈ 0.934, f(0.5) ≈ 0.846, f(0.75) ≈ 0.753.
fn lattice_gas(c: f64, f_ref: f64, seed: u64) {
    let t = 450.0;
    let eb = 0.2;
    let a = 2.0;
    let d0 = 6.0 * gamma(eb, t) * a * a / 6.0;
    let net = ideal::simple_cubic(a, eb);
    // D_σ: the centre of mass is a martingale, so short uncorrected blocks are exact. In a
    // box of M sites with N ions (canonical), the chance that a neighbour of an ion is empty is
    // (M − N)/(M − 1), so the exact finite-box value is D0·(M − N)/(M − 1) → (1 − c)·D0.
    let m = 64usize;
    let n = (m as f64 * c) as usize;
    let (cm, _, _) = run(
        &net,
        [4, 4, 4],
        n,
        t,
        12000,
        n as u64,
        20 * n as u64,
        seed,
        false,
    );
    let exact = d0 * (m - n) as f64 / (m - 1) as f64;
    let ds = cm.d_sigma_ang2_per_s / exact;
    let ds_se = cm.d_sigma_se_ang2_per_s / exact;
    // D*: tracer correlations need the boundary-corrected estimator (8³ sites)
    let n = (512.0 * c) as usize;
    let (est, _, drift) = run(
        &net,
        [8, 8, 8],
        n,
        t,
        140_000 / n,
        10 * n as u64,
        20 * n as u64,
        seed + 1,
        true,
    );
    // the hop rate per ion is (1 − c)zΓ, so f(c) = D*/((1 − c)D0) is the tracer correlation
    // factor Σ_i|Δr_i|²/Σ_hops|hop|² (lower variance than dividing by time)
    let (f, f_se) = (est.correlation_factor, est.correlation_factor_se);
    let f_time = est.d_tracer_ang2_per_s / ((1.0 - c) * d0);
    println!("c = {c}: D_σ/exact = {ds:.4} ± {ds_se:.4}; f = {f:.4} ± {f_se:.4} (ref {f_ref}), via time {f_time:.4}; H = {:.3}", est.haven_ratio);
    assert!(ds_se < 0.01, "SE of D_σ too large for a 3 % test");
    assert!((ds - 1.0).abs() < 0.03, "c = {c}: D_σ ratio {ds}");
    assert!(f_se < 0.004, "SE of f {f_se}");
    assert!((f - f_ref).abs() < 0.01, "c = {c}: f = {f} vs {f_ref}");
    // drift diagnostics: rate tree equals a rebuild; no centre-of-mass drift
    assert!(drift < 1e-12, "rate drift {drift}");
    for z in cm.drift_z {
        assert!(z.abs() < 4.0, "centre-of-mass drift {z} SE");
    }
}

#[test]
fn lattice_gas_c025() {
    lattice_gas(0.25, 0.934, 200);
}

#[test]
fn lattice_gas_c050() {
    lattice_gas(0.5, 0.846, 210);
}

#[test]
fn lattice_gas_c075() {
    lattice_gas(0.75, 0.753, 220);
}

/// Same seed, same result, bit for bit, with 1 and with 2 rayon threads (docs/physics.md §5.7).
#[test]
fn simulate_is_bit_identical_across_thread_counts() {
    use halo_kmc::{simulate, KmcParams, MobileIons, SupercellChoice};
    let net = ideal::spinel_8a_16c(10.42138, 0.0, 0.1, 0.35);
    let mut p = KmcParams::new(vec![350.0, 450.0]);
    p.seed = 42;
    p.mobile_ions = MobileIons::PerCell(5.66);
    p.supercell = SupercellChoice::Fixed([2, 2, 2]);
    p.replicas = 3;
    p.blocks_per_replica = 4;
    p.hops_per_ion_per_block = 5.0;
    p.equilibration_hops_per_ion = 5.0;
    let run_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| serde_json::to_string(&simulate(&net, &p).unwrap()).unwrap())
    };
    let one = run_with(1);
    let two = run_with(2);
    assert_eq!(one, two);
    // and a different seed gives a different trajectory
    p.seed = 43;
    let other = serde_json::to_string(&simulate(&net, &p).unwrap()).unwrap();
    assert_ne!(one, other);
}

/// σ from `simulate` is (N/V)e²D_σ/(k_BT) with the simulated N and V, and the 8a/16c
/// occupancies favour the lower-energy 8a site.
#[test]
fn simulate_reports_consistent_conductivity_and_occupancies() {
    use halo_kmc::{conductivity_s_per_cm, simulate, KmcParams, MobileIons};
    let net = ideal::spinel_8a_16c(10.42138, 0.0, 0.1, 0.35);
    let mut p = KmcParams::new(vec![300.0, 400.0, 500.0]);
    p.mobile_ions = MobileIons::PerCell(5.66);
    p.replicas = 2;
    p.blocks_per_replica = 6;
    p.hops_per_ion_per_block = 10.0;
    let r = simulate(&net, &p).unwrap();
    assert!(r.n_ions >= 128);
    assert!((r.ions_per_ang3 - r.n_ions as f64 / r.volume_ang3).abs() < 1e-15);
    for t in &r.temperatures {
        let s = conductivity_s_per_cm(r.ions_per_ang3, t.d_sigma_cm2_per_s, t.temperature_k);
        assert_eq!(s, t.sigma_s_per_cm);
        let o8a = t.occupancies.iter().find(|o| o.label == "8a").unwrap();
        let o16c = t.occupancies.iter().find(|o| o.label == "16c").unwrap();
        assert!(o8a.occupancy > o16c.occupancy);
        assert!((o8a.ions_per_cell + o16c.ions_per_cell - r.ions_per_cell).abs() < 1e-6);
        assert!(t.rate_drift_max_rel < 1e-12);
    }
    let a = r.arrhenius.unwrap();
    assert!(a.ea_ev > 0.2 && a.ea_ev < 0.6, "Ea {}", a.ea_ev);
    assert!(a.ea_se_ev > 0.0);
}

#[test]
fn bad_parameters_are_refused_before_running() {
    use halo_kmc::{simulate, KmcError, KmcParams};
    let net = ideal::simple_cubic(2.0, 0.2);
    for mutate in [
        (|p: &mut KmcParams| p.temperatures_k = vec![]) as fn(&mut KmcParams),
        |p| p.temperatures_k = vec![300.0, -1.0],
        |p| p.temperatures_k = vec![300.0, 300.0],
        |p| p.attempt_frequency_hz = 0.0,
        // a slip in the exponent: outside 1e9–1e19 Hz is no attempt frequency
        |p| p.attempt_frequency_hz = 2.2e41,
        |p| p.attempt_frequency_hz = 1.0,
        |p| p.replicas = 0,
        |p| p.blocking_distance_ang = f64::NAN,
        |p| p.mobile_ions = halo_kmc::MobileIons::Fraction(1.5),
        |p| p.supercell = halo_kmc::SupercellChoice::Fixed([0, 1, 1]),
    ] {
        let mut p = KmcParams::new(vec![300.0]);
        mutate(&mut p);
        assert!(matches!(
            simulate(&net, &p),
            Err(KmcError::InvalidParameter { .. })
        ));
    }
}

/// The real BVSE site graph of Li2In1/3Sc1/3Cl4 (74 sites, 485 edges, site energies 0–0.65 eV;
/// fixture from `halo bvse --json`): one ion, kMC against the exact Bloch-generator tensor.
#[test]
fn single_ion_on_real_spinel_graph_matches_bloch_tensor() {
    let text = include_str!("data/spinel_bvse_site_graph.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let a = v["lattice_cubic_a_ang"].as_f64().unwrap();
    let sites = v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| halo_kmc::NetSite {
            frac_coords: serde_json::from_value(s["frac_coords"].clone()).unwrap(),
            energy_ev: s["energy_ev"].as_f64().unwrap(),
            label: s["label"].as_str().map(String::from),
        })
        .collect();
    let hops = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| halo_kmc::NetHop {
            from: e["a"].as_u64().unwrap() as usize,
            to: e["b"].as_u64().unwrap() as usize,
            image: serde_json::from_value(e["image"].clone()).unwrap(),
            saddle_energy_ev: e["saddle_energy_ev"].as_f64().unwrap(),
        })
        .collect();
    let net = HopNetwork {
        lattice: halo_core::Lattice::cubic(a),
        sites,
        hops,
        dimension: 3,
        couplings: Vec::new(),
    };
    net.validate().unwrap();
    let t = 700.0;
    let exact = net
        .exact_single_ion_diffusion_tensor_ang2_per_s(t, NU0)
        .unwrap();
    let d_iso = exact.trace() / 3.0;
    let (est, _, _) = run(&net, [1, 1, 1], 1, t, 4000, 400, 2000, 9, true);
    let (dk, se) = (est.d_tracer_ang2_per_s, est.d_tracer_se_ang2_per_s);
    println!(
        "real graph: kMC D = {dk:.5e} ± {se:.2e}, exact = {d_iso:.5e}, ratio {:.4}, f = {:.3}",
        dk / d_iso,
        est.correlation_factor
    );
    assert!(se / d_iso < 0.03);
    assert!((dk - d_iso).abs() < 2.0 * se, "{dk} vs {d_iso} ± {se}");
}

/// The run's σ resolution is exactly the σ of one net hop of the shortest length over the whole
/// measured time of all replicas (σ = (N/V)e²D/(k_BT), D = ℓ²/(2dNΣt)), and a temperature whose σ
/// falls below it is left out of the Arrhenius fit: the fit equals the fit of the others.
#[test]
fn a_sigma_below_one_net_hop_is_not_fitted() {
    let net = ideal::simple_cubic(2.5, 0.2);
    let mut p = KmcParams::new(vec![400.0, 500.0, 600.0]);
    p.supercell = SupercellChoice::Fixed([4, 4, 4]);
    p.mobile_ions = MobileIons::Count(16);
    p.blocking_distance_ang = 0.0;
    p.replicas = 2;
    p.blocks_per_replica = 4;
    p.seed = 3;
    let r = simulate(&net, &p).unwrap();
    let n = 16.0;
    let density = n / (10.0f64).powi(3);
    for t in &r.temperatures {
        let total_time = t.simulated_time_s * p.replicas as f64;
        let d_res = 2.5f64.powi(2) * 1e-16 / (6.0 * n * total_time);
        let expect = halo_kmc::conductivity_s_per_cm(density, d_res, t.temperature_k);
        assert!(
            (t.sigma_resolution_s_per_cm / expect - 1.0).abs() < 1e-9,
            "{} vs {expect}",
            t.sigma_resolution_s_per_cm
        );
        // a free lattice gas moves thousands of hops' worth
        assert!(t.is_resolved() && t.sigma_s_per_cm > 100.0 * expect);
    }
    let full = r.arrhenius.clone().unwrap();
    assert_eq!(full.points, 3);
    let mut temps = r.temperatures.clone();
    // the 400 K point replaced by a value below the resolution (a rattling run's D_σ ≈ 0)
    temps[0].sigma_s_per_cm = 0.5 * temps[0].sigma_resolution_s_per_cm;
    temps[0].sigma_se_s_per_cm = 0.3 * temps[0].sigma_resolution_s_per_cm;
    assert!(!temps[0].is_resolved());
    let fit = halo_kmc::arrhenius_of(&temps).unwrap();
    let rest = halo_kmc::arrhenius_of(&temps[1..]).unwrap();
    assert_eq!(
        (fit.ea_ev, fit.sigma_300k_s_per_cm, fit.points),
        (rest.ea_ev, rest.sigma_300k_s_per_cm, 2)
    );
    // the resolved points carry the barrier (0.2 eV) within their SE
    assert!(
        (fit.ea_ev - 0.2).abs() < 3.0 * fit.ea_se_ev + 0.02,
        "{} ± {}",
        fit.ea_ev,
        fit.ea_se_ev
    );
    // one resolved point is no fit
    assert!(halo_kmc::arrhenius_of(&temps[..2]).is_none());
}
