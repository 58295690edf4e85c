//! Event selectors (docs/physics.md §5.6): rejection-free BKL selection (Bortz, Kalos &
//! Lebowitz, J. Comput. Phys. 17, 10 (1975)). The next event is chosen with probability
//! proportional to its rate, and time advances by Δt = −ln(u)/R_total. Both selectors are exact
//! (no approximation of the rates):
//!
//! - [`RateGroups`], the n-fold way with barrier values as classes, for energy models with
//!   constant barriers ([`EnergyModel::constant_barriers`]): O(1) work per event whatever the
//!   system size, no round-off drift.
//! - [`SiteTree`], a sum tree of per-site total rates, for any energy model (the interacting
//!   path): after a hop the leaves of every site whose neighbourhood changed are recomputed.
//!
//! A selector is driven by [`super::ModelTrajectory`]: `pick` the next hop, `after_hop` once the
//! hop is decided, `rebuild` at the periodic full rebuild (which records the drift diagnostic).

mod rate_groups;
mod retest;
mod site_tree;

pub use rate_groups::RateGroups;
pub use site_tree::SiteTree;

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;

use super::checkpoint::TrajectoryCheckpoint;
use super::energy::EnergyModel;

/// The facts of one hop that the trajectory's bookkeeping needs, gathered by the selector
/// ([`EventSelector::hop_move`]) from whichever tables it reads fastest.
#[derive(Clone, Copy, Debug)]
pub struct HopMove<'n> {
    /// Source site.
    pub i: usize,
    /// Target site.
    pub j: usize,
    /// Directed hop.
    pub hop: usize,
    /// Hop vector, Å.
    pub v: [f64; 3],
    /// Site classes of i and j.
    pub class_ij: [usize; 2],
    /// Blocking neighbours of i.
    pub bi: &'n [u32],
    /// Blocking neighbours of j.
    pub bj: &'n [u32],
}

impl<'n> HopMove<'n> {
    /// The move along directed hop `hop` out of site `i`, read from the network's arrays.
    #[inline]
    pub fn from_network(net: &'n SupercellNetwork, i: usize, hop: usize) -> HopMove<'n> {
        let j = net.hop_to[hop] as usize;
        HopMove {
            i,
            j,
            hop,
            v: net.hop_vector_ang(i, hop),
            class_ij: [net.site_class[i] as usize, net.site_class[j] as usize],
            bi: net.blockers_of(i),
            bj: net.blockers_of(j),
        }
    }
}

/// How the next event is found. Every method that needs rates gets the network, the energy
/// model and the trajectory state; a selector may keep ordered, serialisable data in the state
/// (the rate groups' lists, [`TrajectoryCheckpoint::group_lists`]), everything else it keeps
/// itself and rebuilds from the state on resume.
pub trait EventSelector<M: EnergyModel>: Sized {
    /// Whether [`EventSelector::after_hop`] reads the occupancy of the state and so must run
    /// after the move is applied to it. When false (the rate groups keep their own packed copy
    /// of the occupancy), `after_hop` runs first, then [`EventSelector::prefetch_next`], then
    /// the trajectory's bookkeeping, so that the bookkeeping's cache misses overlap with the
    /// next event's loads.
    const AFTER_STATE_UPDATE: bool;

    /// The selector for the state `st` (its data not yet filled: see
    /// [`EventSelector::init`] and [`EventSelector::restore`]).
    fn build(
        net: &SupercellNetwork,
        model: &M,
        st: &TrajectoryCheckpoint,
    ) -> Result<Self, KmcError>;

    /// Fill the selector's part of a fresh state (the rate groups' lists in ascending hop
    /// order). [`EventSelector::rebuild`] follows.
    fn init(&mut self, net: &SupercellNetwork, st: &mut TrajectoryCheckpoint);

    /// Check and adopt the selector's part of a checkpoint. [`EventSelector::rebuild`] follows.
    fn restore(
        &mut self,
        net: &SupercellNetwork,
        st: &TrajectoryCheckpoint,
    ) -> Result<(), KmcError>;

    /// Current total rate R = Σ over allowed hops of their rates, s⁻¹.
    fn total_rate(&self) -> f64;

    /// The event that `u` ∈ [0, 1) selects, (source site, directed hop), each hop with
    /// probability rate/R; `None` when nothing can be selected. Requires R > 0.
    fn pick(
        &self,
        net: &SupercellNetwork,
        model: &M,
        st: &TrajectoryCheckpoint,
        u: f64,
    ) -> Option<(usize, usize)>;

    /// The facts of the move along `hop` out of site `i` (see [`HopMove`]).
    #[inline]
    fn hop_move<'n>(&self, net: &'n SupercellNetwork, i: usize, hop: usize) -> HopMove<'n> {
        HopMove::from_network(net, i, hop)
    }

    /// Bring the selector up to date with the move `mv` (before or after the state is updated,
    /// see [`EventSelector::AFTER_STATE_UPDATE`]).
    fn after_hop(
        &mut self,
        net: &SupercellNetwork,
        model: &M,
        st: &mut TrajectoryCheckpoint,
        mv: &HopMove,
    );

    /// Start loading what the next event will read (a hint; must not change the state).
    #[inline(always)]
    fn prefetch_next(&self, _st: &TrajectoryCheckpoint) {}

    /// Recompute the selector from the state (bit-identical to the running selector: every sum
    /// is a pure function of its leaves) and return the total rate that the drift diagnostic
    /// compares with the running one.
    fn rebuild(&mut self, net: &SupercellNetwork, model: &M, st: &TrajectoryCheckpoint) -> f64;
}

/// Σ over every site of its total rate, recomputed from the state with the energy model.
pub(crate) fn fresh_total_rate<M: EnergyModel>(
    net: &SupercellNetwork,
    model: &M,
    st: &TrajectoryCheckpoint,
) -> f64 {
    (0..net.n_sites())
        .map(|i| super::energy::site_rate(net, model, st, i))
        .sum()
}
