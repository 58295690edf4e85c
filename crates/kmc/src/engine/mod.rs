//! One kMC trajectory (docs/physics.md §5): rejection-free (BKL) event selection, unwrapped
//! displacements, block records, checkpoint and resume. Split by concern:
//!
//! - [`rng`]: the Xoshiro256++ stream per (temperature, replica) (§5.7);
//! - [`placement`]: the Boltzmann-weighted initial placement (§5.5);
//! - [`metropolis`]: the optional Metropolis equilibration of the placement with non-local moves
//!   (a random ion to a random site, min(1, exp(−ΔE/k_BT))), before the kMC (§5.5);
//! - [`energy`]: the [`EnergyModel`] trait — site and pair energies, the rate of a hop, which
//!   sites a hop affects, whether barriers are constant — with the single-particle model
//!   [`SingleParticle`] and the pair repulsion [`PairInteractions`] (§5.2);
//! - [`selector`]: the [`EventSelector`] trait — total rate, pick, after_hop, rebuild — with
//!   the n-fold-way [`RateGroups`] (constant barriers) and the per-site sum tree [`SiteTree`]
//!   (any model) (§5.6);
//! - [`observables`]: block records and the per-hop bookkeeping (§5.8);
//! - [`checkpoint`]: the complete serialisable state and site exclusion (§5.4, §5.7);
//! - [`trajectory`]: [`ModelTrajectory`], the event loop, generic over model and selector.
//!
//! [`Trajectory`] is the trajectory the rest of halo uses: it takes the model from the network
//! — single-particle with rate groups, or Yukawa with the site tree when the network carries a
//! [`crate::PairRepulsion`] — and dispatches once per call, so the event loop runs
//! monomorphised. A new energy model implements [`EnergyModel`] and runs in
//! [`ModelTrajectory`] (with [`SiteTree`], or [`RateGroups`] if its barriers are constant); to
//! make it the default of a network, add a variant to [`Trajectory`].

pub mod checkpoint;
pub mod energy;
pub mod metropolis;
pub mod observables;
pub mod placement;
pub mod rng;
pub mod selector;
pub mod trajectory;

#[cfg(test)]
mod tests;

pub use checkpoint::{TrajectoryCheckpoint, TrajectoryConfig};
pub use energy::{EnergyModel, PairInteractions, SingleParticle};
pub use metropolis::MetropolisStats;
pub use observables::BlockRecord;
pub use rng::{splitmix64, stream_rng};
pub use selector::{EventSelector, HopMove, RateGroups, SiteTree};
pub use trajectory::ModelTrajectory;

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use rand_xoshiro::Xoshiro256PlusPlus;

/// A running trajectory on a [`SupercellNetwork`], with the network's model (see the module
/// documentation).
pub struct Trajectory<'a>(Kind<'a>);

/// The model–selector pairs a network can ask for.
enum Kind<'a> {
    /// No pair repulsion: single-particle rates, rate groups.
    SingleParticle(Box<ModelTrajectory<'a, SingleParticle<'a>, RateGroups>>),
    /// Pair repulsion: E_KRA + ΔE/2 rates, per-site sum tree.
    Pairs(Box<ModelTrajectory<'a, PairInteractions<'a>, SiteTree>>),
}

/// `$body` with `$t` bound to the inner [`ModelTrajectory`], whichever the model.
macro_rules! each {
    ($self:ident, $t:ident => $body:expr) => {
        match &$self.0 {
            Kind::SingleParticle($t) => $body,
            Kind::Pairs($t) => $body,
        }
    };
    (mut $self:ident, $t:ident => $body:expr) => {
        match &mut $self.0 {
            Kind::SingleParticle($t) => $body,
            Kind::Pairs($t) => $body,
        }
    };
}

