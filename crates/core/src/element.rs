//! Chemical elements and ionic species.

use crate::error::CoreError;
use crate::periodic_table::ELEMENTS;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A chemical element, identified by its atomic number.
///
/// Only the elements of halo's data tables are known (the 54 elements of
/// `crates/data/tables/elements.csv`); any other symbol is an [`CoreError::UnknownElement`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Element(u8);

/// The 118 element symbols of the periodic table, to tell an element halo has no data for
/// from a symbol that is none.
const ALL_SYMBOLS: [&str; 118] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh",
    "Fl", "Mc", "Lv", "Ts", "Og",
];

/// Why `symbol` is not an [`Element`]: an element halo has no data for (H, Pu, a noble gas…),
/// deuterium, or no element symbol at all.
pub fn unknown_element_reason(symbol: &str) -> String {
    if ALL_SYMBOLS.contains(&symbol) {
        format!(
            "element '{symbol}' is not among the {} elements halo has data for (bond-valence \
             parameters, radii, oxidation states, prices: crates/data/tables/elements.csv)",
            ELEMENTS.len()
        )
    } else if symbol == "D" || symbol == "T" {
        format!(
            "'{symbol}' (a hydrogen isotope): hydrogen is not among the elements halo has data for"
        )
    } else {
        format!("unknown element symbol '{symbol}'")
    }
}

impl Element {
    /// Lithium, the mobile ion of halo.
    pub const LI: Element = Element(3);
    /// Sodium.
    pub const NA: Element = Element(11);
    /// Fluorine.
    pub const F: Element = Element(9);
    /// Chlorine.
    pub const CL: Element = Element(17);
    /// Bromine.
    pub const BR: Element = Element(35);
    /// Iodine.
    pub const I: Element = Element(53);

    fn row(self) -> &'static (&'static str, u8, f64, f64) {
        // the table is sorted by Z and constructors only accept listed elements
        let i = ELEMENTS
            .binary_search_by_key(&self.0, |r| r.1)
            .expect("Element holds a listed Z");
        &ELEMENTS[i]
    }

    /// The element with this symbol (case-sensitive, as in `Li`, `Cl`).
    pub fn from_symbol(symbol: &str) -> Result<Self, CoreError> {
        ELEMENTS
            .iter()
            .find(|r| r.0 == symbol)
            .map(|r| Element(r.1))
            .ok_or_else(|| CoreError::UnknownElement(symbol.to_string()))
    }

    /// The element with atomic number `z`.
    pub fn from_z(z: u8) -> Result<Self, CoreError> {
        ELEMENTS
            .binary_search_by_key(&z, |r| r.1)
            .map(|_| Element(z))
            .map_err(|_| CoreError::UnknownElement(format!("Z={z}")))
    }

    /// Atomic number.
    pub fn z(self) -> u8 {
        self.0
    }

    /// Element symbol.
    pub fn symbol(self) -> &'static str {
        self.row().0
    }

    /// Standard atomic mass in g/mol (pymatgen's values).
    pub fn atomic_mass(self) -> f64 {
        self.row().2
    }

    /// Pauling electronegativity (NaN where undefined); pymatgen orders formulas by it.
    pub fn electronegativity(self) -> f64 {
        self.row().3
    }

    /// All elements halo knows, by atomic number.
    pub fn all() -> impl Iterator<Item = Element> {
        ELEMENTS.iter().map(|r| Element(r.1))
    }

    /// True for the halogens F, Cl, Br, I.
    pub fn is_halogen(self) -> bool {
        matches!(self.0, 9 | 17 | 35 | 53)
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Element {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Element::from_symbol(&s).map_err(serde::de::Error::custom)
    }
}

/// An element with an optional formal oxidation state (pymatgen's `Species`).
///
/// Displayed as pymatgen does: `Li+`, `In3+`, `Cl-`, or the bare symbol without a state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Species {
    pub element: Element,
    pub oxidation_state: Option<i8>,
}

impl Species {
    /// A species with a formal oxidation state.
    pub fn new(element: Element, oxidation_state: i8) -> Self {
        Species {
            element,
            oxidation_state: Some(oxidation_state),
        }
    }

    /// An element without an oxidation state.
    pub fn neutral_unknown(element: Element) -> Self {
        Species {
            element,
            oxidation_state: None,
        }
    }

