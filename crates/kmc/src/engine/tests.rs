//! Tests of the trajectory through its public face: site exclusion, exact running totals,
//! checkpoint/resume bit-identity, selector agreement, detailed balance with repulsion.

use super::*;
use crate::network::ideal;
use crate::supercell::PairRepulsion;

fn cfg(t: f64) -> TrajectoryConfig {
    TrajectoryConfig {
        temperature_k: t,
        attempt_frequency_hz: 1e13,
        rebuild_interval_events: 1000,
    }
}

#[test]
fn blocking_is_never_violated_and_tree_stays_exact() {
    let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    let rep = PairRepulsion {
        prefactor_ev_ang: 14.4 / 10.0,
        screening_length_ang: 3.0,
        cutoff_ang: 5.0,
        form: crate::PairForm::Yukawa,
    };
    for repulsion in [None, Some(rep)] {
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, repulsion).unwrap();
        let mut t = Trajectory::new(&sc, cfg(500.0), 40, stream_rng(1, 500.0, 0)).unwrap();
        for _ in 0..200 {
            t.run_events(50).unwrap();
            let occ = t.occupied_sites();
            for &s in &occ {
                for &b in sc.blockers_of(s) {
                    assert!(
                        occ.binary_search(&(b as usize)).is_err(),
                        "blocked pair occupied"
                    );
                }
            }
            let fresh = t.fresh_total_rate();
            assert!(((t.total_rate() - fresh) / fresh).abs() < 1e-12);
        }
        assert!(t.state().rate_drift_max_rel < 1e-12);
    }
}

#[test]
fn checkpoint_resume_is_bit_identical() {
    let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    let rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 5.0,
        form: crate::PairForm::Yukawa,
    };
    // both selectors: rate groups (no repulsion) and the per-site tree (repulsion)
    for repulsion in [None, Some(rep)] {
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, repulsion).unwrap();
        let mut a = Trajectory::new(&sc, cfg(400.0), 30, stream_rng(7, 400.0, 1)).unwrap();
        a.run_block(3000).unwrap();
        a.begin_block();
        a.run_events(1234).unwrap();
        let json = serde_json::to_string(&a.checkpoint()).unwrap();
        a.run_events(2345).unwrap();
        a.end_block();
        let ck: TrajectoryCheckpoint = serde_json::from_str(&json).unwrap();
        assert_eq!(ck.group_lists.is_empty(), repulsion.is_some());
        let mut b = Trajectory::resume(&sc, ck).unwrap();
        b.run_events(2345).unwrap();
        b.end_block();
        assert_eq!(a.checkpoint(), b.checkpoint());
        assert_eq!(a.time_s().to_bits(), b.time_s().to_bits());
        // a checkpoint from another network is refused
        let other = SupercellNetwork::build(&net, [2, 2, 3], 2.5, repulsion).unwrap();
        assert!(matches!(
            Trajectory::resume(&other, a.checkpoint()),
            Err(KmcError::Checkpoint(_))
        ));
    }
}

#[test]
fn a_network_without_possible_hops_is_jammed_not_a_panic() {
    // no hops at all, and a full lattice (every hop blocked by occupancy)
    let mut none = ideal::simple_cubic(2.5, 0.3);
    none.hops.clear();
    let sc = SupercellNetwork::build(&none, [2, 2, 2], 0.0, None).unwrap();
    let mut t = Trajectory::new(&sc, cfg(300.0), 3, stream_rng(1, 300.0, 0)).unwrap();
    assert!(matches!(t.step(), Err(KmcError::Jammed)));
    let full = ideal::simple_cubic(2.5, 0.3);
    let sc = SupercellNetwork::build(&full, [3, 3, 3], 0.0, None).unwrap();
    let mut t = Trajectory::new(&sc, cfg(300.0), 27, stream_rng(1, 300.0, 0)).unwrap();
    assert_eq!(t.total_rate(), 0.0);
    assert!(matches!(t.step(), Err(KmcError::Jammed)));
}

