//! Anodic (oxidation) and cathodic (reduction) limits vs Li⁺/Li from the Li grand-potential
//! convex hull (docs/physics.md §6.1).
//!
//! # Method
//! Li is the open element at chemical potential μ = Δμ_Li (eV, relative to Li metal); the
//! electrode potential is E = −μ/e (V vs Li⁺/Li). Every phase has the grand potential
//! Φ_p(μ) = ΔG_p − n_Li,p·μ per formula unit (Ong et al., Chem. Mater. 20, 1798 (2008);
//! Richards et al., Chem. Mater. 28, 266 (2016); Zhu, He, Mo, ACS AMI 7, 23685 (2015)).
//! The candidate is stable at E when no combination of the other phases with its non-Li
//! composition has a lower Φ. The gap f(μ) = Φ_cand(μ) − min_others Φ(μ) is convex and piecewise
//! linear in μ, so the stable potentials form one interval. Its ends are found exactly by a
//! Newton iteration from outside (E = [`SCAN_MAX_V`] for the anodic end, E = 0 for the
//! cathodic one): at each E the LP decomposition defines the reaction
//!
//! ```text
//! cand → Σ x_p p + δn Li,    E_rxn = (Σ x_p ΔG_p − ΔG_cand) / δn,
//! ```
//!
//! the next iterate is E_rxn, and the iteration stops when the candidate is on the hull
//! (f ≤ [`LIMIT_CONVERGENCE_EV_PER_ATOM`]). The limit is the potential of the last reaction, whose products are the
//! decomposition products reported. For a single binary LiX this is E = −ΔG_f(LiX)/F
//! (LiCl: 384.019 kJ/mol → 3.980 V).
//!
//! # Phases
//! Elements (Li metal, M metal, X₂), every recommended binary halide of the candidate's cations
//! and anions at every tabulated oxidation state, and the measured ternaries whose elements lie
//! in the system (see [`crate::phases`]). ΔG°f(298 K) gives the room-temperature limits, ΔH°f
//! the "0 K-like" ones comparable with DFT hulls.
//!
//! # Formation energy of the candidate (the documented choice)
//! 1. If its composition is a measured ternary (or a binary) in the tables, that row's energy.
//! 2. Otherwise the lowest-energy combination of the tabulated binary halides with its
//!    composition (for one anion simply Σ binaries at the cation's oxidation state, e.g.
//!    Li₃InCl₆ = 3 LiCl + InCl₃; species' oxidation states, when given, restrict the binaries),
//!    plus a ternary term that is **zero unless supplied** ([`StabilityOptions`]). With a zero
//!    term the candidate lies on its binaries' tie-plane: its window is the intersection of the
//!    windows of its binaries (the LiX limit for the anodic side), the conservative choice
//!    when no measured mixing energy exists. A negative ternary term ΔG_mix (eV per formula
//!    unit of the candidate) raises the anodic limit of a ternary Li_aMX_b that oxidises to
//!    MX_b + a/2 X₂ by |ΔG_mix|/a.

use crate::error::FilterError;
use crate::hull::{decompose, Decomposition};
use crate::phases::{
    element_map, same_composition, ChemicalSystem, EnergyBasis, Phase, PhaseOrigin, RowUsed,
    KJ_PER_MOL_PER_EV,
};
use halo_core::{Composition, Element};
use halo_data::thermo;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Default hull tolerance (metastability allowance, eV per atom): none, the exact limits.
pub const HULL_TOLERANCE_EV_PER_ATOM: f64 = 0.0;
/// Largest hull tolerance taken, eV per atom: metastability allowances in use are 0.025–0.1
/// (pymatgen / Materials Project practice); beyond 0.5 every halide would be "stable" to the
/// end of the scan.
pub const MAX_HULL_TOLERANCE_EV_PER_ATOM: f64 = 0.5;
/// Convergence of the limit search: the candidate is on the hull when its grand potential is
/// within this much (eV per atom) of the other phases' (a numerical tolerance, not an option).
pub const LIMIT_CONVERGENCE_EV_PER_ATOM: f64 = 1e-6;
/// Upper end of the potential scan, V vs Li⁺/Li (LiF oxidises at 6.4 V).
pub const SCAN_MAX_V: f64 = 20.0;
/// Estimated rows of `thermo_binary_halides.csv` without a stated ΔH uncertainty: ±7 kJ/mol
/// (the family-mean-entropy estimate, tables/README.md), used for the error of a limit.
pub const ESTIMATED_ROW_UNC_KJ_PER_MOL: f64 = 7.0;

/// Options of the stability filter.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilityOptions {
    /// Ternary term added to the binaries' sum (eV per atom of the candidate) when the tables
    /// have no measured ternary for its composition; `None` means zero (see the module docs).
    pub mix_energy_ev_per_atom: Option<f64>,
    /// Hull tolerance, eV per atom: a candidate up to this far above the hull counts as
    /// stable (pymatgen's e_above_hull allowance for metastable phases), so its limits are
    /// those of the candidate with its formation energy lowered by this much per atom; 0 gives
    /// the exact limits ([`HULL_TOLERANCE_EV_PER_ATOM`]).
    pub hull_tolerance_ev_per_atom: f64,
}

