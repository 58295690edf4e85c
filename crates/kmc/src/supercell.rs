//! The network expanded to a periodic supercell, in flat arrays for the event loop.

use crate::error::KmcError;
use crate::network::HopNetwork;
use halo_core::Lattice;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// Optional Li–Li pair repulsion, a screened Coulomb (Yukawa) potential
/// V(r) = A·exp(−r/λ)/r for r < cutoff (zero beyond; no shift: detailed balance only needs a
/// pair energy that is the same function for every configuration).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairRepulsion {
    /// A, eV·Å (14.40 eV·Å for bare unit charges; divide by a dielectric constant).
    pub prefactor_ev_ang: f64,
    /// λ, Å.
    pub screening_length_ang: f64,
    /// Pairs farther apart do not interact, Å.
    pub cutoff_ang: f64,
}

impl PairRepulsion {
    /// V(r), eV.
    pub fn energy_ev(&self, r_ang: f64) -> f64 {
        if r_ang >= self.cutoff_ang {
            0.0
        } else {
            self.prefactor_ev_ang * (-r_ang / self.screening_length_ang).exp() / r_ang
        }
    }
}

/// The network in a supercell `na × nb × nc`. Supercell site index
/// `((ia·nb + ib)·nc + ic)·n_prim + s` for primitive site s in cell (ia, ib, ic).
#[derive(Clone, Debug)]
pub struct SupercellNetwork {
    /// Repetitions along a, b, c.
    pub supercell: [usize; 3],
    /// Supercell lattice.
    pub lattice: Lattice,
    /// d of D = ⟨R²⟩/(2dt).
    pub dimension: usize,
    /// Sites of the primitive network.
    pub n_prim: usize,
    /// Site energies (eV), per supercell site.
    pub site_energy_ev: Vec<f64>,
    /// Site class (index into `class_names`) per supercell site, for occupancy statistics.
    pub site_class: Vec<u16>,
    /// Class names (site labels; `unlabelled` for sites without one).
    pub class_names: Vec<String>,
    /// CSR offsets of the directed hops out of each site.
    pub hop_start: Vec<u32>,
    /// Target site of each directed hop.
    pub hop_to: Vec<u32>,
    /// Source site of each directed hop.
    pub hop_from: Vec<u32>,
    /// The reverse of each directed hop (the same undirected hop, target → source).
    pub hop_rev: Vec<u32>,
    /// Rate group of each directed hop: hops with bit-identical barriers `S − E_source` share a
    /// group (and therefore a rate at every temperature).
    pub hop_group: Vec<u32>,
    /// Barrier of each rate group, eV, ascending.
    pub group_barrier_ev: Vec<f64>,
    /// Hop vectors of the primitive network's directed hops, Å (a supercell hop's vector is its
    /// primitive hop's: see [`SupercellNetwork::hop_vector_ang`]).
    pub prim_hop_vec_ang: Vec<[f64; 3]>,
    /// Per supercell site, the index in `prim_hop_vec_ang` of its primitive site's first hop.
    pub site_prim_hop_base: Vec<u32>,
    /// S − E_source, eV.
    pub hop_barrier_ev: Vec<f64>,
    /// 1 when the source lies within the blocking distance of the target (so the moving ion
    /// does not block its own destination), else 0.
    pub hop_self_block: Vec<u16>,
    /// Pair repulsion between source and target, eV (0 without repulsion).
    pub hop_pair_ev: Vec<f64>,
    /// CSR offsets of the blocking neighbours (sites closer than the blocking distance).
    pub block_start: Vec<u32>,
    /// Blocking neighbours.
    pub block_list: Vec<u32>,
    /// Blocking distance used, Å.
    pub blocking_distance_ang: f64,
    /// CSR offsets of the interaction neighbours (pair repulsion).
    pub inter_start: Vec<u32>,
    /// Interaction neighbours.
    pub inter_list: Vec<u32>,
    /// Pair energy with each interaction neighbour, eV.
    pub inter_ev: Vec<f64>,
    /// The repulsion used, if any.
    pub repulsion: Option<PairRepulsion>,
}

