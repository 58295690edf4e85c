//! The Li-site graph: sites (energy minima of the landscape) joined by migration edges (saddles).
//!
//! This is the hand-off type between the landscape stage and the kinetic Monte Carlo stage.

use halo_core::Lattice;
use petgraph::graph::UnGraph;
use serde::{Deserialize, Serialize};

/// A mobile-ion site: a local minimum of the site-energy landscape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiSite {
    /// Fractional coordinates in the home cell, in [0, 1).
    pub frac_coords: [f64; 3],
    /// Site energy, eV, relative to the global minimum of the landscape (≥ 0).
    pub energy_ev: f64,
    /// Label of the CIF site it coincides with (within the matching tolerance), if any.
    pub label: Option<String>,
}

/// A migration edge between two sites through a saddle point.
///
/// Orientation: for the petgraph edge (source → target), the hop goes from `source` in the home
/// cell to the image of `target` translated by the integer lattice vector `image`.
/// The reverse hop (target → source) has image `−image` and hop vector `−hop_vector_ang`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationEdge {
    /// Saddle-point energy, eV, on the same scale as [`LiSite::energy_ev`].
    pub saddle_energy_ev: f64,
    /// Lattice translation of the target image.
    pub image: [i32; 3],
    /// Cartesian hop vector from source to the target image, Å.
    pub hop_vector_ang: [f64; 3],
}

impl MigrationEdge {
    /// |hop vector|, Å.
    pub fn hop_length_ang(&self) -> f64 {
        let v = self.hop_vector_ang;
        (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
    }
}

/// The periodic site graph of one structure. Several edges may join the same pair of sites
/// (different images); an edge may join a site to its own image (`source == target`,
/// `image != 0`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SiteGraph {
    /// The cell the fractional coordinates refer to.
    pub lattice: Lattice,
    /// Sites and edges.
    pub graph: UnGraph<LiSite, MigrationEdge>,
}
