//! Sites and periodic structures.

use crate::composition::Composition;
use crate::element::{Element, Species};
use crate::error::CoreError;
use crate::lattice::{wrap_frac, Lattice};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// Tolerance on occupancies: a site's total may exceed 1 by at most this much.
pub const OCCUPANCY_TOLERANCE: f64 = 1e-3;

/// A periodic site: fractional coordinates and the species on it with their occupancies
/// (pymatgen's `PeriodicSite` with a species composition). Vacancy fraction = 1 − Σ occupancy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Species and occupancy, in the order read; occupancies in (0, 1].
    pub species: Vec<(Species, f64)>,
    /// Fractional coordinates, wrapped to [0, 1).
    pub frac_coords: Vector3<f64>,
    /// Crystallographic label (CIF `_atom_site_label`), when known.
    pub label: Option<String>,
}

impl Site {
    /// A fully occupied site of one species.
    pub fn ordered(species: Species, frac: [f64; 3]) -> Site {
        Site {
            species: vec![(species, 1.0)],
            frac_coords: Vector3::from(frac).map(wrap_frac),
            label: None,
        }
    }

    /// Total occupancy Σ occ.
    pub fn total_occupancy(&self) -> f64 {
        self.species.iter().map(|(_, o)| o).sum()
    }

    /// True when one species fully occupies the site (within [`OCCUPANCY_TOLERANCE`]).
    pub fn is_ordered(&self) -> bool {
        self.species.len() == 1 && (self.species[0].1 - 1.0).abs() <= OCCUPANCY_TOLERANCE
    }

    /// Occupancy-weighted charge Σ occ·q (e); errors when a species has no oxidation state.
    pub fn charge(&self) -> Result<f64, CoreError> {
        self.species
            .iter()
            .map(|(sp, o)| {
                sp.oxidation_state
                    .map(|q| q as f64 * o)
                    .ok_or_else(|| CoreError::MissingOxidationState(sp.to_string()))
            })
            .sum()
    }

    /// Occupancy of one element on this site (summing over oxidation states).
    pub fn occupancy_of(&self, el: Element) -> f64 {
        self.species
            .iter()
            .filter(|(s, _)| s.element == el)
            .map(|(_, o)| o)
            .sum()
    }

    /// The species with the largest occupancy (first on ties).
    pub fn majority_species(&self) -> Species {
        let mut best = self.species[0];
        for &(s, o) in &self.species[1..] {
            if o > best.1 + 1e-12 {
                best = (s, o);
            }
        }
        best.0
    }

