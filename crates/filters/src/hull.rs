//! Lower convex hull by linear programming, with Li as an optional open element.
//!
//! The hull energy of a composition c over phases p with energies E_p and element amounts a_pe is
//!
//! ```text
//! E_hull(c) = min Σ_p x_p E_p   subject to   Σ_p x_p a_pe = c_e (every element e),  x_p ≥ 0,
//! ```
//!
//! and with Li open at chemical potential μ (eV, relative to Li metal) the grand-potential hull
//! (Ong, Wang, Kang, Ceder, Chem. Mater. 20, 1798 (2008)) drops the Li row and replaces
//! E_p by Φ_p(μ) = E_p − n_Li,p·μ. The optimal x is the equilibrium decomposition.
//!
//! Why an LP and not a qhull facet walk: candidates are 3–6-element systems of a few dozen
//! phases, one composition at a time; a small LP answers exactly that question (which
//! combination of phases is lowest at this composition) without triangulating the whole hull,
//! and handles degenerate (coplanar) phases, such as a candidate placed on its binaries'
//! tie-plane, without special cases. The solver is `microlp` (pure Rust revised simplex). Its
//! solution is polished: the phases it selects are re-solved exactly for their amounts by least
//! squares, so reaction energies and potentials carry no simplex tolerance.

use crate::error::FilterError;
use crate::phases::Phase;
use halo_core::Element;
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use nalgebra::{DMatrix, DVector};
use std::collections::BTreeMap;

/// Amounts below this (per formula unit of the target) are treated as absent phases.
pub const PHASE_AMOUNT_TOLERANCE: f64 = 1e-7;

/// An equilibrium decomposition: (index into the phase list, amount per target formula unit).
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    pub parts: Vec<(usize, f64)>,
    /// Σ x_p E_p (eV), without the −n_Li·μ term.
    pub energy_ev: f64,
    /// Σ x_p n_Li,p: Li held by the products.
    pub li_amount: f64,
}

impl Decomposition {
    /// Grand potential Σ x_p (E_p − n_Li,p μ) at `mu_ev`.
    pub fn grand_potential_ev(&self, mu_ev: f64) -> f64 {
        self.energy_ev - self.li_amount * mu_ev
    }
}

/// The lowest-energy combination of `phases[i]` (for `use_phase[i]`) with the amounts of
/// `target`, Li open at `mu_li_ev` when given. `Ok(None)` when no combination has the target
/// composition.
pub fn decompose(
    phases: &[Phase],
    use_phase: &[bool],
    target: &BTreeMap<Element, f64>,
    open_li_mu_ev: Option<(Element, f64)>,
    formula: &str,
) -> Result<Option<Decomposition>, FilterError> {
    let open = open_li_mu_ev.map(|(e, _)| e);
    let mu = open_li_mu_ev.map(|(_, m)| m).unwrap_or(0.0);
    // constrained elements: every element of the phases and the target except the open one
    let mut elements: Vec<Element> = phases
        .iter()
        .flat_map(|p| p.amounts.keys().copied())
        .chain(target.keys().copied())
        .filter(|e| Some(*e) != open)
        .collect();
    elements.sort();
    elements.dedup();
    let n_li = |p: &Phase| open.map(|e| p.amount(e)).unwrap_or(0.0);
    let candidates: Vec<usize> = (0..phases.len())
        .filter(|&i| use_phase[i])
        // a phase of the open element alone constrains nothing: leave it out
        .filter(|&i| phases[i].amounts.keys().any(|e| Some(*e) != open))
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let mut problem = Problem::new(OptimizationDirection::Minimize);
    let vars: Vec<_> = candidates
        .iter()
        .map(|&i| {
            let p = &phases[i];
            problem.add_var(p.energy_ev - n_li(p) * mu, (0.0, f64::INFINITY))
        })
        .collect();
    for e in &elements {
        let row: Vec<_> = candidates
            .iter()
            .zip(&vars)
            .filter(|(&i, _)| phases[i].amount(*e) != 0.0)
            .map(|(&i, &v)| (v, phases[i].amount(*e)))
            .collect();
        let rhs = target.get(e).copied().unwrap_or(0.0);
        if row.is_empty() {
            if rhs.abs() > PHASE_AMOUNT_TOLERANCE {
                return Ok(None);
            }
            continue;
        }
        problem.add_constraint(row.as_slice(), ComparisonOp::Eq, rhs);
    }
    let solution = match problem.solve() {
        Ok(outcome) => outcome.into_solution().map_err(|e| FilterError::Hull {
            formula: formula.to_string(),
            reason: format!("solve interrupted: {:?}", e.termination_reason()),
        })?,
        Err(microlp::Error::Infeasible) => return Ok(None),
        Err(e) => {
            return Err(FilterError::Hull {
                formula: formula.to_string(),
                reason: e.to_string(),
            })
        }
    };
    let support: Vec<(usize, f64)> = candidates
        .iter()
        .zip(&vars)
        .map(|(&i, &v)| (i, solution.var_value(v)))
        .filter(|(_, x)| *x > PHASE_AMOUNT_TOLERANCE)
        .collect();
    let parts = polish(phases, &support, &elements, target).unwrap_or(support);
    let energy_ev = parts.iter().map(|(i, x)| x * phases[*i].energy_ev).sum();
    let li_amount = parts.iter().map(|(i, x)| x * n_li(&phases[*i])).sum();
    Ok(Some(Decomposition {
        parts,
        energy_ev,
        li_amount,
    }))
}

