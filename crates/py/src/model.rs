//! The transport model's settings from Python keywords: the equivalent of `halo kmc`'s
//! `ModelArgs::settings` (src/cmd/kmc.rs), with the same constants (`halo_kmc::defaults`,
//! `halo_bvse::DEFAULT_RESOLUTION_ANG`, the calibrated ν0 of
//! `halo_data::calibration::kmc_attempt_frequency`), checks and messages, so that
//! `halo.kmc(...)` and `halo kmc --json` give the same numbers bit for bit for the same seed.

use crate::errors::{Classify, Failure, HResult, Kind};
use anyhow::{bail, Context};
use halo_bvse::{BvseParams, GridMode, MixedSiteMobile};
use halo_campaign::transport::TransportSettings;
use halo_core::Species;
use halo_kmc::{defaults, KmcParams, MobileIons, SupercellChoice};
use halo_percolation::PercolationParams;
use serde_json::json;

/// `halo kmc`'s model options; `None` means the CLI default.
#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// Temperatures, K (default `halo_kmc::defaults::TEMPERATURES_K`).
    pub temperatures_k: Option<Vec<f64>>,
    /// Master seed of the RNG streams.
    pub seed: u64,
    /// `auto` or `a,b,c` repetitions of the cell.
    pub supercell: String,
    /// Mobile ion, e.g. `Li+`.
    pub mobile_ion: String,
    /// BVSE grid spacing, Å.
    pub resolution_ang: f64,
    /// Sites closer than this may not be occupied together, Å.
    pub blocking_distance_ang: f64,
    /// Attempt frequency ν0, s⁻¹ (default: the calibrated value).
    pub attempt_frequency_hz: Option<f64>,
    /// Independent replicas per temperature.
    pub replicas: usize,
    /// Measured blocks per replica.
    pub blocks: usize,
    /// Block length, hops per ion.
    pub hops_per_block: f64,
    /// Equilibration, hops per ion.
    pub equilibration: f64,
    /// Minimum mobile ions in an automatic supercell.
    pub min_ions: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            temperatures_k: None,
            seed: 0,
            supercell: "auto".to_string(),
            mobile_ion: "Li+".to_string(),
            resolution_ang: halo_bvse::DEFAULT_RESOLUTION_ANG,
            blocking_distance_ang: defaults::BLOCKING_DISTANCE_ANG,
            attempt_frequency_hz: None,
            replicas: defaults::REPLICAS,
            blocks: defaults::BLOCKS,
            hops_per_block: defaults::HOPS_PER_ION_PER_BLOCK,
            equilibration: defaults::EQUILIBRATION_HOPS_PER_ION,
            min_ions: defaults::MIN_IONS,
        }
    }
}

/// `--supercell`: `auto` or three positive integers.
fn parse_supercell(s: &str) -> anyhow::Result<SupercellChoice> {
    if s == "auto" {
        return Ok(SupercellChoice::Auto);
    }
    let v: Vec<usize> = s
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<usize>()
                .with_context(|| format!("--supercell: '{x}' is not a positive integer"))
        })
        .collect::<anyhow::Result<_>>()?;
    if v.len() != 3 {
        bail!("--supercell must be `auto` or three integers a,b,c, got '{s}'");
    }
    Ok(SupercellChoice::Fixed([v[0], v[1], v[2]]))
}

/// Where ν0 comes from, as the CLI's JSON `calibration` says it.
fn calibration(attempt_frequency_hz: Option<f64>) -> (f64, serde_json::Value) {
    let cal = halo_data::calibration::kmc_attempt_frequency();
    match attempt_frequency_hz {
        Some(v) => (
            v,
            json!({"attempt_frequency_hz": v, "source": "--attempt-frequency (not the calibrated value)",
                   "calibrated_attempt_frequency_hz": cal.value}),
        ),
        None => (
            cal.value,
            json!({"attempt_frequency_hz": cal.value,
                   "source": "calibrated default, crates/data/tables/kmc_calibration.csv",
                   "fit": cal.fit, "input": cal.input, "script": cal.script,
                   "output": cal.output}),
        ),
    }
}

impl ModelOptions {
    /// Validate into the transport settings and say where ν0 comes from (`ModelArgs::settings`).
    pub fn settings(
        &self,
        mobile_per_cell: Option<f64>,
    ) -> HResult<(TransportSettings, serde_json::Value)> {
        let temps = self
            .temperatures_k
            .clone()
            .unwrap_or_else(|| defaults::TEMPERATURES_K.to_vec());
        let supercell = parse_supercell(&self.supercell).kind(Kind::Parameter)?;
        let mobile_ion = Species::parse(&self.mobile_ion)
            .with_context(|| format!("--mobile-ion '{}'", self.mobile_ion))
            .kind(Kind::Parameter)?;
        let (nu0, calibration) = calibration(self.attempt_frequency_hz);
        let mut params = KmcParams::new(temps);
        params.seed = self.seed;
        params.supercell = supercell;
        params.blocking_distance_ang = self.blocking_distance_ang;
        params.attempt_frequency_hz = nu0;
        params.replicas = self.replicas;
        params.blocks_per_replica = self.blocks;
        params.hops_per_ion_per_block = self.hops_per_block;
        params.equilibration_hops_per_ion = self.equilibration;
        params.min_ions = self.min_ions;
        params.mobile_ions = MobileIons::PerCell(mobile_per_cell.unwrap_or(1.0));
        params.validate().kind(Kind::Parameter)?;
        if let Some(m) = mobile_per_cell {
            if !(m.is_finite() && m > 0.0) {
                return Err(Failure::msg(
                    Kind::Parameter,
                    format!("--mobile-per-cell must be a positive number, got {m}"),
                ));
            }
        }
        let bvse = BvseParams {
            mobile_ion,
            resolution_ang: self.resolution_ang,
            mode: GridMode::Default,
            mixed_site_mobile: MixedSiteMobile::KeepAsFramework,
            ..Default::default()
        };
        bvse.validate().kind(Kind::Parameter)?;
        Ok((
            TransportSettings {
                bvse,
                percolation: PercolationParams::default(),
                kmc: params,
                mobile_per_cell,
                stop: None,
            },
            calibration,
        ))
    }
}
