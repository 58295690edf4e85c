//! One kMC trajectory with a given energy model and event selector (docs/physics.md §5.6): the
//! loop that asks the selector for the next hop, advances the clock by Δt = −ln(u)/R, applies
//! the hop to the state (occupancy, blocking counts, the model's field, observables), tells the
//! selector, and rebuilds everything from the state every
//! [`TrajectoryConfig::rebuild_interval_events`] events (recording the drift diagnostic).
//! Generic over [`EnergyModel`] and [`EventSelector`], so the event loop is monomorphised per
//! model and no call in it is dynamic.

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::checkpoint::{TrajectoryCheckpoint, TrajectoryConfig, EMPTY};
use super::energy::{allowed_rate, EnergyModel};
use super::metropolis::{self, MetropolisStats};
use super::observables::{self, BlockRecord};
use super::placement;
use super::selector::{fresh_total_rate, EventSelector, HopMove};

/// A running trajectory on a [`SupercellNetwork`] with energy model `M` and selector `S`.
/// [`super::Trajectory`] chooses the pair from the network; a new model runs here directly.
pub struct ModelTrajectory<'a, M, S> {
    net: &'a SupercellNetwork,
    st: TrajectoryCheckpoint,
    model: M,
    sel: S,
}

impl<'a, M: EnergyModel, S: EventSelector<M>> ModelTrajectory<'a, M, S> {
    /// Start with `n_ions` placed by Boltzmann-weighted random sequential addition
    /// ([`super::placement`], §5.5) with the first numbers of `rng`. Call
    /// [`ModelTrajectory::run_events`] to equilibrate before measuring.
    pub fn new(
        net: &'a SupercellNetwork,
        config: TrajectoryConfig,
        n_ions: usize,
        mut rng: Xoshiro256PlusPlus,
        model: M,
    ) -> Result<ModelTrajectory<'a, M, S>, KmcError> {
        placement::check_ion_count(net, n_ions)?;
        let kt = 1.0 / config.beta_per_ev()?;
        let placed = placement::place(net, &model, kt, n_ions, &mut rng)?;
        ModelTrajectory::from_placement(net, config, placed, rng, model)
    }

    /// Start with ion k on `sites[k]` (a scripted start; no random numbers are used). An error
    /// if a site is out of range, repeated, or within the blocking distance of another.
    pub fn with_sites(
        net: &'a SupercellNetwork,
        config: TrajectoryConfig,
        sites: &[usize],
        rng: Xoshiro256PlusPlus,
        model: M,
    ) -> Result<ModelTrajectory<'a, M, S>, KmcError> {
        config.beta_per_ev()?;
        let placed = placement::place_on(net, sites)?;
        ModelTrajectory::from_placement(net, config, placed, rng, model)
    }

    fn from_placement(
        net: &'a SupercellNetwork,
        config: TrajectoryConfig,
        placed: placement::Placement,
        rng: Xoshiro256PlusPlus,
        model: M,
    ) -> Result<ModelTrajectory<'a, M, S>, KmcError> {
        let mut st = TrajectoryCheckpoint::fresh(net, config, placed, rng);
        let mut sel = S::build(net, &model, &st)?;
        sel.init(net, &mut st);
        let mut t = ModelTrajectory {
            net,
            st,
            model,
            sel,
        };
        t.model.recompute_state(&mut t.st);
        t.full_rebuild();
        Ok(t)
    }

    /// Continue from a checkpoint taken on the same network with the same model; the
    /// continuation is bit-identical to an uninterrupted run.
    pub fn resume(
        net: &'a SupercellNetwork,
        mut checkpoint: TrajectoryCheckpoint,
        model: M,
    ) -> Result<ModelTrajectory<'a, M, S>, KmcError> {
        checkpoint.validate(net)?;
        model.check_state(&checkpoint)?;
        model.restore_state(&mut checkpoint);
        checkpoint.config.beta_per_ev()?;
        let mut sel = S::build(net, &model, &checkpoint)?;
        sel.restore(net, &checkpoint)?;
        sel.rebuild(net, &model, &checkpoint);
        Ok(ModelTrajectory {
            net,
            st: checkpoint,
            model,
            sel,
        })
    }

    /// The serialisable state.
    pub fn checkpoint(&self) -> TrajectoryCheckpoint {
        self.st.clone()
    }

    /// Read-only view of the state.
    pub fn state(&self) -> &TrajectoryCheckpoint {
        &self.st
    }

    /// The energy model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The event selector.
    pub fn selector(&self) -> &S {
        &self.sel
    }

    /// Current total rate R, s⁻¹.
    pub fn total_rate(&self) -> f64 {
        self.sel.total_rate()
    }

    /// Number of mobile ions.
    pub fn n_ions(&self) -> usize {
        self.st.ion_site.len()
    }

    /// Recompute the model's field and the selector from scratch and record the relative
    /// difference between the running total rate and the rebuilt one (the drift diagnostic, see
    /// [`EventSelector::rebuild`]).
    pub fn full_rebuild(&mut self) {
        let before = self.total_rate();
        self.model.recompute_state(&mut self.st);
        let after = self.sel.rebuild(self.net, &self.model, &self.st);
        if self.st.events > 0 && after > 0.0 {
            let rel = ((before - after) / after).abs();
            if rel > self.st.rate_drift_max_rel {
                self.st.rate_drift_max_rel = rel;
            }
        }
        self.st.last_rebuild_event = self.st.events;
    }

    /// The state's part of a hop: clocks, occupancy and blocking counts, displacement and
    /// class counts, the model's field.
    #[inline(always)]
    fn record_hop(&mut self, mv: &HopMove, dt: f64) {
        observables::advance_clock(&mut self.st, dt);
        let ion = self.st.move_ion(mv.i, mv.j, mv.bi, mv.bj);
        observables::record_hop(&mut self.st, ion, mv.v, mv.class_ij);
        self.model.move_ion(&mut self.st, mv.i, mv.j);
    }

    /// Move the ion on site `i` along directed hop `hop`, advancing the clock by `dt`, and bring
    /// the state and the selector up to date (in the order the selector asks for, see
    /// [`EventSelector::AFTER_STATE_UPDATE`]).
    #[inline(always)]
    fn apply_hop(&mut self, i: usize, hop: usize, dt: f64) {
        let net = self.net;
        let mv = self.sel.hop_move(net, i, hop);
        if S::AFTER_STATE_UPDATE {
            self.record_hop(&mv, dt);
            self.sel.after_hop(net, &self.model, &mut self.st, &mv);
        } else {
            self.sel.after_hop(net, &self.model, &mut self.st, &mv);
            self.sel.prefetch_next(&self.st);
            self.record_hop(&mv, dt);
        }
    }

    /// Why no event could be drawn: the rates underflowed ([`KmcError::RateUnderflow`]) when
    /// the waiting time overflowed (`overflow`) or when every hop out of an occupied site has a
    /// barrier whose rate ν0·exp(−E/k_BT) is below the smallest positive double at this
    /// temperature (then no hop could have a rate, blocked or not); else jammed: some hop out of
    /// an occupied site has a representable rate, so it is blocked.
    #[cold]
    fn stopped(&self, overflow: bool) -> KmcError {
        let c = &self.st.config;
        let kt = halo_core::K_B_EV_PER_K * c.temperature_k;
        // ν0·exp(−E/k_BT) ≥ f64::MIN_POSITIVE  ⟺  E ≤ k_BT·ln(ν0/MIN_POSITIVE)
        let per_kt = c.attempt_frequency_hz.ln() - f64::MIN_POSITIVE.ln();
        let limit_ev = kt * per_kt;
        let largest_barrier_ev = self.net.hop_barrier_ev.iter().copied().fold(0.0, f64::max);
        let lowest_from_occupied_ev = (0..self.net.n_sites())
            .filter(|&i| self.st.occupant[i] != EMPTY)
            .flat_map(|i| self.net.hops_of(i))
            .map(|h| self.net.hop_barrier_ev[h])
            .fold(f64::INFINITY, f64::min);
        if overflow || (lowest_from_occupied_ev.is_finite() && lowest_from_occupied_ev > limit_ev) {
            KmcError::RateUnderflow {
                temperature_k: c.temperature_k,
                limit_ev,
                largest_barrier_ev,
                lowest_temperature_k: largest_barrier_ev / (halo_core::K_B_EV_PER_K * per_kt),
            }
        } else {
            KmcError::Jammed
        }
    }

    /// One BKL event. Errors with [`KmcError::Jammed`] when no hop is possible, and with
    /// [`KmcError::RateUnderflow`] when the temperature is too low for the rates to be
    /// represented.
    #[inline]
    pub fn step(&mut self) -> Result<(), KmcError> {
        let total = self.total_rate();
        if total.is_nan() || total <= 0.0 {
            return Err(self.stopped(false));
        }
        let u1: f64 = self.st.rng.random();
        let u2: f64 = self.st.rng.random();
        let (i, hop) = self
            .sel
            .pick(self.net, &self.model, &self.st, u1)
            .ok_or_else(|| self.stopped(false))?;
        let dt = -(1.0 - u2).ln() / total;
        if !(self.time_s() + dt).is_finite() {
            // a total rate so small that the waiting time, or the clock, overflows
            return Err(self.stopped(true));
        }
        self.apply_hop(i, hop, dt);
        if self.st.events - self.st.last_rebuild_event >= self.st.config.rebuild_interval_events {
            self.full_rebuild();
        }
        Ok(())
    }

    /// `moves` Metropolis moves of the configuration ([`super::metropolis`]: a random ion to a
    /// random site, accepted with probability min(1, exp(−ΔE/k_BT)) unless site exclusion
    /// forbids it), drawing from the trajectory's RNG (nothing when `moves` is 0, and then
    /// nothing changes). Displacements, clock and event count are not touched; the model's field
    /// is updated move by move as by hops, and afterwards the selector is rebuilt from scratch (a
    /// fresh selector, as at the start: the rate groups' lists in ascending hop order), so the
    /// result is an ordinary state, and a function of the state and the RNG only: splitting the
    /// moves over several calls gives the bit-identical state. Call before measuring (it does not
    /// move the displacements an open block measures).
    pub fn metropolis(&mut self, moves: u64) -> Result<MetropolisStats, KmcError> {
        if moves == 0 {
            return Ok(MetropolisStats::default());
        }
        let beta = self.st.config.beta_per_ev()?;
        let stats = metropolis::run(self.net, &self.model, &mut self.st, beta, moves);
        // the field stays the incrementally updated one, as after hops (the periodic full
        // rebuild recomputes it): recomputing it here would make the result depend on how the
        // moves are split into calls
        let mut sel = S::build(self.net, &self.model, &self.st)?;
        sel.init(self.net, &mut self.st);
        sel.rebuild(self.net, &self.model, &self.st);
        self.sel = sel;
        self.st.last_rebuild_event = self.st.events;
        Ok(stats)
    }

    /// Run `n` events.
    pub fn run_events(&mut self, n: u64) -> Result<(), KmcError> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
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
                let r = allowed_rate(self.net, &self.model, &self.st, h);
                (r > 0.0).then(|| (self.net.hop_to[h] as usize, r, h))
            })
            .collect()
    }

    /// Perform hop `h` out of occupied site `i` regardless of the RNG (for detailed-balance
    /// tests and scripted moves); the clock does not advance. Errors if the hop is not allowed.
    pub fn force_hop(&mut self, i: usize, h: usize) -> Result<(), KmcError> {
        if i >= self.net.n_sites()
            || !self.net.hops_of(i).contains(&h)
            || allowed_rate(self.net, &self.model, &self.st, h) <= 0.0
        {
            return Err(KmcError::InvalidParameter {
                name: "hop",
                reason: format!("hop {h} out of site {i} is not allowed now"),
            });
        }
        self.apply_hop(i, h, 0.0);
        Ok(())
    }

    /// Start a new block here, discarding any partial one; the next block has no adjacent
    /// predecessor (its cross terms are 0).
    pub fn begin_block(&mut self) {
        observables::begin_block(&mut self.st);
    }

    /// Close the current block, record it and open the next one (adjacent to it).
    pub fn end_block(&mut self) -> BlockRecord {
        observables::end_block(&mut self.st)
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

    /// The total rate recomputed from scratch over every site, for diagnostics (does not modify
    /// the state).
    pub fn fresh_total_rate(&self) -> f64 {
        fresh_total_rate(self.net, &self.model, &self.st)
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