/// An allowance above the hull (eV per atom) in 0–[`MAX_HULL_TOLERANCE_EV_PER_ATOM`], else the
/// error naming it by `key`.
fn check_allowance(t: f64, key: &str) -> Result<(), FilterError> {
    if t.is_finite() && (0.0..=MAX_HULL_TOLERANCE_EV_PER_ATOM).contains(&t) {
        return Ok(());
    }
    Err(FilterError::InvalidConfig {
        key: key.into(),
        reason: format!(
            "{t} eV/atom is not an allowance above the hull between 0 and \
             {MAX_HULL_TOLERANCE_EV_PER_ATOM} eV/atom"
        ),
    })
}

impl StabilityOptions {
    /// The options as `halo stability` and `halo.stability` take them (`--mix-mev-per-atom` in
    /// meV per atom, `--hull-tolerance-ev-per-atom`), checked in those units and named by the
    /// flag, so an error speaks the user's units rather than these fields'.
    pub fn from_flags(
        mix_mev_per_atom: Option<f64>,
        hull_tolerance_ev_per_atom: f64,
    ) -> Result<StabilityOptions, FilterError> {
        if let Some(m) = mix_mev_per_atom {
            if !(m.is_finite() && m.abs() <= 2000.0) {
                return Err(FilterError::InvalidConfig {
                    key: "--mix-mev-per-atom".into(),
                    reason: format!(
                        "{m} meV/atom is not a plausible ternary term (|x| ≤ 2000 meV/atom)"
                    ),
                });
            }
        }
        check_allowance(hull_tolerance_ev_per_atom, "--hull-tolerance-ev-per-atom")?;
        Ok(StabilityOptions {
            mix_energy_ev_per_atom: mix_mev_per_atom.map(|m| m / 1000.0),
            hull_tolerance_ev_per_atom,
        })
    }
}

impl Default for StabilityOptions {
    fn default() -> Self {
        StabilityOptions {
            mix_energy_ev_per_atom: None,
            hull_tolerance_ev_per_atom: HULL_TOLERANCE_EV_PER_ATOM,
        }
    }
}

/// Amounts in reports are rounded to 1e-10 (the polished LP solution is exact to ~1e-15).
fn tidy(x: f64) -> f64 {
    (x * 1e10).round() / 1e10
}

/// An amount of a phase per formula unit of the candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseAmount {
    pub formula: String,
    pub amount: f64,
}

/// A decomposition reaction of the candidate with Li exchange.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reaction {
    /// Products per formula unit of the candidate (Li metal not listed; see `li_released`).
    pub products: Vec<PhaseAmount>,
    /// Li released per formula unit (positive on oxidation, negative when Li is taken up).
    pub li_released: f64,
    /// Reaction free energy (or enthalpy) at E = 0 V, eV per formula unit of the candidate.
    pub reaction_energy_ev: f64,
    /// The equation, e.g. `Li3InCl6 -> InCl3 + 1.5 Cl2 + 3 Li`.
    pub equation: String,
}

/// How a limit was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// A decomposition reaction sets the limit.
    Reaction,
    /// Stable in contact with Li metal (cathodic limit 0 V).
    StableAgainstLiMetal,
    /// No oxidation found up to [`SCAN_MAX_V`].
    BeyondScan,
}

/// One end of the stability window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Limit {
    /// V vs Li⁺/Li.
    pub potential_v: f64,
    /// 1σ error from the stated uncertainties of the rows in the limiting reaction (tabulated
    /// rows without a stated uncertainty count 0; the unknown ternary term is not included).
    pub unc_v: f64,
    pub kind: LimitKind,
    /// The limiting reaction (for `kind = reaction`).
    pub reaction: Option<Reaction>,
}

/// The window in one energy basis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Window {
    pub basis: EnergyBasis,
    /// Formation energy of the candidate used, eV per formula unit.
    pub candidate_energy_ev: f64,
    /// Stable at some potential in [0, SCAN_MAX_V].
    pub stable: bool,
    pub anodic: Option<Limit>,
    pub cathodic: Option<Limit>,
    /// Phases of the hull (formulas).
    pub phases_considered: Vec<String>,
    /// Table rows left out of this basis (no value).
    pub rows_skipped: Vec<String>,
}

/// How the candidate's formation energy was built.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormationModel {
    /// `measured_ternary`, `tabulated_binary`, `binary_sum`, `binary_sum_plus_supplied_term`.
    pub kind: String,
    /// The same in words, for the report.
    pub description: String,
    /// The reference combination of binaries (ΔG basis) per formula unit of the candidate.
    pub reference: Vec<PhaseAmount>,
    /// Ternary term added (eV per atom); 0 when none.
    pub ternary_term_ev_per_atom: f64,
}

