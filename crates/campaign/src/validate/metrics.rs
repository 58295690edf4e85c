//! How well predicted conductivities follow measured ones.
//!
//! All conductivity metrics work on log10 σ (S/cm). With `p` predicted and `m` measured:
//! - Spearman ρ: Pearson correlation of the ranks (ties get their average rank);
//! - Kendall τ_b = (C − D)/√((n0 − n1)(n0 − n2)), n0 = n(n−1)/2, n1/n2 the tied pairs in p/m
//!   (Kendall 1945; scipy.stats.kendalltau's default);
//! - log10 MAE = mean |log10 p − log10 m|, log10 bias = mean (log10 p − log10 m);
//! - Ea MAE = mean |Ea_p − Ea_m| over rows with both;
//! - superionic-above-poor fraction: over every pair (a, b) with m_a > 1e-4 S/cm and
//!   m_b < 1e-6 S/cm, the fraction with p_a > p_b (1 when the model never ranks a poor
//!   conductor above a superionic one; `None` without such pairs).

use serde::{Deserialize, Serialize};

/// Measured σ above which a row is superionic, S/cm.
pub const SUPERIONIC_S_PER_CM: f64 = 1e-4;
/// Measured σ below which a row is a poor conductor, S/cm.
pub const POOR_S_PER_CM: f64 = 1e-6;

/// One scored point: predicted and measured σ (S/cm) and Ea (eV) where known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub predicted_s_per_cm: f64,
    pub measured_s_per_cm: f64,
    pub predicted_ea_ev: Option<f64>,
    pub measured_ea_ev: Option<f64>,
}

/// The metrics of a set of points (`None` where a metric is undefined: fewer than two points,
/// or no variation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub spearman_rho: Option<f64>,
    pub kendall_tau: Option<f64>,
    pub log10_mae: Option<f64>,
    pub log10_bias: Option<f64>,
    pub ea_mae_ev: Option<f64>,
    /// Rows with both Ea, for `ea_mae_ev`.
    pub n_ea: usize,
    pub superionic_above_poor_fraction: Option<f64>,
    /// (superionic, poor) pairs compared.
    pub n_superionic_poor_pairs: usize,
    /// Points scored.
    pub n_rows: usize,
    /// Rows (or compositions) that could not be scored (failed evaluations).
    pub n_failed: usize,
}

/// Ranks 1..n with ties averaged.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Pearson correlation (`None` for fewer than two points or zero variance).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Spearman's ρ with average ranks for ties.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&average_ranks(x), &average_ranks(y))
}

/// Kendall's τ_b (tie-corrected).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return None;
    }
    let (mut concordant, mut discordant, mut tie_x, mut tie_y) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let dx = (x[i] - x[j]).signum() * ((x[i] != x[j]) as i32 as f64);
            let dy = (y[i] - y[j]).signum() * ((y[i] != y[j]) as i32 as f64);
            if dx == 0.0 {
                tie_x += 1;
            }
            if dy == 0.0 {
                tie_y += 1;
            }
            if dx != 0.0 && dy != 0.0 {
                if dx == dy {
                    concordant += 1;
                } else {
                    discordant += 1;
                }
            }
        }
    }
    let n0 = (n * (n - 1) / 2) as i64;
    let denom = (((n0 - tie_x) * (n0 - tie_y)) as f64).sqrt();
    (denom > 0.0).then(|| (concordant - discordant) as f64 / denom)
}

