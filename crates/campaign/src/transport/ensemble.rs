//! Ensemble results over realisations of the explicit model, and the per-candidate stopping
//! rule (docs/physics.md §9.8).
//!
//! For K realisations with per-temperature results x_k (σ, D*, D_σ, f) and their kMC
//! standard errors s_k, the ensemble value is the mean x̄ = Σx_k/K and its standard error
//!
//!   SE = max( sqrt(Σ(x_k − x̄)²/(K(K−1))),  sqrt(Σ s_k²)/K )      (K ≥ 2),   SE = s_1 (K = 1):
//!
//! the spread between realisations (which contains the kMC noise of each) or, when the few
//! realisations happen to agree better than their own noise allows, the propagated kMC noise.
//! The Haven ratio is the ratio of the ensemble means, H = D̄*/D̄_σ (the σ reported is the one of
//! D̄_σ), with SE by first-order propagation, H·sqrt((SE*/D̄*)² + (SE_σ/D̄_σ)²), which treats
//! the two as independent: they come from the same trajectories and are positively correlated,
//! so the covariance term −2cov/(D̄*D̄_σ) it leaves out would only shrink it (an upper bound to
//! first order); undefined (NaN) when D̄_σ ≤ 0. (A mean of per-realisation ratios contradicted the row's own D* and D_σ: a
//! realisation whose D_σ is near zero sends its ratio to any size.)
//! The Arrhenius fit is refitted on the ensemble σ(T) with these SEs. Occupancies are pooled per
//! site label: Σ ions / Σ sites over realisations (time averages of each kMC). The rate drift and
//! the centre-of-mass drift z are the worst over realisations. Counts describing one supercell
//! (`supercell`, `n_sites`, `n_ions`, `volume_ang3`, `ions_per_ang3`) are the first
//! realisation's; `ions_per_cell` is the mean per structure cell.
//!
//! Stopping rule: realisations are added (each with its own configuration and kMC seed) until
//! K ≥ `min_realisations` and the relative SE of σ(300 K) (of the ensemble Arrhenius fit, or of
//! the lowest temperature's σ without a fit) is at most `target_rel_se`, or until
//! K = `max_realisations` (the cap; `hit_cap` is then recorded).

use halo_kmc::{ClassOccupancy, KmcResult, TemperatureResult};
use serde::{Deserialize, Serialize};

/// Default of [`EnsembleSettings::target_rel_se`]: 20 % relative SE of σ(300 K).
pub const TARGET_REL_SE: f64 = 0.2;
/// Default of [`EnsembleSettings::min_realisations`] for a structure with framework disorder
/// (two, so the realisation spread enters the error bar).
pub const MIN_REALISATIONS_DISORDERED: usize = 2;
/// Default of [`EnsembleSettings::max_realisations`].
pub const MAX_REALISATIONS: usize = 4;
/// Default smallest perpendicular width of a realisation supercell, Å.
pub const REALISATION_MIN_WIDTH_ANG: f64 = 10.0;
/// Default largest realisation supercell, sites.
pub const REALISATION_MAX_SITES: usize = 1500;

/// Realisations, stopping rule and station contraction of the explicit model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleSettings {
    /// Fewest realisations of a structure with framework disorder (an ordered structure starts
    /// with one and adds kMC runs only when the stopping rule asks for them).
    pub min_realisations: usize,
    /// Most realisations (the cap of the stopping rule).
    pub max_realisations: usize,
    /// Stop when the relative SE of σ(300 K) is at most this.
    pub target_rel_se: f64,
    /// Smallest perpendicular width of a realisation supercell, Å.
    pub min_width_ang: f64,
    /// Largest realisation supercell, sites.
    pub max_sites: usize,
    /// Landscape minima shallower than this (deepest exit saddle − energy), lying between
    /// deeper sites and not at a refined Li site, are stations of a hop, eV.
    pub station_max_depth_ev: f64,
}

impl Default for EnsembleSettings {
    fn default() -> Self {
        EnsembleSettings {
            min_realisations: MIN_REALISATIONS_DISORDERED,
            max_realisations: MAX_REALISATIONS,
            target_rel_se: TARGET_REL_SE,
            min_width_ang: REALISATION_MIN_WIDTH_ANG,
            max_sites: REALISATION_MAX_SITES,
            station_max_depth_ev: halo_kmc::stations::DEFAULT_MAX_DEPTH_EV,
        }
    }
}

