//! Realisations of a candidate: the occupancy-weighted average model, the symmetry-distinct
//! orderings of the substituted orbit in a supercell ranked by Ewald energy, and seeded random
//! orderings for cells too large to enumerate.
//!
//! Only the substituted orbit is ordered; the Li-only orbits keep their (candidate) partial
//! occupancies and enter the Ewald sum with occupancy-weighted charges, as in pymatgen's
//! `EwaldSummation` of a disordered structure.
//!
//! Energies: the Ewald energy is a quadratic form in the site charges,
//! E(q) = ½ qᵀAq + E_Q, where column j of A is the potential of a unit charge on site j
//! ([`halo_core::ewald::ewald_with_charges`] site potentials) and E_Q = −k_e π Q²/(2Vη) depends
//! only on the net charge Q, equal for every ordering of one candidate. A is computed once per
//! supercell on the framework geometry; the estimated lattice scales every distance by s, so
//! energies are divided by s.

use crate::candidate::{Candidate, EnumerationResult};
use crate::error::EnumerateError;
use crate::rational::Rational;
use halo_core::ewald::{ewald_with_charges, EwaldParams};
use halo_core::{Lattice, Site, Species, Structure};
use halo_symmetry::group::{for_each_colouring, multinomial};
use halo_symmetry::{hnf_matrices, primitive_basis, PermutationGroup, Supercell};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Options of ordered realisations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderingOptions {
    /// Supercell as an integer matrix over the primitive cell; `None`: the smallest supercell
    /// (determinant ≤ `max_supercell_det`) in which the orbit's site counts are integers, the
    /// most isotropic of its Hermite normal forms.
    pub supercell: Option<[[i32; 3]; 3]>,
    pub max_supercell_det: usize,
    /// Enumerate exhaustively when the number of colourings is at most this; else sample.
    pub max_colourings: u128,
    /// How many of the lowest-energy orderings to return.
    pub max_orderings: usize,
    /// Random realisations when not enumerating exhaustively.
    pub n_random: usize,
    /// Seed; each candidate's stream derives from (seed, candidate id).
    pub seed: u64,
}

impl Default for OrderingOptions {
    fn default() -> Self {
        OrderingOptions {
            supercell: None,
            max_supercell_det: 12,
            max_colourings: 200_000,
            max_orderings: 5,
            n_random: 5,
            seed: 0,
        }
    }
}

/// One ordered structure.
#[derive(Clone, Debug, Serialize)]
pub struct OrderedRealisation {
    /// Rank by Ewald energy (0 = lowest).
    pub rank: usize,
    pub ewald_energy_ev: f64,
    pub ewald_energy_ev_per_fu: f64,
    /// Number of orderings equivalent to this one under the supercell's group (exhaustive).
    pub degeneracy: Option<usize>,
    /// Colour (index into [`OrderingResult::species`]) of each orbit site.
    pub colouring: Vec<u8>,
    #[serde(skip)]
    pub structure: Structure,
}

/// Orderings of one candidate.
#[derive(Clone, Debug, Serialize)]
pub struct OrderingResult {
    pub candidate_id: String,
    pub supercell_matrix: [[i32; 3]; 3],
    pub orbit_sites: usize,
    /// Colours: species names (`vacancy` for an empty site) and their counts.
    pub species: Vec<String>,
    pub counts: Vec<usize>,
    /// Largest |count − occupancy·N| after rounding (0 when the cell is commensurate).
    pub composition_error: f64,
    pub group_order: usize,
    pub total_colourings: String,
    /// `exhaustive` or `random`.
    pub method: &'static str,
    /// Symmetry-distinct orderings found by orderly enumeration (exhaustive only).
    pub distinct_orderings: Option<u128>,
    /// Burnside's count of distinct orderings.
    pub burnside_count: u128,
    pub seed: Option<u64>,
    pub realisations: Vec<OrderedRealisation>,
}

/// The per-candidate seed of random orderings: halo's one recipe,
/// [`halo_core::seed::candidate_seed`] (the campaign derives its kMC seeds the same way).
pub use halo_core::seed::candidate_seed;

