//! # halo-percolation
//!
//! Exact percolation thresholds of an energy landscape on a periodic grid (one union-find sweep
//! with winding vectors), the Li sites (basin minima) and migration edges (basin contacts at
//! saddle voxels), and the resulting site graph as a petgraph graph. See docs/physics.md §4.
//!
//! **Thresholds.** Voxels are added in ascending energy to a union-find on the periodic grid
//! (26-connectivity); every node keeps its integer cell offset to its parent, so an edge that
//! closes a cycle inside one cluster with a non-zero offset difference is a winding vector. The
//! energy (relative to the grid minimum) at which some cluster's windings first span 1, 2, 3
//! dimensions is E_1D, E_2D, E_3D.
//!
//! **Sites and edges.** The same sweep labels each new voxel with the basin of its lowest active
//! neighbour (a new basin at each local minimum). Whenever a voxel touches a different basin (or
//! another image of its own) a migration edge (basin A, basin B, image) is recorded with the
//! voxel's energy as saddle, the first (lowest) one per (A, B, image). A basin whose *first*
//! contact is with another basin whose deepest point lies within `cluster_radius_ang` is merged
//! into it (one site). Merging only at first contact keeps the graph exact: the site graph
//! percolates at exactly the grid thresholds ([`graph_thresholds`]).
//!
//! ```
//! use halo_percolation::{sweep::PeriodicGrid, analyze_grid, PercolationParams};
//! use halo_core::Lattice;
//! // a 1D channel along a: low energy on the line j = k = 0, a bump at i = 2
//! let n = 6;
//! let mut e = vec![5.0; n * n * n];
//! for i in 0..n { e[i * n * n] = if i == 2 { 0.3 } else { 0.0 }; }
//! let grid = PeriodicGrid::new([n, n, n], [n, n, n], &e).unwrap();
//! let r = analyze_grid(&grid, &Lattice::cubic(6.0), &[], &PercolationParams::default()).unwrap();
//! assert_eq!(r.thresholds.e_1d_ev, Some(0.3));
//! assert_eq!(r.thresholds.e_2d_ev, Some(5.0));
//! assert_eq!(halo_percolation::graph_thresholds(&r.site_graph), r.thresholds);
//! ```

pub mod error;
pub mod graph;
pub mod periods;
pub mod report;
pub mod sweep;

pub use error::PercolationError;
pub use graph::{LiSite, MigrationEdge, SiteGraph};
pub use sweep::{PeriodicGrid, Thresholds};

use halo_bvse::{GridMode, Landscape, MobileSite};
use halo_core::Lattice;
use nalgebra::Vector3;
use periods::Periods;
use petgraph::graph::{NodeIndex, UnGraph};
use serde::{Deserialize, Serialize};

/// Parameters of the percolation analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PercolationParams {
    /// Grid minima whose basins first meet within this distance (Å) form one site.
    pub cluster_radius_ang: f64,
    /// A site is labelled with the nearest CIF mobile-ion site within this distance, Å (a CIF
    /// site with none that close labels its nearest site within this distance plus a voxel
    /// diagonal, if that site is unlabelled: see `label_displaced_twins`).
    pub label_tolerance_ang: f64,
    /// Energy window of bvlain's bisection (its `encut`), eV.
    pub bvlain_encut_ev: f64,
    /// Sites and edges more than this above the grid minimum (eV) are left out of the site
    /// graph (`None` keeps all, including contacts through the framework ions' cores). Graph
    /// percolation equals the grid thresholds that lie below the cutoff.
    pub graph_energy_cutoff_ev: Option<f64>,
}

impl Default for PercolationParams {
    fn default() -> Self {
        PercolationParams {
            cluster_radius_ang: 0.5,
            label_tolerance_ang: 0.5,
            bvlain_encut_ev: 10.0,
            graph_energy_cutoff_ev: Some(5.0),
        }
    }
}

/// Result of [`analyze`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PercolationResult {
    /// Absolute grid minimum, eV (all other energies are relative to it).
    pub grid_min_ev: f64,
    /// Exact thresholds from the grid sweep.
    pub thresholds: Thresholds,
    /// The thresholds as bvlain 0.25.1 prints them (bisection from 0 to `encut`, stop when the
    /// bracket is ≤ 0.01 eV, upper end rounded to 4 decimals).
    pub bvlain_rounded: Thresholds,
    /// Li sites and migration edges.
    pub site_graph: SiteGraph,
    /// Periodic voxels analysed.
    pub n_voxels: usize,
    /// Grid local minima before clustering.
    pub n_grid_minima: usize,
    /// Parameters used.
    pub params: PercolationParams,
}

