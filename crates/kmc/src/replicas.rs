//! The per-run stopping rule of the kMC (docs/physics.md §5.9): run until σ(300 K) is measured
//! to a target relative standard error, or a cap.
//!
//! A run starts with [`crate::KmcParams::replicas`] independent replicas at every temperature.
//! With a [`ReplicaTarget`] it then repeats: if the relative SE of σ(300 K) —
//! [`crate::KmcResult::sigma_300k_rel_se`], the Arrhenius fit's, or the lowest temperature's σ
//! when there is no fit — is at most `rel_se`, stop; otherwise double the replicas (up to
//! `max_replicas`) at each temperature whose own σ is not measured to `rel_se` (SE/σ above it,
//! σ ≤ 0, or σ below the run's resolution, [`crate::TemperatureResult::is_resolved`]). The run
//! stops when no temperature is left to extend: every one has reached the cap, or every one is
//! measured to the target and the fit's remaining error is its scatter between temperatures
//! (which more replicas do not remove).
//!
//! Replica r at temperature T always uses the stream `stream_rng(seed, T, r)`, so the result at
//! a temperature that ended with R replicas is bit-identical to a fixed run with R replicas: the
//! rule only chooses R, per temperature. A run whose first round already meets the target is
//! the fixed run.

use crate::error::KmcError;
use crate::{KmcResult, TemperatureResult, MAX_REPLICAS};
use serde::{Deserialize, Serialize};

/// Default target of the relative SE of σ(300 K) (the 20 %).
pub const TARGET_REL_SE: f64 = 0.2;
/// Default cap, as a multiple of the starting replicas.
pub const MAX_REPLICAS_FACTOR: usize = 4;

/// The stopping rule of a run (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaTarget {
    /// Stop when the relative SE of σ(300 K) is at most this.
    pub rel_se: f64,
    /// Most replicas at one temperature (the cap).
    pub max_replicas: usize,
}

impl ReplicaTarget {
    /// The default rule for a run that starts with `replicas`: 20 %, cap 4 × `replicas`.
    pub fn default_for(replicas: usize) -> ReplicaTarget {
        ReplicaTarget {
            rel_se: TARGET_REL_SE,
            max_replicas: (MAX_REPLICAS_FACTOR * replicas).min(MAX_REPLICAS),
        }
    }

    /// Check the rule against the run's starting replicas; the error names the parameter.
    pub fn validate(&self, replicas: usize) -> Result<(), KmcError> {
        if !(self.rel_se.is_finite() && self.rel_se > 0.0) {
            return Err(KmcError::InvalidParameter {
                name: "target_rel_se",
                reason: format!("{} is not positive", self.rel_se),
            });
        }
        if self.max_replicas < replicas || self.max_replicas > MAX_REPLICAS {
            return Err(KmcError::InvalidParameter {
                name: "max_replicas",
                reason: format!(
                    "{} is not in {replicas}..={MAX_REPLICAS} (at least the starting replicas)",
                    self.max_replicas
                ),
            });
        }
        Ok(())
    }
}

/// How a run with a [`ReplicaTarget`] ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaStopping {
    /// The rule.
    pub target: ReplicaTarget,
    /// Relative SE of σ(300 K) at the end ([`KmcResult::sigma_300k_rel_se`]).
    pub rel_se_reached: f64,
    /// Replicas run at each temperature (in the order of `temperatures_k`).
    pub replicas_per_temperature: Vec<usize>,
    /// Rounds (the first is the starting replicas).
    pub rounds: usize,
    /// True when the run stopped above the target (the cap, or scatter between temperatures).
    pub target_missed: bool,
    /// Without an Arrhenius fit the rule measures the lowest temperature's σ, not σ(300 K):
    /// that temperature, K (absent with a fit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_at_k: Option<f64>,
}

impl ReplicaStopping {
    /// One line for a report: "replicas per temperature [4, 8, 16] (cap 16); relative SE of
    /// σ(300 K) 0.18 (target 0.2)", with ", not reached" when the run stopped above the target.
    pub fn summary(&self) -> String {
        let what = match self.measured_at_k {
            Some(t) => format!("σ({t} K), the lowest temperature (no Arrhenius fit)"),
            None => "σ(300 K)".to_string(),
        };
        format!(
            "replicas per temperature {:?} (cap {}); relative SE of {what} {:.2} (target {}{})",
            self.replicas_per_temperature,
            self.target.max_replicas,
            self.rel_se_reached,
            self.target.rel_se,
            if self.target_missed {
                ", not reached"
            } else {
                ""
            }
        )
    }
}

/// True when the σ of this temperature is measured to `rel_se`: positive, resolved, SE/σ ≤ it.
pub fn is_measured_to(t: &TemperatureResult, rel_se: f64) -> bool {
    t.sigma_s_per_cm > 0.0 && t.is_resolved() && t.sigma_se_s_per_cm <= rel_se * t.sigma_s_per_cm
}

/// The relative SE of σ(300 K) of a result: the Arrhenius fit's, or the lowest temperature's σ
/// without a fit (infinite when that σ is not positive or below the run's resolution).
pub fn sigma_300k_rel_se(r: &KmcResult) -> f64 {
    if let Some(f) = &r.arrhenius {
        if f.sigma_300k_s_per_cm > 0.0 {
            return f.sigma_300k_se_s_per_cm / f.sigma_300k_s_per_cm;
        }
    }
    r.temperatures
        .iter()
        .min_by(|a, b| a.temperature_k.total_cmp(&b.temperature_k))
        .map(|t| {
            // a σ below the run's resolution is not a measurement: its SE says nothing
            if t.sigma_s_per_cm > 0.0 && t.is_resolved() {
                t.sigma_se_s_per_cm / t.sigma_s_per_cm
            } else {
                f64::INFINITY
            }
        })
        .unwrap_or(f64::INFINITY)
}

/// The next round's tasks `(temperature index, replica index)` under `target`, given the
/// result so far and the replicas run at each temperature; empty when the run is done.
pub fn next_round(
    result: &KmcResult,
    replicas_run: &[usize],
    target: &ReplicaTarget,
) -> Vec<(usize, usize)> {
    if sigma_300k_rel_se(result) <= target.rel_se {
        return Vec::new();
    }
    let mut tasks = Vec::new();
    for t in &result.temperatures {
        // the index of its temperature in the parameters (a too-cold one has no result)
        let ti = result
            .params
            .temperatures_k
            .iter()
            .position(|&x| x == t.temperature_k)
            .expect("a result's temperature is one of its parameters'");
        let n = replicas_run[ti];
        if n >= target.max_replicas || is_measured_to(t, target.rel_se) {
            continue;
        }
        let upto = (2 * n).min(target.max_replicas);
        tasks.extend((n..upto).map(|r| (ti, r)));
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_refuses_a_cap_below_the_start_and_a_bad_target() {
        let ok = ReplicaTarget::default_for(4);
        assert_eq!(ok.max_replicas, 16);
        assert!(ok.validate(4).is_ok());
        let low = ReplicaTarget {
            max_replicas: 3,
            ..ok
        };
        let e = low.validate(4).unwrap_err().to_string();
        assert!(e.contains("max_replicas") && e.contains("4..="), "{e}");
        for bad in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            let r = ReplicaTarget { rel_se: bad, ..ok };
            assert!(r
                .validate(4)
                .unwrap_err()
                .to_string()
                .contains("target_rel_se"));
        }
    }
}
