//! Electronic insulation (docs/physics.md §6.3): a band-gap estimate with a written rule,
//! open-shell cations flagged, and a verdict with its reasons.
//!
//! # Band-gap rule (`band_gaps.csv`)
//! 1. **measured**: rows of the candidate's own composition (any formula unit) with
//!    `method = experimental`: their median.
//! 2. **PBE mapped**: otherwise its own PBE rows (`DFT-PBE`, `DFT-PBE (MP)`), median, mapped by
//!    E ≈ 1.557·E_PBE + 0.17 eV (fit over 19 ionic halides, mean error 0.71 eV; tables/README).
//!    HSE/SCAN/mBJ rows are not used: the fit was made on PBE.
//! 3. **mixture (lowest component)**: otherwise the candidate's binary reference combination
//!    (its binary halides at the oxidation states the thermochemistry assigns, see
//!    [`crate::stability::binary_reference`]) and the smallest of their gaps, each by rule 1–2.
//!    In a ternary halide the valence band is halide p and the conduction band is the empty
//!    states of the most reducible cation, so the lowest component gap is the conservative
//!    estimate (MP PBE: InCl₃ 3.01 eV < Li₃InCl₆ 3.37 eV < LiCl 6.3 eV).
//!
//! # Verdict
//! `redox_active` if any cation has an open d shell (`elements.csv` `open_shell_d`: a
//! redox-active, polaron-hopping electronic conductor whatever the gap; Fe²⁺, Ti³⁺, Mn²⁺ …),
//! else `small_gap` if the estimate is below the threshold (default [`DEFAULT_MIN_GAP_EV`]),
//! else `insulating`; `not_assessable` when no gap can be estimated. Open 4f shells are listed
//! but do not fail the filter (localised f states; Er³⁺, Yb³⁺ chlorides are wide-gap).
//! Intrinsic carriers across a 3 eV gap are ∝ exp(−E_g/2k_BT) ≈ 1e-25 at 300 K: measured
//! electronic conductivities of wide-gap chlorides (1e-10–1e-8 S/cm) come from defects,
//! impurities and interfaces, which no gap estimate ranks.

use crate::error::FilterError;
use crate::phases::{element_map, same_composition};
use crate::stability::binary_reference;
use halo_core::{Composition, Element};
use halo_data::gaps;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Slope of the PBE → measured band gap map (tables/README.md, fit over 19 ionic halides).
pub const PBE_GAP_SLOPE: f64 = 1.557;
/// Intercept of the PBE → measured map, eV.
pub const PBE_GAP_INTERCEPT_EV: f64 = 0.17;
/// Mean error of the PBE map, eV: the error bar of a mapped gap.
pub const PBE_GAP_MAP_ERROR_EV: f64 = 0.71;
/// Default threshold below which a gap fails the insulation filter, eV.
pub const DEFAULT_MIN_GAP_EV: f64 = 3.0;

/// A band-gap row used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GapUsed {
    pub formula: String,
    pub gap_ev: f64,
    pub method: String,
    pub source: String,
}

/// A gap estimate for one composition by rules 1–2.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GapEstimate {
    pub formula: String,
    pub gap_ev: f64,
    /// 1σ-like error: spread of measured rows (at least 0.1 eV) or the map's mean error.
    pub gap_err_ev: f64,
    /// `measured` or `pbe_mapped`.
    pub rule: String,
    pub rows: Vec<GapUsed>,
}

/// The insulation verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsulationVerdict {
    Insulating,
    SmallGap,
    RedoxActive,
    NotAssessable,
}

impl InsulationVerdict {
    /// The verdict as the JSON writes it (`redox_active`).
    pub fn name(self) -> &'static str {
        match self {
            InsulationVerdict::Insulating => "insulating",
            InsulationVerdict::SmallGap => "small_gap",
            InsulationVerdict::RedoxActive => "redox_active",
            InsulationVerdict::NotAssessable => "not_assessable",
        }
    }
}

