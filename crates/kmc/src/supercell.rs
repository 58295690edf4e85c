//! The network expanded to a periodic supercell, in flat arrays for the event loop.

use crate::error::KmcError;
use crate::network::HopNetwork;
use halo_core::Lattice;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// The radial form of a [`PairRepulsion`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairForm {
    /// Screened Coulomb of Yukawa form, V(r) = A·exp(−r/λ)/r.
    #[default]
    Yukawa,
    /// The cation–cation term of BVSE (softBV; Chen & Adams, IUCrJ 4 (2017) 614),
    /// V(r) = A·erfc(r/λ)/r, with A = K·q_i·q_j/√(n_i·n_j) and λ = f·(rc_i + rc_j).
    Erfc,
}

/// Optional Li–Li pair repulsion V(r) for r < cutoff (zero beyond; no shift: detailed balance
/// only needs a pair energy that is the same function for every configuration), of the radial
/// [`PairForm`] `form`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairRepulsion {
    /// A, eV·Å (14.40 eV·Å for bare unit charges; divided by a dielectric constant, or by
    /// √(n_i·n_j) in the BVSE form).
    pub prefactor_ev_ang: f64,
    /// λ, Å.
    pub screening_length_ang: f64,
    /// Pairs farther apart do not interact, Å.
    pub cutoff_ang: f64,
    /// The radial form (Yukawa when absent, as before the form was named: a Yukawa repulsion
    /// serialises as it did then).
    #[serde(default, skip_serializing_if = "PairForm::is_yukawa")]
    pub form: PairForm,
}

impl PairForm {
    /// True for [`PairForm::Yukawa`].
    pub fn is_yukawa(&self) -> bool {
        *self == PairForm::Yukawa
    }
}

