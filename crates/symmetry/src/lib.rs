//! # halo-symmetry
//!
//! Adapter to [moyo](https://github.com/spglib/moyo) 0.22 (spglib's successor): space group,
//! Hall number, operations in the input cell, crystallographic orbits and Wyckoff letters of a
//! [`halo_core::Structure`], including partially occupied ones; plus what substitution
//! enumeration needs: site permutations of the operations, supercells of the primitive cell with
//! the parent's operations acting on them, canonical forms and Burnside counts.
//!
//! Disordered sites are typed as pymatgen's `SpacegroupAnalyzer` does: two sites get the same
//! type number only when they hold the same species with the same occupancies (compared within
//! [`SymmetryOptions::occupancy_tolerance`]), so a refined Li/Sc/In-shared 16d spinel stays
//! Fd-3m.
//!
//! Conventions: fractional coordinates are column vectors acted on as x' = R·x + t
//! (spglib/moyo); lattices follow halo-core (rows are the lattice vectors, Å).
//!
//! ```
//! use halo_core::{Species, Structure};
//! let li = Species::parse("Li+").unwrap();
//! let cl = Species::parse("Cl-").unwrap();
//! let s = Structure::rock_salt(li, cl, 5.13).unwrap();
//! let info = halo_symmetry::analyze(&s, 1e-3).unwrap();
//! assert_eq!(info.space_group_number, 225);
//! assert_eq!(info.space_group_symbol, "Fm-3m");
//! assert_eq!(info.operations.len(), 192);
//! assert_eq!(info.wyckoff_letters[0], 'a');
//! ```

pub mod error;
pub mod group;
pub mod supercell;

pub use error::SymmetryError;
pub use group::PermutationGroup;
pub use supercell::{hnf_matrices, primitive_basis, SiteLocator, Supercell};

use halo_core::Structure;
use moyo::base::{AngleTolerance, Cell, Lattice as MoyoLattice};
use moyo::data::Setting;
use moyo::MoyoDataset;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// pymatgen's default `symprec` for `SpacegroupAnalyzer`, Å.
pub const DEFAULT_SYMPREC_ANG: f64 = 0.01;
/// Largest distance tolerance taken, Å: half the shortest distance two sites of a halide have
/// (≈ 2 Å between partly occupied Li sites), beyond which distinct sites would be merged.
pub const MAX_SYMPREC_ANG: f64 = 1.0;
/// pymatgen's default angle tolerance, degrees.
pub const DEFAULT_ANGLE_TOLERANCE_DEG: f64 = 5.0;
/// Default tolerance when comparing occupancies of two sites for their type number.
pub const DEFAULT_OCCUPANCY_TOLERANCE: f64 = 1e-3;

/// A space-group operation in fractional coordinates of the cell it was found in:
/// x' = R·x + t (column vectors, spglib/moyo convention).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymOp {
    pub rotation: [[i32; 3]; 3],
    pub translation: [f64; 3],
}

impl SymOp {
    /// The identity.
    pub fn identity() -> SymOp {
        SymOp {
            rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            translation: [0.0; 3],
        }
    }

    /// Apply to fractional coordinates: R·x + t (not wrapped).
    pub fn apply(&self, x: &Vector3<f64>) -> Vector3<f64> {
        let r = &self.rotation;
        Vector3::new(
            r[0][0] as f64 * x.x
                + r[0][1] as f64 * x.y
                + r[0][2] as f64 * x.z
                + self.translation[0],
            r[1][0] as f64 * x.x
                + r[1][1] as f64 * x.y
                + r[1][2] as f64 * x.z
                + self.translation[1],
            r[2][0] as f64 * x.x
                + r[2][1] as f64 * x.y
                + r[2][2] as f64 * x.z
                + self.translation[2],
        )
    }

    /// Rotation part as an f64 matrix.
    pub fn rotation_f64(&self) -> nalgebra::Matrix3<f64> {
        nalgebra::Matrix3::from_fn(|i, j| self.rotation[i][j] as f64)
    }

    /// True when R is the identity (a pure translation, e.g. a centring vector).
    pub fn is_pure_translation(&self) -> bool {
        self.rotation == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    }
}

/// Tolerances of a symmetry search.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymmetryOptions {
    /// Distance tolerance, Å (spglib/pymatgen `symprec`).
    pub symprec_ang: f64,
    /// Angle tolerance in degrees; `None` uses spglib's default.
    pub angle_tolerance_deg: Option<f64>,
    /// Two sites get the same type only when their occupancies agree within this.
    pub occupancy_tolerance: f64,
}

impl Default for SymmetryOptions {
    fn default() -> Self {
        SymmetryOptions {
            symprec_ang: DEFAULT_SYMPREC_ANG,
            angle_tolerance_deg: None,
            occupancy_tolerance: DEFAULT_OCCUPANCY_TOLERANCE,
        }
    }
}

