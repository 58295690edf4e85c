//! The JSON of one transport evaluation, as `halo kmc --json` prints it and `halo.kmc(...)`
//! returns it (one builder, so the two agree key for key).

use super::{Transport, TransportSettings};
use serde_json::json;

/// The `halo kmc --json` object of `tr` for the file `source` (as given), the structure's
/// reduced `formula`, the settings that ran and where the fitted constants came from.
/// `reader_warnings` are the file reader's findings other than the charge (the block read,
/// short contacts, …: `halo_io::LoadedStructure::warnings_besides_charge`); `warnings` lists
/// them before the chain's, as stderr does.
pub fn kmc_json(
    tr: &Transport,
    reader_warnings: &[String],
    source: &str,
    formula: &str,
    settings: &TransportSettings,
    calibration: &serde_json::Value,
) -> serde_json::Value {
    let result = &tr.kmc;
    let mut out = json!({
        "file": source,
        "formula": formula,
        "model": tr.model.name(),
        "model_description": tr.model.description(),
        "mobile_ions": tr.mobile,
        "mobile_per_cell_used": tr.mobile_per_cell_used,
        "li_sublattice": tr.li_sublattice,
        "warnings": reader_warnings.iter().cloned().chain(tr.warnings()).collect::<Vec<_>>(),
        "charge": tr.charge,
        "network": {"sites": tr.network_sites, "hops": tr.network_hops,
                    "framework_minima_dropped": tr.framework_minima_dropped,
                    "stations_contracted": tr.stations_contracted,
                    "bvse_resolution_ang": settings.bvse.resolution_ang,
                    "e_3d_ev": tr.percolation.thresholds.e_3d_ev},
        "calibration": calibration,
        // the run's master seed (the explicit model's `kmc.params.seed` is its first
        // realisation's, derived from this one)
        "seed": settings.kmc.seed,
        "kmc": result,
        "temperatures": result.temperatures,
        "arrhenius": result.arrhenius,
        "ensemble": tr.ensemble,
        "timing_s": {"landscape_graph": tr.landscape_graph_s, "kmc": tr.kmc_s},
    });
    // the averaged model's stopping rule (also inside "kmc"), beside the explicit model's ensemble
    if let Some(s) = &result.stopping {
        out["stopping"] = json!(s);
    }
    // temperatures too cold to simulate (also inside "kmc"), beside the ones that ran
    if !result.too_cold.is_empty() {
        out["too_cold"] = json!(result.too_cold);
    }
    if let Some(r) = &tr.relaxation {
        out["anion_relaxation"] = json!(r);
    }
    if let Some(r) = &tr.grounding {
        out["grounding"] = json!(r);
    }
    if let Some(r) = &tr.site_energies {
        out["site_energies"] = json!(r);
    }
    if let Some(r) = &tr.hop_barriers {
        out["hop_barriers"] = json!(r);
    }
    out
}