struct CellCache {
    supercell: Supercell,
    orbit_sites: Vec<usize>,
    group: PermutationGroup,
    /// A restricted to the orbit sites: a_oo[k][l] = potential at orbit site k of a unit
    /// charge on orbit site l (V per e).
    a_oo: Vec<Vec<f64>>,
    /// Potentials φ⁽ᵇ⁾ = A·b of the background basis: b₀ = the fixed charges (everything but
    /// the orbit and the Li-only orbits), b_k = +1 on every site of Li-only orbit k.
    phi_basis: Vec<Vec<f64>>,
    /// m[k][l] = b_k · φ⁽ˡ⁾.
    m_basis: Vec<Vec<f64>>,
    eta: f64,
}

/// Realises candidates of one enumeration, caching supercells, groups and Ewald matrices.
pub struct Realiser<'a> {
    result: &'a EnumerationResult,
    cache: HashMap<[[i32; 3]; 3], CellCache>,
}

impl<'a> Realiser<'a> {
    pub fn new(result: &'a EnumerationResult) -> Self {
        Realiser {
            result,
            cache: HashMap::new(),
        }
    }

    /// The occupancy-weighted average model on the estimated lattice: the orbit carries the
    /// candidate's species and occupancies, the Li-only orbits their candidate occupancies
    /// (sites left empty are dropped).
    pub fn average_structure(&self, c: &Candidate) -> Result<Structure, EnumerateError> {
        let s = self.average_on(c, &c.lattice.lattice)?;
        Ok(s)
    }

    fn average_on(&self, c: &Candidate, lattice: &Lattice) -> Result<Structure, EnumerateError> {
        let fw = &self.result.framework;
        let mut sites: Vec<Option<Site>> = fw.structure.sites.iter().cloned().map(Some).collect();
        let orbit_species: Vec<(Species, f64)> = c
            .orbit_occupancies
            .iter()
            .filter(|(_, r)| !r.is_zero())
            .map(|(sp, r)| (*sp, r.to_f64()))
            .collect();
        for &i in &fw.orbit {
            if let Some(s) = sites[i].as_mut() {
                s.species = orbit_species.clone();
            }
        }
        for (k, o) in fw.li_orbits.iter().enumerate() {
            let occ = c.li_orbit_occupancies[k];
            for &i in &o.sites {
                if occ <= 1e-12 {
                    sites[i] = None;
                } else if let Some(s) = sites[i].as_mut() {
                    let sp = s.species[0].0;
                    s.species = vec![(sp, occ.min(1.0))];
                }
            }
        }
        Ok(Structure::new(
            lattice.clone(),
            sites.into_iter().flatten().collect(),
        )?)
    }

    fn colours(&self, c: &Candidate) -> Vec<(Option<Species>, Rational)> {
        let mut out: Vec<(Option<Species>, Rational)> = c
            .orbit_occupancies
            .iter()
            .filter(|(_, r)| !r.is_zero())
            .map(|(sp, r)| (Some(*sp), *r))
            .collect();
        let total: Rational = out.iter().map(|(_, r)| *r).sum();
        if total < Rational::ONE {
            out.push((None, Rational::ONE - total));
        }
        out
    }