    /// Parse `Li`, `Li+`, `Li1+`, `Li+1`, `In3+`, `Cl-`, `Cl1-`, `O2-`, `Zr4+`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let t = text.trim();
        let bad = |why: &str| CoreError::BadSpecies(text.to_string(), why.to_string());
        let sym_end = t
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_alphabetic() && (i == 0 || c.is_ascii_lowercase())))
            .map(|(i, _)| i)
            .unwrap_or(t.len());
        if sym_end == 0 {
            return Err(bad("no element symbol"));
        }
        let element = Element::from_symbol(&t[..sym_end])?;
        let rest = &t[sym_end..];
        if rest.is_empty() {
            return Ok(Species::neutral_unknown(element));
        }
        let q = parse_charge(rest).map_err(bad)?;
        Ok(Species::new(element, q))
    }

    /// Oxidation state as f64 (0 when unknown).
    pub fn oxi(self) -> f64 {
        self.oxidation_state.unwrap_or(0) as f64
    }
}

/// Parse a charge written after an element symbol: `+`, `-`, `3+`, `1-`, `+4`, `-2`
/// (magnitude at most 8). Shared by [`Species::parse`] and the CIF type-symbol reader.
pub fn parse_charge(text: &str) -> Result<i8, &'static str> {
    let (sign, digits) = if let Some(d) = text.strip_suffix('+') {
        (1i8, d)
    } else if let Some(d) = text.strip_suffix('-') {
        (-1, d)
    } else if let Some(d) = text.strip_prefix('+') {
        (1, d)
    } else if let Some(d) = text.strip_prefix('-') {
        (-1, d)
    } else {
        return Err("charge must end or start with + or -");
    };
    if digits.is_empty() {
        return Ok(sign);
    }
    let m: u8 = digits
        .parse()
        .map_err(|_| "charge magnitude is not a small integer")?;
    if m > 8 {
        return Err("|oxidation state| > 8");
    }
    Ok(sign * m as i8)
}

impl fmt::Display for Species {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.oxidation_state {
            None => write!(f, "{}", self.element),
            Some(0) => write!(f, "{}0+", self.element),
            Some(q) => {
                let sign = if q > 0 { '+' } else { '-' };
                let m = q.unsigned_abs();
                if m == 1 {
                    write!(f, "{}{}", self.element, sign)
                } else {
                    write!(f, "{}{}{}", self.element, m, sign)
                }
            }
        }
    }
}

impl Serialize for Species {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Species {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Species::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_species() {
        for (t, show, q) in [
            ("Li+", "Li+", Some(1)),
            ("Li1+", "Li+", Some(1)),
            ("Cl-", "Cl-", Some(-1)),
            ("Cl1-", "Cl-", Some(-1)),
            ("In3+", "In3+", Some(3)),
            ("Zr+4", "Zr4+", Some(4)),
            ("Sc", "Sc", None),
        ] {
            let s = Species::parse(t).unwrap();
            assert_eq!(s.to_string(), show);
            assert_eq!(s.oxidation_state, q);
        }
        assert!(matches!(
            Species::parse("Xx3+"),
            Err(CoreError::UnknownElement(_))
        ));
        assert!(Species::parse("Li3*").is_err());
        assert!(Species::parse("3+").is_err());
    }

    #[test]
    fn element_lookup() {
        let cl = Element::from_symbol("Cl").unwrap();
        assert_eq!(cl.z(), 17);
        assert!((cl.atomic_mass() - 35.453).abs() < 1e-3);
        assert!(cl.is_halogen());
        assert_eq!(Element::from_z(49).unwrap().symbol(), "In");
        assert!(Element::from_symbol("cl").is_err());
    }
}

#[cfg(test)]
mod constant_tests {
    use super::Element;

    #[test]
    fn element_constants_are_the_listed_elements() {
        for (c, sym) in [
            (Element::LI, "Li"),
            (Element::NA, "Na"),
            (Element::F, "F"),
            (Element::CL, "Cl"),
            (Element::BR, "Br"),
            (Element::I, "I"),
        ] {
            assert_eq!(Element::from_symbol(sym).unwrap(), c);
            assert_eq!(c.symbol(), sym);
        }
    }
}
