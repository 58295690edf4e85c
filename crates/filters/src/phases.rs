//! The competing phases of a candidate's chemical system, with formation energies from the
//! embedded thermochemical tables (`thermo_binary_halides.csv`, `thermo_ternary_halides.csv`).
//!
//! Energies are standard formation energies at 298.15 K per formula unit, converted from kJ/mol
//! to eV with 1 eV = F/1000 kJ/mol = 96.485 332 12 kJ/mol. Elements in their standard states
//! (Li metal, M metal, X₂) are the zero of energy, so a formation energy is also the energy
//! in the grand-potential construction of Ong et al., Chem. Mater. 20, 1798 (2008).

use crate::error::FilterError;
use halo_core::{Composition, Element, FARADAY_C_PER_MOL};
use halo_data::thermo::{self, BinaryRow, TernaryRow};
use serde::Serialize;
use std::collections::BTreeMap;

/// kJ/mol per eV per formula unit (F/1000).
pub const KJ_PER_MOL_PER_EV: f64 = FARADAY_C_PER_MOL / 1000.0;

/// The halogens halo has thermochemistry for.
pub const HALOGENS: [&str; 4] = ["F", "Cl", "Br", "I"];

/// Which standard formation energy builds the hull.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EnergyBasis {
    /// ΔG°f(298.15 K): the room-temperature limit (X₂ as the 1 bar gas).
    #[serde(rename = "dG_298K")]
    Gibbs298K,
    /// ΔH°f(298.15 K): the "0 K-like" limit comparable with DFT hulls (no entropy).
    #[serde(rename = "dH_298K")]
    Enthalpy298K,
}

impl EnergyBasis {
    /// Both bases, ΔG first.
    pub const BOTH: [EnergyBasis; 2] = [EnergyBasis::Gibbs298K, EnergyBasis::Enthalpy298K];

    /// Short label (`dG` / `dH`).
    pub fn label(self) -> &'static str {
        match self {
            EnergyBasis::Gibbs298K => "dG(298 K)",
            EnergyBasis::Enthalpy298K => "dH(298 K)",
        }
    }
}

/// Where a phase's energy comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PhaseOrigin {
    /// An element in its standard state (zero formation energy by definition).
    Element,
    /// A binary halide row (index into `halo_data::thermo::binaries()`).
    Binary { row: usize },
    /// A ternary halide row (index into `halo_data::thermo::ternaries()`).
    Ternary { row: usize },
}

/// One phase of the chemical system, for one energy basis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phase {
    /// Reduced formula (`Cl2` for the halogen gas).
    pub formula: String,
    /// Element amounts per formula unit.
    pub amounts: BTreeMap<Element, f64>,
    /// Formation energy per formula unit, eV.
    pub energy_ev: f64,
    /// Stated 1σ uncertainty of `energy_ev` (eV); 0 where the table states none.
    pub unc_ev: f64,
    /// Provenance.
    pub origin: PhaseOrigin,
}

impl Phase {
    /// Amount of `el` per formula unit.
    pub fn amount(&self, el: Element) -> f64 {
        self.amounts.get(&el).copied().unwrap_or(0.0)
    }
}

/// A data row as reported with a result: formula, values and source.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowUsed {
    pub formula: String,
    pub table: &'static str,
    pub phase: String,
    pub dhf_kj_per_mol: Option<f64>,
    pub dgf_kj_per_mol: Option<f64>,
    pub value_type: String,
    pub source_id: String,
    pub source: String,
    pub note: String,
}

impl RowUsed {
    /// The report form of an origin (`None` for elements).
    pub fn from_origin(origin: &PhaseOrigin, formula: &str) -> Option<RowUsed> {
        match *origin {
            PhaseOrigin::Element => None,
            PhaseOrigin::Binary { row } => {
                let r: &BinaryRow = &thermo::binaries()[row];
                Some(RowUsed {
                    formula: formula.to_string(),
                    table: "thermo_binary_halides.csv",
                    phase: r.phase.clone(),
                    dhf_kj_per_mol: r.dhf_kj_per_mol,
                    dgf_kj_per_mol: r.dgf_kj_per_mol,
                    value_type: r.value_type.clone(),
                    source_id: r.source_id.clone(),
                    source: r.source.clone(),
                    note: r.note.clone(),
                })
            }
            PhaseOrigin::Ternary { row } => {
                let r: &TernaryRow = &thermo::ternaries()[row];
                Some(RowUsed {
                    formula: formula.to_string(),
                    table: "thermo_ternary_halides.csv",
                    phase: r.phase.clone(),
                    dhf_kj_per_mol: r.dhf_kj_per_mol,
                    dgf_kj_per_mol: r.dgf_kj_per_mol,
                    value_type: "measured".to_string(),
                    source_id: r.source_id.clone(),
                    source: r.source.clone(),
                    note: r.note.clone(),
                })
            }
        }
    }
}