/// Python's `round(x, 4)` (round half to even on the exact binary value) for the dyadic values
/// bvlain's bisection produces.
fn round4(x: f64) -> f64 {
    let y = x * 1e4;
    let r = y.round();
    let r = if (y - y.trunc()).abs() == 0.5 {
        // tie: to even
        2.0 * (y / 2.0).round()
    } else {
        r
    };
    r / 1e4
}

/// The barrier bvlain 0.25.1 prints for an exact threshold `t` (relative to the grid minimum):
/// `_percolation_energy` bisects [0, encut] while the bracket exceeds 0.01 eV, a probe succeeding
/// when voxels strictly below it percolate (probe > t), and returns `round(emax, 4)` of the last
/// success; `None` (bvlain: inf) when no probe succeeds.
pub fn bvlain_barrier(t: Option<f64>, encut_ev: f64) -> Option<f64> {
    let mut emin = 0.0f64;
    let mut emax = encut_ev;
    let mut barrier = None;
    while emax - emin > 0.01 {
        let probe = (emin + emax) / 2.0;
        if t.is_some_and(|t| probe > t) {
            emax = probe;
            barrier = Some(round4(emax));
        } else {
            emin = probe;
        }
    }
    barrier
}

/// Percolation analysis of a BVSE landscape: the landscape's periodic grid (the repeated planes
/// of bvlain mode are dropped), sites labelled with the mobile-ion sites of its structure.
pub fn analyze(
    land: &Landscape,
    params: &PercolationParams,
) -> Result<PercolationResult, PercolationError> {
    let shape = match land.params.mode {
        GridMode::Default => land.shape,
        GridMode::Bvlain => land.shape.map(|n| n - 1),
    };
    let grid = PeriodicGrid::new(shape, land.shape, &land.energies_ev)?;
    analyze_grid(&grid, &land.lattice, &land.mobile_sites, params)
}

/// Percolation analysis of any periodic grid over `lattice`.
pub fn analyze_grid(
    grid: &PeriodicGrid,
    lattice: &Lattice,
    mobile_sites: &[MobileSite],
    params: &PercolationParams,
) -> Result<PercolationResult, PercolationError> {
    for (name, v) in [
        ("cluster_radius_ang", params.cluster_radius_ang),
        ("label_tolerance_ang", params.label_tolerance_ang),
        ("bvlain_encut_ev", params.bvlain_encut_ev),
        (
            "graph_energy_cutoff_ev",
            params.graph_energy_cutoff_ev.unwrap_or(0.0),
        ),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(PercolationError::InvalidParameter {
                name,
                reason: format!("{v} is not a non-negative number"),
            });
        }
    }
    let rows = lattice.rows();
    let sw = sweep::sweep(
        grid,
        &sweep::SweepParams {
            cluster_radius_ang: params.cluster_radius_ang,
            lattice_rows: &rows,
        },
    )?;
    let e0 = sw.grid_min_ev;
    let mut g: UnGraph<LiSite, MigrationEdge> = UnGraph::default();
    let mut node_of = std::collections::HashMap::new();
    let mut wrap_of = std::collections::HashMap::new();
    let cutoff = params.graph_energy_cutoff_ev.unwrap_or(f64::INFINITY);
    for s in sw.sites.iter().filter(|s| s.energy_ev - e0 <= cutoff) {
        let f = subvoxel_minimum(grid, s.voxel as usize);
        let unwrapped = [0, 1, 2].map(|a| f[a] + s.cell[a] as f64);
        let frac = unwrapped.map(halo_core::lattice::wrap_frac);
        // the cell of the wrapped position, from the position itself: `wrap_frac` takes a value
        // a hair below 1 to 0 (a refined minimum 1e-12 below a face), and a floor taken before
        // it put that site one cell off its hops (LiI-type 9.8 Å hops in the C2/m refinement)
        let k = [0, 1, 2].map(|a| (unwrapped[a] - frac[a]).round() as i32);
        let label = nearest_label(lattice, frac, mobile_sites, params.label_tolerance_ang);
        let idx = g.add_node(LiSite {
            frac_coords: frac,
            energy_ev: s.energy_ev - e0,
            label,
        });
        node_of.insert(s.id, idx);
        wrap_of.insert(s.id, (k, frac));
    }
    label_displaced_twins(
        &mut g,
        grid,
        lattice,
        mobile_sites,
        params.label_tolerance_ang,
    );
    for e in sw.edges.iter().filter(|e| e.saddle_ev - e0 <= cutoff) {
        let (ka, fa) = wrap_of[&e.a];
        let (kb, fb) = wrap_of[&e.b];
        let image = [0, 1, 2].map(|x| e.image[x] + kb[x] - ka[x]);
        let d = Vector3::from([0, 1, 2].map(|x| fb[x] + image[x] as f64 - fa[x]));
        let hop = lattice.cart(&d);
        g.add_edge(
            node_of[&e.a],
            node_of[&e.b],
            MigrationEdge {
                saddle_energy_ev: e.saddle_ev - e0,
                image,
                hop_vector_ang: [hop.x, hop.y, hop.z],
            },
        );
    }
    let t = sw.thresholds;
    let bv = Thresholds {
        e_1d_ev: bvlain_barrier(t.e_1d_ev, params.bvlain_encut_ev),
        e_2d_ev: bvlain_barrier(t.e_2d_ev, params.bvlain_encut_ev),
        e_3d_ev: bvlain_barrier(t.e_3d_ev, params.bvlain_encut_ev),
    };
    Ok(PercolationResult {
        grid_min_ev: e0,
        thresholds: t,
        bvlain_rounded: bv,
        site_graph: SiteGraph {
            lattice: lattice.clone(),
            graph: g,
        },
        n_voxels: grid.num_voxels(),
        n_grid_minima: sw.n_grid_minima,
        params: params.clone(),
    })
}

