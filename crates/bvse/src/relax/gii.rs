//! The bond-valence objective of the relaxation: the global instability index (GII).

use super::{relax_error, AnionEnergy, Anions};
use crate::error::BvseError;
use crate::saturation::BvCache;
use halo_core::{Element, Structure};
use nalgebra::Vector3;

/// Bond valences smaller than this at the input are not listed.
pub(super) const MIN_BOND_VALENCE: f64 = 1e-6;

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

/// GII² of the anions' positions (see the module documentation of [`super`]).
pub(super) struct ValenceSums {
    bonds: Vec<Bond>,
    /// (weight, valence) of each anion.
    anion_terms: Vec<(f64, f64)>,
    /// (weight, valence) of each framework cation species on a site.
    cation_terms: Vec<(f64, f64)>,
    /// Occupancy of each anion.
    anion_occ: Vec<f64>,
    total_weight: f64,
}

impl AnionEnergy for ValenceSums {
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
        }
        (f, g)
    }
}

/// The GII of `structure` with `mobile` as the mobile element (see the module documentation),
/// valence units.
pub fn global_instability_index(structure: &Structure, mobile: Element) -> Result<f64, BvseError> {
    let anions = Anions::new(structure)?;
    Ok(ValenceSums::new(structure, mobile, &anions)?
        .eval(&anions.p0, false)
        .0
        .sqrt())
}

impl ValenceSums {
    pub(super) fn new(
        structure: &Structure,
        mobile: Element,
        anions: &Anions,
    ) -> Result<Self, BvseError> {
        let lattice = &structure.lattice;
        let anion_list = &anions.list;
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
        for (x, &(ks, anion, _)) in anion_list.iter().enumerate() {
            let fx = structure.sites[ks].frac_coords;
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
        Ok(ValenceSums {
            bonds,
            anion_terms,
            cation_terms,
            anion_occ,
            total_weight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{cl, distorted, li};
    use super::*;

    #[test]
    fn the_gradient_is_the_derivative_of_the_gii() {
        let s = distorted();
        let anions = Anions::new(&s).unwrap();
        let problem = ValenceSums::new(&s, halo_core::Element::LI, &anions).unwrap();
        let p0 = anions.p0.clone();
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
}