    /// Pick the supercell: smallest determinant with integer counts, else the one with the
    /// smallest rounding error; the most isotropic HNF (largest smallest perpendicular width).
    fn choose_supercell(
        &self,
        colours: &[(Option<Species>, Rational)],
        opt: &OrderingOptions,
    ) -> Result<[[i32; 3]; 3], EnumerateError> {
        if let Some(m) = opt.supercell {
            return Ok(m);
        }
        let fw = &self.result.framework;
        let p = primitive_basis(&fw.structure.lattice, &fw.symmetry);
        let per_prim = Rational::snap(fw.orbit.len() as f64 * p.determinant().abs(), 1, 1e-6)
            .ok_or_else(|| EnumerateError::Ordering("bad primitive cell".into()))?;
        let mut best: Option<(f64, usize)> = None;
        for d in 1..=opt.max_supercell_det.max(1) {
            let n = per_prim * Rational::int(d as i64);
            let err = colours
                .iter()
                .map(|(_, r)| {
                    let x = (*r * n).to_f64();
                    (x - x.round()).abs()
                })
                .fold(0.0, f64::max);
            if best.is_none_or(|(e, _)| err < e - 1e-9) {
                best = Some((err, d));
            }
            if err < 1e-9 {
                break;
            }
        }
        let d = best.map(|(_, d)| d).unwrap_or(1);
        // the most isotropic shape, judged on the lattice itself and not on its basis: the
        // longest shortest vector (the nearest periodic image), then the longest second
        // successive minimum, then the shortest third. The perpendicular widths of the HNF
        // basis, compared before, depend on the basis moyo returns, so the same
        // Li2Sc1/3In1/3Cl4 got a 7.4/7.4/18.1 Å cell from one spinel file and a
        // 7.4/7.4/16.5 Å one from another.
        let mut choice: Option<([f64; 3], [[i32; 3]; 3])> = None;
        for h in hnf_matrices(d) {
            let m = nalgebra::Matrix3::from_fn(|i, j| h[i][j] as f64);
            let basis = m * p * fw.structure.lattice.matrix();
            let l = successive_minima_ang(&basis, d as i32);
            let better = |b: &[f64; 3]| {
                for (k, sign) in [(0, 1.0), (1, 1.0), (2, -1.0)] {
                    let diff = sign * (l[k] - b[k]);
                    if diff > 1e-6 {
                        return true;
                    }
                    if diff < -1e-6 {
                        return false;
                    }
                }
                false
            };
            if choice.as_ref().is_none_or(|(b, _)| better(b)) {
                choice = Some((l, h));
            }
        }
        Ok(choice
            .map(|(_, h)| h)
            .unwrap_or([[1, 0, 0], [0, 1, 0], [0, 0, 1]]))
    }

    fn cell(&mut self, m: [[i32; 3]; 3]) -> Result<&CellCache, EnumerateError> {
        if !self.cache.contains_key(&m) {
            let fw = &self.result.framework;
            let sc = Supercell::new(&fw.structure, &fw.symmetry, m)?;
            let orbit_sites: Vec<usize> = (0..sc.structure.num_sites())
                .filter(|&i| fw.orbit.contains(&sc.parent_site[i]))
                .collect();
            let tol = halo_symmetry::match_tolerance_ang(fw.symmetry.symprec_ang);
            let group = sc.permutation_group(
                &fw.symmetry.operations,
                &orbit_sites,
                &fw.symmetry.site_types,
                tol,
            )?;
            let n = sc.structure.num_sites();
            if n > 5000 {
                return Err(EnumerateError::Ordering(format!(
                    "supercell with {n} sites is too large for the Ewald sums"
                )));
            }
            let mut eta = 0.0;
            let mut potentials = |q: &[f64]| -> Result<Vec<f64>, EnumerateError> {
                let r = ewald_with_charges(&sc.structure, q, EwaldParams::default())?;
                eta = r.eta_per_ang2;
                Ok(r.site_potentials_v)
            };
            let mut a_oo = vec![vec![0.0; orbit_sites.len()]; orbit_sites.len()];
            for (l, &j) in orbit_sites.iter().enumerate() {
                let mut q = vec![0.0; n];
                q[j] = 1.0;
                let phi = potentials(&q)?;
                for (k, &i) in orbit_sites.iter().enumerate() {
                    a_oo[k][l] = phi[i];
                }
            }
            // background basis
            let mut in_li = vec![usize::MAX; fw.structure.num_sites()];
            for (k, o) in fw.li_orbits.iter().enumerate() {
                for &i in &o.sites {
                    in_li[i] = k;
                }
            }
            let mut basis = vec![vec![0.0; n]; fw.li_orbits.len() + 1];
            for (i, &p) in sc.parent_site.iter().enumerate() {
                if fw.orbit.contains(&p) {
                    continue;
                }
                if in_li[p] != usize::MAX {
                    basis[in_li[p] + 1][i] = 1.0;
                } else {
                    basis[0][i] = fw.structure.sites[p].charge()?;
                }
            }
            let phi_basis: Vec<Vec<f64>> = basis
                .iter()
                .map(|b| potentials(b))
                .collect::<Result<_, _>>()?;
            let m_basis: Vec<Vec<f64>> = basis
                .iter()
                .map(|b| {
                    phi_basis
                        .iter()
                        .map(|phi| b.iter().zip(phi).map(|(x, y)| x * y).sum())
                        .collect()
                })
                .collect();
            self.cache.insert(
                m,
                CellCache {
                    supercell: sc,
                    orbit_sites,
                    group,
                    a_oo,
                    phi_basis,
                    m_basis,
                    eta,
                },
            );
        }
        Ok(&self.cache[&m])
    }