/// All (t, image) with |r_t + image − r_s| < r_max (excluding s itself at image 0), per s.
fn neighbours_within(net: &HopNetwork, r_max: f64) -> Vec<Vec<(usize, [i32; 3], f64)>> {
    let w = net.lattice.perpendicular_widths_ang();
    let reach = w.map(|wi| (r_max / wi).ceil() as i32 + 1);
    let n = net.sites.len();
    let mut out = vec![Vec::new(); n];
    if r_max <= 0.0 {
        return out;
    }
    for (s, list) in out.iter_mut().enumerate() {
        let fs = Vector3::from(net.sites[s].frac_coords);
        for t in 0..n {
            let ft = Vector3::from(net.sites[t].frac_coords);
            for a in -reach[0]..=reach[0] {
                for b in -reach[1]..=reach[1] {
                    for c in -reach[2]..=reach[2] {
                        if s == t && a == 0 && b == 0 && c == 0 {
                            continue;
                        }
                        let d = ft + Vector3::new(a as f64, b as f64, c as f64) - fs;
                        let r = net.lattice.cart(&d).norm();
                        if r < r_max {
                            list.push((t, [a, b, c], r));
                        }
                    }
                }
            }
        }
    }
    out
}

impl SupercellNetwork {
    /// Expand `net` into the supercell `scale`. Refuses supercells in which a hop, a blocking
    /// pair or an interacting pair would join a site to its own periodic image.
    pub fn build(
        net: &HopNetwork,
        scale: [usize; 3],
        blocking_distance_ang: f64,
        repulsion: Option<PairRepulsion>,
    ) -> Result<SupercellNetwork, KmcError> {
        net.validate()?;
        if scale.contains(&0) {
            return Err(KmcError::InvalidParameter {
                name: "supercell",
                reason: format!("{scale:?} has a zero repetition"),
            });
        }
        let n_prim = net.sites.len();
        let ncell = scale[0] * scale[1] * scale[2];
        let n = ncell
            .checked_mul(n_prim)
            .filter(|&n| n < u32::MAX as usize)
            .ok_or_else(|| KmcError::Supercell(format!("{scale:?} has too many sites")))?;
        let index = |cell: [i64; 3], s: usize| -> usize {
            let w = |x: i64, m: usize| x.rem_euclid(m as i64) as usize;
            ((w(cell[0], scale[0]) * scale[1] + w(cell[1], scale[1])) * scale[2]
                + w(cell[2], scale[2]))
                * n_prim
                + s
        };
        let cells: Vec<[i64; 3]> = (0..scale[0])
            .flat_map(|a| {
                (0..scale[1])
                    .flat_map(move |b| (0..scale[2]).map(move |c| [a as i64, b as i64, c as i64]))
            })
            .collect();

        // classes
        let mut class_names: Vec<String> = Vec::new();
        let mut prim_class = Vec::with_capacity(n_prim);
        for s in &net.sites {
            let name = s.label.clone().unwrap_or_else(|| "unlabelled".to_string());
            let k = match class_names.iter().position(|c| *c == name) {
                Some(k) => k,
                None => {
                    class_names.push(name);
                    class_names.len() - 1
                }
            };
            prim_class.push(k as u16);
        }

        // blocking and interaction neighbours of primitive sites
        let block_prim = neighbours_within(net, blocking_distance_ang);
        let inter_prim = match repulsion {
            Some(r) => neighbours_within(net, r.cutoff_ang),
            None => vec![Vec::new(); n_prim],
        };

        // directed hops of primitive sites
        // per primitive site: (target, image, hop vector, S − E_source, position of the reverse
        // hop in the target's list)
        type DirectedHop = (usize, [i32; 3], Vector3<f64>, f64, usize);
        let mut dir: Vec<Vec<DirectedHop>> = vec![Vec::new(); n_prim];
        for (h, hop) in net.hops.iter().enumerate() {
            let v = net.hop_vector_ang(h);
            let s = hop.saddle_energy_ev;
            let k_fwd = dir[hop.from].len();
            // when from == to (a hop to an image of itself) the reverse lands right after
            let k_rev = dir[hop.to].len() + usize::from(hop.from == hop.to);
            dir[hop.from].push((
                hop.to,
                hop.image,
                v,
                s - net.sites[hop.from].energy_ev,
                k_rev,
            ));
            dir[hop.to].push((
                hop.from,
                hop.image.map(|x| -x),
                -v,
                s - net.sites[hop.to].energy_ev,
                k_fwd,
            ));
        }
        // rate groups: distinct barrier bit patterns, ascending
        let mut group_barrier_ev: Vec<f64> = dir.iter().flatten().map(|d| d.3).collect();
        group_barrier_ev.sort_by(f64::total_cmp);
        group_barrier_ev.dedup_by(|a, b| a.to_bits() == b.to_bits());
        let group_of = |b: f64| -> u32 {
            group_barrier_ev
                .binary_search_by(|g| g.total_cmp(&b))
                .expect("every barrier has a group") as u32
        };

        let mut site_energy_ev = vec![0.0; n];
        let mut site_class = vec![0u16; n];
        let mut block_start = Vec::with_capacity(n + 1);
        let mut block_list = Vec::new();
        let mut inter_start = Vec::with_capacity(n + 1);
        let mut inter_list = Vec::new();
        let mut inter_ev = Vec::new();
        let mut hop_start = Vec::with_capacity(n + 1);
        let mut hop_to = Vec::new();
        let mut hop_from = Vec::new();
        let mut hop_rev = Vec::new();
        let mut hop_group = Vec::new();
        let mut prim_hop_start = Vec::with_capacity(n_prim);
        let mut prim_hop_vec_ang = Vec::new();
        for d in &dir {
            prim_hop_start.push(prim_hop_vec_ang.len() as u32);
            prim_hop_vec_ang.extend(d.iter().map(|x| [x.2.x, x.2.y, x.2.z]));
        }
        let mut site_prim_hop_base = Vec::with_capacity(n);
        let mut hop_barrier_ev = Vec::new();
        let mut hop_pair_ev = Vec::new();
        // hop_self_block filled after block lists exist
        let mut site_order = Vec::with_capacity(n);
        for cell in &cells {
            for s in 0..n_prim {
                let i = index(*cell, s);
                site_order.push((i, *cell, s));
            }
        }
        // indices are generated in increasing order by construction
        for (expect, &(i, cell, s)) in site_order.iter().enumerate() {
            debug_assert_eq!(expect, i);
            site_energy_ev[i] = net.sites[s].energy_ev;
            site_class[i] = prim_class[s];
            let shift = |img: [i32; 3]| {
                [
                    cell[0] + img[0] as i64,
                    cell[1] + img[1] as i64,
                    cell[2] + img[2] as i64,
                ]
            };
            block_start.push(block_list.len() as u32);
            let mut bl: Vec<u32> = Vec::new();
            for &(t, img, r) in &block_prim[s] {
                let j = index(shift(img), t);
                if j == i {
                    return Err(KmcError::Supercell(format!(
                        "supercell {scale:?} is too small: site {s} is within the blocking distance {blocking_distance_ang} Å of its own image ({r:.3} Å)"
                    )));
                }
                bl.push(j as u32);
            }
            bl.sort_unstable();
            bl.dedup();
            block_list.extend_from_slice(&bl);

            inter_start.push(inter_list.len() as u32);
            if let Some(rep) = repulsion {
                let mut il: Vec<(u32, f64)> = Vec::new();
                for &(t, img, r) in &inter_prim[s] {
                    let j = index(shift(img), t);
                    if j == i {
                        return Err(KmcError::Supercell(format!(
                            "supercell {scale:?} is too small: site {s} interacts with its own image ({r:.3} Å < cutoff {} Å)",
                            rep.cutoff_ang
                        )));
                    }
                    il.push((j as u32, rep.energy_ev(r)));
                }
                il.sort_by_key(|x| x.0);
                // merge several images of one supercell site (sum their pair energies)
                let mut merged: Vec<(u32, f64)> = Vec::new();
                for (j, v) in il {
                    match merged.last_mut() {
                        Some(last) if last.0 == j => last.1 += v,
                        _ => merged.push((j, v)),
                    }
                }
                for (j, v) in merged {
                    inter_list.push(j);
                    inter_ev.push(v);
                }
            }

            hop_start.push(hop_to.len() as u32);
            site_prim_hop_base.push(prim_hop_start[s]);
            for &(t, img, _, barrier, k_rev) in &dir[s] {
                let j = index(shift(img), t);
                if j == i {
                    return Err(KmcError::Supercell(format!(
                        "supercell {scale:?} is too small: a hop of site {s} (image {img:?}) returns to the same supercell site"
                    )));
                }
                // hop_rev holds the position within site j's list until every start is known
                hop_to.push(j as u32);
                hop_from.push(i as u32);
                hop_rev.push(k_rev as u32);
                hop_group.push(group_of(barrier));
                hop_barrier_ev.push(barrier);
                hop_pair_ev.push(0.0);
            }
        }
        block_start.push(block_list.len() as u32);
        inter_start.push(inter_list.len() as u32);
        hop_start.push(hop_to.len() as u32);
        // reverse hops: position within the target's list → global index
        for h in 0..hop_to.len() {
            let j = hop_to[h] as usize;
            let r = hop_start[j] as usize + hop_rev[h] as usize;
            debug_assert_eq!(hop_to[r], hop_from[h]);
            hop_rev[h] = r as u32;
        }

        let mut hop_self_block = vec![0u16; hop_to.len()];
        for i in 0..n {
            for h in hop_start[i] as usize..hop_start[i + 1] as usize {
                let j = hop_to[h] as usize;
                let bl = &block_list[block_start[j] as usize..block_start[j + 1] as usize];
                if bl.binary_search(&(i as u32)).is_ok() {
                    hop_self_block[h] = 1;
                }
                if repulsion.is_some() {
                    let il = &inter_list[inter_start[j] as usize..inter_start[j + 1] as usize];
                    if let Ok(k) = il.binary_search(&(i as u32)) {
                        hop_pair_ev[h] = inter_ev[inter_start[j] as usize + k];
                    }
                }
            }
        }

        Ok(SupercellNetwork {
            supercell: scale,
            lattice: net.lattice.scaled(scale),
            dimension: net.dimension,
            n_prim,
            site_energy_ev,
            site_class,
            class_names,
            hop_start,
            hop_to,
            hop_from,
            hop_rev,
            hop_group,
            group_barrier_ev,
            prim_hop_vec_ang,
            site_prim_hop_base,
            hop_barrier_ev,
            hop_self_block,
            hop_pair_ev,
            block_start,
            block_list,
            blocking_distance_ang,
            inter_start,
            inter_list,
            inter_ev,
            repulsion,
        })
    }