/// The result of [`stability`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StabilityReport {
    /// The formula as given.
    pub formula: String,
    /// Anodic (oxidation) limit from ΔG°f(298 K), V vs Li⁺/Li; `None` when never stable. A
    /// compound with no Li-releasing reaction below the scan's top (a Li-free one: NaCl) gets
    /// the scan limit, 20 V, as a lower bound: `windows[0].anodic.kind` is then `beyond_scan`.
    pub anodic_limit_v_dg: Option<f64>,
    /// Anodic limit from ΔH°f (0 K-like).
    pub anodic_limit_v_dh: Option<f64>,
    /// Cathodic (reduction) limit from ΔG°f(298 K); 0 when stable against Li metal.
    pub cathodic_limit_v_dg: Option<f64>,
    /// Cathodic limit from ΔH°f.
    pub cathodic_limit_v_dh: Option<f64>,
    /// Products at the anodic limit (ΔG basis).
    pub oxidation_products_dg: Vec<PhaseAmount>,
    /// Products at the cathodic limit (ΔG basis).
    pub reduction_products_dg: Vec<PhaseAmount>,
    pub formation_model: FormationModel,
    /// ΔG and ΔH windows in full.
    pub windows: Vec<Window>,
    /// The data rows behind the candidate's energy and its limiting reactions, with sources.
    pub rows_used: Vec<RowUsed>,
    /// A Li adjustment made to neutralise a formula within [`CHARGE_TOLERANCE_E`].
    pub composition_adjustment: Option<String>,
    /// Tolerance used (eV per atom).
    pub hull_tolerance_ev_per_atom: f64,
    /// Potential range scanned, V.
    pub scan_max_v: f64,
}

/// Charge imbalance (e per formula unit, formal oxidation states) tolerated in a formula by
/// adjusting its Li content, as for structures (docs/physics.md §1.3): decimal formulas such as
/// `Li2In0.333Sc0.333Cl4` are 0.002 e off.
pub use halo_core::composition::CHARGE_NEUTRALITY_TOLERANCE_E as CHARGE_TOLERANCE_E;

/// The element amounts of `composition`, with Li adjusted to make it exactly neutral when its
/// formal charge (species' states, else `formal_oxidation_state`) is within
/// [`CHARGE_TOLERANCE_E`] of zero; the note says by how much.
fn neutralised_target(composition: &Composition) -> (BTreeMap<Element, f64>, Option<String>) {
    let mut target = element_map(composition);
    let q: Option<f64> = composition
        .iter()
        .map(|(s, a)| {
            s.oxidation_state
                .or_else(|| halo_data::elements::formal_oxidation_state(s.element))
                .map(|q| q as f64 * a)
        })
        .sum();
    match q.map(|q| (q, composition.neutralised_by_li(q))) {
        Some((q, Ok((c, change)))) if change != 0.0 => {
            target = element_map(&c);
            let note = format!(
                "Li adjusted by {change:+.4} per formula unit to make the formula exactly neutral \
                 (formal charge {q:+.4} e, within the {CHARGE_TOLERANCE_E} e tolerance)"
            );
            (target, Some(note))
        }
        _ => (target, None),
    }
}

/// Stability window of `composition` with the default options.
pub fn stability(composition: &Composition) -> Result<StabilityReport, FilterError> {
    stability_with(composition, &StabilityOptions::default())
}

/// A reaction coefficient followed by a space ("" for 1).
fn fmt_amount(x: f64) -> String {
    let s = halo_core::composition::format_amount(x, 4, true);
    // an amount below the fourth decimal (the round-off of a Li-adjusted formula) is not 0
    if s == "0" && x.abs() > 0.0 {
        return format!("{x:.1e} ");
    }
    if s.is_empty() {
        s
    } else {
        s + " "
    }
}

struct Candidate {
    target: BTreeMap<Element, f64>,
    energy_ev: f64,
    n_li: f64,
    /// Reference parts (phase index, amount) for the error propagation; empty for a table row.
    reference: Vec<(usize, f64)>,
    /// The matched phase (excluded from the competitors).
    matched: Option<usize>,
    model: FormationModel,
}

fn candidate_energy(
    formula: &str,
    composition: &Composition,
    target: &BTreeMap<Element, f64>,
    phases: &[Phase],
    opts: &StabilityOptions,
) -> Result<Candidate, FilterError> {
    let li = Element::LI;
    let n_atoms: f64 = target.values().sum();
    let n_li = target.get(&li).copied().unwrap_or(0.0);
    // 1. a tabulated phase of the same composition
    let matched = phases
        .iter()
        .enumerate()
        .filter(|(_, p)| same_composition(&p.amounts, target))
        .map(|(i, p)| (i, p.energy_ev * n_atoms / p.amounts.values().sum::<f64>()))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((i, e)) = matched {
        let p = &phases[i];
        let kind = match p.origin {
            PhaseOrigin::Ternary { .. } => "measured_ternary",
            PhaseOrigin::Binary { .. } => "tabulated_binary",
            PhaseOrigin::Element => "element",
        };
        let scale = n_atoms / p.amounts.values().sum::<f64>();
        return Ok(Candidate {
            target: target.clone(),
            energy_ev: e,
            n_li,
            reference: vec![(i, scale)],
            matched: Some(i),
            model: FormationModel {
                kind: kind.into(),
                description: format!(
                    "the tabulated formation energy of {} ({}){}",
                    p.formula,
                    RowUsed::from_origin(&p.origin, &p.formula)
                        .map(|r| r.source_id)
                        .unwrap_or_else(|| "element".into()),
                    // a supplied ternary term is for compositions the table does not have
                    match opts.mix_energy_ev_per_atom {
                        Some(m) if m != 0.0 => format!(
                            "; the supplied ternary term ({:+} meV/atom) is not used: the \
                             composition has a tabulated energy",
                            m * 1000.0
                        ),
                        _ => String::new(),
                    }
                ),
                reference: vec![PhaseAmount {
                    formula: p.formula.clone(),
                    amount: scale,
                }],
                ternary_term_ev_per_atom: 0.0,
            },
        });
    }
    // 2. the binaries' lowest combination (restricted to given oxidation states)
    let d = binary_combination(formula, composition, target, phases)?;
    let (term, kind, desc) = match opts.mix_energy_ev_per_atom {
        Some(m) => (
            m,
            "binary_sum_plus_supplied_term",
            format!(
                "sum of binaries plus a supplied ternary term of {:.1} meV/atom (no measured \
                 ternary in thermo_ternary_halides.csv)",
                m * 1000.0
            ),
        ),
        None => (
            0.0,
            "binary_sum",
            "sum of binaries with zero ternary term (no measured ternary in \
             thermo_ternary_halides.csv): the candidate lies on its binaries' tie-plane and its \
             window is the intersection of theirs"
                .to_string(),
        ),
    };
    let reference = phase_amounts(&d, phases);
    Ok(Candidate {
        target: target.clone(),
        energy_ev: d.energy_ev + term * n_atoms,
        n_li,
        reference: d.parts.clone(),
        matched: None,
        model: FormationModel {
            kind: kind.into(),
            description: desc,
            reference,
            ternary_term_ev_per_atom: term,
        },
    })
}