/// The result of [`insulation`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InsulationReport {
    pub formula: String,
    /// Estimated band gap, eV (`None`: not assessable).
    pub band_gap_ev: Option<f64>,
    pub band_gap_err_ev: Option<f64>,
    /// `measured`, `pbe_mapped`, `mixture_lowest_component`.
    pub band_gap_rule: Option<String>,
    /// The estimates behind it (the candidate's own, or each component's).
    pub gap_estimates: Vec<GapEstimate>,
    /// Cations with an open d shell, e.g. `Fe2+`.
    pub open_shell_d: Vec<String>,
    /// Cations with an open f shell (listed, not failing).
    pub open_shell_f: Vec<String>,
    pub verdict: InsulationVerdict,
    pub reasons: Vec<String>,
    /// Threshold used, eV.
    pub min_gap_ev: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Element amounts of every `band_gaps.csv` formula, parsed once (`None`: not a formula halo
/// reads, e.g. an element outside halo-core's table).
fn gap_row_compositions() -> &'static [Option<BTreeMap<Element, f64>>] {
    static C: OnceLock<Vec<Option<BTreeMap<Element, f64>>>> = OnceLock::new();
    C.get_or_init(|| {
        gaps::rows()
            .iter()
            .map(|r| Composition::parse(&r.formula).ok().map(|c| element_map(&c)))
            .collect()
    })
}

/// Gap of one composition by rules 1–2 (`None` without rows).
pub fn gap_estimate(composition: &Composition) -> Option<GapEstimate> {
    let target = element_map(composition);
    let formula = composition.reduced_formula();
    let rows: Vec<&gaps::GapRow> = gaps::rows()
        .iter()
        .zip(gap_row_compositions())
        .filter(|(r, c)| {
            r.gap_ev.is_some() && c.as_ref().is_some_and(|c| same_composition(c, &target))
        })
        .map(|(r, _)| r)
        .collect();
    let used = |sel: &[&gaps::GapRow]| -> Vec<GapUsed> {
        sel.iter()
            .map(|r| GapUsed {
                formula: r.formula.clone(),
                gap_ev: r.gap_ev.unwrap_or(f64::NAN),
                method: r.method.clone(),
                source: r.source.clone(),
            })
            .collect()
    };
    let exp: Vec<&gaps::GapRow> = rows
        .iter()
        .copied()
        .filter(|r| r.method == "experimental")
        .collect();
    if !exp.is_empty() {
        let vals: Vec<f64> = exp.iter().filter_map(|r| r.gap_ev).collect();
        let m = median(vals.clone());
        let spread = vals.iter().map(|v| (v - m).abs()).fold(0.0, f64::max);
        return Some(GapEstimate {
            formula,
            gap_ev: m,
            gap_err_ev: spread.max(0.1),
            rule: "measured".into(),
            rows: used(&exp),
        });
    }
    let pbe: Vec<&gaps::GapRow> = rows
        .iter()
        .copied()
        .filter(|r| r.method == "DFT-PBE" || r.method == "DFT-PBE (MP)")
        .collect();
    if !pbe.is_empty() {
        let m = median(pbe.iter().filter_map(|r| r.gap_ev).collect());
        return Some(GapEstimate {
            formula,
            gap_ev: PBE_GAP_SLOPE * m + PBE_GAP_INTERCEPT_EV,
            gap_err_ev: PBE_GAP_MAP_ERROR_EV,
            rule: "pbe_mapped".into(),
            rows: used(&pbe),
        });
    }
    None
}

/// The cations of `composition` at halo's formal oxidation states
/// ([`halo_data::elements::formal_oxidation_state`]) when every element has one and they balance
/// the charge (to 1e-6 e per atom); `None` otherwise.
fn formal_cations(composition: &Composition) -> Option<Vec<(Element, i8)>> {
    let amounts = element_map(composition);
    let mut net = 0.0;
    let mut total = 0.0;
    let mut out = Vec::new();
    for (el, n) in &amounts {
        let q = halo_data::elements::formal_oxidation_state(*el)?;
        net += f64::from(q) * n;
        total += n;
        if q > 0 {
            out.push((*el, q));
        }
    }
    (total > 0.0 && net.abs() <= 1e-6 * total && !out.is_empty()).then_some(out)
}

/// The binary halides M X_q of every cation (M, q) with every halide X of `composition`.
fn halide_components<'a>(
    composition: &Composition,
    cations: impl Iterator<Item = &'a (Element, i8)>,
) -> Vec<Composition> {
    let anions: Vec<Element> = element_map(composition)
        .into_keys()
        .filter(|e| e.is_halogen())
        .collect();
    let mut out = Vec::new();
    for (el, q) in cations {
        for x in &anions {
            let text = if *q == 1 {
                format!("{el}{x}")
            } else {
                format!("{el}{x}{q}")
            };
            if let Ok(c) = Composition::parse(&text) {
                out.push(c);
            }
        }
    }
    out
}

