//! Scoring: the attempt-frequency refits (all pairs and leave-one-composition-out), the rows,
//! the compositions and their metrics.

use super::evaluate::Files;
use super::input::{CalibrationPair, CompositionGroups, SetRow};
use super::metrics::{self, Metrics, Point};
use super::{AttemptFrequencies, CompositionResult, RowResult, StructureOutcome};
use std::collections::BTreeMap;

/// ln(σ_measured/σ_kMC) per calibration pair with a prediction, and the ν0 the run used.
pub(super) struct Refit {
    used_hz: f64,
    pair_logs: Vec<(String, f64)>,
    /// The compositions of the pairs and of the scored rows ([`Refit::summary`]).
    groups: CompositionGroups,
}

impl Refit {
    pub fn new(
        used_hz: f64,
        pairs: &[CalibrationPair],
        files: &Files,
        structures: &[StructureOutcome],
    ) -> Refit {
        let pair_logs: Vec<(String, f64)> = pairs
            .iter()
            .filter_map(|c| {
                let p = structures[files.index(&c.path)].result.as_ref().ok()?;
                Some((
                    c.composition.clone(),
                    (c.sigma_rt_s_per_cm / p.sigma_300k_s_per_cm).ln(),
                ))
            })
            .collect();
        let groups = CompositionGroups::new(pair_logs.iter().map(|(c, _)| c.as_str()));
        Refit {
            used_hz,
            pair_logs,
            groups,
        }
    }

    /// ν0 refitted (ln ν0 = ln ν0_run + mean ln(σ_measured/σ_kMC)) on every pair except those of
    /// `skip`'s composition; `None` without pairs.
    pub fn refit(&self, skip: Option<&str>) -> Option<f64> {
        let v: Vec<f64> = self
            .pair_logs
            .iter()
            .filter(|(c, _)| skip.is_none_or(|s| !self.groups.same(c, s)))
            .map(|(_, l)| *l)
            .collect();
        (!v.is_empty()).then(|| self.used_hz * (v.iter().sum::<f64>() / v.len() as f64).exp())
    }

    /// The refits of the report: all pairs, and one per composition of the rows.
    pub fn summary(mut self, rows: &[SetRow]) -> AttemptFrequencies {
        // one composition over the pairs and the rows together, taken transitively
        self.groups = CompositionGroups::new(
            self.pair_logs
                .iter()
                .map(|(c, _)| c.as_str())
                .chain(rows.iter().map(|r| r.formula.as_str())),
        );
        let mut loco_hz = BTreeMap::new();
        for r in rows {
            if let Some(v) = self.refit(Some(&r.formula)) {
                loco_hz.insert(r.formula.clone(), v);
            }
        }
        AttemptFrequencies {
            used_hz: self.used_hz,
            refit_all_hz: self.refit(None),
            n_pairs: self.pair_logs.len(),
            loco_hz,
        }
    }
}

