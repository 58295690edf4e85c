//! Estimators with standard errors from block records, and the weighted Arrhenius fit.

use crate::engine::BlockRecord;
use crate::error::KmcError;
use serde::{Deserialize, Serialize};

/// Ratio estimator Σx/Σy over blocks with its standard error (delta method over blocks:
/// SE² = Σ(x_b − R y_b)² / (n(n−1) ȳ²)). Blocks of independent replicas and well-separated
/// windows of one trajectory are treated as independent samples.
pub fn ratio_with_se(x: &[f64], y: &[f64]) -> Result<(f64, f64), KmcError> {
    let n = x.len();
    if n < 2 || y.len() != n {
        return Err(KmcError::Statistics(format!(
            "need at least 2 blocks, got {n}"
        )));
    }
    let sx: f64 = x.iter().sum();
    let sy: f64 = y.iter().sum();
    if sy.is_nan() || sy <= 0.0 {
        return Err(KmcError::Statistics("total block weight is zero".into()));
    }
    let r = sx / sy;
    let ybar = sy / n as f64;
    let ss: f64 = x.iter().zip(y).map(|(a, b)| (a - r * b).powi(2)).sum();
    let se = (ss / (n as f64 * (n as f64 - 1.0))).sqrt() / ybar;
    Ok((r, se))
}

/// Diffusion estimates from blocks, in Å²/s, with standard errors.
///
/// D* = Σ_b Σ_i|Δr_i|² / (2dN Σ_b t_b) (tracer), D_σ = Σ_b |Σ_iΔr_i|² / (2dN Σ_b t_b)
/// (charge/jump diffusion), H = D*/D_σ, f = Σ_b Σ_i|Δr_i|² / Σ_b Σ_hops |hop|² (correlation
/// factor of the tracer relative to an uncorrelated walk with the same jumps).
///
/// Each block's squared displacement includes twice its cross term with the adjacent previous
/// block (Σ_iΔr_i(b)·Δr_i(b−1)): the sum over blocks is then the squared displacement of the whole
/// trajectory minus only the cross terms of non-adjacent blocks, so correlations shorter than a
/// block (back-jumps, rattling) are no longer cut at block edges (bias O(τ_corr/t_block) removed;
/// what remains is O(exp(−t_block/τ_corr))).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffusionEstimate {
    /// D*, Å²/s.
    pub d_tracer_ang2_per_s: f64,
    /// SE of D*, Å²/s.
    pub d_tracer_se_ang2_per_s: f64,
    /// D_σ, Å²/s.
    pub d_sigma_ang2_per_s: f64,
    /// SE of D_σ, Å²/s.
    pub d_sigma_se_ang2_per_s: f64,
    /// Haven ratio H = D*/D_σ.
    pub haven_ratio: f64,
    /// SE of H.
    pub haven_ratio_se: f64,
    /// Tracer correlation factor f.
    pub correlation_factor: f64,
    /// SE of f.
    pub correlation_factor_se: f64,
    /// Centre-of-mass drift per component, ⟨Σ_iΔr_i⟩/t in Å/s, in units of its SE
    /// (|z| ≲ 3 for an unbiased simulation).
    pub drift_z: [f64; 3],
    /// Blocks used.
    pub blocks: usize,
}

