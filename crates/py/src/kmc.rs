//! `halo.kmc(s, ...)`: kinetic Monte Carlo of Li hopping on the BVSE site graph through
//! `halo_campaign::transport::evaluate` (the chain `halo kmc`, `halo validate` and campaigns
//! use), returning the dict of `halo kmc FILE --json`.

use crate::errors::{Failure, HResult, Kind};
use crate::model::ModelOptions;
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Run the chain on `s` (`source`: the file name the CLI would print) and build the CLI's
/// JSON. A stop request abandons the kMC (the error is then [`Kind::Evaluation`] with the
/// `interrupted` message, and the caller raises the signal's exception instead).
pub fn run(
    s: &halo_core::Structure,
    source: &str,
    options: &ModelOptions,
    mobile_per_cell: Option<f64>,
    stop: Arc<AtomicBool>,
) -> HResult<serde_json::Value> {
    let (mut settings, calibration) = options.settings(mobile_per_cell)?;
    settings.stop = Some(stop);
    let tr = halo_campaign::transport::evaluate(s, &settings, |_| {}).map_err(|e| {
        let hint = if e.message.starts_with("no mobile") {
            "; give --mobile-per-cell"
        } else {
            ""
        };
        Failure::msg(Kind::Evaluation, format!("{source}: {e}{hint}"))
    })?;
    let result = &tr.kmc;
    Ok(json!({
        "file": source,
        "formula": s.composition().reduced_formula(),
        "mobile_ions": tr.mobile,
        "mobile_per_cell_used": tr.mobile_per_cell_used,
        "network": {"sites": tr.network_sites, "hops": tr.network_hops,
                    "framework_minima_dropped": tr.framework_minima_dropped,
                    "bvse_resolution_ang": settings.bvse.resolution_ang,
                    "e_3d_ev": tr.percolation.thresholds.e_3d_ev},
        "calibration": calibration,
        "kmc": result,
        "temperatures": result.temperatures,
        "arrhenius": result.arrhenius,
        "timing_s": {"landscape_graph": tr.landscape_graph_s, "kmc": tr.kmc_s},
    }))
}
