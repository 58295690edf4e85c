//! Oxidation states and charge balance of a structure read from a file.

use halo_core::{Element, Species, Structure};
use serde::Serialize;

/// A structure is charge neutral when |net charge per formula unit| ≤ this, in e
/// (docs/physics.md §1.3).
pub use halo_core::composition::CHARGE_NEUTRALITY_TOLERANCE_E;

/// Where an oxidation state came from. halo never guesses oxidation states by bond valence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OxidationSource {
    /// CIF `_atom_type_oxidation_number`.
    AtomTypeOxidationNumber,
    /// A charge written in the CIF type symbol (`Li1+`, `Cl-`) or a JSON/POSCAR species string.
    TypeSymbol,
    /// halo's formal table (`halo_data::elements::formal_oxidation_state`).
    FormalTable,
    /// None known: the element has no formal state in the table.
    Unknown,
}

/// The oxidation state used for one element (and where it came from).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OxidationAssignment {
    pub element: String,
    pub oxidation_state: Option<i8>,
    pub source: OxidationSource,
}

/// Net charge of a structure per cell and per formula unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChargeBalance {
    /// Σ_sites Σ occ·q over the cell, e.
    pub net_charge_cell_e: f64,
    /// Formula units per cell Z: for an ordered structure pymatgen's reduced-formula factor; for a
    /// disordered one the greatest common divisor of the numbers of sites of each distinct site
    /// type (same species and occupancies) of the whole cell: 8 for the Fd-3m spinels, 2 for C2/m
    /// Li3MCl6. It is a property of the cell's sites alone, so the same structure written with
    /// its symmetry operations or in P1 gets the same Z and the same neutrality verdict.
    pub formula_units_z: f64,
    pub net_charge_per_formula_unit_e: f64,
    /// The tolerance applied ([`CHARGE_NEUTRALITY_TOLERANCE_E`]).
    pub tolerance_e: f64,
    pub neutral: bool,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Formula units per cell (see [`ChargeBalance::formula_units_z`]).
pub fn formula_units(structure: &Structure) -> f64 {
    if structure.is_ordered() {
        return structure.composition().reduced_formula_and_factor().1;
    }
    let g = site_type_counts(structure).into_iter().fold(0, gcd);
    if g == 0 {
        1.0
    } else {
        g as f64
    }
}

/// Number of sites of each distinct type (same species with occupancies equal within
/// [`halo_core::structure::OCCUPANCY_TOLERANCE`], species order irrelevant).
fn site_type_counts(structure: &Structure) -> Vec<usize> {
    let mut types: Vec<(Vec<(Species, f64)>, usize)> = Vec::new();
    for site in &structure.sites {
        let mut sp = site.species.clone();
        sp.sort_by_key(|a| a.0);
        let tol = halo_core::structure::OCCUPANCY_TOLERANCE;
        match types.iter_mut().find(|(t, _)| {
            t.len() == sp.len()
                && t.iter()
                    .zip(&sp)
                    .all(|(a, b)| a.0 == b.0 && (a.1 - b.1).abs() <= tol)
        }) {
            Some((_, n)) => *n += 1,
            None => types.push((sp, 1)),
        }
    }
    types.into_iter().map(|(_, n)| n).collect()
}

/// Charge balance, or `None` when some species has no oxidation state.
pub fn charge_balance(structure: &Structure) -> Option<ChargeBalance> {
    let q = structure.charge().ok()?;
    let z = formula_units(structure);
    let per = q / z;
    Some(ChargeBalance {
        net_charge_cell_e: q,
        formula_units_z: z,
        net_charge_per_formula_unit_e: per,
        tolerance_e: CHARGE_NEUTRALITY_TOLERANCE_E,
        neutral: per.abs() <= CHARGE_NEUTRALITY_TOLERANCE_E,
    })
}

/// The warning text for a structure that is not charge neutral.
pub fn charge_warning(c: &ChargeBalance) -> Option<String> {
    (!c.neutral).then(|| {
        format!(
            "structure is not charge neutral: net charge {:+.4} e per formula unit (Z = {}, \
             {:+.4} e per cell; tolerance {} e)",
            c.net_charge_per_formula_unit_e, c.formula_units_z, c.net_charge_cell_e, c.tolerance_e
        )
    })
}

/// [`charge_warning`] with what a non-neutral input means for a landscape or a conductivity;
/// `None` for a neutral balance.
pub fn charge_note(c: &ChargeBalance) -> Option<String> {
    charge_warning(c).map(|w| {
        // the likely causes differ with the sign
        let cause = if c.net_charge_cell_e < 0.0 {
            "a refinement that under-counts Li, as X-ray refinements of Li compounds often do, \
             also gives too few carriers"
        } else {
            "too many cations, or a cation whose formal oxidation state is not the file's (a \
             transition metal taken at its formal state: write the state in the type symbol, e.g. \
             Ti3+, or as _atom_type_oxidation_number)"
        };
        format!(
            "{w}: the landscape and the kMC use the charges and the Li count as given, so they \
             are those of a charged cell ({cause})"
        )
    })
}

