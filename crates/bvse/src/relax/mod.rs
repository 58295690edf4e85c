//! Relaxation of the anion sublattice before the landscape (docs/physics.md §9.9, §9.10).
//!
//! BVSE takes the anions where the structure file puts them, and its barriers follow them
//! steeply: in the chlorospinels the 3D barrier moves by 29 eV per unit of the Cl parameter x,
//! 0.17 eV for the 0.006 that OBELiX-style noise (σ = 0.01 fractional) typically shifts it
//! (`scripts/anion_parameter_scan.py`, `results/anion_parameter_scan.md`). A measured structure
//! is the one whose bonds satisfy the valence-sum rule (Brown, *The Chemical Bond in Inorganic
//! Chemistry*, 2nd ed., OUP 2016, ch. 3). The relaxation moves the anions (every site holding
//! a negative species; the cations and the lattice stay) to the minimum of one of two energies
//! ([`RelaxEnergy`]), by the same driver (an [`AnionEnergy`] seam). The first,
//! [`RelaxEnergy::ValenceSums`] ([`gii`]), is the square of the global instability index
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
//! noise study, whose E_3D spread from 0.14 to 0.59 eV, all relax to E_3D = 0.387 eV. But valence
//! sums fix only each ion's total: in the monoclinic Li3MCl6 refinements and Li3AlF6 an anion
//! slides more than 0.5 Å along a direction that keeps its sums. The second,
//! [`RelaxEnergy::ForceField`] ([`force_field`]), is a bond-valence force field in softBV's form
//! (Morse bonds to the cations, screened Coulomb repulsion between the anions): its anion–anion
//! term gives each anion a position of least energy. A run that stops on the iteration cap
//! instead of its tolerances is refused as well (its structure is no minimum of anything).

mod force_field;
mod gii;

pub use force_field::CUTOFF_ANG as FORCE_FIELD_CUTOFF_ANG;
pub use gii::global_instability_index;

use crate::error::BvseError;
use crate::saturation::anions;
use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use halo_core::{Element, Species, Structure};
use nalgebra::Vector3;

/// The energy the anions are moved to the minimum of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelaxEnergy {
    /// GII², the valence-sum rule ([`gii`]).
    #[default]
    ValenceSums,
    /// The softBV bond-valence force field ([`force_field`]).
    ForceField,
}

impl RelaxEnergy {
    /// The name used in options and records: `valence_sums` or `force_field`.
    pub fn name(self) -> &'static str {
        match self {
            RelaxEnergy::ValenceSums => "valence_sums",
            RelaxEnergy::ForceField => "force_field",
        }
    }

    /// The energy named `name` (see [`RelaxEnergy::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [RelaxEnergy::ValenceSums, RelaxEnergy::ForceField]
            .into_iter()
            .find(|e| e.name() == name)
    }
}

/// An energy of the anions' Cartesian coordinates (3 per anion, in the order of [`Anions`]):
/// the seam between the relaxation's driver and its objectives.
pub(crate) trait AnionEnergy {
    /// The energy at `p` and, when `with_gradient`, its gradient (empty otherwise).
    fn eval(&self, p: &[f64], with_gradient: bool) -> (f64, Vec<f64>);
}

/// The anions that move: (site index, species, occupancy) and their Cartesian coordinates.
pub(crate) struct Anions {
    list: Vec<(usize, Species, f64)>,
    p0: Vec<f64>,
}

impl Anions {
    fn new(structure: &Structure) -> Result<Self, BvseError> {
        let list = anions(structure, "relax_anions")?;
        let mut p0 = Vec::with_capacity(3 * list.len());
        for &(ks, _, _) in &list {
            let c = structure.lattice.cart(&structure.sites[ks].frac_coords);
            p0.extend([c[0], c[1], c[2]]);
        }
        Ok(Anions { list, p0 })
    }

    fn sites(&self) -> Vec<usize> {
        self.list.iter().map(|a| a.0).collect()
    }
}

/// Settings of the relaxation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelaxParams {
    /// The energy minimised.
    pub energy: RelaxEnergy,
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
            energy: RelaxEnergy::default(),
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
    /// The energy minimised.
    pub energy: RelaxEnergy,
    /// Force-field energy before and after, eV per cell (force-field relaxations only).
    pub force_field_ev: Option<(f64, f64)>,
    /// L-BFGS iterations (to the gradient or cost tolerance: a run that stops otherwise is an
    /// error, not a structure).
    pub iterations: u64,
}

/// The driver's view of an objective: the energy, its gradient projected onto the symmetric
/// displacements when a space group is kept.
struct Problem<'a> {
    energy: &'a dyn AnionEnergy,
    symmetry: Option<Symmetrizer>,
}

