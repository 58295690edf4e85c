//! Bond-valence relaxation of the anion sublattice before the landscape (docs/physics.md §9.9).
//!
//! BVSE takes the anions where the structure file puts them, and its barriers follow them
//! steeply: in the chlorospinels the 3D barrier moves by 29 eV per unit of the Cl parameter x,
//! 0.17 eV for the 0.006 that OBELiX-style noise (σ = 0.01 fractional) typically shifts it
//! (`scripts/anion_parameter_scan.py`, `results/anion_parameter_scan.md`). A measured structure
//! is the one whose bonds satisfy the valence-sum rule (Brown, *The Chemical Bond in Inorganic
//! Chemistry*, 2nd ed., OUP 2016, ch. 3); the relaxation moves the anions (every site holding
//! a negative species; the cations stay) to the minimum of the global instability index
//! (Salinas-Sanchez et al., J. Solid State Chem. 100 (1992) 201)
//!
//!   GII² = [ Σ_X w_X (S_X − V_X)² + Σ_(M,c) w_(M,c) (S_(M,c) − V_c)² ] / [ Σ_X w_X + Σ w_(M,c) ],
//!
//!   S_X = Σ_(M,c,image) o_(M,c)·s,   S_(M,c) = Σ_(X,image) o_X·s,   s = exp((R0 − R)/b),
//!
//! with the landscape's own softBV R0 and b (`halo_data::softbv`), o the occupancies and w = o.
//! The anion sums count every cation, the mobile ions included (they are part of the real
//! structure); the cation terms count the framework cations only (every species of a site that
//! holds a non-mobile cation), whose polyhedra the relaxation keeps at their valences. The bonds
//! are those with s ≥ 1e-6 at the input geometry (Li–Cl ≤ 10.2 Å, Sc–Cl ≤ 10.6 Å), listed once
//! and followed as the anions move: a bond that crosses 1e-6 on the way changes a sum by 1e-6, so
//! the GII is that of every bond to round-off, whatever the geometry (a cutoff at 0.001 would
//! cut through rock salt's 24-bond shell at 5.7 Å and move the GII by 1e-3 when an anion shifts);
//! the same list defines [`global_instability_index`] and the report's GII before. A relaxation that
//! would move an anion further than [`RelaxParams::max_displacement_ang`] is refused (the
//! structure is not near a bond-valence minimum).
//! Minimised by L-BFGS (argmin, Moré–Thuente line search) on the anions' Cartesian coordinates
//! with the analytic gradient.
//!
//! It undoes the noise on the anions: the five noisy copies of Li2Sc2/3Cl4 of the validation's
//! noise study, whose E_3D spread from 0.14 to 0.59 eV, all relax to E_3D = 0.387 eV.

use crate::error::BvseError;
use crate::saturation::{anions, BvCache};
use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use halo_core::{Element, Structure};
use nalgebra::Vector3;

/// Settings of the relaxation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelaxParams {
    /// Largest displacement of an anion, Å.
    pub max_displacement_ang: f64,
    /// Most L-BFGS iterations.
    pub max_iterations: u64,
    /// Keep the structure's space group (found with this tolerance, Å; moyo): the gradient is
    /// projected onto the displacements the group allows, so an anion on a special position
    /// stays on it and equivalent anions move alike. `None`: every anion free (P1).
    pub symprec_ang: Option<f64>,
}

impl Default for RelaxParams {
    fn default() -> Self {
        RelaxParams {
            max_displacement_ang: 0.5,
            max_iterations: 500,
            symprec_ang: Some(halo_symmetry::DEFAULT_SYMPREC_ANG),
        }
    }
}

/// The projection onto symmetric displacements of the anions: for every operation k (Cartesian
/// rotation R_k, anion permutation π_k), u'_(π_k(i)) += R_k·u_i / |G|.
struct Symmetrizer {
    rotations: Vec<nalgebra::Matrix3<f64>>,
    perms: Vec<Vec<usize>>,
}

