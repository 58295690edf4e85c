//! Ewald summation of the Coulomb energy of a periodic array of point charges.
//!
//! For charges q_i at r_i in a cell of volume V, with splitting parameter η (Å⁻²):
//!
//! E = E_real + E_recip + E_point + E_charged, in eV with k_e = 14.39964548 eV·Å,
//!
//! * E_real   = ½ k_e Σ_i Σ'_{j,n} q_i q_j erfc(√η |r_ij + n|) / |r_ij + n|
//! * E_recip  = k_e (2π/V) Σ_{G≠0} exp(−G²/4η)/G² |Σ_j q_j exp(iG·r_j)|²
//! * E_point  = −k_e √(η/π) Σ_i q_i²
//! * E_charged = −k_e π Q² / (2 V η) (neutralising background for a net charge Q)
//!
//! Parameters follow pymatgen's `EwaldSummation` (Ong et al., Comput. Mater. Sci. 68, 314 (2013)):
//! η = π (N w / V²)^{1/3} with w = 1/√2, accuracy factor A = √(ln 10^12),
//! r_max = A/√η, G_max = 2√η A. Mixed sites carry the occupancy-weighted charge Σ occ·q, exactly as
//! pymatgen's `compute_average_oxidation_state`. Site energies are pymatgen's `get_site_energy`
//! (row sums of the total energy matrix, without the charged-cell term); they add up to
//! E − E_charged.

use crate::error::CoreError;
use crate::structure::Structure;
use crate::COULOMB_EV_ANG;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Convergence parameters of an Ewald sum.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EwaldParams {
    /// Splitting parameter η in Å⁻²; `None` picks pymatgen's default.
    pub eta_per_ang2: Option<f64>,
    /// Accuracy factor (decimal digits), pymatgen default 12.
    pub acc_factor: f64,
}

impl Default for EwaldParams {
    fn default() -> Self {
        EwaldParams {
            eta_per_ang2: None,
            acc_factor: 12.0,
        }
    }
}

/// The result of an Ewald sum; energies in eV, the parameters actually used recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EwaldResult {
    pub total_energy_ev: f64,
    pub real_space_energy_ev: f64,
    pub reciprocal_space_energy_ev: f64,
    pub point_energy_ev: f64,
    pub charged_cell_energy_ev: f64,
    /// Per-site energies (pymatgen `get_site_energy`), eV.
    pub site_energies_ev: Vec<f64>,
    /// Electrostatic potential at each site from all other charges (∂E/∂q_i without the
    /// charged-cell term), in V (eV per e).
    pub site_potentials_v: Vec<f64>,
    pub eta_per_ang2: f64,
    pub real_cutoff_ang: f64,
    pub recip_cutoff_per_ang: f64,
}

/// Erfc, from the `libm` port of FreeBSD's msun (≤ 1 ulp).
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// Ewald sum with formal charges (occupancy-weighted on mixed sites).
pub fn ewald(structure: &Structure, params: EwaldParams) -> Result<EwaldResult, CoreError> {
    let charges: Vec<f64> = structure
        .sites
        .iter()
        .map(|s| s.charge())
        .collect::<Result<_, _>>()?;
    ewald_with_charges(structure, &charges, params)
}

