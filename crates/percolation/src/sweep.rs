//! The single sorted sweep: exact percolation thresholds by a union-find with cell offsets, and
//! the merge tree of basins that gives the Li sites and migration edges (docs/physics.md §4).

use crate::error::PercolationError;
use crate::periods::Periods;
use halo_core::hint::prefetch;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// A periodic energy grid: `shape` distinct points per axis at fractional coordinates
/// (i/n0, j/n1, k/n2); energies are read from `energies_ev` at `(i·s1 + j)·s2 + k` with
/// `storage_shape` = (s0, s1, s2) ≥ `shape` (bvlain grids store a repeated last plane).
#[derive(Clone, Copy, Debug)]
pub struct PeriodicGrid<'a> {
    pub shape: [usize; 3],
    pub storage_shape: [usize; 3],
    pub energies_ev: &'a [f64],
}

impl<'a> PeriodicGrid<'a> {
    /// Check the sizes.
    pub fn new(
        shape: [usize; 3],
        storage_shape: [usize; 3],
        energies_ev: &'a [f64],
    ) -> Result<Self, PercolationError> {
        if shape.contains(&0) || (0..3).any(|i| shape[i] > storage_shape[i]) {
            return Err(PercolationError::InvalidGrid(format!(
                "periodic shape {shape:?} must be positive and within storage shape {storage_shape:?}"
            )));
        }
        let n: u64 = storage_shape.iter().map(|&x| x as u64).product();
        if n != energies_ev.len() as u64 {
            return Err(PercolationError::InvalidGrid(format!(
                "storage shape {storage_shape:?} needs {n} values, got {}",
                energies_ev.len()
            )));
        }
        let p: u64 = shape.iter().map(|&x| x as u64).product();
        if p >= u32::MAX as u64 {
            return Err(PercolationError::InvalidGrid(format!(
                "{p} voxels exceed the u32 index range"
            )));
        }
        if let Some(i) = energies_ev.iter().position(|e| e.is_nan()) {
            return Err(PercolationError::InvalidGrid(format!(
                "energy at storage index {i} is NaN"
            )));
        }
        Ok(PeriodicGrid {
            shape,
            storage_shape,
            energies_ev,
        })
    }

    /// Number of periodic voxels.
    pub fn num_voxels(&self) -> usize {
        self.shape.iter().product()
    }

    /// (i, j, k) of periodic voxel `v`.
    #[inline]
    pub fn ijk(&self, v: usize) -> [usize; 3] {
        let k = v % self.shape[2];
        let r = v / self.shape[2];
        [r / self.shape[1], r % self.shape[1], k]
    }

    /// Energy of periodic voxel `v`, eV.
    #[inline]
    pub fn energy(&self, v: usize) -> f64 {
        let [i, j, k] = self.ijk(v);
        self.energies_ev[(i * self.storage_shape[1] + j) * self.storage_shape[2] + k]
    }

    /// Fractional coordinates of voxel `v`.
    pub fn frac(&self, v: usize) -> [f64; 3] {
        let ijk = self.ijk(v);
        [0, 1, 2].map(|a| ijk[a] as f64 / self.shape[a] as f64)
    }
}

/// Percolation thresholds relative to the grid minimum, eV; `None` where nothing percolates.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thresholds {
    pub e_1d_ev: Option<f64>,
    pub e_2d_ev: Option<f64>,
    pub e_3d_ev: Option<f64>,
}

impl Thresholds {
    /// Threshold for dimension `d` (1..=3).
    pub fn get(&self, d: usize) -> Option<f64> {
        match d {
            1 => self.e_1d_ev,
            2 => self.e_2d_ev,
            3 => self.e_3d_ev,
            _ => None,
        }
    }

    pub(crate) fn set(&mut self, d: usize, e: f64) {
        match d {
            1 => self.e_1d_ev = Some(e),
            2 => self.e_2d_ev = Some(e),
            _ => self.e_3d_ev = Some(e),
        }
    }
}

