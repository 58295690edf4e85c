//! The rate-group selector (docs/physics.md §5.6), for energy models with constant barriers
//! ([`EnergyModel::constant_barriers`]). Every directed hop's rate is a constant
//! (single-particle model: ν0·exp(−(S − E_source)/k_BT)), so hops with the same barrier form a
//! group with one rate r_g. Each group keeps the list of its currently allowed hops; the total
//! rate is R = Σ_g n_g·r_g (a sum tree over groups); an event picks a group with probability
//! n_g·r_g/R and then a uniform member. This is the n-fold way of Bortz, Kalos & Lebowitz
//! (J. Comput. Phys. 17, 10 (1975)) with classes = barrier values. After a hop only the directed
//! hops out of and into the sites whose occupancy or blocking count changed are re-tested
//! ([`super::retest`]): O(coordination × blocking neighbours) work per event, independent of
//! system size, and R is a pure function of the integer counts n_g (no round-off drift).
//!
//! Memory layout for large supercells: see [`super::retest`]; in addition a hop's source and a
//! site's first hop are computed from the cell-by-cell numbering, and the next event's hop is
//! found with a copy of the RNG and its data prefetched before this event's bookkeeping
//! ([`EventSelector::prefetch_next`]).

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use crate::tree::SumTree;
use halo_core::hint::prefetch;
use rand::Rng;

use super::super::checkpoint::{hop_allowed, TrajectoryCheckpoint, EMPTY};
use super::super::energy::EnergyModel;
use super::retest::{
    apply_queue, blockers, collect_retests, hops, HotHop, Retest, SiteRec, Tables, NOT_LISTED,
    OCCUPIED, SELF_BIT,
};
use super::{fresh_total_rate, EventSelector, HopMove};

