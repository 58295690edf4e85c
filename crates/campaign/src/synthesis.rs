//! The hand-off to synthesis: precursors (binary halides) and their masses for a batch, handling
//! notes, precursor melting points, and the paper's route as the default template
//! (Zhou et al., Nature Energy 7, 83 (2022): stoichiometric LiCl/InCl3/ScCl3 pelletised in an
//! evacuated quartz ampoule, 5 °C/min to 650 °C, 48 h, cooled at 10 °C/h).
//!
//! Precursors: for every cation M in formal oxidation state q, the binary halide MX_q of the
//! composition's halide X. With n_M cations per formula unit and molar masses M(MX_q) and M_f
//! (target), a batch of mass m needs m·n_M·M(MX_q)/M_f of each precursor; the masses add up to
//! m exactly when the target is charge balanced (Σ q n_M = n_X).
//!
//! A mixed-halide target (Li2Sc2/3Br2Cl2) has more than one such set. halo takes the one a
//! chemist weighs most simply: the non-Li cations, most charged first, each take the halide of
//! which most is left (the lighter halide on a tie), split over two halides only when none has
//! enough left; Li takes the rest as LiX (LiCl + LiBr). For Li2Sc2/3Br2Cl2 that is 2/3 ScCl3 +
//! 2 LiBr. The masses add up to the batch as for one halide; the notes name the choice.

use halo_core::{Composition, Element, Species};
use serde::{Deserialize, Serialize};

/// The default synthesis template of the paper.
pub const PAPER_ROUTE: &str =
    "Mix stoichiometric precursors in an Ar glovebox, pelletise, seal in an \
evacuated quartz ampoule; heat at 5 °C/min to 650 °C, hold 48 h, cool at 10 °C/h \
(Zhou et al., Nature Energy 7, 83 (2022)).";

/// Dwell temperature of the template, °C.
pub const ROUTE_DWELL_C: f64 = 650.0;

/// One precursor line of a hand-off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Precursor {
    pub formula: String,
    /// Moles of precursor per formula unit of target.
    pub moles_per_formula_unit: f64,
    pub molar_mass_g_per_mol: f64,
    pub mass_g: f64,
    pub melting_point_k: Option<f64>,
    pub boiling_point_k: Option<f64>,
    /// Source of the melting-point row.
    pub melting_point_source: Option<String>,
}

/// A synthesis hand-off for one candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandOff {
    pub target_formula: String,
    pub batch_mass_g: f64,
    pub precursors: Vec<Precursor>,
    /// Σ precursor masses − batch mass (g): zero for a charge-balanced target.
    pub mass_balance_error_g: f64,
    pub route: String,
    pub notes: Vec<String>,
}

/// Why a hand-off could not be written.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HandOffError {
    #[error("{0}: needs a halide anion (F, Cl, Br or I)")]
    Anion(String),
    #[error("{0}: its halides do not balance its cations' charge (a mixed-halide target's precursors need it)")]
    Unbalanced(String),
    #[error("{0}: cation {1} has no oxidation state")]
    NoOxidationState(String, String),
    #[error("batch mass {0} g is not positive")]
    Batch(f64),
}

fn precursor_formula(cation: Element, q: i8, anion: Element) -> String {
    if q == 1 {
        format!("{cation}{anion}")
    } else {
        format!("{cation}{anion}{q}")
    }
}