/// Order-preserving u64 key of an f64 (total order, as `f64::total_cmp`).
#[inline]
fn key(e: f64) -> u64 {
    let b = e.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Per-voxel state of the winding pass (voxel union-find).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct UfNode {
    /// Union-find parent (set to the voxel itself at activation).
    parent: u32,
    /// Cell offset to the union-find parent: self + off ~ parent + 0.
    off: [i16; 3],
    /// Union-by-rank rank.
    rank: u8,
}

/// Per-voxel state of the basin pass (watershed label).
#[derive(Clone, Copy)]
#[repr(C)]
struct BasinLabel {
    /// Raw basin id.
    basin: u32,
    /// Copy of the basin frame the voxel's home position belongs to.
    img: [i8; 3],
}

fn add3_16(a: [i16; 3], b: [i16; 3]) -> Result<[i16; 3], PercolationError> {
    let f = |x: i16, y: i16| {
        x.checked_add(y).ok_or(PercolationError::OffsetOverflow {
            what: "a grid cluster",
        })
    };
    Ok([f(a[0], b[0])?, f(a[1], b[1])?, f(a[2], b[2])?])
}

/// Root of `x` and the cell offset of x's home copy relative to the root (x + off ~ root + 0),
/// with path compression.
fn find_vox(st: &mut [UfNode], x: u32) -> Result<(u32, [i16; 3]), PercolationError> {
    let mut r = x;
    let mut total = [0i16; 3];
    while st[r as usize].parent != r {
        total = add3_16(total, st[r as usize].off)?;
        r = st[r as usize].parent;
    }
    let mut y = x;
    let mut remaining = total;
    while y != r && st[y as usize].parent != r {
        let next = st[y as usize].parent;
        let o = st[y as usize].off;
        st[y as usize].parent = r;
        st[y as usize].off = remaining;
        remaining = [
            remaining[0] - o[0],
            remaining[1] - o[1],
            remaining[2] - o[2],
        ];
        y = next;
    }
    Ok((r, total))
}

/// Inverse of [`key`].
#[inline]
fn unkey(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// Basin of the merge tree (one per grid minimum), with its own union-find for clustering.
struct Basin {
    parent: u32,
    /// Translation of this basin's frame in its parent's frame.
    off: [i32; 3],
    /// Deepest voxel of the (clustered) basin, its energy and its cell in this frame.
    rep_voxel: u32,
    rep_energy: f64,
    rep_off: [i32; 3],
    /// True once the basin touched another basin or its own image.
    contacted: bool,
}

/// A migration edge found by the sweep, between basin roots, in absolute energy.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEdge {
    pub a: u32,
    pub b: u32,
    /// Translation of b's frame as seen from a's frame.
    pub image: [i32; 3],
    pub saddle_ev: f64,
}

/// A site found by the sweep: representative (deepest) voxel and its unwrapped cell.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSite {
    pub id: u32,
    pub voxel: u32,
    pub cell: [i32; 3],
    pub energy_ev: f64,
    pub n_minima: usize,
}

/// Output of [`sweep`].
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub grid_min_ev: f64,
    /// Exact thresholds (relative to the grid minimum) from the voxel union-find.
    pub thresholds: Thresholds,
    pub sites: Vec<RawSite>,
    pub edges: Vec<RawEdge>,
    pub n_grid_minima: usize,
}