/// Too cold for the rates: at 5 K a 0.5 eV barrier's rate ν0·exp(−E/k_BT) is below the
/// smallest double, so the total rate is 0 — named as an underflow with the temperature from
/// which the barrier is representable, not as a jam (the same lattice moves at 300 K).
#[test]
fn a_temperature_too_low_for_the_rates_is_named_not_called_a_jam() {
    let net = ideal::simple_cubic(2.5, 0.5);
    let sc = SupercellNetwork::build(&net, [3, 3, 3], 0.0, None).unwrap();
    let mut warm = Trajectory::new(&sc, cfg(300.0), 5, stream_rng(1, 300.0, 0)).unwrap();
    assert!(warm.step().is_ok());
    let mut cold = Trajectory::new(&sc, cfg(5.0), 5, stream_rng(1, 5.0, 0)).unwrap();
    match cold.step() {
        Err(KmcError::RateUnderflow {
            temperature_k,
            limit_ev,
            largest_barrier_ev,
            lowest_temperature_k,
        }) => {
            assert_eq!(temperature_k, 5.0);
            // k_B·5 K·[ln(1e13) − ln(2.225e-308)] = 4.3087e-4 eV × 738.33 = 0.3181 eV
            assert!((limit_ev - 0.3181).abs() < 1e-4, "{limit_ev}");
            assert_eq!(largest_barrier_ev, 0.5);
            assert!((lowest_temperature_k - 5.0 * 0.5 / limit_ev).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    // a full lattice whose 0.3 eV hops are representable at 5 K (limit 0.318 eV) is jammed,
    // not an underflow, even with one 2 eV hop in the network: its hops are blocked, not too
    // slow to write down
    let mut low = ideal::simple_cubic(2.5, 0.3);
    for h in low.hops.iter_mut().filter(|h| h.image[0] != 0) {
        h.saddle_energy_ev = 2.0; // the x hops
    }
    let sc = SupercellNetwork::build(&low, [3, 3, 3], 0.0, None).unwrap();
    assert_eq!(sc.hop_barrier_ev.iter().copied().fold(0.0, f64::max), 2.0);
    let mut full = Trajectory::new(&sc, cfg(5.0), 27, stream_rng(1, 5.0, 0)).unwrap();
    assert!(matches!(full.step(), Err(KmcError::Jammed)));
}

#[test]
fn ions_start_on_low_energy_sites() {
    // 16c sites 2 eV above 8a behind a 2.5 eV saddle: a uniform start would trap ions on
    // them for the whole run; the Boltzmann-weighted start fills the 8 8a sites per cell
    // first. 64 ions on 8 cells × 8 8a sites: all on 8a.
    let net = ideal::spinel_8a_16c(10.42, 0.0, 2.0, 2.5);
    let sc = SupercellNetwork::build(&net, [2, 2, 2], 0.0, None).unwrap();
    for replica in 0..5 {
        let t = Trajectory::new(&sc, cfg(300.0), 64, stream_rng(4, 300.0, replica)).unwrap();
        let on_16c = t
            .occupied_sites()
            .into_iter()
            .filter(|&s| sc.class_names[sc.site_class[s] as usize] == "16c")
            .count();
        assert_eq!(on_16c, 0, "replica {replica}");
    }
    // at a temperature where 2 eV is nothing, the start spreads over both (about 1/3 on 8a)
    let t = Trajectory::new(&sc, cfg(1e6), 64, stream_rng(4, 1e6, 0)).unwrap();
    let on_8a = t
        .occupied_sites()
        .into_iter()
        .filter(|&s| sc.class_names[sc.site_class[s] as usize] == "8a")
        .count();
    assert!((10..=35).contains(&on_8a), "{on_8a} of 64 on 8a");
}

#[test]
fn inconsistent_group_lists_are_refused_on_resume() {
    let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, None).unwrap();
    let mut t = Trajectory::new(&sc, cfg(400.0), 30, stream_rng(7, 400.0, 1)).unwrap();
    t.run_events(500).unwrap();
    let good = t.checkpoint();
    let g = good.group_lists.iter().position(|l| l.len() >= 2).unwrap();
    let mut corrupt: Vec<TrajectoryCheckpoint> = Vec::new();
    let mut c = good.clone();
    c.group_lists[g].pop(); // an allowed hop missing
    corrupt.push(c);
    let mut c = good.clone();
    let first = c.group_lists[g][0];
    c.group_lists[g].push(first); // listed twice
    corrupt.push(c);
    let mut c = good.clone();
    c.group_lists.push(Vec::new()); // group count differs
    corrupt.push(c);
    let mut c = good.clone();
    c.group_lists[g][0] = u32::MAX - 1; // no such hop
    corrupt.push(c);
    for c in corrupt {
        assert!(matches!(
            Trajectory::resume(&sc, c),
            Err(KmcError::Checkpoint(_))
        ));
    }
    assert!(Trajectory::resume(&sc, good).is_ok());
}

#[test]
fn rate_groups_and_site_tree_choose_with_the_same_probabilities() {
    // Without repulsion both selectors are exact; a vanishing repulsion forces the site tree.
    // From one configuration, the distribution of the first hop must agree (χ² over the
    // possible hops) and both equal the rates' proportions.
    let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    for (k, h) in net.hops.iter_mut().enumerate() {
        h.saddle_energy_ev = 0.25 + 0.02 * (k % 4) as f64;
    }
    let tiny = PairRepulsion {
        prefactor_ev_ang: 1e-300,
        screening_length_ang: 1.0,
        cutoff_ang: 3.0,
        form: crate::PairForm::Yukawa,
    };
    let sc_g = SupercellNetwork::build(&net, [1, 1, 1], 2.5, None).unwrap();
    let sc_s = SupercellNetwork::build(&net, [1, 1, 1], 2.5, Some(tiny)).unwrap();
    let base = Trajectory::new(&sc_g, cfg(300.0), 4, stream_rng(2, 300.0, 0)).unwrap();
    let occ = base.occupied_sites();
    // expected probabilities
    let mut expect: Vec<((usize, usize), f64)> = Vec::new();
    for &i in &occ {
        for (j, r, _) in base.allowed_hops(i) {
            expect.push(((i, j), r));
        }
    }
    let total: f64 = expect.iter().map(|x| x.1).sum();
    assert!(expect.len() >= 3);
    let draws = 20_000u64;
    for sc in [&sc_g, &sc_s] {
        let mut counts = vec![0u64; expect.len()];
        let mut ck = base.checkpoint();
        if sc.repulsion.is_some() {
            ck.group_lists.clear();
            ck.field_ev = vec![0.0; sc.n_sites()];
            ck.network_fingerprint = sc.fingerprint();
        }
        for d in 0..draws {
            let mut c = ck.clone();
            c.rng = stream_rng(99, 300.0, d);
            let mut t = Trajectory::resume(sc, c).unwrap();
            t.step().unwrap();
            let after = t.occupied_sites();
            let from = *occ.iter().find(|s| !after.contains(s)).unwrap();
            let to = *after.iter().find(|s| !occ.contains(s)).unwrap();
            let k = expect.iter().position(|x| x.0 == (from, to)).unwrap();
            counts[k] += 1;
        }
        let chi2: f64 = counts
            .iter()
            .zip(&expect)
            .map(|(&c, e)| {
                let m = draws as f64 * e.1 / total;
                (c as f64 - m).powi(2) / m
            })
            .sum();
        // χ² with (k − 1) degrees of freedom: mean k − 1, sd √(2(k − 1))
        let dof = (expect.len() - 1) as f64;
        assert!(
            chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
            "χ² = {chi2} for {dof} dof"
        );
    }
}

/// Rate of moving the ion on `from` to `to`, then perform it (None when not allowed).
fn hop_and_rate(t: &mut Trajectory, from: usize, to: usize) -> Option<f64> {
    let (_, r, h) = t.allowed_hops(from).into_iter().find(|x| x.0 == to)?;
    t.force_hop(from, h).ok()?;
    Some(r)
}

#[test]
fn kolmogorov_loop_criterion_holds_with_repulsion() {
    // Configuration loop C0 →(A: i→j) C1 →(B: p→q) C2 →(A: j→i) C3 →(B: q→p) C0 and the
    // same loop reversed: the products of rates agree to round-off for interacting A, B.
    let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    for (k, h) in net.hops.iter_mut().enumerate() {
        h.saddle_energy_ev = 0.3 + 0.01 * (k % 7) as f64; // unequal saddles
    }
    for (k, s) in net.sites.iter_mut().enumerate() {
        s.energy_ev += 0.003 * (k % 5) as f64; // unequal site energies
    }
    let rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 6.0,
        form: crate::PairForm::Yukawa,
    };
    let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, Some(rep)).unwrap();
    let mut t0 = Trajectory::new(&sc, cfg(300.0), 40, stream_rng(3, 300.0, 0)).unwrap();
    t0.run_events(5000).unwrap();
    let base = t0.checkpoint();
    let mut tested = 0;
    'outer: for i in t0.occupied_sites() {
        for (j, _, _) in t0.allowed_hops(i) {
            for p in t0.occupied_sites() {
                if p == i {
                    continue;
                }
                let (nb, _) = sc.interactions_of(j);
                if !nb.contains(&(p as u32)) {
                    continue;
                }
                for (q, _, _) in t0.allowed_hops(p) {
                    let mut f = Trajectory::resume(&sc, base.clone()).unwrap();
                    let fwd = [
                        hop_and_rate(&mut f, i, j),
                        hop_and_rate(&mut f, p, q),
                        hop_and_rate(&mut f, j, i),
                        hop_and_rate(&mut f, q, p),
                    ];
                    let mut r = Trajectory::resume(&sc, base.clone()).unwrap();
                    let rev = [
                        hop_and_rate(&mut r, p, q),
                        hop_and_rate(&mut r, i, j),
                        hop_and_rate(&mut r, q, p),
                        hop_and_rate(&mut r, j, i),
                    ];
                    if fwd.iter().chain(&rev).any(|x| x.is_none()) {
                        continue;
                    }
                    assert_eq!(f.occupied_sites(), t0.occupied_sites());
                    let lf: f64 = fwd.iter().map(|x| x.unwrap().ln()).sum();
                    let lr: f64 = rev.iter().map(|x| x.unwrap().ln()).sum();
                    // the interaction must matter: the A hop rate differs with B moved
                    assert!((fwd[0].unwrap() / rev[1].unwrap() - 1.0).abs() > 1e-6);
                    assert!((lf - lr).abs() < 1e-12 * lf.abs().max(1.0), "{lf} vs {lr}");
                    tested += 1;
                    if tested >= 20 {
                        break 'outer;
                    }
                }
            }
        }
    }
    assert!(tested >= 5, "only {tested} loops found");
}