/// The symmetry of a structure, in the input cell's setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymmetryInfo {
    /// International space-group number (1–230).
    pub space_group_number: u8,
    /// Short Hermann–Mauguin symbol as spglib/pymatgen print it (`Fd-3m`, `C2/m`, `P2_1/c`).
    pub space_group_symbol: String,
    /// spglib/moyo Hall number (1–530) of the standard setting found.
    pub hall_number: i32,
    /// Operations in the input cell (centring translations included).
    pub operations: Vec<SymOp>,
    /// Orbit representative (lowest index in its orbit) per site.
    pub equivalent_sites: Vec<usize>,
    /// Wyckoff letter per site.
    pub wyckoff_letters: Vec<char>,
    /// Orbit size per site in the input cell.
    pub multiplicities: Vec<usize>,
    /// Wyckoff multiplicity per site in the conventional standard cell (the `16` of `16d`).
    pub wyckoff_multiplicities: Vec<usize>,
    /// Type number given to each site (same species and occupancies ⇒ same type).
    pub site_types: Vec<i32>,
    /// The distance tolerance actually used, Å (moyo may tighten it iteratively).
    pub symprec_ang: f64,
    /// The occupancy tolerance used to type the sites.
    pub occupancy_tolerance: f64,
}

impl SymmetryInfo {
    /// Orbits as lists of site indices, ordered by their lowest index.
    pub fn orbits(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::new();
        let mut pos = std::collections::BTreeMap::new();
        for (i, &r) in self.equivalent_sites.iter().enumerate() {
            let k = *pos.entry(r).or_insert_with(|| {
                out.push(Vec::new());
                out.len() - 1
            });
            out[k].push(i);
        }
        out
    }

    /// Wyckoff symbol of a site, multiplicity and letter as in the tables: `16d`, `2a`, `4g`.
    pub fn wyckoff_symbol(&self, site: usize) -> String {
        format!(
            "{}{}",
            self.wyckoff_multiplicities[site], self.wyckoff_letters[site]
        )
    }

    /// The orbits that contain at least one of `sites`, each as its full list of sites.
    pub fn orbits_of(&self, sites: &[usize]) -> Result<Vec<Vec<usize>>, SymmetryError> {
        let n = self.equivalent_sites.len();
        let mut reps: Vec<usize> = Vec::new();
        for &s in sites {
            if s >= n {
                return Err(SymmetryError::SiteIndex {
                    index: s,
                    num_sites: n,
                });
            }
            let r = self.equivalent_sites[s];
            if !reps.contains(&r) {
                reps.push(r);
            }
        }
        reps.sort_unstable();
        Ok(reps
            .into_iter()
            .map(|r| (0..n).filter(|&i| self.equivalent_sites[i] == r).collect())
            .collect())
    }

    /// The pure translations among the operations (centring vectors, including 0), wrapped to
    /// [0, 1).
    pub fn centring_translations(&self) -> Vec<[f64; 3]> {
        self.operations
            .iter()
            .filter(|o| o.is_pure_translation())
            .map(|o| o.translation.map(halo_core::lattice::wrap_frac))
            .collect()
    }
}

/// Type numbers for moyo: sites holding the same species with the same occupancies (within
/// `occupancy_tolerance`, order of species irrelevant) share a number; numbers count from 0 in
/// order of first appearance.
pub fn site_type_numbers(structure: &Structure, occupancy_tolerance: f64) -> Vec<i32> {
    let mut seen: Vec<Vec<(halo_core::Species, f64)>> = Vec::new();
    let mut out = Vec::with_capacity(structure.num_sites());
    for site in &structure.sites {
        let mut sp = site.species.clone();
        sp.sort_by_key(|a| a.0);
        let found = seen.iter().position(|t| {
            t.len() == sp.len()
                && t.iter()
                    .zip(&sp)
                    .all(|(a, b)| a.0 == b.0 && (a.1 - b.1).abs() <= occupancy_tolerance)
        });
        let id = match found {
            Some(k) => k,
            None => {
                seen.push(sp);
                seen.len() - 1
            }
        };
        out.push(id as i32);
    }
    out
}

/// Analyse with `symprec_ang` and the default angle and occupancy tolerances.
pub fn analyze(structure: &Structure, symprec_ang: f64) -> Result<SymmetryInfo, SymmetryError> {
    analyze_with(
        structure,
        &SymmetryOptions {
            symprec_ang,
            ..SymmetryOptions::default()
        },
    )
}

