//! The site-energy landscape on a grid: layout, neighbour search and parallel evaluation.

use crate::error::BvseError;
use crate::framework::{Framework, MobileSite};
use crate::params::{BvseParams, GridMode, ValidParams, BYTES_PER_VOXEL_BUDGET};
use crate::potential::{PieceScratch, RadialTable, TABLE_R_MIN_ANG};
use halo_core::{Lattice, Species, Structure};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Edge of the square tiles (in voxels) that share one candidate-neighbour list (default mode).
const TILE: usize = 8;

/// Tiles in bvlain mode: TILE_NEAREST × TILE_NEAREST points in each of SLAB_NEAREST planes (a
/// small radius, so that few images need ranking per point).
const TILE_NEAREST: usize = 4;
const SLAB_NEAREST: usize = 3;

/// Energy stored for a grid point that sits on a like-charged framework ion (1/r = ∞): the
/// largest finite f64, as bvlain's `np.nan_to_num` does.
pub const ENERGY_ON_ATOM_EV: f64 = f64::MAX;

/// A BVSE landscape: absolute site energies of the mobile ion on a grid over the unit cell.
///
/// Point (i, j, k) sits at fractional coordinates [`Landscape::frac_coords`] and is stored at
/// index `(i·n1 + j)·n2 + k` of [`Landscape::energies_ev`] (`shape` = (n0, n1, n2)).
/// In [`GridMode::Bvlain`] the last plane of each axis repeats the first; the periodic grid the
/// percolation analysis uses is then `shape − 1` ([`Landscape::periodic_shape`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Landscape {
    /// The cell (rows a, b, c in Å).
    pub lattice: Lattice,
    /// Points stored per axis.
    pub shape: [usize; 3],
    /// Absolute BVSE energies, eV ([`ENERGY_ON_ATOM_EV`] on a like-charged ion).
    pub energies_ev: Vec<f64>,
    /// The mobile-ion sites of the input structure (removed from the framework).
    pub mobile_sites: Vec<MobileSite>,
    /// The structure the landscape was computed for (for grid export and site labels).
    pub structure: Structure,
    /// The parameters used (tolerances, cutoff, mode).
    pub params: BvseParams,
    /// Number of distinct framework site potentials.
    pub n_site_kinds: usize,
}

/// Python's float floor division `a // b` (CPython `float_floor_div`), so that bvlain-mode grid
/// sizes match bvlain's `int(a // resolution)` exactly.
pub fn python_floor_div(a: f64, b: f64) -> f64 {
    let m = libm::fmod(a, b);
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0f64.copysign(a / b);
    }
    let mut fl = div.floor();
    if div - fl > 0.5 {
        fl += 1.0;
    }
    fl
}

/// Coarsest grid spacing accepted, Å: Li sites and the saddles between them lie 1–2 Å apart,
/// so a coarser grid cannot place a minimum (5 Å gave LiAlCl4 one "site" and a threshold).
pub const MAX_RESOLUTION_ANG: f64 = 1.0;

/// Grid points per axis for `lattice` under `params` (see [`GridMode`]).
pub fn grid_shape(lattice: &Lattice, params: &BvseParams) -> Result<[usize; 3], BvseError> {
    let abc = lattice.abc();
    let mut shape = [0usize; 3];
    for (i, &l) in abc.iter().enumerate() {
        let n = match params.mode {
            // round-off of the cell (6.4000000024 Å written for 6.4 by a basis change) must not
            // add a plane: a ratio within 1e-6 (relative) above an integer is that integer
            GridMode::Default => {
                let x = l / params.resolution_ang;
                (x - 1e-6 * x.max(1.0)).ceil()
            }
            GridMode::Bvlain => python_floor_div(l, params.resolution_ang),
        };
        let min = match params.mode {
            GridMode::Default => 1.0,
            GridMode::Bvlain => 2.0,
        };
        if n.is_nan() || n < min {
            return Err(BvseError::InvalidParameter {
                name: "resolution_ang",
                reason: format!(
                    "{} Å leaves {} point(s) along axis {} of length {:.4} Å",
                    params.resolution_ang, n, i, l
                ),
            });
        }
        if n > 1e7 {
            return Err(BvseError::InvalidParameter {
                name: "resolution_ang",
                reason: format!(
                    "{} Å is too fine for a {:.4} Å axis",
                    params.resolution_ang, l
                ),
            });
        }
        shape[i] = n as usize;
    }
    Ok(shape)
}