/// Every metric of the module docs for `points`; `n_failed` is carried into the result.
pub fn score(points: &[Point], n_failed: usize) -> Metrics {
    let lp: Vec<f64> = points
        .iter()
        .map(|p| p.predicted_s_per_cm.log10())
        .collect();
    let lm: Vec<f64> = points.iter().map(|p| p.measured_s_per_cm.log10()).collect();
    let n = points.len();
    let mean = |v: &mut dyn Iterator<Item = f64>| {
        let (s, k) = v.fold((0.0, 0usize), |(s, k), x| (s + x, k + 1));
        (k > 0).then(|| s / k as f64)
    };
    let log10_mae = mean(&mut lp.iter().zip(&lm).map(|(a, b)| (a - b).abs()));
    let log10_bias = mean(&mut lp.iter().zip(&lm).map(|(a, b)| a - b));
    let ea: Vec<f64> = points
        .iter()
        .filter_map(|p| Some((p.predicted_ea_ev? - p.measured_ea_ev?).abs()))
        .collect();
    let ea_mae_ev = mean(&mut ea.iter().copied());
    let (mut pairs, mut ordered) = (0usize, 0usize);
    for a in points
        .iter()
        .filter(|p| p.measured_s_per_cm > SUPERIONIC_S_PER_CM)
    {
        for b in points
            .iter()
            .filter(|p| p.measured_s_per_cm < POOR_S_PER_CM)
        {
            pairs += 1;
            if a.predicted_s_per_cm > b.predicted_s_per_cm {
                ordered += 1;
            }
        }
    }
    Metrics {
        spearman_rho: spearman(&lp, &lm),
        kendall_tau: kendall_tau_b(&lp, &lm),
        log10_mae,
        log10_bias,
        ea_mae_ev,
        n_ea: ea.len(),
        superionic_above_poor_fraction: (pairs > 0).then(|| ordered as f64 / pairs as f64),
        n_superionic_poor_pairs: pairs,
        n_rows: n,
        n_failed,
    }
}

/// How far the set's sampling alone moves the headline metrics: a percentile bootstrap over the
/// scored points (each draw n points with replacement; Spearman ρ and log10 MAE of the draw;
/// draws where ρ is undefined are skipped), 95 % interval. On a set of ten compositions it is
/// several times wider than the seed spread (ρ about 0.1–0.95 around 0.70): the seed spread is
/// the kMC's noise, this is the set's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingInterval {
    pub draws: usize,
    /// Seed of the draws (ChaCha8), fixed so that the report is reproducible.
    pub seed: u64,
    pub spearman_rho_95: Option<(f64, f64)>,
    pub log10_mae_95: Option<(f64, f64)>,
}

