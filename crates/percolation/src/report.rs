//! The landscape-and-graph report of `halo bvse --json` and `halo.bvse`: grid, exact and
//! bvlain-rounded percolation thresholds, the Li sites and migration edges, and the parameters
//! used. One builder for the command and the Python binding, so their numbers agree key for key
//! (the command adds `file`, `warnings` and `grid_out`).

use crate::{PercolationParams, PercolationResult, Thresholds};
use halo_bvse::{BvseParams, Landscape, MixedSiteMobile};
use serde::Serialize;

/// One site of the graph: index, fractional coordinates, energy above the grid minimum (eV) and
/// the label of the input site it coincides with.
#[derive(Clone, Debug, Serialize)]
pub struct SiteRow {
    pub index: usize,
    pub frac_coords: [f64; 3],
    pub energy_ev: f64,
    pub label: Option<String>,
}

/// One migration edge: from `site_a` in the home cell to the `image` of `site_b`, its saddle
/// energy (eV, on the sites' scale), hop length (Å) and Cartesian hop vector (Å).
#[derive(Clone, Debug, Serialize)]
pub struct EdgeRow {
    pub site_a: usize,
    pub site_b: usize,
    pub saddle_energy_ev: f64,
    pub hop_length_ang: f64,
    pub image: [i32; 3],
    pub hop_vector_ang: [f64; 3],
}

/// The report.
#[derive(Clone, Debug, Serialize)]
pub struct LandscapeReport {
    pub mobile_ion: String,
    pub mode: String,
    pub resolution_ang: f64,
    /// What was done with mobile-ion atoms on sites shared with a framework cation.
    pub mixed_site_li: &'static str,
    pub grid_shape: [usize; 3],
    pub periodic_grid_shape: [usize; 3],
    pub n_voxels: usize,
    /// Absolute grid minimum, eV.
    pub grid_min_ev: f64,
    pub e_1d_ev: Option<f64>,
    pub e_2d_ev: Option<f64>,
    pub e_3d_ev: Option<f64>,
    pub bvlain_rounded: Thresholds,
    pub n_grid_minima: usize,
    pub sites: Vec<SiteRow>,
    pub edges: Vec<EdgeRow>,
    pub bvse_params: BvseParams,
    pub percolation_params: PercolationParams,
}

/// How a rule for mobile-ion atoms on mixed sites reads in the report.
pub fn mixed_site_rule(m: MixedSiteMobile) -> &'static str {
    match m {
        MixedSiteMobile::KeepAsFramework => {
            "framework (kept with their occupancy, as in halo kmc and campaigns)"
        }
        MixedSiteMobile::Remove => "removed (bvlain's convention)",
    }
}

/// The report of the landscape `land` and its analysis `perc`.
pub fn landscape_report(land: &Landscape, perc: &PercolationResult) -> LandscapeReport {
    let g = &perc.site_graph.graph;
    let sites = g
        .node_indices()
        .map(|i| {
            let s = &g[i];
            SiteRow {
                index: i.index(),
                frac_coords: s.frac_coords,
                energy_ev: s.energy_ev,
                label: s.label.clone(),
            }
        })
        .collect();
    let edges = g
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = g.edge_endpoints(e)?;
            let m = &g[e];
            Some(EdgeRow {
                site_a: a.index(),
                site_b: b.index(),
                saddle_energy_ev: m.saddle_energy_ev,
                hop_length_ang: m.hop_length_ang(),
                image: m.image,
                hop_vector_ang: m.hop_vector_ang,
            })
        })
        .collect();
    let t = &perc.thresholds;
    LandscapeReport {
        mobile_ion: land.params.mobile_ion.to_string(),
        mode: land.params.mode.to_string(),
        resolution_ang: land.params.resolution_ang,
        mixed_site_li: mixed_site_rule(land.params.mixed_site_mobile),
        grid_shape: land.shape,
        periodic_grid_shape: land.periodic_shape(),
        n_voxels: land.num_voxels(),
        grid_min_ev: perc.grid_min_ev,
        e_1d_ev: t.e_1d_ev,
        e_2d_ev: t.e_2d_ev,
        e_3d_ev: t.e_3d_ev,
        bvlain_rounded: perc.bvlain_rounded,
        n_grid_minima: perc.n_grid_minima,
        sites,
        edges,
        bvse_params: land.params.clone(),
        percolation_params: perc.params.clone(),
    }
}
