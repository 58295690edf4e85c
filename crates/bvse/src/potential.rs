//! The BVSE pair terms (docs/physics.md §3.2) and their radial interpolation tables.
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

    /// `acc[q] += E(√d2[q])` for every q, keeping only pairs with d2[q] ≤ `limit[q]` when a limit
    /// is given (the same values as [`RadialTable::energy_ev_masked`], term by term).
    /// `near_core` says that some r may lie below [`TABLE_R_MIN_ANG`]; otherwise the loop never
    /// branches. `SIMD`: the caller runs with AVX2 enabled (x86_64 only; see
    /// [`PieceScratch::pieces`]); every path gives the same bits.
    #[inline(always)]
    pub(crate) fn accumulate<const SIMD: bool>(
        &self,
        d2: &[f64],
        acc: &mut [f64],
        limit: Option<&[f64]>,
        near_core: bool,
        scratch: &mut PieceScratch,
    ) {
        let n = d2.len().min(acc.len());
        let (d2, acc) = (&d2[..n], &mut acc[..n]);
        if let Some(l) = limit {
            assert!(l.len() >= n, "one limit per point");
        }
        if self.exact || near_core {
            for q in 0..n {
                let inside = limit.is_none_or(|l| d2[q] <= l[q]);
                acc[q] += self.energy_ev_masked(d2[q].sqrt(), inside);
            }
            return;
        }
        let (piece, frac) = scratch.pieces::<SIMD>(self, d2);
        let done = if SIMD {
            simd::accumulate(&self.coef, d2, piece, frac, acc, limit)
        } else {
            0
        };
        for q in done..n {
            let v = self.poly(piece[q], frac[q]);
            acc[q] += if limit.is_none_or(|l| d2[q] <= l[q]) {
                v
            } else {
                0.0
            };
        }
    }

    /// `e + Σ E(√d2[u])` over the u with d2[u] ≤ `limit` (terms as in
    /// [`RadialTable::accumulate`]), summed in four interleaved partial sums (u mod 4, the
    /// remainder in the first) that are then added as e + ((s0 + s1) + (s2 + s3)).
    #[inline(always)]
    pub(crate) fn sum_up_to<const SIMD: bool>(
        &self,
        e: f64,
        d2: &[f64],
        limit: f64,
        near_core: bool,
        scratch: &mut PieceScratch,
    ) -> f64 {
        let mut part = [0.0f64; 4];
        if self.exact || near_core {
            for (u, &s) in d2.iter().enumerate() {
                part[u % 4] += self.energy_ev_masked(s.sqrt(), s <= limit);
            }
        } else {
            let (piece, frac) = scratch.pieces::<SIMD>(self, d2);
            let n4 = d2.len() / 4 * 4;
            if SIMD {
                part = simd::sum_up_to(&self.coef, &d2[..n4], piece, frac, limit);
            } else {
                for ((s, i), t) in d2[..n4]
                    .chunks_exact(4)
                    .zip(piece[..n4].chunks_exact(4))
                    .zip(frac[..n4].chunks_exact(4))
                {
                    for l in 0..4 {
                        let v = self.poly(i[l], t[l]);
                        part[l] += if s[l] <= limit { v } else { 0.0 };
                    }
                }
            }
            for ((&s, &i), &t) in d2[n4..].iter().zip(&piece[n4..]).zip(&frac[n4..]) {
                let v = self.poly(i, t);
                part[0] += if s <= limit { v } else { 0.0 };
            }
        }
        e + ((part[0] + part[1]) + (part[2] + part[3]))
    }

    /// The cubic of piece `i` at `t`.
    #[inline(always)]
    fn poly(&self, i: i32, t: f64) -> f64 {
        let c = &self.coef[(i as usize).min(self.coef.len() - 1)];
        c[0] + t * (c[1] + t * (c[2] + t * c[3]))
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

/// Scratch buffers of the table loops: piece index and offset t per distance.
#[derive(Default)]
pub(crate) struct PieceScratch {
    piece: Vec<i32>,
    frac: Vec<f64>,
}

impl PieceScratch {
    /// For every d2: x = (√d2 − r_min)/h, i = ⌊x⌋ clamped to the table, t = x − i (the same
    /// operations as [`RadialTable::energy_ev_masked`], so every path gives the same bits).
    ///
    /// `SIMD` (AVX2 enabled) computes ⌊x⌋ with a floating-point floor, which vectorises, instead
    /// of a conversion; both give the same i and t.
    #[inline(always)]
    fn pieces<const SIMD: bool>(&mut self, table: &RadialTable, d2: &[f64]) -> (&[i32], &[f64]) {
        let n = d2.len();
        if self.piece.len() < n {
            self.piece.resize(n, 0);
            self.frac.resize(n, 0.0);
        }
        let last_f = (table.coef.len() - 1) as f64;
        let inv_h = table.inv_h;
        let (piece, frac) = (&mut self.piece[..n], &mut self.frac[..n]);
        for ((p, f), &s) in piece.iter_mut().zip(frac.iter_mut()).zip(d2) {
            let x = (s.sqrt() - TABLE_R_MIN_ANG) * inv_h;
            // clamped in floating point first so that the conversion is a plain truncation
            let xc = x.max(0.0).min(last_f);
            if SIMD {
                // ⌊xc⌋ is an integer in [0, 2³¹): adding 2⁵² puts it in the low mantissa bits
                let fl = xc.floor();
                *p = (fl + 4_503_599_627_370_496.0).to_bits() as i32;
                *f = x - fl;
            } else {
                let i = xc as i32;
                *p = i;
                *f = x - i as f64;
            }
        }
        (&self.piece[..n], &self.frac[..n])
    }
}

/// AVX2 kernels of the table loops, four distances at a time: the four rows of coefficients
/// are loaded and transposed, the cubic is evaluated with the same multiplications and
/// additions (no fused multiply-add) as [`RadialTable::poly`], so every lane gives the bits
/// of the portable loop. Only called from code compiled for AVX2 (`SIMD` = true); elsewhere
/// they do nothing.
mod simd {
    /// See [`super::x86::accumulate`]; 0 points done off x86_64.
    #[inline(always)]
    pub(super) fn accumulate(
        coef: &[[f64; 4]],
        d2: &[f64],
        piece: &[i32],
        frac: &[f64],
        acc: &mut [f64],
        limit: Option<&[f64]>,
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: only reached from the AVX2 build of the plane loop (`SIMD` = true), which
            // runs after `is_x86_feature_detected!("avx2")`.
            unsafe { super::x86::accumulate(coef, d2, piece, frac, acc, limit) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (coef, d2, piece, frac, acc, limit);
            0
        }
    }

    /// See [`super::x86::sum_up_to`]; never reached off x86_64.
    #[inline(always)]
    pub(super) fn sum_up_to(
        coef: &[[f64; 4]],
        d2: &[f64],
        piece: &[i32],
        frac: &[f64],
        limit: f64,
    ) -> [f64; 4] {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: as in `accumulate`.
            unsafe { super::x86::sum_up_to(coef, d2, piece, frac, limit) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (coef, d2, piece, frac, limit);
            unreachable!("the SIMD plane loop exists on x86_64 only")
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// The cubics at four distances: rows i[0..4] of `coef` at t[0..4].
    #[inline(always)]
    unsafe fn poly4(coef: &[[f64; 4]], i: &[i32], t: &[f64]) -> __m256d {
        let last = coef.len() - 1;
        let row = |l: usize| _mm256_loadu_pd(coef[(i[l] as usize).min(last)].as_ptr());
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
        let t01_lo = _mm256_unpacklo_pd(r0, r1); // c0 c0 c2 c2
        let t01_hi = _mm256_unpackhi_pd(r0, r1); // c1 c1 c3 c3
        let t23_lo = _mm256_unpacklo_pd(r2, r3);
        let t23_hi = _mm256_unpackhi_pd(r2, r3);
        let c0 = _mm256_permute2f128_pd(t01_lo, t23_lo, 0x20);
        let c2 = _mm256_permute2f128_pd(t01_lo, t23_lo, 0x31);
        let c1 = _mm256_permute2f128_pd(t01_hi, t23_hi, 0x20);
        let c3 = _mm256_permute2f128_pd(t01_hi, t23_hi, 0x31);
        let t = _mm256_loadu_pd(t.as_ptr());
        // c0 + t·(c1 + t·(c2 + t·c3))
        let v = _mm256_add_pd(c2, _mm256_mul_pd(t, c3));
        let v = _mm256_add_pd(c1, _mm256_mul_pd(t, v));
        _mm256_add_pd(c0, _mm256_mul_pd(t, v))
    }

    /// `acc[q] += p(q)` (kept where d2[q] ≤ limit[q]) for the first multiple of four points;
    /// returns how many were done.
    ///
    /// # Safety
    /// AVX2 must be available; all slices hold at least `acc.len()` elements.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn accumulate(
        coef: &[[f64; 4]],
        d2: &[f64],
        piece: &[i32],
        frac: &[f64],
        acc: &mut [f64],
        limit: Option<&[f64]>,
    ) -> usize {
        let n4 = acc.len() / 4 * 4;
        assert!(d2.len() >= n4 && piece.len() >= n4 && frac.len() >= n4);
        assert!(limit.is_none_or(|l| l.len() >= n4));
        for q in (0..n4).step_by(4) {
            let mut v = poly4(coef, &piece[q..q + 4], &frac[q..q + 4]);
            if let Some(l) = limit {
                let s = _mm256_loadu_pd(d2[q..q + 4].as_ptr());
                let l = _mm256_loadu_pd(l[q..q + 4].as_ptr());
                v = _mm256_and_pd(_mm256_cmp_pd(s, l, _CMP_LE_OQ), v);
            }
            let a = _mm256_loadu_pd(acc[q..q + 4].as_ptr());
            _mm256_storeu_pd(acc[q..q + 4].as_mut_ptr(), _mm256_add_pd(a, v));
        }
        n4
    }

    /// Four partial sums (lane l: the u ≡ l mod 4, in order) of p(u) kept where d2[u] ≤
    /// `limit`; `d2.len()` must be a multiple of four.
    ///
    /// # Safety
    /// AVX2 must be available; `piece` and `frac` hold at least `d2.len()` elements.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sum_up_to(
        coef: &[[f64; 4]],
        d2: &[f64],
        piece: &[i32],
        frac: &[f64],
        limit: f64,
    ) -> [f64; 4] {
        let n4 = d2.len();
        assert!(n4 / 4 * 4 == n4 && piece.len() >= n4 && frac.len() >= n4);
        let l = _mm256_set1_pd(limit);
        let mut part = _mm256_setzero_pd();
        for u in (0..n4).step_by(4) {
            let v = poly4(coef, &piece[u..u + 4], &frac[u..u + 4]);
            let s = _mm256_loadu_pd(d2[u..u + 4].as_ptr());
            let v = _mm256_and_pd(_mm256_cmp_pd(s, l, _CMP_LE_OQ), v);
            part = _mm256_add_pd(part, v);
        }
        let mut out = [0.0; 4];
        _mm256_storeu_pd(out.as_mut_ptr(), part);
        out
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
