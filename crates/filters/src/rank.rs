//! Ranking of evaluated candidates (docs/physics.md §7.1): hard filters with thresholds, the
//! Pareto front on σ(300 K) (max), Eₐ (min), anodic limit (max) and cost (min), and a sorted
//! table where every column carries its unit and error.
//!
//! The hand-off record is [`CandidateMetrics`]: the campaign layer writes one per candidate as
//! JSON Lines; `halo rank` reads them back ([`parse_metrics`]). Missing values are `null`, and a
//! hard filter on a missing value fails the candidate with that reason: never a silent pass.

use crate::error::FilterError;
use crate::insulation::{insulation, InsulationVerdict};
use crate::{cost, stability};
use halo_core::Composition;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Verdicts of the filters, with notes on anything not assessable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// `stable` (window found), `unstable` (no window in 0–20 V) or `not_assessable: …`.
    #[serde(default)]
    pub stability: Option<String>,
    #[serde(default)]
    pub insulation: Option<InsulationVerdict>,
    /// Reasons and caveats (one per line).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// How a number was produced: model, parameters, seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// E.g. `bvse+kmc (softBV, bvlain conventions)`.
    #[serde(default)]
    pub model: String,
    /// Model parameters by name (values as JSON).
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub halo_version: Option<String>,
}

/// The metrics of one evaluated candidate: the record the campaign writes (JSON Lines) and
/// `halo rank` reads. Every number has its unit in its name; `*_se_*` are standard errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CandidateMetrics {
    /// Content-derived candidate id.
    pub id: String,
    /// Formula (halo/pymatgen style, fractions allowed).
    pub formula: String,
    #[serde(default)]
    pub framework: Option<String>,
    #[serde(default)]
    pub structure_file: Option<String>,
    /// Ionic conductivity at 300 K from the Arrhenius fit, S/cm.
    #[serde(default)]
    pub sigma_300k_s_per_cm: Option<f64>,
    #[serde(default)]
    pub sigma_300k_se_s_per_cm: Option<f64>,
    /// Activation energy, eV.
    #[serde(default)]
    pub ea_ev: Option<f64>,
    #[serde(default)]
    pub ea_se_ev: Option<f64>,
    /// Anodic limit from ΔG°f(298 K), V vs Li⁺/Li.
    #[serde(default)]
    pub anodic_limit_v_dg: Option<f64>,
    /// Anodic limit from ΔH°f, V vs Li⁺/Li.
    #[serde(default)]
    pub anodic_limit_v_dh: Option<f64>,
    /// Error of the ΔG anodic limit from the data rows, V.
    #[serde(default)]
    pub anodic_limit_unc_v: Option<f64>,
    #[serde(default)]
    pub cathodic_limit_v_dg: Option<f64>,
    #[serde(default)]
    pub cathodic_limit_v_dh: Option<f64>,
    /// Error of the ΔG cathodic limit from the data rows, V.
    #[serde(default)]
    pub cathodic_limit_unc_v: Option<f64>,
    /// Estimated band gap, eV, and its error.
    #[serde(default)]
    pub band_gap_ev: Option<f64>,
    #[serde(default)]
    pub band_gap_err_ev: Option<f64>,
    /// Indicative raw-material cost, USD/kg.
    #[serde(default)]
    pub cost_usd_per_kg: Option<f64>,
    #[serde(default)]
    pub verdicts: Verdicts,
    #[serde(default)]
    pub provenance: Provenance,
    /// A failed stage with its reason (the campaign goes on; the candidate fails ranking).
    #[serde(default)]
    pub failure: Option<String>,
}

impl CandidateMetrics {
    /// A record with the filter columns (stability, insulation, cost) filled for `formula`;
    /// anything not assessable is recorded as such in `verdicts`, never passed silently.
    /// Transport metrics (σ, Eₐ) and provenance are the caller's.
    pub fn with_filters(id: &str, formula: &str) -> Result<CandidateMetrics, FilterError> {
        Self::with_filters_of(id, formula, &Composition::parse(formula)?)
    }