    /// Symmetry-distinct orderings (exhaustive, lowest Ewald energy first) or seeded random
    /// orderings of the candidate's substituted orbit.
    pub fn orderings(
        &mut self,
        c: &Candidate,
        opt: &OrderingOptions,
    ) -> Result<OrderingResult, EnumerateError> {
        let result: &'a EnumerationResult = self.result;
        for (name, n) in [
            ("orderings", opt.max_orderings),
            ("random orderings", opt.n_random),
        ] {
            if n > MAX_ORDERINGS {
                return Err(EnumerateError::InvalidParameter {
                    name: "orderings",
                    reason: format!(
                        "{n} {name} per candidate is more than {MAX_ORDERINGS} (each is a \
                         structure written and kept; ask for the lowest few)"
                    ),
                });
            }
        }
        let colours = self.colours(c);
        let m = self.choose_supercell(&colours, opt)?;
        let avg_frame = self.average_on(c, &result.framework.structure.lattice)?;
        let fu_per_cell = result.framework.formula_units_per_cell.to_f64();
        let cell = self.cell(m)?;
        let sc = &cell.supercell;
        let n_orb = cell.orbit_sites.len();
        let (counts, composition_error) = colour_counts(&colours, n_orb);
        if composition_error > COMPOSITION_TOLERANCE {
            let needs = colours
                .iter()
                .map(|(sp, r)| {
                    let name = sp.map_or("vacancy".to_string(), |x| x.to_string());
                    format!("{name} {:.3}", r.to_f64() * n_orb as f64)
                })
                .collect::<Vec<_>>()
                .join(", ");
            return Err(EnumerateError::Incommensurate {
                candidate: format!("{} ({})", c.id, c.formula),
                max_det: opt.max_supercell_det,
                orbit_sites: n_orb,
                needs,
            });
        }
        let energy = OrderingEnergy::new(cell, result, c, &colours, &counts)?;
        let total = multinomial(&counts);
        let burnside = cell.group.burnside_count(&counts)?;
        let det_sc = sc.rows_parent_frac.determinant().abs();
        let fu_sc = fu_per_cell * det_sc;
        let (mut found, method, distinct, seed) = if total <= opt.max_colourings {
            let (found, k) = exhaustive_orderings(cell, &counts, &energy, burnside)?;
            (found, "exhaustive", Some(k), None)
        } else {
            let s = candidate_seed(opt.seed, &c.id);
            let found = random_orderings(cell, &counts, &energy, opt.n_random, s)?;
            (found, "random", None, Some(s))
        };
        found.sort_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.1.cmp(&b.1))
        });
        if method == "exhaustive" {
            found.truncate(opt.max_orderings);
        }
        let realisations = OrderedCells {
            cell,
            colours: &colours,
            avg_frame: &avg_frame,
            parent: &result.framework.structure,
            scale: c.lattice.scale,
            fu_sc,
        }
        .realise(found)?;
        Ok(OrderingResult {
            candidate_id: c.id.clone(),
            supercell_matrix: m,
            orbit_sites: n_orb,
            species: colours
                .iter()
                .map(|(s, _)| s.map_or("vacancy".to_string(), |x| x.to_string()))
                .collect(),
            counts,
            composition_error,
            group_order: cell.group.order(),
            total_colourings: total.to_string(),
            method,
            distinct_orderings: distinct,
            burnside_count: burnside,
            seed,
            realisations,
        })
    }
}

