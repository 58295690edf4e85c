//! One kMC trajectory: rejection-free (BKL) event selection, unwrapped displacements, block
//! records, checkpoint and resume.
//!
//! Two selectors, both exact (no approximation of the rates):
//! - **Rate groups** (no pair repulsion, the default model): every directed hop's rate is
//!   ν0·exp(−(S − E_source)/k_BT), a constant per hop, so hops with the same barrier form a group
//!   with one rate r_g. Each group keeps the list of its currently allowed hops; the total rate is
//!   R = Σ_g n_g·r_g (a sum tree over groups); an event picks a group with probability
//!   n_g·r_g/R and then a uniform member. This is the n-fold way of Bortz, Kalos & Lebowitz
//!   (J. Comput. Phys. 17, 10 (1975)) with classes = barrier values. After a hop only the
//!   directed hops out of and into the sites whose occupancy or blocking count changed are
//!   re-tested: O(coordination × blocking neighbours) work per event, independent of system size,
//!   and R is a pure function of the integer counts n_g (no round-off drift). Memory layout
//!   for large supercells (every distinct cache line an event touches is a likely miss beyond
//!   ~10⁴ sites): 8-byte hop records (target, reverse) contiguous per site, one 16-byte record
//!   per site, group words per primitive hop, list positions in their own array, a hop's source
//!   and a site's first hop computed from the cell-by-cell numbering; the next event's hop is
//!   found with a copy of the RNG and its data prefetched before this event's bookkeeping.
//! - **Per-site sum tree** (with pair repulsion, where rates depend on the repulsion field): a
//!   leaf per site holds its total outgoing rate; after a hop the leaves of every site whose
//!   neighbourhood changed are recomputed.

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use crate::tree::SumTree;
use halo_core::hint::prefetch;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Marker for an empty site.
const EMPTY: u32 = u32::MAX;
/// Occupied flag of [`Groups::state`].
const OCCUPIED: u32 = 1 << 31;
/// Marker for a hop that is in no allowed list.
const NOT_LISTED: u32 = u32::MAX;

/// SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014), used to derive stream seeds.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG stream of one (temperature, replica): Xoshiro256++ (Blackman & Vigna 2021) seeded by
/// `Xoshiro256PlusPlus::seed_from_u64(s)` (SplitMix64 expansion of s) with
/// `s = splitmix64(splitmix64(seed ^ splitmix64(t_mk)) ^ splitmix64(replica))`,
/// `t_mk = round(T / mK)`. The stream depends on the temperature's value, not on its position in
/// the list, so adding temperatures or threads never changes an existing result.
pub fn stream_rng(seed: u64, temperature_k: f64, replica: u64) -> Xoshiro256PlusPlus {
    let t_mk = (temperature_k * 1000.0).round() as u64;
    let s = splitmix64(splitmix64(seed ^ splitmix64(t_mk)) ^ splitmix64(replica));
    Xoshiro256PlusPlus::seed_from_u64(s)
}

/// What one block (a window of the trajectory) measured. Displacements are unwrapped (each hop
/// adds its Cartesian hop vector, image included) and taken relative to the block start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockRecord {
    /// Simulated time of the block, s.
    pub time_s: f64,
    /// Events (hops) in the block.
    pub events: u64,
    /// Σ_i |Δr_i|², Å² (tracer).
    pub sum_sq_disp_ang2: f64,
    /// |Σ_i Δr_i|², Å² (charge / collective).
    pub sq_total_disp_ang2: f64,
    /// Σ_i Δr_i, Å (centre-of-mass drift diagnostic).
    pub total_disp_ang: [f64; 3],
    /// Σ over hops of |hop|², Å² (the uncorrelated-walk reference for correlation factors).
    pub sum_sq_jump_ang2: f64,
    /// Σ_i Δr_i(this block)·Δr_i(previous block), Å² (0 when no adjacent previous block).
    /// Adding twice this to `sum_sq_disp_ang2` restores the correlations cut by the block
    /// boundary, removing the O(1/block length) bias of windowed MSD estimates.
    pub cross_prev_ang2: f64,
    /// (Σ_iΔr_i(this block))·(Σ_iΔr_i(previous block)), Å², the same for the charge term.
    pub cross_total_prev_ang2: f64,
}

/// Settings of one trajectory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryConfig {
    /// Temperature, K.
    pub temperature_k: f64,
    /// ν0, s⁻¹.
    pub attempt_frequency_hz: f64,
    /// Full rebuild of all leaves (and of the repulsion field) every this many events.
    pub rebuild_interval_events: u64,
}

impl TrajectoryConfig {
    /// β = 1/(k_B·T), eV⁻¹; an error unless T is finite and positive.
    pub fn beta_per_ev(&self) -> Result<f64, KmcError> {
        if !(self.temperature_k.is_finite() && self.temperature_k > 0.0) {
            return Err(KmcError::InvalidParameter {
                name: "temperature_k",
                reason: format!("{} is not a positive temperature", self.temperature_k),
            });
        }
        Ok(1.0 / (halo_core::K_B_EV_PER_K * self.temperature_k))
    }
}

/// The complete, serialisable state of a trajectory (everything but the network and the sum
/// trees, which are pure functions of the state and are rebuilt on resume).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryCheckpoint {
    /// Fingerprint of the supercell network the state belongs to.
    pub network_fingerprint: u64,
    /// Settings.
    pub config: TrajectoryConfig,
    /// Ion on each site, or u32::MAX.
    pub occupant: Vec<u32>,
    /// Site of each ion.
    pub ion_site: Vec<u32>,
    /// Unwrapped displacement of each ion since the start, Å.
    pub disp_ang: Vec<[f64; 3]>,
    /// Occupied blocking neighbours of each site.
    pub block_count: Vec<u16>,
    /// Repulsion field φ_i = Σ_occupied V(r_ij), eV (empty without repulsion).
    pub field_ev: Vec<f64>,
    /// Simulated time, s.
    pub time_s: f64,
    /// Events so far.
    pub events: u64,
    /// The RNG.
    pub rng: Xoshiro256PlusPlus,
    /// Displacements at the start of the current block.
    pub block_start_disp_ang: Vec<[f64; 3]>,
    /// Time at the start of the current block.
    pub block_start_time_s: f64,
    /// Events at the start of the current block.
    pub block_start_events: u64,
    /// Σ|hop|² in the current block.
    pub block_sq_jump_ang2: f64,
    /// Whether a block is being measured.
    pub block_open: bool,
    /// Per-ion displacement over the previous, adjacent block (empty if none), Å.
    pub prev_block_disp_ang: Vec<[f64; 3]>,
    /// Finished blocks.
    pub blocks: Vec<BlockRecord>,
    /// Occupied sites per class (current).
    pub class_count: Vec<u64>,
    /// ∫ class_count dt since the last `reset_occupancy_clock`, s.
    pub class_time: Vec<f64>,
    /// Largest |R_tree − R_rebuilt|/R_rebuilt seen at a full rebuild.
    pub rate_drift_max_rel: f64,
    /// Events at the last rebuild.
    pub last_rebuild_event: u64,
    /// Rate-group selector (no repulsion): the currently allowed directed hops of each group, in
    /// list order (the order decides which hop a random number picks, so it is part of the state).
    /// Empty with repulsion.
    #[serde(default)]
    pub group_lists: Vec<Vec<u32>>,
}

/// Is directed hop `h` possible now: source occupied, target empty and not blocked by any ion
/// other than the mover itself.
#[inline(always)]
fn hop_allowed(net: &SupercellNetwork, occupant: &[u32], block_count: &[u16], h: usize) -> bool {
    let j = net.hop_to[h] as usize;
    occupant[net.hop_from[h] as usize] != EMPTY
        && occupant[j] == EMPTY
        && block_count[j] == net.hop_self_block[h]
}