    /// [`CandidateMetrics::with_filters`] on the exact composition `comp`, recorded under the
    /// label `formula`: a formula printed to a few decimals can miss the table row of its own
    /// composition (the filters match compositions to 1e-6), so callers that hold the structure
    /// pass its composition.
    pub fn with_filters_of(
        id: &str,
        formula: &str,
        comp: &Composition,
    ) -> Result<CandidateMetrics, FilterError> {
        let comp = comp.clone();
        let mut m = CandidateMetrics {
            id: id.to_string(),
            formula: formula.to_string(),
            ..Default::default()
        };
        match stability(&comp) {
            Ok(r) => {
                m.anodic_limit_v_dg = r.anodic_limit_v_dg;
                m.anodic_limit_v_dh = r.anodic_limit_v_dh;
                m.cathodic_limit_v_dg = r.cathodic_limit_v_dg;
                m.cathodic_limit_v_dh = r.cathodic_limit_v_dh;
                m.anodic_limit_unc_v = r.windows[0].anodic.as_ref().map(|l| l.unc_v);
                m.cathodic_limit_unc_v = r.windows[0].cathodic.as_ref().map(|l| l.unc_v);
                m.verdicts.stability = Some(
                    if r.anodic_limit_v_dg.is_some() {
                        "stable"
                    } else {
                        "unstable"
                    }
                    .into(),
                );
                m.verdicts
                    .notes
                    .push(format!("formation model: {}", r.formation_model.kind));
            }
            // a composition that is not a charge-balanced halide (a refinement that under-counts
            // Li: the bundled SCXRD Li3In2/3Sc1/3Cl6 is −0.82 e per formula unit) has no
            // reaction energies: its stability is not assessable, which the note says, and its
            // other numbers (σ, gap, cost) are still reported
            Err(
                e @ (FilterError::NotAssessable { .. } | FilterError::NotChargeBalanced { .. }),
            ) => {
                m.verdicts.stability = Some("not_assessable".into());
                m.verdicts.notes.push(e.to_string());
            }
            Err(e) => return Err(e),
        }
        let ins = insulation(&comp)?;
        m.band_gap_ev = ins.band_gap_ev;
        m.band_gap_err_ev = ins.band_gap_err_ev;
        m.verdicts.insulation = Some(ins.verdict);
        m.verdicts.notes.extend(ins.reasons);
        match cost(&comp) {
            Ok(c) => m.cost_usd_per_kg = Some(c.cost_usd_per_kg),
            Err(e) => m.verdicts.notes.push(e.to_string()),
        }
        Ok(m)
    }
}

/// Which anodic limit the filter and the front use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitBasis {
    /// ΔG°f(298 K) (default).
    #[default]
    Dg,
    /// ΔH°f (0 K-like).
    Dh,
}

/// Hard-filter thresholds (a campaign file's `[rank]` table deserialises into this; unset =
/// no filter).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankConfig {
    #[serde(default)]
    pub min_sigma_300k_s_per_cm: Option<f64>,
    #[serde(default)]
    pub max_ea_ev: Option<f64>,
    #[serde(default)]
    pub min_anodic_limit_v: Option<f64>,
    #[serde(default)]
    pub max_cathodic_limit_v: Option<f64>,
    #[serde(default)]
    pub max_cost_usd_per_kg: Option<f64>,
    #[serde(default)]
    pub min_band_gap_ev: Option<f64>,
    /// Fail candidates whose insulation verdict is not `insulating`.
    #[serde(default)]
    pub require_insulating: bool,
    #[serde(default)]
    pub anodic_basis: LimitBasis,
    /// k of the P(top k) column (default [`DEFAULT_TOP_K`]; a campaign uses its
    /// `synthesis.top`).
    #[serde(default)]
    pub top_k: Option<usize>,
}

/// Default k of P(top k).
pub const DEFAULT_TOP_K: usize = 3;

impl RankConfig {
    /// Whether any hard filter is set: without one every candidate "passes" because nothing
    /// was tested, which outputs should say.
    pub fn has_filters(&self) -> bool {
        self.require_insulating
            || [
                self.min_sigma_300k_s_per_cm,
                self.max_ea_ev,
                self.min_anodic_limit_v,
                self.max_cathodic_limit_v,
                self.max_cost_usd_per_kg,
                self.min_band_gap_ev,
            ]
            .iter()
            .any(Option::is_some)
    }
}

impl RankConfig {
    /// Check every threshold is a finite number in its range.
    pub fn validate(&self) -> Result<(), FilterError> {
        let checks = [
            (
                "min_sigma_300k_s_per_cm",
                self.min_sigma_300k_s_per_cm,
                true,
            ),
            ("max_ea_ev", self.max_ea_ev, true),
            ("min_anodic_limit_v", self.min_anodic_limit_v, false),
            ("max_cathodic_limit_v", self.max_cathodic_limit_v, false),
            ("max_cost_usd_per_kg", self.max_cost_usd_per_kg, true),
            ("min_band_gap_ev", self.min_band_gap_ev, true),
        ];
        for (key, v, nonneg) in checks {
            if let Some(x) = v {
                if !x.is_finite() || (nonneg && x < 0.0) {
                    return Err(FilterError::InvalidConfig {
                        key: key.into(),
                        reason: format!(
                            "{x} is not a finite{} number",
                            if nonneg { " non-negative" } else { "" }
                        ),
                    });
                }
            }
        }
        if self.top_k == Some(0) {
            return Err(FilterError::InvalidConfig {
                key: "top_k".into(),
                reason: "0: P(top k) needs k ≥ 1".into(),
            });
        }
        Ok(())
    }
}