#[test]
fn yukawa_rates_are_kra_rates_of_the_model_energies() {
    // Γ = ν0·exp(−β[E_KRA + ΔE/2]) with ΔE from the model's site and pair energies of the whole
    // configuration before and after the hop (docs/physics.md §5.2)
    let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    for (k, s) in net.sites.iter_mut().enumerate() {
        s.energy_ev += 0.004 * (k % 3) as f64;
    }
    let rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 6.0,
        form: crate::PairForm::Yukawa,
    };
    let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, Some(rep)).unwrap();
    let c = cfg(350.0);
    let beta = c.beta_per_ev().unwrap();
    let model = PairInteractions::new(&sc, &c).unwrap();
    let mut t: ModelTrajectory<_, SiteTree> =
        ModelTrajectory::new(&sc, c.clone(), 40, stream_rng(5, 350.0, 0), model).unwrap();
    t.run_events(3000).unwrap();
    let occ = t.occupied_sites();
    let e0 = t.model().configuration_energy_ev(&occ);
    let mut checked = 0;
    for &i in &occ {
        for (j, rate, h) in t.allowed_hops(i) {
            let after: Vec<usize> = occ.iter().map(|&s| if s == i { j } else { s }).collect();
            let de = t.model().configuration_energy_ev(&after) - e0;
            let m = t.model();
            let saddle = sc.hop_barrier_ev[h] + m.site_energy_ev(i);
            let e_kra = saddle - 0.5 * (m.site_energy_ev(i) + m.site_energy_ev(j));
            let expect = c.attempt_frequency_hz * (-beta * (e_kra + 0.5 * de)).exp();
            assert!((rate / expect - 1.0).abs() < 1e-9, "{rate} vs {expect}");
            assert!((m.pair_energy_ev(i, j) - sc.hop_pair_ev[h]).abs() < 1e-12);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} hops");
}

