//! How far a ranking is resolved by the error bars of the numbers it ranks by.
//!
//! - **P(top k)**: σ(300 K) of every passing candidate is drawn from a log-normal with median σ
//!   and log-width δ = SE/σ (the delta-method relative error), independently, `draws` times
//!   (ChaCha8, fixed seed, so the table is reproducible); P(top k) is the fraction of draws in
//!   which the candidate is among the k highest.
//! - **Ties**: neighbours in σ order whose log-σ difference is within their combined error,
//!   |ln σ_a − ln σ_b| ≤ √(δ_a² + δ_b²), are not resolved; chains of such neighbours form one
//!   tie group.
//! - **Front within errors**: a candidate is dominated *within errors* when another passing
//!   candidate dominates it on the central values but no longer does when the dominating one is
//!   taken at its pessimistic values (σ·e^−δ, Ea + SE) and the dominated one at its optimistic
//!   values (σ·e^δ, Ea − SE). Such candidates stay on the Pareto front, flagged.

use crate::rank::CandidateMetrics;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Resampling draws for P(top k).
pub const TOP_K_DRAWS: usize = 4000;
/// Seed of the resampling (fixed: the probabilities are part of the deterministic outputs).
pub const TOP_K_SEED: u64 = 0x05ee_d70b;

/// Relative error δ = SE/σ of σ(300 K) (0 when unknown).
pub fn log_sigma_width(m: &CandidateMetrics) -> f64 {
    match (m.sigma_300k_s_per_cm, m.sigma_300k_se_s_per_cm) {
        (Some(s), Some(se)) if s > 0.0 && se.is_finite() && se > 0.0 => se / s,
        _ => 0.0,
    }
}

/// P(top `k` by σ(300 K)) of each candidate of `passing`, by resampling (module docs). A
/// candidate without σ has probability 0.
pub fn top_k_probabilities(passing: &[&CandidateMetrics], k: usize, draws: usize) -> Vec<f64> {
    let n = passing.len();
    if n == 0 {
        return Vec::new();
    }
    if k >= n {
        return passing
            .iter()
            .map(|m| {
                if m.sigma_300k_s_per_cm.is_some() {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
    }
    let centre: Vec<f64> = passing
        .iter()
        .map(|m| {
            m.sigma_300k_s_per_cm
                .filter(|s| *s > 0.0)
                .map_or(f64::NEG_INFINITY, f64::ln)
        })
        .collect();
    let width: Vec<f64> = passing.iter().map(|m| log_sigma_width(m)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(TOP_K_SEED);
    let mut hits = vec![0usize; n];
    let mut drawn: Vec<(f64, usize)> = vec![(0.0, 0); n];
    for _ in 0..draws {
        for i in 0..n {
            let z: f64 = rng.sample(StandardNormal);
            drawn[i] = (centre[i] + width[i] * z, i);
        }
        drawn.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(v, i) in &drawn[..k] {
            if v > f64::NEG_INFINITY {
                hits[i] += 1;
            }
        }
    }
    hits.iter().map(|&h| h as f64 / draws as f64).collect()
}

/// Tie groups (1-based) of `passing` sorted by σ: consecutive candidates within their combined
/// error share a group; a candidate resolved from both neighbours has `None`.
pub fn tie_groups(passing: &[&CandidateMetrics]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..passing.len()).collect();
    let ln = |m: &CandidateMetrics| {
        m.sigma_300k_s_per_cm
            .filter(|s| *s > 0.0)
            .map_or(f64::NEG_INFINITY, f64::ln)
    };
    order.sort_by(|&a, &b| ln(passing[b]).total_cmp(&ln(passing[a])));
    let mut group = vec![None; passing.len()];
    let mut next = 0;
    for w in order.windows(2) {
        let (a, b) = (passing[w[0]], passing[w[1]]);
        let (la, lb) = (ln(a), ln(b));
        let tol = (log_sigma_width(a).powi(2) + log_sigma_width(b).powi(2)).sqrt();
        if la.is_finite() && lb.is_finite() && (la - lb).abs() <= tol {
            let g = match group[w[0]] {
                Some(g) => g,
                None => {
                    next += 1;
                    group[w[0]] = Some(next);
                    next
                }
            };
            group[w[1]] = Some(g);
        }
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, sigma: f64, se: f64) -> CandidateMetrics {
        CandidateMetrics {
            id: id.into(),
            sigma_300k_s_per_cm: Some(sigma),
            sigma_300k_se_s_per_cm: Some(se),
            ..Default::default()
        }
    }

    #[test]
    fn resolved_candidates_are_certain_and_tied_ones_share_the_odds() {
        let a = cand("a", 1e-2, 1e-4); // far ahead
        let b = cand("b", 1e-3, 2e-4); // b and c within errors
        let c = cand("c", 0.95e-3, 2e-4);
        let d = cand("d", 1e-6, 1e-8);
        let p = top_k_probabilities(&[&a, &b, &c, &d], 2, TOP_K_DRAWS);
        assert_eq!(p[0], 1.0);
        assert_eq!(p[3], 0.0);
        assert!((p[1] + p[2] - 1.0).abs() < 1e-12, "{p:?}");
        assert!(p[1] > 0.4 && p[1] < 0.75, "{p:?}");
        let g = tie_groups(&[&a, &b, &c, &d]);
        assert_eq!(g, vec![None, Some(1), Some(1), None]);
        // k ≥ n: everyone with a σ is in
        assert_eq!(top_k_probabilities(&[&a, &b], 5, 10), vec![1.0, 1.0]);
    }
}