impl PairRepulsion {
    /// V(r), eV.
    pub fn energy_ev(&self, r_ang: f64) -> f64 {
        if r_ang >= self.cutoff_ang {
            return 0.0;
        }
        // the Erfc form is halo_bvse's `PairTerm::Coulomb` (the test
        // `the_bvse_pair_is_the_landscapes_li_li_term` holds the two equal to 1e-12); it is
        // written out here in the order the shipped results were computed with, because the
        // last bit of a pair energy changes an ordered structure's kMC trajectory
        let screening = match self.form {
            PairForm::Yukawa => (-r_ang / self.screening_length_ang).exp(),
            PairForm::Erfc => libm::erfc(r_ang / self.screening_length_ang),
        };
        self.prefactor_ev_ang * screening / r_ang
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
    /// True when the ions interact beyond site exclusion (a repulsion or the network's
    /// couplings): the engine then runs the interacting model.
    pub interacting: bool,
}

/// All (t, image) with |r_t + image − r_s| < r_max (excluding s itself at image 0), per s.
fn neighbours_within(net: &HopNetwork, r_max: f64) -> Vec<Vec<(usize, [i32; 3], f64)>> {
    let n = net.sites.len();
    let mut out = vec![Vec::new(); n];
    for (s, list) in out.iter_mut().enumerate() {
        let fs = Vector3::from(net.sites[s].frac_coords);
        for t in 0..n {
            let ft = Vector3::from(net.sites[t].frac_coords);
            for (img, r) in net.lattice.images_within(&fs, &ft, r_max) {
                if s == t && img == [0, 0, 0] {
                    continue;
                }
                list.push((t, img, r));
            }
        }
    }
    out
}

/// The couplings of each primitive site as (other site, image, energy), both directions of every
/// [`crate::NetCoupling`] (the reverse of a → b at image n is b → a at −n).
fn couplings_of_sites(net: &HopNetwork) -> Vec<Vec<(usize, [i32; 3], f64)>> {
    let mut out = vec![Vec::new(); net.sites.len()];
    for c in &net.couplings {
        out[c.a].push((c.b, c.image, c.energy_ev));
        out[c.b].push((c.a, c.image.map(|x| -x), c.energy_ev));
    }
    out
}

/// Site class (index into the class names) of each primitive site, and the class names in order
/// of first appearance (site labels; `unlabelled` for sites without one).
fn site_classes(net: &HopNetwork) -> (Vec<u16>, Vec<String>) {
    let mut class_names: Vec<String> = Vec::new();
    let mut prim_class = Vec::with_capacity(net.sites.len());
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
    (prim_class, class_names)
}

/// A directed hop out of a primitive site.
#[derive(Clone, Copy, Debug)]
struct DirectedHop {
    /// Target primitive site.
    to: usize,
    /// Lattice image of the target.
    image: [i32; 3],
    /// Hop vector, Å.
    vector_ang: Vector3<f64>,
    /// S − E_source, eV.
    barrier_ev: f64,
    /// Position of the reverse hop in the target's list.
    rev_pos: usize,
}

/// The directed hops of each primitive site: every undirected hop of `net` in both directions,
/// in hop order, each with the position of its reverse in the target's list.
fn directed_hops(net: &HopNetwork) -> Vec<Vec<DirectedHop>> {
    let mut dir: Vec<Vec<DirectedHop>> = vec![Vec::new(); net.sites.len()];
    for (h, hop) in net.hops.iter().enumerate() {
        let v = net.hop_vector_ang(h);
        let s = hop.saddle_energy_ev;
        let k_fwd = dir[hop.from].len();
        // when from == to (a hop to an image of itself) the reverse lands right after
        let k_rev = dir[hop.to].len() + usize::from(hop.from == hop.to);
        dir[hop.from].push(DirectedHop {
            to: hop.to,
            image: hop.image,
            vector_ang: v,
            barrier_ev: s - net.sites[hop.from].energy_ev,
            rev_pos: k_rev,
        });
        dir[hop.to].push(DirectedHop {
            to: hop.from,
            image: hop.image.map(|x| -x),
            vector_ang: -v,
            barrier_ev: s - net.sites[hop.to].energy_ev,
            rev_pos: k_fwd,
        });
    }
    dir
}

/// Rate groups: the distinct barrier bit patterns of the directed hops, ascending.
fn rate_groups(dir: &[Vec<DirectedHop>]) -> Vec<f64> {
    let mut group_barrier_ev: Vec<f64> = dir.iter().flatten().map(|d| d.barrier_ev).collect();
    group_barrier_ev.sort_by(f64::total_cmp);
    group_barrier_ev.dedup_by(|a, b| a.to_bits() == b.to_bits());
    group_barrier_ev
}

/// The rate group (index into `group_barrier_ev`) of barrier `b`.
fn group_of(group_barrier_ev: &[f64], b: f64) -> u32 {
    group_barrier_ev
        .binary_search_by(|g| g.total_cmp(&b))
        .expect("every barrier has a group") as u32
}

/// Per primitive site, the index of its first hop in the flat list of primitive hop vectors;
/// and that list, Å.
fn prim_hop_vectors(dir: &[Vec<DirectedHop>]) -> (Vec<u32>, Vec<[f64; 3]>) {
    let mut prim_hop_start = Vec::with_capacity(dir.len());
    let mut prim_hop_vec_ang = Vec::new();
    for d in dir {
        prim_hop_start.push(prim_hop_vec_ang.len() as u32);
        prim_hop_vec_ang.extend(
            d.iter()
                .map(|x| [x.vector_ang.x, x.vector_ang.y, x.vector_ang.z]),
        );
    }
    (prim_hop_start, prim_hop_vec_ang)
}

/// The cell `cell` shifted by the lattice image `img`.
fn shift(cell: [i64; 3], img: [i32; 3]) -> [i64; 3] {
    [
        cell[0] + img[0] as i64,
        cell[1] + img[1] as i64,
        cell[2] + img[2] as i64,
    ]
}

/// The layout of a supercell: `scale` repetitions of `n_prim` primitive sites.
#[derive(Clone, Copy, Debug)]
struct SupercellLayout {
    /// Repetitions along a, b, c.
    scale: [usize; 3],
    /// Sites of the primitive network.
    n_prim: usize,
}

impl SupercellLayout {
    /// Refuses a zero repetition and supercells whose site count does not fit in a `u32`.
    fn new(scale: [usize; 3], n_prim: usize) -> Result<SupercellLayout, KmcError> {
        if scale.contains(&0) {
            return Err(KmcError::InvalidParameter {
                name: "supercell",
                reason: format!("{scale:?} has a zero repetition"),
            });
        }
        let ncell = scale[0] * scale[1] * scale[2];
        ncell
            .checked_mul(n_prim)
            .filter(|&n| n < u32::MAX as usize)
            .ok_or_else(|| KmcError::Supercell(format!("{scale:?} has too many sites")))?;
        Ok(SupercellLayout { scale, n_prim })
    }

