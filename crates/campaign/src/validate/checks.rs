//! Checks that need no conductivity, and the diagnosis of rows the model gets wrong: predicted
//! vs refined Li occupancies, how far coordinate noise moves a prediction, and the one-line
//! diagnosis of a row off by more than a decade.

use super::evaluate::Files;
use super::input::SiteRow;
use super::{
    NoiseSummary, OccupancyComparison, Prediction, RefinedLi, RowResult, StructureOutcome,
};

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// Predicted Ea this far above the BVSE path barrier E_3D, eV, names blocking (a nearly full
/// sublattice) rather than the barrier as the stage that fails.
const BLOCKING_EA_EXCESS_EV: f64 = 0.15;

/// One line naming the stage that puts a row more than a decade off (or failed it), from the
/// numbers the run produced; `blocking_ang` is the run's blocking distance.
pub(super) fn diagnose(
    row: &RowResult,
    p: Option<&Prediction>,
    blocking_ang: f64,
) -> Option<String> {
    if let Some(reason) = &row.reason {
        return Some(if reason.contains("jammed") {
            format!(
                "jammed network: with every Li site full and {blocking_ang} Å hard blocking no \
                 hop is possible; the model has no defect formation (Frenkel pairs, vacancies)"
            )
        } else if reason.contains("cannot place") {
            format!(
                "mobile-ion count vs blocking: the composition's Li do not fit on the landscape \
             minima under the {blocking_ang} Å blocking rule (sites of a full sublattice closer \
             than that)"
            )
        } else {
            format!("failed stage: {reason}")
        });
    }
    let (err, p) = (row.log10_error?, p?);
    if err.abs() <= 1.0 {
        return None;
    }
    Some(if err > 0.0 {
        if let Some(x) = p.interstitial_fraction.filter(|x| *x > 0.05) {
            format!(
                "site energies / missing interstitials cost: {:.0} % of the mobile Li sit on \
                 landscape minima with no refined Li (interstitials that cost little in the \
                 single-particle landscape), a vacancy network the real material lacks",
                100.0 * x
            )
        } else if p.li_total_per_cell > p.li_mobile_per_cell + 1e-9 {
            format!(
                "mobile-ion count: {:.2} of {:.2} Li per cell counted as framework (shared \
                 sites averaged), leaving a vacancy-rich network",
                p.li_total_per_cell - p.li_mobile_per_cell,
                p.li_total_per_cell
            )
        } else {
            format!(
                "barrier: hops too easy (BVSE E_3D = {:.3} eV, predicted Ea {:.3} eV{})",
                p.e_3d_ev.unwrap_or(f64::NAN),
                p.ea_ev,
                row.row
                    .ea_ev
                    .map(|e| format!(", measured {e:.2} eV"))
                    .unwrap_or_default()
            )
        }
    } else if p
        .e_3d_ev
        .is_some_and(|e| p.ea_ev > e + BLOCKING_EA_EXCESS_EV)
    {
        format!(
            "blocking / full Li sublattice: predicted Ea {:.3} eV exceeds the BVSE path barrier \
             E_3D = {:.3} eV; with few vacancies and {blocking_ang} Å hard blocking most hops are \
             forbidden (the model has no defect formation)",
            p.ea_ev,
            p.e_3d_ev.unwrap_or(f64::NAN)
        )
    } else {
        format!(
            "barrier: BVSE path barrier E_3D = {} too high (predicted Ea {:.3} eV{})",
            p.e_3d_ev
                .map(|e| format!("{e:.3} eV"))
                .unwrap_or_else(|| "none (no 3D path)".into()),
            p.ea_ev,
            row.row
                .ea_ev
                .map(|e| format!(", measured {e:.2} eV"))
                .unwrap_or_default()
        )
    })
}