impl Symmetrizer {
    fn new(
        structure: &Structure,
        anion_sites: &[usize],
        symprec_ang: f64,
    ) -> Result<Self, BvseError> {
        let err = |e: halo_symmetry::SymmetryError| relax_error(format!("symmetry: {e}"));
        let info = halo_symmetry::analyze(structure, symprec_ang).map_err(err)?;
        let perms = halo_symmetry::site_permutations(structure, &info).map_err(err)?;
        let m = structure.lattice.matrix().transpose(); // cart = m·frac
        let m_inv = m
            .try_inverse()
            .ok_or_else(|| relax_error("singular lattice".into()))?;
        let mut index = vec![usize::MAX; structure.sites.len()];
        for (x, &k) in anion_sites.iter().enumerate() {
            index[k] = x;
        }
        let mut anion_perms = Vec::with_capacity(perms.len());
        for p in &perms {
            let q: Vec<usize> = anion_sites.iter().map(|&k| index[p[k]]).collect();
            if q.contains(&usize::MAX) {
                return Err(relax_error(
                    "an operation maps an anion onto a cation".into(),
                ));
            }
            anion_perms.push(q);
        }
        Ok(Symmetrizer {
            rotations: info
                .operations
                .iter()
                .map(|op| m * op.rotation_f64() * m_inv)
                .collect(),
            perms: anion_perms,
        })
    }

    fn project(&self, u: &mut [f64]) {
        let n = u.len() / 3;
        let mut out = vec![0.0; u.len()];
        for (r, p) in self.rotations.iter().zip(&self.perms) {
            for i in 0..n {
                let v = r * Vector3::new(u[3 * i], u[3 * i + 1], u[3 * i + 2]);
                for a in 0..3 {
                    out[3 * p[i] + a] += v[a];
                }
            }
        }
        let g = self.rotations.len() as f64;
        for (o, x) in out.iter().zip(u.iter_mut()) {
            *x = o / g;
        }
    }
}

/// Bond valences smaller than this at the input are not listed.
const MIN_BOND_VALENCE: f64 = 1e-6;

/// What the relaxation did.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RelaxReport {
    /// GII before, valence units.
    pub gii_before: f64,
    /// GII after, valence units.
    pub gii_after: f64,
    /// Largest anion displacement, Å.
    pub max_displacement_ang: f64,
    /// RMS anion displacement, Å.
    pub rms_displacement_ang: f64,
    /// L-BFGS iterations.
    pub iterations: u64,
}

/// One listed bond: anion `x` (index into the anion list), cation site `site`, species `k` of
/// that site, the cation image's Cartesian position (fixed), R0 and b.
struct Bond {
    x: usize,
    term: Option<usize>,
    occ_cation: f64,
    cation_cart: Vector3<f64>,
    r0: f64,
    b: f64,
}

struct Problem {
    bonds: Vec<Bond>,
    /// (weight, valence) of each anion.
    anion_terms: Vec<(f64, f64)>,
    /// (weight, valence) of each framework cation species on a site.
    cation_terms: Vec<(f64, f64)>,
    /// Occupancy of each anion.
    anion_occ: Vec<f64>,
    total_weight: f64,
    symmetry: Option<Symmetrizer>,
}

impl Problem {
    /// GII² and its gradient with respect to the anions' Cartesian coordinates `p` (3 per anion).
    fn eval(&self, p: &[f64], with_gradient: bool) -> (f64, Vec<f64>) {
        let pos = |x: usize| Vector3::new(p[3 * x], p[3 * x + 1], p[3 * x + 2]);
        let mut s_anion = vec![0.0; self.anion_terms.len()];
        let mut s_cation = vec![0.0; self.cation_terms.len()];
        let mut s_bond = Vec::with_capacity(self.bonds.len());
        for b in &self.bonds {
            let d = pos(b.x) - b.cation_cart;
            let r = d.norm();
            let s = ((b.r0 - r) / b.b).exp();
            s_anion[b.x] += b.occ_cation * s;
            if let Some(t) = b.term {
                s_cation[t] += self.anion_occ[b.x] * s;
            }
            s_bond.push((s, r, d));
        }
        let mut f = 0.0;
        for (i, &(w, v)) in self.anion_terms.iter().enumerate() {
            f += w * (s_anion[i] - v).powi(2);
        }
        for (i, &(w, v)) in self.cation_terms.iter().enumerate() {
            f += w * (s_cation[i] - v).powi(2);
        }
        f /= self.total_weight;
        let mut g = Vec::new();
        if with_gradient {
            g = vec![0.0; p.len()];
            for (b, &(s, r, d)) in self.bonds.iter().zip(&s_bond) {
                let (w, v) = self.anion_terms[b.x];
                let mut coef = 2.0 * w * (s_anion[b.x] - v) * b.occ_cation;
                if let Some(t) = b.term {
                    let (wc, vc) = self.cation_terms[t];
                    coef += 2.0 * wc * (s_cation[t] - vc) * self.anion_occ[b.x];
                }
                // ds/dp_X = −(s/b)·(p_X − p_M)/r
                let k = -coef * s / (b.b * r) / self.total_weight;
                for a in 0..3 {
                    g[3 * b.x + a] += k * d[a];
                }
            }
            if let Some(sym) = &self.symmetry {
                sym.project(&mut g);
            }
        }
        (f, g)
    }
}