impl Problem<'_> {
    fn eval(&self, p: &[f64], with_gradient: bool) -> (f64, Vec<f64>) {
        let (e, mut g) = self.energy.eval(p, with_gradient);
        if with_gradient {
            if let Some(sym) = &self.symmetry {
                sym.project(&mut g);
            }
        }
        (e, g)
    }
}

impl CostFunction for &Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.eval(p, false).0)
    }
}

impl Gradient for &Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.eval(p, true).1)
    }
}

/// `structure` with its anions moved to the minimum of `params.energy` (see the module
/// documentation), and what was done. `mobile` is the mobile element (its ions count in the
/// anion sums and bond to the anions in the force field, weighted by occupancy, but have no
/// valence-sum term of their own unless they share a site with a framework cation).
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
    let anions = Anions::new(structure)?;
    let sites = anions.sites();
    let p0 = anions.p0.clone();
    let valence_sums = gii::ValenceSums::new(structure, mobile, &anions)?;
    let force_field = match params.energy {
        RelaxEnergy::ValenceSums => None,
        RelaxEnergy::ForceField => Some(force_field::ForceField::new(structure, &anions)?),
    };
    // tolerances on the gradient's norm and the cost's change, in the objective's units
    // (GII², v.u.²; force field, eV/Å and eV)
    let (energy, tol_grad, tol_cost): (&dyn AnionEnergy, f64, f64) = match &force_field {
        None => (&valence_sums, 1e-10, 1e-14),
        Some(ff) => (ff, 1e-6, 1e-12),
    };
    let symmetry = match params.symprec_ang {
        Some(symprec) => Some(Symmetrizer::new(structure, &sites, symprec)?),
        None => None,
    };
    let problem = Problem { energy, symmetry };
    let gii_before = valence_sums.eval(&p0, false).0.sqrt();
    let line_search = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(line_search, 10)
        .with_tolerance_grad(tol_grad)
        .and_then(|s| s.with_tolerance_cost(tol_cost))
        .map_err(|e| relax_error(e.to_string()))?;
    let run = Executor::new(&problem, solver)
        .configure(|state| state.param(p0.clone()).max_iters(params.max_iterations))
        .run()
        .map_err(|e| relax_error(e.to_string()))?;
    let state = run.state();
    let status = state.get_termination_status();
    let converged = matches!(
        status,
        TerminationStatus::Terminated(
            TerminationReason::SolverConverged | TerminationReason::TargetCostReached
        )
    );
    if !converged {
        let why = state
            .get_termination_reason()
            .map_or("not terminated", |r| r.text());
        return Err(relax_error(format!(
            "L-BFGS stopped before a minimum ({why} after {} iterations)",
            state.get_iter()
        )));
    }
    let best = state
        .get_best_param()
        .cloned()
        .ok_or_else(|| relax_error("no iterate".into()))?;
    let gii_after = valence_sums.eval(&best, false).0.sqrt();
    let force_field_ev = force_field
        .as_ref()
        .map(|ff| (ff.eval(&p0, false).0, ff.eval(&best, false).0));
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
             minimum of the {}",
            params.max_displacement_ang,
            match params.energy {
                RelaxEnergy::ValenceSums => "bond-valence sums (GII)",
                RelaxEnergy::ForceField => "bond-valence force field",
            }
        )));
    }
    Ok((
        out,
        RelaxReport {
            gii_before,
            gii_after,
            max_displacement_ang: max_d,
            rms_displacement_ang: (sum_d2 / sites.len().max(1) as f64).sqrt(),
            energy: params.energy,
            force_field_ev,
            iterations: state.get_iter(),
        },
    ))
}

pub(crate) fn relax_error(reason: String) -> BvseError {
    BvseError::Relaxation(reason)
}

/// Test structures shared by the relaxation's tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use halo_core::{Species, Structure};
    use nalgebra::Vector3;

    pub(crate) fn li() -> Species {
        Species::parse("Li+").unwrap()
    }

    pub(crate) fn cl() -> Species {
        Species::parse("Cl-").unwrap()
    }

    /// Rock-salt LiCl with Al on part of the cation sites (a framework cation) and one Cl moved.
    pub(crate) fn distorted() -> Structure {
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
}

#[cfg(test)]
mod tests {
    use super::fixtures::{cl, distorted, li};
    use super::*;
    use halo_core::{Lattice, Site};

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
    fn a_relaxation_stopped_by_the_iteration_cap_is_refused() {
        let p = RelaxParams {
            max_iterations: 1,
            ..RelaxParams::default()
        };
        let e = relax_anions(&distorted(), halo_core::Element::LI, &p)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("L-BFGS stopped before a minimum (Maximum number of iterations reached after 1 iterations)"),
            "{e}"
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
            e.starts_with("anion relaxation: ")
                && e.contains("far from a minimum of the bond-valence sums"),
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
