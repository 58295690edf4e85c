//! The BVSE pair terms (PHYSICS.md §3) and their radial interpolation tables.
//!
//! For a mobile ion M (charge q_M) at distance r from framework ion j:
//!
//! * counter-ion (q_j·q_M < 0), softBV Morse term, halved as in bvlain 0.25.1:
//!   `E = (D0/2)·[(exp(α(Rmin − r)) − 1)² − 1]`, α = 1/b
//!   (Chen & Adams, IUCrJ 4 (2017) 614; Chen, Wong & Adams, Acta Cryst. B75 (2019) 18);
//! * like-charged ion (q_j·q_M > 0), screened Coulomb repulsion:
//!   `E = K·q_M·q_j/√(n_M·n_j)/r · erfc(r / (f·(rc_M + rc_j)))`, K = 14.4 eV·Å, f = 0.74,
//!   n = principal quantum number, rc = covalent radius (ASE/Cordero set, bvlain's default).
//!
//! Each framework site becomes one [`SiteKind`]: the occupancy-weighted sum of the terms of the
//! species on it. Kinds are tabulated as piecewise cubic Hermite polynomials in r (exact values and
//! derivatives at the knots); below [`TABLE_R_MIN_ANG`] the exact expression is used.

use serde::{Deserialize, Serialize};

/// Below this distance (Å) the tables fall back to the exact expressions (the Coulomb term is
/// singular at r = 0).
pub const TABLE_R_MIN_ANG: f64 = 0.5;

/// 2/√π.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// One radial interaction of the mobile ion with one framework species.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum PairTerm {
    /// `(D0/2)·[(exp(α(Rmin − r)) − 1)² − 1]`.
    Morse {
        d0_ev: f64,
        alpha_per_ang: f64,
        rmin_ang: f64,
    },
    /// `prefactor/r · erfc(r / screening_length)` with prefactor = K q_M q_j / √(n_M n_j).
    Coulomb {
        prefactor_ev_ang: f64,
        screening_length_ang: f64,
    },
}

impl PairTerm {
    /// Energy at distance `r_ang`, eV (+∞ for the Coulomb term at r = 0).
    #[inline]
    pub fn energy_ev(&self, r_ang: f64) -> f64 {
        match *self {
            PairTerm::Morse {
                d0_ev,
                alpha_per_ang,
                rmin_ang,
            } => {
                let e = (alpha_per_ang * (rmin_ang - r_ang)).exp();
                d0_ev * ((e - 1.0) * (e - 1.0) - 1.0) / 2.0
            }
            PairTerm::Coulomb {
                prefactor_ev_ang,
                screening_length_ang,
            } => prefactor_ev_ang * (1.0 / r_ang) * libm::erfc(r_ang / screening_length_ang),
        }
    }

    /// dE/dr at `r_ang`, eV/Å.
    pub fn derivative_ev_per_ang(&self, r_ang: f64) -> f64 {
        match *self {
            PairTerm::Morse {
                d0_ev,
                alpha_per_ang,
                rmin_ang,
            } => {
                let e = (alpha_per_ang * (rmin_ang - r_ang)).exp();
                -alpha_per_ang * d0_ev * (e * e - e)
            }
            PairTerm::Coulomb {
                prefactor_ev_ang: a,
                screening_length_ang: s,
            } => {
                let x = r_ang / s;
                -a * (TWO_OVER_SQRT_PI / s * (-x * x).exp() / r_ang
                    + libm::erfc(x) / (r_ang * r_ang))
            }
        }
    }
}

/// The potential of one framework site: Σ_species occupancy · term.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteKind {
    /// (occupancy weight, term) pairs.
    pub terms: Vec<(f64, PairTerm)>,
}

impl SiteKind {
    /// Exact energy at `r_ang`, eV.
    #[inline]
    pub fn energy_ev(&self, r_ang: f64) -> f64 {
        self.terms.iter().map(|(w, t)| w * t.energy_ev(r_ang)).sum()
    }

    /// Exact dE/dr, eV/Å.
    pub fn derivative_ev_per_ang(&self, r_ang: f64) -> f64 {
        self.terms
            .iter()
            .map(|(w, t)| w * t.derivative_ev_per_ang(r_ang))
            .sum()
    }
}

/// A site kind tabulated on [TABLE_R_MIN_ANG, r_max] with cubic Hermite pieces of width h.
///
/// Interpolation error ≤ h⁴/384 · max|E⁗| on each piece.
#[derive(Clone, Debug)]
pub struct RadialTable {
    kind: SiteKind,
    inv_h: f64,
    /// Polynomial coefficients c0..c3 in t ∈ [0, 1] per piece.
    coef: Vec<[f64; 4]>,
    exact: bool,
}

