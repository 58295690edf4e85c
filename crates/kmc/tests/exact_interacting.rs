//! Exact references for the interacting model (Yukawa pair repulsion, hard core) and for the
//! Metropolis equilibration of the placement.
//!
//! The test system is a periodic ring (a 1D chain of 8 sites per cell, 2 Å apart, with unequal
//! site energies and one label per site), small enough that every allowed configuration of a few
//! ions can be enumerated. The exact equilibrium occupancy of site s is
//! ⟨n_s⟩ = Σ_C n_s(C)·exp(−E(C)/k_BT) / Σ_C exp(−E(C)/k_BT), E(C) = Σ_{i∈C} E_i + Σ_{pairs ⊂ C} V_ij,
//! over the configurations C with no two ions within the blocking distance; the pair energies
//! are read from the built supercell ([`SupercellNetwork::interactions_of`], periodic images of
//! one site merged), so the enumeration and the engine use the same pair list. The kMC
//! (time-averaged occupancies) and the Metropolis chain (averaged over moves) must both
//! reproduce ⟨n_s⟩ within a few standard errors estimated from independent replicas.

use halo_core::{Lattice, K_B_EV_PER_K};
use halo_kmc::engine::stream_rng;
use halo_kmc::{
    simulate, HopNetwork, KmcParams, MobileIons, NetHop, NetSite, PairRepulsion, SupercellChoice,
    SupercellNetwork, Trajectory, TrajectoryConfig,
};

const SPACING_ANG: f64 = 2.0;
const ENERGIES_EV: [f64; 8] = [0.00, 0.06, 0.02, 0.09, 0.01, 0.05, 0.03, 0.07];
const T_K: f64 = 500.0;
/// Tolerance in standard errors. The per-site occupancies are correlated (their sum is fixed and
/// neighbours compete), so one collective fluctuation moves all of them together; 4.5 SE keeps
/// the test sharp (the SE are ~0.1 % of the occupancies) without flaking. A run with 128
/// replicas × 10⁶ events (kMC) and × 4·10⁵ moves (Metropolis) agreed with the enumeration
/// within 1.1 SE of 1e-4 and 3e-4.
const N_SE: f64 = 4.5;
/// Blocking distance that makes nearest neighbours (2 Å) a hard core.
const HARD_CORE_ANG: f64 = 2.5;

/// V(r) = 0.72·exp(−r/3)/r eV up to 7 Å: first, second and third neighbours of the ring
/// (0.185, 0.047, 0.016 eV).
fn yukawa() -> PairRepulsion {
    PairRepulsion {
        prefactor_ev_ang: 0.72,
        screening_length_ang: 3.0,
        cutoff_ang: 7.0,
        form: halo_kmc::PairForm::Yukawa,
    }
}

/// The ring: 8 sites per cell along a (b, c = 30 Å, out of every range), nearest- and
/// second-neighbour hops with unequal saddles.
fn ring() -> HopNetwork {
    let n = ENERGIES_EV.len();
    let a = n as f64 * SPACING_ANG;
    let lattice = Lattice::from_rows([[a, 0.0, 0.0], [0.0, 30.0, 0.0], [0.0, 0.0, 30.0]]).unwrap();
    let sites = (0..n)
        .map(|k| NetSite {
            frac_coords: [k as f64 / n as f64, 0.0, 0.0],
            energy_ev: ENERGIES_EV[k],
            label: Some(format!("s{k}")),
        })
        .collect();
    let mut hops = Vec::new();
    for (k, &e_k) in ENERGIES_EV.iter().enumerate() {
        for (step, base) in [(1, 0.15), (2, 0.25)] {
            let to = (k + step) % n;
            let wrap = i32::from(k + step >= n);
            hops.push(NetHop {
                from: k,
                to,
                image: [wrap, 0, 0],
                saddle_energy_ev: e_k.max(ENERGIES_EV[to]) + base + 0.01 * k as f64,
            });
        }
    }
    HopNetwork {
        lattice,
        sites,
        hops,
        dimension: 1,
        couplings: Vec::new(),
    }
}