/// Ewald sum for explicit charges (one per site, e).
pub fn ewald_with_charges(
    structure: &Structure,
    charges: &[f64],
    params: EwaldParams,
) -> Result<EwaldResult, CoreError> {
    let n = structure.num_sites();
    if charges.len() != n {
        return Err(CoreError::InvalidParameter {
            name: "charges",
            reason: format!("{} charges for {} sites", charges.len(), n),
        });
    }
    if !(params.acc_factor.is_finite() && params.acc_factor > 0.0) {
        return Err(CoreError::InvalidParameter {
            name: "acc_factor",
            reason: format!("{} is not positive", params.acc_factor),
        });
    }
    let vol = structure.volume_ang3();
    let eta = match params.eta_per_ang2 {
        Some(e) if e.is_finite() && e > 0.0 => e,
        Some(e) => {
            return Err(CoreError::InvalidParameter {
                name: "eta",
                reason: format!("{e} is not positive"),
            })
        }
        None => (n as f64 * std::f64::consts::FRAC_1_SQRT_2 / (vol * vol)).cbrt() * PI,
    };
    let sqrt_eta = eta.sqrt();
    let accf = (10f64.powf(params.acc_factor)).ln().sqrt();
    let rmax = accf / sqrt_eta;
    let gmax = 2.0 * sqrt_eta * accf;
    let carts: Vec<Vector3<f64>> = (0..n).map(|i| structure.cart_coords(i)).collect();

    // real space: potentials φ_i^real = Σ'_j q_j erfc(√η r)/r
    let mut phi_real = vec![0.0; n];
    let ranges = crate::neighbors::image_ranges(structure, rmax);
    let m = structure.lattice.matrix();
    let mut shifts = Vec::new();
    for a in -ranges[0]..=ranges[0] {
        for b in -ranges[1]..=ranges[1] {
            for c in -ranges[2]..=ranges[2] {
                shifts.push(
                    (m.row(0) * a as f64 + m.row(1) * b as f64 + m.row(2) * c as f64).transpose(),
                );
            }
        }
    }
    for i in 0..n {
        let mut acc = 0.0;
        for j in 0..n {
            if charges[j] == 0.0 {
                continue;
            }
            let d0 = carts[j] - carts[i];
            for s in &shifts {
                let r = (d0 + s).norm();
                if r < 1e-8 || r > rmax {
                    continue;
                }
                acc += charges[j] * erfc(sqrt_eta * r) / r;
            }
        }
        phi_real[i] = acc;
    }

    // reciprocal space: φ_i^recip = (4π/V) Σ_G f(G) Re(S(G) e^{-iG·r_i}), f = exp(−G²/4η)/G²
    let rec = structure.lattice.reciprocal_matrix();
    let rec_widths = {
        let r0: Vector3<f64> = rec.row(0).transpose();
        let r1: Vector3<f64> = rec.row(1).transpose();
        let r2: Vector3<f64> = rec.row(2).transpose();
        let v = r0.dot(&r1.cross(&r2)).abs();
        [
            v / r1.cross(&r2).norm(),
            v / r2.cross(&r0).norm(),
            v / r0.cross(&r1).norm(),
        ]
    };
    let hmax = [0, 1, 2].map(|i| (gmax / rec_widths[i]).ceil() as i32);
    let mut phi_recip = vec![0.0; n];
    for h in -hmax[0]..=hmax[0] {
        for k in -hmax[1]..=hmax[1] {
            for l in -hmax[2]..=hmax[2] {
                if h == 0 && k == 0 && l == 0 {
                    continue;
                }
                let g = (rec.row(0) * h as f64 + rec.row(1) * k as f64 + rec.row(2) * l as f64)
                    .transpose();
                let g2 = g.norm_squared();
                if g2 > gmax * gmax {
                    continue;
                }
                let f = (-g2 / (4.0 * eta)).exp() / g2;
                let (mut sr, mut si) = (0.0, 0.0);
                let phases: Vec<(f64, f64)> = carts
                    .iter()
                    .map(|r| {
                        let p = g.dot(r);
                        (p.cos(), p.sin())
                    })
                    .collect();
                for (j, &(c, s)) in phases.iter().enumerate() {
                    sr += charges[j] * c;
                    si += charges[j] * s;
                }
                for (i, &(c, s)) in phases.iter().enumerate() {
                    // Re(S e^{-iG·r_i}) = sr cos + si sin
                    phi_recip[i] += f * (sr * c + si * s);
                }
            }
        }
    }
    for p in phi_recip.iter_mut() {
        *p *= 4.0 * PI / vol;
    }

    let q_total: f64 = charges.iter().sum();
    let mut site_energies = vec![0.0; n];
    let mut potentials = vec![0.0; n];
    let (mut e_real, mut e_recip, mut e_point) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let q = charges[i];
        let real_i = 0.5 * q * phi_real[i] * COULOMB_EV_ANG;
        let recip_i = 0.5 * q * phi_recip[i] * COULOMB_EV_ANG;
        let point_i = -q * q * (eta / PI).sqrt() * COULOMB_EV_ANG;
        e_real += real_i;
        e_recip += recip_i;
        e_point += point_i;
        site_energies[i] = real_i + recip_i + point_i;
        potentials[i] = (phi_real[i] + phi_recip[i] - 2.0 * q * (eta / PI).sqrt()) * COULOMB_EV_ANG;
    }
    let e_charged = -COULOMB_EV_ANG * PI * q_total * q_total / (2.0 * vol * eta);
    Ok(EwaldResult {
        total_energy_ev: e_real + e_recip + e_point + e_charged,
        real_space_energy_ev: e_real,
        reciprocal_space_energy_ev: e_recip,
        point_energy_ev: e_point,
        charged_cell_energy_ev: e_charged,
        site_energies_ev: site_energies,
        site_potentials_v: potentials,
        eta_per_ang2: eta,
        real_cutoff_ang: rmax,
        recip_cutoff_per_ang: gmax,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Species;

    fn rocksalt(a: f64) -> Structure {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        Structure::rock_salt(li, cl, a).unwrap()
    }

    #[test]
    fn rocksalt_madelung_constant() {
        // E per ion pair = −M k_e / r0 with M = 1.747565 (NaCl structure), r0 = a/2
        let a = 5.13;
        let r = ewald(&rocksalt(a), EwaldParams::default()).unwrap();
        let per_pair = r.total_energy_ev / 4.0;
        let madelung = -per_pair * (a / 2.0) / COULOMB_EV_ANG;
        assert!((madelung - 1.747_564_594_6).abs() < 1e-8, "M = {madelung}");
        let sum: f64 = r.site_energies_ev.iter().sum();
        assert!((sum - r.total_energy_ev).abs() < 1e-9);
    }

    #[test]
    fn independent_of_eta() {
        let s = rocksalt(5.13);
        let e1 = ewald(&s, EwaldParams::default()).unwrap().total_energy_ev;
        let e2 = ewald(
            &s,
            EwaldParams {
                eta_per_ang2: Some(0.35),
                acc_factor: 14.0,
            },
        )
        .unwrap()
        .total_energy_ev;
        assert!((e1 - e2).abs() < 1e-7, "{e1} vs {e2}");
    }

    #[test]
    fn site_potential_rocksalt() {
        // potential at a cation: −M k_e/r0 · (1/q) … = −M·k_e/(a/2) for q_anion = −1
        let a = 5.13;
        let r = ewald(&rocksalt(a), EwaldParams::default()).unwrap();
        let want = -1.747_564_594_6 * COULOMB_EV_ANG / (a / 2.0);
        assert!((r.site_potentials_v[0] - want).abs() < 1e-6);
        assert!((r.site_potentials_v[1] + want).abs() < 1e-6);
    }
}