#[test]
fn the_rate_group_selector_refuses_an_interacting_model() {
    let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    let rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 5.0,
        form: crate::PairForm::Yukawa,
    };
    let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, Some(rep)).unwrap();
    let model = PairInteractions::new(&sc, &cfg(400.0)).unwrap();
    let r =
        ModelTrajectory::<_, RateGroups>::new(&sc, cfg(400.0), 30, stream_rng(1, 400.0, 0), model);
    assert!(matches!(
        r,
        Err(KmcError::InvalidParameter {
            name: "energy_model",
            ..
        })
    ));
}

#[test]
fn the_single_particle_model_runs_on_either_selector() {
    // the same placement (it does not depend on the selector) and the same total rate; both
    // stay exact while running
    let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    for (k, h) in net.hops.iter_mut().enumerate() {
        h.saddle_energy_ev = 0.25 + 0.02 * (k % 4) as f64;
    }
    let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, None).unwrap();
    let c = cfg(400.0);
    let rng = || stream_rng(8, 400.0, 0);
    let mut g: ModelTrajectory<_, RateGroups> = ModelTrajectory::new(
        &sc,
        c.clone(),
        36,
        rng(),
        SingleParticle::new(&sc, &c).unwrap(),
    )
    .unwrap();
    let mut s: ModelTrajectory<_, SiteTree> = ModelTrajectory::new(
        &sc,
        c.clone(),
        36,
        rng(),
        SingleParticle::new(&sc, &c).unwrap(),
    )
    .unwrap();
    assert_eq!(g.occupied_sites(), s.occupied_sites());
    assert!((g.total_rate() / s.total_rate() - 1.0).abs() < 1e-12);
    for t in [g.total_rate(), s.total_rate()] {
        assert!(t > 0.0);
    }
    g.run_events(5000).unwrap();
    s.run_events(5000).unwrap();
    for (total, fresh) in [
        (g.total_rate(), g.fresh_total_rate()),
        (s.total_rate(), s.fresh_total_rate()),
    ] {
        assert!((total / fresh - 1.0).abs() < 1e-12);
    }
}