/// A neighbourhood value beyond this, eV, is a grid point on an ion's core (the landscape writes
/// f64::MAX there), not a well to interpolate: the voxel is kept. Site-energy wells and their
/// walls within a voxel of a minimum are within tens of eV.
const NO_CURVATURE_ABOVE_EV: f64 = 1e6;

/// Fractional position of the landscape minimum at grid minimum `v`, to a fraction of a voxel:
/// the minimum of the triquadratic interpolant through the voxel's 3×3×3 neighbourhood (in grid
/// steps, Lagrange polynomials on −1, 0, 1 per axis; exact for any quadratic well, and it
/// follows an anharmonic one further than the quadratic of central differences: LiI's
/// tetrahedral interstitial, 0.25 voxel off the cubic grid, 2.549 against 2.582 Å), taken where
/// Newton's method on it stays within the neighbourhood (|d_a| ≤ 1) with a positive definite
/// Hessian, else the voxel itself (fractional, not wrapped into [0, 1)). A minimum on a grid
/// point is up to half a voxel diagonal from the true one, and where the site lies relative to
/// the grid depends on the cell the file is written in: LiI's octahedral–tetrahedral distance
/// (√3/4·a = 2.584 Å) came out 2.509 Å in the 60° primitive cell and 2.412 Å in the cubic one at
/// 0.2 Å, on either side of the kMC's 2.5 Å blocking distance, and σ(300 K) differed by five
/// decades. Energies stay the grid's (the saddles are grid values too).
fn subvoxel_minimum(grid: &PeriodicGrid, v: usize) -> [f64; 3] {
    let n = grid.shape;
    let c = grid.ijk(v);
    // the 27 values, w[i][j][k] at offsets (i − 1, j − 1, k − 1)
    let mut w = [[[0.0f64; 3]; 3]; 3];
    for (i, wi) in w.iter_mut().enumerate() {
        for (j, wij) in wi.iter_mut().enumerate() {
            for (k, x) in wij.iter_mut().enumerate() {
                let d = [i as i64 - 1, j as i64 - 1, k as i64 - 1];
                let ijk = [0, 1, 2].map(|a| (c[a] as i64 + d[a]).rem_euclid(n[a] as i64) as usize);
                *x = grid.energy((ijk[0] * n[1] + ijk[1]) * n[2] + ijk[2]);
            }
        }
    }
    let voxel = grid.frac(v);
    // a grid point at the largest finite f64 (on a like-charged ion) has no curvature to read
    if w.iter()
        .flatten()
        .flatten()
        .any(|x| !x.is_finite() || x.abs() > NO_CURVATURE_ABOVE_EV)
    {
        return voxel;
    }
    let Some(d) = triquadratic_minimum(&w) else {
        return voxel;
    };
    // not wrapped: the caller adds the basin's cell and wraps, so a minimum refined across a
    // cell face keeps its image bookkeeping
    [0, 1, 2].map(|a| voxel[a] + d[a] / n[a] as f64)
}

