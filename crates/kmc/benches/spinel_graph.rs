//! The site graph of the Li2In1/3Sc1/3Cl4 chlorospinel (structures/, default BVSE mode at
//! 0.2 Å, framework minima excluded), built as `halo kmc` builds it. Shared by the criterion
//! bench and the throughput example through `#[path]`.

use halo_bvse::{BvseParams, GridMode, MixedSiteMobile};
use halo_core::Species;
use halo_kmc::HopNetwork;
use halo_percolation::{analyze, PercolationParams};

/// The CIF of the paper's chlorospinel, relative to this crate.
pub const SPINEL_CIF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif"
);

/// (network, mobile Li per cell).
pub fn spinel_network() -> (HopNetwork, f64) {
    let loaded = halo_io::read_structure(std::path::Path::new(SPINEL_CIF)).expect("spinel CIF");
    let s = &loaded.structure;
    let li = Species::parse("Li+").expect("Li+");
    let params = BvseParams {
        mobile_ion: li,
        resolution_ang: 0.2,
        mode: GridMode::Default,
        mixed_site_mobile: MixedSiteMobile::KeepAsFramework,
        ..Default::default()
    };
    let valid = params.validate().expect("valid BVSE parameters");
    let land = halo_bvse::landscape_valid(s, &valid).expect("landscape");
    let perc = analyze(&land, &PercolationParams::default()).expect("site graph");
    let (net, _) = halo_kmc::mobile::network_without_framework_minima(
        s,
        li.element,
        &perc.site_graph,
        halo_kmc::mobile::FRAMEWORK_MINIMUM_TOLERANCE_ANG,
    )
    .expect("hop network");
    let per_cell = halo_kmc::mobile_ion_count(s, li.element).mobile_per_cell;
    (net, per_cell)
}

/// The cubic supercell n×n×n with the fewest sites ≥ `min_sites`.
pub fn scale_for_sites(net: &HopNetwork, min_sites: usize) -> [usize; 3] {
    let mut n = 1;
    while n * n * n * net.sites.len() < min_sites {
        n += 1;
    }
    [n; 3]
}