impl DiffusionEstimate {
    /// Estimate from blocks of a system of `n_ions` ions in `dimension` dimensions, with the
    /// adjacent-block cross terms (`boundary_correction = true`, the default of
    /// [`crate::simulate`]) or without them (plain windowed estimate: lower variance, exact only
    /// when increments are uncorrelated beyond the block, e.g. the centre of mass of the
    /// hard-core lattice gas).
    pub fn from_blocks(
        blocks: &[BlockRecord],
        n_ions: usize,
        dimension: usize,
        boundary_correction: bool,
    ) -> Result<DiffusionEstimate, KmcError> {
        let w = if boundary_correction { 2.0 } else { 0.0 };
        let norm = 2.0 * dimension as f64 * n_ions as f64;
        let t: Vec<f64> = blocks.iter().map(|b| b.time_s * norm).collect();
        let xt: Vec<f64> = blocks
            .iter()
            .map(|b| b.sum_sq_disp_ang2 + w * b.cross_prev_ang2)
            .collect();
        let xc: Vec<f64> = blocks
            .iter()
            .map(|b| b.sq_total_disp_ang2 + w * b.cross_total_prev_ang2)
            .collect();
        let xj: Vec<f64> = blocks.iter().map(|b| b.sum_sq_jump_ang2).collect();
        let (dt, dt_se) = ratio_with_se(&xt, &t)?;
        let (ds, ds_se) = ratio_with_se(&xc, &t)?;
        let (h, h_se) = if xc.iter().sum::<f64>() > 0.0 {
            ratio_with_se(&xt, &xc)?
        } else {
            (f64::NAN, f64::NAN)
        };
        let (f, f_se) = if xj.iter().sum::<f64>() > 0.0 {
            ratio_with_se(&xt, &xj)?
        } else {
            (f64::NAN, f64::NAN)
        };
        let tt: Vec<f64> = blocks.iter().map(|b| b.time_s).collect();
        let mut drift_z = [0.0; 3];
        for (k, z) in drift_z.iter_mut().enumerate() {
            let x: Vec<f64> = blocks.iter().map(|b| b.total_disp_ang[k]).collect();
            let (v, se) = ratio_with_se(&x, &tt)?;
            *z = if se > 0.0 { v / se } else { 0.0 };
        }
        Ok(DiffusionEstimate {
            d_tracer_ang2_per_s: dt,
            d_tracer_se_ang2_per_s: dt_se,
            d_sigma_ang2_per_s: ds,
            d_sigma_se_ang2_per_s: ds_se,
            haven_ratio: h,
            haven_ratio_se: h_se,
            correlation_factor: f,
            correlation_factor_se: f_se,
            drift_z,
            blocks: blocks.len(),
        })
    }
}

/// σ = (N/V)·e²·D_σ/(k_BT) in S/cm, from the number density `ions_per_ang3` (Å⁻³) and D_σ in
/// cm²/s (Nernst–Einstein with the collective diffusion coefficient, so the Haven ratio is
/// included). N/V = 0.02 Å⁻³, D_σ = 1e-8 cm²/s, 300 K give 1.24e-3 S/cm.
pub fn conductivity_s_per_cm(
    ions_per_ang3: f64,
    d_sigma_cm2_per_s: f64,
    temperature_k: f64,
) -> f64 {
    // n [m⁻³] = 1e30·N/V; D [m²/s] = 1e-4·D; e²/(k_BT) = e/(k_B[eV/K]·T) C/V; S/m → S/cm: 1e-2
    let n_m3 = ions_per_ang3 * 1e30;
    let d_m2 = d_sigma_cm2_per_s * 1e-4;
    let s_per_m =
        n_m3 * halo_core::ELEMENTARY_CHARGE_C * d_m2 / (halo_core::K_B_EV_PER_K * temperature_k);
    s_per_m * 1e-2
}

/// Weighted least-squares Arrhenius fit of ln(σT) = ln A − E_a/(k_BT).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArrheniusFit {
    /// Activation energy, eV.
    pub ea_ev: f64,
    /// Its standard error, eV.
    pub ea_se_ev: f64,
    /// Prefactor A of σT = A·exp(−E_a/k_BT), S·K/cm.
    pub prefactor_s_k_per_cm: f64,
    /// σ(300 K) from the fit, S/cm.
    pub sigma_300k_s_per_cm: f64,
    /// Its standard error, S/cm (from the fit covariance, first-order in ln σ).
    pub sigma_300k_se_s_per_cm: f64,
    /// Reduced χ² of the fit (NaN with two points).
    pub chi2_reduced: f64,
    /// Points used.
    pub points: usize,
}