/// The minimum of the triquadratic Lagrange interpolant of `w` (values at offsets −1, 0, 1 per
/// axis) within |d_a| ≤ 1, by Newton's method from the centre; `None` when it leaves the box,
/// meets a Hessian that is not positive definite, or does not converge.
fn triquadratic_minimum(w: &[[[f64; 3]; 3]; 3]) -> Option<nalgebra::Vector3<f64>> {
    // 1D Lagrange basis on {−1, 0, 1} with first and second derivatives
    let basis = |t: f64| -> [[f64; 3]; 3] {
        [
            [t * (t - 1.0) / 2.0, 1.0 - t * t, t * (t + 1.0) / 2.0],
            [t - 0.5, -2.0 * t, t + 0.5],
            [1.0, -2.0, 1.0],
        ]
    };
    let mut d = nalgebra::Vector3::<f64>::zeros();
    for _ in 0..30 {
        let b = [basis(d[0]), basis(d[1]), basis(d[2])];
        let mut g = nalgebra::Vector3::zeros();
        let mut h = nalgebra::Matrix3::zeros();
        for (i, wi) in w.iter().enumerate() {
            for (j, wij) in wi.iter().enumerate() {
                for (k, &x) in wij.iter().enumerate() {
                    let idx = [i, j, k];
                    // ∂/∂d_a: derivative order 1 on axis a, 0 elsewhere (and 2 for ∂²/∂d_a²)
                    let term = |orders: [usize; 3]| -> f64 {
                        (0..3).map(|a| b[a][orders[a]][idx[a]]).product::<f64>() * x
                    };
                    for a in 0..3 {
                        let mut o = [0; 3];
                        o[a] = 1;
                        g[a] += term(o);
                        for bb in a..3 {
                            let mut o = [0; 3];
                            o[a] += 1;
                            o[bb] += 1;
                            let v = term(o);
                            h[(a, bb)] += v;
                            if bb != a {
                                h[(bb, a)] += v;
                            }
                        }
                    }
                }
            }
        }
        let step = -h.cholesky()?.solve(&g);
        d += step;
        if d.iter().any(|x| !x.is_finite() || x.abs() > 1.0) {
            return None;
        }
        if step.norm() < 1e-10 {
            return Some(d);
        }
    }
    None
}