impl CostFunction for &Problem {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.eval(p, false).0)
    }
}

impl Gradient for &Problem {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.eval(p, true).1)
    }
}

/// The GII of `structure` with `mobile` as the mobile element (see the module documentation),
/// valence units.
pub fn global_instability_index(structure: &Structure, mobile: Element) -> Result<f64, BvseError> {
    let (problem, p0, _) = build(structure, mobile)?;
    Ok(problem.eval(&p0, false).0.sqrt())
}

fn build(
    structure: &Structure,
    mobile: Element,
) -> Result<(Problem, Vec<f64>, Vec<usize>), BvseError> {
    let lattice = &structure.lattice;
    let anion_list = anions(structure, "relax_anions")?;
    let mut cache = BvCache::default();
    let mut cation_terms = Vec::new();
    // term_of[site][species]: the cation term of that species, if it has one
    let mut term_of: Vec<Vec<Option<usize>>> = Vec::with_capacity(structure.sites.len());
    for site in &structure.sites {
        let framework = site
            .species
            .iter()
            .any(|(sp, _)| sp.oxidation_state.unwrap_or(0) > 0 && sp.element != mobile);
        let mut terms = Vec::with_capacity(site.species.len());
        for &(sp, occ) in &site.species {
            let q = sp.oxidation_state.unwrap_or(0);
            terms.push((framework && q > 0).then(|| {
                cation_terms.push((occ, q as f64));
                cation_terms.len() - 1
            }));
        }
        term_of.push(terms);
    }
    let mut bonds = Vec::new();
    let mut p0 = Vec::with_capacity(3 * anion_list.len());
    for (x, &(ks, anion, _)) in anion_list.iter().enumerate() {
        let fx = structure.sites[ks].frac_coords;
        let cx = lattice.cart(&fx);
        p0.extend([cx[0], cx[1], cx[2]]);
        for (j, site) in structure.sites.iter().enumerate() {
            for (k, &(sp, occ)) in site.species.iter().enumerate() {
                if sp.oxidation_state.unwrap_or(0) <= 0 {
                    continue;
                }
                let (r0, b) = cache.get(sp, anion, j, structure)?;
                let cut = r0 - b * MIN_BOND_VALENCE.ln();
                let term = term_of[j][k];
                for (img, _) in lattice.images_within(&fx, &site.frac_coords, cut) {
                    let f = site.frac_coords
                        + Vector3::new(img[0] as f64, img[1] as f64, img[2] as f64);
                    bonds.push(Bond {
                        x,
                        term,
                        occ_cation: occ,
                        cation_cart: lattice.cart(&f),
                        r0,
                        b,
                    });
                }
            }
        }
    }
    let anion_terms: Vec<(f64, f64)> = anion_list
        .iter()
        .map(|&(_, sp, occ)| (occ, -(sp.oxidation_state.unwrap_or(0) as f64)))
        .collect();
    let total_weight = anion_terms.iter().map(|t| t.0).sum::<f64>()
        + cation_terms.iter().map(|t: &(f64, f64)| t.0).sum::<f64>();
    if total_weight <= 0.0 {
        return Err(relax_error(
            "the structure has no anions and no framework cations".into(),
        ));
    }
    let anion_occ = anion_list.iter().map(|a| a.2).collect();
    let sites = anion_list.iter().map(|a| a.0).collect();
    Ok((
        Problem {
            bonds,
            anion_terms,
            cation_terms,
            anion_occ,
            total_weight,
            symmetry: None,
        },
        p0,
        sites,
    ))
}