/// Fit ln(σT) against 1/T with weights 1/SE(ln σT)² = (σ/SE_σ)². Parameter covariance
/// (XᵀWX)⁻¹, scaled by the reduced χ² when that exceeds 1 (more than two points), so the SEs
/// cover scatter beyond the kMC noise (Bevington & Robinson, *Data Reduction and Error Analysis*,
/// ch. 6).
pub fn arrhenius_fit(
    temperatures_k: &[f64],
    sigma_s_per_cm: &[f64],
    sigma_se_s_per_cm: &[f64],
) -> Result<ArrheniusFit, KmcError> {
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut w = Vec::new();
    for ((&t, &s), &se) in temperatures_k
        .iter()
        .zip(sigma_s_per_cm)
        .zip(sigma_se_s_per_cm)
    {
        if s > 0.0 && se > 0.0 && t > 0.0 && s.is_finite() && se.is_finite() {
            x.push(1.0 / t);
            y.push((s * t).ln());
            w.push((s / se).powi(2));
        }
    }
    let n = x.len();
    if n < 2 {
        return Err(KmcError::Statistics(format!(
            "Arrhenius fit needs two temperatures with σ > 0 and SE > 0, got {n}"
        )));
    }
    let sw: f64 = w.iter().sum();
    let sx: f64 = w.iter().zip(&x).map(|(w, x)| w * x).sum();
    let sy: f64 = w.iter().zip(&y).map(|(w, y)| w * y).sum();
    let sxx: f64 = w.iter().zip(&x).map(|(w, x)| w * x * x).sum();
    let sxy: f64 = w.iter().zip(&x).zip(&y).map(|((w, x), y)| w * x * y).sum();
    let det = sw * sxx - sx * sx;
    if det.is_nan() || det <= 0.0 {
        return Err(KmcError::Statistics(
            "Arrhenius fit needs at least two distinct temperatures".into(),
        ));
    }
    let b = (sw * sxy - sx * sy) / det; // slope = −Ea/kB
    let a = (sxx * sy - sx * sxy) / det; // intercept = ln A
    let chi2: f64 = (0..n).map(|i| w[i] * (y[i] - a - b * x[i]).powi(2)).sum();
    let chi2_red = if n > 2 {
        chi2 / (n as f64 - 2.0)
    } else {
        f64::NAN
    };
    let scale = if chi2_red.is_finite() && chi2_red > 1.0 {
        chi2_red
    } else {
        1.0
    };
    let var_a = sxx / det * scale;
    let var_b = sw / det * scale;
    let cov_ab = -sx / det * scale;
    let kb = halo_core::K_B_EV_PER_K;
    let x300 = 1.0 / 300.0;
    let ln_s300t = a + b * x300;
    let var_ln = var_a + x300 * x300 * var_b + 2.0 * x300 * cov_ab;
    let s300 = ln_s300t.exp() / 300.0;
    Ok(ArrheniusFit {
        ea_ev: -b * kb,
        ea_se_ev: var_b.sqrt() * kb,
        prefactor_s_k_per_cm: a.exp(),
        sigma_300k_s_per_cm: s300,
        sigma_300k_se_s_per_cm: s300 * var_ln.max(0.0).sqrt(),
        chi2_reduced: chi2_red,
        points: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conductivity_reference_value() {
        // docs/physics.md §5.8: N/V = 0.02 Å⁻³, D_σ = 1e-8 cm²/s, 300 K → 1.24 mS/cm
        let s = conductivity_s_per_cm(0.02, 1e-8, 300.0);
        assert!((s - 1.2396e-3).abs() < 1e-6, "{s}");
    }

    #[test]
    fn arrhenius_fit_recovers_exact_line() {
        let ea = 0.33;
        let a = 5e3;
        let ts = [300.0, 350.0, 400.0, 450.0, 500.0];
        let s: Vec<f64> = ts
            .iter()
            .map(|t| a * (-ea / (halo_core::K_B_EV_PER_K * t)).exp() / t)
            .collect();
        let se: Vec<f64> = s.iter().map(|x| 0.02 * x).collect();
        let fit = arrhenius_fit(&ts, &s, &se).unwrap();
        assert!((fit.ea_ev - ea).abs() < 1e-10);
        assert!((fit.prefactor_s_k_per_cm / a - 1.0).abs() < 1e-9);
        assert!((fit.sigma_300k_s_per_cm / s[0] - 1.0).abs() < 1e-9);
        // SE from weights alone: 2 % per point over this range
        assert!(fit.ea_se_ev > 0.0 && fit.ea_se_ev < 0.01);
        assert!(fit.sigma_300k_se_s_per_cm / fit.sigma_300k_s_per_cm < 0.03);
        assert!(arrhenius_fit(&ts[..1], &s[..1], &se[..1]).is_err());
        assert!(arrhenius_fit(&[300.0, 300.0], &s[..2], &se[..2]).is_err());
    }

    #[test]
    fn ratio_se_of_constant_ratio_is_zero() {
        let (r, se) = ratio_with_se(&[2.0, 4.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(r, 2.0);
        assert_eq!(se, 0.0);
        assert!(ratio_with_se(&[1.0], &[1.0]).is_err());
    }
}