/// Second labelling pass: a mobile-ion site of the structure with no landscape site within
/// `tol_ang` labels its nearest landscape site, if that site is still unlabelled and lies within
/// `tol_ang` plus twice the grid's half voxel diagonal. A landscape minimum sits on a voxel, up
/// to half a voxel diagonal h from the true minimum, so two symmetric twins of one refined site
/// can be at distances from their minima that differ by up to 2h: with the first pass alone,
/// one twin could be labelled (0.46 Å) and the other not (0.53 Å; Li3AlF6 mp-15254 at 0.2 Å),
/// and a structure's equivalent sites would then be reported, grounded and contracted
/// differently. Claims are settled nearest first, so a landscape site takes at most one label.
fn label_displaced_twins(
    g: &mut UnGraph<LiSite, MigrationEdge>,
    grid: &PeriodicGrid,
    lattice: &Lattice,
    mobile_sites: &[MobileSite],
    tol_ang: f64,
) {
    let step = [0, 1, 2].map(|a| 1.0 / grid.shape[a] as f64);
    let half_diagonal = [
        [1.0, 1.0, 1.0],
        [1.0, 1.0, -1.0],
        [1.0, -1.0, 1.0],
        [-1.0, 1.0, 1.0],
    ]
    .iter()
    .map(|sign| {
        let d = Vector3::from([0, 1, 2].map(|a| sign[a] * step[a] / 2.0));
        lattice.cart(&d).norm()
    })
    .fold(0.0, f64::max);
    let reach = tol_ang + 2.0 * half_diagonal;
    let mut claims: Vec<(f64, NodeIndex, String)> = Vec::new();
    for m in mobile_sites {
        let Some(label) = &m.label else { continue };
        let p = Vector3::from(m.frac_coords);
        let nearest = g
            .node_indices()
            .map(|i| {
                let q = Vector3::from(g[i].frac_coords);
                (lattice.distance_and_image(&p, &q).0, i)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let Some((d, i)) = nearest else { continue };
        if d > tol_ang && d <= reach && g[i].label.is_none() {
            claims.push((d, i, label.clone()));
        }
    }
    claims.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (_, i, label) in claims {
        if g[i].label.is_none() {
            g[i].label = Some(label);
        }
    }
}

fn nearest_label(
    lattice: &Lattice,
    frac: [f64; 3],
    mobile_sites: &[MobileSite],
    tol_ang: f64,
) -> Option<String> {
    let p = Vector3::from(frac);
    mobile_sites
        .iter()
        .filter_map(|m| {
            let (d, _) = lattice.distance_and_image(&p, &Vector3::from(m.frac_coords));
            (d <= tol_ang).then_some((d, m))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .and_then(|(_, m)| m.label.clone())
}

/// Percolation thresholds of a site graph: edges added in ascending saddle energy to a
/// union-find over sites with image offsets; a cycle with non-zero total image is a winding.
/// Equals the grid sweep's thresholds for graphs built by [`analyze`].
pub fn graph_thresholds(sg: &SiteGraph) -> Thresholds {
    let g = &sg.graph;
    let n = g.node_count();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut off: Vec<[i64; 3]> = vec![[0; 3]; n];
    let mut periods: Vec<Periods> = vec![Periods::default(); n];
    fn find(parent: &mut [usize], off: &mut [[i64; 3]], x: usize) -> (usize, [i64; 3]) {
        let mut r = x;
        let mut t = [0i64; 3];
        while parent[r] != r {
            t = [t[0] + off[r][0], t[1] + off[r][1], t[2] + off[r][2]];
            r = parent[r];
        }
        if x != r {
            parent[x] = r;
            off[x] = t;
        }
        (r, t)
    }
    let mut edges: Vec<_> = g.edge_indices().collect();
    edges.sort_by(|a, b| {
        g[*a]
            .saddle_energy_ev
            .total_cmp(&g[*b].saddle_energy_ev)
            .then(a.index().cmp(&b.index()))
    });
    let mut th = Thresholds::default();
    let mut best = 0;
    for e in edges {
        let (a, b) = g.edge_endpoints(e).expect("edge exists");
        let w = g[e].image.map(|x| x as i64);
        let (ra, oa) = find(&mut parent, &mut off, a.index());
        let (rb, ob) = find(&mut parent, &mut off, b.index());
        // b's frame translated by t = oa + w − ob joins a's cluster frame
        let t = [
            oa[0] + w[0] - ob[0],
            oa[1] + w[1] - ob[1],
            oa[2] + w[2] - ob[2],
        ];
        let root = if ra == rb {
            periods[ra].add(t);
            ra
        } else {
            parent[rb] = ra;
            off[rb] = t;
            let pb = std::mem::take(&mut periods[rb]);
            periods[ra].merge(&pb);
            ra
        };
        while best < periods[root].rank() {
            best += 1;
            th.set(best, g[e].saddle_energy_ev);
        }
    }
    th
}

/// The node of a site graph nearest (periodic) to fractional `frac`, with its distance in Å.
pub fn nearest_site(sg: &SiteGraph, frac: [f64; 3]) -> Option<(NodeIndex, f64)> {
    let p = Vector3::from(frac);
    sg.graph
        .node_indices()
        .map(|i| {
            let (d, _) = sg
                .lattice
                .distance_and_image(&p, &Vector3::from(sg.graph[i].frac_coords));
            (i, d)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quadratic well whose minimum lies between grid points (and across the cell face from
    /// the nearest one): the site is placed at the minimum itself, to round-off, in any
    /// anisotropic, sheared quadratic form; a voxel whose neighbourhood has no minimum keeps its
    /// grid position.
    #[test]
    fn a_site_sits_at_the_sub_voxel_minimum_of_its_well() {
        let n = [10usize, 12, 8];
        let centre = [0.0 - 0.37 / 10.0, 0.5 + 0.21 / 12.0, 0.25 + 0.44 / 8.0];
        let h = [[2.0, 0.3, -0.2], [0.3, 1.5, 0.1], [-0.2, 0.1, 1.0]];
        let mut e = vec![0.0; n[0] * n[1] * n[2]];
        for i in 0..n[0] {
            for j in 0..n[1] {
                for k in 0..n[2] {
                    let ijk = [i, j, k];
                    // periodic offset from the centre in grid steps
                    let d: Vec<f64> = (0..3)
                        .map(|a| {
                            let f = ijk[a] as f64 / n[a] as f64 - centre[a];
                            (f - f.round()) * n[a] as f64
                        })
                        .collect();
                    let mut q = 0.0;
                    for a in 0..3 {
                        for b in 0..3 {
                            q += 0.5 * d[a] * h[a][b] * d[b];
                        }
                    }
                    e[(i * n[1] + j) * n[2] + k] = q;
                }
            }
        }
        let grid = PeriodicGrid::new(n, n, &e).unwrap();
        let v = (0..grid.num_voxels())
            .min_by(|&a, &b| grid.energy(a).total_cmp(&grid.energy(b)))
            .unwrap();
        let f = subvoxel_minimum(&grid, v);
        for a in 0..3 {
            let d = f[a] - centre[a];
            assert!(
                (d - d.round()).abs() < 1e-12,
                "axis {a}: {f:?} vs {centre:?}"
            );
        }
        // the minimum across the face: unwrapped, so the basin's cell stays its own
        assert!(f[0] < 0.0, "{f:?}");
        // a flat neighbourhood (no curvature) keeps the voxel
        let flat = vec![1.0; n[0] * n[1] * n[2]];
        let grid = PeriodicGrid::new(n, n, &flat).unwrap();
        assert_eq!(subvoxel_minimum(&grid, 17), grid.frac(17));
    }

    #[test]
    fn bvlain_bisection_rounding() {
        // golden cases (bvlain 0.25.1 printed values)
        assert_eq!(bvlain_barrier(Some(0.5715535687988158), 10.0), Some(0.5762));
        assert_eq!(bvlain_barrier(Some(0.3510620550915986), 10.0), Some(0.3516));
        assert_eq!(
            bvlain_barrier(Some(0.40595182750059555), 10.0),
            Some(0.4102)
        );
        assert_eq!(bvlain_barrier(None, 10.0), None);
        assert_eq!(bvlain_barrier(Some(9.995), 10.0), None);
        // a threshold exactly on a probe fails there (strict <) and rounds up one step
        assert_eq!(bvlain_barrier(Some(0.009765625 * 40.0), 10.0), Some(0.4004));
    }

    #[test]
    fn cubic_box_percolates_in_three_dimensions_at_the_bottleneck() {
        // a simple-cubic network of minima at the cell corners joined by channels with a bump
        let n = 8;
        let mut e = vec![3.0; n * n * n];
        let idx = |i: usize, j: usize, k: usize| (i * n + j) * n + k;
        for t in 0..n {
            let bump = if t == n / 2 {
                0.4
            } else {
                0.1 * (t.min(n - t)) as f64 / 4.0
            };
            e[idx(t, 0, 0)] = bump;
            e[idx(0, t, 0)] = bump + 0.05;
            e[idx(0, 0, t)] = bump + 0.1;
        }
        e[0] = 0.0;
        let grid = PeriodicGrid::new([n, n, n], [n, n, n], &e).unwrap();
        let r = analyze_grid(
            &grid,
            &Lattice::cubic(8.0),
            &[],
            &PercolationParams::default(),
        )
        .unwrap();
        assert_eq!(r.thresholds.e_1d_ev, Some(0.4));
        assert_eq!(r.thresholds.e_2d_ev, Some(0.45));
        assert_eq!(r.thresholds.e_3d_ev, Some(0.5));
        assert_eq!(graph_thresholds(&r.site_graph), r.thresholds);
        assert_eq!(r.site_graph.graph.node_count(), 1);
    }
}