/// The sites of `t` that violate site exclusion (empty when none).
fn blocked_pairs(sc: &SupercellNetwork, occ: &[usize]) -> Vec<(usize, u32)> {
    let mut bad = Vec::new();
    for &s in occ {
        for &b in sc.blockers_of(s) {
            if occ.binary_search(&(b as usize)).is_ok() {
                bad.push((s, b));
            }
        }
    }
    bad
}

#[test]
fn metropolis_leaves_an_ordinary_exact_state() {
    // after the sweeps: exclusion holds, the running field and selector equal the ones rebuilt
    // from scratch, class counts match the occupancy, displacements/clock/events are untouched,
    // and the non-local exclusion test agrees with a brute-force one
    let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    for (k, s) in net.sites.iter_mut().enumerate() {
        s.energy_ev += 0.005 * (k % 4) as f64;
    }
    let rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 6.0,
        form: crate::PairForm::Yukawa,
    };
    for repulsion in [None, Some(rep)] {
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, repulsion).unwrap();
        let mut t = Trajectory::new(&sc, cfg(450.0), 40, stream_rng(2, 450.0, 0)).unwrap();
        let mut total = MetropolisStats::default();
        for _ in 0..20 {
            let st = t.metropolis(400).unwrap();
            assert_eq!(st.moves, 400);
            total = total.merged(st);
            let occ = t.occupied_sites();
            assert!(blocked_pairs(&sc, &occ).is_empty());
            let s = t.state();
            assert_eq!((s.events, s.time_s), (0, 0.0));
            assert!(s.disp_ang.iter().all(|d| *d == [0.0; 3]));
            let mut class_count = vec![0u64; sc.class_names.len()];
            for &i in &occ {
                class_count[sc.site_class[i] as usize] += 1;
            }
            assert_eq!(s.class_count, class_count);
            let fresh = t.fresh_total_rate();
            assert!((t.total_rate() / fresh - 1.0).abs() < 1e-12);
            if repulsion.is_some() {
                // the incremental field of the moves equals the one recomputed from occupancy
                let mut f = s.field_ev.clone();
                f.iter_mut().for_each(|x| *x = 0.0);
                for (i, x) in f.iter_mut().enumerate() {
                    let (nb, v) = sc.interactions_of(i);
                    for (k, &j) in nb.iter().enumerate() {
                        if s.occupant[j as usize] != checkpoint::EMPTY {
                            *x += v[k];
                        }
                    }
                }
                for (x, y) in f.iter().zip(&s.field_ev) {
                    assert!((x - y).abs() < 1e-12, "{x} vs {y}");
                }
            }
            for &i in &occ {
                for j in 0..sc.n_sites() {
                    let brute = s.occupant[j] == checkpoint::EMPTY
                        && !occ
                            .iter()
                            .any(|&o| o != i && sc.blockers_of(o).contains(&(j as u32)));
                    assert_eq!(metropolis::transfer_allowed(&sc, s, i, j), brute);
                }
            }
        }
        assert!(total.accepted > 100 && total.excluded > 100, "{total:?}");
        assert!(total.acceptance() < 1.0);
        // the kMC continues from it with an exact running total
        t.run_events(3000).unwrap();
        assert!((t.total_rate() / t.fresh_total_rate() - 1.0).abs() < 1e-12);
        assert!(blocked_pairs(&sc, &t.occupied_sites()).is_empty());
    }
}