/// Build the hand-off for a composition whose species carry oxidation states.
pub fn hand_off(target: &Composition, batch_mass_g: f64) -> Result<HandOff, HandOffError> {
    if !(batch_mass_g.is_finite() && batch_mass_g > 0.0) {
        return Err(HandOffError::Batch(batch_mass_g));
    }
    let name = target.reduced_formula();
    let anions: Vec<Element> = target
        .elements()
        .into_iter()
        .filter(|e| e.is_halogen())
        .collect();
    if anions.is_empty() {
        return Err(HandOffError::Anion(name));
    }
    let m_target = target.weight_g_per_mol();
    let mut cations: Vec<(Species, f64)> = target
        .iter()
        .filter(|(s, a)| !s.element.is_halogen() && **a > 1e-9)
        .map(|(s, a)| (*s, *a))
        .collect();
    cations.sort_by(|a, b| {
        a.0.element
            .electronegativity()
            .total_cmp(&b.0.element.electronegativity())
            .then(a.0.cmp(&b.0))
    });
    let mut precursors = Vec::new();
    let mut notes = vec![
        "Anhydrous halides are hygroscopic and the product is moisture sensitive: weigh, mix and \
         pelletise under Ar (H2O, O2 < 1 ppm); dry precursors before use."
            .to_string(),
    ];
    let mut charged = Vec::new();
    for (sp, n) in cations {
        let q = sp
            .oxidation_state
            .filter(|q| *q > 0)
            .ok_or_else(|| HandOffError::NoOxidationState(name.clone(), sp.to_string()))?;
        charged.push((sp, q, n));
    }
    let lines = match anions[..] {
        [anion] => charged
            .iter()
            .map(|&(sp, q, n)| (sp.element, q, anion, n))
            .collect(),
        _ => {
            let amounts: Vec<(Element, f64)> =
                anions.iter().map(|&x| (x, target.amount_of(x))).collect();
            let lines = allocate_halides(&charged, &amounts)
                .ok_or(HandOffError::Unbalanced(name.clone()))?;
            notes.push(format!(
                "mixed halide: one of several precursor sets giving this composition (the \
                 non-Li cations take the halide of which most is left, Li the rest): {}",
                lines
                    .iter()
                    .map(|(el, q, x, _)| precursor_formula(*el, *q, *x))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ));
            lines
        }
    };
    for (element, q, anion, n) in lines {
        let formula = precursor_formula(element, q, anion);
        let molar = element.atomic_mass() + q as f64 * anion.atomic_mass();
        let mass = batch_mass_g * n * molar / m_target;
        let row = halo_data::melting::find(&formula);
        let (mp, bp) = (
            row.and_then(|r| r.melting_point_k),
            row.and_then(|r| r.boiling_point_k),
        );
        let dwell_k = ROUTE_DWELL_C + 273.15;
        if let Some(m) = mp.filter(|m| *m < 298.15) {
            notes.push(format!(
                "{formula} is a liquid at room temperature (melts at {:.0} °C): dispense it by \
                 mass with a syringe under Ar rather than mixing and pelletising it as a powder",
                m - 273.15
            ));
        }
        match (mp, bp) {
            (_, Some(b)) if b < dwell_k => notes.push(format!(
                "{formula} boils at {:.0} °C, below the {ROUTE_DWELL_C:.0} °C dwell: the sealed \
                 ampoule is essential, consider a slower ramp or a lower-temperature route",
                b - 273.15
            )),
            (Some(m), _) if m < dwell_k => notes.push(format!(
                "{formula} melts at {:.0} °C, below the dwell: expect a melt-assisted reaction",
                m - 273.15
            )),
            (None, None) => notes.push(format!(
                "{formula}: no melting point tabulated (may sublime or decompose); check its \
                 volatility before heating"
            )),
            _ => {}
        }
        precursors.push(Precursor {
            formula,
            moles_per_formula_unit: n,
            molar_mass_g_per_mol: molar,
            mass_g: mass,
            melting_point_k: mp,
            boiling_point_k: bp,
            melting_point_source: row.map(|r| r.source.clone()),
        });
    }
    let total: f64 = precursors.iter().map(|p| p.mass_g).sum();
    Ok(HandOff {
        target_formula: name,
        batch_mass_g,
        precursors,
        mass_balance_error_g: total - batch_mass_g,
        route: PAPER_ROUTE.to_string(),
        notes,
    })
}