    /// Number of supercell sites.
    fn n_sites(&self) -> usize {
        self.scale[0] * self.scale[1] * self.scale[2] * self.n_prim
    }

    /// Supercell index of primitive site `s` in `cell` (wrapped into the supercell).
    fn index(&self, cell: [i64; 3], s: usize) -> usize {
        let scale = self.scale;
        let w = |x: i64, m: usize| x.rem_euclid(m as i64) as usize;
        ((w(cell[0], scale[0]) * scale[1] + w(cell[1], scale[1])) * scale[2] + w(cell[2], scale[2]))
            * self.n_prim
            + s
    }

    /// The cells of the supercell, c fastest.
    fn cells(&self) -> Vec<[i64; 3]> {
        let scale = self.scale;
        (0..scale[0])
            .flat_map(|a| {
                (0..scale[1])
                    .flat_map(move |b| (0..scale[2]).map(move |c| [a as i64, b as i64, c as i64]))
            })
            .collect()
    }

    /// (supercell index, cell, primitive site) of every supercell site, by increasing index.
    fn site_order(&self) -> Vec<(usize, [i64; 3], usize)> {
        let mut site_order = Vec::with_capacity(self.n_sites());
        for cell in &self.cells() {
            for s in 0..self.n_prim {
                let i = self.index(*cell, s);
                site_order.push((i, *cell, s));
            }
        }
        site_order
    }
}

/// The per-site arrays of a [`SupercellNetwork`] as they grow, site by site.
struct SupercellBuilder {
    layout: SupercellLayout,
    blocking_distance_ang: f64,
    repulsion: Option<PairRepulsion>,
    site_energy_ev: Vec<f64>,
    site_class: Vec<u16>,
    block_start: Vec<u32>,
    block_list: Vec<u32>,
    inter_start: Vec<u32>,
    inter_list: Vec<u32>,
    inter_ev: Vec<f64>,
    hop_start: Vec<u32>,
    hop_to: Vec<u32>,
    hop_from: Vec<u32>,
    hop_rev: Vec<u32>,
    hop_group: Vec<u32>,
    site_prim_hop_base: Vec<u32>,
    hop_barrier_ev: Vec<f64>,
    hop_self_block: Vec<u16>,
    hop_pair_ev: Vec<f64>,
}

impl SupercellBuilder {
    /// Empty lists for the supercell `layout`.
    fn new(
        layout: SupercellLayout,
        blocking_distance_ang: f64,
        repulsion: Option<PairRepulsion>,
    ) -> SupercellBuilder {
        let n = layout.n_sites();
        SupercellBuilder {
            layout,
            blocking_distance_ang,
            repulsion,
            site_energy_ev: vec![0.0; n],
            site_class: vec![0u16; n],
            block_start: Vec::with_capacity(n + 1),
            block_list: Vec::new(),
            inter_start: Vec::with_capacity(n + 1),
            inter_list: Vec::new(),
            inter_ev: Vec::new(),
            hop_start: Vec::with_capacity(n + 1),
            hop_to: Vec::new(),
            hop_from: Vec::new(),
            hop_rev: Vec::new(),
            hop_group: Vec::new(),
            site_prim_hop_base: Vec::with_capacity(n),
            hop_barrier_ev: Vec::new(),
            // filled after the block lists exist
            hop_self_block: Vec::new(),
            hop_pair_ev: Vec::new(),
        }
    }