/// [`charge_note`] for a structure as the calculations see it; `None` for a neutral structure or one with a species without an oxidation state.
/// `halo kmc`, `halo bvse` and the Python package print or raise this one text.
pub fn structure_charge_note(structure: &Structure) -> Option<String> {
    charge_balance(structure).as_ref().and_then(charge_note)
}

/// Give every species without an oxidation state the formal one from halo's table
/// (docs/physics.md §1.2); species that already carry one keep it. Returns the assignments per
/// element.
pub fn assign_formal_oxidation_states(structure: &mut Structure) -> Vec<OxidationAssignment> {
    let mut out: Vec<OxidationAssignment> = Vec::new();
    for site in &mut structure.sites {
        for (sp, _) in &mut site.species {
            let (q, source) = match sp.oxidation_state {
                Some(q) => (Some(q), OxidationSource::TypeSymbol),
                None => match halo_data::elements::formal_oxidation_state(sp.element) {
                    Some(q) => (Some(q), OxidationSource::FormalTable),
                    None => (None, OxidationSource::Unknown),
                },
            };
            *sp = Species {
                element: sp.element,
                oxidation_state: q,
            };
            record(&mut out, sp.element, q, source);
        }
    }
    out
}

pub(crate) fn record(
    out: &mut Vec<OxidationAssignment>,
    el: Element,
    q: Option<i8>,
    source: OxidationSource,
) {
    if !out
        .iter()
        .any(|a| a.element == el.symbol() && a.oxidation_state == q)
    {
        out.push(OxidationAssignment {
            element: el.symbol().to_string(),
            oxidation_state: q,
            source,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The note's likely cause follows the sign of the net charge: too few cations (Li
    /// under-counted) for a negative cell, a cation's state or count for a positive one (Ti
    /// taken at its formal +4 in Li3TiCl6).
    #[test]
    fn the_note_names_the_cause_of_its_sign() {
        let c = |q: f64| ChargeBalance {
            net_charge_cell_e: q * 2.0,
            formula_units_z: 2.0,
            net_charge_per_formula_unit_e: q,
            tolerance_e: 0.05,
            neutral: false,
        };
        let neg = charge_note(&c(-0.82)).unwrap();
        assert!(
            neg.contains("under-counts Li") && !neg.contains("Ti3+"),
            "{neg}"
        );
        let pos = charge_note(&c(1.0)).unwrap();
        assert!(
            pos.contains("too many cations") && !pos.contains("under-counts"),
            "{pos}"
        );
    }
    use halo_core::{Lattice, Site};
    use nalgebra::Vector3;

    #[test]
    fn formal_states_and_balance() {
        let li = Species::neutral_unknown(Element::from_symbol("Li").unwrap());
        let cl = Species::neutral_unknown(Element::from_symbol("Cl").unwrap());
        let mut s = Structure::from_spacegroup_free(
            Lattice::cubic(5.13),
            vec![(li, [0.0; 3]), (cl, [0.5; 3])],
        )
        .unwrap();
        assert!(charge_balance(&s).is_none());
        let a = assign_formal_oxidation_states(&mut s);
        assert_eq!(a.len(), 2);
        assert!(a.iter().all(|x| x.source == OxidationSource::FormalTable));
        let c = charge_balance(&s).unwrap();
        assert!(c.neutral);
        assert_eq!(c.formula_units_z, 1.0);
        assert!(charge_warning(&c).is_none());
    }

    /// Z of a disordered structure counts the cell's sites by type, so a cell written with
    /// more sites (a supercell, a P1 listing) keeps the charge per formula unit.
    #[test]
    fn disordered_z_from_the_cells_site_types() {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let fcc = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ];
        let mut sites = Vec::new();
        for f in fcc {
            sites.push(Site {
                species: vec![(li, 0.5)],
                frac_coords: Vector3::from(f),
                label: None,
            });
            sites.push(Site::ordered(cl, [f[0] + 0.5, f[1], f[2]]));
        }
        let s = Structure::new(Lattice::cubic(5.0), sites).unwrap();
        let c = charge_balance(&s).unwrap();
        assert_eq!(c.formula_units_z, 4.0);
        assert!((c.net_charge_per_formula_unit_e + 0.5).abs() < 1e-12);
        assert!(!c.neutral);
        let w = charge_warning(&c).unwrap();
        assert!(w.contains("-0.5000 e per formula unit"), "{w}");
        // a Li site of another occupancy is another type: gcd(3, 1, 4) = 1
        let mut odd = s.clone();
        odd.sites[0].species[0].1 = 0.25;
        assert_eq!(charge_balance(&odd).unwrap().formula_units_z, 1.0);
    }
}