/// The supercell-specific facts the rate-group selector needs of one directed hop, in one
/// 8-byte record (a site's records are contiguous: one cache line for 8 hops). What depends only
/// on the primitive hop — its group and self-blocking flag and those of its reverse — is in the
/// small [`Groups::prim_words`] table, so re-testing the hops out of and into a site reads that
/// site's records and never its neighbours'. The one mutable field, the list position, lives in
/// the separate [`Groups::pos`].
#[derive(Clone, Copy)]
#[repr(C)]
struct HotHop {
    /// Target site.
    to: u32,
    /// The reverse directed hop.
    rev: u32,
}

/// Bit 31 of a group word: the self-blocking flag (the target's blocking count includes the
/// source); bits 0–30: the rate group.
const SELF_BIT: u32 = 1 << 31;

/// A queued re-test: directed hop, and its group word with bit 31 replaced by the allowed state.
#[derive(Clone, Copy)]
struct Retest {
    hop: u32,
    group_allowed: u32,
}

impl Retest {
    /// Re-test of a hop with group word `group_self` (see [`SELF_BIT`]), allowed or not.
    #[inline(always)]
    fn new(hop: u32, group_self: u32, allowed: bool) -> Retest {
        Retest {
            hop,
            group_allowed: (group_self & !SELF_BIT) | (allowed as u32) << 31,
        }
    }
}

/// What an event reads of a site's static data, in one 16-byte record (the network keeps them
/// in four arrays, four cache misses on a large supercell instead of one).
#[derive(Clone, Copy)]
#[repr(C)]
struct SiteRec {
    /// First directed hop out of the site (the next record's is the end).
    hop_start: u32,
    /// First blocking neighbour in the network's `block_list` (the next record's is the end).
    block_start: u32,
    /// Index of the site's first hop vector in `prim_hop_vec_ang`.
    prim_hop_base: u32,
    /// Site class.
    class: u32,
}

/// Directed hops out of site `i`.
#[inline(always)]
fn hops(site: &[SiteRec], i: usize) -> std::ops::Range<usize> {
    site[i].hop_start as usize..site[i + 1].hop_start as usize
}

/// The constant tables a re-test reads (see [`Groups`]; `block_list` is the network's).
#[derive(Clone, Copy)]
struct Tables<'t> {
    site: &'t [SiteRec],
    block_list: &'t [u32],
    hot: &'t [HotHop],
    prim_words: &'t [[u32; 2]],
}

/// Directed hops out of site `i`, each with the group words of itself and its reverse.
#[inline(always)]
fn hops_with_words<'w>(
    site: &[SiteRec],
    prim_words: &'w [[u32; 2]],
    i: usize,
) -> impl Iterator<Item = (usize, [u32; 2])> + 'w {
    let start = site[i].hop_start as usize;
    let base = site[i].prim_hop_base as usize;
    let len = site[i + 1].hop_start as usize - start;
    prim_words[base..base + len]
        .iter()
        .enumerate()
        .map(move |(l, &w)| (start + l, w))
}

/// Blocking neighbours of site `i`.
#[inline(always)]
fn blockers<'b>(site: &[SiteRec], block_list: &'b [u32], i: usize) -> &'b [u32] {
    &block_list[site[i].block_start as usize..site[i + 1].block_start as usize]
}

/// The rate-group selector (see the module documentation). The lists themselves live in the
/// checkpointed state ([`TrajectoryCheckpoint::group_lists`]).
struct Groups {
    /// r_g = ν0·exp(−E_g/k_BT), s⁻¹.
    rate: Vec<f64>,
    /// Per directed hop: target and reverse.
    hot: Vec<HotHop>,
    /// Per primitive hop (index `prim_hop_base + local hop index`): the group words (group and
    /// self-blocking flag, see [`SELF_BIT`]) of the hop and of its reverse. Every supercell image
    /// of a primitive hop has the same barrier and blocking geometry; [`Groups::new`] checks it.
    prim_words: Vec<[u32; 2]>,
    /// Directed hops per primitive cell, H; hop h lies in cell ⌊h/H⌋ (the supercell numbers
    /// sites and hops cell by cell, [`Groups::new`] checks it).
    hops_per_cell: u32,
    /// Primitive sites per cell.
    n_prim: u32,
    /// Per primitive hop (h mod H): its primitive source site.
    prim_hop_site: Vec<u32>,
    /// Per primitive site s: its first hop within a cell (site c·n_prim + s starts at c·H + that).
    prim_hop_start: Vec<u32>,
    /// Per site (and one closing record): hop and blocker ranges, hop-vector base, class.
    site: Vec<SiteRec>,
    /// Per directed hop: position in its group's list, or [`NOT_LISTED`].
    pos: Vec<u32>,
    /// Sum tree over groups with leaves n_g·r_g.
    tree: SumTree,
    /// Per site: blocking count (bits 0–30) and [`OCCUPIED`] — a copy of the state's
    /// `occupant`/`block_count` packed so that testing a hop reads one word per site.
    state: Vec<u32>,
    /// Hops to re-list during the current event, with their allowed state: a buffer long enough
    /// for any event (4·max z + 2·max blockers·max z), filled from the start.
    queue: Vec<Retest>,
    /// Groups whose count changed during the current event.
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
}

impl Groups {
    fn new(net: &SupercellNetwork, rate: Vec<f64>) -> Result<Groups, KmcError> {
        let k = rate.len();
        let word = |h: usize| {
            net.hop_group[h]
                | if net.hop_self_block[h] != 0 {
                    SELF_BIT
                } else {
                    0
                }
        };
        let hot = (0..net.hop_to.len())
            .map(|h| HotHop {
                to: net.hop_to[h],
                rev: net.hop_rev[h],
            })
            .collect();
        let mut prim_words = vec![[u32::MAX; 2]; net.prim_hop_vec_ang.len()];
        for i in 0..net.n_sites() {
            for h in net.hops_of(i) {
                let p = net.site_prim_hop_base[i] as usize + (h - net.hop_start[i] as usize);
                let w = [word(h), word(net.hop_rev[h] as usize)];
                if prim_words[p] == [u32::MAX; 2] {
                    prim_words[p] = w;
                } else if prim_words[p] != w {
                    return Err(KmcError::Supercell(format!(
                        "hop {h} of site {i} differs in rate group or blocking from its primitive hop {p}"
                    )));
                }
            }
        }
        // the cell-by-cell layout that lets a hop's source be computed instead of looked up
        let n_prim = net.n_prim;
        let hops_per_cell = net.hop_to.len() / net.n_cells().max(1);
        let mut prim_hop_site = Vec::with_capacity(hops_per_cell);
        for s in 0..n_prim.min(net.n_sites()) {
            prim_hop_site.extend(std::iter::repeat_n(s as u32, net.hops_of(s).len()));
        }
        for i in 0..net.n_sites() {
            let (c, s) = (i / n_prim, i % n_prim);
            if net.hop_start[i] as usize != c * hops_per_cell + net.hop_start[s] as usize
                || net.hops_of(i).len() != net.hops_of(s).len()
            {
                return Err(KmcError::Supercell(format!(
                    "site {i}: hops are not laid out cell by cell"
                )));
            }
        }
        let n = net.n_sites();
        let site = (0..=n)
            .map(|i| SiteRec {
                hop_start: net.hop_start[i],
                block_start: net.block_start[i],
                prim_hop_base: if i < n { net.site_prim_hop_base[i] } else { 0 },
                class: if i < n { net.site_class[i] as u32 } else { 0 },
            })
            .collect();
        Ok(Groups {
            rate,
            hot,
            prim_words,
            hops_per_cell: hops_per_cell.max(1) as u32,
            n_prim: n_prim as u32,
            prim_hop_site,
            prim_hop_start: (0..n_prim.min(n)).map(|s| net.hop_start[s]).collect(),
            site,
            pos: vec![NOT_LISTED; net.hop_to.len()],
            tree: SumTree::new(k),
            state: Vec::new(),
            queue: vec![
                Retest {
                    hop: 0,
                    group_allowed: 0
                };
                {
                    let n = net.n_sites();
                    let z = (0..n).map(|i| net.hops_of(i).len()).max().unwrap_or(0);
                    let b = (0..n).map(|i| net.blockers_of(i).len()).max().unwrap_or(0);
                    4 * z + 2 * b * z
                }
            ],
            dirty: Vec::with_capacity(k.min(64)),
            is_dirty: vec![false; k],
        })
    }