/// One row of the ranking.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankedCandidate {
    /// 1-based rank among the candidates that pass every hard filter (`None` if failed).
    pub rank: Option<usize>,
    pub passed: bool,
    /// Failed filters with the value and threshold.
    pub failed_filters: Vec<String>,
    /// Not dominated by any other passing candidate.
    pub pareto_front: bool,
    /// Number of passing candidates that dominate it beyond their error bars.
    pub dominated_by: usize,
    /// On the front only because its dominators are within error bars of it (see
    /// [`crate::uncertainty`]).
    pub pareto_within_errors: bool,
    /// Probability that it belongs among the top k passing candidates by σ(300 K), from the
    /// standard errors (k = `Ranking::top_k`); `None` if failed.
    pub p_top_k: Option<f64>,
    /// Candidates whose σ(300 K) differ by less than their combined error share a group
    /// (1-based): their order is not resolved.
    pub tie_group: Option<usize>,
    pub metrics: CandidateMetrics,
}

/// The result of [`rank`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranking {
    pub config: RankConfig,
    pub n_candidates: usize,
    pub n_passed: usize,
    pub n_pareto_front: usize,
    /// k of the P(top k) column.
    pub top_k: usize,
    /// Sorted: passing candidates (front first, then fewest dominators, then σ descending,
    /// then id), then failed ones. The hand-off takes its candidates in this order.
    pub rows: Vec<RankedCandidate>,
}

fn anodic(m: &CandidateMetrics, basis: LimitBasis) -> Option<f64> {
    match basis {
        LimitBasis::Dg => m.anodic_limit_v_dg,
        LimitBasis::Dh => m.anodic_limit_v_dh,
    }
}

fn hard_filters(m: &CandidateMetrics, c: &RankConfig) -> Vec<String> {
    let mut failed = Vec::new();
    if let Some(f) = &m.failure {
        failed.push(format!("failed stage: {f}"));
    } else if m.sigma_300k_s_per_cm.is_none() {
        // the ranking is by conductivity: a candidate without one would pass on its other
        // objectives alone (cost), top the list and be handed off as a conductor
        failed.push(
            "no σ(300 K) to rank by (no Arrhenius fit: fewer than two kMC temperatures \
             resolved)"
                .into(),
        );
    }
    let mut check = |name: &str, unit: &str, v: Option<f64>, thr: Option<f64>, min: bool| {
        let Some(t) = thr else { return };
        match v {
            None => failed.push(format!("{name} missing (threshold {t} {unit})")),
            Some(x) if x.is_nan() => failed.push(format!("{name} is NaN")),
            Some(x) if (min && x < t) || (!min && x > t) => failed.push(format!(
                "{name} {x:.4} {unit} {} {t} {unit}",
                if min { "<" } else { ">" }
            )),
            _ => {}
        }
    };
    // without a fit (said above, or a failed stage) σ and E_a are missing for that one reason:
    // the filters on them would only repeat it
    if m.sigma_300k_s_per_cm.is_some() || m.ea_ev.is_some() {
        check(
            "sigma(300 K)",
            "S/cm",
            m.sigma_300k_s_per_cm,
            c.min_sigma_300k_s_per_cm,
            true,
        );
        check("Ea", "eV", m.ea_ev, c.max_ea_ev, false);
    }
    check(
        "anodic limit",
        "V",
        anodic(m, c.anodic_basis),
        c.min_anodic_limit_v,
        true,
    );
    check(
        "cathodic limit",
        "V",
        m.cathodic_limit_v_dg,
        c.max_cathodic_limit_v,
        false,
    );
    check(
        "cost",
        "USD/kg",
        m.cost_usd_per_kg,
        c.max_cost_usd_per_kg,
        false,
    );
    check("band gap", "eV", m.band_gap_ev, c.min_band_gap_ev, true);
    if c.require_insulating && m.verdicts.insulation != Some(InsulationVerdict::Insulating) {
        failed.push(match m.verdicts.insulation {
            Some(v) => format!("insulation verdict {} is not insulating", v.name()),
            None => "no insulation verdict (required insulating)".to_string(),
        });
    }
    failed
}

/// Objectives as "larger is better" values; a missing value is the worst possible.
fn objectives(m: &CandidateMetrics, basis: LimitBasis) -> [f64; 4] {
    let up = |v: Option<f64>| v.filter(|x| !x.is_nan()).unwrap_or(f64::NEG_INFINITY);
    let down = |v: Option<f64>| {
        v.filter(|x| !x.is_nan())
            .map(|x| -x)
            .unwrap_or(f64::NEG_INFINITY)
    };
    [
        up(m.sigma_300k_s_per_cm),
        down(m.ea_ev),
        up(anodic(m, basis)),
        down(m.cost_usd_per_kg),
    ]
}

/// Relative difference below which two objective values are equal: floating-point round-off
/// (the anodic limits of candidates limited by the same binary differ by ~1e-14 V, which must
/// not decide the front), far below any difference the data resolve.
pub const OBJECTIVE_REL_TOLERANCE: f64 = 1e-9;

/// `x` is better than `y` ("larger is better") by more than round-off
/// ([`OBJECTIVE_REL_TOLERANCE`]); a missing value (−∞) is worse than any other.
fn better(x: f64, y: f64) -> bool {
    if !(x.is_finite() && y.is_finite()) {
        return x > y;
    }
    x - y > OBJECTIVE_REL_TOLERANCE * x.abs().max(y.abs())
}