/// Insulation verdict with the default threshold.
pub fn insulation(composition: &Composition) -> Result<InsulationReport, FilterError> {
    insulation_with(composition, DEFAULT_MIN_GAP_EV)
}

/// Insulation verdict with a band-gap threshold `min_gap_ev`.
pub fn insulation_with(
    composition: &Composition,
    min_gap_ev: f64,
) -> Result<InsulationReport, FilterError> {
    if !(min_gap_ev.is_finite() && min_gap_ev >= 0.0) {
        return Err(FilterError::InvalidConfig {
            key: "min_gap_ev".into(),
            reason: format!("{min_gap_ev} is not a finite non-negative energy"),
        });
    }
    let formula = composition.reduced_formula();
    let mut reasons = Vec::new();
    // cation oxidation states: given species states, else the thermochemical reference
    let reference = binary_reference(composition);
    let mut cations: BTreeMap<(Element, i8), ()> = BTreeMap::new();
    let given: Vec<_> = composition
        .iter()
        .filter_map(|(s, _)| s.oxidation_state.map(|q| (s.element, q)))
        .filter(|(_, q)| *q > 0)
        .collect();
    if !given.is_empty() {
        for c in given {
            cations.insert(c, ());
        }
    } else if let Ok(parts) = &reference {
        for p in parts {
            cations.insert((p.cation, p.cation_ox), ());
        }
    } else if let Some(formal) = formal_cations(composition) {
        reasons.push(format!(
            "oxidation states: halo's formal ones ({}), which balance the charge; the \
             thermochemistry has no binary reference for {formula}",
            formal
                .iter()
                .map(|(e, q)| format!("{e}{q}+"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for c in formal {
            cations.insert(c, ());
        }
    }
    let mut open_d = Vec::new();
    let mut open_f = Vec::new();
    let mut unknown_shell = Vec::new();
    for (el, q) in cations.keys() {
        match halo_data::elements::ion(*el, *q) {
            Ok(row) => {
                if row.open_shell_d {
                    open_d.push(format!("{el}{q}+"));
                }
                if row.open_shell_f {
                    open_f.push(format!("{el}{q}+"));
                }
            }
            Err(_) => unknown_shell.push(format!("{el}{q}+")),
        }
    }
    // band gap
    let mut estimates = Vec::new();
    let (gap, err, rule) = if let Some(g) = gap_estimate(composition) {
        let out = (Some(g.gap_ev), Some(g.gap_err_ev), Some(g.rule.clone()));
        estimates.push(g);
        out
    } else {
        match &reference {
            Ok(parts) => {
                let mut missing = Vec::new();
                for p in parts {
                    let c = Composition::parse(&p.formula)?;
                    match gap_estimate(&c) {
                        Some(g) => estimates.push(g),
                        None => missing.push(p.formula.clone()),
                    }
                }
                if missing.is_empty() && !estimates.is_empty() {
                    let lowest = estimates
                        .iter()
                        .min_by(|a, b| a.gap_ev.total_cmp(&b.gap_ev))
                        .map(|g| (g.gap_ev, g.gap_err_ev, g.formula.clone()));
                    match lowest {
                        Some((g, e, f)) => {
                            reasons.push(format!(
                                "no band gap of {formula} itself: lowest gap of its binary \
                                 components is {f} ({g:.2} eV)"
                            ));
                            (
                                Some(g),
                                Some(e),
                                Some("mixture_lowest_component".to_string()),
                            )
                        }
                        None => (None, None, None),
                    }
                } else {
                    reasons.push(format!(
                        "no band gap in band_gaps.csv for {formula} nor for its component(s) {}",
                        missing.join(", ")
                    ));
                    (None, None, None)
                }
            }
            // no thermochemical reference (a binary missing from the thermochemistry, which
            // band_gaps.csv may still have): the binary halides of the cations at their states
            // (given, or formal and charge-balancing) with every halide of the composition
            Err(_) if !cations.is_empty() => {
                let components = halide_components(composition, cations.keys());
                let mut missing = Vec::new();
                for c in &components {
                    match gap_estimate(c) {
                        Some(g) => estimates.push(g),
                        None => missing.push(c.reduced_formula()),
                    }
                }
                match estimates
                    .iter()
                    .min_by(|a, b| a.gap_ev.total_cmp(&b.gap_ev))
                {
                    Some(g) if missing.is_empty() => {
                        reasons.push(format!(
                            "no band gap of {formula} itself: lowest gap of its binary \
                             halides is {} ({:.2} eV)",
                            g.formula, g.gap_ev
                        ));
                        (
                            Some(g.gap_ev),
                            Some(g.gap_err_ev),
                            Some("mixture_lowest_component".to_string()),
                        )
                    }
                    _ => {
                        reasons.push(format!(
                            "no band gap in band_gaps.csv for {formula} nor for its binary \
                             halide(s) {}",
                            missing.join(", ")
                        ));
                        (None, None, None)
                    }
                }
            }
            Err(e) => {
                reasons.push(format!(
                    "no band gap in band_gaps.csv for {formula}, and no binary reference: {e}"
                ));
                (None, None, None)
            }
        }
    };
    let verdict = if !open_d.is_empty() {
        reasons.push(format!(
            "open-shell d cation(s) {}: redox-active, electronic (polaron) conduction likely",
            open_d.join(", ")
        ));
        InsulationVerdict::RedoxActive
    } else if !unknown_shell.is_empty() {
        reasons.push(format!(
            "no elements.csv row for {}: open-shell status unknown",
            unknown_shell.join(", ")
        ));
        InsulationVerdict::NotAssessable
    } else if cations.is_empty() {
        reasons.push("cation oxidation states unknown (no binary reference)".into());
        InsulationVerdict::NotAssessable
    } else {
        match gap {
            None => InsulationVerdict::NotAssessable,
            Some(g) if g < min_gap_ev => {
                reasons.push(format!("band gap {g:.2} eV below {min_gap_ev:.2} eV"));
                InsulationVerdict::SmallGap
            }
            Some(g) => {
                // an open 4f/5f shell is localised and does not fail the verdict (listed below)
                let shells = if open_f.is_empty() {
                    "closed-shell cations"
                } else {
                    "no open d shell"
                };
                reasons.push(format!("{shells}, band gap {g:.2} eV ≥ {min_gap_ev:.2} eV"));
                InsulationVerdict::Insulating
            }
        }
    };
    if !open_f.is_empty() {
        reasons.push(format!(
            "open 4f/5f shell(s) {} listed (localised; not failing)",
            open_f.join(", ")
        ));
    }
    Ok(InsulationReport {
        formula,
        band_gap_ev: gap,
        band_gap_err_ev: err,
        band_gap_rule: rule,
        gap_estimates: estimates,
        open_shell_d: open_d,
        open_shell_f: open_f,
        verdict,
        reasons,
        min_gap_ev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wide-gap chloride with an open 4f shell (Li3ErCl6) is insulating, and its reasons do
    /// not call its cations closed-shell beside the 4f line.
    #[test]
    fn an_open_4f_shell_is_not_called_closed() {
        let r = insulation(&Composition::parse("Li3ErCl6").unwrap()).unwrap();
        assert_eq!(r.verdict, InsulationVerdict::Insulating);
        let text = r.reasons.join(" | ");
        assert!(!text.contains("closed-shell"), "{text}");
        assert!(
            text.contains("no open d shell") && text.contains("Er3+"),
            "{text}"
        );
        let r = insulation(&Composition::parse("Li3InCl6").unwrap()).unwrap();
        assert!(r.reasons.join(" ").contains("closed-shell cations"));
    }

    /// Messages name a verdict as the JSON does (`redox_active`, not the Rust `RedoxActive`).
    #[test]
    fn verdict_names_are_the_json_names() {
        for v in [
            InsulationVerdict::Insulating,
            InsulationVerdict::SmallGap,
            InsulationVerdict::RedoxActive,
            InsulationVerdict::NotAssessable,
        ] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.name())
            );
        }
    }

    fn ins(f: &str) -> InsulationReport {
        insulation(&Composition::parse(f).unwrap()).unwrap()
    }

    #[test]
    fn measured_gaps_win_over_computed_ones() {
        let r = ins("LiCl");
        assert_eq!(r.band_gap_rule.as_deref(), Some("measured"));
        // Borlido 9.4 and Zhuo 9.33: median 9.365
        assert!((r.band_gap_ev.unwrap() - 9.365).abs() < 1e-9, "{r:?}");
        assert_eq!(r.verdict, InsulationVerdict::Insulating);
    }

    #[test]
    fn pbe_gaps_are_mapped() {
        // Li3InCl6: MP PBE 3.373 eV -> 1.557·3.373 + 0.17 = 5.422 eV
        let r = ins("Li3InCl6");
        assert_eq!(r.band_gap_rule.as_deref(), Some("pbe_mapped"));
        assert!((r.band_gap_ev.unwrap() - (1.557 * 3.373 + 0.17)).abs() < 1e-9);
        // Li2Sc2/3Cl4 has the composition of Li3ScCl6 (MP PBE 3.989)
        let r = ins("Li2Sc2/3Cl4");
        assert!(
            (r.band_gap_ev.unwrap() - (1.557 * 3.989 + 0.17)).abs() < 1e-9,
            "{r:?}"
        );
    }

    #[test]
    fn mixtures_take_the_lowest_component() {
        // no row for Li2In1/3Sc1/3Cl4: components LiCl (9.37), InCl3 (4.86), ScCl3 (6.20)
        let r = ins("Li2In1/3Sc1/3Cl4");
        assert_eq!(r.band_gap_rule.as_deref(), Some("mixture_lowest_component"));
        assert!(
            (r.band_gap_ev.unwrap() - (1.557 * 3.012 + 0.17)).abs() < 1e-9,
            "{r:?}"
        );
        assert_eq!(r.verdict, InsulationVerdict::Insulating);
    }

    /// A candidate whose binaries band_gaps.csv has but the thermochemistry does not (SnCl4,
    /// YBr3, HoBr3) is judged on those gaps, not left not assessable: rule 3 with the formal
    /// states, which balance the charge.
    #[test]
    fn gaps_of_binaries_missing_from_the_thermochemistry_are_used() {
        for (f, lowest) in [
            ("Li5Sc1Sn1Cl12", "SnCl4"),
            ("Li6Y1Sc1Br12", "ScBr3"),
            ("Li6Ho1Sc1Br12", "ScBr3"),
        ] {
            let r = ins(f);
            assert_eq!(r.verdict, InsulationVerdict::Insulating, "{f}: {r:?}");
            assert_eq!(
                r.band_gap_rule.as_deref(),
                Some("mixture_lowest_component"),
                "{f}"
            );
            let low = r
                .gap_estimates
                .iter()
                .min_by(|a, b| a.gap_ev.total_cmp(&b.gap_ev))
                .unwrap();
            assert_eq!(low.formula, lowest, "{f}: {r:?}");
            assert_eq!(r.band_gap_ev, Some(low.gap_ev));
            assert!(r.reasons.iter().any(|x| x.contains("formal ones")), "{r:?}");
        }
        // formal states that do not balance: still not assessable
        let r = ins("Li2SnCl5");
        assert_eq!(r.verdict, InsulationVerdict::NotAssessable, "{r:?}");
    }

    #[test]
    fn open_shell_cations_are_flagged() {
        let r = ins("Li2FeCl4");
        assert_eq!(r.open_shell_d, vec!["Fe2+".to_string()]);
        assert_eq!(r.verdict, InsulationVerdict::RedoxActive);
        let r = ins("Li3TiCl6");
        assert_eq!(r.open_shell_d, vec!["Ti3+".to_string()]);
        assert_eq!(r.verdict, InsulationVerdict::RedoxActive);
        // Zr4+ is d0: not flagged
        assert!(ins("Li2ZrCl6").open_shell_d.is_empty());
    }

    #[test]
    fn measured_electronic_conductors_of_the_paper_are_insulators_here() {
        // electronic_conductivity.csv: all four chlorides conduct electrons at 1e-10..1e-8 S/cm
        for (f, row) in [
            ("Li2In1/3Sc1/3Cl4", "Li2In1/3Sc1/3Cl4"),
            ("Li2Sc2/3Cl4", "Li2Sc2/3Cl4"),
            ("Li3InCl6", "Li3InCl6"),
            ("Li3YCl6", "Li3YCl6 (wet-chemistry, ammonium route)"),
        ] {
            let s = halo_data::calibration::electronic()
                .iter()
                .find(|r| r.material == row)
                .and_then(|r| r.sigma_e_s_per_cm)
                .unwrap();
            assert!(s < 1e-8, "{row}: {s}");
            let r = ins(f);
            assert_eq!(r.verdict, InsulationVerdict::Insulating, "{f}: {r:?}");
            assert!(r.band_gap_ev.unwrap() > 4.0, "{f}: {r:?}");
        }
    }

    #[test]
    fn bad_threshold_is_refused() {
        let c = Composition::parse("LiCl").unwrap();
        assert!(insulation_with(&c, f64::NAN).is_err());
    }
}