    /// Number of supercell sites.
    pub fn n_sites(&self) -> usize {
        self.site_energy_ev.len()
    }

    /// Number of primitive cells.
    pub fn n_cells(&self) -> usize {
        self.supercell.iter().product()
    }

    /// Directed hops out of site `i` (range into the hop arrays).
    #[inline]
    pub fn hops_of(&self, i: usize) -> std::ops::Range<usize> {
        self.hop_start[i] as usize..self.hop_start[i + 1] as usize
    }

    /// Cartesian vector of directed hop `h` out of site `i`, Å.
    #[inline]
    pub fn hop_vector_ang(&self, i: usize, h: usize) -> [f64; 3] {
        self.prim_hop_vec_ang
            [self.site_prim_hop_base[i] as usize + (h - self.hop_start[i] as usize)]
    }

    /// Blocking neighbours of site `i`.
    #[inline]
    pub fn blockers_of(&self, i: usize) -> &[u32] {
        &self.block_list[self.block_start[i] as usize..self.block_start[i + 1] as usize]
    }

    /// Interaction neighbours of site `i` and their pair energies.
    #[inline]
    pub fn interactions_of(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.inter_start[i] as usize..self.inter_start[i + 1] as usize;
        (&self.inter_list[r.clone()], &self.inter_ev[r])
    }