/// `a` dominates `b`: at least as good in every objective and better in one, values equal to
/// round-off counting as equal ([`better`]).
fn dominates(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a.iter().zip(b).all(|(x, y)| !better(*y, *x)) && a.iter().zip(b).any(|(x, y)| better(*x, *y))
}

/// The objectives shifted by one standard error: `sign` −1 pessimistic (σ·e^−δ, Ea + SE),
/// +1 optimistic.
fn objectives_shifted(m: &CandidateMetrics, basis: LimitBasis, sign: f64) -> [f64; 4] {
    let mut o = objectives(m, basis);
    let d = crate::uncertainty::log_sigma_width(m);
    if let Some(s) = m.sigma_300k_s_per_cm.filter(|s| *s > 0.0) {
        o[0] = s * (sign * d).exp();
    }
    if let (Some(_), Some(se)) = (m.ea_ev, m.ea_se_ev.filter(|x| x.is_finite())) {
        o[1] += sign * se;
    }
    o
}

/// Apply the hard filters, mark the Pareto front among the passing candidates and sort.
pub fn rank(candidates: &[CandidateMetrics], config: &RankConfig) -> Result<Ranking, FilterError> {
    config.validate()?;
    let mut seen = BTreeSet::new();
    for m in candidates {
        if !seen.insert(m.id.as_str()) {
            return Err(FilterError::InvalidConfig {
                key: "candidates".into(),
                reason: format!("duplicate candidate id {}", m.id),
            });
        }
    }
    let failed: Vec<Vec<String>> = candidates.iter().map(|m| hard_filters(m, config)).collect();
    let obj: Vec<[f64; 4]> = candidates
        .iter()
        .map(|m| objectives(m, config.anodic_basis))
        .collect();
    let passing: Vec<usize> = (0..candidates.len())
        .filter(|&i| failed[i].is_empty())
        .collect();
    let basis = config.anodic_basis;
    let pess: Vec<[f64; 4]> = candidates
        .iter()
        .map(|m| objectives_shifted(m, basis, -1.0))
        .collect();
    let opt: Vec<[f64; 4]> = candidates
        .iter()
        .map(|m| objectives_shifted(m, basis, 1.0))
        .collect();
    let top_k = config.top_k.unwrap_or(DEFAULT_TOP_K).max(1);
    let passing_m: Vec<&CandidateMetrics> = passing.iter().map(|&i| &candidates[i]).collect();
    let p_top =
        crate::uncertainty::top_k_probabilities(&passing_m, top_k, crate::uncertainty::TOP_K_DRAWS);
    let ties = crate::uncertainty::tie_groups(&passing_m);
    let mut rows: Vec<RankedCandidate> = candidates
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let passed = failed[i].is_empty();
            let (dominated_by, within) = if passed {
                let central = passing
                    .iter()
                    .filter(|&&j| j != i && dominates(&obj[j], &obj[i]))
                    .count();
                let robust = passing
                    .iter()
                    .filter(|&&j| j != i && dominates(&pess[j], &opt[i]))
                    .count();
                (robust, central > 0 && robust == 0)
            } else {
                (0, false)
            };
            let slot = passing.iter().position(|&j| j == i);
            RankedCandidate {
                rank: None,
                passed,
                failed_filters: failed[i].clone(),
                pareto_front: passed && dominated_by == 0,
                dominated_by,
                pareto_within_errors: within,
                p_top_k: slot.map(|s| p_top[s]),
                tie_group: slot.and_then(|s| ties[s]),
                metrics: m.clone(),
            }
        })
        .collect();
    let sigma = |r: &RankedCandidate| r.metrics.sigma_300k_s_per_cm.unwrap_or(f64::NEG_INFINITY);
    rows.sort_by(|a, b| {
        b.passed
            .cmp(&a.passed)
            .then(b.pareto_front.cmp(&a.pareto_front))
            .then(a.dominated_by.cmp(&b.dominated_by))
            .then(sigma(b).partial_cmp(&sigma(a)).unwrap_or(Ordering::Equal))
            .then(a.metrics.id.cmp(&b.metrics.id))
    });
    let mut k = 0;
    for r in rows.iter_mut().filter(|r| r.passed) {
        k += 1;
        r.rank = Some(k);
    }
    Ok(Ranking {
        config: config.clone(),
        n_candidates: candidates.len(),
        n_passed: passing.len(),
        n_pareto_front: rows.iter().filter(|r| r.pareto_front).count(),
        top_k,
        rows,
    })
}

