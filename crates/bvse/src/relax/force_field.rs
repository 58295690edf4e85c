//! The force-field objective of the relaxation: a bond-valence force field of the anions in the
//! form of softBV's (Adams & Rao, Phys. Status Solidi A 208 (2011) 1746), with the cations and
//! the lattice fixed:
//!
//!   E = Σ_(X,c,image) o_X·o_c·(D0/2)·[(exp(α(Rmin − r)) − 1)² − 1]
//!     + Σ_(X<Y,image) o_X·o_Y·K·q_X·q_Y/√(n_X·n_Y) · erfc(r/(f·(rc_X + rc_Y)))/r,
//!
//! the Morse bond of every anion with every cation (mobile ions included, weighted by their
//! occupancy; D0, α, Rmin of the softBV set) and the screened Coulomb repulsion of the anions
//! with each other (K = 14.4 eV·Å, n and bvlain's f = 0.74 — fixed here, whatever screening
//! factor the landscape is given —; rc the softBV radius of the anion's own valence, 1.74 Å for
//! Cl−, 1.26 Å for F−). Cation–cation terms are constant
//! (the cations do not move) and left out.
//!
//! Two conventions were open — the full D0 (softBV's force field) or the landscape's D0/2
//! (bvlain's BVSE), and the softBV or the ASE radius — and were chosen on structures, before any
//! conductivity was computed: the relaxed anions of the 16 structures of `structures/` and the
//! validation set should stay where the refinements put them. The landscape's D0/2 with the
//! softBV radius moves them least (RMS displacement 0.05–0.08 Å in the spinels, 0.05 / 0.11 Å in
//! the C2/m refinements; the full D0 0.10–0.12 and 0.08 / 0.17; the ASE radius 0.15–0.19 and
//! 0.13–0.29), so it is the one here (`cargo run --release -p halo-bvse --example relax_survey`,
//! `results/anion_relaxation_survey.txt`). Pairs are listed within [`CUTOFF_ANG`] at the input geometry and followed as the anions
//! move (a Li–Cl Morse bond at 12 Å is −7e-7 eV, an anion pair's screened Coulomb term 1e-17 eV).
//!
//! Unlike the valence sums, which fix only each ion's total, the anion–anion repulsion gives
//! every anion a position of least energy: the energy has a true minimum near a real structure.

use super::{AnionEnergy, Anions};
use crate::error::BvseError;
use crate::framework::softbv_pair;
use crate::params::{BvseParams, BVLAIN_SCREENING_FACTOR};
use crate::potential::PairTerm;
use halo_core::{Species, Structure};
use halo_data::softbv;
use nalgebra::Vector3;

/// Pairs further apart than this at the input geometry are not listed, Å.
pub const CUTOFF_ANG: f64 = 12.0;

/// One pair term: anion `x` with a fixed point (`partner` None: a cation at `offset`) or with
/// anion `partner`'s image shifted by `offset` (Cartesian, Å). Its separation vector is
/// d = p_partner + offset − p_x (p_partner = 0 for a cation).
struct Pair {
    x: usize,
    partner: Option<usize>,
    offset: Vector3<f64>,
    weight: f64,
    term: PairTerm,
}

/// The force field of the anions' positions (see the module documentation).
pub(super) struct ForceField {
    pairs: Vec<Pair>,
}

/// (principal quantum number n, softBV radius in Å) of an anion species.
fn anion_props(sp: Species) -> Result<(f64, f64), BvseError> {
    let el = sp.element.symbol();
    let q = sp.oxidation_state.unwrap_or(0);
    let row = softbv::ion_props_with_valence(el, q).map_err(|_| BvseError::MissingIonProperty {
        element: sp.to_string(),
        what: "principal quantum number and softBV radius",
    })?;
    let rc = row
        .r_cov_softbv_ang
        .ok_or_else(|| BvseError::MissingIonProperty {
            element: sp.to_string(),
            what: "softBV radius",
        })?;
    Ok((row.n_principal as f64, rc))
}