fn add3(a: [i32; 3], b: [i32; 3]) -> [i32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn sub3(a: [i32; 3], b: [i32; 3]) -> [i32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn find_basin(basins: &mut [Basin], b: u32) -> (u32, [i32; 3]) {
    let mut r = b;
    let mut total = [0i32; 3];
    while basins[r as usize].parent != r {
        total = add3(total, basins[r as usize].off);
        r = basins[r as usize].parent;
    }
    // compress
    let mut y = b;
    let mut remaining = total;
    while basins[y as usize].parent != r && y != r {
        let next = basins[y as usize].parent;
        let o = basins[y as usize].off;
        basins[y as usize].parent = r;
        basins[y as usize].off = remaining;
        remaining = sub3(remaining, o);
        y = next;
    }
    (r, total)
}

/// Canonical key of an undirected edge (a, b, image): a < b, or a == b with image > 0
/// lexicographically.
fn canonical(a: u32, b: u32, m: [i32; 3]) -> (u32, u32, [i32; 3]) {
    let neg = [-m[0], -m[1], -m[2]];
    if a < b || (a == b && m > neg) {
        (a, b, m)
    } else {
        (b, a, neg)
    }
}

/// Parameters of the sweep that shape the site graph.
#[derive(Clone, Copy, Debug)]
pub struct SweepParams<'l> {
    /// Grid minima whose basins first touch another basin within this distance (Å) of its
    /// deepest point are clustered into one site.
    pub cluster_radius_ang: f64,
    /// Cell matrix (rows a, b, c in Å) for distances.
    pub lattice_rows: &'l [[f64; 3]; 3],
}

fn frac_of(shape: [usize; 3], v: u32) -> [f64; 3] {
    let v = v as usize;
    let k = v % shape[2];
    let r = v / shape[2];
    let ijk = [r / shape[1], r % shape[1], k];
    [0, 1, 2].map(|a| ijk[a] as f64 / shape[a] as f64)
}

fn cart_norm(rows: &[[f64; 3]; 3], f: [f64; 3]) -> f64 {
    let mut c = [0.0; 3];
    for (a, row) in rows.iter().enumerate() {
        for x in 0..3 {
            c[x] += f[a] * row[x];
        }
    }
    (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
}

/// How many voxels ahead of the current one the sweep prefetches neighbourhoods.
const LOOKAHEAD: usize = 8;

/// The 26 neighbours of one voxel: indices and, off the interior, the cells they wrap into.
struct Neighbours {
    idx: [u32; 26],
    /// Wraps per neighbour; meaningful only when `!interior` (all zero otherwise).
    wrap: [[i32; 3]; 26],
    interior: bool,
}

impl Neighbours {
    fn new() -> Self {
        Neighbours {
            idx: [0; 26],
            wrap: [[0; 3]; 26],
            interior: true,
        }
    }

    /// Index and wrap of neighbour `d`.
    #[inline(always)]
    fn get(&self, d: u8) -> (u32, [i32; 3]) {
        let d = d as usize;
        let w = if self.interior { [0; 3] } else { self.wrap[d] };
        (self.idx[d], w)
    }
}

/// The 26 neighbours of every voxel of a periodic grid.
struct Neighbourhood {
    shape: [usize; 3],
    /// Per axis, for index i and step d ∈ {−1, 0, 1}: (neighbour index, wrap).
    axis: [Vec<[(usize, i32); 3]>; 3],
    /// Index offsets of the 26 neighbours of an interior voxel (no wrap), in
    /// [`Neighbourhood::of`] order.
    interior: [isize; 26],
    /// Index offsets of the first voxel of the nine neighbouring rows of an interior voxel.
    interior_rows: [isize; 9],
}

impl Neighbourhood {
    fn new(shape: [usize; 3]) -> Self {
        let axis = [0, 1, 2].map(|a| {
            let na = shape[a] as i64;
            (0..shape[a])
                .map(|i| {
                    [-1i64, 0, 1].map(|d| {
                        let t = i as i64 + d;
                        let w = t.div_euclid(na);
                        ((t - w * na) as usize, w as i32)
                    })
                })
                .collect()
        });
        let (s1, s2) = (shape[1] as isize, shape[2] as isize);
        let mut interior = [0isize; 26];
        let mut interior_rows = [0isize; 9];
        let mut c = 0;
        for di in -1..=1isize {
            for dj in -1..=1isize {
                interior_rows[((di + 1) * 3 + dj + 1) as usize] = (di * s1 + dj) * s2 - 1;
                for dk in -1..=1isize {
                    if (di, dj, dk) != (0, 0, 0) {
                        interior[c] = (di * s1 + dj) * s2 + dk;
                        c += 1;
                    }
                }
            }
        }
        Neighbourhood {
            shape,
            axis,
            interior,
            interior_rows,
        }
    }

    #[inline(always)]
    fn ijk(&self, v: usize) -> (usize, usize, usize) {
        let k = v % self.shape[2];
        let r = v / self.shape[2];
        (r / self.shape[1], r % self.shape[1], k)
    }

    #[inline(always)]
    fn is_interior(&self, (i, j, k): (usize, usize, usize)) -> bool {
        let s = self.shape;
        i.wrapping_sub(1) < s[0].wrapping_sub(2)
            && j.wrapping_sub(1) < s[1].wrapping_sub(2)
            && k.wrapping_sub(1) < s[2].wrapping_sub(2)
    }

    /// Prefetch the nine rows of three voxels around `v` in `data`.
    #[inline(always)]
    fn prefetch_rows<T>(&self, data: &[T], v: usize) {
        let ijk = self.ijk(v);
        if self.is_interior(ijk) {
            for &o in &self.interior_rows {
                let r = v.wrapping_add_signed(o);
                prefetch(data, r);
                prefetch(data, r + 2);
            }
            return;
        }
        let (i, j, k) = ijk;
        let km = self.axis[2][k][0].0;
        for &(ni, _) in &self.axis[0][i] {
            for &(nj, _) in &self.axis[1][j] {
                let r = (ni * self.shape[1] + nj) * self.shape[2] + km;
                prefetch(data, r);
                prefetch(data, r + 2);
            }
        }
    }

    /// The 26 neighbours of `v` into `out` (order: i, j, k steps −1, 0, 1, the centre left out).
    #[inline(always)]
    fn of(&self, v: usize, out: &mut Neighbours) {
        let ijk = self.ijk(v);
        out.interior = self.is_interior(ijk);
        if out.interior {
            for (o, &d) in out.idx.iter_mut().zip(&self.interior) {
                *o = v.wrapping_add_signed(d) as u32;
            }
            return;
        }
        let (i, j, k) = ijk;
        let mut c = 0;
        for (di, &(ni, wi)) in self.axis[0][i].iter().enumerate() {
            for (dj, &(nj, wj)) in self.axis[1][j].iter().enumerate() {
                let row = (ni * self.shape[1] + nj) * self.shape[2];
                for (dk, &(nk, wk)) in self.axis[2][k].iter().enumerate() {
                    if di == 1 && dj == 1 && dk == 1 {
                        continue;
                    }
                    out.idx[c] = (row + nk) as u32;
                    out.wrap[c] = [wi, wj, wk];
                    c += 1;
                }
            }
        }
    }
}

/// The neighbours of a voxel activated before step `s` (positions in `nb`, in order) into
/// `out`; returns their count and the position of the earliest activated neighbour (the
/// steepest descent).
#[inline(always)]
fn active_neighbours(nb: &Neighbours, act: &[u32], s: u32, out: &mut [u8; 26]) -> (usize, u8) {
    let mut n = 0;
    let mut low_act = u32::MAX;
    let mut low = 0u8;
    for (d, &u) in nb.idx.iter().enumerate() {
        let a = act[u as usize];
        out[n] = d as u8;
        n += (a < s) as usize;
        if a < low_act {
            low_act = a;
            low = d as u8;
        }
    }
    (n, low)
}

/// One pass over the voxels in ascending energy (ties by index): 26-connected union-find on the
/// periodic grid with integer cell offsets (winding vectors → thresholds) and the merge tree of
/// basins (watershed labels → sites, basin contacts → migration edges).
///
/// The two halves read only the activation order and run on two threads (rayon::join): each
/// voxel's earlier-activated neighbours are the ones with a smaller activation step.
pub fn sweep(grid: &PeriodicGrid, p: &SweepParams) -> Result<SweepResult, PercolationError> {
    use rayon::prelude::*;
    let n = grid.num_voxels();
    let shape = grid.shape;
    // sort by energy, ties by index
    let mut keyed: Vec<(u64, u32)> = if shape == grid.storage_shape {
        grid.energies_ev
            .par_iter()
            .enumerate()
            .map(|(v, &e)| (key(e), v as u32))
            .collect()
    } else {
        (0..n)
            .into_par_iter()
            .map(|v| (key(grid.energy(v)), v as u32))
            .collect()
    };
    keyed.par_sort_unstable();
    let grid_min = unkey(keyed[0].0);
    let order: Vec<u32> = keyed.par_iter().map(|&(_, v)| v).collect();
    drop(keyed);
    // activation step of every voxel
    let mut act = vec![0u32; n];
    for (step, &v) in order.iter().enumerate() {
        act[v as usize] = step as u32;
    }
    let nb = Neighbourhood::new(shape);
    let (basin_out, thresholds) = rayon::join(
        || basin_pass(grid, &nb, &order, &act, p),
        || winding_pass(grid, &nb, &order, &act, grid_min),
    );
    let (mut basins, edges) = basin_out?;
    let thresholds = thresholds?;
    drop(order);
    drop(act);

    // ---- sites and edges
    let n_grid_minima = basins.len();
    let mut n_members: HashMap<u32, usize> = HashMap::new();
    for b in 0..basins.len() as u32 {
        let (r, _) = find_basin(&mut basins, b);
        *n_members.entry(r).or_default() += 1;
    }
    let sites: Vec<RawSite> = (0..basins.len() as u32)
        .filter(|&b| basins[b as usize].parent == b)
        .map(|b| {
            let bs = &basins[b as usize];
            RawSite {
                id: b,
                voxel: bs.rep_voxel,
                cell: bs.rep_off,
                energy_ev: bs.rep_energy,
                n_minima: n_members[&b],
            }
        })
        .collect();
    let mut edges: Vec<RawEdge> = edges
        .into_iter()
        .map(|((a, b, image), saddle_ev)| RawEdge {
            a,
            b,
            image,
            saddle_ev,
        })
        .collect();
    edges.sort_by(|x, y| {
        x.saddle_ev
            .total_cmp(&y.saddle_ev)
            .then((x.a, x.b, x.image).cmp(&(y.a, y.b, y.image)))
    });
    Ok(SweepResult {
        grid_min_ev: grid_min,
        thresholds,
        sites,
        edges,
        n_grid_minima,
    })
}

/// Migration edges keyed by (basin a, basin b, image of b) with their saddle energy.
type EdgeMap = FxHashMap<(u32, u32, [i32; 3]), f64>;

/// Watershed half of the sweep: each voxel takes the basin of its earliest-activated
/// neighbour (a new basin at a local minimum); contacts between basins (or between copies of
/// one basin) are migration edges, the first (lowest) one per (a, b, image); a fresh basin whose
/// first contact lies within the cluster radius of its deepest point is merged
/// (docs/physics.md §4.3).
fn basin_pass(
    grid: &PeriodicGrid,
    nb: &Neighbourhood,
    order: &[u32],
    act: &[u32],
    p: &SweepParams,
) -> Result<(Vec<Basin>, EdgeMap), PercolationError> {
    let shape = grid.shape;
    let mut labels = vec![
        BasinLabel {
            basin: u32::MAX,
            img: [0; 3],
        };
        order.len()
    ];
    let mut basins: Vec<Basin> = Vec::new();
    let mut edges = EdgeMap::default();
    let mut last_edge = None;
    let mut all = Neighbours::new();
    let mut active = [0u8; 26];
    for (step, &v) in order.iter().enumerate() {
        if let Some(&ahead) = order.get(step + LOOKAHEAD) {
            nb.prefetch_rows(act, ahead as usize);
            nb.prefetch_rows(&labels, ahead as usize);
        }
        let vu = v as usize;
        nb.of(vu, &mut all);
        let (n_active, low) = active_neighbours(&all, act, step as u32, &mut active);
        // ---- activate v; basin label by steepest descent, or a new basin
        let (v_basin, v_img) = if n_active == 0 {
            let id = basins.len() as u32;
            basins.push(Basin {
                parent: id,
                off: [0; 3],
                rep_voxel: v,
                rep_energy: grid.energy(vu),
                rep_off: [0; 3],
                contacted: false,
            });
            (id, [0i8; 3])
        } else {
            let (u, w) = all.get(low);
            let lu = &labels[u as usize];
            let mut img = [0i8; 3];
            for a in 0..3 {
                img[a] = (lu.img[a] as i32 + w[a])
                    .try_into()
                    .map_err(|_| PercolationError::OffsetOverflow { what: "a basin" })?;
            }
            (lu.basin, img)
        };
        labels[vu] = BasinLabel {
            basin: v_basin,
            img: v_img,
        };
        let v_img = v_img.map(|x| x as i32);
        // ---- contacts between basins (edges) and clustering of fresh basins
        for &d in &active[..n_active] {
            let (u, w) = all.get(d);
            let lu = &labels[u as usize];
            let u_img = add3(lu.img.map(|x| x as i32), w);
            if lu.basin == v_basin && u_img == v_img {
                continue; // same basin, same copy: nothing to record
            }
            let u_basin = lu.basin;
            let (sv, ov) = find_basin(&mut basins, v_basin);
            let iv = add3(v_img, ov);
            let (su, ou) = find_basin(&mut basins, u_basin);
            let iu = add3(u_img, ou);
            if sv == su && iv == iu {
                continue;
            }
            let m = sub3(iu, iv);
            if sv != su {
                let fresh_v = !basins[sv as usize].contacted;
                let fresh_u = !basins[su as usize].contacted;
                // (absorbed, keeper, t) with absorbed + T ≡ keeper + T + t: the contact says
                // su + m ≡ sv + 0, so t = −m when su is absorbed and t = m when sv is.
                let neg_m = [-m[0], -m[1], -m[2]];
                let plan = match (fresh_v, fresh_u) {
                    (true, true) => {
                        if basins[sv as usize].rep_energy > basins[su as usize].rep_energy {
                            Some((sv, su, m))
                        } else {
                            Some((su, sv, neg_m))
                        }
                    }
                    (true, false) => Some((sv, su, m)),
                    (false, true) => Some((su, sv, neg_m)),
                    (false, false) => None,
                };
                if let Some((absorbed, keeper, t)) = plan {
                    let ra = &basins[absorbed as usize];
                    let rk = &basins[keeper as usize];
                    let fa = frac_of(shape, ra.rep_voxel);
                    let fk = frac_of(shape, rk.rep_voxel);
                    let pa = add3(ra.rep_off, t);
                    let d = [0, 1, 2].map(|x| fa[x] + pa[x] as f64 - fk[x] - rk.rep_off[x] as f64);
                    if cart_norm(p.lattice_rows, d) < p.cluster_radius_ang {
                        let (a_voxel, a_energy) = (ra.rep_voxel, ra.rep_energy);
                        basins[absorbed as usize].parent = keeper;
                        basins[absorbed as usize].off = t;
                        let kb = &mut basins[keeper as usize];
                        if a_energy < kb.rep_energy {
                            kb.rep_voxel = a_voxel;
                            kb.rep_energy = a_energy;
                            kb.rep_off = pa;
                        }
                        continue;
                    }
                }
            }
            basins[sv as usize].contacted = true;
            basins[su as usize].contacted = true;
            // the first contact per key is the saddle; skip the lookup for a repeat of the last
            let key = canonical(sv, su, m);
            if last_edge != Some(key) {
                edges.entry(key).or_insert_with(|| grid.energy(vu));
                last_edge = Some(key);
            }
        }
    }
    Ok((basins, edges))
}

/// Union-find half of the sweep: every voxel joins its earlier-activated neighbours; an edge
/// that closes a cycle with a non-zero cell offset is a winding vector of its cluster. Returns
/// the energies (relative to `grid_min`) at which some cluster first winds in 1, 2 and 3
/// independent directions.
fn winding_pass(
    grid: &PeriodicGrid,
    nb: &Neighbourhood,
    order: &[u32],
    act: &[u32],
    grid_min: f64,
) -> Result<Thresholds, PercolationError> {
    let mut st = vec![UfNode::default(); order.len()];
    // windings per union-find root
    let mut periods: FxHashMap<u32, Periods> = FxHashMap::default();
    let mut best_rank = 0usize;
    let mut thresholds = Thresholds::default();
    let mut all = Neighbours::new();
    let mut active = [0u8; 26];
    for (step, &v) in order.iter().enumerate() {
        if let Some(&ahead) = order.get(step + LOOKAHEAD) {
            nb.prefetch_rows(act, ahead as usize);
            nb.prefetch_rows(&st, ahead as usize);
        }
        let vu = v as usize;
        nb.of(vu, &mut all);
        let (n_active, _) = active_neighbours(&all, act, step as u32, &mut active);
        st[vu].parent = v;
        let mut v_root: Option<(u32, [i16; 3])> = None;
        for &d in &active[..n_active] {
            let (u, w) = all.get(d);
            let (rv, ov) = match v_root {
                Some(x) => x,
                None => find_vox(&mut st, v)?,
            };
            v_root = Some((rv, ov));
            // fast path: u hangs directly below v's root (the common case once v has joined)
            let su = &st[u as usize];
            let (ru, ou) = if su.parent == rv {
                (rv, su.off)
            } else {
                find_vox(&mut st, u)?
            };
            // ru + 0 ~ rv + (ou − ov − w): attach ru with offset t = ov + w − ou
            let t = [
                ov[0] as i32 + w[0] - ou[0] as i32,
                ov[1] as i32 + w[1] - ou[1] as i32,
                ov[2] as i32 + w[2] - ou[2] as i32,
            ];
            let root;
            if rv == ru {
                if t == [0, 0, 0] {
                    continue;
                }
                periods.entry(rv).or_default().add(t.map(|x| x as i64));
                root = rv;
            } else {
                let conv = |x: i32| {
                    i16::try_from(x).map_err(|_| PercolationError::OffsetOverflow {
                        what: "a grid cluster",
                    })
                };
                let t16 = [conv(t[0])?, conv(t[1])?, conv(t[2])?];
                let (child, parent, off) = if st[ru as usize].rank <= st[rv as usize].rank {
                    (ru, rv, t16)
                } else {
                    (rv, ru, [-t16[0], -t16[1], -t16[2]])
                };
                st[child as usize].parent = parent;
                st[child as usize].off = off;
                v_root = None;
                if st[child as usize].rank == st[parent as usize].rank {
                    st[parent as usize].rank = st[parent as usize].rank.saturating_add(1);
                }
                root = parent;
                if periods.is_empty() {
                    continue;
                }
                if let Some(cp) = periods.remove(&child) {
                    periods.entry(parent).or_default().merge(&cp);
                }
            }
            if let Some(ps) = periods.get(&root) {
                let r = ps.rank();
                while best_rank < r {
                    best_rank += 1;
                    thresholds.set(best_rank, grid.energy(vu) - grid_min);
                }
            }
        }
    }
    Ok(thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_orders_like_total_cmp_and_inverts() {
        let xs = [
            -3.5,
            -0.0,
            0.0,
            1e-300,
            2.0,
            f64::MAX,
            f64::INFINITY,
            -f64::INFINITY,
        ];
        for &a in &xs {
            assert_eq!(unkey(key(a)).to_bits(), a.to_bits());
            for &b in &xs {
                assert_eq!(key(a).cmp(&key(b)), a.total_cmp(&b));
            }
        }
    }
}