impl RadialTable {
    /// Tabulate `kind` up to `r_max_ang` with spacing `h_ang`; `None` keeps exact evaluation.
    pub fn new(kind: SiteKind, r_max_ang: f64, h_ang: Option<f64>) -> Self {
        let Some(h) = h_ang else {
            return RadialTable {
                kind,
                inv_h: 0.0,
                coef: Vec::new(),
                exact: true,
            };
        };
        let n = (((r_max_ang - TABLE_R_MIN_ANG) / h).ceil() as usize).max(1) + 1;
        let mut coef = Vec::with_capacity(n);
        let knot = |i: usize| TABLE_R_MIN_ANG + i as f64 * h;
        let mut f0 = kind.energy_ev(knot(0));
        let mut d0 = kind.derivative_ev_per_ang(knot(0)) * h;
        for i in 0..n {
            let f1 = kind.energy_ev(knot(i + 1));
            let d1 = kind.derivative_ev_per_ang(knot(i + 1)) * h;
            coef.push([
                f0,
                d0,
                3.0 * (f1 - f0) - 2.0 * d0 - d1,
                2.0 * (f0 - f1) + d0 + d1,
            ]);
            f0 = f1;
            d0 = d1;
        }
        RadialTable {
            kind,
            inv_h: 1.0 / h,
            coef,
            exact: false,
        }
    }

    /// Energy at `r_ang` for a pair that is kept only when `inside` (a branch-free form of
    /// [`RadialTable::energy_ev`] for the hot loop: `r_ang` beyond the table is clamped and its
    /// value discarded by the mask).
    #[inline]
    pub fn energy_ev_masked(&self, r_ang: f64, inside: bool) -> f64 {
        if self.exact || r_ang < TABLE_R_MIN_ANG {
            return if inside {
                self.kind.energy_ev(r_ang)
            } else {
                0.0
            };
        }
        let x = (r_ang - TABLE_R_MIN_ANG) * self.inv_h;
        let i = (x as usize).min(self.coef.len() - 1);
        let t = x - i as f64;
        let c = &self.coef[i];
        let v = c[0] + t * (c[1] + t * (c[2] + t * c[3]));
        if inside {
            v
        } else {
            0.0
        }
    }

    /// The tabulated site kind.
    pub fn kind(&self) -> &SiteKind {
        &self.kind
    }

    /// Energy at `r_ang` (interpolated on the table range, exact elsewhere), eV.
    #[inline]
    pub fn energy_ev(&self, r_ang: f64) -> f64 {
        if self.exact || r_ang < TABLE_R_MIN_ANG {
            return self.kind.energy_ev(r_ang);
        }
        let x = (r_ang - TABLE_R_MIN_ANG) * self.inv_h;
        let i = x as usize;
        if i >= self.coef.len() {
            return self.kind.energy_ev(r_ang);
        }
        let t = x - i as f64;
        let c = &self.coef[i];
        c[0] + t * (c[1] + t * (c[2] + t * c[3]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn li_cl_kind() -> SiteKind {
        SiteKind {
            terms: vec![(
                1.0,
                PairTerm::Morse {
                    d0_ev: 0.3,
                    alpha_per_ang: 1.9,
                    rmin_ang: 2.4,
                },
            )],
        }
    }

    fn mixed_cation_kind() -> SiteKind {
        let k = |q: f64, n: f64, rc: f64| PairTerm::Coulomb {
            prefactor_ev_ang: 14.4 * q / (2.0 * n).sqrt(),
            screening_length_ang: 0.74 * (1.28 + rc),
        };
        SiteKind {
            terms: vec![(0.164, k(3.0, 4.0, 1.70)), (0.161, k(3.0, 5.0, 1.42))],
        }
    }

    #[test]
    fn morse_minimum_is_minus_half_d0_at_rmin() {
        let k = li_cl_kind();
        assert!((k.energy_ev(2.4) + 0.15).abs() < 1e-15);
        assert!(k.derivative_ev_per_ang(2.4).abs() < 1e-15);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for k in [li_cl_kind(), mixed_cation_kind()] {
            for r in [0.7, 1.3, 2.0, 3.7, 6.0, 9.5] {
                let h = 1e-6;
                let fd = (k.energy_ev(r + h) - k.energy_ev(r - h)) / (2.0 * h);
                let an = k.derivative_ev_per_ang(r);
                assert!(
                    (fd - an).abs() < 1e-6 * (1.0 + an.abs()),
                    "r={r} fd={fd} an={an}"
                );
            }
        }
    }

    #[test]
    fn table_matches_exact_everywhere() {
        for k in [li_cl_kind(), mixed_cation_kind()] {
            let t = RadialTable::new(k.clone(), 10.0, Some(1.0 / 256.0));
            let mut worst: f64 = 0.0;
            let mut r = 0.3;
            while r < 10.0 {
                worst = worst.max((t.energy_ev(r) - k.energy_ev(r)).abs());
                r += 0.000_731;
            }
            assert!(worst < 5e-8, "worst table error {worst}");
        }
    }
}