    /// Append the blocking list of site `i` (primitive site `s` in `cell`), sorted and without
    /// duplicates, from the blocking neighbours `block_prim` of `s`.
    fn push_blockers(
        &mut self,
        i: usize,
        cell: [i64; 3],
        s: usize,
        block_prim: &[(usize, [i32; 3], f64)],
    ) -> Result<(), KmcError> {
        let scale = self.layout.scale;
        let blocking_distance_ang = self.blocking_distance_ang;
        self.block_start.push(self.block_list.len() as u32);
        let mut bl: Vec<u32> = Vec::new();
        for &(t, img, r) in block_prim {
            let j = self.layout.index(shift(cell, img), t);
            if j == i {
                return Err(KmcError::Supercell(format!(
                    "supercell {scale:?} is too small: site {s} is within the blocking distance {blocking_distance_ang} Å of its own image ({r:.3} Å)"
                )));
            }
            bl.push(j as u32);
        }
        bl.sort_unstable();
        bl.dedup();
        self.block_list.extend_from_slice(&bl);
        Ok(())
    }

    /// Append the interaction list of site `i` (primitive site `s` in `cell`), sorted, from the
    /// interaction neighbours `inter_prim` of `s` (pair repulsion) and its couplings
    /// `coupling_prim` ([`crate::NetCoupling`]); several images of one supercell site, and a
    /// repulsion and a coupling of one pair, are merged into one entry (their pair energies
    /// summed). Empty without repulsion and couplings.
    fn push_interactions(
        &mut self,
        i: usize,
        cell: [i64; 3],
        s: usize,
        inter_prim: &[(usize, [i32; 3], f64)],
        coupling_prim: &[(usize, [i32; 3], f64)],
    ) -> Result<(), KmcError> {
        let scale = self.layout.scale;
        self.inter_start.push(self.inter_list.len() as u32);
        let mut il: Vec<(u32, f64)> = Vec::new();
        if let Some(rep) = self.repulsion {
            for &(t, img, r) in inter_prim {
                let j = self.layout.index(shift(cell, img), t);
                if j == i {
                    return Err(KmcError::Supercell(format!(
                        "supercell {scale:?} is too small: site {s} interacts with its own image ({r:.3} Å < cutoff {} Å)",
                        rep.cutoff_ang
                    )));
                }
                il.push((j as u32, rep.energy_ev(r)));
            }
        }
        for &(t, img, v) in coupling_prim {
            let j = self.layout.index(shift(cell, img), t);
            if j == i {
                return Err(KmcError::Supercell(format!(
                    "supercell {scale:?} is too small: site {s} is coupled to its own image (image {img:?})"
                )));
            }
            il.push((j as u32, v));
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
            self.inter_list.push(j);
            self.inter_ev.push(v);
        }
        Ok(())
    }

    /// Append the directed hops of site `i` (primitive site `s` in `cell`) from the primitive
    /// hops `dir_s` of `s`; `hop_rev` holds the reverse hop's position within the target's list
    /// until [`SupercellBuilder::resolve_reverse_hops`].
    fn push_hops(
        &mut self,
        i: usize,
        cell: [i64; 3],
        s: usize,
        dir_s: &[DirectedHop],
        prim_hop_base: u32,
        group_barrier_ev: &[f64],
    ) -> Result<(), KmcError> {
        let scale = self.layout.scale;
        self.hop_start.push(self.hop_to.len() as u32);
        self.site_prim_hop_base.push(prim_hop_base);
        for d in dir_s {
            let img = d.image;
            let j = self.layout.index(shift(cell, img), d.to);
            if j == i {
                return Err(KmcError::Supercell(format!(
                    "supercell {scale:?} is too small: a hop of site {s} (image {img:?}) returns to the same supercell site"
                )));
            }
            // hop_rev holds the position within site j's list until every start is known
            self.hop_to.push(j as u32);
            self.hop_from.push(i as u32);
            self.hop_rev.push(d.rev_pos as u32);
            self.hop_group
                .push(group_of(group_barrier_ev, d.barrier_ev));
            self.hop_barrier_ev.push(d.barrier_ev);
            self.hop_pair_ev.push(0.0);
        }
        Ok(())
    }

    /// Close the CSR offsets of the blocking, interaction and hop lists.
    fn close_lists(&mut self) {
        self.block_start.push(self.block_list.len() as u32);
        self.inter_start.push(self.inter_list.len() as u32);
        self.hop_start.push(self.hop_to.len() as u32);
    }