/// [`SamplingInterval`] of `points` (`None` below four points).
pub fn sampling_interval(points: &[Point], draws: usize, seed: u64) -> Option<SamplingInterval> {
    use rand::{Rng, SeedableRng};
    let n = points.len();
    if n < 4 || draws == 0 {
        return None;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut rhos, mut maes) = (Vec::with_capacity(draws), Vec::with_capacity(draws));
    for _ in 0..draws {
        let pick: Vec<&Point> = (0..n).map(|_| &points[rng.random_range(0..n)]).collect();
        let p: Vec<f64> = pick.iter().map(|x| x.predicted_s_per_cm.log10()).collect();
        let m: Vec<f64> = pick.iter().map(|x| x.measured_s_per_cm.log10()).collect();
        if let Some(r) = spearman(&p, &m) {
            rhos.push(r);
        }
        maes.push(p.iter().zip(&m).map(|(a, b)| (a - b).abs()).sum::<f64>() / n as f64);
    }
    let interval = |mut v: Vec<f64>| -> Option<(f64, f64)> {
        if v.len() < draws / 2 {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        Some((at(0.025), at(0.975)))
    };
    Some(SamplingInterval {
        draws,
        seed,
        spearman_rho_95: interval(rhos),
        log10_mae_95: interval(maes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bootstrap interval: a perfectly ranked set with a constant offset gives ρ 1 and MAE
    /// the offset in every draw; a scrambled one a wide ρ interval; the draws are reproducible;
    /// fewer than four points give none.
    #[test]
    fn sampling_interval_brackets_the_set() {
        let pt = |p: f64, m: f64| Point {
            predicted_s_per_cm: p,
            measured_s_per_cm: m,
            predicted_ea_ev: None,
            measured_ea_ev: None,
        };
        let exact: Vec<Point> = (0..10)
            .map(|i| {
                let m = 10f64.powi(-i - 2);
                pt(m * 10.0, m)
            })
            .collect();
        let b = sampling_interval(&exact, 500, 0).unwrap();
        let (lo, hi) = b.spearman_rho_95.unwrap();
        assert!(
            (lo - 1.0).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12,
            "{b:?}"
        );
        let (lo, hi) = b.log10_mae_95.unwrap();
        assert!((lo - 1.0).abs() < 1e-9 && (hi - 1.0).abs() < 1e-9, "{b:?}");
        let order = [3, 7, 1, 9, 0, 5, 2, 8, 6, 4];
        let scrambled: Vec<Point> = (0..10)
            .map(|i| pt(10f64.powi(-order[i]), 10f64.powi(-(i as i32))))
            .collect();
        let b = sampling_interval(&scrambled, 500, 0).unwrap();
        let (lo, hi) = b.spearman_rho_95.unwrap();
        assert!(hi - lo > 0.5, "{b:?}");
        assert_eq!(b, sampling_interval(&scrambled, 500, 0).unwrap());
        assert!(sampling_interval(&scrambled[..3], 500, 0).is_none());
    }

    // reference values: scipy 1.17.1 `spearmanr` and `kendalltau` (τ_b) on the same vectors
    // (scripts/reference/rank_metrics_scipy.py)
    const X: [f64; 8] = [1.0, 2.0, 2.0, 3.0, 5.0, 4.0, 7.0, 7.0];
    const Y: [f64; 8] = [2.0, 1.0, 3.0, 3.0, 6.0, 4.0, 9.0, 8.0];

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&X),
            vec![1.0, 2.5, 2.5, 4.0, 6.0, 5.0, 7.5, 7.5]
        );
    }

    #[test]
    fn spearman_and_kendall_match_scipy() {
        let rho = spearman(&X, &Y).unwrap();
        let tau = kendall_tau_b(&X, &Y).unwrap();
        assert!((rho - 0.9394111922831736).abs() < 1e-12, "{rho}");
        assert!((tau - 0.8680790595108567).abs() < 1e-12, "{tau}");
        // reversing one side reverses the sign
        let neg: Vec<f64> = Y.iter().map(|v| -v).collect();
        assert!((spearman(&X, &neg).unwrap() + rho).abs() < 1e-12);
        assert!((kendall_tau_b(&X, &neg).unwrap() + tau).abs() < 1e-12);
        assert_eq!(spearman(&[1.0], &[2.0]), None);
        assert_eq!(kendall_tau_b(&[1.0, 1.0], &[2.0, 3.0]), None);
    }

    #[test]
    fn score_counts_pairs_errors_and_ea() {
        let pt = |p: f64, m: f64, pe: Option<f64>, me: Option<f64>| Point {
            predicted_s_per_cm: p,
            measured_s_per_cm: m,
            predicted_ea_ev: pe,
            measured_ea_ev: me,
        };
        let pts = [
            pt(1e-3, 1e-3, Some(0.30), Some(0.33)),
            pt(1e-2, 1e-4 * 2.0, None, Some(0.4)),
            pt(1e-5, 1e-7, Some(0.5), Some(0.6)),
            pt(1e-1, 1e-8, Some(0.3), None),
        ];
        let m = score(&pts, 2);
        assert_eq!(m.n_rows, 4);
        assert_eq!(m.n_failed, 2);
        // pairs: 2 superionic × 2 poor; 1e-1 (poor) beats both superionic → 2 of 4 ordered
        assert_eq!(m.n_superionic_poor_pairs, 4);
        assert_eq!(m.superionic_above_poor_fraction, Some(0.5));
        let errs = [0.0, (1e-2f64 / 2e-4).log10(), 2.0, 7.0];
        let mae = errs.iter().sum::<f64>() / 4.0;
        assert!((m.log10_mae.unwrap() - mae).abs() < 1e-12);
        assert!((m.log10_bias.unwrap() - mae).abs() < 1e-12);
        assert_eq!(m.n_ea, 2);
        assert!((m.ea_mae_ev.unwrap() - 0.065).abs() < 1e-12);
    }
}
