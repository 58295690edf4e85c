//! The per-site sum-tree selector (docs/physics.md §5.6), for any energy model: a leaf per site
//! holds its total outgoing rate, an event picks a site by the tree and then a hop within the
//! site by its rate. After a hop the leaves of every site whose neighbourhood changed are
//! recomputed: i, j, their blocking neighbours (site exclusion, §5.4) and the sites the energy
//! model names ([`EnergyModel::affected_sites`]), each with its occupied hop neighbours (their
//! hops into a changed site changed too).

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use crate::tree::SumTree;

use super::super::checkpoint::{TrajectoryCheckpoint, EMPTY};
use super::super::energy::{allowed_rate, site_rate, EnergyModel};
use super::{EventSelector, HopMove};

/// See the module documentation.
pub struct SiteTree {
    /// Leaves = per-site total rates.
    tree: SumTree,
    /// The new rates of the sites touched by the current event until they are written in one
    /// batch.
    pending: Vec<f64>,
    /// Per site: the event that last touched it (each site is recomputed once per event).
    stamp: Vec<u32>,
    epoch: u32,
    /// Sites touched by the current event.
    touched: Vec<u32>,
    /// Per site: the event that last expanded it as an affected site (the energy model names
    /// a site once per interaction list it is in; each is expanded once per event).
    expanded: Vec<u32>,
    /// Scratch for [`EnergyModel::affected_sites`].
    affected: Vec<u32>,
}

impl SiteTree {
    #[inline]
    fn touch(&mut self, i: u32) {
        if self.stamp[i as usize] != self.epoch {
            self.stamp[i as usize] = self.epoch;
            self.touched.push(i);
        }
    }

    /// Touch site `i` and its occupied hop neighbours.
    #[inline]
    fn touch_with_hop_neighbours(&mut self, net: &SupercellNetwork, occupant: &[u32], i: u32) {
        self.touch(i);
        for h in net.hops_of(i as usize) {
            let j = net.hop_to[h];
            if occupant[j as usize] != EMPTY {
                self.touch(j);
            }
        }
    }
}

impl<M: EnergyModel> EventSelector<M> for SiteTree {
    const AFTER_STATE_UPDATE: bool = true;

    fn build(
        net: &SupercellNetwork,
        _model: &M,
        _st: &TrajectoryCheckpoint,
    ) -> Result<SiteTree, KmcError> {
        let n = net.n_sites();
        Ok(SiteTree {
            tree: SumTree::new(n),
            pending: vec![0.0; n],
            stamp: vec![0; n],
            expanded: vec![0; n],
            epoch: 0,
            touched: Vec::with_capacity(64),
            affected: Vec::with_capacity(64),
        })
    }

    fn init(&mut self, _net: &SupercellNetwork, _st: &mut TrajectoryCheckpoint) {}

    fn restore(
        &mut self,
        _net: &SupercellNetwork,
        st: &TrajectoryCheckpoint,
    ) -> Result<(), KmcError> {
        if !st.group_lists.is_empty() {
            return Err(KmcError::Checkpoint(
                "rate-group lists in a checkpoint for the per-site tree (a network with repulsion)"
                    .into(),
            ));
        }
        Ok(())
    }

    #[inline(always)]
    fn total_rate(&self) -> f64 {
        self.tree.total()
    }

    #[inline]
    fn pick(
        &self,
        net: &SupercellNetwork,
        model: &M,
        st: &TrajectoryCheckpoint,
        u: f64,
    ) -> Option<(usize, usize)> {
        let (i, mut rem) = self.tree.select(u * self.tree.total());
        // choose the hop within site i
        let mut chosen = None;
        for h in net.hops_of(i) {
            let r = allowed_rate(net, model, st, h);
            if r > 0.0 {
                chosen = Some(h);
                if rem < r {
                    break;
                }
                rem -= r;
            }
        }
        chosen.map(|h| (i, h))
    }

    fn after_hop(
        &mut self,
        net: &SupercellNetwork,
        model: &M,
        st: &mut TrajectoryCheckpoint,
        mv: &HopMove,
    ) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = u32::MAX);
            self.expanded.iter_mut().for_each(|s| *s = u32::MAX);
            self.epoch = 1;
        }
        self.touched.clear();
        let occ = &st.occupant;
        self.touch_with_hop_neighbours(net, occ, mv.i as u32);
        self.touch_with_hop_neighbours(net, occ, mv.j as u32);
        for &b in mv.bi.iter().chain(mv.bj) {
            self.touch_with_hop_neighbours(net, occ, b);
        }
        let mut affected = std::mem::take(&mut self.affected);
        affected.clear();
        model.affected_sites(mv.i, mv.j, &mut affected);
        for &s in &affected {
            let su = s as usize;
            if self.expanded[su] == self.epoch {
                continue;
            }
            self.expanded[su] = self.epoch;
            if occ[su] != EMPTY {
                // its hops out changed; hops into an occupied site are not allowed
                self.touch(s);
            } else {
                // its own leaf is 0; the hops of its occupied neighbours into it changed
                for h in net.hops_of(su) {
                    let k = net.hop_to[h];
                    if occ[k as usize] != EMPTY {
                        self.touch(k);
                    }
                }
            }
        }
        self.affected = affected;
        for &s in &self.touched {
            self.pending[s as usize] = site_rate(net, model, st, s as usize);
        }
        let pending = &self.pending;
        self.tree.set_many(&mut self.touched, |s| pending[s]);
    }

    fn rebuild(&mut self, net: &SupercellNetwork, model: &M, st: &TrajectoryCheckpoint) -> f64 {
        self.tree
            .rebuild((0..net.n_sites()).map(|i| site_rate(net, model, st, i)));
        // recomputed leaves: a difference from the running total is a missed leaf update
        self.tree.total()
    }
}
