//! A model change measured on the rows both models score: `halo validate --baseline FILE`.
//!
//! When a change makes a row fail (a refused relaxation, a jammed network) or rescues one, the
//! two runs' metrics cover different rows and cannot be compared: losing the worst row raises ρ
//! without any row getting better. The comparison scores both runs — this one and a previous
//! `validation.json` of the same set — on the rows each evaluated ("ok" in both), per row and per
//! composition, with ν0 as each run shipped it and with each run's own leave-one-composition-out
//! refit, and lists the rows only one of them could evaluate.

use super::metrics::Metrics;
use super::score::{composition_metrics, compositions, row_metrics};
use super::{RowResult, SetRow};
use crate::error::CampaignError;
use serde::Serialize;
use std::path::Path;

/// The metrics of one run on the common rows.
#[derive(Clone, Debug, Serialize)]
pub struct CommonMetrics {
    pub per_row: Metrics,
    pub per_composition: Metrics,
    pub per_row_loco: Metrics,
    pub per_composition_loco: Metrics,
}

impl CommonMetrics {
    fn of(rows: &[RowResult]) -> Self {
        let comps = compositions(rows);
        CommonMetrics {
            per_row: row_metrics(rows, false),
            per_composition: composition_metrics(&comps, false),
            per_row_loco: row_metrics(rows, true),
            per_composition_loco: composition_metrics(&comps, true),
        }
    }
}

/// This run against a baseline run on the rows both evaluated.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineComparison {
    /// The baseline's `validation.json`.
    pub file: String,
    /// The baseline's model settings (`settings` of its report).
    pub baseline_settings: serde_json::Value,
    /// Rows evaluated by both runs (ids, in the set's order).
    pub common_rows: Vec<String>,
    /// Rows this run could not evaluate but the baseline could.
    pub failed_here_only: Vec<String>,
    /// Rows the baseline could not evaluate but this run could.
    pub failed_in_baseline_only: Vec<String>,
    /// Rows computed on another input than in the baseline: the file's contents differ (where
    /// both runs recorded them, else its path): a difference there is of the input, not of the
    /// model (`row: baseline file → this file`, or `row: file (its contents changed)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_files: Vec<String>,
    /// This run on the common rows.
    pub here: CommonMetrics,
    /// The baseline on the common rows.
    pub baseline: CommonMetrics,
}

/// A baseline `validation.json`, read and checked against the set before the run.
#[derive(Clone, Debug)]
pub struct Baseline {
    path: std::path::PathBuf,
    settings: serde_json::Value,
    rows: Vec<RowResult>,
}

/// The rows of a `validation.json` (what the comparison reads of it).
#[derive(serde::Deserialize)]
struct BaselineReport {
    settings: serde_json::Value,
    rows: Vec<RowResult>,
}

fn evaluated(r: &RowResult) -> bool {
    r.status == "ok" && r.predicted_sigma_300k_s_per_cm.is_some()
}

impl Baseline {
    /// Read the report at `path`; it must score the set `set`: the same row ids in the same
    /// order with the same measured σ, else the error names the first row that differs.
    pub fn load(path: &Path, set: &[SetRow]) -> Result<Self, CampaignError> {
        let text = std::fs::read_to_string(path).map_err(|e| CampaignError::io(path, e))?;
        let bad = |reason: String| CampaignError::Config {
            path: path.to_path_buf(),
            reason,
        };
        let base: BaselineReport = serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "not a `halo validate` report (validation.json): {e}"
            ))
        })?;
        let here: Vec<&str> = set.iter().map(|x| x.id.as_str()).collect();
        let there: Vec<&str> = base.rows.iter().map(|x| x.row.id.as_str()).collect();
        if here != there {
            let first = here
                .iter()
                .find(|i| !there.contains(i))
                .map(|i| format!("row `{i}` is not in the baseline"))
                .or_else(|| {
                    there
                        .iter()
                        .find(|i| !here.contains(i))
                        .map(|i| format!("the baseline's row `{i}` is not in this set"))
                })
                .unwrap_or_else(|| "the rows are in another order".into());
            return Err(bad(format!("scores another set: {first}")));
        }
        for (a, b) in set.iter().zip(&base.rows) {
            let (x, y) = (a.sigma_rt_s_per_cm, b.row.sigma_rt_s_per_cm);
            if (x - y).abs() > 1e-12 * x.abs().max(y.abs()) {
                return Err(bad(format!(
                    "scores another set: row `{}` has measured σ {y:e} S/cm there, {x:e} here",
                    a.id
                )));
            }
        }
        Ok(Baseline {
            path: path.to_path_buf(),
            settings: base.settings,
            rows: base.rows,
        })
    }

    /// Score this run's `rows` (of the set the baseline was loaded for) and the baseline on
    /// the rows both evaluated.
    pub fn compare(&self, rows: &[RowResult]) -> BaselineComparison {
        let both: Vec<bool> = rows
            .iter()
            .zip(&self.rows)
            .map(|(a, b)| evaluated(a) && evaluated(b))
            .collect();
        let keep = |r: &[RowResult]| -> Vec<RowResult> {
            r.iter()
                .zip(&both)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x.clone())
                .collect()
        };
        let only = |a: &[RowResult], b: &[RowResult]| -> Vec<String> {
            a.iter()
                .zip(b)
                .filter(|(x, y)| !evaluated(x) && evaluated(y))
                .map(|(x, _)| x.row.id.clone())
                .collect()
        };
        let (here, there) = (keep(rows), keep(&self.rows));
        // by content where both runs recorded it (a file moved unchanged is the same input,
        // one changed in place is not), else by the path
        let other_files = rows
            .iter()
            .zip(&self.rows)
            .filter_map(|(a, b)| match (&a.file_sha256, &b.file_sha256) {
                (Some(x), Some(y)) if x == y => None,
                (Some(_), Some(_)) if a.row.file == b.row.file => Some(format!(
                    "{}: {} (its contents changed)",
                    a.row.id, a.row.file
                )),
                (Some(_), Some(_)) => {
                    Some(format!("{}: {} → {}", a.row.id, b.row.file, a.row.file))
                }
                _ if a.row.file != b.row.file => {
                    Some(format!("{}: {} → {}", a.row.id, b.row.file, a.row.file))
                }
                _ => None,
            })
            .collect();
        BaselineComparison {
            file: self.path.display().to_string(),
            baseline_settings: self.settings.clone(),
            common_rows: here.iter().map(|r| r.row.id.clone()).collect(),
            failed_here_only: only(rows, &self.rows),
            failed_in_baseline_only: only(&self.rows, rows),
            other_files,
            here: CommonMetrics::of(&here),
            baseline: CommonMetrics::of(&there),
        }
    }
}