/// The successive minima λ1 ≤ λ2 ≤ λ3 (Å) of the lattice with basis rows `basis`: the shortest
/// vector, the shortest one not parallel to it, the shortest one out of their plane. A
/// supercell of index `index` over a primitive basis has its minima among the combinations
/// with coefficients up to `index` in the HNF basis (each HNF row is at most `index` primitive
/// vectors long), which are all tried.
fn successive_minima_ang(basis: &nalgebra::Matrix3<f64>, index: i32) -> [f64; 3] {
    let k = index.max(2);
    let mut v: Vec<nalgebra::Vector3<f64>> = Vec::new();
    for a in -k..=k {
        for b in -k..=k {
            for c in -k..=k {
                if (a, b, c) != (0, 0, 0) {
                    let x = nalgebra::RowVector3::new(a as f64, b as f64, c as f64) * basis;
                    v.push(x.transpose());
                }
            }
        }
    }
    v.sort_by(|x, y| x.norm_squared().total_cmp(&y.norm_squared()));
    let first = v[0];
    let tol = 1e-9 * first.norm_squared();
    let second = *v
        .iter()
        .find(|x| first.cross(x).norm_squared() > tol * x.norm_squared())
        .unwrap_or(&first);
    let normal = first.cross(&second);
    let third = *v
        .iter()
        .find(|x| normal.dot(x).abs() > 1e-6 * normal.norm() * x.norm())
        .unwrap_or(&second);
    [first.norm(), second.norm(), third.norm()]
}

/// Most orderings (exhaustive or random) one candidate may ask for.
pub const MAX_ORDERINGS: usize = 1000;

/// Largest |count − occupancy·N| of an ordered cell: round-off of the fractions' rational
/// representation; more is another composition ([`EnumerateError::Incommensurate`]).
const COMPOSITION_TOLERANCE: f64 = 1e-6;

/// An ordering found: Ewald energy (eV), colouring of the orbit sites, degeneracy (exhaustive).
type FoundOrdering = (f64, Vec<u8>, Option<usize>);

/// Number of orbit sites of each colour (largest remainder rounding of occupancy × `n_orb`) and
/// the largest rounding error.
fn colour_counts(colours: &[(Option<Species>, Rational)], n_orb: usize) -> (Vec<usize>, f64) {
    // counts: largest remainder rounding
    let exact: Vec<f64> = colours
        .iter()
        .map(|(_, r)| r.to_f64() * n_orb as f64)
        .collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut rem: Vec<(f64, usize)> = exact
        .iter()
        .enumerate()
        .map(|(k, x)| (x - x.floor(), k))
        .collect();
    rem.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut missing = n_orb - counts.iter().sum::<usize>();
    for (_, k) in rem {
        if missing == 0 {
            break;
        }
        counts[k] += 1;
        missing -= 1;
    }
    let composition_error = exact
        .iter()
        .zip(&counts)
        .map(|(x, &n)| (x - n as f64).abs())
        .fold(0.0, f64::max);
    (counts, composition_error)
}

/// The Ewald energy of a colouring of the orbit sites of one supercell (see the module docs):
/// background and net-charge terms fixed, orbit terms from the cached matrices.
struct OrderingEnergy<'c> {
    cell: &'c CellCache,
    /// Charge of each colour.
    colour_q: Vec<f64>,
    /// Potential of the background charges at every supercell site.
    phi_b: Vec<f64>,
    /// Background self-energy plus the net-charge term E_Q.
    e_fixed: f64,
    /// Length scale of the estimated lattice (energies are divided by it).
    scale: f64,
}