/// Check the voxel count against the index range (u32) and the memory limit.
fn check_memory(shape: [usize; 3], params: &BvseParams) -> Result<(), BvseError> {
    let voxels = (shape[0] as u64)
        .checked_mul(shape[1] as u64)
        .and_then(|v| v.checked_mul(shape[2] as u64))
        .unwrap_or(u64::MAX);
    let needed = voxels.saturating_mul(BYTES_PER_VOXEL_BUDGET);
    let limit = params
        .memory_limit_bytes
        .unwrap_or(u64::MAX)
        .min(halo_core::memory::usable_bytes())
        .min(u32::MAX as u64 * BYTES_PER_VOXEL_BUDGET);
    if voxels >= u32::MAX as u64 || needed > limit {
        return Err(BvseError::OutOfMemory {
            resolution_ang: params.resolution_ang,
            voxels,
            needed_bytes: needed,
            limit_bytes: limit,
        });
    }
    Ok(())
}

/// A framework atom image near the cell: Cartesian position and site-kind index.
#[derive(Clone, Copy, Debug)]
struct Image {
    pos: [f64; 3],
    kind: u32,
}

/// Every image of every framework site that can lie within `cutoff` of a point of the cell.
fn cell_images(lattice: &Lattice, fw: &Framework, cutoff: f64) -> Vec<Image> {
    let m = lattice.matrix();
    let a = lattice.vector(0);
    let b = lattice.vector(1);
    let c = lattice.vector(2);
    let center = (a + b + c) * 0.5;
    let circum = [a + b + c, a + b - c, a - b + c, -a + b + c]
        .iter()
        .map(|v| v.norm() * 0.5)
        .fold(0.0, f64::max);
    let reach = cutoff + circum + 1e-6;
    let w = lattice.perpendicular_widths_ang();
    let n = [0, 1, 2].map(|i| (reach / w[i]).ceil() as i32 + 1);
    let mut out = Vec::new();
    for s in &fw.sites {
        let p0 = lattice.cart(&s.frac_coords);
        for i in -n[0]..=n[0] {
            for j in -n[1]..=n[1] {
                for k in -n[2]..=n[2] {
                    let t = (m.row(0) * i as f64 + m.row(1) * j as f64 + m.row(2) * k as f64)
                        .transpose();
                    let p = p0 + t;
                    if (p - center).norm() <= reach {
                        out.push(Image {
                            pos: [p.x, p.y, p.z],
                            kind: s.kind as u32,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Safety margin on distance bounds, Å (far above the rounding error of a distance, far below
/// any physical length).
const BOUND_EPS_ANG: f64 = 1e-6;

/// One tile of grid points and the atom images that can reach it, with scratch buffers.
///
/// Every image is classified once per tile with the triangle inequality: a point p of the tile
/// lies within ρ (the tile radius) of the tile centre c, so an image at distance d_c from c lies
/// at r ∈ [d_c − ρ, d_c + ρ] from p. Default mode then accumulates image by image over all
/// points of the tile (the inner loop runs over points, so it vectorises and one image's table
/// rows stay in cache); bvlain mode works point by point over the images it could not decide
/// for the whole tile.
#[derive(Default)]
struct TileScratch {
    /// Gathered images (Cartesian, Å), grouped by kind.
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    /// Distance of each gathered image from the tile centre, Å.
    dc: Vec<f64>,
    /// Per kind: the gathered images (x, y, z, d_c²) before grouping.
    by_kind: Vec<Vec<[f64; 4]>>,
    /// Per kind: range into x/y/z/dc.
    ranges: Vec<(usize, usize)>,
    /// The tile's points (Cartesian, Å).
    px: Vec<f64>,
    py: Vec<f64>,
    pz: Vec<f64>,
    /// Energy accumulated per point, eV.
    acc: Vec<f64>,
    /// Squared distances of one image to every point, Å².
    d2: Vec<f64>,
    /// Per point: the largest r² kept, Å².
    limit: Vec<f64>,
    /// Bvlain mode: the d_c values, for the k-th and (k+1)-th smallest.
    sel: Vec<f64>,
    /// Bvlain mode: the candidate images (Cartesian, Å): the ones among the k nearest at every
    /// point, by kind (those that can come within r_min after the others), then the unsure
    /// ones, by kind.
    ux: Vec<f64>,
    uy: Vec<f64>,
    uz: Vec<f64>,
    /// Bvlain mode: per kind (sure, sure near r_min, unsure), range into ux/uy/uz and whether
    /// r < r_min can occur.
    u_ranges: Vec<(usize, usize, bool)>,
    /// Bvlain mode: gathered indices of the unsure images.
    unsure_idx: Vec<usize>,
    /// Bvlain mode: gathered indices of the sure images that can come within r_min.
    core_idx: Vec<usize>,
    /// Bvlain mode: one point's r² to every candidate image, Å².
    row: Vec<f64>,
    pieces: PieceScratch,
}

/// Everything a slab of grid planes needs, shared by all slabs.
struct GridJob<'a> {
    images: &'a [Image],
    tables: &'a [RadialTable],
    shape: [usize; 3],
    /// Points computed per axis: `shape`, or `shape − 1` when the last plane of each axis
    /// repeats the first (bvlain grids, filled by copying).
    computed: [usize; 3],
    /// Fractional coordinate of point i along axis a: i / denom[a].
    denom: [f64; 3],
    /// Cell matrix (rows a, b, c), Å.
    rows_ang: [[f64; 3]; 3],
    /// Interaction cutoff r_c, Å.
    cutoff_ang: f64,
    /// At most this many nearest images per point (bvlain mode); `usize::MAX` in default mode.
    k_max: usize,
    /// Tile edge within a plane (points); tiles span every plane of a slab.
    tile: usize,
    /// Use the AVX2 build of the plane loop where the CPU has it.
    allow_simd: bool,
}

impl GridJob<'_> {
    #[inline(always)]
    fn cart(&self, fi: f64, fj: f64, fk: f64) -> [f64; 3] {
        let m = &self.rows_ang;
        [
            fi * m[0][0] + fj * m[1][0] + fk * m[2][0],
            fi * m[0][1] + fj * m[1][1] + fk * m[2][1],
            fi * m[0][2] + fj * m[1][2] + fk * m[2][2],
        ]
    }

    /// Energies of the planes i0, i0 + 1, … into `out` (`shape[1]·shape[2]` values per plane),
    /// tile by tile (a tile spans every plane of the slab).
    #[inline(always)]
    fn fill_slab<const SIMD: bool>(&self, s: &mut TileScratch, i0: usize, out: &mut [f64]) {
        let (shape, denom, tile, rc) = (self.shape, self.denom, self.tile, self.cutoff_ang);
        let plane = shape[1] * shape[2];
        let i1 = i0 + out.len() / plane;
        let [_, n1, n2] = self.computed;
        let (fi0, fi1) = (i0 as f64 / denom[0], (i1 - 1) as f64 / denom[0]);
        for j0 in (0..n1).step_by(tile) {
            let j1 = (j0 + tile).min(n1);
            for k0 in (0..n2).step_by(tile) {
                let k1 = (k0 + tile).min(n2);
                // tile centre and radius (a parallelepiped: the farthest point is a corner)
                let (fj0, fj1) = (j0 as f64 / denom[1], (j1 - 1) as f64 / denom[1]);
                let (fk0, fk1) = (k0 as f64 / denom[2], (k1 - 1) as f64 / denom[2]);
                let c = self.cart(0.5 * (fi0 + fi1), 0.5 * (fj0 + fj1), 0.5 * (fk0 + fk1));
                let mut radius2: f64 = 0.0;
                for fi in [fi0, fi1] {
                    for (fj, fk) in [(fj0, fk0), (fj0, fk1), (fj1, fk0), (fj1, fk1)] {
                        let p = self.cart(fi, fj, fk);
                        let d2 =
                            (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
                        radius2 = radius2.max(d2);
                    }
                }
                let rho = radius2.sqrt() + BOUND_EPS_ANG;
                s.gather(self.images, self.tables.len(), c, rc + rho);
                s.px.clear();
                s.py.clear();
                s.pz.clear();
                for i in i0..i1 {
                    let fi = i as f64 / denom[0];
                    for j in j0..j1 {
                        let fj = j as f64 / denom[1];
                        for k in k0..k1 {
                            let p = self.cart(fi, fj, k as f64 / denom[2]);
                            s.px.push(p[0]);
                            s.py.push(p[1]);
                            s.pz.push(p[2]);
                        }
                    }
                }
                if self.k_max == usize::MAX {
                    s.sum_within::<SIMD>(self.tables, rho, rc);
                } else {
                    s.sum_nearest::<SIMD>(self.tables, rho, rc, self.k_max);
                }
                let mut q = 0;
                for i in 0..i1 - i0 {
                    for j in j0..j1 {
                        for k in k0..k1 {
                            let e = s.acc[q];
                            q += 1;
                            out[i * plane + j * shape[2] + k] =
                                if e.is_nan() || e > ENERGY_ON_ATOM_EV {
                                    ENERGY_ON_ATOM_EV
                                } else {
                                    e
                                };
                        }
                    }
                }
            }
        }
        // repeated last column and row (bvlain grids): copies of the first
        for out in out.chunks_mut(plane) {
            if n2 < shape[2] {
                for j in 0..n1 {
                    out[j * shape[2] + n2] = out[j * shape[2]];
                }
            }
            if n1 < shape[1] {
                out.copy_within(0..shape[2], n1 * shape[2]);
            }
        }
    }

    /// [`GridJob::fill_slab`], with the best instruction set the CPU offers. Every path
    /// performs the same IEEE operations in the same order (no fused multiply-add), so the
    /// results are identical.
    fn fill_slab_dispatch(&self, s: &mut TileScratch, i0: usize, out: &mut [f64]) {
        if self.allow_simd {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked above).
                unsafe { self.fill_slab_avx2(s, i0, out) };
                return;
            }
        }
        self.fill_slab::<false>(s, i0, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_slab_avx2(&self, s: &mut TileScratch, i0: usize, out: &mut [f64]) {
        self.fill_slab::<true>(s, i0, out);
    }
}

impl TileScratch {
    /// Keep the images within `reach_ang` of `c` (Cartesian, Å), grouped by kind in input order.
    #[inline(always)]
    fn gather(&mut self, images: &[Image], n_kinds: usize, c: [f64; 3], reach_ang: f64) {
        let reach2 = reach_ang * reach_ang;
        self.by_kind.resize_with(n_kinds, Vec::new);
        self.ranges.resize(n_kinds, (0, 0));
        for v in &mut self.by_kind {
            v.clear();
        }
        for im in images {
            let d2 = (im.pos[0] - c[0]).powi(2)
                + (im.pos[1] - c[1]).powi(2)
                + (im.pos[2] - c[2]).powi(2);
            if d2 <= reach2 {
                self.by_kind[im.kind as usize].push([im.pos[0], im.pos[1], im.pos[2], d2]);
            }
        }
        self.x.clear();
        self.y.clear();
        self.z.clear();
        self.dc.clear();
        for (kind, v) in self.by_kind.iter().enumerate() {
            let start = self.x.len();
            for q in v {
                self.x.push(q[0]);
                self.y.push(q[1]);
                self.z.push(q[2]);
                self.dc.push(q[3].sqrt());
            }
            self.ranges[kind] = (start, self.x.len());
        }
    }

    /// Squared distances of gathered image `c` to every point of the tile, into `self.d2`.
    #[inline(always)]
    fn distances2(&mut self, c: usize) {
        let (x, y, z) = (self.x[c], self.y[c], self.z[c]);
        let n = self.px.len();
        self.d2.resize(n, 0.0);
        let (px, py, pz) = (&self.px[..n], &self.py[..n], &self.pz[..n]);
        for (q, o) in self.d2[..n].iter_mut().enumerate() {
            let dx = x - px[q];
            let dy = y - py[q];
            let dz = z - pz[q];
            *o = dx * dx + dy * dy + dz * dz;
        }
    }

    /// Default mode: Σ over every gathered image within the cutoff (r ≤ r_c), per point, in
    /// kind order then gathering order.
    #[inline(always)]
    fn sum_within<const SIMD: bool>(
        &mut self,
        tables: &[RadialTable],
        rho_ang: f64,
        cutoff_ang: f64,
    ) {
        let (rho, rc) = (rho_ang, cutoff_ang);
        let n = self.px.len();
        self.acc.clear();
        self.acc.resize(n, 0.0);
        self.limit.clear();
        self.limit.resize(n, rc * rc);
        for (kind, table) in tables.iter().enumerate() {
            let (a, b) = self.ranges[kind];
            for c in a..b {
                self.distances2(c);
                let d = self.dc[c];
                let masked = d + rho + BOUND_EPS_ANG > rc;
                let core = d - rho - BOUND_EPS_ANG < TABLE_R_MIN_ANG;
                let limit = masked.then_some(&self.limit[..]);
                table.accumulate::<SIMD>(&self.d2, &mut self.acc, limit, core, &mut self.pieces);
            }
        }
    }

    /// Bvlain mode: Σ over the `k_max` nearest gathered images strictly within the cutoff
    /// (r < r_c), per point.
    ///
    /// With D_k the k-th smallest d_c: an image with d_c − 2ρ > D_k has k images strictly nearer
    /// at every point (out); an image with d_c + 2ρ < D_(k+1) and d_c + ρ < r_c has fewer than
    /// k others that can be as near (in, at every point). Of the remaining ("unsure") images,
    /// each point keeps the m = k − n_in nearest: those with r² ≤ L, exactly m of them
    /// ([`split_at_rank`]; ties at the m-th distance are taken in kind order).
    #[inline(always)]
    fn sum_nearest<const SIMD: bool>(
        &mut self,
        tables: &[RadialTable],
        rho_ang: f64,
        cutoff_ang: f64,
        k_max: usize,
    ) {
        let (rho, rc) = (rho_ang, cutoff_ang);
        let n = self.px.len();
        let rc2 = rc * rc;
        let (d_k, d_k1) = if self.dc.len() > k_max {
            self.sel.clear();
            self.sel.extend_from_slice(&self.dc);
            let (below, kth1, _) = self.sel.select_nth_unstable_by(k_max, f64::total_cmp);
            let d_k1 = *kth1;
            let d_k = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (d_k, d_k1)
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        // candidates: the sure images of every kind (those that can come within r_min of a
        // point, evaluated exactly there, last), then the unsure ones of every kind
        self.ux.clear();
        self.uy.clear();
        self.uz.clear();
        self.u_ranges.clear();
        let mut unsure: Vec<usize> = std::mem::take(&mut self.unsure_idx);
        unsure.clear();
        let mut sure_core: Vec<usize> = std::mem::take(&mut self.core_idx);
        sure_core.clear();
        for kind in 0..tables.len() {
            let (a, b) = self.ranges[kind];
            let start = self.ux.len();
            for c in a..b {
                let d = self.dc[c];
                if d - rho - BOUND_EPS_ANG >= rc || d - 2.0 * rho - BOUND_EPS_ANG > d_k {
                    continue;
                }
                if d + rho + BOUND_EPS_ANG < rc && d + 2.0 * rho + BOUND_EPS_ANG < d_k1 {
                    if d - rho - BOUND_EPS_ANG < TABLE_R_MIN_ANG {
                        sure_core.push(c);
                    } else {
                        self.ux.push(self.x[c]);
                        self.uy.push(self.y[c]);
                        self.uz.push(self.z[c]);
                    }
                } else {
                    unsure.push(c);
                }
            }
            self.u_ranges.push((start, self.ux.len(), false));
        }
        // `sure_core` and `unsure` are in gathering order, so grouped by kind like `ranges`
        for (list, core_always) in [(&sure_core, true), (&unsure, false)] {
            let mut next = 0;
            for &(_, b) in &self.ranges {
                let start = self.ux.len();
                let mut core = core_always;
                while next < list.len() && list[next] < b {
                    let c = list[next];
                    self.ux.push(self.x[c]);
                    self.uy.push(self.y[c]);
                    self.uz.push(self.z[c]);
                    core |= self.dc[c] - rho - BOUND_EPS_ANG < TABLE_R_MIN_ANG;
                    next += 1;
                }
                self.u_ranges.push((start, self.ux.len(), core));
            }
        }
        let n_in = self.ux.len() - unsure.len();
        self.core_idx = sure_core;
        self.unsure_idx = unsure;
        let m = k_max - n_in;
        let n_cand = self.ux.len();
        let n_kinds = tables.len();
        let below_rc2 = just_below(rc2);
        self.acc.clear();
        self.row.resize(n_cand, 0.0);
        for q in 0..n {
            let (px, py, pz) = (self.px[q], self.py[q], self.pz[q]);
            let row = &mut self.row[..n_cand];
            let (ux, uy, uz) = (&self.ux[..n_cand], &self.uy[..n_cand], &self.uz[..n_cand]);
            for (u, o) in row.iter_mut().enumerate() {
                let dx = ux[u] - px;
                let dy = uy[u] - py;
                let dz = uz[u] - pz;
                *o = dx * dx + dy * dy + dz * dz;
            }
            let mut e = 0.0;
            for (r, &(a, b, core)) in self.u_ranges[..2 * n_kinds].iter().enumerate() {
                let kind = r % n_kinds;
                e = tables[kind].sum_up_to::<SIMD>(
                    e,
                    &row[a..b],
                    f64::INFINITY,
                    core,
                    &mut self.pieces,
                );
            }
            if m > 0 && n_cand > n_in {
                let split = split_at_rank(&row[n_in..], m, below_rc2, &mut self.sel);
                let (limit, tie) = match split {
                    Split::Limit(l) => (l, None),
                    Split::Tie { value, below } => (just_below(value), Some((value, m - below))),
                };
                let unsure_ranges = &self.u_ranges[2 * n_kinds..];
                for (kind, &(a, b, core)) in unsure_ranges.iter().enumerate() {
                    e = tables[kind].sum_up_to::<SIMD>(
                        e,
                        &row[a..b],
                        limit,
                        core,
                        &mut self.pieces,
                    );
                }
                // ties at the m-th distance: the first ones in kind order
                if let Some((value, mut left)) = tie {
                    for (kind, &(a, b, _)) in unsure_ranges.iter().enumerate() {
                        for &s in &row[a..b] {
                            if left > 0 && s == value {
                                e += tables[kind].energy_ev(s.sqrt());
                                left -= 1;
                            }
                        }
                    }
                }
            }
            self.acc.push(e);
        }
    }
}

/// The largest f64 below `x` for x > 0 (r² < x ⟺ r² ≤ just_below(x)); −1 otherwise (no r²).
fn just_below(x: f64) -> f64 {
    if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        -1.0
    }
}

/// Where the m smallest of a set of r² values end (see [`split_at_rank`]).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Split {
    /// Exactly m values are ≤ this limit.
    Limit(f64),
    /// `below` < m values are < `value` and more than m are ≤ `value` (ties at the m-th).
    Tie { value: f64, below: usize },
}

/// Counting steps of [`split_at_rank`] before it sorts the values left in its bracket.
const SPLIT_STEPS: usize = 6;

/// A limit L with exactly `m` ≥ 1 of the `values` ≤ L, all ≤ `max`; `max` itself when at most
/// m values are ≤ `max`.
///
/// Each step counts the values ≤ a probe (one vectorisable pass) inside the bracket (lo, hi],
/// fewer than m values ≤ lo and more than m ≤ hi; probes alternate between linear
/// interpolation of the counts and bisection. The few values still in the bracket after
/// [`SPLIT_STEPS`] steps (equal or nearly equal distances) are sorted (`sorted` is scratch).
#[inline(always)]
fn split_at_rank(values: &[f64], m: usize, max: f64, sorted: &mut Vec<f64>) -> Split {
    let count = |l: f64| values.iter().filter(|&&s| s <= l).count();
    let c_max = count(max);
    if c_max <= m {
        return Split::Limit(max);
    }
    let (mut lo, mut c_lo, mut hi, mut c_hi) = (-1.0f64, 0usize, max, c_max);
    for step in 0..SPLIT_STEPS {
        let probe = if step % 2 == 0 {
            lo + (hi - lo) * ((m - c_lo) as f64 + 0.5) / (c_hi - c_lo) as f64
        } else {
            0.5 * (lo + hi)
        };
        if !(probe > lo && probe < hi) {
            break;
        }
        let c = count(probe);
        match c.cmp(&m) {
            std::cmp::Ordering::Equal => return Split::Limit(probe),
            std::cmp::Ordering::Less => (lo, c_lo) = (probe, c),
            std::cmp::Ordering::Greater => (hi, c_hi) = (probe, c),
        }
    }
    // the values in (lo, hi], compacted without branches
    sorted.resize(values.len(), 0.0);
    let mut n = 0;
    for &s in values {
        sorted[n] = s;
        n += (s > lo && s <= hi) as usize;
    }
    sorted.truncate(n);
    sorted.sort_unstable_by(f64::total_cmp);
    let r = m - c_lo; // 1 ≤ r < sorted.len() = c_hi − c_lo
    let v = sorted[r - 1];
    if sorted[r] == v {
        Split::Tie {
            value: v,
            below: c_lo + sorted.iter().take_while(|&&s| s < v).count(),
        }
    } else {
        Split::Limit(v)
    }
}

impl Landscape {
    /// Periodic grid size: `shape` in default mode, `shape − 1` in bvlain mode.
    pub fn periodic_shape(&self) -> [usize; 3] {
        match self.params.mode {
            GridMode::Default => self.shape,
            GridMode::Bvlain => self.shape.map(|n| n - 1),
        }
    }

    /// Storage index of point (i, j, k).
    #[inline]
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        (i * self.shape[1] + j) * self.shape[2] + k
    }

    /// Fractional coordinates of point (i, j, k).
    pub fn frac_coords(&self, i: usize, j: usize, k: usize) -> [f64; 3] {
        let d = self.periodic_shape();
        [
            i as f64 / d[0] as f64,
            j as f64 / d[1] as f64,
            k as f64 / d[2] as f64,
        ]
    }

    /// Energy of point (i, j, k), eV.
    pub fn energy_ev(&self, i: usize, j: usize, k: usize) -> f64 {
        self.energies_ev[self.index(i, j, k)]
    }

    /// Lowest grid energy, eV.
    pub fn min_ev(&self) -> f64 {
        self.energies_ev
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }

    /// Number of stored grid points.
    pub fn num_voxels(&self) -> usize {
        self.energies_ev.len()
    }

    /// The mobile ion.
    pub fn mobile_ion(&self) -> Species {
        self.params.mobile_ion
    }
}

/// Compute the BVSE landscape of `params.mobile_ion` in `structure` (docs/physics.md §3).
///
/// All atoms of the mobile element are removed to form the framework (mixed sites: see
/// [`crate::MixedSiteMobile`]); every remaining species contributes its occupancy-weighted
/// Morse (counter-ions) or screened Coulomb (like-charged ions) term. Slabs of grid planes are
/// computed in parallel (rayon); each tile (8×8 points of one plane; 4×4 points of three planes
/// in bvlain mode) shares one list of candidate atom images. In bvlain mode the repeated last
/// plane of each axis is copied from the first. The result does not depend on the number of
/// threads or on the instruction set (AVX2 where available).
pub fn landscape(structure: &Structure, params: &BvseParams) -> Result<Landscape, BvseError> {
    let valid = params.validate()?;
    landscape_valid(structure, &valid)
}

/// [`landscape`] with parameters already validated.
pub fn landscape_valid(structure: &Structure, valid: &ValidParams) -> Result<Landscape, BvseError> {
    landscape_with(structure, valid, true)
}

/// [`landscape_valid`]; `allow_simd` = false keeps the portable code path (for tests).
fn landscape_with(
    structure: &Structure,
    valid: &ValidParams,
    allow_simd: bool,
) -> Result<Landscape, BvseError> {
    let params = valid.get();
    let fw = Framework::new(structure, params)?;
    let lattice = structure.lattice.clone();
    let shape = grid_shape(&lattice, params)?;
    check_memory(shape, params)?;
    let tables: Vec<RadialTable> = fw
        .kinds
        .iter()
        .map(|k| RadialTable::new(k.clone(), params.cutoff_ang, params.table_spacing_ang))
        .collect();
    let images = cell_images(&lattice, &fw, params.cutoff_ang);
    let n_voxels = shape[0] * shape[1] * shape[2];
    let mut energies = vec![0.0f64; n_voxels];
    let denom = match params.mode {
        GridMode::Default => shape.map(|n| n as f64),
        GridMode::Bvlain => shape.map(|n| (n - 1) as f64),
    };
    let m = *lattice.matrix();
    let (k_max, tile, slab) = match params.mode {
        GridMode::Default => (usize::MAX, TILE, 1),
        GridMode::Bvlain => (params.bvlain_max_neighbors, TILE_NEAREST, SLAB_NEAREST),
    };
    let job = GridJob {
        images: &images,
        tables: &tables,
        shape,
        computed: match params.mode {
            GridMode::Default => shape,
            GridMode::Bvlain => shape.map(|n| n - 1),
        },
        denom,
        rows_ang: [0, 1, 2].map(|r| [m[(r, 0)], m[(r, 1)], m[(r, 2)]]),
        cutoff_ang: params.cutoff_ang,
        k_max,
        tile,
        allow_simd,
    };
    let plane = shape[1] * shape[2];
    let n_computed = job.computed[0] * plane;
    energies[..n_computed]
        .par_chunks_mut(slab * plane)
        .enumerate()
        .for_each_init(TileScratch::default, |scratch, (i, out)| {
            job.fill_slab_dispatch(scratch, i * slab, out)
        });
    for start in (n_computed..n_voxels).step_by(plane) {
        energies.copy_within(0..plane, start);
    }
    Ok(Landscape {
        lattice,
        shape,
        energies_ev: energies,
        mobile_sites: fw.mobile_sites,
        structure: structure.clone(),
        params: params.clone(),
        n_site_kinds: fw.kinds.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_floor_division() {
        assert_eq!(python_floor_div(5.13, 0.2), 25.0);
        assert_eq!(python_floor_div(10.0, 0.2), 49.0); // Python: 10.0 // 0.2 == 49.0
        assert_eq!(python_floor_div(1.0, 0.1), 9.0); // Python: 1.0 // 0.1 == 9.0
        assert_eq!(python_floor_div(7.007, 0.2), 35.0);
    }

    /// A cell length that is an exact multiple of the spacing up to round-off (6.4000000024 Å,
    /// written for 6.4 by a change of basis) gets the multiple's planes; a real difference
    /// (6.401 Å) gets one more.
    #[test]
    fn round_off_of_the_cell_adds_no_plane() {
        let p = BvseParams::default();
        assert_eq!(p.resolution_ang, 0.2);
        for (c, n) in [(6.4, 32), (6.4000000024, 32), (6.401, 33), (6.3999, 32)] {
            let l = Lattice::from_parameters(6.44, 11.12, c, 90.0, 109.9, 90.0).unwrap();
            assert_eq!(grid_shape(&l, &p).unwrap()[2], n, "c = {c}");
        }
    }

    /// The AVX2 build of the plane loop and the portable one give the same bits.
    #[test]
    fn simd_and_portable_paths_agree_bitwise() {
        let li = Species::parse("Li+").unwrap();
        let cl = Species::parse("Cl-").unwrap();
        let mut s = Structure::rock_salt(li, cl, 5.13).unwrap();
        // break the symmetry a little so that no two distances tie
        s.sites[1].frac_coords.x += 0.013;
        s.sites[2].frac_coords.y -= 0.021;
        for params in [
            BvseParams {
                resolution_ang: 0.3,
                ..Default::default()
            },
            BvseParams::bvlain(0.3),
        ] {
            let valid = params.validate().unwrap();
            let a = landscape_with(&s, &valid, true).unwrap();
            let b = landscape_with(&s, &valid, false).unwrap();
            for (x, y) in a.energies_ev.iter().zip(&b.energies_ev) {
                assert_eq!(x.to_bits(), y.to_bits(), "{:?}", params.mode);
            }
        }
    }

    /// Brute force: sort r² and find the split directly.
    fn split_reference(values: &[f64], m: usize, max: f64) -> (usize, Option<f64>) {
        let mut v: Vec<f64> = values.iter().copied().filter(|&s| s <= max).collect();
        v.sort_by(f64::total_cmp);
        if v.len() <= m {
            return (v.len(), None);
        }
        (m, Some(v[m - 1]).filter(|&x| x != v[m]))
    }

    #[test]
    fn split_at_rank_matches_sorting() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut scratch = Vec::new();
        for case in 0..2000 {
            let n = 1 + (next() % 80) as usize;
            // few distinct values in some cases, so that ties are common
            let distinct = if case % 3 == 0 {
                1 + next() % 6
            } else {
                1 << 40
            };
            let values: Vec<f64> = (0..n)
                .map(|_| 60.0 + 40.0 * (next() % distinct) as f64 / distinct as f64)
                .collect();
            let m = 1 + (next() % n as u64) as usize;
            let max = f64::from_bits(100f64.to_bits() - 1);
            let (kept, limit) = split_reference(&values, m, max);
            match split_at_rank(&values, m, max, &mut scratch) {
                Split::Limit(l) => {
                    let c = values.iter().filter(|&&s| s <= l && s <= max).count();
                    assert_eq!(c, kept.min(m), "case {case}");
                    if let Some(t) = limit {
                        assert!(l >= t, "case {case}");
                    }
                }
                Split::Tie { value, below } => {
                    assert!(limit.is_none() && kept == m, "case {case}: unexpected tie");
                    let lt = values.iter().filter(|&&s| s < value).count();
                    let le = values.iter().filter(|&&s| s <= value).count();
                    assert_eq!(lt, below, "case {case}");
                    assert!(lt < m && le > m, "case {case}");
                }
            }
        }
    }
}