/// The lowest-energy combination of the tabulated binary halides with the composition of
/// `composition` (species' oxidation states, when given, restrict the binaries to them).
fn binary_combination(
    formula: &str,
    composition: &Composition,
    target: &BTreeMap<Element, f64>,
    phases: &[Phase],
) -> Result<Decomposition, FilterError> {
    let mut given: BTreeMap<Element, BTreeSet<i8>> = BTreeMap::new();
    let mut unspecified = BTreeSet::new();
    for (s, _) in composition.iter() {
        match s.oxidation_state {
            Some(q) => {
                given.entry(s.element).or_default().insert(q);
            }
            None => {
                unspecified.insert(s.element);
            }
        }
    }
    let use_phase: Vec<bool> = phases
        .iter()
        .map(|p| match p.origin {
            PhaseOrigin::Binary { row } => {
                let r = &thermo::binaries()[row];
                match Element::from_symbol(&r.cation) {
                    Ok(c) if !unspecified.contains(&c) => match given.get(&c) {
                        Some(qs) => qs.contains(&(r.cation_ox.round() as i8)),
                        None => true,
                    },
                    _ => true,
                }
            }
            _ => false,
        })
        .collect();
    let restricted = !given.is_empty();
    decompose(phases, &use_phase, target, None, formula)?.ok_or_else(|| {
        FilterError::NotChargeBalanced {
            formula: formula.to_string(),
            reason: format!(
                "cannot be written as a combination of the tabulated binary halides{}: not a \
                 charge-balanced halide (or a cation state missing from thermo_binary_halides.csv)",
                if restricted {
                    " at the given oxidation states"
                } else {
                    ""
                }
            ),
        }
    })
}

/// Notes on a composition given to the stability filter: one without Li (NaCl, or `Li0Cl`,
/// which is Cl2), whose limits are those of taking up Li only, and [`oxidation_state_notes`].
pub fn input_notes(composition: &Composition) -> Vec<String> {
    let mut out = Vec::new();
    if composition.amount_of(Element::LI) <= 0.0 {
        out.push(format!(
            "{} has no Li: its limits are those of taking up Li (reduction) and of releasing \
             none; an oxidation that releases another cation is not computed",
            composition.reduced_formula()
        ));
    }
    out.extend(oxidation_state_notes(composition));
    out
}

/// Notes for a composition whose reference combination ([`binary_reference`]) puts a cation
/// outside its formal oxidation state (`halo_data::elements::formal_oxidation_state`): Li4InCl6
/// balances only with In2+ (a slip for Li3InCl6?), and is computed as written. One note per
/// such cation; none when the combination cannot be formed (the stability error says why).
pub fn oxidation_state_notes(composition: &Composition) -> Vec<String> {
    let Ok(parts) = binary_reference(composition) else {
        return Vec::new();
    };
    parts
        .iter()
        .filter_map(|p| {
            let q = halo_data::elements::formal_oxidation_state(p.cation)?;
            (q != p.cation_ox).then(|| {
                format!(
                    "{} is taken as {:+} ({}) to balance the formula; its formal state is {q:+}: \
                     check the formula",
                    p.cation, p.cation_ox, p.formula
                )
            })
        })
        .collect()
}

/// One binary halide of a candidate's reference combination.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReferencePart {
    pub formula: String,
    /// Amount per formula unit of the candidate.
    pub amount: f64,
    pub cation: Element,
    pub cation_ox: i8,
    pub anion: Element,
}

/// The candidate written as its lowest-enthalpy combination of tabulated binary halides
/// (e.g. Li2In1/3Sc1/3Cl4 = 2 LiCl + 1/3 InCl3 + 1/3 ScCl3): the oxidation states the
/// thermochemistry assigns to its cations.
pub fn binary_reference(composition: &Composition) -> Result<Vec<ReferencePart>, FilterError> {
    let (target, _) = neutralised_target(composition);
    let formula = composition.reduced_formula();
    let system = ChemicalSystem::of(&target)?;
    let (phases, _) = system.phases(EnergyBasis::Enthalpy298K)?;
    let d = binary_combination(&formula, composition, &target, &phases)?;
    d.parts
        .iter()
        .map(|(i, x)| {
            let PhaseOrigin::Binary { row } = phases[*i].origin else {
                return Err(FilterError::Hull {
                    formula: formula.clone(),
                    reason: "reference combination holds a non-binary phase".into(),
                });
            };
            let r = &thermo::binaries()[row];
            Ok(ReferencePart {
                formula: r.reduced_formula.clone(),
                amount: *x,
                cation: Element::from_symbol(&r.cation)?,
                cation_ox: r.cation_ox.round() as i8,
                anion: Element::from_symbol(&r.anion)?,
            })
        })
        .collect()
}

