//! The site-energy landscape on a grid: layout, neighbour search and parallel evaluation.

use crate::error::BvseError;
use crate::framework::{Framework, MobileSite};
use crate::params::{BvseParams, GridMode, ValidParams, BYTES_PER_VOXEL_BUDGET};
use crate::potential::RadialTable;
use halo_core::{Lattice, Species, Structure};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Edge of the square tiles (in voxels) that share one candidate-neighbour list.
const TILE: usize = 8;

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

/// Grid points per axis for `lattice` under `params` (see [`GridMode`]).
pub fn grid_shape(lattice: &Lattice, params: &BvseParams) -> Result<[usize; 3], BvseError> {
    let abc = lattice.abc();
    let mut shape = [0usize; 3];
    for (i, &l) in abc.iter().enumerate() {
        let n = match params.mode {
            GridMode::Default => (l / params.resolution_ang - 1e-9).ceil(),
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

/// Candidate atom images of one tile, grouped by site kind, coordinates in separate arrays.
struct TileScratch {
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    /// Per kind: the images (x, y, z) gathered for the current tile.
    by_kind: Vec<Vec<[f64; 3]>>,
    /// Per kind: range into x/y/z.
    ranges: Vec<(usize, usize)>,
    near: Vec<(f64, u32)>,
}

impl TileScratch {
    fn new(n_kinds: usize) -> Self {
        TileScratch {
            x: Vec::new(),
            y: Vec::new(),
            z: Vec::new(),
            by_kind: vec![Vec::new(); n_kinds],
            ranges: vec![(0, 0); n_kinds],
            near: Vec::new(),
        }
    }

    /// Keep the images within `reach2` (squared, Å²) of `c`.
    fn gather(&mut self, images: &[Image], c: [f64; 3], reach2: f64) {
        for v in &mut self.by_kind {
            v.clear();
        }
        for im in images {
            let d2 = (im.pos[0] - c[0]).powi(2)
                + (im.pos[1] - c[1]).powi(2)
                + (im.pos[2] - c[2]).powi(2);
            if d2 <= reach2 {
                self.by_kind[im.kind as usize].push(im.pos);
            }
        }
        self.x.clear();
        self.y.clear();
        self.z.clear();
        for (kind, v) in self.by_kind.iter().enumerate() {
            let start = self.x.len();
            for q in v {
                self.x.push(q[0]);
                self.y.push(q[1]);
                self.z.push(q[2]);
            }
            self.ranges[kind] = (start, self.x.len());
        }
    }

    /// Σ over every gathered image within the cutoff (default mode).
    #[inline]
    fn sum_within(&self, tables: &[RadialTable], p: [f64; 3], rc2: f64) -> f64 {
        let mut e = 0.0;
        for (kind, &(a, b)) in self.ranges.iter().enumerate() {
            let t = &tables[kind];
            let (xs, ys, zs) = (&self.x[a..b], &self.y[a..b], &self.z[a..b]);
            for c in 0..xs.len() {
                let dx = xs[c] - p[0];
                let dy = ys[c] - p[1];
                let dz = zs[c] - p[2];
                let d2 = dx * dx + dy * dy + dz * dz;
                e += t.energy_ev_masked(d2.sqrt(), d2 <= rc2);
            }
        }
        e
    }

    /// Σ over the `k_max` nearest gathered images strictly within the cutoff (bvlain mode).
    fn sum_nearest(&mut self, tables: &[RadialTable], p: [f64; 3], rc2: f64, k_max: usize) -> f64 {
        self.near.clear();
        for (kind, &(a, b)) in self.ranges.iter().enumerate() {
            for c in a..b {
                let dx = self.x[c] - p[0];
                let dy = self.y[c] - p[1];
                let dz = self.z[c] - p[2];
                let d2 = dx * dx + dy * dy + dz * dz;
                if d2 < rc2 {
                    self.near.push((d2, kind as u32));
                }
            }
        }
        if self.near.len() > k_max {
            self.near
                .select_nth_unstable_by(k_max - 1, |a, b| a.0.total_cmp(&b.0));
            self.near.truncate(k_max);
        }
        self.near
            .iter()
            .map(|&(d2, kind)| tables[kind as usize].energy_ev(d2.sqrt()))
            .sum()
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

/// Compute the BVSE landscape of `params.mobile_ion` in `structure` (PHYSICS.md §3).
///
/// All atoms of the mobile element are removed to form the framework (mixed sites: see
/// [`crate::MixedSiteMobile`]); every remaining species contributes its occupancy-weighted
/// Morse (counter-ions) or screened Coulomb (like-charged ions) term. Grid planes are computed in
/// parallel (rayon); each 8×8 tile of a plane shares one list of candidate atom images.
pub fn landscape(structure: &Structure, params: &BvseParams) -> Result<Landscape, BvseError> {
    let valid = params.validate()?;
    landscape_valid(structure, &valid)
}

/// [`landscape`] with parameters already validated.
pub fn landscape_valid(structure: &Structure, valid: &ValidParams) -> Result<Landscape, BvseError> {
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
    let cart = |fi: f64, fj: f64, fk: f64| -> [f64; 3] {
        [
            fi * m[(0, 0)] + fj * m[(1, 0)] + fk * m[(2, 0)],
            fi * m[(0, 1)] + fj * m[(1, 1)] + fk * m[(2, 1)],
            fi * m[(0, 2)] + fj * m[(1, 2)] + fk * m[(2, 2)],
        ]
    };
    let rc = params.cutoff_ang;
    let rc2 = rc * rc;
    let k_max = match params.mode {
        GridMode::Default => usize::MAX,
        GridMode::Bvlain => params.bvlain_max_neighbors,
    };
    let plane = shape[1] * shape[2];
    let n_kinds = tables.len();
    energies.par_chunks_mut(plane).enumerate().for_each_init(
        || TileScratch::new(n_kinds),
        |scratch, (i, out)| {
            let fi = i as f64 / denom[0];
            for j0 in (0..shape[1]).step_by(TILE) {
                let j1 = (j0 + TILE).min(shape[1]);
                for k0 in (0..shape[2]).step_by(TILE) {
                    let k1 = (k0 + TILE).min(shape[2]);
                    // tile centre and radius (a parallelogram: farthest point is a corner)
                    let (fj0, fj1) = (j0 as f64 / denom[1], (j1 - 1) as f64 / denom[1]);
                    let (fk0, fk1) = (k0 as f64 / denom[2], (k1 - 1) as f64 / denom[2]);
                    let c = cart(fi, 0.5 * (fj0 + fj1), 0.5 * (fk0 + fk1));
                    let mut radius2: f64 = 0.0;
                    for (fj, fk) in [(fj0, fk0), (fj0, fk1), (fj1, fk0), (fj1, fk1)] {
                        let p = cart(fi, fj, fk);
                        let d2 =
                            (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2);
                        radius2 = radius2.max(d2);
                    }
                    let reach = rc + radius2.sqrt() + 1e-9;
                    scratch.gather(&images, c, reach * reach);
                    for j in j0..j1 {
                        let fj = j as f64 / denom[1];
                        for k in k0..k1 {
                            let fk = k as f64 / denom[2];
                            let p = cart(fi, fj, fk);
                            let e = if k_max == usize::MAX {
                                scratch.sum_within(&tables, p, rc2)
                            } else {
                                scratch.sum_nearest(&tables, p, rc2, k_max)
                            };
                            out[j * shape[2] + k] = if e.is_nan() || e > ENERGY_ON_ATOM_EV {
                                ENERGY_ON_ATOM_EV
                            } else {
                                e
                            };
                        }
                    }
                }
            }
        },
    );
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
}