fn el(symbol: &str) -> Result<Element, FilterError> {
    Ok(Element::from_symbol(symbol)?)
}

/// Element amounts of a composition (oxidation states collapsed), zero amounts dropped.
pub fn element_map(c: &Composition) -> BTreeMap<Element, f64> {
    c.element_amounts().into_iter().collect()
}

/// Two compositions are the same phase when their atom fractions agree within 1e-6.
pub fn same_composition(a: &BTreeMap<Element, f64>, b: &BTreeMap<Element, f64>) -> bool {
    let na: f64 = a.values().sum();
    let nb: f64 = b.values().sum();
    if na <= 0.0 || nb <= 0.0 || a.len() != b.len() {
        return false;
    }
    a.iter()
        .all(|(e, x)| b.get(e).is_some_and(|y| (x / na - y / nb).abs() < 1e-6))
}

fn binary_phase(i: usize, r: &BinaryRow, basis: EnergyBasis) -> Result<Option<Phase>, FilterError> {
    let (v, unc) = match basis {
        EnergyBasis::Gibbs298K => (r.dgf_kj_per_mol, r.dgf_unc_kj_per_mol),
        EnergyBasis::Enthalpy298K => (r.dhf_kj_per_mol, r.dhf_unc_kj_per_mol),
    };
    let Some(v) = v else { return Ok(None) };
    let mut amounts = BTreeMap::new();
    amounts.insert(el(&r.cation)?, r.n_cation);
    *amounts.entry(el(&r.anion)?).or_insert(0.0) += r.n_anion;
    Ok(Some(Phase {
        formula: r.reduced_formula.clone(),
        amounts,
        energy_ev: v / KJ_PER_MOL_PER_EV,
        unc_ev: unc.unwrap_or(0.0) / KJ_PER_MOL_PER_EV,
        origin: PhaseOrigin::Binary { row: i },
    }))
}

/// The ternary's energy in `basis`: its own measured ΔH°f or ΔG°f. A row without a value in
/// `basis` (KCaCl3 has a measured ΔH only) is left out of that basis and listed as skipped.
fn ternary_energy_kj(r: &TernaryRow, basis: EnergyBasis) -> Option<f64> {
    match basis {
        EnergyBasis::Enthalpy298K => r.dhf_kj_per_mol,
        EnergyBasis::Gibbs298K => r.dgf_kj_per_mol,
    }
}

fn ternary_amounts(r: &TernaryRow) -> Result<BTreeMap<Element, f64>, FilterError> {
    Ok(element_map(&Composition::parse(&r.formula)?))
}

/// The chemical system of a candidate: its elements plus Li (always the open element).
#[derive(Clone, Debug)]
pub struct ChemicalSystem {
    /// Elements, Li included.
    pub elements: Vec<Element>,
    /// Halogens present.
    pub anions: Vec<Element>,
    /// Cations present (elements that are not halogens), Li included.
    pub cations: Vec<Element>,
}

impl ChemicalSystem {
    /// The system of `candidate`; refuses compositions without a halide anion and elements
    /// without any binary halide data, naming them.
    pub fn of(candidate: &BTreeMap<Element, f64>) -> Result<Self, FilterError> {
        let li = el("Li")?;
        let mut elements: Vec<Element> = candidate.keys().copied().collect();
        if !elements.contains(&li) {
            elements.push(li);
        }
        elements.sort();
        let anions: Vec<Element> = elements
            .iter()
            .copied()
            .filter(|e| HALOGENS.contains(&e.symbol()))
            .collect();
        if anions.is_empty() {
            return Err(FilterError::NotAssessable {
                filter: "stability",
                reason:
                    "no halide anion (F, Cl, Br, I): thermo_binary_halides.csv covers halides only"
                        .into(),
            });
        }
        let cations: Vec<Element> = elements
            .iter()
            .copied()
            .filter(|e| !anions.contains(e))
            .collect();
        let anion_syms: Vec<&str> = anions.iter().map(|a| a.symbol()).collect();
        for c in &cations {
            let any = thermo::recommended_binaries()
                .any(|r| r.cation == c.symbol() && anion_syms.contains(&r.anion.as_str()));
            if !any {
                return Err(FilterError::NotAssessable {
                    filter: "stability",
                    reason: format!(
                        "no thermochemical data for {c}: no binary halide of {c} with {} in \
                         thermo_binary_halides.csv",
                        anion_syms.join("/")
                    ),
                });
            }
        }
        Ok(ChemicalSystem {
            elements,
            anions,
            cations,
        })
    }