    /// The hop that `u1` ∈ [0, 1) selects: the group with probability n_g·r_g/R (sum tree, R > 0),
    /// then member ⌊rem/r_g⌋ of its list, uniform. `None` if that list is empty (only after
    /// round-off on an empty selector). The one statement of the selection rule, used by
    /// [`Trajectory::step`] and by its prefetch of the next event.
    #[inline(always)]
    fn pick(&self, lists: &[Vec<u32>], u1: f64) -> Option<usize> {
        let (grp, rem) = self.tree.select(u1 * self.tree.total());
        let list = &lists[grp];
        let last = list.len().checked_sub(1)?;
        let k = ((rem / self.rate[grp]) as usize).min(last);
        Some(list[k] as usize)
    }

    /// Source site of directed hop `h`, computed from the cell-by-cell layout (one division
    /// and a small table instead of a cache miss on a hop-sized array).
    #[inline(always)]
    fn source(&self, h: usize) -> usize {
        let h = h as u32;
        let (cell, p) = (h / self.hops_per_cell, h % self.hops_per_cell);
        (cell * self.n_prim + self.prim_hop_site[p as usize]) as usize
    }

    /// First directed hop out of site `i`, computed from the cell-by-cell layout (no load of the
    /// site's record, so a prefetch of its hops need not wait for it).
    #[inline(always)]
    fn hop_start_of(&self, i: usize) -> usize {
        let i = i as u32;
        let (cell, s) = (i / self.n_prim, i % self.n_prim);
        (cell * self.hops_per_cell + self.prim_hop_start[s as usize]) as usize
    }

    /// Rebuild the packed site states from the trajectory state.
    fn set_states(&mut self, occupant: &[u32], block_count: &[u16]) {
        self.state = occupant
            .iter()
            .zip(block_count)
            .map(|(&o, &b)| b as u32 | if o != EMPTY { OCCUPIED } else { 0 })
            .collect();
    }

    /// Bring every queued hop's list membership in line with its queued allowed state (the
    /// same hop may be queued twice with the same state; the second is a no-op).
    #[inline(always)]
    fn apply_queue(&mut self, lists: &mut [Vec<u32>], queued: usize) {
        apply_queue(
            &mut self.pos,
            lists,
            &self.queue[..queued],
            &mut self.is_dirty,
            &mut self.dirty,
        );
    }

    /// Update the tree leaves of the groups whose counts changed.
    #[inline]
    fn flush(&mut self, lists: &[Vec<u32>]) {
        for &g in &self.dirty {
            self.is_dirty[g as usize] = false;
        }
        let rate = &self.rate;
        self.tree
            .set_many(&mut self.dirty, |g| lists[g].len() as f64 * rate[g]);
    }
}

/// Is a hop with group word `group_self` (see [`HotHop`]) from a site in state `from_state` to
/// one in state `to_state` allowed: source occupied and target state equal to the hop's
/// self-blocking flag (empty, no blocker but the source).
#[inline(always)]
fn allowed(from_state: u32, to_state: u32, group_self: u32) -> bool {
    (from_state & OCCUPIED != 0) & (to_state == group_self >> 31)
}

/// Queue the re-tests of the hops a move i → j can change (the states are already updated):
/// the hops out of i (none allowed now) and j, and every hop into a site whose occupancy or
/// blocking count changed (the reverses of its outgoing hops), each with its allowed state.
/// A hop k → s out of an empty site k ≠ i is neither allowed now nor was listed before (only i
/// and j changed occupancy), so it is not queued. Slices as arguments, so the compiler knows
/// that writing the queue changes no state or record.
///
/// Returns the number of entries written to `queue`. Conditional entries are written
/// unconditionally and kept by advancing the count by 0 or 1 (no branches).
#[inline(always)]
fn collect_retests(
    tables: Tables,
    state: &[u32],
    i: usize,
    j: usize,
    queue: &mut [Retest],
) -> usize {
    let Tables {
        site,
        block_list,
        hot,
        prim_words,
    } = tables;
    let mut n = 0;
    let si = state[i];
    for (h, [w, rw]) in hops_with_words(site, prim_words, i) {
        let hh = hot[h];
        queue[n] = Retest::new(h as u32, w, false);
        let k = state[hh.to as usize];
        queue[n + 1] = Retest::new(hh.rev, rw, allowed(k, si, rw));
        n += 1 + (k & OCCUPIED != 0) as usize;
    }
    let sj = state[j];
    for (h, [w, rw]) in hops_with_words(site, prim_words, j) {
        let hh = hot[h];
        let k = state[hh.to as usize];
        queue[n] = Retest::new(h as u32, w, allowed(sj, k, w));
        queue[n + 1] = Retest::new(hh.rev, rw, false);
        n += 1 + (k & OCCUPIED != 0) as usize;
    }
    // a hop into s needs state[s] = its self-blocking flag (0 or 1): only counts that are or
    // were ≤ 1 can change a hop (B(i) lost one: new ≤ 1; B(j) gained one: new ≤ 2)
    for (list, limit) in [
        (blockers(site, block_list, i), 1),
        (blockers(site, block_list, j), 2),
    ] {
        for &s in list {
            let ss = state[s as usize];
            // i and j (blockers of each other when their hop is self-blocking) were re-tested
            // above with the same states
            if ss & !OCCUPIED > limit || s as usize == i || s as usize == j {
                continue;
            }
            for (h, [_, rw]) in hops_with_words(site, prim_words, s as usize) {
                let hh = hot[h];
                let k = state[hh.to as usize];
                queue[n] = Retest::new(hh.rev, rw, allowed(k, ss, rw));
                n += (k & OCCUPIED != 0) as usize;
            }
        }
    }
    n
}

/// List or unlist every queued hop (see [`Groups::apply_queue`]); the groups whose counts
/// changed are appended to `dirty` once each.
#[inline(always)]
fn apply_queue(
    pos: &mut [u32],
    lists: &mut [Vec<u32>],
    queue: &[Retest],
    is_dirty: &mut [bool],
    dirty: &mut Vec<u32>,
) {
    for r in queue {
        let h = r.hop as usize;
        let allowed = r.group_allowed & SELF_BIT != 0;
        let p = pos[h];
        if allowed == (p != NOT_LISTED) {
            continue;
        }
        let g = (r.group_allowed & !SELF_BIT) as usize;
        let list = &mut lists[g];
        if allowed {
            pos[h] = list.len() as u32;
            list.push(h as u32);
        } else {
            let last = list.pop().expect("a listed hop's list is not empty");
            if last as usize != h {
                list[p as usize] = last;
                pos[last as usize] = p;
            }
            pos[h] = NOT_LISTED;
        }
        if !is_dirty[g] {
            is_dirty[g] = true;
            dirty.push(g as u32);
        }
    }
}

/// How events are selected (see the module documentation).
enum Selector {
    Groups(Box<Groups>),
    /// Leaves = per-site total rates; `pending` holds the new rates of the sites touched by
    /// the current event until they are written in one batch.
    Sites {
        tree: SumTree,
        pending: Vec<f64>,
    },
}

/// A running trajectory on a [`SupercellNetwork`].
pub struct Trajectory<'a> {
    net: &'a SupercellNetwork,
    st: TrajectoryCheckpoint,
    sel: Selector,
    /// Per-hop rate without repulsion, s⁻¹ (ν0·exp(−(S − E_i)/k_BT)).
    hop_rate: Vec<f64>,
    beta: f64,
    stamp: Vec<u32>,
    epoch: u32,
    touched: Vec<u32>,
}