/// Score one row against its structure's prediction (σ rescaled by the LOCO ν0).
pub(super) fn score_row(
    r: &SetRow,
    s: &StructureOutcome,
    af: &AttemptFrequencies,
    blocking_ang: f64,
) -> RowResult {
    let mut rr = RowResult {
        row: r.clone(),
        status: "ok".into(),
        reason: None,
        predicted_sigma_300k_s_per_cm: None,
        predicted_sigma_300k_se_s_per_cm: None,
        predicted_ea_ev: None,
        predicted_ea_se_ev: None,
        log10_error: None,
        loco_attempt_frequency_hz: af.loco_hz.get(&r.formula).copied(),
        loco_predicted_sigma_300k_s_per_cm: None,
        loco_log10_error: None,
        diagnosis: None,
        unresolved_temperatures_k: Vec::new(),
        rel_se_above_target: None,
        li_sites_full: s.li_sublattice.as_ref().map(|l| l.full),
        warnings: s.warnings.clone(),
        file_sha256: s.file_sha256.clone(),
        external_energies: s.external_energies.clone(),
    };
    let room = super::input::ROOM_TEMPERATURE_C;
    let warm = r.temperature_c.filter(|tc| !room.contains(tc)).map(|tc| {
        // 298 in a °C column is most often room temperature written in kelvin
        let kelvin = if (250.0..=350.0).contains(&tc) {
            format!(
                "; {tc} looks like a temperature in kelvin ({:.1} °C): the column is in °C",
                tc - 273.15
            )
        } else {
            String::new()
        };
        format!(
            "temperature_c {tc}: halo validate compares a room-temperature σ with the predicted \
             σ(300 K), so a measurement at {tc} °C is not comparable (give one made at {}–{} °C, \
             or leave the column blank for room temperature){kelvin}",
            room.start(),
            room.end()
        )
    });
    let mismatch = warm.or_else(|| {
        s.formula.as_deref().and_then(|f| {
            let d = super::input::atomic_fraction_distance(&r.formula, f)?;
            (d > super::input::FORMULA_MATCH_TOLERANCE).then(|| {
                format!(
                    "formula: the row's {} is not the composition of its structure file {} ({f}): \
                 an atomic fraction differs by {d:.3} (more than {}); is it the right file?",
                    r.formula,
                    r.file,
                    super::input::FORMULA_MATCH_TOLERANCE
                )
            })
        })
    });
    match (&s.result, mismatch) {
        (_, Some(why)) => {
            rr.status = "failed".into();
            rr.reason = Some(why);
        }
        (Err(e), None) => {
            rr.status = "failed".into();
            rr.reason = Some(e.clone());
        }
        (Ok(p), None) => {
            let sigma = p.sigma_300k_s_per_cm;
            rr.predicted_sigma_300k_s_per_cm = Some(sigma);
            rr.predicted_sigma_300k_se_s_per_cm = Some(p.sigma_300k_se_s_per_cm);
            rr.predicted_ea_ev = Some(p.ea_ev);
            rr.predicted_ea_se_ev = Some(p.ea_se_ev);
            rr.unresolved_temperatures_k = p.unresolved_temperatures_k.clone();
            rr.rel_se_above_target = p.rel_se_above_target;
            if sigma > 0.0 && sigma.is_finite() {
                rr.log10_error = Some((sigma / r.sigma_rt_s_per_cm).log10());
                if let Some(nu) = rr.loco_attempt_frequency_hz {
                    let l = sigma * nu / af.used_hz;
                    rr.loco_predicted_sigma_300k_s_per_cm = Some(l);
                    rr.loco_log10_error = Some((l / r.sigma_rt_s_per_cm).log10());
                }
            } else {
                rr.status = "failed".into();
                rr.reason = Some(format!("kmc: predicted σ(300 K) = {sigma} S/cm"));
            }
        }
    }
    rr.diagnosis = super::checks::diagnose(&rr, s.result.as_ref().ok(), blocking_ang);
    rr
}