#[test]
fn metropolis_is_reproducible_chunkable_and_resumable() {
    let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
    let rep = PairRepulsion {
        prefactor_ev_ang: 1.44,
        screening_length_ang: 3.0,
        cutoff_ang: 5.0,
        form: crate::PairForm::Yukawa,
    };
    for repulsion in [None, Some(rep)] {
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, repulsion).unwrap();
        let new = || Trajectory::new(&sc, cfg(400.0), 30, stream_rng(7, 400.0, 1)).unwrap();
        // zero moves draw nothing and change nothing
        let mut z = new();
        let before = z.checkpoint();
        assert_eq!(z.metropolis(0).unwrap(), MetropolisStats::default());
        assert_eq!(z.checkpoint(), before);
        // one call or several: the same state (the moves do not read the selector)
        let mut a = new();
        let sa = a.metropolis(3000).unwrap();
        let mut b = new();
        let sb = b
            .metropolis(1000)
            .unwrap()
            .merged(b.metropolis(2000).unwrap());
        assert_eq!(sa, sb);
        assert_eq!(a.checkpoint(), b.checkpoint());
        assert_ne!(a.occupied_sites(), new().occupied_sites());
        // a checkpoint taken after the sweeps resumes bit-identically
        let ck: TrajectoryCheckpoint =
            serde_json::from_str(&serde_json::to_string(&a.checkpoint()).unwrap()).unwrap();
        a.run_block(2500).unwrap();
        let mut c = Trajectory::resume(&sc, ck).unwrap();
        c.run_block(2500).unwrap();
        assert_eq!(a.checkpoint(), c.checkpoint());
        // sweeps after kMC events: the event count and the displacements stay
        let disp = a.displacements_ang().to_vec();
        let events = a.state().events;
        a.metropolis(500).unwrap();
        assert_eq!(a.displacements_ang(), &disp[..]);
        assert_eq!(a.state().events, events);
        assert!((a.total_rate() / a.fresh_total_rate() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn metropolis_does_not_depend_on_the_selector() {
    // single-particle model on the rate groups and on the site tree: same moves, same state
    let sc = SupercellNetwork::build(
        &ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3),
        [2, 2, 2],
        2.5,
        None,
    )
    .unwrap();
    let c = cfg(400.0);
    let mut g: ModelTrajectory<_, RateGroups> = ModelTrajectory::new(
        &sc,
        c.clone(),
        36,
        stream_rng(8, 400.0, 0),
        SingleParticle::new(&sc, &c).unwrap(),
    )
    .unwrap();
    let mut s: ModelTrajectory<_, SiteTree> = ModelTrajectory::new(
        &sc,
        c.clone(),
        36,
        stream_rng(8, 400.0, 0),
        SingleParticle::new(&sc, &c).unwrap(),
    )
    .unwrap();
    assert_eq!(g.metropolis(5000).unwrap(), s.metropolis(5000).unwrap());
    assert_eq!(g.occupied_sites(), s.occupied_sites());
    assert!((g.total_rate() / s.total_rate() - 1.0).abs() < 1e-12);
}

#[test]
fn scripted_starts_are_checked() {
    let sc = SupercellNetwork::build(&ideal::simple_cubic(2.0, 0.3), [3, 3, 3], 2.5, None).unwrap();
    let t = Trajectory::with_sites(&sc, cfg(300.0), &[0, 5, 13], stream_rng(1, 300.0, 0)).unwrap();
    assert_eq!(t.occupied_sites(), vec![0, 5, 13]);
    assert!((t.total_rate() / t.fresh_total_rate() - 1.0).abs() < 1e-12);
    for bad in [&[0, 0][..], &[0, 1], &[27], &[]] {
        assert!(matches!(
            Trajectory::with_sites(&sc, cfg(300.0), bad, stream_rng(1, 300.0, 0)),
            Err(KmcError::InvalidParameter { .. })
        ));
    }
}
