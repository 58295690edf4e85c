//! The per-run stopping rule (`halo_kmc::replicas`): it only chooses how many replicas each
//! temperature gets, so every temperature's result equals a fixed run with that many replicas,
//! bit for bit; temperatures already measured to the target are not extended; the cap holds.

use halo_kmc::{
    network::ideal, simulate, KmcParams, MobileIons, ReplicaTarget, SupercellChoice,
    TemperatureResult,
};

fn params(temps: Vec<f64>) -> KmcParams {
    let mut p = KmcParams::new(temps);
    p.seed = 5;
    p.mobile_ions = MobileIons::Fraction(0.5);
    p.supercell = SupercellChoice::Fixed([4, 4, 4]);
    p.blocking_distance_ang = 0.0;
    p.replicas = 2;
    p.blocks_per_replica = 4;
    p.hops_per_ion_per_block = 5.0;
    p.equilibration_hops_per_ion = 10.0;
    p
}

fn fixed_run_at(temperature_k: f64, replicas: usize) -> TemperatureResult {
    let net = ideal::simple_cubic(2.5, 0.3);
    let mut p = params(vec![temperature_k]);
    p.replicas = replicas;
    simulate(&net, &p).unwrap().temperatures.remove(0)
}

/// Bit-for-bit equality through the JSON (NaN, e.g. a two-point fit's χ², is not == itself).
fn same<T: serde::Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_string(a).unwrap() == serde_json::to_string(b).unwrap()
}

fn rel(t: &TemperatureResult) -> f64 {
    t.sigma_se_s_per_cm / t.sigma_s_per_cm
}

#[test]
fn a_temperature_extended_to_r_replicas_equals_a_fixed_run_of_r() {
    let net = ideal::simple_cubic(2.5, 0.3);
    let mut p = params(vec![400.0]);
    // a target no short run meets: the rule doubles 2 → 4 → 8 and stops at the cap
    p.replica_target = Some(ReplicaTarget {
        rel_se: 1e-6,
        max_replicas: 8,
    });
    let r = simulate(&net, &p).unwrap();
    let s = r.stopping.as_ref().unwrap();
    assert_eq!(s.replicas_per_temperature, vec![8]);
    // one temperature, no fit: the rule measured σ(400 K), and says so
    assert_eq!(s.measured_at_k, Some(400.0));
    assert!(
        s.summary().contains("σ(400 K), the lowest"),
        "{}",
        s.summary()
    );
    assert_eq!(s.rounds, 3);
    assert!(s.target_missed);
    assert_eq!(r.temperatures[0].blocks, 8 * 4);
    assert!(same(&r.temperatures[0], &fixed_run_at(400.0, 8)));
    // without the rule: the fixed run of the starting replicas, and no record
    p.replica_target = None;
    let f = simulate(&net, &p).unwrap();
    assert!(f.stopping.is_none());
    assert!(same(&f.temperatures[0], &fixed_run_at(400.0, 2)));
}

#[test]
fn a_run_that_meets_the_target_at_once_is_the_fixed_run() {
    let net = ideal::simple_cubic(2.5, 0.3);
    let mut p = params(vec![400.0, 500.0]);
    let fixed = simulate(&net, &p).unwrap();
    p.replica_target = Some(ReplicaTarget {
        rel_se: 10.0,
        max_replicas: 64,
    });
    let mut r = simulate(&net, &p).unwrap();
    let s = r.stopping.take().unwrap();
    assert_eq!((s.rounds, s.target_missed), (1, false));
    assert_eq!(s.replicas_per_temperature, vec![2, 2]);
    assert!(s.rel_se_reached <= 10.0 && s.rel_se_reached == fixed.sigma_300k_rel_se());
    r.params.replica_target = None;
    assert!(same(&r, &fixed));
}