/// The phases of a decomposition with their amounts (tidied).
fn phase_amounts(d: &Decomposition, phases: &[Phase]) -> Vec<PhaseAmount> {
    d.parts
        .iter()
        .map(|(i, x)| PhaseAmount {
            formula: phases[*i].formula.clone(),
            amount: tidy(*x),
        })
        .collect()
}

fn reaction(formula: &str, cand: &Candidate, d: &Decomposition, phases: &[Phase]) -> Reaction {
    let li_released = cand.n_li - d.li_amount;
    let products = phase_amounts(d, phases);
    let rhs: Vec<String> = products
        .iter()
        .map(|p| format!("{}{}", fmt_amount(p.amount), p.formula))
        .collect();
    let equation = if li_released >= 0.0 {
        format!(
            "{formula} -> {} + {}Li",
            rhs.join(" + "),
            fmt_amount(li_released)
        )
    } else {
        format!(
            "{formula} + {}Li -> {}",
            fmt_amount(-li_released),
            rhs.join(" + ")
        )
    };
    Reaction {
        products,
        li_released: tidy(li_released),
        reaction_energy_ev: d.energy_ev - cand.energy_ev,
        equation,
    }
}

fn limit_unc_v(cand: &Candidate, d: &Decomposition, phases: &[Phase], dn: f64) -> f64 {
    let mut net: BTreeMap<usize, f64> = BTreeMap::new();
    for (i, x) in &d.parts {
        *net.entry(*i).or_insert(0.0) += x;
    }
    for (i, x) in &cand.reference {
        *net.entry(*i).or_insert(0.0) -= x;
    }
    let var: f64 = net
        .iter()
        .map(|(i, c)| {
            let p = &phases[*i];
            let mut u = p.unc_ev;
            if u == 0.0 {
                if let PhaseOrigin::Binary { row } = p.origin {
                    if thermo::binaries()[row].value_type == "estimated" {
                        u = ESTIMATED_ROW_UNC_KJ_PER_MOL / KJ_PER_MOL_PER_EV;
                    }
                }
            }
            (c * u).powi(2)
        })
        .sum();
    var.sqrt() / dn.abs()
}

enum Side {
    Anodic,
    Cathodic,
}

fn find_limit(
    formula: &str,
    cand: &Candidate,
    phases: &[Phase],
    others: &[bool],
    tol_ev: f64,
    side: Side,
) -> Result<Option<Limit>, FilterError> {
    let li = Element::LI;
    let mut v = match side {
        Side::Anodic => SCAN_MAX_V,
        Side::Cathodic => 0.0,
    };
    let mut last: Option<Decomposition> = None;
    for _ in 0..200 {
        let mu = -v;
        let Some(d) = decompose(phases, others, &cand.target, Some((li, mu)), formula)? else {
            // nothing else has this composition: the candidate is the only phase there
            return Ok(Some(Limit {
                potential_v: v,
                unc_v: 0.0,
                kind: match side {
                    Side::Anodic => LimitKind::BeyondScan,
                    Side::Cathodic => LimitKind::StableAgainstLiMetal,
                },
                reaction: None,
            }));
        };
        let phi_cand = cand.energy_ev - cand.n_li * mu;
        let gap = phi_cand - d.grand_potential_ev(mu);
        if gap <= tol_ev {
            return Ok(Some(match last {
                None => Limit {
                    potential_v: v,
                    unc_v: 0.0,
                    kind: match side {
                        Side::Anodic => LimitKind::BeyondScan,
                        Side::Cathodic => LimitKind::StableAgainstLiMetal,
                    },
                    reaction: None,
                },
                Some(r) => {
                    let dn = cand.n_li - r.li_amount;
                    Limit {
                        potential_v: v,
                        unc_v: limit_unc_v(cand, &r, phases, dn),
                        kind: LimitKind::Reaction,
                        reaction: Some(reaction(formula, cand, &r, phases)),
                    }
                }
            }));
        }
        let dn = cand.n_li - d.li_amount;
        let dg = d.energy_ev - cand.energy_ev;
        let v_new = match side {
            Side::Anodic if dn > 1e-9 => dg / dn,
            Side::Cathodic if dn < -1e-9 => dg / dn,
            // decomposes without exchanging Li in the right direction: unstable everywhere
            _ => return Ok(None),
        };
        let progressed = match side {
            Side::Anodic => v_new < v,
            Side::Cathodic => v_new > v,
        };
        if !progressed || !(0.0..=SCAN_MAX_V).contains(&v_new) {
            return Ok(None);
        }
        v = v_new;
        last = Some(d);
    }
    Err(FilterError::Hull {
        formula: formula.to_string(),
        reason: "limit search did not converge in 200 steps".into(),
    })
}

