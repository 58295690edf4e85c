//! # halo-percolation
//!
//! Exact percolation thresholds of an energy landscape on a periodic grid (one union-find sweep
//! with winding vectors), the Li sites (basin minima) and migration edges (basin merges at saddle
//! voxels), and the resulting site graph as a petgraph graph. See PHYSICS.md §4.

pub mod graph;

pub use graph::{LiSite, MigrationEdge, SiteGraph};