/// Read candidate records: a JSON array, or JSON Lines (one object per line, blank lines
/// skipped). Errors name `source_name` and the line.
pub fn parse_metrics(text: &str, source_name: &str) -> Result<Vec<CandidateMetrics>, FilterError> {
    let bad = |line: usize, reason: String| FilterError::BadRecord {
        source_name: source_name.to_string(),
        line,
        reason,
    };
    // a record's keys, once for the file
    let known = match serde_json::to_value(CandidateMetrics::default()) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => unreachable!("CandidateMetrics serialises as an object"),
    };
    if text.trim_start().starts_with('[') {
        let raw: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| bad(e.line(), e.to_string()))?;
        let records: Vec<CandidateMetrics> =
            serde_json::from_str(text).map_err(|e| bad(e.line(), e.to_string()))?;
        for (i, (m, v)) in records.iter().zip(&raw).enumerate() {
            // the element's line: where its id stands (ids are unique, `rank` refuses repeats)
            let quoted = format!("\"{}\"", m.id);
            let line = text.lines().position(|l| l.contains(&quoted)).unwrap_or(0) + 1;
            check_record(m)
                .and_then(|()| known_keys(v, &known))
                .map_err(|r| bad(line, format!("element {i}: {r}")))?;
        }
        return Ok(records);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let m: CandidateMetrics = serde_json::from_str(line).map_err(|e| {
            // one JSON document over several lines (a campaign's ranked.json) is not JSON Lines
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            let reason = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(_)) if lines > 1 => format!(
                    "{e}: the file is one JSON object, not a record per line or an array of \
                     records{NOT_RECORDS_HINT}"
                ),
                _ => e.to_string(),
            };
            bad(i + 1, reason)
        })?;
        let raw: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(i + 1, e.to_string()))?;
        check_record(&m)
            .and_then(|()| known_keys(&raw, &known))
            .map_err(|r| bad(i + 1, r))?;
        out.push(m);
    }
    Ok(out)
}

/// Where records that are not ranking records usually come from.
const NOT_RECORDS_HINT: &str = " (a campaign's checkpoint.jsonl or ranked.json? Rank the \
     campaign folder instead: `halo rank DIR` reads every shard's records with the workflow's \
     filters)";

/// A record that carries no metric and no failure ranks as an empty row that passes every
/// filter it has no value for; it is refused. Such records are usually another file's lines
/// whose `id` and `formula` happen to parse (a campaign checkpoint keeps its metrics one level
/// down).
fn check_record(m: &CandidateMetrics) -> Result<(), String> {
    // values no evaluation gives: a negative σ, cost or band gap, a negative or infinite error
    let non_negative = [
        ("sigma_300k_s_per_cm", m.sigma_300k_s_per_cm),
        ("sigma_300k_se_s_per_cm", m.sigma_300k_se_s_per_cm),
        ("ea_se_ev", m.ea_se_ev),
        ("anodic_limit_unc_v", m.anodic_limit_unc_v),
        ("cathodic_limit_unc_v", m.cathodic_limit_unc_v),
        ("band_gap_ev", m.band_gap_ev),
        ("band_gap_err_ev", m.band_gap_err_ev),
        ("cost_usd_per_kg", m.cost_usd_per_kg),
    ];
    for (key, v) in non_negative {
        if let Some(x) = v {
            if !(x.is_finite() && x >= 0.0) {
                return Err(format!(
                    "record '{}': {key} = {x} is not a finite non-negative number",
                    m.id
                ));
            }
        }
    }
    for (key, v) in [
        ("ea_ev", m.ea_ev),
        ("anodic_limit_v_dg", m.anodic_limit_v_dg),
        ("anodic_limit_v_dh", m.anodic_limit_v_dh),
        ("cathodic_limit_v_dg", m.cathodic_limit_v_dg),
        ("cathodic_limit_v_dh", m.cathodic_limit_v_dh),
    ] {
        if let Some(x) = v.filter(|x| !x.is_finite()) {
            return Err(format!("record '{}': {key} = {x} is not finite", m.id));
        }
    }
    let values = [
        m.sigma_300k_s_per_cm,
        m.ea_ev,
        m.anodic_limit_v_dg,
        m.anodic_limit_v_dh,
        m.cathodic_limit_v_dg,
        m.cathodic_limit_v_dh,
        m.band_gap_ev,
        m.cost_usd_per_kg,
    ];
    let verdicts = m.verdicts.stability.is_some() || m.verdicts.insulation.is_some();
    if values.iter().all(Option::is_none) && !verdicts && m.failure.is_none() {
        return Err(format!(
            "record '{}' has no metric (σ, Ea, limits, band gap, cost), no verdict and no \
             failure: nothing to rank{NOT_RECORDS_HINT}",
            m.id
        ));
    }
    Ok(())
}