impl EnsembleSettings {
    /// Check every field; the error names it.
    pub fn validate(&self) -> Result<(), super::OptionError> {
        use super::OptionError as E;
        if self.min_realisations == 0 || self.min_realisations > self.max_realisations {
            return Err(E::new(
                "min_realisations",
                format!(
                    "{} must be between 1 and the most realisations ({})",
                    self.min_realisations, self.max_realisations
                ),
            ));
        }
        if self.max_realisations > 1000 {
            return Err(E::new(
                "max_realisations",
                format!("{} is more than 1000", self.max_realisations),
            ));
        }
        if !(self.target_rel_se.is_finite() && self.target_rel_se > 0.0) {
            return Err(E::new(
                "target_rel_se",
                format!("{} is not positive", self.target_rel_se),
            ));
        }
        if !(self.min_width_ang.is_finite() && (0.0..=100.0).contains(&self.min_width_ang)) {
            return Err(E::new(
                "min_width_ang",
                format!("{} is not in [0, 100] Å", self.min_width_ang),
            ));
        }
        if self.max_sites == 0 {
            return Err(E::new("max_sites", "must be positive"));
        }
        if !(self.station_max_depth_ev.is_finite() && self.station_max_depth_ev >= 0.0) {
            return Err(E::new(
                "station_max_depth_ev",
                format!("{} is not a non-negative number", self.station_max_depth_ev),
            ));
        }
        Ok(())
    }
}

/// One realisation's summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealisationSummary {
    /// Index in the ensemble.
    pub index: usize,
    /// Seed of the configuration and of its kMC.
    pub seed: u64,
    /// Supercell of the structure cell the configuration was realised in.
    pub scale: [usize; 3],
    /// Mobile ions in the realisation cell (its charge neutrality).
    pub mobile_count: usize,
    /// Mobile ions the refined composition puts in that cell.
    pub mobile_count_composition: f64,
    /// Sites and hops of its kMC network (per realisation cell), stations contracted.
    pub network_sites: usize,
    /// Hops of its kMC network.
    pub network_hops: usize,
    /// Stations contracted into hops.
    pub stations_contracted: usize,
    /// E_3D of its landscape, eV (None: no 3D network below the graph cutoff).
    pub e_3d_ev: Option<f64>,
    /// σ at the reference temperature, S/cm.
    pub sigma_ref_s_per_cm: f64,
    /// Its kMC SE, S/cm.
    pub sigma_ref_se_s_per_cm: f64,
    /// Ea of its own Arrhenius fit, eV.
    pub ea_ev: Option<f64>,
}

/// The explicit model's ensemble: realisations and the stopping rule's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    /// True when the structure has partial or mixed framework occupancies.
    pub disordered: bool,
    /// Realisations run.
    pub realisations: Vec<RealisationSummary>,
    /// Reference temperature of the stopping rule and the summaries, K.
    pub reference_temperature_k: f64,
    /// Relative SE of σ(300 K) reached.
    pub rel_se_reached: f64,
    /// The cap was reached before the target.
    pub hit_cap: bool,
    /// The settings.
    pub settings: EnsembleSettings,
}

fn mean_se(values: &[f64], ses: &[f64]) -> (f64, f64) {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    if values.len() < 2 {
        return (mean, ses[0]);
    }
    let spread = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k * (k - 1.0))).sqrt();
    let noise = ses.iter().map(|s| s * s).sum::<f64>().sqrt() / k;
    (mean, spread.max(noise))
}