/// Predicted (300 K) vs refined occupancy of every listed refined Li site, then the landscape
/// minima of those structures that match no refined Li site.
///
/// A Li site shared with a framework cation (spinel 16d) is not predicted by the averaged model
/// (its Li stay in the framework). The explicit model places that Li on the sites a realisation
/// left to Li, so its prediction is over all sites of the label: ions of the class per structure
/// cell / sites of the label per cell (the class occupancy itself is over the vacated sites only).
pub(super) fn occupancy_comparisons(
    sites: &[SiteRow],
    files: &Files,
    structures: &[StructureOutcome],
    model: crate::transport::ConductivityModel,
) -> Vec<OccupancyComparison> {
    let explicit = model == crate::transport::ConductivityModel::Explicit;
    let mut out = Vec::new();
    for site in sites {
        let s = &structures[files.index(&site.path)];
        let refined = s.refined_li.iter().find(|r| r.label == site.label);
        let (pred, note) = match (&s.result, refined) {
            (_, None) => (
                None,
                format!("no Li site labelled {} in the file", site.label),
            ),
            (Err(e), _) => (None, format!("no prediction: {e}")),
            (Ok(p), Some(r)) if r.shared_with_framework_cation && explicit => {
                match p.occupancies.iter().find(|o| o.label == site.label) {
                    Some(o) => (
                        Some(o.ions_per_cell / r.sites_per_cell as f64),
                        "shared with a framework cation: Li per site over all sites of the label"
                            .into(),
                    ),
                    None => (
                        Some(0.0),
                        "shared with a framework cation: no Li predicted on it".into(),
                    ),
                }
            }
            (Ok(_), Some(r)) if r.shared_with_framework_cation => (
                None,
                "shared with a framework cation: kept in the framework at its refined \
                 occupancy (not predicted)"
                    .into(),
            ),
            (Ok(p), Some(_)) => match p.occupancies.iter().find(|o| o.label == site.label) {
                Some(o) => (Some(o.occupancy), String::new()),
                None => (
                    Some(0.0),
                    "no landscape minimum at this site (a station on a path): no Li predicted"
                        .into(),
                ),
            },
        };
        let refined_occ = refined.map(|r| r.occupancy);
        let note = match refined.and_then(|r| wyckoff_mismatch(&site.wyckoff, r)) {
            Some(m) if note.is_empty() => m,
            Some(m) => format!("{m}; {note}"),
            None => note,
        };
        out.push(OccupancyComparison {
            file: site.file.clone(),
            label: site.label.clone(),
            wyckoff: site.wyckoff.clone(),
            refined_occupancy: refined_occ,
            refined_occupancy_esd: refined.and_then(|r| r.occupancy_esd),
            predicted_occupancy_300k: pred,
            difference: pred.zip(refined_occ).map(|(p, r)| p - r),
            note,
        });
    }
    let mut seen: Vec<&str> = Vec::new();
    for site in sites {
        if seen.contains(&site.file.as_str()) {
            continue;
        }
        seen.push(&site.file);
        let s = &structures[files.index(&site.path)];
        let Ok(p) = &s.result else { continue };
        for o in p
            .occupancies
            .iter()
            .filter(|o| !s.refined_li.iter().any(|r| r.label == o.label))
        {
            out.push(OccupancyComparison {
                file: site.file.clone(),
                label: o.label.clone(),
                wyckoff: format!("{} sites per cell", o.sites_per_cell),
                refined_occupancy: Some(0.0),
                refined_occupancy_esd: None,
                predicted_occupancy_300k: Some(o.occupancy),
                difference: Some(o.occupancy),
                note: "landscape minima matching no refined Li site (interstitials)".into(),
            });
        }
    }
    out
}

/// A `--sites` row whose Wyckoff symbol is not the one its label has in the file: most often a
/// label that names another site (Li1 and Li2 swapped), so the comparison would be of the wrong
/// site. Said in the row's note, not refused: a table may use another setting's letters.
fn wyckoff_mismatch(table: &str, refined: &RefinedLi) -> Option<String> {
    let t = table.trim();
    if t.is_empty() || refined.wyckoff.is_empty() {
        return None;
    }
    if refined.wyckoff.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        return None;
    }
    let on = match refined.wyckoff.as_slice() {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (moyo's letter: {})", rest.join(", ")),
        [] => unreachable!("checked above"),
    };
    Some(format!(
        "WYCKOFF MISMATCH: the file's {} is on {on}, the sites table says {t} (is the label the \
         site meant?)",
        refined.label,
    ))
}

/// Median and worst |Δlog10 σ300| and |ΔEa| of each structure's noisy copies against its
/// unperturbed prediction.
pub(super) fn noise_summaries(structures: &[StructureOutcome]) -> Vec<NoiseSummary> {
    structures
        .iter()
        .map(|s| {
            let base = s.result.as_ref().ok();
            let ds: Vec<f64> = s
                .noise
                .iter()
                .filter_map(|c| {
                    Some(
                        (c.sigma_300k_s_per_cm? / base?.sigma_300k_s_per_cm)
                            .log10()
                            .abs(),
                    )
                })
                .collect();
            let de: Vec<f64> = s
                .noise
                .iter()
                .filter_map(|c| Some((c.ea_ev? - base?.ea_ev).abs()))
                .collect();
            NoiseSummary {
                file: s.file.clone(),
                copies: s.noise.len(),
                failed: s.noise.iter().filter(|c| c.error.is_some()).count(),
                first_failure: s.noise.iter().find_map(|c| c.error.clone()),
                median_abs_dlog10_sigma: median(ds.clone()),
                worst_abs_dlog10_sigma: ds.iter().copied().reduce(f64::max),
                median_abs_dea_ev: median(de.clone()),
                worst_abs_dea_ev: de.iter().copied().reduce(f64::max),
            }
        })
        .collect()
}
