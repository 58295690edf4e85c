//! The transport chain for one structure, written once: mobile-ion count → BVSE landscape
//! (default mode, Li sharing a site with a framework cation kept in the framework) → exact
//! percolation thresholds and Li-site graph → kMC network without the minima that sit on
//! framework-cation sites → rejection-free kMC → Arrhenius fit.
//!
//! `halo kmc`, `halo validate` and the campaign pipeline (and so `halo eval`) call
//! [`evaluate`]; they differ only in the [`TransportSettings`] they pass.

use halo_bvse::{BvseParams, MixedSiteMobile};
use halo_core::{Element, Structure};
use halo_kmc::{KmcParams, KmcResult, MobileIonCount, MobileIons};
use halo_percolation::{PercolationParams, PercolationResult};
use std::time::Instant;

/// Everything the chain needs besides the structure.
#[derive(Clone, Debug)]
pub struct TransportSettings {
    /// Landscape parameters; `mixed_site_mobile` is forced to
    /// [`MixedSiteMobile::KeepAsFramework`] to match the mobile-ion count.
    pub bvse: BvseParams,
    /// Percolation and site-graph parameters.
    pub percolation: PercolationParams,
    /// kMC parameters; `mobile_ions` is replaced by the count of the structure (or
    /// `mobile_per_cell`).
    pub kmc: KmcParams,
    /// Mobile ions per structure cell instead of the composition's count.
    pub mobile_per_cell: Option<f64>,
    /// A stop request (SIGTERM/SIGINT): the kMC is abandoned within
    /// `halo_kmc::STOP_CHECK_EVENTS` events and the error says `interrupted`.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// What the chain produced.
#[derive(Clone, Debug)]
pub struct Transport {
    /// The mobile element's count from the composition (`halo_kmc::mobile_ion_count`).
    pub mobile: MobileIonCount,
    /// Mobile ions per cell placed on the network.
    pub mobile_per_cell_used: f64,
    /// Thresholds, site graph and parameters of the percolation stage.
    pub percolation: PercolationResult,
    /// Sites of the kMC network per cell.
    pub network_sites: usize,
    /// Hops of the kMC network per cell.
    pub network_hops: usize,
    /// Landscape minima dropped because they sit on framework-cation sites.
    pub framework_minima_dropped: usize,
    /// The kMC result.
    pub kmc: KmcResult,
    /// Wall time of landscape + graph, s.
    pub landscape_graph_s: f64,
    /// Wall time of the kMC, s.
    pub kmc_s: f64,
}

/// A failed stage of the chain and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{stage}: {message}")]
pub struct TransportError {
    /// `bvse`, `graph` or `kmc` (the campaign's stage names).
    pub stage: &'static str,
    /// The reason.
    pub message: String,
    /// The chain was stopped on request (not a failure of the structure).
    pub interrupted: bool,
}

fn fail(stage: &'static str) -> impl Fn(String) -> TransportError {
    move |message| TransportError {
        stage,
        message,
        interrupted: false,
    }
}

/// Run the chain on `structure`. `on_stage` is called with `"bvse"`, `"graph"` and `"kmc"` as
/// each stage finishes (progress bars).
pub fn evaluate(
    structure: &Structure,
    settings: &TransportSettings,
    mut on_stage: impl FnMut(&'static str),
) -> Result<Transport, TransportError> {
    let element: Element = settings.bvse.mobile_ion.element;
    let mobile = halo_kmc::mobile_ion_count(structure, element);
    let per_cell = settings.mobile_per_cell.unwrap_or(mobile.mobile_per_cell);
    if !(per_cell.is_finite() && per_cell > 0.0) {
        return Err(TransportError {
            stage: "kmc",
            interrupted: false,
            message: format!(
                "no mobile {el}: all {:.3} {el} per cell share sites with framework cations \
                 (mobile {:.3}, framework {:.3} per cell)",
                mobile.total_per_cell,
                mobile.mobile_per_cell,
                mobile.framework_per_cell,
                el = mobile.element
            ),
        });
    }
    let t0 = Instant::now();
    let bp = BvseParams {
        mixed_site_mobile: MixedSiteMobile::KeepAsFramework,
        ..settings.bvse.clone()
    };
    let land = halo_bvse::landscape(structure, &bp).map_err(|e| fail("bvse")(e.to_string()))?;
    on_stage("bvse");
    let percolation = halo_percolation::analyze(&land, &settings.percolation)
        .map_err(|e| fail("graph")(e.to_string()))?;
    drop(land);
    let (net, dropped) = halo_kmc::mobile::network_without_framework_minima(
        structure,
        element,
        &percolation.site_graph,
        halo_kmc::mobile::FRAMEWORK_MINIMUM_TOLERANCE_ANG,
    )
    .map_err(|e| fail("graph")(e.to_string()))?;
    let landscape_graph_s = t0.elapsed().as_secs_f64();
    on_stage("graph");
    let t1 = Instant::now();
    let mut kp = settings.kmc.clone();
    kp.mobile_ions = MobileIons::PerCell(per_cell);
    let kmc = halo_kmc::simulate_with_stop(&net, &kp, settings.stop.as_deref()).map_err(|e| {
        TransportError {
            stage: "kmc",
            interrupted: matches!(e, halo_kmc::KmcError::Stopped),
            message: e.to_string(),
        }
    })?;
    let kmc_s = t1.elapsed().as_secs_f64();
    on_stage("kmc");
    Ok(Transport {
        mobile,
        mobile_per_cell_used: per_cell,
        network_sites: net.sites.len(),
        network_hops: net.hops.len(),
        framework_minima_dropped: dropped,
        percolation,
        kmc,
        landscape_graph_s,
        kmc_s,
    })
}