/// The precursor lines (cation, state, halide, moles per formula unit) of a mixed-halide
/// target: the non-Li cations, most charged first (then by element, for a fixed order), each
/// take from the halide with the most left (the lighter on a tie), splitting over halides when
/// one has too little; Li takes what is left. `None` when the halides do not balance the
/// cations' charge (to 1e-6). The lines keep the cations' order of `charged`.
fn allocate_halides(
    charged: &[(Species, i8, f64)],
    anions: &[(Element, f64)],
) -> Option<Vec<(Element, i8, Element, f64)>> {
    const EPS: f64 = 1e-6;
    let mut left: Vec<(Element, f64)> = anions.to_vec();
    let mut order: Vec<usize> = (0..charged.len()).collect();
    // Li last; the others most charged first
    order.sort_by(|&a, &b| {
        let (sa, qa, _) = charged[a];
        let (sb, qb, _) = charged[b];
        (sa.element == Element::LI)
            .cmp(&(sb.element == Element::LI))
            .then(qb.cmp(&qa))
            .then(sa.element.z().cmp(&sb.element.z()))
    });
    let mut lines: Vec<(usize, Element, i8, Element, f64)> = Vec::new();
    for i in order {
        let (sp, q, n) = charged[i];
        let mut need = f64::from(q) * n;
        while need > EPS {
            let k = (0..left.len())
                .filter(|&k| left[k].1 > EPS)
                .max_by(|&a, &b| {
                    left[a]
                        .1
                        .total_cmp(&left[b].1)
                        .then(left[b].0.z().cmp(&left[a].0.z()))
                })?;
            let take = need.min(left[k].1);
            left[k].1 -= take;
            need -= take;
            lines.push((i, sp.element, q, left[k].0, take / f64::from(q)));
        }
    }
    if left.iter().any(|(_, a)| a.abs() > EPS) {
        return None;
    }
    lines.sort_by_key(|l| l.0);
    Some(
        lines
            .into_iter()
            .map(|(_, e, q, x, n)| (e, q, x, n))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(parts: &[(&str, i8, f64)]) -> Composition {
        let mut c = Composition::default();
        for &(s, q, a) in parts {
            c.add(Species::new(Element::from_symbol(s).unwrap(), q), a);
        }
        c
    }

    #[test]
    fn paper_composition_masses() {
        let c = comp(&[
            ("Li", 1, 2.0),
            ("In", 3, 1.0 / 3.0),
            ("Sc", 3, 1.0 / 3.0),
            ("Cl", -1, 4.0),
        ]);
        let h = hand_off(&c, 1.0).unwrap();
        assert_eq!(
            h.precursors
                .iter()
                .map(|p| p.formula.as_str())
                .collect::<Vec<_>>(),
            ["LiCl", "ScCl3", "InCl3"]
        );
        assert!(h.mass_balance_error_g.abs() < 1e-12);
        // LiCl: 2 × 42.394 / M_f with M_f = 2·6.941 + 114.818/3 + 44.956/3 + 4·35.453
        let mf = 2.0 * 6.941 + 114.818 / 3.0 + 44.955912 / 3.0 + 4.0 * 35.453;
        let want = 2.0 * (6.941 + 35.453) / mf;
        assert!(
            (h.precursors[0].mass_g - want).abs() < 1e-3,
            "{}",
            h.precursors[0].mass_g
        );
        assert!(h.precursors[0].melting_point_k.is_some());
    }

    #[test]
    fn volatile_precursor_is_noted_and_bad_input_rejected() {
        let c = comp(&[("Li", 1, 1.0), ("Al", 3, 1.0), ("Cl", -1, 4.0)]);
        let h = hand_off(&c, 1.0).unwrap();
        assert!(h.notes.iter().any(|n| n.contains("AlCl3")), "{:?}", h.notes);
        let sn = comp(&[("Li", 1, 2.0), ("Sn", 4, 1.0), ("Cl", -1, 6.0)]);
        let h = hand_off(&sn, 1.0).unwrap();
        assert!(
            h.notes
                .iter()
                .any(|n| n.contains("SnCl4 is a liquid at room temperature")),
            "{:?}",
            h.notes
        );
        let no_anion = comp(&[("Li", 1, 2.0)]);
        assert!(matches!(
            hand_off(&no_anion, 1.0),
            Err(HandOffError::Anion(_))
        ));
        let unbalanced = comp(&[("Li", 1, 3.0), ("Cl", -1, 1.0), ("Br", -1, 1.0)]);
        assert!(matches!(
            hand_off(&unbalanced, 1.0),
            Err(HandOffError::Unbalanced(_))
        ));
        assert!(hand_off(&c, 0.0).is_err());
    }

    /// A mixed-halide target gets its M halides from the halide most left and LiX for the
    /// rest, checked by the set itself and by the element and mass balances (which any valid
    /// set keeps).
    #[test]
    fn mixed_halides_are_handed_off_with_a_balanced_set() {
        let c = comp(&[
            ("Li", 1, 2.0),
            ("Sc", 3, 2.0 / 3.0),
            ("Br", -1, 2.0),
            ("Cl", -1, 2.0),
        ]);
        let h = hand_off(&c, 2.5).unwrap();
        let set: Vec<(&str, f64)> = h
            .precursors
            .iter()
            .map(|p| (p.formula.as_str(), p.moles_per_formula_unit))
            .collect();
        // tie between Br and Cl (2 each): the lighter, Cl, for Sc; Li takes what is left
        assert_eq!(set.len(), 2, "{set:?}");
        assert_eq!(set[0].0, "LiBr");
        assert!((set[0].1 - 2.0).abs() < 1e-12);
        assert_eq!(set[1].0, "ScCl3");
        assert!((set[1].1 - 2.0 / 3.0).abs() < 1e-12);
        assert!(h.mass_balance_error_g.abs() < 1e-12, "{h:?}");
        assert!(
            h.notes.iter().any(|n| n.contains("mixed halide")),
            "{:?}",
            h.notes
        );
        // more Br than Cl: Y takes Br, split when Br runs out; every element balances
        let c = comp(&[
            ("Li", 1, 3.0),
            ("Y", 3, 1.0),
            ("Zr", 4, 0.5),
            ("Br", -1, 5.0),
            ("Cl", -1, 3.0),
        ]);
        let h = hand_off(&c, 1.0).unwrap();
        let mut amount = std::collections::BTreeMap::new();
        for p in &h.precursors {
            let pc = Composition::parse(&p.formula).unwrap();
            for (sp, a) in pc.iter() {
                *amount.entry(sp.element.symbol()).or_insert(0.0) += a * p.moles_per_formula_unit;
            }
        }
        for (el, want) in [
            ("Li", 3.0),
            ("Y", 1.0),
            ("Zr", 0.5),
            ("Br", 5.0),
            ("Cl", 3.0),
        ] {
            assert!((amount[el] - want).abs() < 1e-9, "{el}: {amount:?} {h:?}");
        }
        assert!(h.mass_balance_error_g.abs() < 1e-12, "{h:?}");
        // Zr (4+) first takes 2 of the 5 Br; Y then finds 3 Br and 3 Cl, a tie → YCl3; Li the
        // 3 Br left → LiBr
        let names: Vec<&str> = h.precursors.iter().map(|p| p.formula.as_str()).collect();
        assert_eq!(names, ["LiBr", "YCl3", "ZrBr4"]);
    }
}