impl<'c> OrderingEnergy<'c> {
    /// The energy model of candidate `c` with `counts` sites of each colour in `cell`.
    fn new(
        cell: &'c CellCache,
        result: &EnumerationResult,
        c: &Candidate,
        colours: &[(Option<Species>, Rational)],
        counts: &[usize],
    ) -> Result<OrderingEnergy<'c>, EnumerateError> {
        let sc = &cell.supercell;
        let fw_orbit: &[usize] = &result.framework.orbit;
        let fw_li: Vec<(Vec<usize>, f64)> = result
            .framework
            .li_orbits
            .iter()
            .zip(&c.li_orbit_occupancies)
            .map(|(o, &x)| (o.sites.clone(), x))
            .collect();
        // background: w₀ = 1 (fixed charges), w_k = Li occupancy of Li-only orbit k
        let mut w = vec![1.0];
        w.extend(fw_li.iter().map(|(_, x)| *x));
        let n = sc.structure.num_sites();
        let phi_b: Vec<f64> = (0..n)
            .map(|i| w.iter().zip(&cell.phi_basis).map(|(wk, p)| wk * p[i]).sum())
            .collect();
        let mut e_bb = 0.0;
        for (k, wk) in w.iter().enumerate() {
            for (l, wl) in w.iter().enumerate() {
                e_bb += 0.5 * wk * wl * cell.m_basis[k][l];
            }
        }
        let q_background: f64 = {
            let mut q = 0.0;
            for i in 0..n {
                let p = sc.parent_site[i];
                if fw_orbit.contains(&p) {
                    continue;
                }
                q += match fw_li.iter().find(|(s, _)| s.contains(&p)) {
                    Some((_, x)) => *x,
                    None => result.framework.structure.sites[p].charge()?,
                };
            }
            q
        };
        let colour_q: Vec<f64> = colours
            .iter()
            .map(|(s, _)| s.map_or(0.0, |x| x.oxi()))
            .collect();
        let q_orbit: f64 = counts
            .iter()
            .zip(&colour_q)
            .map(|(&k, q)| k as f64 * q)
            .sum();
        let q_total = q_background + q_orbit;
        let vol = sc.structure.volume_ang3();
        let e_q = -halo_core::COULOMB_EV_ANG * std::f64::consts::PI * q_total * q_total
            / (2.0 * vol * cell.eta);
        Ok(OrderingEnergy {
            cell,
            colour_q,
            phi_b,
            e_fixed: e_bb + e_q,
            scale: c.lattice.scale,
        })
    }

    /// Ewald energy (eV) of colouring `col` on the estimated lattice.
    fn energy(&self, col: &[u8]) -> f64 {
        let (colour_q, orb) = (&self.colour_q, &self.cell.orbit_sites);
        let mut e = self.e_fixed;
        for (k, &ci) in col.iter().enumerate() {
            let qi = colour_q[ci as usize];
            if qi == 0.0 {
                continue;
            }
            let i = orb[k];
            e += qi * self.phi_b[i];
            for (l, &cj) in col.iter().enumerate() {
                let qj = colour_q[cj as usize];
                if qj != 0.0 {
                    e += 0.5 * qi * qj * self.cell.a_oo[k][l];
                }
            }
        }
        e / self.scale
    }
}