    /// Every phase of the system in `basis`: the elements, every recommended binary halide of
    /// the system's cations and anions (all oxidation states in the table), and every measured
    /// ternary halide whose elements lie in the system (lowest-energy row per formula).
    /// Rows without a value in `basis` are left out and listed in the second return value.
    pub fn phases(&self, basis: EnergyBasis) -> Result<(Vec<Phase>, Vec<String>), FilterError> {
        let mut phases = Vec::new();
        let mut skipped = Vec::new();
        for &e in &self.elements {
            let n = if self.anions.contains(&e) { 2.0 } else { 1.0 };
            let formula = if n == 2.0 {
                format!("{e}2")
            } else {
                e.symbol().to_string()
            };
            phases.push(Phase {
                formula,
                amounts: BTreeMap::from([(e, n)]),
                energy_ev: 0.0,
                unc_ev: 0.0,
                origin: PhaseOrigin::Element,
            });
        }
        let syms: Vec<&str> = self.elements.iter().map(|e| e.symbol()).collect();
        for (i, r) in thermo::binaries().iter().enumerate() {
            if !r.recommended
                || !syms.contains(&r.cation.as_str())
                || !syms.contains(&r.anion.as_str())
                || !HALOGENS.contains(&r.anion.as_str())
            {
                continue;
            }
            match binary_phase(i, r, basis)? {
                Some(p) => phases.push(p),
                None => skipped.push(format!(
                    "{} ({}): no {} value",
                    r.reduced_formula,
                    r.source_id,
                    basis.label()
                )),
            }
        }
        let mut best: BTreeMap<String, Phase> = BTreeMap::new();
        for (i, r) in thermo::ternaries().iter().enumerate() {
            let amounts = ternary_amounts(r)?;
            if !amounts.keys().all(|e| self.elements.contains(e)) {
                continue;
            }
            let Some(v) = ternary_energy_kj(r, basis) else {
                skipped.push(format!(
                    "{} ({}): no {} value",
                    r.formula,
                    r.source_id,
                    basis.label()
                ));
                continue;
            };
            let p = Phase {
                formula: r.formula.clone(),
                amounts,
                energy_ev: v / KJ_PER_MOL_PER_EV,
                unc_ev: 0.0,
                origin: PhaseOrigin::Ternary { row: i },
            };
            match best.get(&r.formula) {
                Some(q) if q.energy_ev <= p.energy_ev => {}
                _ => {
                    best.insert(r.formula.clone(), p);
                }
            }
        }
        phases.extend(best.into_values());
        Ok((phases, skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(s: &str) -> BTreeMap<Element, f64> {
        element_map(&Composition::parse(s).unwrap())
    }

    #[test]
    fn system_of_li3incl6_has_every_indium_chloride() {
        let sys = ChemicalSystem::of(&comp("Li3InCl6")).unwrap();
        let (ph, _) = sys.phases(EnergyBasis::Gibbs298K).unwrap();
        let names: Vec<&str> = ph.iter().map(|p| p.formula.as_str()).collect();
        for f in ["Li", "In", "Cl2", "LiCl", "InCl", "InCl2", "InCl3"] {
            assert!(names.contains(&f), "{f} missing from {names:?}");
        }
        let licl = ph.iter().find(|p| p.formula == "LiCl").unwrap();
        assert!((licl.energy_ev * KJ_PER_MOL_PER_EV + 384.019).abs() < 1e-9);
    }

    #[test]
    fn elements_without_data_are_not_assessable() {
        // Sc has no iodide in the table; an oxide has no halide anion.
        for f in ["Li3ScI6", "Li2O"] {
            let e = ChemicalSystem::of(&comp(f)).unwrap_err();
            assert!(matches!(e, FilterError::NotAssessable { .. }), "{f}: {e}");
        }
    }

    #[test]
    fn measured_ternaries_join_their_system() {
        let sys = ChemicalSystem::of(&comp("Li3AlF6")).unwrap();
        let (ph, _) = sys.phases(EnergyBasis::Enthalpy298K).unwrap();
        let t = ph.iter().find(|p| p.formula == "Li3AlF6").unwrap();
        assert!((t.energy_ev * KJ_PER_MOL_PER_EV + 3383.601).abs() < 1e-6);
        // polymorphs: the lowest-energy Na3AlF6 row is kept
        let sys = ChemicalSystem::of(&comp("Na3AlF6")).unwrap();
        let (ph, _) = sys.phases(EnergyBasis::Enthalpy298K).unwrap();
        let n: Vec<_> = ph.iter().filter(|p| p.formula == "Na3AlF6").collect();
        assert_eq!(n.len(), 1);
        assert!((n[0].energy_ev * KJ_PER_MOL_PER_EV + 3316.908).abs() < 1e-6);
    }
}