/// exp(mean ln v); values all equal are returned as they are (exp(ln 1e-4) is 1.0000000000000001e-4,
/// which put a one-row composition measured at 1e-4 S/cm into the superionic class that its row,
/// at exactly 1e-4, is not in).
fn geometric_mean(v: &[f64]) -> Option<f64> {
    let first = *v.first()?;
    if v.iter().all(|&x| x == first) {
        return Some(first);
    }
    Some((v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The rows grouped by composition ([`CompositionGroups`]), in first-appearance order: geometric
/// means of the measured and of the predicted σ, arithmetic means of Ea, over the rows scored
/// (a failed row's measurement has no prediction to be compared with, and one failed for its
/// temperature is not comparable at all: it entered the composition's measured mean while the
/// prediction came from the others); a composition none of whose rows is scored keeps the mean
/// of all its measurements for the report.
pub(super) fn compositions(rows: &[RowResult]) -> Vec<CompositionResult> {
    let groups = CompositionGroups::new(rows.iter().map(|r| r.row.formula.as_str()));
    let mut out: Vec<CompositionResult> = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for r in rows {
        let g = groups
            .group_of(&r.row.formula)
            .expect("every row's formula is grouped");
        if seen.contains(&g) {
            continue;
        }
        seen.push(g);
        let members: Vec<&RowResult> = rows
            .iter()
            .filter(|x| groups.group_of(&x.row.formula) == Some(g))
            .collect();
        let ok: Vec<&RowResult> = members
            .iter()
            .copied()
            .filter(|x| x.status == "ok" && x.predicted_sigma_300k_s_per_cm.is_some())
            .collect();
        let measured_rows = if ok.is_empty() { &members } else { &ok };
        let measured: Vec<f64> = measured_rows
            .iter()
            .map(|x| x.row.sigma_rt_s_per_cm)
            .collect();
        let pred: Vec<f64> = ok
            .iter()
            .filter_map(|x| x.predicted_sigma_300k_s_per_cm)
            .collect();
        let loco: Vec<f64> = ok
            .iter()
            .filter_map(|x| x.loco_predicted_sigma_300k_s_per_cm)
            .collect();
        let m = geometric_mean(&measured).expect("a composition has a row");
        let (p, l) = (geometric_mean(&pred), geometric_mean(&loco));
        let measured_ea: Vec<f64> = measured_rows.iter().filter_map(|x| x.row.ea_ev).collect();
        let predicted_ea: Vec<f64> = ok.iter().filter_map(|x| x.predicted_ea_ev).collect();
        out.push(CompositionResult {
            formula: r.row.formula.clone(),
            rows: members.iter().map(|x| x.row.id.clone()).collect(),
            measured_sigma_s_per_cm: m,
            measured_ea_ev: mean(&measured_ea),
            predicted_sigma_300k_s_per_cm: p,
            predicted_ea_ev: mean(&predicted_ea),
            loco_predicted_sigma_300k_s_per_cm: l,
            log10_error: p.map(|p| (p / m).log10()),
            loco_log10_error: l.map(|l| (l / m).log10()),
        });
    }
    out
}

/// Metrics of the scored rows (`loco`: with the LOCO-rescaled σ).
pub(super) fn row_metrics(rows: &[RowResult], loco: bool) -> Metrics {
    let pts: Vec<Point> = rows
        .iter()
        .filter(|r| r.status == "ok")
        .filter_map(|r| {
            let pred = if loco {
                r.loco_predicted_sigma_300k_s_per_cm
            } else {
                r.predicted_sigma_300k_s_per_cm
            };
            Some(Point {
                predicted_s_per_cm: pred?,
                measured_s_per_cm: r.row.sigma_rt_s_per_cm,
                predicted_ea_ev: r.predicted_ea_ev,
                measured_ea_ev: r.row.ea_ev,
            })
        })
        .collect();
    metrics::score(&pts, rows.len() - pts.len())
}

/// Metrics of the compositions (`loco`: with the LOCO-rescaled σ).
pub(super) fn composition_metrics(comps: &[CompositionResult], loco: bool) -> Metrics {
    let pts = composition_points(comps, loco);
    metrics::score(&pts, comps.len() - pts.len())
}

/// The compositions' scored points (`loco`: with the LOCO-rescaled σ).
pub(super) fn composition_points(comps: &[CompositionResult], loco: bool) -> Vec<Point> {
    comps
        .iter()
        .filter_map(|c| {
            let pred = if loco {
                c.loco_predicted_sigma_300k_s_per_cm
            } else {
                c.predicted_sigma_300k_s_per_cm
            };
            Some(Point {
                predicted_s_per_cm: pred?,
                measured_s_per_cm: c.measured_sigma_s_per_cm,
                predicted_ea_ev: c.predicted_ea_ev,
                measured_ea_ev: c.measured_ea_ev,
            })
        })
        .collect()
}