/// `structure` with its anions moved to the minimum of the GII (see the module documentation),
/// and what was done. `mobile` is the mobile element (its ions count in the anion sums but have
/// no term of their own unless they share a site with a framework cation).
pub fn relax_anions(
    structure: &Structure,
    mobile: Element,
    params: &RelaxParams,
) -> Result<(Structure, RelaxReport), BvseError> {
    if !(params.max_displacement_ang.is_finite() && params.max_displacement_ang > 0.0) {
        return Err(BvseError::InvalidParameter {
            name: "max_displacement_ang",
            reason: format!("{} is not positive", params.max_displacement_ang),
        });
    }
    let (mut problem, p0, sites) = build(structure, mobile)?;
    if let Some(symprec) = params.symprec_ang {
        problem.symmetry = Some(Symmetrizer::new(structure, &sites, symprec)?);
    }
    let gii_before = problem.eval(&p0, false).0.sqrt();
    let line_search = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(line_search, 10)
        .with_tolerance_grad(1e-10)
        .and_then(|s| s.with_tolerance_cost(1e-14))
        .map_err(|e| relax_error(e.to_string()))?;
    let run = Executor::new(&problem, solver)
        .configure(|state| state.param(p0.clone()).max_iters(params.max_iterations))
        .run()
        .map_err(|e| relax_error(e.to_string()))?;
    let state = run.state();
    let best = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| relax_error("no iterate".into()))?;
    let gii_after = problem.eval(&best, false).0.sqrt();
    let mut out = structure.clone();
    let mut max_d: f64 = 0.0;
    let mut sum_d2 = 0.0;
    for (x, &ks) in sites.iter().enumerate() {
        let c = Vector3::new(best[3 * x], best[3 * x + 1], best[3 * x + 2]);
        let d = (c - Vector3::new(p0[3 * x], p0[3 * x + 1], p0[3 * x + 2])).norm();
        max_d = max_d.max(d);
        sum_d2 += d * d;
        out.sites[ks].frac_coords = structure.lattice.frac(&c).map(|v| v - v.floor());
    }
    if max_d.is_nan() || max_d > params.max_displacement_ang {
        return Err(relax_error(format!(
            "an anion would move {max_d:.2} Å (more than {} Å): the structure is far from a \
             bond-valence minimum",
            params.max_displacement_ang
        )));
    }
    Ok((
        out,
        RelaxReport {
            gii_before,
            gii_after,
            max_displacement_ang: max_d,
            rms_displacement_ang: (sum_d2 / sites.len().max(1) as f64).sqrt(),
            iterations: state.get_iter(),
        },
    ))
}