    /// Reverse hops: position within the target's list → global hop index.
    fn resolve_reverse_hops(&mut self) {
        for h in 0..self.hop_to.len() {
            let j = self.hop_to[h] as usize;
            let r = self.hop_start[j] as usize + self.hop_rev[h] as usize;
            debug_assert_eq!(self.hop_to[r], self.hop_from[h]);
            self.hop_rev[h] = r as u32;
        }
    }

    /// Per hop, whether the source blocks the target (`hop_self_block`) and the pair energy
    /// between source and target (`hop_pair_ev`, with repulsion only).
    fn fill_self_block_and_pair_energies(&mut self) {
        self.hop_self_block = vec![0u16; self.hop_to.len()];
        for i in 0..self.layout.n_sites() {
            for h in self.hop_start[i] as usize..self.hop_start[i + 1] as usize {
                let j = self.hop_to[h] as usize;
                let bl = &self.block_list
                    [self.block_start[j] as usize..self.block_start[j + 1] as usize];
                if bl.binary_search(&(i as u32)).is_ok() {
                    self.hop_self_block[h] = 1;
                }
                {
                    let il = &self.inter_list
                        [self.inter_start[j] as usize..self.inter_start[j + 1] as usize];
                    if let Ok(k) = il.binary_search(&(i as u32)) {
                        self.hop_pair_ev[h] = self.inter_ev[self.inter_start[j] as usize + k];
                    }
                }
            }
        }
    }
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
        let n_prim = net.sites.len();
        let layout = SupercellLayout::new(scale, n_prim)?;
        let (prim_class, class_names) = site_classes(net);

        // blocking and interaction neighbours of primitive sites
        let block_prim = neighbours_within(net, blocking_distance_ang);
        let inter_prim = match repulsion {
            Some(r) => neighbours_within(net, r.cutoff_ang),
            None => vec![Vec::new(); n_prim],
        };
        let coupling_prim = couplings_of_sites(net);

        let dir = directed_hops(net);
        let group_barrier_ev = rate_groups(&dir);
        let (prim_hop_start, prim_hop_vec_ang) = prim_hop_vectors(&dir);

        let mut b = SupercellBuilder::new(layout, blocking_distance_ang, repulsion);
        // indices are generated in increasing order by construction
        for (expect, (i, cell, s)) in layout.site_order().into_iter().enumerate() {
            debug_assert_eq!(expect, i);
            b.site_energy_ev[i] = net.sites[s].energy_ev;
            b.site_class[i] = prim_class[s];
            b.push_blockers(i, cell, s, &block_prim[s])?;
            b.push_interactions(i, cell, s, &inter_prim[s], &coupling_prim[s])?;
            b.push_hops(i, cell, s, &dir[s], prim_hop_start[s], &group_barrier_ev)?;
        }
        b.close_lists();
        b.resolve_reverse_hops();
        b.fill_self_block_and_pair_energies();