/// A record's keys that are none of [`CandidateMetrics`]'s: a misspelt key would be read as a
/// missing value, so it is refused, naming the key.
fn known_keys(
    v: &serde_json::Value,
    known: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Ok(()); // not an object: the typed parse has said so
    };
    match obj.keys().find(|k| !known.contains_key(*k)) {
        Some(k) => {
            let mut names: Vec<&String> = known.keys().collect();
            names.sort();
            Err(format!(
                "unknown key '{k}' (a record's keys: {})",
                names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        None => Ok(()),
    }
}

/// A value to 3 significant digits ± its error to 2 (0 when numerically exact).
fn pm(v: Option<f64>, e: Option<f64>, scale: f64) -> String {
    use halo_core::format::{significant, uncertainty};
    match (v, e) {
        (Some(v), Some(e)) => format!(
            "{} ± {}",
            significant(v * scale, 3),
            uncertainty(e * scale, v * scale)
        ),
        (Some(v), None) => format!("{} ± ?", significant(v * scale, 3)),
        _ => "—".to_string(),
    }
}

/// The ranking as a text table; every column carries its unit and error.
pub fn table(r: &Ranking) -> String {
    let p_top = format!("P(top {})", r.top_k);
    let header = [
        "rank",
        p_top.as_str(),
        "tie",
        "front",
        "id",
        "formula",
        "σ(300 K) [mS/cm] ± SE",
        "Ea [eV] ± SE",
        "E_ox [V vs Li] ± data",
        "E_red [V vs Li]",
        "gap [eV] ± err",
        "cost [USD/kg] (indicative)",
        "verdict",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for c in &r.rows {
        let m = &c.metrics;
        let a = anodic(m, r.config.anodic_basis);
        rows.push(vec![
            c.rank.map(|k| k.to_string()).unwrap_or_else(|| "-".into()),
            c.p_top_k
                .map(|p| format!("{p:.2}"))
                .unwrap_or_else(|| "-".into()),
            c.tie_group.map(|g| g.to_string()).unwrap_or_default(),
            match (c.pareto_front, c.pareto_within_errors) {
                (true, false) => "*".into(),
                (true, true) => "*~".into(),
                _ => String::new(),
            },
            m.id.clone(),
            m.formula.clone(),
            pm(m.sigma_300k_s_per_cm, m.sigma_300k_se_s_per_cm, 1e3),
            pm(m.ea_ev, m.ea_se_ev, 1.0),
            pm(a, m.anodic_limit_unc_v.or(a.map(|_| 0.0)), 1.0),
            m.cathodic_limit_v_dg
                .map(|v| format!("{v:.2}"))
                .unwrap_or_else(|| "—".into()),
            pm(m.band_gap_ev, m.band_gap_err_ev, 1.0),
            m.cost_usd_per_kg
                .map(|v| format!("{v:.0}"))
                .unwrap_or_else(|| "—".into()),
            if c.passed {
                "pass".into()
            } else {
                format!("FAIL: {}", c.failed_filters.join("; "))
            },
        ]);
    }
    let ncol = header.len();
    let widths: Vec<usize> = (0..ncol)
        .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} candidates, {} pass the hard filters, {} on the Pareto front (*: σ max, Ea min, \
         E_ox({}) max, cost min, computed with the error bars; *~: dominated only within one \
         standard error). P(top {k}): probability of being among the {k} best by σ(300 K) from \
         its standard error; rows with the same tie number differ by less than their combined \
         error (order not resolved). E_ox error: stated data-row uncertainties only.\n",
        r.n_candidates,
        r.n_passed,
        r.n_pareto_front,
        match r.config.anodic_basis {
            LimitBasis::Dg => "ΔG 298 K",
            LimitBasis::Dh => "ΔH",
        },
        k = r.top_k
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, sigma: f64, ea: f64, eox: f64, cost: f64) -> CandidateMetrics {
        CandidateMetrics {
            id: id.into(),
            formula: "Li3InCl6".into(),
            sigma_300k_s_per_cm: Some(sigma),
            sigma_300k_se_s_per_cm: Some(sigma * 0.1),
            ea_ev: Some(ea),
            ea_se_ev: Some(0.01),
            anodic_limit_v_dg: Some(eox),
            cost_usd_per_kg: Some(cost),
            ..Default::default()
        }
    }

    #[test]
    fn pareto_front_and_order() {
        let cs = vec![
            cand("a", 2e-3, 0.33, 3.98, 100.0), // front
            cand("b", 1e-3, 0.37, 3.98, 120.0), // dominated by a beyond the errors
            cand("c", 1e-3, 0.30, 3.98, 100.0), // front (best Ea)
            cand("d", 5e-4, 0.40, 3.65, 500.0), // dominated by a, b and c
        ];
        let r = rank(&cs, &RankConfig::default()).unwrap();
        let ids: Vec<&str> = r.rows.iter().map(|x| x.metrics.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b", "d"]);
        assert_eq!(r.n_pareto_front, 2);
        let d = r.rows.iter().find(|x| x.metrics.id == "d").unwrap();
        assert_eq!(d.dominated_by, 3);
        assert_eq!(r.rows[0].rank, Some(1));
        assert!(r.rows.iter().all(|x| !x.pareto_within_errors));
        // e is dominated by a on the central values, but only within one standard error
        let mut cs2 = cs.clone();
        cs2.push(cand("e", 1.9e-3, 0.335, 3.98, 100.0));
        let r2 = rank(&cs2, &RankConfig::default()).unwrap();
        let e = r2.rows.iter().find(|x| x.metrics.id == "e").unwrap();
        assert!(e.pareto_front && e.pareto_within_errors && e.dominated_by == 0);
        // a and e are tied in σ; the resampled P(top 3) sums to 3 over the passing rows
        let a = r2.rows.iter().find(|x| x.metrics.id == "a").unwrap();
        assert!(a.tie_group.is_some() && a.tie_group == e.tie_group);
        let total: f64 = r2.rows.iter().filter_map(|x| x.p_top_k).sum();
        assert!((total - 3.0).abs() < 1e-9, "{total}");
        assert!(table(&r2).contains("*~"));
    }

    /// Two candidates limited by the same binary (LiCl) have anodic limits that differ in the
    /// 15th digit; that round-off must not keep a candidate beaten on σ, Ea and cost on the
    /// front (a campaign's rank 5 was, against its rank 1; issue-14 trial).
    #[test]
    fn round_off_in_an_objective_does_not_decide_the_front() {
        let mut better = cand("a", 3.65e-3, 0.292, 3.9800764692646706, 464.0);
        let mut worse = cand("b", 2.68e-3, 0.295, 3.980076469264682, 565.0);
        // tight error bars: b is dominated beyond them too
        for c in [&mut better, &mut worse] {
            c.sigma_300k_se_s_per_cm = Some(1e-5);
            c.ea_se_ev = Some(1e-4);
        }
        let r = rank(&[better.clone(), worse.clone()], &RankConfig::default()).unwrap();
        let b = r.rows.iter().find(|x| x.metrics.id == "b").unwrap();
        assert!(!b.pareto_front && b.dominated_by == 1, "{b:?}");
        assert_eq!(r.n_pareto_front, 1);
        // a real difference in the limit still counts: 1 mV is far above round-off
        worse.anodic_limit_v_dg = Some(3.9810764692646706);
        let r = rank(&[better, worse], &RankConfig::default()).unwrap();
        assert_eq!(r.n_pareto_front, 2);
    }

    #[test]
    fn hard_filters_fail_with_reasons_and_missing_values_fail() {
        let mut cs = vec![
            cand("a", 2e-3, 0.33, 3.98, 100.0),
            cand("fe", 2e-3, 0.30, 3.65, 10.0),
            cand("sc", 2e-3, 0.30, 3.98, 600.0),
        ];
        let mut missing = cand("m", 2e-3, 0.30, 3.98, 10.0);
        missing.anodic_limit_v_dg = None;
        cs.push(missing);
        let cfg = RankConfig {
            min_anodic_limit_v: Some(3.9),
            max_cost_usd_per_kg: Some(500.0),
            ..Default::default()
        };
        let r = rank(&cs, &cfg).unwrap();
        assert_eq!(r.n_passed, 1);
        let get = |id: &str| r.rows.iter().find(|x| x.metrics.id == id).unwrap();
        assert!(get("fe").failed_filters[0].contains("anodic limit 3.6500 V < 3.9"));
        assert!(get("sc").failed_filters[0].contains("cost"));
        assert!(get("m").failed_filters[0].contains("missing"));
        assert!(!get("m").pareto_front);
        let t = table(&r);
        assert!(
            t.contains("σ(300 K) [mS/cm] ± SE") && t.contains("2.00 ± 0.20"),
            "{t}"
        );
    }

    /// A candidate without an Arrhenius fit fails for that one reason, not once more for each
    /// filter on σ or E_a (it read "no σ(300 K) to rank by" and "sigma(300 K) missing").
    #[test]
    fn a_candidate_without_a_fit_fails_once() {
        let mut nofit = cand("n", 2e-3, 0.30, 3.98, 10.0);
        nofit.sigma_300k_s_per_cm = None;
        nofit.ea_ev = None;
        let cfg = RankConfig {
            min_sigma_300k_s_per_cm: Some(1e-4),
            max_ea_ev: Some(0.5),
            ..Default::default()
        };
        let r = rank(&[cand("a", 2e-3, 0.33, 3.98, 100.0), nofit], &cfg).unwrap();
        let n = r.rows.iter().find(|x| x.metrics.id == "n").unwrap();
        assert_eq!(n.failed_filters.len(), 1, "{:?}", n.failed_filters);
        assert!(n.failed_filters[0].contains("no σ(300 K) to rank by"));
        // a σ below the filter still fails on it
        let low = cand("l", 1e-6, 0.30, 3.98, 10.0);
        let r = rank(&[low], &cfg).unwrap();
        assert!(r.rows[0].failed_filters[0].contains("sigma(300 K)"));
    }

    #[test]
    fn bad_config_and_duplicates_are_refused() {
        let cfg = RankConfig {
            max_cost_usd_per_kg: Some(-1.0),
            ..Default::default()
        };
        assert!(rank(&[], &cfg).is_err());
        // k = 0 was ranked as k = 1 with the config saying 0
        let cfg = RankConfig {
            top_k: Some(0),
            ..Default::default()
        };
        let e = rank(&[], &cfg).unwrap_err().to_string();
        assert!(e.contains("invalid top_k"), "{e}");
        let cs = vec![cand("a", 1.0, 0.3, 4.0, 1.0), cand("a", 1.0, 0.3, 4.0, 1.0)];
        assert!(rank(&cs, &RankConfig::default()).is_err());
    }

    /// A formula printed to 4 decimals is not its composition: Li2In0.6667Cl4 misses the table's
    /// Li3InCl6 row (the same composition per atom, matched to 1e-6) and falls back to the
    /// lowest binary gap (InCl3), while the exact composition finds it. The campaign passes the
    /// structure's exact composition, as `halo eval` of the same structure does.
    #[test]
    fn the_exact_composition_finds_the_table_row_a_rounded_formula_misses() {
        let rounded = CandidateMetrics::with_filters("r", "Li2In0.6667Cl4").unwrap();
        let exact = CandidateMetrics::with_filters_of(
            "e",
            "Li2In0.6667Cl4",
            &Composition::parse("Li2In2/3Cl4").unwrap(),
        )
        .unwrap();
        let li3incl6 = CandidateMetrics::with_filters("t", "Li3InCl6").unwrap();
        assert_eq!(exact.band_gap_ev, li3incl6.band_gap_ev);
        assert_ne!(rounded.band_gap_ev, exact.band_gap_ev);
        assert_eq!(exact.formula, "Li2In0.6667Cl4");
    }

    #[test]
    fn records_round_trip_and_bad_lines_are_located() {
        let m = CandidateMetrics::with_filters("x1", "Li2In1/3Sc1/3Cl4").unwrap();
        assert!((m.anodic_limit_v_dg.unwrap() - 3.980).abs() < 1e-3);
        assert_eq!(m.verdicts.insulation, Some(InsulationVerdict::Insulating));
        assert!(m.cost_usd_per_kg.unwrap() > 0.0);
        let line = serde_json::to_string(&m).unwrap();
        let text = format!("{line}\n\n{line}\n");
        let back = parse_metrics(&text, "c.jsonl").unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0], m);
        let bad = format!("{line}\n{{\"id\": 3}}\n");
        let e = parse_metrics(&bad, "c.jsonl").unwrap_err();
        assert!(e.to_string().starts_with("c.jsonl, line 2:"), "{e}");
        // a JSON array works too
        let arr = format!("[{line}]");
        assert_eq!(parse_metrics(&arr, "c.json").unwrap().len(), 1);
        // a record with nothing to rank (another file's line whose id and formula parse) is
        // refused, naming the line; a failure alone is a record
        let empty = "{\"id\": \"e\", \"formula\": \"LiCl\", \"status\": \"evaluated\"}";
        let e = parse_metrics(&format!("{line}\n{empty}\n"), "c.jsonl").unwrap_err();
        let e = e.to_string();
        assert!(
            e.starts_with("c.jsonl, line 2: record 'e' has no metric"),
            "{e}"
        );
        let e = parse_metrics(&format!("[\n{line},\n{empty}\n]"), "c.json").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.json, line 3: element 1: record 'e'"),
            "{e}"
        );
        let failed = "{\"id\": \"f\", \"formula\": \"LiCl\", \"failure\": \"kmc: jammed\"}";
        assert_eq!(parse_metrics(failed, "c.jsonl").unwrap().len(), 1);
        // one JSON object over several lines is named as such
        let e = parse_metrics("{\n  \"rows\": []\n}\n", "ranked.json").unwrap_err();
        assert!(e.to_string().contains("one JSON object"), "{e}");
        // a one-line object that is not a record is named by what it lacks, not as a document
        let e = parse_metrics("{\"a\": 1}\n", "bad.jsonl").unwrap_err();
        assert!(!e.to_string().contains("one JSON object"), "{e}");
        assert!(e.to_string().contains("id"), "{e}");
        // values no evaluation gives, and a misspelt key, are refused with the line and key
        for (edit, needle) in [
            (
                "\"sigma_300k_s_per_cm\":",
                "\"sigma_300k_s_per_cm\":-1.0,\"x\":",
            ),
            ("\"cost_usd_per_kg\":", "\"cost_usd_per_kg\":-5.0,\"y\":"),
        ] {
            let bad = line.replacen(edit, needle, 1);
            let e = parse_metrics(&format!("{line}\n{bad}\n"), "c.jsonl")
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("c.jsonl, line 2:") && e.contains("non-negative"),
                "{e}"
            );
        }
        let mut neg_se = m.clone();
        neg_se.id = "n".into();
        neg_se.sigma_300k_s_per_cm = Some(3e-3);
        neg_se.sigma_300k_se_s_per_cm = Some(-1e-3);
        let e = parse_metrics(&serde_json::to_string(&neg_se).unwrap(), "c.jsonl").unwrap_err();
        assert!(
            e.to_string().contains("sigma_300k_se_s_per_cm = -0.001"),
            "{e}"
        );
        let typo = line.replacen("\"cost_usd_per_kg\"", "\"cost_usd_per_kg_typo\"", 1);
        let e = parse_metrics(&typo, "c.jsonl").unwrap_err().to_string();
        assert!(e.contains("unknown key 'cost_usd_per_kg_typo'"), "{e}");
        let e = parse_metrics(&format!("[{typo}]"), "c.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("element 0: unknown key"), "{e}");
        // not assessable is recorded, not passed
        let m = CandidateMetrics::with_filters("x2", "Li3ScI6").unwrap();
        assert_eq!(m.verdicts.stability.as_deref(), Some("not_assessable"));
        assert_eq!(m.anodic_limit_v_dg, None);
    }
}