impl<'a> Trajectory<'a> {
    /// Start with `n_ions` placed by random sequential addition in a Boltzmann-weighted random
    /// order: site i gets the key ln(−ln u_i) + (E_i − E_min)/k_BT (u_i uniform from the stream
    /// RNG) and sites are tried by increasing key — weighted sampling without replacement with
    /// weights exp(−E_i/k_BT) (Efraimidis & Spirakis, Inf. Process. Lett. 97, 181 (2006)); a
    /// site is taken when it is empty and no occupied site lies within the blocking distance.
    /// Equal site energies give a uniformly random order. The weighting keeps ions off
    /// high-energy sites that a uniform start would fill and that they could not leave within the
    /// simulated time (a spinel 8a site 2 eV up behind a 1.5 eV barrier holds an ion for ~1 s at
    /// 300 K, 10⁶ times the run). Call [`Trajectory::run_events`] to equilibrate before measuring.
    pub fn new(
        net: &'a SupercellNetwork,
        config: TrajectoryConfig,
        n_ions: usize,
        mut rng: Xoshiro256PlusPlus,
    ) -> Result<Trajectory<'a>, KmcError> {
        let n = net.n_sites();
        if n_ions == 0 || n_ions > n {
            return Err(KmcError::InvalidParameter {
                name: "mobile_ions",
                reason: format!("{n_ions} ions on {n} sites"),
            });
        }
        let kt = 1.0 / config.beta_per_ev()?;
        let e_min = net
            .site_energy_ev
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let keys: Vec<f64> = net
            .site_energy_ev
            .iter()
            .map(|&e| {
                let u: f64 = rng.random();
                (-(1.0 - u).ln()).ln() + (e - e_min) / kt
            })
            .collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        // stable: equal keys keep index order (portable and deterministic)
        order.sort_by(|&a, &b| keys[a as usize].total_cmp(&keys[b as usize]));
        let mut occupant = vec![EMPTY; n];
        let mut block_count = vec![0u16; n];
        let mut ion_site = Vec::with_capacity(n_ions);
        for &s in &order {
            if ion_site.len() == n_ions {
                break;
            }
            let s = s as usize;
            if occupant[s] == EMPTY && block_count[s] == 0 {
                occupant[s] = ion_site.len() as u32;
                ion_site.push(s as u32);
                for &b in net.blockers_of(s) {
                    block_count[b as usize] += 1;
                }
            }
        }
        if ion_site.len() < n_ions {
            return Err(KmcError::Placement {
                ions: n_ions,
                sites: n,
                blocking_distance_ang: net.blocking_distance_ang,
                placed: ion_site.len(),
            });
        }
        let mut class_count = vec![0u64; net.class_names.len()];
        for &s in &ion_site {
            class_count[net.site_class[s as usize] as usize] += 1;
        }
        let st = TrajectoryCheckpoint {
            network_fingerprint: net.fingerprint(),
            config,
            occupant,
            ion_site,
            disp_ang: vec![[0.0; 3]; n_ions],
            block_count,
            field_ev: Vec::new(),
            time_s: 0.0,
            events: 0,
            rng,
            block_start_disp_ang: vec![[0.0; 3]; n_ions],
            block_start_time_s: 0.0,
            block_start_events: 0,
            block_sq_jump_ang2: 0.0,
            block_open: false,
            prev_block_disp_ang: Vec::new(),
            blocks: Vec::new(),
            class_time: vec![0.0; class_count.len()],
            class_count,
            rate_drift_max_rel: 0.0,
            last_rebuild_event: 0,
            group_lists: Vec::new(),
        };
        let mut t = Self::from_state(net, st)?;
        if let Selector::Groups(g) = &mut t.sel {
            // initial lists in ascending hop order
            let mut lists = vec![Vec::new(); net.group_barrier_ev.len()];
            for h in 0..net.hop_to.len() {
                if hop_allowed(net, &t.st.occupant, &t.st.block_count, h) {
                    let grp = net.hop_group[h] as usize;
                    g.pos[h] = lists[grp].len() as u32;
                    lists[grp].push(h as u32);
                }
            }
            t.st.group_lists = lists;
        }
        t.recompute_field();
        t.full_rebuild();
        Ok(t)
    }

    fn from_state(
        net: &'a SupercellNetwork,
        st: TrajectoryCheckpoint,
    ) -> Result<Trajectory<'a>, KmcError> {
        let c = &st.config;
        let beta = c.beta_per_ev()?;
        let hop_rate = net
            .hop_barrier_ev
            .iter()
            .map(|b| c.attempt_frequency_hz * (-b * beta).exp())
            .collect();
        let n = net.n_sites();
        let sel = if net.repulsion.is_some() {
            Selector::Sites {
                tree: SumTree::new(n),
                pending: vec![0.0; n],
            }
        } else {
            let rate = net
                .group_barrier_ev
                .iter()
                .map(|b| c.attempt_frequency_hz * (-b * beta).exp())
                .collect();
            let mut g = Groups::new(net, rate)?;
            g.set_states(&st.occupant, &st.block_count);
            Selector::Groups(Box::new(g))
        };
        Ok(Trajectory {
            net,
            sel,
            hop_rate,
            beta,
            stamp: vec![0; n],
            epoch: 0,
            touched: Vec::with_capacity(64),
            st,
        })
    }

    /// Continue from a checkpoint taken on the same network; the continuation is bit-identical
    /// to an uninterrupted run.
    pub fn resume(
        net: &'a SupercellNetwork,
        checkpoint: TrajectoryCheckpoint,
    ) -> Result<Trajectory<'a>, KmcError> {
        if checkpoint.network_fingerprint != net.fingerprint() {
            return Err(KmcError::Checkpoint(
                "the checkpoint was taken on a different network or supercell".into(),
            ));
        }
        let n = net.n_sites();
        let ni = checkpoint.ion_site.len();
        if checkpoint.occupant.len() != n
            || !(checkpoint.prev_block_disp_ang.is_empty()
                || checkpoint.prev_block_disp_ang.len() == ni)
            || checkpoint.block_count.len() != n
            || checkpoint.disp_ang.len() != ni
            || checkpoint.block_start_disp_ang.len() != ni
            || (net.repulsion.is_some() && checkpoint.field_ev.len() != n)
            || checkpoint.class_count.len() != net.class_names.len()
        {
            return Err(KmcError::Checkpoint("array sizes do not match".into()));
        }
        for (ion, &s) in checkpoint.ion_site.iter().enumerate() {
            if (s as usize) >= n || checkpoint.occupant[s as usize] != ion as u32 {
                return Err(KmcError::Checkpoint(format!(
                    "ion {ion} and site {s} disagree"
                )));
            }
        }
        let mut t = Self::from_state(net, checkpoint)?;
        if let Selector::Groups(g) = &mut t.sel {
            let lists = &t.st.group_lists;
            let bad = |why: String| Err(KmcError::Checkpoint(why));
            if lists.len() != net.group_barrier_ev.len() {
                return bad(format!(
                    "{} rate groups in the checkpoint, {} in the network",
                    lists.len(),
                    net.group_barrier_ev.len()
                ));
            }
            let mut listed = 0usize;
            for (grp, list) in lists.iter().enumerate() {
                for (k, &h) in list.iter().enumerate() {
                    let h = h as usize;
                    if h >= net.hop_to.len()
                        || net.hop_group[h] as usize != grp
                        || g.pos[h] != NOT_LISTED
                        || !hop_allowed(net, &t.st.occupant, &t.st.block_count, h)
                    {
                        return bad(format!("rate group {grp}: entry {k} (hop {h}) is invalid"));
                    }
                    g.pos[h] = k as u32;
                    listed += 1;
                }
            }
            let allowed = (0..net.hop_to.len())
                .filter(|&h| hop_allowed(net, &t.st.occupant, &t.st.block_count, h))
                .count();
            if listed != allowed {
                return bad(format!(
                    "{listed} hops listed but {allowed} are allowed in this configuration"
                ));
            }
        } else if !t.st.group_lists.is_empty() {
            return Err(KmcError::Checkpoint(
                "rate-group lists in a checkpoint of a network with repulsion".into(),
            ));
        }
        t.rebuild_leaves();
        Ok(t)
    }

    /// The serialisable state.
    pub fn checkpoint(&self) -> TrajectoryCheckpoint {
        self.st.clone()
    }

    /// Read-only view of the state.
    pub fn state(&self) -> &TrajectoryCheckpoint {
        &self.st
    }

    /// Current total rate R = Σ_i leaf_i, s⁻¹.
    pub fn total_rate(&self) -> f64 {
        match &self.sel {
            Selector::Groups(g) => g.tree.total(),
            Selector::Sites { tree, .. } => tree.total(),
        }
    }

    /// Number of mobile ions.
    pub fn n_ions(&self) -> usize {
        self.st.ion_site.len()
    }

    fn recompute_field(&mut self) {
        if self.net.repulsion.is_none() {
            return;
        }
        let n = self.net.n_sites();
        let mut field = vec![0.0; n];
        for (i, f) in field.iter_mut().enumerate() {
            let (nb, v) = self.net.interactions_of(i);
            for (k, &j) in nb.iter().enumerate() {
                if self.st.occupant[j as usize] != EMPTY {
                    *f += v[k];
                }
            }
        }
        self.st.field_ev = field;
    }

    /// Rate of hop `h` out of site `i` in the current configuration (0 unless [`hop_allowed`]).
    #[inline]
    fn rate_of(&self, i: usize, h: usize) -> f64 {
        if !hop_allowed(self.net, &self.st.occupant, &self.st.block_count, h) {
            return 0.0;
        }
        let j = self.net.hop_to[h] as usize;
        if self.net.repulsion.is_none() {
            self.hop_rate[h]
        } else {
            // ν0·exp(−[E_KRA + ΔE/2]/k_BT) with E_KRA = S − (E_i + E_j)/2 and
            // ΔE = E_j − E_i + (φ_j − V_ij) − φ_i  ⇒  exponent = (S − E_i) + ½(φ_j − V_ij − φ_i)
            let f = &self.st.field_ev;
            let de = 0.5 * (f[j] - self.net.hop_pair_ev[h] - f[i]);
            self.st.config.attempt_frequency_hz
                * (-(self.net.hop_barrier_ev[h] + de) * self.beta).exp()
        }
    }

    #[inline]
    fn leaf_rate(&self, i: usize) -> f64 {
        if self.st.occupant[i] == EMPTY {
            return 0.0;
        }
        let mut r = 0.0;
        for h in self.net.hops_of(i) {
            r += self.rate_of(i, h);
        }
        r
    }

    /// Rebuild the selector's tree from the state (bit-identical to the running tree: every
    /// node is a pure function of its leaves, and the leaves of the state).
    fn rebuild_leaves(&mut self) {
        let leaves: Vec<f64> = match &self.sel {
            Selector::Groups(g) => {
                let lists = &self.st.group_lists;
                (0..lists.len())
                    .map(|k| lists[k].len() as f64 * g.rate[k])
                    .collect()
            }
            Selector::Sites { .. } => (0..self.net.n_sites()).map(|i| self.leaf_rate(i)).collect(),
        };
        match &mut self.sel {
            Selector::Groups(g) => g.tree.rebuild(leaves.into_iter()),
            Selector::Sites { tree, .. } => tree.rebuild(leaves.into_iter()),
        }
    }

    /// Recompute the repulsion field and the selector from scratch and record the relative
    /// difference between the running total rate and one summed afresh over every site's
    /// allowed hops (the drift diagnostic; with rate groups any difference is round-off of the
    /// two summation orders, with the site tree it also catches missed leaf updates).
    pub fn full_rebuild(&mut self) {
        let before = self.total_rate();
        self.recompute_field();
        self.rebuild_leaves();
        let after = match self.sel {
            Selector::Groups(_) => self.fresh_total_rate(),
            Selector::Sites { .. } => self.total_rate(),
        };
        if self.st.events > 0 && after > 0.0 {
            let rel = ((before - after) / after).abs();
            if rel > self.st.rate_drift_max_rel {
                self.st.rate_drift_max_rel = rel;
            }
        }
        self.st.last_rebuild_event = self.st.events;
    }

    #[inline]
    fn touch(&mut self, i: u32) {
        if self.stamp[i as usize] != self.epoch {
            self.stamp[i as usize] = self.epoch;
            self.touched.push(i);
        }
    }

    #[inline]
    fn touch_with_hop_neighbours(&mut self, i: u32) {
        self.touch(i);
        let net = self.net;
        for h in net.hops_of(i as usize) {
            let j = net.hop_to[h];
            if self.st.occupant[j as usize] != EMPTY {
                self.touch(j);
            }
        }
    }

    /// The trajectory state's part of a hop i → j along `chosen` taking `dt`: clocks, occupants,
    /// displacement, class counts, blocking counts and the repulsion field.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn record_hop(
        &mut self,
        i: usize,
        j: usize,
        v: [f64; 3],
        class_ij: [usize; 2],
        bi: &[u32],
        bj: &[u32],
        dt: f64,
    ) {
        let net = self.net;
        // time-weighted class occupancies
        for (c, n) in self.st.class_time.iter_mut().zip(&self.st.class_count) {
            *c += *n as f64 * dt;
        }
        self.st.time_s += dt;
        self.st.events += 1;

        let ion = self.st.occupant[i];
        self.st.occupant[i] = EMPTY;
        self.st.occupant[j] = ion;
        self.st.ion_site[ion as usize] = j as u32;
        let d = &mut self.st.disp_ang[ion as usize];
        d[0] += v[0];
        d[1] += v[1];
        d[2] += v[2];
        self.st.block_sq_jump_ang2 += v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        self.st.class_count[class_ij[0]] -= 1;
        self.st.class_count[class_ij[1]] += 1;

        // state changes of neighbours
        for &b in bi {
            self.st.block_count[b as usize] -= 1;
        }
        for &b in bj {
            self.st.block_count[b as usize] += 1;
        }
        if net.repulsion.is_some() {
            let (nb, ve) = net.interactions_of(i);
            for (k, &s) in nb.iter().enumerate() {
                self.st.field_ev[s as usize] -= ve[k];
            }
            let (nb, ve) = net.interactions_of(j);
            for (k, &s) in nb.iter().enumerate() {
                self.st.field_ev[s as usize] += ve[k];
            }
        }
    }

    /// Move the ion on site `i` along directed hop `h`, advancing the clock by `dt`, and update
    /// blocking counts, the repulsion field and the affected leaves. With rate groups the
    /// selector is updated first and the next event's data are prefetched before the
    /// bookkeeping (occupants, displacements, clocks), so that the bookkeeping's cache misses
    /// overlap with the next event's.
    fn apply_hop(&mut self, i: usize, chosen: usize, dt: f64) {
        let net = self.net;
        if let Selector::Groups(g) = &mut self.sel {
            // the records of site i's hops are read below anyway
            let j = g.hot[chosen].to as usize;
            // start loading what is read of j: its records and hops (start computed, so the
            // loads go out together), and its state
            prefetch(&g.site, j);
            prefetch(&g.site, j + 1);
            prefetch(&g.hot, g.hop_start_of(j));
            prefetch(&g.state, j);
            let ri = g.site[i];
            for h in hops(&g.site, i) {
                let hh = g.hot[h];
                prefetch(&g.state, hh.to as usize);
                prefetch(&g.pos, hh.rev as usize);
            }
            let rj = g.site[j];
            let v =
                net.prim_hop_vec_ang[ri.prim_hop_base as usize + chosen - ri.hop_start as usize];
            let (bi, bj) = (
                blockers(&g.site, &net.block_list, i),
                blockers(&g.site, &net.block_list, j),
            );
            // re-test the hops out of i and j (their sources changed) and every hop into a site
            // whose occupancy or blocking count changed (the reverses of its outgoing hops)
            let lists = &mut self.st.group_lists;
            g.state[i] &= !OCCUPIED;
            g.state[j] |= OCCUPIED;
            for &b in bi {
                g.state[b as usize] -= 1;
            }
            for &b in bj {
                g.state[b as usize] += 1;
            }
            // start the loads of j's neighbours' states and reverse records early
            for h in hops(&g.site, j) {
                let hh = g.hot[h];
                prefetch(&g.state, hh.to as usize);
                prefetch(&g.pos, hh.rev as usize);
            }
            for &s in bi.iter().chain(bj) {
                prefetch(&g.hot, g.site[s as usize].hop_start as usize);
            }
            let tables = Tables {
                site: &g.site,
                block_list: &net.block_list,
                hot: &g.hot,
                prim_words: &g.prim_words,
            };
            let queued = collect_retests(tables, &g.state, i, j, &mut g.queue);
            g.apply_queue(lists, queued);
            g.flush(lists);
            self.prefetch_next();
            let classes = [ri.class as usize, rj.class as usize];
            self.record_hop(i, j, v, classes, bi, bj, dt);
            return;
        }
        let j = net.hop_to[chosen] as usize;
        let classes = [net.site_class[i] as usize, net.site_class[j] as usize];
        self.record_hop(
            i,
            j,
            net.hop_vector_ang(i, chosen),
            classes,
            net.blockers_of(i),
            net.blockers_of(j),
            dt,
        );

        // leaves to recompute: i, j and every occupied site with a hop into a site whose
        // occupancy, blocking count or field changed (plus, with repulsion, those sites).
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = u32::MAX);
            self.epoch = 1;
        }
        self.touched.clear();
        self.touch_with_hop_neighbours(i as u32);
        self.touch_with_hop_neighbours(j as u32);
        for &b in net.blockers_of(i) {
            self.touch_with_hop_neighbours(b);
        }
        for &b in net.blockers_of(j) {
            self.touch_with_hop_neighbours(b);
        }
        if net.repulsion.is_some() {
            let (nb, _) = net.interactions_of(i);
            for &s in nb {
                self.touch_with_hop_neighbours(s);
            }
            let (nb, _) = net.interactions_of(j);
            for &s in nb {
                self.touch_with_hop_neighbours(s);
            }
        }
        for k in 0..self.touched.len() {
            let s = self.touched[k] as usize;
            let r = self.leaf_rate(s);
            if let Selector::Sites { pending, .. } = &mut self.sel {
                pending[s] = r;
            }
        }
        if let Selector::Sites { tree, pending } = &mut self.sel {
            tree.set_many(&mut self.touched, |s| pending[s]);
        }
    }

    /// One BKL event. Errors with [`KmcError::Jammed`] when no hop is possible.
    #[inline]
    pub fn step(&mut self) -> Result<(), KmcError> {
        let net = self.net;
        let total = self.total_rate();
        if total.is_nan() || total <= 0.0 {
            return Err(KmcError::Jammed);
        }
        let u1: f64 = self.st.rng.random();
        let u2: f64 = self.st.rng.random();
        let (i, chosen) = match &self.sel {
            Selector::Groups(g) => {
                let h = g.pick(&self.st.group_lists, u1).ok_or(KmcError::Jammed)?;
                // the chosen hop's record is in site i's records, read next
                prefetch(&g.hot, h);
                (g.source(h), h)
            }
            Selector::Sites { tree: t, .. } => {
                let (i, mut rem) = t.select(u1 * total);
                // choose the hop within site i
                let mut chosen = usize::MAX;
                for h in net.hops_of(i) {
                    let r = self.rate_of(i, h);
                    if r > 0.0 {
                        chosen = h;
                        if rem < r {
                            break;
                        }
                        rem -= r;
                    }
                }
                if chosen == usize::MAX {
                    return Err(KmcError::Jammed);
                }
                (i, chosen)
            }
        };
        let dt = -(1.0 - u2).ln() / total;
        self.apply_hop(i, chosen, dt);
        if self.st.events - self.st.last_rebuild_event >= self.st.config.rebuild_interval_events {
            self.full_rebuild();
        }
        Ok(())
    }

    /// Start loading what the next event will read: its hop is found with a copy of the RNG
    /// (the state is not touched, so the next [`Trajectory::step`] draws the same numbers and
    /// finds the same hop), and the hop's record, its source's site record and occupant are
    /// prefetched, so that their cache misses overlap with the bookkeeping of this event. The
    /// hop found is not kept for the next step (which selects it again, cheaply, from cached
    /// data): a kept choice would be state outside the checkpoint.
    #[inline(always)]
    fn prefetch_next(&self) {
        let Selector::Groups(g) = &self.sel else {
            return;
        };
        let total = g.tree.total();
        if total.is_nan() || total <= 0.0 {
            return;
        }
        let u1: f64 = self.st.rng.clone().random();
        let Some(h) = g.pick(&self.st.group_lists, u1) else {
            return;
        };
        let i = g.source(h);
        prefetch(&g.hot, h);
        prefetch(&g.site, i);
        prefetch(&self.st.occupant, i);
    }

    /// Allowed hops out of site `i` in the current configuration: (target site, rate s⁻¹,
    /// hop index). Empty when `i` is empty.
    pub fn allowed_hops(&self, i: usize) -> Vec<(usize, f64, usize)> {
        if self.st.occupant[i] == EMPTY {
            return Vec::new();
        }
        self.net
            .hops_of(i)
            .filter_map(|h| {
                let r = self.rate_of(i, h);
                (r > 0.0).then(|| (self.net.hop_to[h] as usize, r, h))
            })
            .collect()
    }

    /// Perform hop `h` out of occupied site `i` regardless of the RNG (for detailed-balance
    /// tests and scripted moves); the clock does not advance. Errors if the hop is not allowed.
    pub fn force_hop(&mut self, i: usize, h: usize) -> Result<(), KmcError> {
        if i >= self.net.n_sites() || !self.net.hops_of(i).contains(&h) || self.rate_of(i, h) <= 0.0
        {
            return Err(KmcError::InvalidParameter {
                name: "hop",
                reason: format!("hop {h} out of site {i} is not allowed now"),
            });
        }
        self.apply_hop(i, h, 0.0);
        Ok(())
    }

    /// Run `n` events.
    pub fn run_events(&mut self, n: u64) -> Result<(), KmcError> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }

    /// Start a new block here, discarding any partial one; the next block has no adjacent
    /// predecessor (its cross terms are 0).
    pub fn begin_block(&mut self) {
        self.restart_block();
        self.st.prev_block_disp_ang.clear();
    }

    fn restart_block(&mut self) {
        self.st.block_start_disp_ang.clone_from(&self.st.disp_ang);
        self.st.block_start_time_s = self.st.time_s;
        self.st.block_start_events = self.st.events;
        self.st.block_sq_jump_ang2 = 0.0;
        self.st.block_open = true;
    }

    /// Close the current block, record it and open the next one (adjacent to it).
    pub fn end_block(&mut self) -> BlockRecord {
        let n = self.st.disp_ang.len();
        let mut cur = Vec::with_capacity(n);
        let mut sum_sq = 0.0;
        let mut tot = [0.0f64; 3];
        for (d, d0) in self.st.disp_ang.iter().zip(&self.st.block_start_disp_ang) {
            let dx = [d[0] - d0[0], d[1] - d0[1], d[2] - d0[2]];
            sum_sq += dx[0] * dx[0] + dx[1] * dx[1] + dx[2] * dx[2];
            for k in 0..3 {
                tot[k] += dx[k];
            }
            cur.push(dx);
        }
        let (mut cross, mut cross_tot) = (0.0, 0.0);
        if self.st.prev_block_disp_ang.len() == n {
            let mut ptot = [0.0f64; 3];
            for (c, p) in cur.iter().zip(&self.st.prev_block_disp_ang) {
                cross += c[0] * p[0] + c[1] * p[1] + c[2] * p[2];
                for k in 0..3 {
                    ptot[k] += p[k];
                }
            }
            cross_tot = tot[0] * ptot[0] + tot[1] * ptot[1] + tot[2] * ptot[2];
        }
        let rec = BlockRecord {
            time_s: self.st.time_s - self.st.block_start_time_s,
            events: self.st.events - self.st.block_start_events,
            sum_sq_disp_ang2: sum_sq,
            sq_total_disp_ang2: tot[0] * tot[0] + tot[1] * tot[1] + tot[2] * tot[2],
            total_disp_ang: tot,
            sum_sq_jump_ang2: self.st.block_sq_jump_ang2,
            cross_prev_ang2: cross,
            cross_total_prev_ang2: cross_tot,
        };
        self.st.blocks.push(rec);
        self.st.prev_block_disp_ang = cur;
        self.restart_block();
        rec
    }

    /// Run one block of `events` events and record it (opening a block first if none is open).
    pub fn run_block(&mut self, events: u64) -> Result<BlockRecord, KmcError> {
        if !self.st.block_open {
            self.begin_block();
        }
        self.run_events(events)?;
        Ok(self.end_block())
    }

    /// Zero the time-weighted class occupancy integrals (call after equilibration).
    pub fn reset_occupancy_clock(&mut self) {
        self.st.class_time.iter_mut().for_each(|x| *x = 0.0);
    }

    /// The tree total recomputed from scratch, for diagnostics (does not modify the state).
    pub fn fresh_total_rate(&self) -> f64 {
        (0..self.net.n_sites()).map(|i| self.leaf_rate(i)).sum()
    }

    /// Sites currently occupied (ascending).
    pub fn occupied_sites(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.st.ion_site.iter().map(|&s| s as usize).collect();
        v.sort_unstable();
        v
    }

    /// Unwrapped displacement of each ion since the start, Å.
    pub fn displacements_ang(&self) -> &[[f64; 3]] {
        &self.st.disp_ang
    }

    /// Simulated time, s.
    pub fn time_s(&self) -> f64 {
        self.st.time_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::ideal;
    use crate::supercell::PairRepulsion;

    fn cfg(t: f64) -> TrajectoryConfig {
        TrajectoryConfig {
            temperature_k: t,
            attempt_frequency_hz: 1e13,
            rebuild_interval_events: 1000,
        }
    }

    #[test]
    fn blocking_is_never_violated_and_tree_stays_exact() {
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        let rep = PairRepulsion {
            prefactor_ev_ang: 14.4 / 10.0,
            screening_length_ang: 3.0,
            cutoff_ang: 5.0,
        };
        for repulsion in [None, Some(rep)] {
            let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, repulsion).unwrap();
            let mut t = Trajectory::new(&sc, cfg(500.0), 40, stream_rng(1, 500.0, 0)).unwrap();
            for _ in 0..200 {
                t.run_events(50).unwrap();
                let occ = t.occupied_sites();
                for &s in &occ {
                    for &b in sc.blockers_of(s) {
                        assert!(
                            occ.binary_search(&(b as usize)).is_err(),
                            "blocked pair occupied"
                        );
                    }
                }
                let fresh = t.fresh_total_rate();
                assert!(((t.total_rate() - fresh) / fresh).abs() < 1e-12);
            }
            assert!(t.state().rate_drift_max_rel < 1e-12);
        }
    }

    #[test]
    fn hop_sources_and_group_words_follow_the_primitive_layout() {
        // several primitive sites with different hop counts, blocking on, two supercells
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        for scale in [[2, 2, 2], [2, 3, 1]] {
            let sc = SupercellNetwork::build(&net, scale, 2.5, None).unwrap();
            let t = Trajectory::new(&sc, cfg(400.0), 20, stream_rng(1, 400.0, 0)).unwrap();
            let Selector::Groups(g) = &t.sel else {
                panic!("no repulsion: rate groups")
            };
            for i in 0..sc.n_sites() {
                assert_eq!(g.hop_start_of(i), sc.hop_start[i] as usize, "site {i}");
                for (h, [w, rw]) in hops_with_words(&g.site, &g.prim_words, i) {
                    assert!(sc.hops_of(i).contains(&h));
                    assert_eq!(g.source(h), i, "hop {h}");
                    assert_eq!(sc.hop_from[h] as usize, i);
                    let r = sc.hop_rev[h] as usize;
                    assert_eq!(w & !SELF_BIT, sc.hop_group[h]);
                    assert_eq!(w >> 31, sc.hop_self_block[h] as u32);
                    assert_eq!(rw & !SELF_BIT, sc.hop_group[r]);
                    assert_eq!(rw >> 31, sc.hop_self_block[r] as u32);
                }
            }
        }
    }

    #[test]
    fn checkpoint_resume_is_bit_identical() {
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        let rep = PairRepulsion {
            prefactor_ev_ang: 1.44,
            screening_length_ang: 3.0,
            cutoff_ang: 5.0,
        };
        // both selectors: rate groups (no repulsion) and the per-site tree (repulsion)
        for repulsion in [None, Some(rep)] {
            let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, repulsion).unwrap();
            let mut a = Trajectory::new(&sc, cfg(400.0), 30, stream_rng(7, 400.0, 1)).unwrap();
            a.run_block(3000).unwrap();
            a.begin_block();
            a.run_events(1234).unwrap();
            let json = serde_json::to_string(&a.checkpoint()).unwrap();
            a.run_events(2345).unwrap();
            a.end_block();
            let ck: TrajectoryCheckpoint = serde_json::from_str(&json).unwrap();
            assert_eq!(ck.group_lists.is_empty(), repulsion.is_some());
            let mut b = Trajectory::resume(&sc, ck).unwrap();
            b.run_events(2345).unwrap();
            b.end_block();
            assert_eq!(a.checkpoint(), b.checkpoint());
            assert_eq!(a.time_s().to_bits(), b.time_s().to_bits());
            // a checkpoint from another network is refused
            let other = SupercellNetwork::build(&net, [2, 2, 3], 2.5, repulsion).unwrap();
            assert!(matches!(
                Trajectory::resume(&other, a.checkpoint()),
                Err(KmcError::Checkpoint(_))
            ));
        }
    }

    #[test]
    fn a_network_without_possible_hops_is_jammed_not_a_panic() {
        // no hops at all, and a full lattice (every hop blocked by occupancy)
        let mut none = ideal::simple_cubic(2.5, 0.3);
        none.hops.clear();
        let sc = SupercellNetwork::build(&none, [2, 2, 2], 0.0, None).unwrap();
        let mut t = Trajectory::new(&sc, cfg(300.0), 3, stream_rng(1, 300.0, 0)).unwrap();
        assert!(matches!(t.step(), Err(KmcError::Jammed)));
        let full = ideal::simple_cubic(2.5, 0.3);
        let sc = SupercellNetwork::build(&full, [3, 3, 3], 0.0, None).unwrap();
        let mut t = Trajectory::new(&sc, cfg(300.0), 27, stream_rng(1, 300.0, 0)).unwrap();
        assert_eq!(t.total_rate(), 0.0);
        assert!(matches!(t.step(), Err(KmcError::Jammed)));
    }

    #[test]
    fn ions_start_on_low_energy_sites() {
        // 16c sites 2 eV above 8a behind a 2.5 eV saddle: a uniform start would trap ions on
        // them for the whole run; the Boltzmann-weighted start fills the 8 8a sites per cell
        // first. 64 ions on 8 cells × 8 8a sites: all on 8a.
        let net = ideal::spinel_8a_16c(10.42, 0.0, 2.0, 2.5);
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 0.0, None).unwrap();
        for replica in 0..5 {
            let t = Trajectory::new(&sc, cfg(300.0), 64, stream_rng(4, 300.0, replica)).unwrap();
            let on_16c = t
                .occupied_sites()
                .into_iter()
                .filter(|&s| sc.class_names[sc.site_class[s] as usize] == "16c")
                .count();
            assert_eq!(on_16c, 0, "replica {replica}");
        }
        // at a temperature where 2 eV is nothing, the start spreads over both (about 1/3 on 8a)
        let t = Trajectory::new(&sc, cfg(1e6), 64, stream_rng(4, 1e6, 0)).unwrap();
        let on_8a = t
            .occupied_sites()
            .into_iter()
            .filter(|&s| sc.class_names[sc.site_class[s] as usize] == "8a")
            .count();
        assert!((10..=35).contains(&on_8a), "{on_8a} of 64 on 8a");
    }

    #[test]
    fn inconsistent_group_lists_are_refused_on_resume() {
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, None).unwrap();
        let mut t = Trajectory::new(&sc, cfg(400.0), 30, stream_rng(7, 400.0, 1)).unwrap();
        t.run_events(500).unwrap();
        let good = t.checkpoint();
        let g = good.group_lists.iter().position(|l| l.len() >= 2).unwrap();
        let mut corrupt: Vec<TrajectoryCheckpoint> = Vec::new();
        let mut c = good.clone();
        c.group_lists[g].pop(); // an allowed hop missing
        corrupt.push(c);
        let mut c = good.clone();
        let first = c.group_lists[g][0];
        c.group_lists[g].push(first); // listed twice
        corrupt.push(c);
        let mut c = good.clone();
        c.group_lists.push(Vec::new()); // group count differs
        corrupt.push(c);
        let mut c = good.clone();
        c.group_lists[g][0] = u32::MAX - 1; // no such hop
        corrupt.push(c);
        for c in corrupt {
            assert!(matches!(
                Trajectory::resume(&sc, c),
                Err(KmcError::Checkpoint(_))
            ));
        }
        assert!(Trajectory::resume(&sc, good).is_ok());
    }

    #[test]
    fn rate_groups_and_site_tree_choose_with_the_same_probabilities() {
        // Without repulsion both selectors are exact; a vanishing repulsion forces the site tree.
        // From one configuration, the distribution of the first hop must agree (χ² over the
        // possible hops) and both equal the rates' proportions.
        let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        for (k, h) in net.hops.iter_mut().enumerate() {
            h.saddle_energy_ev = 0.25 + 0.02 * (k % 4) as f64;
        }
        let tiny = PairRepulsion {
            prefactor_ev_ang: 1e-300,
            screening_length_ang: 1.0,
            cutoff_ang: 3.0,
        };
        let sc_g = SupercellNetwork::build(&net, [1, 1, 1], 2.5, None).unwrap();
        let sc_s = SupercellNetwork::build(&net, [1, 1, 1], 2.5, Some(tiny)).unwrap();
        let base = Trajectory::new(&sc_g, cfg(300.0), 4, stream_rng(2, 300.0, 0)).unwrap();
        let occ = base.occupied_sites();
        // expected probabilities
        let mut expect: Vec<((usize, usize), f64)> = Vec::new();
        for &i in &occ {
            for (j, r, _) in base.allowed_hops(i) {
                expect.push(((i, j), r));
            }
        }
        let total: f64 = expect.iter().map(|x| x.1).sum();
        assert!(expect.len() >= 3);
        let draws = 20_000u64;
        for sc in [&sc_g, &sc_s] {
            let mut counts = vec![0u64; expect.len()];
            let mut ck = base.checkpoint();
            if sc.repulsion.is_some() {
                ck.group_lists.clear();
                ck.field_ev = vec![0.0; sc.n_sites()];
                ck.network_fingerprint = sc.fingerprint();
            }
            for d in 0..draws {
                let mut c = ck.clone();
                c.rng = stream_rng(99, 300.0, d);
                let mut t = Trajectory::resume(sc, c).unwrap();
                t.step().unwrap();
                let after = t.occupied_sites();
                let from = *occ.iter().find(|s| !after.contains(s)).unwrap();
                let to = *after.iter().find(|s| !occ.contains(s)).unwrap();
                let k = expect.iter().position(|x| x.0 == (from, to)).unwrap();
                counts[k] += 1;
            }
            let chi2: f64 = counts
                .iter()
                .zip(&expect)
                .map(|(&c, e)| {
                    let m = draws as f64 * e.1 / total;
                    (c as f64 - m).powi(2) / m
                })
                .sum();
            // χ² with (k − 1) degrees of freedom: mean k − 1, sd √(2(k − 1))
            let dof = (expect.len() - 1) as f64;
            assert!(
                chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
                "χ² = {chi2} for {dof} dof"
            );
        }
    }

    /// Rate of moving the ion on `from` to `to`, then perform it (None when not allowed).
    fn hop_and_rate(t: &mut Trajectory, from: usize, to: usize) -> Option<f64> {
        let (_, r, h) = t.allowed_hops(from).into_iter().find(|x| x.0 == to)?;
        t.force_hop(from, h).ok()?;
        Some(r)
    }

    #[test]
    fn kolmogorov_loop_criterion_holds_with_repulsion() {
        // Configuration loop C0 →(A: i→j) C1 →(B: p→q) C2 →(A: j→i) C3 →(B: q→p) C0 and the
        // same loop reversed: the products of rates agree to round-off for interacting A, B.
        let mut net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        for (k, h) in net.hops.iter_mut().enumerate() {
            h.saddle_energy_ev = 0.3 + 0.01 * (k % 7) as f64; // unequal saddles
        }
        for (k, s) in net.sites.iter_mut().enumerate() {
            s.energy_ev += 0.003 * (k % 5) as f64; // unequal site energies
        }
        let rep = PairRepulsion {
            prefactor_ev_ang: 1.44,
            screening_length_ang: 3.0,
            cutoff_ang: 6.0,
        };
        let sc = SupercellNetwork::build(&net, [2, 2, 2], 2.5, Some(rep)).unwrap();
        let mut t0 = Trajectory::new(&sc, cfg(300.0), 40, stream_rng(3, 300.0, 0)).unwrap();
        t0.run_events(5000).unwrap();
        let base = t0.checkpoint();
        let mut tested = 0;
        'outer: for i in t0.occupied_sites() {
            for (j, _, _) in t0.allowed_hops(i) {
                for p in t0.occupied_sites() {
                    if p == i {
                        continue;
                    }
                    let (nb, _) = sc.interactions_of(j);
                    if !nb.contains(&(p as u32)) {
                        continue;
                    }
                    for (q, _, _) in t0.allowed_hops(p) {
                        let mut f = Trajectory::resume(&sc, base.clone()).unwrap();
                        let fwd = [
                            hop_and_rate(&mut f, i, j),
                            hop_and_rate(&mut f, p, q),
                            hop_and_rate(&mut f, j, i),
                            hop_and_rate(&mut f, q, p),
                        ];
                        let mut r = Trajectory::resume(&sc, base.clone()).unwrap();
                        let rev = [
                            hop_and_rate(&mut r, p, q),
                            hop_and_rate(&mut r, i, j),
                            hop_and_rate(&mut r, q, p),
                            hop_and_rate(&mut r, j, i),
                        ];
                        if fwd.iter().chain(&rev).any(|x| x.is_none()) {
                            continue;
                        }
                        assert_eq!(f.occupied_sites(), t0.occupied_sites());
                        let lf: f64 = fwd.iter().map(|x| x.unwrap().ln()).sum();
                        let lr: f64 = rev.iter().map(|x| x.unwrap().ln()).sum();
                        // the interaction must matter: the A hop rate differs with B moved
                        assert!((fwd[0].unwrap() / rev[1].unwrap() - 1.0).abs() > 1e-6);
                        assert!((lf - lr).abs() < 1e-12 * lf.abs().max(1.0), "{lf} vs {lr}");
                        tested += 1;
                        if tested >= 20 {
                            break 'outer;
                        }
                    }
                }
            }
        }
        assert!(tested >= 5, "only {tested} loops found");
    }

    #[test]
    fn streams_differ_by_temperature_and_replica() {
        let a: u64 = stream_rng(1, 300.0, 0).random();
        let b: u64 = stream_rng(1, 300.0, 1).random();
        let c: u64 = stream_rng(1, 350.0, 0).random();
        let d: u64 = stream_rng(1, 300.0, 0).random();
        assert!(a != b && a != c && b != c);
        assert_eq!(a, d);
    }
}