/// Every symmetry-distinct colouring with `counts` (orderly enumeration), with its energy and
/// degeneracy, and their number, checked against Burnside's count.
fn exhaustive_orderings(
    cell: &CellCache,
    counts: &[usize],
    energy: &OrderingEnergy,
    burnside: u128,
) -> Result<(Vec<FoundOrdering>, u128), EnumerateError> {
    let mut found: Vec<FoundOrdering> = Vec::new();
    let mut k = 0u128;
    let mut err = None;
    for_each_colouring(counts, |col| match cell.group.is_canonical(col) {
        Ok(true) => {
            k += 1;
            let deg = cell.group.orbit_size(col).ok();
            found.push((energy.energy(col), col.to_vec(), deg));
            true
        }
        Ok(false) => true,
        Err(e) => {
            err = Some(e);
            false
        }
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    if k != burnside {
        return Err(EnumerateError::Ordering(format!(
            "orderly enumeration found {k} orderings, Burnside's lemma gives {burnside}"
        )));
    }
    Ok((found, k))
}

/// `n_random` random colourings with `counts` from `seed`, with their energies (repeats of an
/// ordering dropped when the group is small enough to compare canonical forms).
fn random_orderings(
    cell: &CellCache,
    counts: &[usize],
    energy: &OrderingEnergy,
    n_random: usize,
    seed: u64,
) -> Result<Vec<FoundOrdering>, EnumerateError> {
    let n_orb = cell.orbit_sites.len();
    let mut found: Vec<FoundOrdering> = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut base: Vec<u8> = Vec::with_capacity(n_orb);
    for (k, &cnt) in counts.iter().enumerate() {
        base.extend(std::iter::repeat_n(k as u8, cnt));
    }
    let mut seen = BTreeSet::new();
    let cheap = cell.group.order() * n_orb <= 2_000_000;
    for _ in 0..n_random {
        let mut col = base.clone();
        col.shuffle(&mut rng);
        if cheap {
            let canon = cell.group.canonical_form(&col)?;
            if !seen.insert(canon) {
                continue;
            }
        }
        found.push((energy.energy(&col), col, None));
    }
    Ok(found)
}

/// What turns colourings of one supercell into ordered structures.
struct OrderedCells<'x> {
    cell: &'x CellCache,
    colours: &'x [(Option<Species>, Rational)],
    /// The average model on the framework lattice (gives every non-orbit site its species).
    avg_frame: &'x Structure,
    /// The framework structure.
    parent: &'x Structure,
    /// Length scale of the estimated lattice.
    scale: f64,
    /// Formula units per supercell.
    fu_sc: f64,
}

impl OrderedCells<'_> {
    /// The ordered structures of `found` (ranked in that order) on the scaled supercell.
    fn realise(
        &self,
        found: Vec<FoundOrdering>,
    ) -> Result<Vec<OrderedRealisation>, EnumerateError> {
        let lat = Lattice::new(self.cell.supercell.structure.lattice.matrix() * self.scale)?;
        let mut realisations = Vec::new();
        for (rank, (e, col, deg)) in found.into_iter().enumerate() {
            let sites = self.sites(&col);
            realisations.push(OrderedRealisation {
                rank,
                ewald_energy_ev: e,
                ewald_energy_ev_per_fu: e / self.fu_sc,
                degeneracy: deg,
                colouring: col,
                structure: Structure::new(lat.clone(), sites)?,
            });
        }
        Ok(realisations)
    }

    /// Sites of the supercell with the orbit coloured by `col` (vacancies and sites emptied in
    /// the average model dropped).
    fn sites(&self, col: &[u8]) -> Vec<Site> {
        let sc = &self.cell.supercell;
        let n = sc.structure.num_sites();
        let mut sites = Vec::with_capacity(n);
        let mut k_of = vec![usize::MAX; n];
        for (k, &i) in self.cell.orbit_sites.iter().enumerate() {
            k_of[i] = k;
        }
        for i in 0..n {
            let parent = sc.parent_site[i];
            let mut st = avg_frame_site(self.avg_frame, self.parent, parent)
                .unwrap_or_else(|| sc.structure.sites[i].clone());
            st.frac_coords = sc.structure.sites[i].frac_coords;
            if k_of[i] != usize::MAX {
                match self.colours[col[k_of[i]] as usize].0 {
                    Some(sp) => st.species = vec![(sp, 1.0)],
                    None => continue,
                }
            } else if st.species.is_empty() {
                continue;
            }
            sites.push(st);
        }
        // sites emptied in the average model (Li-only orbits at 0) are dropped
        sites
            .into_iter()
            .filter(|s| s.species.iter().all(|(_, o)| *o > 0.0))
            .collect()
    }
}

/// The site of the average model that corresponds to parent site `parent` (the average model
/// drops emptied sites, so map by position).
fn avg_frame_site(avg: &Structure, parent_structure: &Structure, parent: usize) -> Option<Site> {
    let f = parent_structure.sites[parent].frac_coords;
    avg.sites
        .iter()
        .find(|s| {
            let d = (s.frac_coords - f).map(|x| x - x.round());
            d.norm() < 1e-9
        })
        .cloned()
        .or_else(|| {
            // emptied: mark with no species so the caller drops it
            let mut s = parent_structure.sites[parent].clone();
            s.species.clear();
            Some(s)
        })
}