/// Pool the realisations' results into one [`KmcResult`] (see the module documentation).
/// `cells` is the number of structure cells in each realisation's network cell (the product of
/// its scale); occupancies and per-cell counts are per structure cell. The realisations share
/// the parameters' temperatures; a temperature too cold to simulate in any realisation
/// ([`halo_kmc::TooCold`]) is too cold for the ensemble: it is left out and listed once, with
/// the first realisation's reason.
pub fn combine(results: &[KmcResult], cells: &[usize]) -> KmcResult {
    let first = &results[0];
    let mut out = first.clone();
    let mut too_cold: Vec<halo_kmc::TooCold> = Vec::new();
    for c in results.iter().flat_map(|r| &r.too_cold) {
        if !too_cold.iter().any(|x| x.temperature_k == c.temperature_k) {
            too_cold.push(c.clone());
        }
    }
    let order = |t: f64| {
        first
            .params
            .temperatures_k
            .iter()
            .position(|&x| x == t)
            .unwrap_or(usize::MAX)
    };
    too_cold.sort_by_key(|c| order(c.temperature_k));
    let shared: Vec<f64> = first
        .temperatures
        .iter()
        .map(|t| t.temperature_k)
        .filter(|&t| !too_cold.iter().any(|c| c.temperature_k == t))
        .collect();
    let mut temps = Vec::with_capacity(shared.len());
    for &tk in &shared {
        let at: Vec<&TemperatureResult> = results
            .iter()
            .map(|r| {
                r.temperatures
                    .iter()
                    .find(|t| t.temperature_k == tk)
                    .expect("a temperature no realisation found too cold ran in every one")
            })
            .collect();
        let pick = |f: &dyn Fn(&TemperatureResult) -> (f64, f64)| {
            let (v, s): (Vec<f64>, Vec<f64>) = at.iter().map(|t| f(t)).unzip();
            mean_se(&v, &s)
        };
        let (d_t, d_t_se) = pick(&|t| (t.d_tracer_cm2_per_s, t.d_tracer_se_cm2_per_s));
        let (d_s, d_s_se) = pick(&|t| (t.d_sigma_cm2_per_s, t.d_sigma_se_cm2_per_s));
        // H of the means, as σ is of D̄_σ
        let (h, h_se) = if d_t > 0.0 && d_s > 0.0 {
            let h = d_t / d_s;
            (
                h,
                h * ((d_t_se / d_t).powi(2) + (d_s_se / d_s).powi(2)).sqrt(),
            )
        } else {
            (f64::NAN, f64::NAN)
        };
        let (f, f_se) = pick(&|t| (t.correlation_factor, t.correlation_factor_se));
        let (s, s_se) = pick(&|t| (t.sigma_s_per_cm, t.sigma_se_s_per_cm));
        let (r, r_se) = pick(&|t| (t.hop_rate_per_ion_hz, t.hop_rate_per_ion_se_hz));
        let (tm, tm_se) = pick(&|t| (t.simulated_time_s, t.simulated_time_se_s));
        let mut occ: Vec<(String, f64, f64)> = Vec::new(); // label, sites, ions (per structure cell, summed)
        for (res, &c) in at.iter().zip(cells) {
            for o in &res.occupancies {
                let sites = o.sites_per_cell as f64 / c as f64;
                let ions = o.ions_per_cell / c as f64;
                match occ.iter_mut().find(|(l, _, _)| *l == o.label) {
                    Some(e) => {
                        e.1 += sites;
                        e.2 += ions;
                    }
                    None => occ.push((o.label.clone(), sites, ions)),
                }
            }
        }
        let k = results.len() as f64;
        occ.sort_by(|a, b| a.0.cmp(&b.0));
        let occupancies = occ
            .into_iter()
            .map(|(label, sites, ions)| ClassOccupancy {
                label,
                sites_per_cell: (sites / k).round() as usize,
                occupancy: if sites > 0.0 { ions / sites } else { 0.0 },
                ions_per_cell: ions / k,
            })
            .collect();
        let mut tr = TemperatureResult {
            temperature_k: at[0].temperature_k,
            d_tracer_cm2_per_s: d_t,
            d_tracer_se_cm2_per_s: d_t_se,
            d_sigma_cm2_per_s: d_s,
            d_sigma_se_cm2_per_s: d_s_se,
            haven_ratio: h,
            haven_ratio_se: h_se,
            correlation_factor: f,
            correlation_factor_se: f_se,
            sigma_s_per_cm: s,
            sigma_se_s_per_cm: s_se,
            // one net hop in one realisation moves the mean by that realisation's resolution / K
            sigma_resolution_s_per_cm: at.iter().map(|t| t.sigma_resolution_s_per_cm).sum::<f64>()
                / (results.len() as f64).powi(2),
            hops: at.iter().map(|t| t.hops).sum(),
            hop_rate_per_ion_hz: r,
            hop_rate_per_ion_se_hz: r_se,
            simulated_time_s: tm,
            simulated_time_se_s: tm_se,
            blocks: at.iter().map(|t| t.blocks).sum(),
            rate_drift_max_rel: at.iter().map(|t| t.rate_drift_max_rel).fold(0.0, f64::max),
            // the worst realisation per axis (each z is in units of its own SE)
            drift_z: std::array::from_fn(|a| {
                at.iter()
                    .map(|t| t.drift_z[a])
                    .fold(0.0, |w: f64, z| if z.abs() > w.abs() { z } else { w })
            }),
            occupancies,
            resolved: false,
        };
        tr.resolved = tr.is_resolved();
        temps.push(tr);
    }
    out.arrhenius = halo_kmc::arrhenius_of(&temps);
    out.temperatures = temps;
    out.too_cold = too_cold;
    let k = results.len() as f64;
    out.ions_per_cell = results
        .iter()
        .zip(cells)
        .map(|(r, &c)| r.ions_per_cell / c as f64)
        .sum::<f64>()
        / k;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ensemble_se_is_the_spread_or_the_propagated_noise_whichever_is_larger() {
        // spread dominates: values 1 and 3, tiny kMC noise → SE = sqrt(2/2)=1
        let (m, se) = mean_se(&[1.0, 3.0], &[0.01, 0.01]);
        assert_eq!(m, 2.0);
        assert!((se - 1.0).abs() < 1e-12);
        // equal values: the propagated noise sqrt(0.5²+0.5²)/2
        let (_, se) = mean_se(&[2.0, 2.0], &[0.5, 0.5]);
        assert!((se - (0.5f64).sqrt() / 2.0).abs() < 1e-12);
        // one realisation: its own SE
        assert_eq!(mean_se(&[4.0], &[0.3]), (4.0, 0.3));
    }

    #[test]
    fn settings_are_checked_by_name() {
        let mut s = EnsembleSettings::default();
        assert!(s.validate().is_ok());
        s.min_realisations = 9;
        assert!(s.validate().unwrap_err().option == "min_realisations");
        s = EnsembleSettings {
            target_rel_se: 0.0,
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().option == "target_rel_se");
    }
}