fn relax_error(reason: String) -> BvseError {
    BvseError::Relaxation(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo_core::{Lattice, Site, Species};

    fn li() -> Species {
        Species::parse("Li+").unwrap()
    }

    fn cl() -> Species {
        Species::parse("Cl-").unwrap()
    }

    /// Rock-salt LiCl with Al on part of the cation sites (a framework cation) and one Cl moved.
    fn distorted() -> Structure {
        let al = Species::parse("Al3+").unwrap();
        let mut s = Structure::rock_salt(li(), cl(), 5.13).unwrap();
        for site in s.sites.iter_mut() {
            if site.species[0].0 == li() && site.frac_coords.x < 0.25 {
                site.species = vec![(li(), 0.7), (al, 0.1)];
            }
        }
        let k = s.sites.iter().position(|x| x.species[0].0 == cl()).unwrap();
        s.sites[k].frac_coords += Vector3::new(0.012, -0.008, 0.005);
        s
    }

    #[test]
    fn the_gradient_is_the_derivative_of_the_gii() {
        let s = distorted();
        let (problem, p0, _) = build(&s, halo_core::Element::LI).unwrap();
        let (_, g) = problem.eval(&p0, true);
        let h = 1e-6;
        for i in 0..p0.len() {
            let mut a = p0.clone();
            let mut b = p0.clone();
            a[i] += h;
            b[i] -= h;
            let fd = (problem.eval(&a, false).0 - problem.eval(&b, false).0) / (2.0 * h);
            assert!(
                (g[i] - fd).abs() <= 1e-6 * fd.abs().max(1e-3),
                "coordinate {i}: analytic {} vs finite difference {fd}",
                g[i]
            );
        }
    }

    #[test]
    fn the_gii_is_the_bond_valence_sums_counted_by_hand() {
        // ideal rock salt: the cations around a Cl sit at (a/2)(i, j, k) with i + j + k odd
        // (6 at a/2, 8 at a√3/2, 24 at a√5/2, …); Li is mobile and has no term, so
        // GII = |S_Cl − 1| with only Li bonds
        let a = 5.13;
        let s = Structure::rock_salt(li(), cl(), a).unwrap();
        let (r0, b) = (1.39892, 0.634);
        let cut = r0 - b * MIN_BOND_VALENCE.ln();
        let mut s_cl = 0.0;
        for i in -10i32..=10 {
            for j in -10i32..=10 {
                for k in -10i32..=10 {
                    let r = 0.5 * a * ((i * i + j * j + k * k) as f64).sqrt();
                    if (i + j + k).rem_euclid(2) == 1 && r <= cut {
                        s_cl += ((r0 - r) / b).exp();
                    }
                }
            }
        }
        let gii = global_instability_index(&s, halo_core::Element::LI).unwrap();
        assert!(
            (gii - (s_cl - 1.0).abs()).abs() < 1e-12,
            "{gii} vs {}",
            (s_cl - 1.0).abs()
        );
    }

    #[test]
    fn a_displaced_anion_returns_and_the_gii_falls() {
        // ordered rock-salt LiCl with Li as a framework cation (the mobile element is Na): every
        // ion has a term, the ideal structure is the minimum, and a displaced Cl goes back
        let na = halo_core::Element::from_symbol("Na").unwrap();
        let ideal = Structure::rock_salt(li(), cl(), 5.13).unwrap();
        let k = ideal
            .sites
            .iter()
            .position(|x| x.species[0].0 == cl())
            .unwrap();
        let mut s = ideal.clone();
        s.sites[k].frac_coords += Vector3::new(0.012, -0.008, 0.005);
        let (r, report) = relax_anions(&s, na, &RelaxParams::default()).unwrap();
        let gii_ideal = global_instability_index(&ideal, na).unwrap();
        assert!(
            report.gii_before > gii_ideal + 1e-4,
            "{report:?} ideal {gii_ideal}"
        );
        assert!(
            (report.gii_after - gii_ideal).abs() < 1e-6,
            "{report:?} ideal {gii_ideal}"
        );
        let back = s
            .lattice
            .cart(&(r.sites[k].frac_coords - ideal.sites[k].frac_coords).map(|v| v - v.round()));
        assert!(
            back.norm() < 1e-3,
            "Cl ends {:.2e} Å from its ideal site",
            back.norm()
        );
        // the partly substituted cell: the GII falls and the cations do not move
        let s = distorted();
        let (r, report) =
            relax_anions(&s, halo_core::Element::LI, &RelaxParams::default()).unwrap();
        assert!(report.gii_after < report.gii_before, "{report:?}");
        assert!(report.max_displacement_ang < 0.5);
        // the cations did not move; the structure is otherwise unchanged
        for (a, b) in s.sites.iter().zip(&r.sites) {
            if a.species[0].0 != cl() {
                assert_eq!(a.frac_coords, b.frac_coords);
            }
            assert_eq!(a.species, b.species);
        }
        // relaxing again changes nothing to speak of
        let (_, again) = relax_anions(&r, halo_core::Element::LI, &RelaxParams::default()).unwrap();
        assert!(again.max_displacement_ang < 1e-3, "{again:?}");
        // the second relaxation lists its bonds at the relaxed geometry: equal to the 1e-6 bonds
        assert!(
            (again.gii_before - report.gii_after).abs() < 1e-5,
            "{again:?} {report:?}"
        );
    }

    #[test]
    fn a_relaxation_that_moves_an_anion_too_far_is_refused() {
        let s = distorted();
        let p = RelaxParams {
            max_displacement_ang: 1e-4,
            ..RelaxParams::default()
        };
        let e = relax_anions(&s, halo_core::Element::LI, &p)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("anion relaxation: ") && e.contains("far from a bond-valence minimum"),
            "{e}"
        );
        let no_anion = Structure::new(
            Lattice::cubic(4.0),
            vec![Site::ordered(li(), [0.0, 0.0, 0.0])],
        )
        .unwrap();
        let e = global_instability_index(&no_anion, halo_core::Element::LI)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no anions"), "{e}");
    }
}