    /// A 64-bit FNV-1a fingerprint of the arrays the dynamics depends on (checkpoint guard).
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf29ce484222325;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h ^= b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
        };
        eat(self.n_sites() as u64);
        for s in self.supercell {
            eat(s as u64);
        }
        for e in &self.site_energy_ev {
            eat(e.to_bits());
        }
        for (t, b) in self.hop_to.iter().zip(&self.hop_barrier_ev) {
            eat(*t as u64);
            eat(b.to_bits());
        }
        for b in &self.block_list {
            eat(*b as u64);
        }
        for v in &self.inter_ev {
            eat(v.to_bits());
        }
        h
    }
}

/// The automatic supercell: every perpendicular width at least 2 × interaction range + the
/// longest hop (interaction range = max(blocking distance, repulsion cutoff)), then grown one
/// repetition at a time along the currently thinnest direction until it holds at least
/// `min_ions` mobile ions (given `ions_per_cell`) and `min_sites` sites.
pub fn auto_supercell(
    net: &HopNetwork,
    interaction_range_ang: f64,
    ions_per_cell: f64,
    min_ions: usize,
    min_sites: usize,
) -> [usize; 3] {
    let w = net.lattice.perpendicular_widths_ang();
    let need = 2.0 * interaction_range_ang + net.max_hop_length_ang();
    let mut n = w.map(|wi| ((need / wi).ceil() as usize).max(1));
    // 2D/1D networks: do not grow along directions no hop crosses
    let crosses = |k: usize| net.hops.iter().any(|h| h.image[k] != 0);
    let grow: Vec<usize> = (0..3).filter(|&k| crosses(k)).collect();
    if grow.is_empty() {
        return n;
    }
    let cells = |n: &[usize; 3]| (n[0] * n[1] * n[2]) as f64;
    while (cells(&n) * ions_per_cell) < min_ions as f64
        || (cells(&n) as usize * net.sites.len()) < min_sites
    {
        let k = *grow
            .iter()
            .min_by(|&&a, &&b| (n[a] as f64 * w[a]).total_cmp(&(n[b] as f64 * w[b])))
            .expect("non-empty");
        n[k] += 1;
        if cells(&n) > 1e7 {
            break;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::ideal;

    #[test]
    fn supercell_counts_and_blocking_lists() {
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.1, 0.3);
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, None).unwrap();
        assert_eq!(sc.n_sites(), 24 * 8);
        // each 8a blocks its 4 face-sharing 16c, each 16c its 2 8a
        for i in 0..sc.n_sites() {
            let expect = if sc.class_names[sc.site_class[i] as usize] == "8a" {
                4
            } else {
                2
            };
            assert_eq!(sc.blockers_of(i).len(), expect);
            assert_eq!(sc.hops_of(i).len(), expect);
            for h in sc.hops_of(i) {
                assert_eq!(sc.hop_self_block[h], 1);
            }
        }
    }

    #[test]
    fn reverse_hops_and_rate_groups_are_consistent() {
        let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.1, 0.3);
        for (k, h) in net.hops.iter_mut().enumerate() {
            h.saddle_energy_ev = 0.3 + 0.01 * (k % 3) as f64;
        }
        // a hop from a site to its own image exercises the self-pair bookkeeping
        let sq = ideal::square(3.0, 0.1);
        for (net, scale) in [(net, [2, 2, 2]), (sq, [3, 3, 1])] {
            let sc = SupercellNetwork::build(&net, scale, 0.0, None).unwrap();
            for i in 0..sc.n_sites() {
                for h in sc.hops_of(i) {
                    assert_eq!(sc.hop_from[h] as usize, i);
                    let r = sc.hop_rev[h] as usize;
                    assert_eq!(sc.hop_rev[r] as usize, h);
                    assert_eq!(sc.hop_from[r], sc.hop_to[h]);
                    assert_eq!(sc.hop_to[r] as usize, i);
                    let (v, w) = (
                        sc.hop_vector_ang(i, h),
                        sc.hop_vector_ang(sc.hop_to[h] as usize, r),
                    );
                    for k in 0..3 {
                        assert_eq!(w[k], -v[k]);
                    }
                    let g = sc.hop_group[h] as usize;
                    assert_eq!(
                        sc.group_barrier_ev[g].to_bits(),
                        sc.hop_barrier_ev[h].to_bits()
                    );
                }
            }
            assert!(sc.group_barrier_ev.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn too_small_supercells_are_refused() {
        let net = ideal::simple_cubic(1.0, 0.1);
        assert!(matches!(
            SupercellNetwork::build(&net, [1, 3, 3], 0.0, None),
            Err(KmcError::Supercell(_))
        ));
        assert!(matches!(
            SupercellNetwork::build(&net, [3, 3, 3], 3.2, None),
            Err(KmcError::Supercell(_))
        ));
        assert!(SupercellNetwork::build(&net, [3, 3, 3], 0.5, None).is_ok());
    }

    #[test]
    fn auto_supercell_meets_width_and_ion_targets() {
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.1, 0.3);
        let n = auto_supercell(&net, 2.5, 5.66, 128, 0);
        let cells = n[0] * n[1] * n[2];
        assert!(cells as f64 * 5.66 >= 128.0);
        let sq = auto_supercell(&ideal::square(3.0, 0.1), 0.0, 0.5, 200, 0);
        assert_eq!(sq[2], 1, "2D network is not grown along c");
        assert!(sq[0] * sq[1] >= 400);
    }
}