/// Analyse a structure with explicit tolerances.
pub fn analyze_with(
    structure: &Structure,
    options: &SymmetryOptions,
) -> Result<SymmetryInfo, SymmetryError> {
    if !(options.symprec_ang.is_finite() && options.symprec_ang > 0.0) {
        return Err(SymmetryError::BadTolerance {
            name: "symprec_ang",
            value: options.symprec_ang,
        });
    }
    if options.symprec_ang > MAX_SYMPREC_ANG {
        return Err(SymmetryError::ToleranceTooLarge {
            name: "symprec_ang",
            value: options.symprec_ang,
            max: MAX_SYMPREC_ANG,
        });
    }
    if !(options.occupancy_tolerance.is_finite() && options.occupancy_tolerance >= 0.0) {
        return Err(SymmetryError::BadTolerance {
            name: "occupancy_tolerance",
            value: options.occupancy_tolerance,
        });
    }
    let angle = match options.angle_tolerance_deg {
        None => AngleTolerance::Default,
        Some(a) if a.is_finite() && a > 0.0 => AngleTolerance::Radian(a.to_radians()),
        Some(a) => {
            return Err(SymmetryError::BadTolerance {
                name: "angle_tolerance_deg",
                value: a,
            })
        }
    };
    if structure.num_sites() == 0 {
        return Err(SymmetryError::EmptyStructure);
    }
    let types = site_type_numbers(structure, options.occupancy_tolerance);
    let lattice = MoyoLattice::from_basis(structure.lattice.rows());
    let positions = structure
        .sites
        .iter()
        .map(|s| nalgebra_moyo::Vector3::new(s.frac_coords.x, s.frac_coords.y, s.frac_coords.z))
        .collect();
    let cell = Cell::new(lattice, positions, types.clone());
    let ds = MoyoDataset::new(&cell, options.symprec_ang, angle, Setting::Spglib, false).map_err(
        |e| SymmetryError::Moyo {
            symprec_ang: options.symprec_ang,
            message: e.to_string(),
        },
    )?;
    let entry = moyo::data::hall_symbol_entry(ds.hall_number)
        .ok_or(SymmetryError::UnknownHallNumber(ds.hall_number))?;
    let operations: Vec<SymOp> = ds
        .operations
        .iter()
        .map(|op| {
            let r = op.rotation;
            SymOp {
                rotation: [
                    [r[(0, 0)], r[(0, 1)], r[(0, 2)]],
                    [r[(1, 0)], r[(1, 1)], r[(1, 2)]],
                    [r[(2, 0)], r[(2, 1)], r[(2, 2)]],
                ],
                translation: [op.translation.x, op.translation.y, op.translation.z],
            }
        })
        .collect();
    let n = structure.num_sites();
    let mut multiplicities = vec![0usize; n];
    for &r in &ds.orbits {
        multiplicities[r] += 1;
    }
    let multiplicities: Vec<usize> = ds.orbits.iter().map(|&r| multiplicities[r]).collect();
    // conventional/input volume ratio: |det std_linear|
    let ratio = ds.std_linear.determinant().abs();
    let wyckoff_multiplicities = multiplicities
        .iter()
        .map(|&m| (m as f64 * ratio).round().max(1.0) as usize)
        .collect();
    Ok(SymmetryInfo {
        space_group_number: ds.number as u8,
        space_group_symbol: entry.hm_short.replace(' ', ""),
        hall_number: ds.hall_number,
        operations,
        equivalent_sites: ds.orbits.clone(),
        wyckoff_letters: ds.wyckoffs.clone(),
        multiplicities,
        wyckoff_multiplicities,
        site_types: types,
        symprec_ang: ds.symprec,
        occupancy_tolerance: options.occupancy_tolerance,
    })
}

/// The permutation of the sites of `structure` effected by `op`: `perm[i] = j` when
/// R·x_i + t ≡ x_j (mod 1) within `tolerance_ang` and sites i and j have the same type.
pub fn site_permutation(
    structure: &Structure,
    op: &SymOp,
    types: &[i32],
    tolerance_ang: f64,
    op_index: usize,
) -> Result<Vec<usize>, SymmetryError> {
    let locator = SiteLocator::new(structure, tolerance_ang)?;
    site_permutation_with(structure, &locator, op, types, op_index)
}

/// [`site_permutation`] with a prepared [`SiteLocator`] (faster when mapping many operations).
pub fn site_permutation_with(
    structure: &Structure,
    locator: &SiteLocator,
    op: &SymOp,
    types: &[i32],
    op_index: usize,
) -> Result<Vec<usize>, SymmetryError> {
    let mut perm = Vec::with_capacity(structure.num_sites());
    for (i, s) in structure.sites.iter().enumerate() {
        let y = op.apply(&s.frac_coords);
        let j = locator
            .find(&y, |j| types[j] == types[i])
            .ok_or(SymmetryError::NoImage {
                op_index,
                site: i,
                tolerance_ang: locator.tolerance_ang(),
            })?;
        perm.push(j);
    }
    Ok(perm)
}

/// All operations of `info` as site permutations of the structure they were found in.
pub fn site_permutations(
    structure: &Structure,
    info: &SymmetryInfo,
) -> Result<Vec<Vec<usize>>, SymmetryError> {
    let tol = match_tolerance_ang(info.symprec_ang);
    let locator = SiteLocator::new(structure, tol)?;
    info.operations
        .iter()
        .enumerate()
        .map(|(k, op)| site_permutation_with(structure, &locator, op, &info.site_types, k))
        .collect()
}

/// Tolerance used to match images of sites: a little looser than the symprec moyo used, since
/// moyo accepts operations with per-site errors up to symprec.
pub fn match_tolerance_ang(symprec_ang: f64) -> f64 {
    2.0 * symprec_ang
}

#[cfg(test)]
mod tests;