        Ok(SupercellNetwork {
            supercell: scale,
            lattice: net.lattice.scaled(scale),
            dimension: net.dimension,
            n_prim,
            site_energy_ev: b.site_energy_ev,
            site_class: b.site_class,
            class_names,
            hop_start: b.hop_start,
            hop_to: b.hop_to,
            hop_from: b.hop_from,
            hop_rev: b.hop_rev,
            hop_group: b.hop_group,
            group_barrier_ev,
            prim_hop_vec_ang,
            site_prim_hop_base: b.site_prim_hop_base,
            hop_barrier_ev: b.hop_barrier_ev,
            hop_self_block: b.hop_self_block,
            hop_pair_ev: b.hop_pair_ev,
            block_start: b.block_start,
            block_list: b.block_list,
            blocking_distance_ang,
            inter_start: b.inter_start,
            inter_list: b.inter_list,
            inter_ev: b.inter_ev,
            repulsion,
            interacting: repulsion.is_some() || !net.couplings.is_empty(),
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

/// The smallest perpendicular width an automatic supercell of `net` must have, Å:
/// 2 × max(interaction range, longest coupling of the network) + the longest hop.
pub fn required_width_ang(net: &HopNetwork, interaction_range_ang: f64) -> f64 {
    2.0 * interaction_range_ang.max(net.max_coupling_distance_ang()) + net.max_hop_length_ang()
}

/// The automatic supercell: every perpendicular width at least [`required_width_ang`]
/// (interaction range = max(blocking distance, repulsion cutoff),
/// [`crate::KmcParams::interaction_range_ang`]), then grown one repetition at a time along the
/// currently thinnest direction until it holds at least `min_ions` mobile ions (given
/// `ions_per_cell`) and `min_sites` sites.
pub fn auto_supercell(
    net: &HopNetwork,
    interaction_range_ang: f64,
    ions_per_cell: f64,
    min_ions: usize,
    min_sites: usize,
) -> [usize; 3] {
    let w = net.lattice.perpendicular_widths_ang();
    let need = required_width_ang(net, interaction_range_ang);
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

    /// The plain scan over a generous image range that `neighbours_within` must reproduce.
    fn neighbours_by_plain_scan(net: &HopNetwork, r_max: f64) -> Vec<Vec<(usize, [i32; 3], f64)>> {
        let w = net.lattice.perpendicular_widths_ang();
        let reach = w.map(|wi| (r_max / wi).ceil() as i32 + 2);
        let n = net.sites.len();
        let mut out = vec![Vec::new(); n];
        for (s, list) in out.iter_mut().enumerate() {
            let fs = Vector3::from(net.sites[s].frac_coords);
            for t in 0..n {
                let ft = Vector3::from(net.sites[t].frac_coords);
                for a in -reach[0] - 1..=reach[0] + 1 {
                    for b in -reach[1] - 1..=reach[1] + 1 {
                        for c in -reach[2] - 1..=reach[2] + 1 {
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

    #[test]
    fn neighbour_lists_equal_the_plain_scan_in_skewed_cells() {
        // the spinel network's sites in a cubic cell and in a strongly skewed triclinic one,
        // with coordinates spread over [−1, 2) so that the reduction to [−½, ½] matters
        let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.1, 0.3);
        for (k, s) in net.sites.iter_mut().enumerate() {
            s.frac_coords[k % 3] += (k % 3) as f64 - 1.0;
        }
        let cubic = net.lattice.clone();
        let skewed = Lattice::from_parameters(7.3, 9.1, 6.2, 62.0, 111.0, 79.0).unwrap();
        for lattice in [cubic, skewed] {
            net.lattice = lattice;
            for r in [1.6, 4.0, 6.0, 9.5] {
                let fast = neighbours_within(&net, r);
                let plain = neighbours_by_plain_scan(&net, r);
                assert!(r < 2.0 || fast.iter().map(Vec::len).sum::<usize>() > 0);
                assert_eq!(fast, plain, "r = {r}");
            }
        }
    }

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
    fn interaction_images_are_merged_and_hop_pair_energies_match() {
        let net = ideal::simple_cubic(1.0, 0.1);
        let rep = PairRepulsion {
            prefactor_ev_ang: 2.88,
            screening_length_ang: 3.0,
            cutoff_ang: 3.5,
            form: crate::PairForm::Yukawa,
        };
        let sc = SupercellNetwork::build(&net, [4, 4, 4], 0.5, Some(rep)).unwrap();
        // the neighbour one step along a is also three steps back: both images are summed
        let merged = rep.energy_ev(3.0) + rep.energy_ev(1.0);
        for i in 0..sc.n_sites() {
            let (list, ev) = sc.interactions_of(i);
            assert!(list.windows(2).all(|w| w[0] < w[1]));
            for h in sc.hops_of(i) {
                let k = list.binary_search(&sc.hop_to[h]).unwrap();
                assert_eq!(ev[k].to_bits(), merged.to_bits());
                assert_eq!(sc.hop_pair_ev[h].to_bits(), merged.to_bits());
                let r = sc.hop_rev[h] as usize;
                assert_eq!(sc.hop_pair_ev[r].to_bits(), sc.hop_pair_ev[h].to_bits());
                assert_eq!(sc.hop_self_block[h], 0);
            }
        }
        // deterministic: a second build is identical, field by field
        let again = SupercellNetwork::build(&net, [4, 4, 4], 0.5, Some(rep)).unwrap();
        assert_eq!(format!("{sc:?}"), format!("{again:?}"));
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
