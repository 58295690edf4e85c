//! The record of one evaluated (or failed) candidate, as written to the checkpoint.

use crate::checkpoint::Keyed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One point of an Arrhenius series: σ(T) with its standard error, and whether the run resolved
/// it (`halo_kmc::TemperatureResult::is_resolved`: σ at least one net hop's worth; an unresolved
/// point is not fitted, plotted or taken for a measurement). Serialised only when false, so the
/// records of resolved points are written as before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArrheniusPoint {
    pub temperature_k: f64,
    pub sigma_s_per_cm: f64,
    pub sigma_se_s_per_cm: f64,
    #[serde(default = "resolved_default", skip_serializing_if = "is_resolved")]
    pub resolved: bool,
}

fn resolved_default() -> bool {
    true
}

fn is_resolved(r: &bool) -> bool {
    *r
}

/// The numbers of an evaluated candidate: the ranking record of the filters crate (σ, Ea,
/// limits, gap, cost, verdicts, provenance; every value with its unit and error) and the
/// transport-model details that explain it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// What `halo rank` ranks on.
    pub ranking: halo_filters::CandidateMetrics,
    /// Lattice parameters of the realised model (a, b, c in Å).
    pub lattice_abc_ang: [f64; 3],
    /// Percolation thresholds relative to the landscape minimum (eV); None = no percolation.
    pub e_1d_ev: Option<f64>,
    pub e_2d_ev: Option<f64>,
    pub e_3d_ev: Option<f64>,
    /// Li sites and migration edges of the site graph.
    pub n_sites: usize,
    pub n_edges: usize,
    /// Mobile ions per cell of the realised model used in kMC.
    pub mobile_ions_per_cell: f64,
    /// Haven ratio at the lowest simulated temperature whose σ the run resolved (H = D*/D_σ
    /// means nothing where D_σ is below the resolution).
    pub haven_ratio: Option<f64>,
    pub arrhenius: Vec<ArrheniusPoint>,
}

/// Outcome of one candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Every stage ran.
    Evaluated { metrics: Box<Metrics> },
    /// A stage failed; the reason is recorded and the campaign goes on.
    Failed { stage: String, reason: String },
}

/// A checkpoint line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    /// Content-derived id (SHA-256 of the canonical candidate).
    pub id: String,
    pub framework: String,
    /// Target formula (reduced, pymatgen style).
    pub formula: String,
    /// Dopant → fraction of the substituted orbit.
    pub dopants: BTreeMap<String, f64>,
    /// RNG seed used for this candidate (from campaign seed and id).
    pub seed: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Full stage outputs (model parameters, per-temperature kMC results, products, reasons),
    /// keyed by stage.
    pub details: BTreeMap<String, serde_json::Value>,
    /// Wall time per stage, s (not part of any ranked output: it depends on the machine).
    pub timings_s: BTreeMap<String, f64>,
    /// The settings that produced this record (`None` in checkpoints of an older halo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<crate::fingerprint::Fingerprint>,
}

impl Keyed for CandidateRecord {
    fn key(&self) -> &str {
        &self.id
    }

    /// The same candidate computed twice (a requeue) gives the same outcome, seed and
    /// fingerprint; only the timings may differ.
    fn same_result(&self, other: &Self) -> bool {
        self.outcome == other.outcome
            && self.seed == other.seed
            && self.fingerprint == other.fingerprint
    }
}

impl CandidateRecord {
    /// The metrics when every stage ran.
    pub fn metrics(&self) -> Option<&Metrics> {
        match &self.outcome {
            Outcome::Evaluated { metrics } => Some(metrics),
            Outcome::Failed { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ArrheniusPoint;

    /// A resolved point is written as before (no `resolved` key), an unresolved one says so, and
    /// a record written before the flag existed reads as resolved.
    #[test]
    fn only_an_unresolved_point_carries_the_flag() {
        let mut p = ArrheniusPoint {
            temperature_k: 300.0,
            sigma_s_per_cm: 1e-3,
            sigma_se_s_per_cm: 1e-4,
            resolved: true,
        };
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(
            text,
            r#"{"temperature_k":300.0,"sigma_s_per_cm":0.001,"sigma_se_s_per_cm":0.0001}"#
        );
        assert_eq!(serde_json::from_str::<ArrheniusPoint>(&text).unwrap(), p);
        p.resolved = false;
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.ends_with(r#","resolved":false}"#), "{text}");
        assert_eq!(serde_json::from_str::<ArrheniusPoint>(&text).unwrap(), p);
    }
}