impl<'a> Trajectory<'a> {
    /// Start with `n_ions` placed by Boltzmann-weighted random sequential addition
    /// ([`placement`], docs/physics.md §5.5): sites are tried in the order of the keys
    /// ln(−ln u_i) + (E_i − E_min)/k_BT and taken when empty and unblocked. Call
    /// [`Trajectory::run_events`] to equilibrate before measuring.
    pub fn new(
        net: &'a SupercellNetwork,
        config: TrajectoryConfig,
        n_ions: usize,
        rng: Xoshiro256PlusPlus,
    ) -> Result<Trajectory<'a>, KmcError> {
        placement::check_ion_count(net, n_ions)?;
        Ok(Trajectory(if net.interacting {
            let model = PairInteractions::new(net, &config)?;
            Kind::Pairs(Box::new(ModelTrajectory::new(
                net, config, n_ions, rng, model,
            )?))
        } else {
            let model = SingleParticle::new(net, &config)?;
            Kind::SingleParticle(Box::new(ModelTrajectory::new(
                net, config, n_ions, rng, model,
            )?))
        }))
    }

    /// Start with ion k on `sites[k]` (a scripted start, e.g. all ions at one end; no random
    /// numbers are used). An error if a site is out of range, repeated, or within the blocking
    /// distance of another.
    pub fn with_sites(
        net: &'a SupercellNetwork,
        config: TrajectoryConfig,
        sites: &[usize],
        rng: Xoshiro256PlusPlus,
    ) -> Result<Trajectory<'a>, KmcError> {
        Ok(Trajectory(if net.interacting {
            let model = PairInteractions::new(net, &config)?;
            Kind::Pairs(Box::new(ModelTrajectory::with_sites(
                net, config, sites, rng, model,
            )?))
        } else {
            let model = SingleParticle::new(net, &config)?;
            Kind::SingleParticle(Box::new(ModelTrajectory::with_sites(
                net, config, sites, rng, model,
            )?))
        }))
    }

    /// Continue from a checkpoint taken on the same network; the continuation is bit-identical
    /// to an uninterrupted run.
    pub fn resume(
        net: &'a SupercellNetwork,
        checkpoint: TrajectoryCheckpoint,
    ) -> Result<Trajectory<'a>, KmcError> {
        checkpoint.validate(net)?;
        Ok(Trajectory(if net.interacting {
            let model = PairInteractions::new(net, &checkpoint.config)?;
            Kind::Pairs(Box::new(ModelTrajectory::resume(net, checkpoint, model)?))
        } else {
            let model = SingleParticle::new(net, &checkpoint.config)?;
            Kind::SingleParticle(Box::new(ModelTrajectory::resume(net, checkpoint, model)?))
        }))
    }

    /// The serialisable state.
    pub fn checkpoint(&self) -> TrajectoryCheckpoint {
        each!(self, t => t.checkpoint())
    }

    /// Read-only view of the state.
    pub fn state(&self) -> &TrajectoryCheckpoint {
        each!(self, t => t.state())
    }

    /// Current total rate R, s⁻¹.
    pub fn total_rate(&self) -> f64 {
        each!(self, t => t.total_rate())
    }

    /// Number of mobile ions.
    pub fn n_ions(&self) -> usize {
        each!(self, t => t.n_ions())
    }

    /// Recompute the model's field and the selector from scratch and record the drift
    /// diagnostic ([`ModelTrajectory::full_rebuild`]).
    pub fn full_rebuild(&mut self) {
        each!(mut self, t => t.full_rebuild())
    }

    /// One BKL event. Errors with [`KmcError::Jammed`] when no hop is possible.
    #[inline]
    pub fn step(&mut self) -> Result<(), KmcError> {
        each!(mut self, t => t.step())
    }

    /// Run `n` events.
    pub fn run_events(&mut self, n: u64) -> Result<(), KmcError> {
        each!(mut self, t => t.run_events(n))
    }

    /// `moves` Metropolis moves of the configuration, then the selector rebuilt from scratch
    /// ([`ModelTrajectory::metropolis`], [`metropolis`]); nothing happens (and no random number
    /// is drawn) when `moves` is 0.
    pub fn metropolis(&mut self, moves: u64) -> Result<MetropolisStats, KmcError> {
        each!(mut self, t => t.metropolis(moves))
    }

    /// Energy change, eV, of moving the ion on occupied site `i` to the empty site `j` now
    /// ([`EnergyModel::move_energy_ev`]: E_j − E_i + (φ_j − V_ij) − φ_i).
    pub fn move_energy_ev(&self, i: usize, j: usize) -> f64 {
        each!(self, t => t.model().move_energy_ev(t.state(), i, j))
    }

    /// Allowed hops out of site `i` in the current configuration: (target site, rate s⁻¹,
    /// hop index). Empty when `i` is empty.
    pub fn allowed_hops(&self, i: usize) -> Vec<(usize, f64, usize)> {
        each!(self, t => t.allowed_hops(i))
    }

    /// Perform hop `h` out of occupied site `i` regardless of the RNG (for detailed-balance
    /// tests and scripted moves); the clock does not advance. Errors if the hop is not allowed.
    pub fn force_hop(&mut self, i: usize, h: usize) -> Result<(), KmcError> {
        each!(mut self, t => t.force_hop(i, h))
    }

    /// Start a new block here, discarding any partial one; the next block has no adjacent
    /// predecessor (its cross terms are 0).
    pub fn begin_block(&mut self) {
        each!(mut self, t => t.begin_block())
    }

    /// Close the current block, record it and open the next one (adjacent to it).
    pub fn end_block(&mut self) -> BlockRecord {
        each!(mut self, t => t.end_block())
    }

    /// Run one block of `events` events and record it (opening a block first if none is open).
    pub fn run_block(&mut self, events: u64) -> Result<BlockRecord, KmcError> {
        each!(mut self, t => t.run_block(events))
    }

    /// Zero the time-weighted class occupancy integrals (call after equilibration).
    pub fn reset_occupancy_clock(&mut self) {
        each!(mut self, t => t.reset_occupancy_clock())
    }

    /// The total rate recomputed from scratch, for diagnostics (does not modify the state).
    pub fn fresh_total_rate(&self) -> f64 {
        each!(self, t => t.fresh_total_rate())
    }

    /// Sites currently occupied (ascending).
    pub fn occupied_sites(&self) -> Vec<usize> {
        each!(self, t => t.occupied_sites())
    }

    /// Unwrapped displacement of each ion since the start, Å.
    pub fn displacements_ang(&self) -> &[[f64; 3]] {
        each!(self, t => t.displacements_ang())
    }

    /// Simulated time, s.
    pub fn time_s(&self) -> f64 {
        each!(self, t => t.time_s())
    }
}