impl ForceField {
    pub(super) fn new(structure: &Structure, anions: &Anions) -> Result<Self, BvseError> {
        let lattice = &structure.lattice;
        let params = BvseParams::default();
        // (n, rc, q) of each anion, and the Morse term of each (cation, anion) species pair,
        // looked up once (the tables are searched by name)
        let props = anions
            .list
            .iter()
            .map(|&(_, sp, _)| {
                anion_props(sp).map(|(n, rc)| (n, rc, sp.oxidation_state.unwrap_or(0) as f64))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut morse_terms: Vec<((Species, Species), PairTerm)> = Vec::new();
        let mut pairs = Vec::new();
        for (x, &(ks, anion, occ_x)) in anions.list.iter().enumerate() {
            let fx = structure.sites[ks].frac_coords;
            for (j, site) in structure.sites.iter().enumerate() {
                for &(sp, occ) in &site.species {
                    if sp.oxidation_state.unwrap_or(0) <= 0 {
                        continue;
                    }
                    let term = match morse_terms.iter().find(|(k, _)| *k == (sp, anion)) {
                        Some((_, t)) => *t,
                        None => {
                            let label = site.label.clone().unwrap_or_else(|| format!("#{j}"));
                            let row = softbv_pair(sp, anion, j, &label)?;
                            // the landscape's own Morse term, (D0/2)[…]
                            let t = PairTerm::Morse {
                                d0_ev: row.d0_ev,
                                alpha_per_ang: row.alpha_per_ang,
                                rmin_ang: row.rmin_ang,
                            };
                            morse_terms.push(((sp, anion), t));
                            t
                        }
                    };
                    for (img, _) in lattice.images_within(&fx, &site.frac_coords, CUTOFF_ANG) {
                        let f = site.frac_coords
                            + Vector3::new(img[0] as f64, img[1] as f64, img[2] as f64);
                        pairs.push(Pair {
                            x,
                            partner: None,
                            offset: lattice.cart(&f),
                            weight: occ_x * occ,
                            term,
                        });
                    }
                }
            }
            let (n_x, rc_x, q_x) = props[x];
            for (y, &(ky, _, occ_y)) in anions.list.iter().enumerate().skip(x + 1) {
                let (n_y, rc_y, q_y) = props[y];
                let term = PairTerm::Coulomb {
                    prefactor_ev_ang: params.coulomb_constant_ev_ang * q_x * q_y
                        / (n_x * n_y).sqrt(),
                    screening_length_ang: BVLAIN_SCREENING_FACTOR * (rc_x + rc_y),
                };
                let fy = structure.sites[ky].frac_coords;
                for (img, _) in lattice.images_within(&fx, &fy, CUTOFF_ANG) {
                    let shift =
                        lattice.cart(&Vector3::new(img[0] as f64, img[1] as f64, img[2] as f64));
                    pairs.push(Pair {
                        x,
                        partner: Some(y),
                        offset: shift,
                        weight: occ_x * occ_y,
                        term,
                    });
                }
            }
        }
        Ok(ForceField { pairs })
    }
}

impl AnionEnergy for ForceField {
    /// E (eV per cell) and dE/dp (eV/Å) at the anions' Cartesian coordinates `p`.
    fn eval(&self, p: &[f64], with_gradient: bool) -> (f64, Vec<f64>) {
        let pos = |x: usize| Vector3::new(p[3 * x], p[3 * x + 1], p[3 * x + 2]);
        let mut e = 0.0;
        let mut g = if with_gradient {
            vec![0.0; p.len()]
        } else {
            Vec::new()
        };
        for pair in &self.pairs {
            let partner = pair.partner.map_or(Vector3::zeros(), pos);
            let d = partner + pair.offset - pos(pair.x);
            let r = d.norm();
            e += pair.weight * pair.term.energy_ev(r);
            if with_gradient {
                // dE/dp_partner = E'(r)·d/r = −dE/dp_x
                let k = pair.weight * pair.term.derivative_ev_per_ang(r) / r;
                for a in 0..3 {
                    g[3 * pair.x + a] -= k * d[a];
                    if let Some(y) = pair.partner {
                        g[3 * y + a] += k * d[a];
                    }
                }
            }
        }
        (e, g)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{cl, distorted, li};
    use super::*;

    #[test]
    fn the_gradient_is_the_derivative_of_the_energy() {
        let s = distorted();
        let anions = Anions::new(&s).unwrap();
        let ff = ForceField::new(&s, &anions).unwrap();
        let p0 = anions.p0.clone();
        let (_, g) = ff.eval(&p0, true);
        let h = 1e-5;
        for i in 0..p0.len() {
            let (mut a, mut b) = (p0.clone(), p0.clone());
            a[i] += h;
            b[i] -= h;
            let fd = (ff.eval(&a, false).0 - ff.eval(&b, false).0) / (2.0 * h);
            assert!(
                (g[i] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "coordinate {i}: analytic {} vs finite difference {fd}",
                g[i]
            );
        }
        // a displaced anion feels a restoring force (every other anion sits on an inversion
        // centre of the ordered parts)
        assert!(g.iter().any(|v| v.abs() > 1e-3));
    }

    #[test]
    fn moving_one_chloride_changes_the_energy_as_a_lattice_sum_by_hand() {
        // ordered rock-salt LiCl, a = 5.13 Å: move the Cl at (a/2, 0, 0) by δ and sum, over
        // every lattice translation, the Li–Cl Morse terms and the Cl–Cl screened Coulomb terms
        // with the other Cl (its own images move with it), written out from the table's numbers
        // (Li+–Cl−: D0 0.493020 eV, α 1.577287 Å⁻¹, Rmin 2.396470 Å; Cl−: n 3, rc 1.74 Å)
        let a = 5.13;
        let s = Structure::rock_salt(li(), cl(), a).unwrap();
        let anions = Anions::new(&s).unwrap();
        let ff = ForceField::new(&s, &anions).unwrap();
        let x = anions
            .list
            .iter()
            .position(|&(k, _, _)| {
                (s.sites[k].frac_coords - Vector3::new(0.5, 0.0, 0.0)).norm() < 1e-9
            })
            .unwrap();
        let delta = Vector3::new(0.11, -0.07, 0.05);
        let mut p = anions.p0.clone();
        for k in 0..3 {
            p[3 * x + k] += delta[k];
        }
        let de = ff.eval(&p, false).0 - ff.eval(&anions.p0, false).0;

        let morse = |r: f64| {
            let e = (1.577287 * (2.396470 - r)).exp();
            0.5 * 0.493020 * ((e - 1.0).powi(2) - 1.0)
        };
        let coulomb = |r: f64| 14.4 / 3.0 * libm::erfc(r / (0.74 * 2.0 * 1.74)) / r;
        let cl0 = Vector3::new(0.5 * a, 0.0, 0.0);
        let fcc = [
            [0.0, 0.0, 0.0],
            [0.5, 0.5, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
        ];
        let mut by_hand = 0.0;
        for i in -4i32..=4 {
            for j in -4i32..=4 {
                for k in -4i32..=4 {
                    let t = Vector3::new(i as f64, j as f64, k as f64) * a;
                    for f in fcc {
                        let li_pos = Vector3::new(f[0], f[1], f[2]) * a + t;
                        let cl_pos = Vector3::new(f[0] + 0.5, f[1], f[2]) * a + t;
                        let (r0, r1) = ((li_pos - cl0).norm(), (li_pos - cl0 - delta).norm());
                        if r0 < CUTOFF_ANG {
                            by_hand += morse(r1) - morse(r0);
                        }
                        let other = (cl_pos - cl0).norm();
                        let own_image = f == [0.0, 0.0, 0.0];
                        if !own_image && other < CUTOFF_ANG {
                            by_hand += coulomb((cl_pos - cl0 - delta).norm()) - coulomb(other);
                        }
                    }
                }
            }
        }
        assert!(de > 0.01, "the ideal site is a minimum: ΔE = {de}");
        assert!((de - by_hand).abs() < 1e-9, "{de} vs {by_hand} by hand");
    }
}
