//! The occupancy-averaged model (the first model, kept as a fast descriptor): mobile-ion count
//! → BVSE landscape (default mode, Li sharing a site with a framework cation kept in the
//! framework) → exact percolation thresholds and Li-site graph → kMC network without the minima
//! that sit on framework-cation sites → single-particle kMC with hard blocking → Arrhenius fit.

use super::cache::NetworkCache;
use super::{
    fail, kmc_error, ConductivityModel, LiSublattice, Transport, TransportError, TransportSettings,
};
use halo_bvse::{BvseParams, MixedSiteMobile};
use halo_core::{Element, Structure};
use halo_kmc::{HopNetwork, MobileIons};
use halo_percolation::PercolationResult;
use std::time::Instant;

/// The averaged chain's network for `structure` as it is (no anion relaxation): the landscape
/// with Li sharing a site with a framework cation kept in the framework, the percolation
/// result, and the kMC network without the minima on framework-cation sites (with how many were
/// dropped). `on_stage` is called with `"bvse"` after the landscape. [`evaluate`] runs the kMC
/// on it; the examples that re-price its sites start from it.
pub fn network(
    structure: &Structure,
    settings: &TransportSettings,
    mut on_stage: impl FnMut(&'static str),
) -> Result<(PercolationResult, HopNetwork, usize), TransportError> {
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
        settings.bvse.mobile_ion.element,
        &percolation.site_graph,
        halo_kmc::mobile::FRAMEWORK_MINIMUM_TOLERANCE_ANG,
    )
    .map_err(|e| fail("graph")(e.to_string()))?;
    Ok((percolation, net, dropped))
}

/// What the averaged chain builds from the structure and settings alone, kept in the call's
/// [`NetworkCache`].
struct Base {
    /// The structure with its anions relaxed (`settings.relax_anions`).
    relaxed: Option<Structure>,
    relaxation: Option<halo_bvse::relax::RelaxReport>,
    percolation: PercolationResult,
    net: HopNetwork,
    dropped: usize,
    /// Wall time of the relaxation, landscape, graph and network, s.
    build_s: f64,
}

/// Run the averaged chain on `structure` (see the module documentation); the landscape and
/// network are taken from `cache` when an earlier evaluation of the same call built them.
pub fn evaluate(
    structure: &Structure,
    settings: &TransportSettings,
    cache: &NetworkCache,
    mut on_stage: impl FnMut(&'static str),
) -> Result<Transport, TransportError> {
    let element: Element = settings.bvse.mobile_ion.element;
    let mobile = halo_kmc::mobile_ion_count(structure, element);
    let per_cell = settings.mobile_per_cell.unwrap_or(mobile.mobile_per_cell);
    if settings.mobile_per_cell.is_none() && mobile.total_per_cell <= 0.0 {
        return Err(TransportError {
            stage: "kmc",
            interrupted: false,
            message: format!(
                "no mobile ion: the structure has no {el}; another mobile ion is chosen with \
                 --mobile-ion (e.g. Na+)",
                el = mobile.element
            ),
        });
    }
    if !(per_cell.is_finite() && per_cell > 0.0) {
        return Err(TransportError {
            stage: "kmc",
            interrupted: false,
            message: format!(
                "no mobile {el}: all {:.3} {el} per cell share sites with framework cations \
                 (mobile {:.3}, framework {:.3} per cell), which the averaged model keeps in the \
                 framework; the explicit model places every {el} (`--model explicit`, workflow \
                 `[kmc] model = \"explicit\"`, Python `model=\"explicit\"`), or \
                 `--mobile-per-cell` (`mobile_per_cell=`) sets a count",
                mobile.total_per_cell,
                mobile.mobile_per_cell,
                mobile.framework_per_cell,
                el = mobile.element
            ),
        });
    }
    // the landscape, graph and network depend on the structure and settings alone: built once
    // per call of `super::evaluate` (grounding runs the chain once per iteration)
    let mut bvse_reported = false;
    let base = cache.get_or_build("averaged", || -> Result<Base, TransportError> {
        let t0 = Instant::now();
        let mut relaxed = None;
        let mut relaxation = None;
        if settings.relax_anions {
            let (s, report) = halo_bvse::relax::relax_anions(
                structure,
                element,
                &halo_bvse::relax::RelaxParams {
                    energy: settings.relax_energy,
                    ..halo_bvse::relax::RelaxParams::default()
                },
            )
            .map_err(|e| fail("bvse")(e.to_string()))?;
            relaxed = Some(s);
            relaxation = Some(report);
        }
        let (percolation, net, dropped) =
            network(relaxed.as_ref().unwrap_or(structure), settings, |stage| {
                bvse_reported = true;
                on_stage(stage)
            })?;
        Ok(Base {
            relaxed,
            relaxation,
            percolation,
            net,
            dropped,
            build_s: t0.elapsed().as_secs_f64(),
        })
    })?;
    if !bvse_reported {
        on_stage("bvse");
    }
    let t0 = Instant::now();
    let structure = base.relaxed.as_ref().unwrap_or(structure);
    let mut net = base.net.clone();
    let (site_energies, hop_barriers) =
        super::site_energies::apply_files(&mut net, structure, settings)?;
    // the landscape's build time, whether it was built in this call or kept from an earlier one
    let landscape_graph_s = base.build_s + t0.elapsed().as_secs_f64();
    on_stage("graph");
    let t1 = Instant::now();
    let mut kp = settings.kmc.clone();
    kp.mobile_ions = MobileIons::PerCell(per_cell);
    let kmc = halo_kmc::simulate_cached(
        &net,
        &kp,
        settings.stop.as_deref(),
        // the grounding's evaluations and the run after it (the only runs of one call that
        // can share replicas): keep and reuse them
        settings.grounding.as_ref().map(|_| cache.replicas()),
    )
    .map_err(|e| {
        let why = LiSublattice::of(structure, element).explain_kmc_failure(structure, element, &e);
        let mut err = kmc_error(e);
        if let Some(why) = why {
            err.message = format!("{}: {why}", err.message);
        }
        err
    })?;
    let kmc_s = t1.elapsed().as_secs_f64();
    on_stage("kmc");
    let li_sublattice =
        LiSublattice::of(structure, element).with_interstitial_share(structure, element, &kmc);
    Ok(Transport {
        li_sublattice,
        charge: None,
        cell_reduction: None,
        model: ConductivityModel::Averaged,
        mobile,
        mobile_per_cell_used: per_cell,
        network_sites: net.sites.len(),
        network_hops: net.hops.len(),
        framework_minima_dropped: base.dropped,
        stations_contracted: 0,
        percolation: base.percolation.clone(),
        kmc,
        ensemble: None,
        relaxation: base.relaxation.clone(),
        site_energies,
        hop_barriers,
        grounding: None,
        landscape_graph_s,
        kmc_s,
    })
}