#[test]
fn only_the_temperatures_not_yet_measured_get_more_replicas() {
    let net = ideal::simple_cubic(2.5, 0.3);
    let temps = vec![350.0, 400.0, 450.0, 500.0];
    let start: Vec<f64> = temps.iter().map(|&t| rel(&fixed_run_at(t, 2))).collect();
    // a target between the best- and the worst-measured temperature of the first round
    let mut sorted = start.clone();
    sorted.sort_by(f64::total_cmp);
    let target = 0.5 * (sorted[0] + sorted[3]);
    let mut p = params(temps.clone());
    p.replica_target = Some(ReplicaTarget {
        rel_se: target,
        max_replicas: 32,
    });
    let r = simulate(&net, &p).unwrap();
    let s = r.stopping.as_ref().unwrap();
    for (i, &t) in temps.iter().enumerate() {
        let n = s.replicas_per_temperature[i];
        // measured at the start: never extended; otherwise a power-of-two multiple of the start
        if start[i] <= target {
            assert_eq!(n, 2, "{t} K was measured to {} ≤ {target}", start[i]);
        } else {
            assert!(n > 2 && (n / 2).is_power_of_two() && n <= 32, "{t} K: {n}");
        }
        // every temperature is the fixed run of its final replica count
        assert!(
            same(&r.temperatures[i], &fixed_run_at(t, n)),
            "{t} K with {n} replicas"
        );
        // a temperature stopped below the cap is measured to the target (or the fit already was)
        if n < 32 && n > 2 {
            assert!(rel(&r.temperatures[i]) <= target || !s.target_missed);
        }
    }
    assert!(s.replicas_per_temperature.iter().any(|&n| n > 2));
    assert_eq!(s.rel_se_reached, r.sigma_300k_rel_se());
    assert_eq!(s.target_missed, s.rel_se_reached > target);
}

#[test]
fn a_bad_rule_is_refused_before_any_work() {
    let net = ideal::simple_cubic(2.5, 0.3);
    let mut p = params(vec![400.0]);
    p.replica_target = Some(ReplicaTarget {
        rel_se: 0.2,
        max_replicas: 1,
    });
    let e = simulate(&net, &p).unwrap_err().to_string();
    assert!(e.contains("max_replicas"), "{e}");
}

/// A temperature too cold for the arithmetic (at 5 K a 0.5 eV hop's rate is below the smallest
/// double) does not stop the run: it is listed in `too_cold` with the underflow's message and
/// left out, and the other temperatures are bit for bit the run without it, stopping rule
/// included (0 replicas at 5 K). A run with no other temperature is the error itself.
#[test]
fn a_temperature_too_cold_to_simulate_is_listed_and_the_others_run() {
    let net = ideal::simple_cubic(2.5, 0.5);
    let target = Some(ReplicaTarget {
        rel_se: 1e-6,
        max_replicas: 4,
    });
    let mut p = params(vec![5.0, 300.0, 400.0]);
    p.replica_target = target;
    let r = simulate(&net, &p).unwrap();
    assert_eq!(r.too_cold.len(), 1);
    assert_eq!(r.too_cold[0].temperature_k, 5.0);
    assert!(
        r.too_cold[0].reason.contains("underflow"),
        "{}",
        r.too_cold[0].reason
    );
    let mut warm = params(vec![300.0, 400.0]);
    warm.replica_target = target;
    let w = simulate(&net, &warm).unwrap();
    assert!(w.too_cold.is_empty());
    assert!(same(&r.temperatures, &w.temperatures));
    assert!(same(&r.arrhenius, &w.arrhenius));
    assert_eq!(
        r.stopping.as_ref().unwrap().replicas_per_temperature,
        vec![0, 4, 4]
    );
    // the JSON of a run where every temperature ran has no `too_cold` key
    assert!(!serde_json::to_string(&w).unwrap().contains("too_cold"));
    let only = simulate(&net, &params(vec![5.0])).unwrap_err();
    assert!(
        matches!(only, halo_kmc::KmcError::RateUnderflow { .. }),
        "{only}"
    );
}

/// A block shorter than one hop per ion measures single hops, not diffusion (its D_σ misses the
/// back-hop correlations): refused, naming the parameter.
#[test]
fn a_block_of_less_than_one_hop_per_ion_is_refused() {
    let net = ideal::simple_cubic(2.5, 0.3);
    let mut p = params(vec![400.0]);
    p.hops_per_ion_per_block = 0.5;
    let e = simulate(&net, &p).unwrap_err().to_string();
    assert!(
        e.contains("hops_per_ion_per_block") && e.contains("[1,"),
        "{e}"
    );
    p.hops_per_ion_per_block = 1.0;
    assert!(simulate(&net, &p).is_ok());
}