/// The rate-group selector (see the module documentation). The lists themselves live in the
/// checkpointed state ([`TrajectoryCheckpoint::group_lists`]).
pub struct RateGroups {
    /// r_g = ν0·exp(−E_g/k_BT), s⁻¹.
    rate: Vec<f64>,
    /// Per directed hop: target and reverse.
    hot: Vec<HotHop>,
    /// Per primitive hop (index `prim_hop_base + local hop index`): the group words (group and
    /// self-blocking flag, see [`SELF_BIT`]) of the hop and of its reverse. Every supercell image
    /// of a primitive hop has the same barrier and blocking geometry; [`RateGroups::new`] checks it.
    prim_words: Vec<[u32; 2]>,
    /// Directed hops per primitive cell, H; hop h lies in cell ⌊h/H⌋ (the supercell numbers
    /// sites and hops cell by cell, [`RateGroups::new`] checks it).
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

impl RateGroups {
    fn new(net: &SupercellNetwork, rate: Vec<f64>) -> Result<RateGroups, KmcError> {
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
        Ok(RateGroups {
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
                Retest::new(0, 0, false);
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
    /// [`EventSelector::pick`] and by [`EventSelector::prefetch_next`].
    #[inline(always)]
    fn pick_hop(&self, lists: &[Vec<u32>], u1: f64) -> Option<usize> {
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

impl<M: EnergyModel> EventSelector<M> for RateGroups {
    const AFTER_STATE_UPDATE: bool = false;

    /// The groups are the network's ([`SupercellNetwork::hop_group`]: bit-identical barriers
    /// S − E_source); r_g is the model's rate of the group's hops, which must all be equal.
    fn build(
        net: &SupercellNetwork,
        model: &M,
        st: &TrajectoryCheckpoint,
    ) -> Result<RateGroups, KmcError> {
        let bad = |reason: String| {
            Err(KmcError::InvalidParameter {
                name: "energy_model",
                reason,
            })
        };
        if !model.constant_barriers() {
            return bad("the rate-group selector needs constant barriers".into());
        }
        let mut rate: Vec<Option<f64>> = vec![None; net.group_barrier_ev.len()];
        for h in 0..net.hop_to.len() {
            let r = model.hop_rate(st, h);
            match &mut rate[net.hop_group[h] as usize] {
                slot @ None => *slot = Some(r),
                Some(rg) if rg.to_bits() == r.to_bits() => {}
                Some(rg) => {
                    return bad(format!(
                        "hop {h} has rate {r} s⁻¹ but its rate group {} has {rg} s⁻¹",
                        net.hop_group[h]
                    ))
                }
            }
        }
        let rate = rate.into_iter().map(|r| r.unwrap_or(0.0)).collect();
        let mut g = RateGroups::new(net, rate)?;
        g.set_states(&st.occupant, &st.block_count);
        Ok(g)
    }

    /// Initial lists in ascending hop order.
    fn init(&mut self, net: &SupercellNetwork, st: &mut TrajectoryCheckpoint) {
        let mut lists = vec![Vec::new(); net.group_barrier_ev.len()];
        for h in 0..net.hop_to.len() {
            if hop_allowed(net, &st.occupant, &st.block_count, h) {
                let grp = net.hop_group[h] as usize;
                self.pos[h] = lists[grp].len() as u32;
                lists[grp].push(h as u32);
            }
        }
        st.group_lists = lists;
    }

    /// The checkpoint's lists must hold every allowed hop exactly once, in its own group.
    fn restore(
        &mut self,
        net: &SupercellNetwork,
        st: &TrajectoryCheckpoint,
    ) -> Result<(), KmcError> {
        let lists = &st.group_lists;
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
                    || self.pos[h] != NOT_LISTED
                    || !hop_allowed(net, &st.occupant, &st.block_count, h)
                {
                    return bad(format!("rate group {grp}: entry {k} (hop {h}) is invalid"));
                }
                self.pos[h] = k as u32;
                listed += 1;
            }
        }
        let allowed = (0..net.hop_to.len())
            .filter(|&h| hop_allowed(net, &st.occupant, &st.block_count, h))
            .count();
        if listed != allowed {
            return bad(format!(
                "{listed} hops listed but {allowed} are allowed in this configuration"
            ));
        }
        Ok(())
    }

    #[inline(always)]
    fn total_rate(&self) -> f64 {
        self.tree.total()
    }

    #[inline(always)]
    fn pick(
        &self,
        _net: &SupercellNetwork,
        _model: &M,
        st: &TrajectoryCheckpoint,
        u: f64,
    ) -> Option<(usize, usize)> {
        let h = self.pick_hop(&st.group_lists, u)?;
        // the chosen hop's record is in site i's records, read next
        prefetch(&self.hot, h);
        Some((self.source(h), h))
    }

    /// Reads the compact records, and starts loading what [`EventSelector::after_hop`] reads.
    #[inline(always)]
    fn hop_move<'n>(&self, net: &'n SupercellNetwork, i: usize, chosen: usize) -> HopMove<'n> {
        // the records of site i's hops are read below anyway
        let j = self.hot[chosen].to as usize;
        // start loading what is read of j: its records and hops (start computed, so the loads
        // go out together), and its state
        prefetch(&self.site, j);
        prefetch(&self.site, j + 1);
        prefetch(&self.hot, self.hop_start_of(j));
        prefetch(&self.state, j);
        let ri = self.site[i];
        for h in hops(&self.site, i) {
            let hh = self.hot[h];
            prefetch(&self.state, hh.to as usize);
            prefetch(&self.pos, hh.rev as usize);
        }
        let rj = self.site[j];
        HopMove {
            i,
            j,
            hop: chosen,
            v: net.prim_hop_vec_ang[ri.prim_hop_base as usize + chosen - ri.hop_start as usize],
            class_ij: [ri.class as usize, rj.class as usize],
            bi: blockers(&self.site, &net.block_list, i),
            bj: blockers(&self.site, &net.block_list, j),
        }
    }

    /// Re-test the hops out of i and j (their sources changed) and every hop into a site whose
    /// occupancy or blocking count changed (the reverses of its outgoing hops), from the packed
    /// site states (updated here; the trajectory's occupancy is not read).
    #[inline(always)]
    fn after_hop(
        &mut self,
        net: &SupercellNetwork,
        _model: &M,
        st: &mut TrajectoryCheckpoint,
        mv: &HopMove,
    ) {
        let (i, j) = (mv.i, mv.j);
        let lists = &mut st.group_lists;
        self.state[i] &= !OCCUPIED;
        self.state[j] |= OCCUPIED;
        for &b in mv.bi {
            self.state[b as usize] -= 1;
        }
        for &b in mv.bj {
            self.state[b as usize] += 1;
        }
        // start the loads of j's neighbours' states and reverse records early
        for h in hops(&self.site, j) {
            let hh = self.hot[h];
            prefetch(&self.state, hh.to as usize);
            prefetch(&self.pos, hh.rev as usize);
        }
        for &s in mv.bi.iter().chain(mv.bj) {
            prefetch(&self.hot, self.site[s as usize].hop_start as usize);
        }
        let tables = Tables {
            site: &self.site,
            block_list: &net.block_list,
            hot: &self.hot,
            prim_words: &self.prim_words,
        };
        let queued = collect_retests(tables, &self.state, i, j, &mut self.queue);
        self.apply_queue(lists, queued);
        self.flush(lists);
    }

    /// Start loading what the next event will read: its hop is found with a copy of the RNG
    /// (the state is not touched, so the next step draws the same numbers and finds the same
    /// hop), and the hop's record, its source's site record and occupant are prefetched, so that
    /// their cache misses overlap with the bookkeeping of this event. The hop found is not kept
    /// for the next step (which selects it again, cheaply, from cached data): a kept choice
    /// would be state outside the checkpoint.
    #[inline(always)]
    fn prefetch_next(&self, st: &TrajectoryCheckpoint) {
        let total = self.tree.total();
        if total.is_nan() || total <= 0.0 {
            return;
        }
        let u1: f64 = st.rng.clone().random();
        let Some(h) = self.pick_hop(&st.group_lists, u1) else {
            return;
        };
        let i = self.source(h);
        prefetch(&self.hot, h);
        prefetch(&self.site, i);
        prefetch(&st.occupant, i);
    }

    /// Leaves n_g·r_g from the lists; the reference total is summed afresh over every site's
    /// allowed hops (the group counts would reproduce the running total exactly, so any
    /// difference is round-off of the two summation orders).
    fn rebuild(&mut self, net: &SupercellNetwork, model: &M, st: &TrajectoryCheckpoint) -> f64 {
        let lists = &st.group_lists;
        let rate = &self.rate;
        self.tree
            .rebuild((0..lists.len()).map(|k| lists[k].len() as f64 * rate[k]));
        fresh_total_rate(net, model, st)
    }
}

#[cfg(test)]
mod tests {
    use super::super::retest::hops_with_words;
    use super::*;
    use crate::engine::{stream_rng, ModelTrajectory, SingleParticle, TrajectoryConfig};
    use crate::network::ideal;

    #[test]
    fn hop_sources_and_group_words_follow_the_primitive_layout() {
        // several primitive sites with different hop counts, blocking on, two supercells
        let net = ideal::spinel_8a_16c(10.42, 0.0, 0.08, 0.3);
        let cfg = TrajectoryConfig {
            temperature_k: 400.0,
            attempt_frequency_hz: 1e13,
            rebuild_interval_events: 1000,
        };
        for scale in [[2, 2, 2], [2, 3, 1]] {
            let sc = SupercellNetwork::build(&net, scale, 2.5, None).unwrap();
            let model = SingleParticle::new(&sc, &cfg).unwrap();
            let t = ModelTrajectory::<_, RateGroups>::new(
                &sc,
                cfg.clone(),
                20,
                stream_rng(1, 400.0, 0),
                model,
            )
            .unwrap();
            let g = t.selector();
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
}
