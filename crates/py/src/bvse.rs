//! `halo.bvse(s, ...)`: the BVSE landscape, exact percolation thresholds and the Li-site graph,
//! with the numbers of `halo bvse FILE --json` and the energy grid as a numpy array.

use crate::errors::{Classify, HResult, Kind};
use anyhow::Context;
use halo_bvse::{BvseParams, GridMode, Landscape};
use halo_core::Species;
use halo_percolation::{analyze, PercolationParams, PercolationResult};
use serde_json::{json, Value};

/// What `halo.bvse` computes: the CLI's JSON (without `file` and `grid_out`) and the grid.
pub struct BvseOutput {
    pub json: Value,
    /// Absolute energies, eV, C order over `shape` (moved out of the landscape: no copy).
    pub energies_ev: Vec<f64>,
    pub shape: [usize; 3],
}

/// The arguments of `halo bvse`, validated as the CLI validates them.
pub fn params(
    resolution_ang: f64,
    mode: &str,
    mobile_ion: &str,
    screening_factor: f64,
) -> HResult<BvseParams> {
    let mobile_ion = Species::parse(mobile_ion)
        .with_context(|| format!("--mobile-ion '{mobile_ion}'"))
        .kind(Kind::Parameter)?;
    let mode = match mode {
        "default" => GridMode::Default,
        "bvlain" => GridMode::Bvlain,
        other => {
            return Err(crate::errors::Failure::msg(
                Kind::Parameter,
                format!(
                    "invalid value '{other}' for '--mode <MODE>': possible values: default, bvlain"
                ),
            ))
        }
    };
    // the CLI's default rule: Li on shared sites stays in the framework in default mode,
    // bvlain's removal in bvlain mode
    let mixed_site_mobile = if mode == GridMode::Bvlain {
        halo_bvse::MixedSiteMobile::Remove
    } else {
        halo_bvse::MixedSiteMobile::KeepAsFramework
    };
    Ok(BvseParams {
        mobile_ion,
        resolution_ang,
        screening_factor,
        mode,
        mixed_site_mobile,
        memory_limit_bytes: Some(halo_core::memory::usable_bytes()),
        ..Default::default()
    })
}

fn output(land: Landscape, perc: &PercolationResult) -> HResult<BvseOutput> {
    let json = serde_json::to_value(halo_percolation::report::landscape_report(&land, perc))
        .kind(Kind::Internal)?;
    Ok(BvseOutput {
        json,
        shape: land.shape,
        energies_ev: land.energies_ev,
    })
}

/// Landscape and percolation of `s` (`source` names it in messages, as the CLI's file name).
pub fn run(
    s: &halo_core::Structure,
    source: &str,
    reader_warnings: &[String],
    params: &BvseParams,
    cluster_radius_ang: f64,
) -> HResult<BvseOutput> {
    let valid = params.validate().kind(Kind::Parameter)?;
    // the percolation's own rule (0: every minimum its own site), checked before the landscape
    if !(cluster_radius_ang.is_finite() && cluster_radius_ang >= 0.0) {
        return Err(anyhow::anyhow!(
            "cluster_radius: {cluster_radius_ang} Å is not a non-negative length"
        ))
        .kind(Kind::Parameter);
    }
    // the kMC chain's cell, as `halo bvse` computes it: a strongly sheared input in its reduced
    // basis (said in `warnings`)
    let reduced = halo_campaign::transport::chain_cell(s, valid.get());
    let cell_note = reduced
        .as_ref()
        .map(|(_, t)| halo_core::reduction::describe(t));
    let s = reduced.as_ref().map(|(r, _)| r).unwrap_or(s);
    let land = halo_bvse::landscape_valid(s, &valid)
        .with_context(|| format!("BVSE landscape of {source}"))
        .kind(Kind::Evaluation)?;
    let pparams = PercolationParams {
        cluster_radius_ang,
        ..Default::default()
    };
    let perc = analyze(&land, &pparams)
        .with_context(|| format!("percolation analysis of {source}"))
        .kind(Kind::Evaluation)?;
    let mut out = output(land, &perc)?;
    // as `halo bvse --json`: the input's name, no grid file (the grid is `energies_ev`), the
    // reader's findings, the charge, the cell
    out.json["file"] = json!(source);
    out.json["grid_out"] = serde_json::Value::Null;
    out.json["warnings"] = json!(reader_warnings
        .iter()
        .cloned()
        .chain(halo_io::charge::structure_charge_note(s))
        .chain(cell_note)
        .collect::<Vec<_>>());
    Ok(out)
}