/// Stability window of `composition` (see the module docs for the method and the choices).
pub fn stability_with(
    composition: &Composition,
    opts: &StabilityOptions,
) -> Result<StabilityReport, FilterError> {
    let allowance = opts.hull_tolerance_ev_per_atom;
    check_allowance(allowance, "hull_tolerance_ev_per_atom")?;
    if let Some(m) = opts.mix_energy_ev_per_atom {
        if !m.is_finite() || m.abs() > 2.0 {
            return Err(FilterError::InvalidConfig {
                key: "mix_energy_ev_per_atom".into(),
                reason: format!("{m} eV/atom is not a plausible ternary term (|x| ≤ 2)"),
            });
        }
    }
    // the formula as given (amounts per formula unit of the input), e.g. Li2Sc0.6667Cl4
    let formula: String = composition
        .element_amounts()
        .iter()
        .map(|(e, a)| format!("{e}{}", fmt_amount(*a).trim()))
        .collect();
    let (target, adjustment) = neutralised_target(composition);
    // the formula the reactions balance: the Li-adjusted one when Li was adjusted (the input's
    // label, Li2Sc0.666Cl4, would not balance 2.002 Li on the other side)
    let formula = if adjustment.is_some() {
        composition
            .element_amounts()
            .iter()
            .map(|(e, a)| {
                let a = target.get(e).copied().unwrap_or(*a);
                format!("{e}{}", fmt_amount(a).trim())
            })
            .collect()
    } else {
        formula
    };
    let n_atoms: f64 = target.values().sum();
    if target.is_empty() || n_atoms <= 0.0 {
        return Err(FilterError::NotChargeBalanced {
            formula,
            reason: "empty composition".into(),
        });
    }
    let system = ChemicalSystem::of(&target)?;
    let tol_ev = LIMIT_CONVERGENCE_EV_PER_ATOM * n_atoms;
    let mut windows = Vec::new();
    let mut rows: BTreeMap<String, RowUsed> = BTreeMap::new();
    let mut model = None;
    for basis in EnergyBasis::BOTH {
        let (phases, rows_skipped) = system.phases(basis)?;
        let mut cand = candidate_energy(&formula, composition, &target, &phases, opts)?;
        // its formation energy as computed; the limits are those of the candidate lowered by
        // the allowance (a metastable candidate within it counts as on the hull)
        let candidate_energy_ev = cand.energy_ev;
        cand.energy_ev -= allowance * n_atoms;
        let others: Vec<bool> = (0..phases.len()).map(|i| Some(i) != cand.matched).collect();
        let anodic = find_limit(&formula, &cand, &phases, &others, tol_ev, Side::Anodic)?;
        let cathodic = find_limit(&formula, &cand, &phases, &others, tol_ev, Side::Cathodic)?;
        let (anodic, cathodic) = match (anodic, cathodic) {
            (Some(a), Some(c)) if a.potential_v >= c.potential_v - 1e-9 => (Some(a), Some(c)),
            _ => (None, None),
        };
        let mut add_row = |i: usize| {
            let p = &phases[i];
            if let Some(r) = RowUsed::from_origin(&p.origin, &p.formula) {
                rows.entry(format!("{}|{}", r.formula, r.source_id))
                    .or_insert(r);
            }
        };
        for (i, _) in &cand.reference {
            add_row(*i);
        }
        for l in anodic.iter().chain(cathodic.iter()) {
            if let Some(r) = &l.reaction {
                for p in &r.products {
                    if let Some(i) = phases.iter().position(|q| q.formula == p.formula) {
                        add_row(i);
                    }
                }
            }
        }
        if model.is_none() {
            model = Some(cand.model.clone());
        }
        windows.push(Window {
            basis,
            candidate_energy_ev,
            stable: anodic.is_some(),
            anodic,
            cathodic,
            phases_considered: phases.iter().map(|p| p.formula.clone()).collect(),
            rows_skipped,
        });
    }
    let pot = |w: &Window, anodic: bool| {
        if anodic {
            w.anodic.as_ref().map(|l| l.potential_v)
        } else {
            w.cathodic.as_ref().map(|l| l.potential_v)
        }
    };
    let products = |l: &Option<Limit>| {
        l.as_ref()
            .and_then(|l| l.reaction.as_ref())
            .map(|r| r.products.clone())
            .unwrap_or_default()
    };
    let formation_model = model.ok_or_else(|| FilterError::Hull {
        formula: formula.clone(),
        reason: "no energy basis evaluated".into(),
    })?;
    Ok(StabilityReport {
        anodic_limit_v_dg: pot(&windows[0], true),
        anodic_limit_v_dh: pot(&windows[1], true),
        cathodic_limit_v_dg: pot(&windows[0], false),
        cathodic_limit_v_dh: pot(&windows[1], false),
        oxidation_products_dg: products(&windows[0].anodic),
        reduction_products_dg: products(&windows[0].cathodic),
        formula,
        formation_model,
        windows,
        rows_used: rows.into_values().collect(),
        composition_adjustment: adjustment,
        hull_tolerance_ev_per_atom: opts.hull_tolerance_ev_per_atom,
        scan_max_v: SCAN_MAX_V,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(f: &str) -> StabilityReport {
        stability(&Composition::parse(f).unwrap()).unwrap()
    }

    #[test]
    fn lithium_halides_match_their_formation_energies() {
        // docs/physics.md §6.1: LiCl 3.98/4.23, LiBr 3.54/3.64, LiI 2.79/2.80, LiF 6.10/6.39 V
        for (f, dg, dh) in [
            ("LiCl", 3.98, 4.23),
            ("LiBr", 3.54, 3.64),
            ("LiI", 2.79, 2.80),
            ("LiF", 6.10, 6.39),
        ] {
            let r = report(f);
            assert!(
                (r.anodic_limit_v_dg.unwrap() - dg).abs() < 0.006,
                "{f}: {r:?}"
            );
            assert!(
                (r.anodic_limit_v_dh.unwrap() - dh).abs() < 0.006,
                "{f}: {r:?}"
            );
            assert_eq!(r.cathodic_limit_v_dg, Some(0.0), "{f} is stable against Li");
            let w = &r.windows[0];
            assert_eq!(
                w.cathodic.as_ref().unwrap().kind,
                LimitKind::StableAgainstLiMetal
            );
            let x2 = format!("{}2", &f[2..]);
            assert_eq!(r.oxidation_products_dg[0].formula, x2);
            assert!((r.oxidation_products_dg[0].amount - 0.5).abs() < 1e-12);
        }
        // exact: −ΔG°f/F
        let r = report("LiCl");
        assert!((r.anodic_limit_v_dg.unwrap() - 384.019 / KJ_PER_MOL_PER_EV).abs() < 1e-9);
    }

    #[test]
    fn ternary_chlorides_sit_at_the_licl_limit_and_reduce_at_their_cation() {
        let licl = 384.019 / KJ_PER_MOL_PER_EV;
        for (f, red) in [
            ("Li3InCl6", 2.4),
            ("Li2Sc2/3Cl4", 1.0),
            ("Li3ScCl6", 1.0),
            ("Li3YCl6", 0.76),
            ("Li2ZrCl6", 1.67),
            ("Li2In1/3Sc1/3Cl4", 2.4),
        ] {
            let r = report(f);
            assert!(
                (r.anodic_limit_v_dg.unwrap() - licl).abs() < 1e-6,
                "{f}: {r:?}"
            );
            assert!(
                (r.cathodic_limit_v_dg.unwrap() - red).abs() < 0.03,
                "{f}: {:?}",
                r.cathodic_limit_v_dg
            );
            assert_eq!(r.formation_model.kind, "binary_sum");
        }
        // In3+ -> In2+ is the first reduction: InCl3 + Li -> InCl2 + LiCl
        let r = report("Li3InCl6");
        let red = r.windows[0]
            .cathodic
            .as_ref()
            .unwrap()
            .reaction
            .as_ref()
            .unwrap();
        assert!(red.products.iter().any(|p| p.formula == "InCl2"), "{red:?}");
        assert!((red.li_released + 1.0).abs() < 1e-9);
        // Zr4+: ZrCl3 and ZrCl2 are above the ZrCl4–Zr tie-line, so ZrCl4 reduces to the metal
        let r = report("Li2ZrCl6");
        let red = r.windows[0]
            .cathodic
            .as_ref()
            .unwrap()
            .reaction
            .as_ref()
            .unwrap();
        assert!(red.products.iter().any(|p| p.formula == "Zr"), "{red:?}");
    }

    /// The ΔG anodic limit's reaction of a report that has one.
    fn anodic_reaction(r: &StabilityReport) -> &Reaction {
        r.windows[0]
            .anodic
            .as_ref()
            .and_then(|l| l.reaction.as_ref())
            .expect("an anodic reaction")
    }

    #[test]
    fn decimal_formulas_are_neutralised_within_the_tolerance() {
        let r = report("Li2In0.333Sc0.333Cl4");
        assert!(
            r.composition_adjustment
                .as_ref()
                .unwrap()
                .contains("+0.0020"),
            "{r:?}"
        );
        assert!((r.anodic_limit_v_dg.unwrap() - 3.980).abs() < 1e-3);
        // the reactions balance the adjusted formula, which they name
        assert_eq!(r.formula, "Li2.002Sc0.333In0.333Cl4");
        let eq = &anodic_reaction(&r).equation;
        assert!(eq.starts_with("Li2.002Sc0.333In0.333Cl4 -> "), "{eq}");
        assert!(eq.ends_with("2.002 Li"), "{eq}");
        assert!(report("Li3InCl6").composition_adjustment.is_none());
    }

    #[test]
    fn redox_active_iron_lowers_the_anodic_limit() {
        // FeCl2 + LiCl -> FeCl3 + Li: (−333.93 + 302.342 + 384.019)/F = 3.653 V
        let r = report("Li2FeCl4");
        let v = r.anodic_limit_v_dg.unwrap();
        assert!((v - 3.65).abs() < 0.01, "{v}");
        assert!(r.oxidation_products_dg.iter().any(|p| p.formula == "FeCl3"));
        let a = r.windows[0].anodic.as_ref().unwrap();
        assert!(a.unc_v >= 0.0 && a.unc_v < 0.1);
    }

    /// A ternary term given for a composition the table has (LiCl) changes nothing, and the
    /// model's description says it was not used.
    #[test]
    fn a_ternary_term_on_a_tabulated_composition_is_named_as_unused() {
        let c = Composition::parse("LiCl").unwrap();
        let opts = StabilityOptions {
            mix_energy_ev_per_atom: Some(-0.010),
            ..Default::default()
        };
        let r = stability_with(&c, &opts).unwrap();
        assert_eq!(
            r.anodic_limit_v_dg,
            stability(&c).unwrap().anodic_limit_v_dg
        );
        assert!(
            r.formation_model
                .description
                .contains("-10 meV/atom) is not used"),
            "{}",
            r.formation_model.description
        );
    }

    #[test]
    fn a_negative_ternary_term_raises_the_anodic_limit() {
        let c = Composition::parse("Li3InCl6").unwrap();
        let base = stability(&c).unwrap().anodic_limit_v_dg.unwrap();
        let opts = StabilityOptions {
            mix_energy_ev_per_atom: Some(-0.010),
            ..Default::default()
        };
        let r = stability_with(&c, &opts).unwrap();
        // 10 meV/atom × 10 atoms = 0.1 eV over 3 Li -> +0.0333 V
        let v = r.anodic_limit_v_dg.unwrap();
        assert!((v - base - 0.1 / 3.0).abs() < 1e-6, "{base} -> {v}");
        assert_eq!(r.formation_model.kind, "binary_sum_plus_supplied_term");
        // a positive term makes it unstable everywhere
        let opts = StabilityOptions {
            mix_energy_ev_per_atom: Some(0.010),
            ..Default::default()
        };
        let r = stability_with(&c, &opts).unwrap();
        assert_eq!(r.anodic_limit_v_dg, None);
        assert!(!r.windows[0].stable);
    }

    #[test]
    fn measured_ternaries_use_their_own_energy() {
        let r = report("Li3AlF6");
        assert_eq!(r.formation_model.kind, "measured_ternary");
        let lif = 588.66 / KJ_PER_MOL_PER_EV;
        // ΔG_mix = −26.69 kJ/mol over 3 Li: +0.092 V above LiF
        let v = r.anodic_limit_v_dg.unwrap();
        assert!(
            (v - lif - 26.69 / 3.0 / KJ_PER_MOL_PER_EV).abs() < 2e-3,
            "{v}"
        );
        assert!(r.rows_used.iter().any(|row| row.formula == "Li3AlF6"));
    }

    #[test]
    fn bad_inputs_are_refused_with_reasons() {
        let e = stability(&Composition::parse("Li3ScI6").unwrap()).unwrap_err();
        assert!(
            e.to_string().contains("not assessable") && e.to_string().contains("Sc"),
            "{e}"
        );
        let e = stability(&Composition::parse("LiCl2").unwrap()).unwrap_err();
        assert!(matches!(e, FilterError::NotChargeBalanced { .. }), "{e}");
        // 0.1 e off (Sc has only 3+): beyond the tolerance
        let e = stability(&Composition::parse("Li2.1Sc0.666Cl4").unwrap()).unwrap_err();
        assert!(matches!(e, FilterError::NotChargeBalanced { .. }), "{e}");
        let c = Composition::parse("LiCl").unwrap();
        for bad in [-1.0, 0.6, 10.0, f64::NAN] {
            let opts = StabilityOptions {
                hull_tolerance_ev_per_atom: bad,
                ..Default::default()
            };
            assert!(
                matches!(
                    stability_with(&c, &opts),
                    Err(FilterError::InvalidConfig { .. })
                ),
                "{bad}"
            );
        }
    }

    /// The hull tolerance is an allowance above the hull: a candidate lowered by it. Where the
    /// limiting reaction stays the same, each limit moves by exactly allowance × atoms / δn
    /// (Li3InCl6: 10 atoms, 3 Li released at the anodic limit, +0.03333 V at 0.01 eV/atom); the
    /// window only widens as the allowance grows; the default gives the exact limits.
    #[test]
    fn the_hull_tolerance_is_an_allowance_that_widens_the_window() {
        let c = Composition::parse("Li3InCl6").unwrap();
        let at = |tol: f64| {
            stability_with(
                &c,
                &StabilityOptions {
                    hull_tolerance_ev_per_atom: tol,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let exact = at(0.0);
        assert_eq!(exact, stability(&c).unwrap());
        let a0 = exact.anodic_limit_v_dg.unwrap();
        let c0 = exact.cathodic_limit_v_dg.unwrap();
        let widened = at(0.01);
        let dn = anodic_reaction(&exact).li_released;
        assert!((dn - 3.0).abs() < 1e-9, "{dn}");
        assert_eq!(
            widened.oxidation_products_dg, exact.oxidation_products_dg,
            "same reaction"
        );
        let a1 = widened.anodic_limit_v_dg.unwrap();
        assert!((a1 - a0 - 0.01 * 10.0 / 3.0).abs() < 1e-6, "{a0} -> {a1}");
        // the energy reported is the candidate's own
        assert_eq!(
            widened.windows[0].candidate_energy_ev,
            exact.windows[0].candidate_energy_ev
        );
        let mut last = (a0, c0);
        for tol in [0.01, 0.05, 0.1, 0.5] {
            let r = at(tol);
            let (a, k) = (r.anodic_limit_v_dg.unwrap(), r.cathodic_limit_v_dg.unwrap());
            assert!(a >= last.0 - 1e-9 && k <= last.1 + 1e-9, "{tol}: {a} {k}");
            last = (a, k);
        }
    }
}