fn cfg(t: f64) -> TrajectoryConfig {
    TrajectoryConfig {
        temperature_k: t,
        attempt_frequency_hz: 1e13,
        rebuild_interval_events: 1000,
    }
}

/// E(C) = Σ E_i + Σ_{pairs} V_ij from the supercell's own lists (independent of the engine's
/// energy models).
fn energy(sc: &SupercellNetwork, occ: &[usize]) -> f64 {
    let mut e = 0.0;
    for (k, &i) in occ.iter().enumerate() {
        e += sc.site_energy_ev[i];
        let (nb, v) = sc.interactions_of(i);
        for &j in &occ[k + 1..] {
            if let Ok(m) = nb.binary_search(&(j as u32)) {
                e += v[m];
            }
        }
    }
    e
}

/// Every allowed configuration of `n_ions` ions (no two within the blocking distance).
fn configurations(sc: &SupercellNetwork, n_ions: usize) -> Vec<Vec<usize>> {
    fn rec(
        sc: &SupercellNetwork,
        start: usize,
        left: usize,
        cur: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if left == 0 {
            out.push(cur.clone());
            return;
        }
        for s in start..sc.n_sites() {
            if cur.iter().any(|&o| sc.blockers_of(o).contains(&(s as u32))) {
                continue;
            }
            cur.push(s);
            rec(sc, s + 1, left - 1, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(sc, 0, n_ions, &mut Vec::new(), &mut out);
    out
}

/// Exact mean occupancy per site class (label): Boltzmann average over all configurations.
fn exact_class_occupancy(sc: &SupercellNetwork, n_ions: usize, t: f64) -> (Vec<f64>, usize) {
    let beta = 1.0 / (K_B_EV_PER_K * t);
    let confs = configurations(sc, n_ions);
    let e: Vec<f64> = confs.iter().map(|c| energy(sc, c)).collect();
    let e_min = e.iter().copied().fold(f64::INFINITY, f64::min);
    let n_class = sc.class_names.len();
    let mut occ = vec![0.0; n_class];
    let mut z = 0.0;
    for (c, &ec) in confs.iter().zip(&e) {
        let w = (-beta * (ec - e_min)).exp();
        z += w;
        for &s in c {
            occ[sc.site_class[s] as usize] += w;
        }
    }
    let per_class = class_sizes(sc);
    for k in 0..n_class {
        occ[k] /= z * per_class[k] as f64;
    }
    (occ, confs.len())
}

fn class_sizes(sc: &SupercellNetwork) -> Vec<usize> {
    let mut n = vec![0usize; sc.class_names.len()];
    for &c in &sc.site_class {
        n[c as usize] += 1;
    }
    n
}

fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

/// Per class: (mean, SE) over replicas of per-replica occupancies `reps[r][class]`.
fn replica_stats(reps: &[Vec<f64>]) -> Vec<(f64, f64)> {
    (0..reps[0].len())
        .map(|k| mean_se(&reps.iter().map(|r| r[k]).collect::<Vec<_>>()))
        .collect()
}

/// kMC: time-averaged class occupancy of one replica after `eq` events.
fn kmc_occupancy(
    sc: &SupercellNetwork,
    n_ions: usize,
    seed: u64,
    eq: u64,
    events: u64,
) -> Vec<f64> {
    let mut t = Trajectory::new(sc, cfg(T_K), n_ions, stream_rng(seed, T_K, 0)).unwrap();
    t.run_events(eq).unwrap();
    t.reset_occupancy_clock();
    let t0 = t.time_s();
    t.run_events(events).unwrap();
    let dt = t.time_s() - t0;
    let sizes = class_sizes(sc);
    t.state()
        .class_time
        .iter()
        .zip(&sizes)
        .map(|(x, &n)| x / dt / n as f64)
        .collect()
}

/// Metropolis alone: per-site occupancy averaged over `samples` samples taken every `every`
/// moves after `burn` moves, from trajectory `t`.
fn metropolis_site_occupancy(
    t: &mut Trajectory,
    burn: u64,
    every: u64,
    samples: usize,
) -> Vec<f64> {
    t.metropolis(burn).unwrap();
    let mut acc = vec![0.0; t.state().occupant.len()];
    for _ in 0..samples {
        t.metropolis(every).unwrap();
        for s in t.occupied_sites() {
            acc[s] += 1.0;
        }
    }
    acc.iter().map(|a| a / samples as f64).collect()
}

/// Per-site occupancies averaged per class.
fn per_class(sc: &SupercellNetwork, site_occ: &[f64]) -> Vec<f64> {
    let sizes = class_sizes(sc);
    let mut acc = vec![0.0; sizes.len()];
    for (s, &o) in site_occ.iter().enumerate() {
        acc[sc.site_class[s] as usize] += o;
    }
    acc.iter().zip(&sizes).map(|(a, &n)| a / n as f64).collect()
}

fn assert_agrees(what: &str, exact: &[f64], sim: &[(f64, f64)], n_se: f64) {
    for (k, (&x, &(m, se))) in exact.iter().zip(sim).enumerate() {
        let z = (m - x) / se.max(1e-12);
        println!("  {what} s{k}: exact {x:.5}  simulated {m:.5} ± {se:.5}  (z = {z:+.2})");
        assert!(
            (m - x).abs() < n_se * se + 1e-9,
            "{what}, class {k}: exact {x} vs {m} ± {se}"
        );
    }
}

/// The closed-system check of one case: enumeration vs kMC vs Metropolis (vs `simulate` with the
/// Metropolis equilibration switched on).
fn closed_system(name: &str, n_ions: usize, blocking: f64, repulsion: Option<PairRepulsion>) {
    closed_system_on(ring(), name, n_ions, blocking, repulsion)
}

/// [`closed_system`] on `net` (the ring, possibly with couplings).
fn closed_system_on(
    net: HopNetwork,
    name: &str,
    n_ions: usize,
    blocking: f64,
    repulsion: Option<PairRepulsion>,
) {
    let sc = SupercellNetwork::build(&net, [1, 1, 1], blocking, repulsion).unwrap();
    assert_eq!(sc.n_sites(), 8);
    let (exact, n_conf) = exact_class_occupancy(&sc, n_ions, T_K);
    println!("{name}: {n_ions} ions on 8 sites, {n_conf} allowed configurations");
    let total: f64 = exact.iter().sum();
    assert!((total - n_ions as f64).abs() < 1e-12);
    // the exact occupancies are far from uniform: the test discriminates
    let spread =
        exact.iter().copied().fold(0.0, f64::max) - exact.iter().copied().fold(1.0, f64::min);
    assert!(spread > 0.2, "{name}: spread {spread}");

    let replicas = 32;
    let kmc: Vec<Vec<f64>> = (0..replicas)
        .map(|r| kmc_occupancy(&sc, n_ions, 100 + r, 5_000, 300_000))
        .collect();
    assert_agrees(&format!("{name} kMC"), &exact, &replica_stats(&kmc), N_SE);

    let mc: Vec<Vec<f64>> = (0..replicas)
        .map(|r| {
            let mut t =
                Trajectory::new(&sc, cfg(T_K), n_ions, stream_rng(200 + r, T_K, 0)).unwrap();
            per_class(&sc, &metropolis_site_occupancy(&mut t, 1_000, 1, 100_000))
        })
        .collect();
    assert_agrees(
        &format!("{name} Metropolis"),
        &exact,
        &replica_stats(&mc),
        N_SE,
    );

    // the whole run with the Metropolis equilibration on
    let mut p = KmcParams::new(vec![T_K]);
    p.supercell = SupercellChoice::Fixed([1, 1, 1]);
    p.mobile_ions = MobileIons::Count(n_ions);
    p.blocking_distance_ang = blocking;
    p.pair_repulsion = repulsion;
    p.metropolis_sweeps_per_ion = 50.0;
    p.replicas = 4;
    p.blocks_per_replica = 8;
    p.hops_per_ion_per_block = 2_000.0;
    p.seed = 5;
    let r = simulate(&net, &p).unwrap();
    for (k, o) in r.temperatures[0].occupancies.iter().enumerate() {
        assert_eq!(o.label, format!("s{k}"));
        println!(
            "  {name} simulate s{k}: exact {:.5}  simulated {:.5}",
            exact[k], o.occupancy
        );
        assert!(
            (o.occupancy - exact[k]).abs() < 0.01,
            "{name} simulate s{k}"
        );
    }
}

#[test]
fn yukawa_three_ions_on_a_ring_match_enumeration() {
    closed_system("yukawa, no hard core", 3, 0.0, Some(yukawa()));
}

/// The explicit model's default repulsion, BVSE's like-charge term for Li+
/// (7.20·erfc(r/1.894 Å)/r to 4.74 Å: 0.49 eV at 2 Å, 5 meV at 4 Å), on the same ring.
#[test]
fn bvse_erfc_pair_three_ions_on_a_ring_match_enumeration() {
    let rep = halo_kmc::defaults::bvse_pair_repulsion(14.4 / 2.0, 0.74 * 2.0 * 1.28);
    assert_eq!(rep.form, halo_kmc::PairForm::Erfc);
    assert!(
        (rep.energy_ev(2.0) - 0.49).abs() < 0.01,
        "{}",
        rep.energy_ev(2.0)
    );
    closed_system("bvse erfc pair, no hard core", 3, 0.0, Some(rep));
}

/// Couplings of the network (`NetCoupling`, the lattice-gas pair energies of e.g. the anions'
/// bond-valence saturation) without any distance-dependent repulsion: the engine runs the
/// interacting model on them alone, and the supercell's pair list is the couplings, a pair
/// coupled through two images summed into one entry.
#[test]
fn couplings_alone_on_a_ring_match_enumeration() {
    let mut net = ring();
    // k ↔ k+3 (0.12 eV), k ↔ k+2 (0.05 eV), through the cell boundary where k + step ≥ 8
    let mut expected = std::collections::BTreeMap::new();
    for k in 0..8usize {
        for (step, j) in [(3usize, 0.12), (2, 0.05)] {
            let to = (k + step) % 8;
            net.couplings.push(halo_kmc::NetCoupling {
                a: k,
                b: to,
                image: [i32::from(k + step >= 8), 0, 0],
                energy_ev: j,
            });
            *expected.entry((k.min(to), k.max(to))).or_insert(0.0) += j;
        }
    }
    // 0 ↔ 4 also through its image: k+4 ≡ k−4, so a second coupling of the same pair adds up
    net.couplings.push(halo_kmc::NetCoupling {
        a: 4,
        b: 0,
        image: [1, 0, 0],
        energy_ev: 0.02,
    });
    *expected.entry((0, 4)).or_insert(0.0) += 0.02;
    let sc = SupercellNetwork::build(&net, [1, 1, 1], 0.0, None).unwrap();
    assert!(sc.interacting && sc.repulsion.is_none());
    for i in 0..8 {
        let (nb, v) = sc.interactions_of(i);
        for (k, &j) in nb.iter().enumerate() {
            let key = (i.min(j as usize), i.max(j as usize));
            assert!((v[k] - expected[&key]).abs() < 1e-15, "pair {key:?}");
        }
        let n_expected = expected.keys().filter(|(a, b)| *a == i || *b == i).count();
        assert_eq!(nb.len(), n_expected, "site {i}");
    }
    closed_system_on(net, "couplings only, no hard core", 3, 0.0, None);
}

#[test]
fn yukawa_with_hard_core_on_a_ring_matches_enumeration() {
    closed_system("yukawa + hard core", 3, HARD_CORE_ANG, Some(yukawa()));
}

#[test]
fn hard_core_single_particle_on_a_ring_matches_enumeration() {
    closed_system("single particle + hard core", 3, HARD_CORE_ANG, None);
}

/// For random configurations (Metropolis-shuffled, various seeds) of interacting networks, every
/// allowed hop i → j in state A and its reverse j → i in the resulting state B satisfy
/// Γ_A(i→j)/Γ_B(j→i) = exp(−(E_B − E_A)/k_BT) to 1e-10, with E from the enumeration's energy
/// function; and the Metropolis energy change of any allowed non-local move equals E_B − E_A.
#[test]
fn pairwise_detailed_balance_with_interactions() {
    let beta = 1.0 / (K_B_EV_PER_K * T_K);
    let mut spinel = halo_kmc::network::ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    for (k, s) in spinel.sites.iter_mut().enumerate() {
        s.energy_ev += 0.004 * (k % 3) as f64;
    }
    let spinel_rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 6.0,
        form: halo_kmc::PairForm::Yukawa,
    };
    let cases = [
        (ring(), [4, 1, 1], HARD_CORE_ANG, 8usize, yukawa()),
        (ring(), [2, 1, 1], 0.0, 6, yukawa()),
        (spinel, [2, 2, 2], 2.5, 40, spinel_rep),
    ];
    let mut hops_checked = 0;
    let mut moves_checked = 0;
    let mut worst: f64 = 0.0;
    for (net, scale, blocking, n_ions, rep) in cases {
        let sc = SupercellNetwork::build(&net, scale, blocking, Some(rep)).unwrap();
        for seed in 0..4u64 {
            let mut t = Trajectory::new(&sc, cfg(T_K), n_ions, stream_rng(seed, T_K, 9)).unwrap();
            t.metropolis(500 * n_ions as u64).unwrap();
            let base = t.checkpoint();
            let occ_a = t.occupied_sites();
            let e_a = energy(&sc, &occ_a);
            for &i in &occ_a {
                for (j, rate_a, h) in t.allowed_hops(i) {
                    let mut b = Trajectory::resume(&sc, base.clone()).unwrap();
                    b.force_hop(i, h).unwrap();
                    let rev = sc.hop_rev[h] as usize;
                    let (_, rate_b, _) = b
                        .allowed_hops(j)
                        .into_iter()
                        .find(|x| x.2 == rev)
                        .expect("the reverse hop is allowed");
                    let e_b = energy(&sc, &b.occupied_sites());
                    let expect = (-beta * (e_b - e_a)).exp();
                    let rel = (rate_a / rate_b / expect - 1.0).abs();
                    worst = worst.max(rel);
                    assert!(rel < 1e-10, "hop {h}: {rate_a}/{rate_b} vs {expect}");
                    hops_checked += 1;
                }
                // non-local moves: the Metropolis ΔE is the enumeration's energy difference
                for j in (0..sc.n_sites()).step_by(3) {
                    if occ_a.contains(&j)
                        || occ_a
                            .iter()
                            .any(|&o| o != i && sc.blockers_of(o).contains(&(j as u32)))
                    {
                        continue;
                    }
                    let after: Vec<usize> =
                        occ_a.iter().map(|&s| if s == i { j } else { s }).collect();
                    let de = energy(&sc, &after) - e_a;
                    assert!(
                        (t.move_energy_ev(i, j) - de).abs() < 1e-12,
                        "move {i} → {j}: {} vs {de}",
                        t.move_energy_ev(i, j)
                    );
                    moves_checked += 1;
                }
            }
        }
    }
    println!("pairwise detailed balance: {hops_checked} hops, worst relative error {worst:.2e}; {moves_checked} Metropolis ΔE checked");
    assert!(hops_checked > 200 && moves_checked > 200);
}

/// The Metropolis chain forgets its start: ions packed into one half of a 4-cell ring (every
/// other site of cells 0 and 1) and the Boltzmann placement reach the same class occupancies,
/// both equal to the enumerated ones, and the packed start's first half ends up holding half of
/// the ions on average.
#[test]
fn metropolis_reaches_the_same_distribution_from_two_starts() {
    let net = ring();
    let sc = SupercellNetwork::build(&net, [4, 1, 1], HARD_CORE_ANG, Some(yukawa())).unwrap();
    let n_ions = 6;
    let (exact, n_conf) = exact_class_occupancy(&sc, n_ions, T_K);
    println!("two starts: 6 ions on 32 sites, {n_conf} allowed configurations");
    let packed: Vec<usize> = (0..n_ions).map(|k| 2 * k).collect();
    let replicas = 12;
    let (burn, samples) = (200 * n_ions as u64, 20_000);
    let mut halves = Vec::new();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for r in 0..replicas {
        let mut t =
            Trajectory::with_sites(&sc, cfg(T_K), &packed, stream_rng(300 + r, T_K, 0)).unwrap();
        assert!(t.occupied_sites().iter().all(|&s| s < 16));
        let occ = metropolis_site_occupancy(&mut t, burn, n_ions as u64, samples);
        halves.push(occ[..16].iter().sum::<f64>() / n_ions as f64);
        a.push(per_class(&sc, &occ));
        let mut t = Trajectory::new(&sc, cfg(T_K), n_ions, stream_rng(300 + r, T_K, 1)).unwrap();
        b.push(per_class(
            &sc,
            &metropolis_site_occupancy(&mut t, burn, n_ions as u64, samples),
        ));
    }
    let (sa, sb) = (replica_stats(&a), replica_stats(&b));
    for k in 0..exact.len() {
        let (d, se) = (
            sa[k].0 - sb[k].0,
            (sa[k].1.powi(2) + sb[k].1.powi(2)).sqrt(),
        );
        println!(
            "  s{k}: exact {:.5}  packed start {:.5} ± {:.5}  Boltzmann start {:.5} ± {:.5}",
            exact[k], sa[k].0, sa[k].1, sb[k].0, sb[k].1
        );
        assert!(d.abs() < N_SE * se, "class {k}: {d} ± {se}");
    }
    assert_agrees("packed start", &exact, &sa, N_SE);
    assert_agrees("Boltzmann start", &exact, &sb, N_SE);
    let (h, hse) = mean_se(&halves);
    println!("  packed start: fraction of ions in the first half {h:.4} ± {hse:.4} (exact 0.5)");
    assert!((h - 0.5).abs() < N_SE * hse);
}

/// `simulate` with the Metropolis equilibration on: reproducible, and the stop checks (which
/// split the moves into chunks of `STOP_CHECK_EVENTS`) do not change the result; the sweeps do
/// change it (they are wired in); the parameter is validated and optional in JSON.
#[test]
fn simulate_with_metropolis_is_reproducible_and_validated() {
    let net = halo_kmc::network::ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    let mut p = KmcParams::new(vec![400.0]);
    p.supercell = SupercellChoice::Fixed([2, 2, 2]);
    p.mobile_ions = MobileIons::Count(40);
    p.pair_repulsion = Some(PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 5.0,
        form: halo_kmc::PairForm::Yukawa,
    });
    p.replicas = 2;
    p.blocks_per_replica = 2;
    p.hops_per_ion_per_block = 5.0;
    p.equilibration_hops_per_ion = 5.0;
    let off = simulate(&net, &p).unwrap();
    // 40 ions × 2000 sweeps = 80 000 moves: more than one stop-check chunk
    p.metropolis_sweeps_per_ion = 2000.0;
    assert!(40.0 * p.metropolis_sweeps_per_ion > halo_kmc::STOP_CHECK_EVENTS as f64);
    let on = simulate(&net, &p).unwrap();
    let flag = std::sync::atomic::AtomicBool::new(false);
    let checked = halo_kmc::simulate_with_stop(&net, &p, Some(&flag)).unwrap();
    // compared as text: a short run may give NaN Haven ratios, and NaN ≠ NaN
    let text = |r: &halo_kmc::KmcResult| format!("{r:?}");
    assert_eq!(text(&on), text(&checked));
    assert_eq!(text(&on), text(&simulate(&net, &p).unwrap()));
    assert_ne!(text(&on), text(&off));
    // JSON: absent when 0 (older files and results unchanged), read back when set
    let json_off = serde_json::to_string(&off.params).unwrap();
    assert!(!json_off.contains("metropolis"));
    let back: KmcParams = serde_json::from_str(&json_off).unwrap();
    assert_eq!(back.metropolis_sweeps_per_ion, 0.0);
    let back: KmcParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
    for bad in [-1.0, f64::NAN, f64::INFINITY, 2e12] {
        p.metropolis_sweeps_per_ion = bad;
        assert!(matches!(
            p.validate(),
            Err(halo_kmc::KmcError::InvalidParameter {
                name: "metropolis_sweeps_per_ion",
                ..
            })
        ));
    }
}
