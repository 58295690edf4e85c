//! Chemical compositions.

use crate::element::{Element, Species};
use crate::error::CoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Charge imbalance tolerated in a structure or formula, e per formula unit (formal oxidation
/// states): within it the Li content is adjusted to neutrality ([`Composition::neutralised_by_li`]),
/// beyond it the input is reported as not charge neutral (docs/physics.md §1.3).
pub const CHARGE_NEUTRALITY_TOLERANCE_E: f64 = 0.05;

/// Amounts below this are treated as zero; amounts within it of an integer are integers
/// (pymatgen's `Composition.amount_tolerance`).
pub const AMOUNT_TOLERANCE: f64 = 1e-8;

/// A composition: species (with or without oxidation states) → amount (pymatgen's `Composition`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    amounts: BTreeMap<Species, f64>,
}

/// An amount in a formula, the one formatter of the project: rounded to `decimals` places
/// without trailing zeros (so an amount within half a unit of the last place of an integer is
/// written as that integer), and 1 written as nothing when `ignore_ones` (pymatgen's
/// `formula_double_format` with 8 decimals). `format_amount(0.33333, 4, true)` is `0.3333`.
pub fn format_amount(x: f64, decimals: usize, ignore_ones: bool) -> String {
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s.as_str()
    };
    let s = if s == "-0" { "0" } else { s };
    if ignore_ones && s == "1" {
        String::new()
    } else {
        s.to_string()
    }
}