/// Re-solve the amounts of the selected phases exactly (least squares on the element balance);
/// `None` (keep the simplex values) if the refit is not a clean non-negative solution.
fn polish(
    phases: &[Phase],
    support: &[(usize, f64)],
    elements: &[Element],
    target: &BTreeMap<Element, f64>,
) -> Option<Vec<(usize, f64)>> {
    if support.is_empty() {
        return None;
    }
    let a = DMatrix::from_fn(elements.len(), support.len(), |r, c| {
        phases[support[c].0].amount(elements[r])
    });
    let b = DVector::from_fn(elements.len(), |r, _| {
        target.get(&elements[r]).copied().unwrap_or(0.0)
    });
    let x = a.clone().svd(true, true).solve(&b, 1e-12).ok()?;
    let resid = (&a * &x - &b).amax();
    if resid > 1e-10 || x.iter().any(|v| *v < -1e-10) {
        return None;
    }
    let scale = 1.0 + support.iter().map(|s| s.1.abs()).fold(0.0, f64::max);
    if support
        .iter()
        .zip(x.iter())
        .any(|(s, v)| (s.1 - v).abs() > 1e-5 * scale)
    {
        return None;
    }
    Some(
        support
            .iter()
            .zip(x.iter())
            .map(|(s, v)| (s.0, v.max(0.0)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phases::PhaseOrigin;

    fn ph(f: &str, amounts: &[(&str, f64)], e: f64) -> Phase {
        Phase {
            formula: f.into(),
            amounts: amounts
                .iter()
                .map(|(s, a)| (Element::from_symbol(s).unwrap(), *a))
                .collect(),
            energy_ev: e,
            unc_ev: 0.0,
            origin: PhaseOrigin::Element,
        }
    }

    #[test]
    fn binary_hull_picks_the_stable_pair() {
        // LiCl at −1 eV/fu, Li2Cl at −1.2: Li3Cl2 = Li2Cl + LiCl at −2.2 eV.
        let phases = vec![
            ph("Li", &[("Li", 1.0)], 0.0),
            ph("Cl2", &[("Cl", 2.0)], 0.0),
            ph("LiCl", &[("Li", 1.0), ("Cl", 1.0)], -1.0),
            ph("Li2Cl", &[("Li", 2.0), ("Cl", 1.0)], -1.2),
        ];
        let t: BTreeMap<_, _> = [
            (Element::from_symbol("Li").unwrap(), 3.0),
            (Element::from_symbol("Cl").unwrap(), 2.0),
        ]
        .into();
        let d = decompose(&phases, &[true; 4], &t, None, "Li3Cl2")
            .unwrap()
            .unwrap();
        assert!((d.energy_ev + 2.2).abs() < 1e-12, "{d:?}");
        assert_eq!(d.parts.len(), 2);
        // Li open at μ = −1.1 eV: Φ(LiCl) = −1 + 1.1 = 0.1, Φ(Li2Cl) = −1.2 + 2.2 = 1.0 per Cl,
        // Φ(Cl2) = 0: chlorine gas wins. At μ = −0.5 eV: Φ(LiCl) = −0.5 beats Li2Cl (−0.2).
        let t: BTreeMap<_, _> = [(Element::from_symbol("Cl").unwrap(), 1.0)].into();
        let li = Element::from_symbol("Li").unwrap();
        let d = decompose(&phases, &[true; 4], &t, Some((li, -1.1)), "Cl")
            .unwrap()
            .unwrap();
        assert_eq!(d.parts, vec![(1, 0.5)]);
        let d = decompose(&phases, &[true; 4], &t, Some((li, -0.5)), "Cl")
            .unwrap()
            .unwrap();
        assert_eq!(d.parts, vec![(2, 1.0)]);
        assert!((d.grand_potential_ev(-0.5) + 0.5).abs() < 1e-12);
    }

    #[test]
    fn impossible_compositions_are_infeasible() {
        let phases = vec![ph("LiCl", &[("Li", 1.0), ("Cl", 1.0)], -1.0)];
        let t: BTreeMap<_, _> = [
            (Element::from_symbol("Li").unwrap(), 1.0),
            (Element::from_symbol("Cl").unwrap(), 2.0),
        ]
        .into();
        assert!(decompose(&phases, &[true], &t, None, "LiCl2")
            .unwrap()
            .is_none());
    }
}