    /// A short pymatgen-like string: `Li+`, or `Li+:0.675, Sc3+:0.164`.
    pub fn species_string(&self) -> String {
        if self.is_ordered() {
            return self.species[0].0.to_string();
        }
        self.species
            .iter()
            .map(|(s, o)| format!("{s}:{o:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A periodic crystal structure: a [`Lattice`] and its [`Site`]s (pymatgen's `Structure`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    pub lattice: Lattice,
    pub sites: Vec<Site>,
}

impl Structure {
    /// Build and validate: occupancies positive and Σ occ ≤ 1 + [`OCCUPANCY_TOLERANCE`] on every
    /// site, coordinates finite; fractional coordinates are wrapped to [0, 1).
    pub fn new(lattice: Lattice, mut sites: Vec<Site>) -> Result<Self, CoreError> {
        for (index, site) in sites.iter_mut().enumerate() {
            if site.species.is_empty() {
                return Err(CoreError::BadSite {
                    index,
                    reason: "no species".into(),
                });
            }
            if !site.frac_coords.iter().all(|x| x.is_finite()) {
                return Err(CoreError::BadSite {
                    index,
                    reason: "non-finite coordinates".into(),
                });
            }
            for (sp, o) in &site.species {
                if !(o.is_finite() && *o > 0.0) {
                    return Err(CoreError::BadSite {
                        index,
                        reason: format!("occupancy of {sp} is {o}, not in (0, 1]"),
                    });
                }
            }
            let total = site.total_occupancy();
            if total > 1.0 + OCCUPANCY_TOLERANCE {
                return Err(CoreError::BadSite {
                    index,
                    reason: format!("occupancies sum to {total:.4} > 1"),
                });
            }
            site.frac_coords = site.frac_coords.map(wrap_frac);
        }
        Ok(Structure { lattice, sites })
    }

    /// An ordered structure from (species, fractional coordinates) pairs, without symmetry.
    pub fn from_spacegroup_free(
        lattice: Lattice,
        atoms: Vec<(Species, [f64; 3])>,
    ) -> Result<Self, CoreError> {
        let sites = atoms
            .into_iter()
            .map(|(s, f)| Site::ordered(s, f))
            .collect();
        Structure::new(lattice, sites)
    }

    /// The conventional rock-salt (B1, Fm-3m) cell of edge `a_ang`: `cation` on 4a
    /// (0,0,0)+fcc, `anion` on 4b (½,0,0)+fcc, cation/anion alternating in site order. Rock-salt
    /// LiCl (a = 5.13 Å) is the reference case of the Ewald sum (Madelung 1.747565) and BVSE.
    pub fn rock_salt(cation: Species, anion: Species, a_ang: f64) -> Result<Structure, CoreError> {
        if !(a_ang.is_finite() && a_ang > 0.0) {
            return Err(CoreError::BadLatticeParameter {
                name: "a",
                value: a_ang,
            });
        }
        let fcc = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ];
        let mut atoms = Vec::with_capacity(8);
        for f in fcc {
            atoms.push((cation, f));
            atoms.push((anion, [f[0] + 0.5, f[1], f[2]]));
        }
        Structure::from_spacegroup_free(Lattice::cubic(a_ang), atoms)
    }

    /// Number of sites.
    pub fn num_sites(&self) -> usize {
        self.sites.len()
    }

    /// Cell volume, Å³.
    pub fn volume_ang3(&self) -> f64 {
        self.lattice.volume_ang3()
    }

    /// True when every site is fully occupied by one species.
    pub fn is_ordered(&self) -> bool {
        self.sites.iter().all(Site::is_ordered)
    }

    /// Cartesian coordinates of site `i`, Å.
    pub fn cart_coords(&self, i: usize) -> Vector3<f64> {
        self.lattice.cart(&self.sites[i].frac_coords)
    }

    /// Occupancy-weighted composition of the cell, with oxidation states where known.
    pub fn composition(&self) -> Composition {
        let mut c = Composition::default();
        for site in &self.sites {
            for &(sp, o) in &site.species {
                c.add(sp, o);
            }
        }
        c
    }

    /// Net charge of the cell Σ_sites Σ occ·q (e).
    pub fn charge(&self) -> Result<f64, CoreError> {
        self.sites.iter().map(Site::charge).sum()
    }

    /// True when every species carries an oxidation state.
    pub fn has_oxidation_states(&self) -> bool {
        self.sites
            .iter()
            .all(|s| s.species.iter().all(|(sp, _)| sp.oxidation_state.is_some()))
    }

    /// Mass of the cell contents in g/mol (occupancy weighted).
    pub fn cell_mass_g_per_mol(&self) -> f64 {
        self.sites
            .iter()
            .flat_map(|s| s.species.iter())
            .map(|(sp, o)| sp.element.atomic_mass() * o)
            .sum()
    }

    /// Density ρ = m / (N_A V) in g/cm³ (occupancy-weighted mass).
    pub fn density_g_per_cm3(&self) -> f64 {
        self.cell_mass_g_per_mol() / crate::AVOGADRO_PER_MOL / (self.volume_ang3() * 1e-24)
    }

    /// Supercell by integer scaling of each axis; labels are kept.
    pub fn make_supercell(&self, scale: [usize; 3]) -> Result<Structure, CoreError> {
        if scale.contains(&0) {
            return Err(CoreError::InvalidParameter {
                name: "supercell scale",
                reason: "every factor must be ≥ 1".into(),
            });
        }
        let lattice = self.lattice.scaled(scale);
        let mut sites = Vec::with_capacity(self.sites.len() * scale.iter().product::<usize>());
        for i in 0..scale[0] {
            for j in 0..scale[1] {
                for k in 0..scale[2] {
                    for s in &self.sites {
                        let f = s.frac_coords;
                        let mut t = s.clone();
                        t.frac_coords = Vector3::new(
                            (f.x + i as f64) / scale[0] as f64,
                            (f.y + j as f64) / scale[1] as f64,
                            (f.z + k as f64) / scale[2] as f64,
                        );
                        sites.push(t);
                    }
                }
            }
        }
        Structure::new(lattice, sites)
    }

    /// The structure without any site that holds `element` (its other species keep their
    /// occupancies): the framework seen by a mobile ion.
    pub fn without_element(&self, element: Element) -> Structure {
        let sites = self
            .sites
            .iter()
            .filter_map(|s| {
                let species: Vec<_> = s
                    .species
                    .iter()
                    .copied()
                    .filter(|(sp, _)| sp.element != element)
                    .collect();
                (!species.is_empty()).then(|| Site {
                    species,
                    ..s.clone()
                })
            })
            .collect();
        Structure {
            lattice: self.lattice.clone(),
            sites,
        }
    }

    /// Indices of the sites that hold `element` with any occupancy.
    pub fn indices_of(&self, element: Element) -> Vec<usize> {
        (0..self.sites.len())
            .filter(|&i| self.sites[i].occupancy_of(element) > 0.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn licl() -> Structure {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        Structure::rock_salt(li, cl, 5.13).unwrap()
    }

    #[test]
    fn rocksalt_density_and_charge() {
        let s = licl();
        assert_eq!(s.num_sites(), 8);
        assert!(s.charge().unwrap().abs() < 1e-12);
        // 4 LiCl (42.394 g/mol) in 5.13^3 Å^3 → 2.0854 g/cm^3
        let rho = 4.0 * (6.941 + 35.453) / 6.02214076e23 / (5.13f64.powi(3) * 1e-24);
        assert!((s.density_g_per_cm3() - rho).abs() < 1e-9);
        assert!(s.frac_coords_in_unit_cell());
    }

    #[test]
    fn supercell_scales_everything() {
        let s = licl().make_supercell([2, 1, 3]).unwrap();
        assert_eq!(s.num_sites(), 48);
        assert!((s.volume_ang3() - 6.0 * 5.13f64.powi(3)).abs() < 1e-8);
        assert_eq!(s.composition().reduced_formula(), "LiCl");
        assert!(licl().make_supercell([0, 1, 1]).is_err());
    }

    #[test]
    fn rejects_overfull_site() {
        let li = Species::parse("Li+").unwrap();
        let site = Site {
            species: vec![(li, 0.7), (Species::parse("Sc3+").unwrap(), 0.5)],
            frac_coords: Vector3::zeros(),
            label: None,
        };
        assert!(matches!(
            Structure::new(Lattice::cubic(3.0), vec![site]),
            Err(CoreError::BadSite { index: 0, .. })
        ));
    }

    impl Structure {
        fn frac_coords_in_unit_cell(&self) -> bool {
            self.sites
                .iter()
                .all(|s| s.frac_coords.iter().all(|&x| (0.0..1.0).contains(&x)))
        }
    }
}