fn fmt_amount(x: f64, ignore_ones: bool) -> String {
    format_amount(x, 8, ignore_ones)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Composition {
    /// Add `amount` of `species`.
    pub fn add(&mut self, species: Species, amount: f64) {
        *self.amounts.entry(species).or_insert(0.0) += amount;
    }

    /// Species and amounts.
    pub fn iter(&self) -> impl Iterator<Item = (&Species, &f64)> {
        self.amounts.iter()
    }

    /// Amount of one species.
    pub fn get(&self, s: Species) -> f64 {
        self.amounts.get(&s).copied().unwrap_or(0.0)
    }

    /// Amount of an element summed over oxidation states.
    pub fn amount_of(&self, el: Element) -> f64 {
        self.amounts
            .iter()
            .filter(|(s, _)| s.element == el)
            .map(|(_, a)| a)
            .sum()
    }

    /// Collapse oxidation states: element → amount, in electronegativity order.
    pub fn element_amounts(&self) -> Vec<(Element, f64)> {
        let mut m: BTreeMap<Element, f64> = BTreeMap::new();
        for (s, a) in &self.amounts {
            *m.entry(s.element).or_insert(0.0) += a;
        }
        let mut v: Vec<_> = m
            .into_iter()
            .filter(|(_, a)| a.abs() > AMOUNT_TOLERANCE)
            .collect();
        v.sort_by(|a, b| {
            a.0.electronegativity()
                .partial_cmp(&b.0.electronegativity())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        v
    }

    /// The elements present.
    pub fn elements(&self) -> Vec<Element> {
        self.element_amounts().into_iter().map(|(e, _)| e).collect()
    }

    /// Total number of atoms Σ amount.
    pub fn num_atoms(&self) -> f64 {
        self.amounts.values().sum()
    }

    /// Molar mass in g/mol.
    pub fn weight_g_per_mol(&self) -> f64 {
        self.amounts
            .iter()
            .map(|(s, a)| s.element.atomic_mass() * a)
            .sum()
    }

    /// Mass fraction of each element.
    pub fn mass_fractions(&self) -> Vec<(Element, f64)> {
        let w = self.weight_g_per_mol();
        self.element_amounts()
            .into_iter()
            .map(|(e, a)| (e, e.atomic_mass() * a / w))
            .collect()
    }

    /// Net charge Σ q·amount (e), or an error when a species has no oxidation state.
    pub fn charge(&self) -> Result<f64, CoreError> {
        self.amounts
            .iter()
            .map(|(s, a)| {
                s.oxidation_state
                    .map(|q| q as f64 * a)
                    .ok_or_else(|| CoreError::MissingOxidationState(s.to_string()))
            })
            .sum()
    }

    /// pymatgen's `Composition.formula`: `Li2 In1 Cl4` (electronegativity order, ones written).
    pub fn formula(&self) -> String {
        self.element_amounts()
            .iter()
            .map(|(e, a)| format!("{}{}", e, fmt_amount(*a, false)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Scaled composition (all amounts × `factor`).
    pub fn scaled(&self, factor: f64) -> Composition {
        Composition {
            amounts: self.amounts.iter().map(|(s, a)| (*s, a * factor)).collect(),
        }
    }

    /// pymatgen's reduced formula and factor: integer amounts divided by their gcd; otherwise the
    /// formula unchanged with factor 1.
    pub fn reduced_formula_and_factor(&self) -> (String, f64) {
        let els = self.element_amounts();
        let all_int = els
            .iter()
            .all(|(_, a)| (a - a.round()).abs() < AMOUNT_TOLERANCE);
        if !all_int || els.is_empty() {
            let f = els
                .iter()
                .map(|(e, a)| format!("{}{}", e, fmt_amount(*a, true)))
                .collect::<String>();
            return (f, 1.0);
        }
        let g = els
            .iter()
            .map(|(_, a)| a.round() as u64)
            .fold(0, gcd)
            .max(1);
        let f = els
            .iter()
            .map(|(e, a)| format!("{}{}", e, fmt_amount(a.round() / g as f64, true)))
            .collect::<String>();
        (f, g as f64)
    }

    /// pymatgen's `reduced_formula` (without its special cases for elemental gases).
    pub fn reduced_formula(&self) -> String {
        self.reduced_formula_and_factor().0
    }

    /// The composition normalised so that the amounts of `el` sum to `amount` (e.g. per 4 Cl).
    pub fn normalized_to(&self, el: Element, amount: f64) -> Result<Composition, CoreError> {
        let n = self.amount_of(el);
        if n <= AMOUNT_TOLERANCE {
            return Err(CoreError::InvalidParameter {
                name: "normalisation element",
                reason: format!("{el} is not in {}", self.formula()),
            });
        }
        Ok(self.scaled(amount / n))
    }

    /// This composition with its Li content changed by −q so that a net charge of q e per
    /// formula unit (formal oxidation states) becomes exactly zero, when
    /// |q| ≤ [`CHARGE_NEUTRALITY_TOLERANCE_E`] and there is more Li than q; returns the new
    /// composition and the Li change (0 for |q| ≤ 1e-9). Decimal formulas such as
    /// `Li2In0.333Sc0.333Cl4` (0.002 e off) are made neutral this way (docs/physics.md §1.3).
    pub fn neutralised_by_li(&self, net_charge_e: f64) -> Result<(Composition, f64), CoreError> {
        let q = net_charge_e;
        if !q.is_finite() {
            return Err(CoreError::InvalidParameter {
                name: "net charge",
                reason: format!("{q} is not finite"),
            });
        }
        if q.abs() <= 1e-9 {
            return Ok((self.clone(), 0.0));
        }
        if q.abs() > CHARGE_NEUTRALITY_TOLERANCE_E {
            return Err(CoreError::InvalidParameter {
                name: "net charge",
                reason: format!(
                    "{q:+.4} e per formula unit is outside the ±{CHARGE_NEUTRALITY_TOLERANCE_E} e \
                     tolerance: not charge neutral"
                ),
            });
        }
        let li = Element::LI;
        if self.amount_of(li) <= q {
            return Err(CoreError::InvalidParameter {
                name: "net charge",
                reason: format!("{q:+.4} e per formula unit cannot be compensated by Li"),
            });
        }
        let mut c = self.clone();
        c.add(Species::new(li, 1), -q);
        Ok((c, -q))
    }

    /// Parse a formula such as `Li2In0.333Sc0.333Cl4`, `Li3InCl6`, `Li2(Sc2/3)Cl4` or
    /// `Li2Sc2/3Cl4` (fractions `p/q` allowed as amounts; parentheses with a multiplier).
    pub fn parse(text: &str) -> Result<Composition, CoreError> {
        let bad = |why: String| CoreError::BadComposition(text.to_string(), why);
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        if chars.is_empty() {
            return Err(bad("empty formula".into()));
        }
        let mut pos = 0usize;
        let comp = parse_group(&chars, &mut pos, 0).map_err(bad)?;
        if pos != chars.len() {
            return Err(bad(format!(
                "unexpected '{}' at position {}",
                chars[pos], pos
            )));
        }
        if comp.amounts.is_empty() {
            return Err(bad("no elements".into()));
        }
        Ok(comp)
    }
}

fn parse_number(chars: &[char], pos: &mut usize) -> Result<Option<f64>, String> {
    let start = *pos;
    while *pos < chars.len() && (chars[*pos].is_ascii_digit() || chars[*pos] == '.') {
        *pos += 1;
    }
    if start == *pos {
        return Ok(None);
    }
    let s: String = chars[start..*pos].iter().collect();
    let mut v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if *pos < chars.len() && chars[*pos] == '/' {
        *pos += 1;
        let ds = *pos;
        while *pos < chars.len() && (chars[*pos].is_ascii_digit() || chars[*pos] == '.') {
            *pos += 1;
        }
        let d: String = chars[ds..*pos].iter().collect();
        let den: f64 = d
            .parse()
            .map_err(|_| format!("'{s}/{d}' is not a fraction"))?;
        if den == 0.0 {
            return Err(format!("division by zero in '{s}/{d}'"));
        }
        v /= den;
    }
    if !v.is_finite() || v < 0.0 {
        return Err(format!("amount {v} is not a finite non-negative number"));
    }
    Ok(Some(v))
}

fn parse_group(chars: &[char], pos: &mut usize, depth: usize) -> Result<Composition, String> {
    let mut comp = Composition::default();
    while *pos < chars.len() {
        let c = chars[*pos];
        if c == '(' {
            *pos += 1;
            let inner = parse_group(chars, pos, depth + 1)?;
            if *pos >= chars.len() || chars[*pos] != ')' {
                return Err("unbalanced '('".into());
            }
            *pos += 1;
            let m = parse_number(chars, pos)?.unwrap_or(1.0);
            for (s, a) in inner.amounts {
                comp.add(s, a * m);
            }
        } else if c == ')' {
            if depth == 0 {
                return Err("unbalanced ')'".into());
            }
            return Ok(comp);
        } else if c.is_ascii_uppercase() {
            let start = *pos;
            *pos += 1;
            while *pos < chars.len() && chars[*pos].is_ascii_lowercase() {
                *pos += 1;
            }
            let sym: String = chars[start..*pos].iter().collect();
            let el = Element::from_symbol(&sym).map_err(|e| e.to_string())?;
            let a = parse_number(chars, pos)?.unwrap_or(1.0);
            comp.add(Species::neutral_unknown(el), a);
        } else {
            return Err(format!("unexpected '{c}' at position {}", *pos));
        }
    }
    if depth > 0 {
        return Err("unbalanced '('".into());
    }
    Ok(comp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_like_pymatgen() {
        let c = Composition::parse("Li3InCl6").unwrap();
        assert_eq!(c.formula(), "Li3 In1 Cl6");
        assert_eq!(c.reduced_formula(), "Li3InCl6");
        let c = Composition::parse("Li6In2Cl12").unwrap();
        assert_eq!(
            c.reduced_formula_and_factor(),
            ("Li3InCl6".to_string(), 2.0)
        );
        let c = Composition::parse("Li16.464Sc2.624In2.576Cl32").unwrap();
        assert_eq!(c.reduced_formula(), "Li16.464Sc2.624In2.576Cl32");
        let c = Composition::parse("Li2Sc2/3Cl4").unwrap();
        assert!((c.amount_of(Element::from_symbol("Sc").unwrap()) - 2.0 / 3.0).abs() < 1e-12);
        let c = Composition::parse("Li2(In0.5Sc0.5)2/3Cl4").unwrap();
        assert!((c.amount_of(Element::from_symbol("In").unwrap()) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn malformed_formulas() {
        for t in [
            "", "li2", "Li2Xx", "Li(Cl", "LiCl)", "Li2/0Cl", "Li-1Cl", "Li..2",
        ] {
            assert!(Composition::parse(t).is_err(), "{t} parsed");
        }
    }

    #[test]
    fn mass_fractions_sum_to_one() {
        let c = Composition::parse("Li2In0.333Sc0.333Cl4").unwrap();
        let s: f64 = c.mass_fractions().iter().map(|x| x.1).sum();
        assert!((s - 1.0).abs() < 1e-12);
    }
}

#[cfg(test)]
mod format_tests {
    use super::format_amount;

    #[test]
    fn amounts_are_rounded_trimmed_and_ones_dropped() {
        assert_eq!(format_amount(0.333333, 4, true), "0.3333");
        assert_eq!(format_amount(2.0, 4, true), "2");
        assert_eq!(format_amount(1.00001, 4, true), "");
        assert_eq!(format_amount(1.00001, 4, false), "1");
        assert_eq!(format_amount(1.5, 8, true), "1.5");
        assert_eq!(format_amount(-0.00001, 4, false), "0");
        assert_eq!(format_amount(0.6750000001, 8, false), "0.675");
    }
}
