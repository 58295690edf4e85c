//! # halo-kmc
//!
//! Rejection-free kinetic Monte Carlo of mobile-ion hopping on a periodic site graph
//! (docs/physics.md §5): diffusion coefficients, Haven ratio, conductivity and an Arrhenius fit,
//! with standard errors.
//!
//! - Input: a [`HopNetwork`] (cell, sites with energies, hops with saddle energies); the
//!   landscape stage's [`halo_percolation::SiteGraph`] converts with
//!   [`HopNetwork::from_site_graph`]. Ideal lattices for tests live in [`network::ideal`].
//! - Stations: shallow minima that only lie between deeper sites are folded into the hops
//!   through them by [`stations::contract_stations`] (barrier = highest saddle of the path).
//! - Rates: Γ_ij = ν0·exp(−(S_ij − E_i)/k_BT) (ν0 = 1e13 s⁻¹ by default). With the optional
//!   Li–Li repulsion ([`PairRepulsion`]): Γ = ν0·exp(−[E_KRA + (E_after − E_before)/2]/k_BT),
//!   E_KRA = S_ij − (E_i + E_j)/2 (Van der Ven et al., Phys. Rev. B 64, 184307 (2001)). Both
//!   satisfy detailed balance exactly: forward and reverse rates of any hop share the same
//!   saddle term, so their ratio is the Boltzmann factor of the energy change. The two are the
//!   implementations [`engine::SingleParticle`] and [`engine::PairInteractions`] of
//!   [`engine::EnergyModel`]; a further model plugs in there.
//! - Occupancy: one ion per site; two ions may not sit closer than the blocking distance
//!   ([`KmcParams::blocking_distance_ang`], default 2.5 Å: this excludes face-sharing
//!   tetrahedral–octahedral pairs such as spinel 8a–16c, 2.26 Å apart, and 48f–16c, while
//!   edge-sharing octahedra (16c–16c, 3.68 Å) and the shortest Li–Li distances of ordered
//!   chlorides (≥ 3.4 Å) stay allowed).
//! - Placement: Boltzmann-weighted random sequential addition, then optionally
//!   ([`KmcParams::metropolis_sweeps_per_ion`]) Metropolis sweeps with non-local moves (a random
//!   ion to a random site, accepted with min(1, exp(−ΔE/k_BT))) that bring the configuration to
//!   the Boltzmann distribution of the full model before the kMC equilibration
//!   ([`engine::metropolis`]).
//! - Selection: rejection-free BKL (Bortz, Kalos & Lebowitz, J. Comput. Phys. 17, 10 (1975));
//!   Δt = −ln(u)/R_total. Without repulsion (the default) hops are classed by barrier (the n-fold
//!   way): each class keeps a list of its allowed hops, R_total = Σ_g n_g·r_g, and a hop re-tests
//!   only the hops into and out of the sites whose occupancy or blocking changed, so the work per
//!   event does not depend on the system size. With repulsion a sum tree of per-site total rates is
//!   used and the leaves of the sites whose neighbourhood changed are recomputed. A full rebuild
//!   every [`KmcParams::rebuild_interval_events`] events records the drift diagnostic. The two
//!   selectors implement [`engine::EventSelector`] ([`engine::RateGroups`] for models with
//!   constant barriers, [`engine::SiteTree`] for any); see [`engine`].
//! - Randomness: Xoshiro256++ streams per (temperature, replica), derived from one u64 seed by
//!   [`engine::stream_rng`]. Results are bit-identical for any rayon thread count, and a
//!   trajectory can be checkpointed and resumed bit-exactly ([`engine::Trajectory::checkpoint`]).
//! - Observables: unwrapped displacements; D* = ⟨Σ_i|Δr_i|²⟩/(2dNt), D_σ = ⟨|Σ_iΔr_i|²⟩/(2dNt),
//!   H = D*/D_σ, σ = (N/V)e²D_σ/(k_BT); block averages over independent replicas give standard
//!   errors; ln(σT) vs 1/T is fitted by weighted least squares.
//!
//! ```
//! use halo_kmc::{network::ideal, simulate, KmcParams, MobileIons, SupercellChoice};
//! let net = ideal::simple_cubic(2.5, 0.3);
//! let mut p = KmcParams::new(vec![400.0, 500.0]);
//! p.mobile_ions = MobileIons::Fraction(0.5);
//! p.supercell = SupercellChoice::Fixed([6, 6, 6]);
//! p.blocking_distance_ang = 0.0;
//! p.replicas = 2;
//! p.blocks_per_replica = 8;
//! let r = simulate(&net, &p).unwrap();
//! // hard-core lattice gas: D_σ = (1 − c)·zΓa²/(2d)
//! let g = 1e13 * (-0.3 / (halo_core::K_B_EV_PER_K * 500.0)).exp();
//! let d0_cm2 = 6.0 * g * 2.5 * 2.5 / 6.0 * 1e-16;
//! let t = &r.temperatures[1];
//! assert!((t.d_sigma_cm2_per_s / (0.5 * d0_cm2) - 1.0).abs() < 5.0 * t.d_sigma_se_cm2_per_s / t.d_sigma_cm2_per_s + 0.01);
//! assert!(r.arrhenius.is_some());
//! ```

pub mod defaults;
pub mod engine;
pub mod error;
pub mod mobile;
pub mod network;
pub mod plot;
pub mod replica_cache;
pub mod replicas;
pub mod stations;
pub mod stats;
pub mod supercell;
pub mod tree;

pub use engine::{BlockRecord, Trajectory, TrajectoryCheckpoint, TrajectoryConfig};
pub use error::KmcError;
pub use mobile::{mobile_ion_count, MobileIonCount};
pub use network::{HopNetwork, NetCoupling, NetHop, NetSite};
pub use replica_cache::ReplicaCache;
pub use replicas::{ReplicaStopping, ReplicaTarget};
pub use stats::{arrhenius_fit, conductivity_s_per_cm, ArrheniusFit, DiffusionEstimate};
pub use supercell::{PairForm, PairRepulsion, SupercellNetwork};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

/// Temperatures the kMC accepts lie in (0, this), K.
pub const MAX_TEMPERATURE_K: f64 = 1e5;

/// How the supercell is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum SupercellChoice {
    /// [`supercell::auto_supercell`]: widths ≥ 2 × interaction range + longest hop, then grown
    /// until it holds [`KmcParams::min_ions`] ions and [`KmcParams::min_sites`] sites.
    Auto,
    /// Fixed repetitions (a, b, c).
    Fixed([usize; 3]),
}

/// How many mobile ions are placed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum MobileIons {
    /// Ions per network cell (e.g. from [`mobile_ion_count`]); rounded to the nearest integer
    /// in the supercell.
    PerCell(f64),
    /// Fraction of the network's sites.
    Fraction(f64),
    /// Exact number in the supercell.
    Count(usize),
}

/// Smallest attempt frequency taken, Hz: three decades below the lattice vibrations a hop is
/// attempted at (1e12–1e14 Hz).
pub const MIN_ATTEMPT_FREQUENCY_HZ: f64 = 1e9;
/// Largest attempt frequency taken, Hz: five decades above them. A calibrated constant can lie
/// above the phonons when it absorbs a model's error (the explicit model's Yukawa form:
/// 2.91e17 Hz, `kmc_calibration.csv`); the bounds catch a slip in the exponent, not that.
pub const MAX_ATTEMPT_FREQUENCY_HZ: f64 = 1e19;

/// Parameters of a kMC run. Build with [`KmcParams::new`], adjust fields, and pass to
/// [`simulate`], which validates them before any work ([`KmcParams::validate`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KmcParams {
    /// Temperatures, K.
    pub temperatures_k: Vec<f64>,
    /// Master seed of all RNG streams.
    pub seed: u64,
    /// ν0, s⁻¹ (default 1e13).
    pub attempt_frequency_hz: f64,
    /// Supercell choice (default auto).
    pub supercell: SupercellChoice,
    /// Mobile ions (default: half the sites).
    pub mobile_ions: MobileIons,
    /// Sites closer than this may not be occupied together, Å (default 2.5; 0 disables).
    pub blocking_distance_ang: f64,
    /// Optional Li–Li repulsion (default none).
    pub pair_repulsion: Option<PairRepulsion>,
    /// Independent replicas per temperature (default 4); with [`KmcParams::replica_target`]
    /// the replicas each temperature starts with.
    pub replicas: usize,
    /// Stopping rule of the run (default none: exactly `replicas` per temperature): replicas
    /// are added at the temperatures that need them until σ(300 K) is measured to a relative
    /// SE or a cap ([`replicas`]). Absent from JSON when none, so older parameter files and
    /// results read and write unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_target: Option<ReplicaTarget>,
    /// Measured blocks per replica (default 16).
    pub blocks_per_replica: usize,
    /// Block length in hops per ion (events = this × N; default 50).
    pub hops_per_ion_per_block: f64,
    /// Equilibration before the first block, hops per ion (default 100).
    pub equilibration_hops_per_ion: f64,
    /// Metropolis equilibration of the placement before the kMC equilibration, sweeps per ion
    /// (moves = round(this × N); default 0 = none). Each move takes a random ion to a random
    /// site with probability min(1, exp(−ΔE/k_BT)), ΔE = E_j − E_i + (φ_j − V_ij) − φ_i
    /// ([`engine::metropolis`]). Absent from JSON when 0, so older parameter files and results
    /// read and write unchanged.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub metropolis_sweeps_per_ion: f64,
    /// Auto supercell: at least this many mobile ions (default 128).
    pub min_ions: usize,
    /// Auto supercell: at least this many sites (default 0).
    pub min_sites: usize,
    /// Interval of the full rebuild (selector recomputed from the state, drift diagnostic
    /// recorded), events (default: 16 × sites).
    pub rebuild_interval_events: Option<u64>,
}

impl KmcParams {
    /// Reach of the ions' interactions, Å: max(blocking distance, pair-repulsion cutoff). The
    /// automatic supercell is at least 2 × this + the longest hop wide
    /// ([`supercell::required_width_ang`]).
    pub fn interaction_range_ang(&self) -> f64 {
        self.blocking_distance_ang
            .max(self.pair_repulsion.map(|r| r.cutoff_ang).unwrap_or(0.0))
    }

    /// Defaults at the given temperatures.
    pub fn new(temperatures_k: Vec<f64>) -> KmcParams {
        KmcParams {
            temperatures_k,
            seed: 0,
            attempt_frequency_hz: defaults::UNCALIBRATED_ATTEMPT_FREQUENCY_HZ,
            supercell: SupercellChoice::Auto,
            mobile_ions: MobileIons::Fraction(0.5),
            blocking_distance_ang: defaults::BLOCKING_DISTANCE_ANG,
            pair_repulsion: None,
            replicas: defaults::REPLICAS,
            replica_target: None,
            blocks_per_replica: defaults::BLOCKS,
            hops_per_ion_per_block: defaults::HOPS_PER_ION_PER_BLOCK,
            equilibration_hops_per_ion: defaults::EQUILIBRATION_HOPS_PER_ION,
            metropolis_sweeps_per_ion: 0.0,
            min_ions: defaults::MIN_IONS,
            min_sites: 0,
            rebuild_interval_events: None,
        }
    }

    /// Check every field; the error names the offending parameter.
    pub fn validate(&self) -> Result<(), KmcError> {
        let bad =
            |name: &'static str, reason: String| Err(KmcError::InvalidParameter { name, reason });
        if self.temperatures_k.is_empty() {
            return bad("temperatures_k", "no temperatures given".into());
        }
        for &t in &self.temperatures_k {
            if !(t.is_finite() && t > 0.0 && t < MAX_TEMPERATURE_K) {
                return bad(
                    "temperatures_k",
                    format!("{t} K is not in (0, {MAX_TEMPERATURE_K:e})"),
                );
            }
        }
        let mut sorted: Vec<u64> = self
            .temperatures_k
            .iter()
            .map(|t| (t * 1000.0).round() as u64)
            .collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return bad(
                "temperatures_k",
                "a temperature is repeated (within 1 mK)".into(),
            );
        }
        if !(self.attempt_frequency_hz.is_finite() && self.attempt_frequency_hz > 0.0) {
            return bad(
                "attempt_frequency_hz",
                format!("{} is not positive", self.attempt_frequency_hz),
            );
        }
        if !(MIN_ATTEMPT_FREQUENCY_HZ..=MAX_ATTEMPT_FREQUENCY_HZ)
            .contains(&self.attempt_frequency_hz)
        {
            return bad(
                "attempt_frequency_hz",
                format!(
                    "{:e} Hz is not an attempt frequency: lattice vibrations are 1e12–1e14 Hz \
                     (halo's calibrated ν0 is 2.21e14); values outside {MIN_ATTEMPT_FREQUENCY_HZ:e}–\
                     {MAX_ATTEMPT_FREQUENCY_HZ:e} Hz are refused (a slip in the exponent moves σ by \
                     as many decades)",
                    self.attempt_frequency_hz
                ),
            );
        }
        if let SupercellChoice::Fixed(s) = self.supercell {
            if s.iter().any(|&x| x == 0 || x > 1000) {
                return bad(
                    "supercell",
                    format!("{s:?}: each repetition must be in 1..=1000"),
                );
            }
        }
        match self.mobile_ions {
            MobileIons::PerCell(x) if !(x.is_finite() && x > 0.0) => {
                return bad("mobile_ions", format!("{x} ions per cell is not positive"))
            }
            MobileIons::Fraction(c) if !(c > 0.0 && c < 1.0) => {
                return bad("mobile_ions", format!("fraction {c} is not in (0, 1)"))
            }
            MobileIons::Count(0) => return bad("mobile_ions", "zero ions".into()),
            _ => {}
        }
        if !(self.blocking_distance_ang.is_finite()
            && (0.0..=MAX_BLOCKING_DISTANCE_ANG).contains(&self.blocking_distance_ang))
        {
            return bad(
                "blocking_distance_ang",
                format!(
                    "{} is not in [0, {MAX_BLOCKING_DISTANCE_ANG}] Å",
                    self.blocking_distance_ang
                ),
            );
        }
        if let Some(r) = self.pair_repulsion {
            if !(r.cutoff_ang > 0.0
                && r.screening_length_ang > 0.0
                && r.prefactor_ev_ang.is_finite())
            {
                return bad(
                    "pair_repulsion",
                    format!("{r:?} needs positive cutoff and screening length"),
                );
            }
        }
        if self.replicas == 0 || self.replicas > MAX_REPLICAS {
            return bad(
                "replicas",
                format!("{} is not in 1..={MAX_REPLICAS}", self.replicas),
            );
        }
        if let Some(t) = &self.replica_target {
            t.validate(self.replicas)?;
        }
        if self.blocks_per_replica > MAX_BLOCKS {
            return bad(
                "blocks_per_replica",
                format!("{} is more than {MAX_BLOCKS}", self.blocks_per_replica),
            );
        }
        if self.replicas * self.blocks_per_replica < 2 {
            return bad(
                "blocks_per_replica",
                "need at least two blocks in total for a standard error".into(),
            );
        }
        // a block shorter than one hop per ion measures single hops, not diffusion: its D_σ
        // misses the correlations of the hops that follow (1e-9 gave 6.8e-3 ± 2.7e-3 S/cm on the
        // seed spinel, against the converged 2.6e-3)
        if !(self.hops_per_ion_per_block.is_finite()
            && self.hops_per_ion_per_block >= 1.0
            && self.hops_per_ion_per_block <= MAX_HOPS_PER_ION)
        {
            return bad(
                "hops_per_ion_per_block",
                format!(
                    "{} is not in [1, {MAX_HOPS_PER_ION:e}] (a block must hold at least one hop \
                     per ion to measure diffusion rather than single hops)",
                    self.hops_per_ion_per_block
                ),
            );
        }
        if !(self.equilibration_hops_per_ion.is_finite()
            && (0.0..=MAX_HOPS_PER_ION).contains(&self.equilibration_hops_per_ion))
        {
            return bad(
                "equilibration_hops_per_ion",
                format!(
                    "{} is not in [0, {MAX_HOPS_PER_ION:e}]",
                    self.equilibration_hops_per_ion
                ),
            );
        }
        if !(self.metropolis_sweeps_per_ion.is_finite()
            && (0.0..=MAX_HOPS_PER_ION).contains(&self.metropolis_sweeps_per_ion))
        {
            return bad(
                "metropolis_sweeps_per_ion",
                format!(
                    "{} is not in [0, {MAX_HOPS_PER_ION:e}]",
                    self.metropolis_sweeps_per_ion
                ),
            );
        }
        if self.rebuild_interval_events == Some(0) {
            return bad("rebuild_interval_events", "must be positive".into());
        }
        Ok(())
    }
}

/// serde: a parameter that is 0 (off) is left out of the JSON.
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Time-averaged occupancy of one site class (label).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassOccupancy {
    /// Site label.
    pub label: String,
    /// Sites of this class per network cell.
    pub sites_per_cell: usize,
    /// Mean fraction of these sites occupied.
    pub occupancy: f64,
    /// Mean ions on this class per network cell.
    pub ions_per_cell: f64,
}

/// Results at one temperature (all SE are standard errors of the mean).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemperatureResult {
    /// Temperature, K.
    pub temperature_k: f64,
    /// Tracer diffusion coefficient D*, cm²/s.
    pub d_tracer_cm2_per_s: f64,
    /// SE of D*, cm²/s.
    pub d_tracer_se_cm2_per_s: f64,
    /// Charge (jump) diffusion coefficient D_σ, cm²/s.
    pub d_sigma_cm2_per_s: f64,
    /// SE of D_σ, cm²/s.
    pub d_sigma_se_cm2_per_s: f64,
    /// Haven ratio D*/D_σ.
    pub haven_ratio: f64,
    /// SE of the Haven ratio.
    pub haven_ratio_se: f64,
    /// Tracer correlation factor (D* over the uncorrelated-jump value).
    pub correlation_factor: f64,
    /// SE of the correlation factor.
    pub correlation_factor_se: f64,
    /// σ = (N/V)e²D_σ/(k_BT), S/cm.
    pub sigma_s_per_cm: f64,
    /// SE of σ, S/cm.
    pub sigma_se_s_per_cm: f64,
    /// The run's resolution of σ, S/cm: the σ of one net hop (the network's shortest) of one ion
    /// over the whole measured time of all replicas, D_res = ℓ_min²/(2d·N·Σt). A σ below it is
    /// not a measurement (less than one hop's worth of net charge displacement was seen: a
    /// rattling or jammed system at this temperature) and is left out of the Arrhenius fit
    /// ([`arrhenius_of`]). 0 in results written before it existed (every point counted).
    #[serde(default)]
    pub sigma_resolution_s_per_cm: f64,
    /// σ at or above [`TemperatureResult::sigma_resolution_s_per_cm`]
    /// ([`TemperatureResult::is_resolved`]), written for readers of the JSON: where it is false,
    /// the diffusion coefficients, the Haven ratio and the correlation factor are noise too (the
    /// block estimator's adjacent-block cross terms can make D* negative there).
    #[serde(default)]
    pub resolved: bool,
    /// Measured hops (all replicas, after equilibration).
    pub hops: u64,
    /// Hop rate per ion, s⁻¹ (mean over replicas).
    pub hop_rate_per_ion_hz: f64,
    /// SE of the hop rate per ion over replicas, s⁻¹ (0 with one replica).
    pub hop_rate_per_ion_se_hz: f64,
    /// Simulated (measured) time per replica, s (mean over replicas).
    pub simulated_time_s: f64,
    /// SE of the simulated time over replicas, s (0 with one replica).
    pub simulated_time_se_s: f64,
    /// Blocks used.
    pub blocks: usize,
    /// Largest relative difference between running and rebuilt total rate (drift diagnostic).
    pub rate_drift_max_rel: f64,
    /// Centre-of-mass drift per axis in units of its SE (|z| ≲ 3 expected).
    pub drift_z: [f64; 3],
    /// Time-averaged occupancies per site label.
    pub occupancies: Vec<ClassOccupancy>,
}

/// Everything a run produced, with the settings actually used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KmcResult {
    /// The parameters (as validated).
    pub params: KmcParams,
    /// Supercell used.
    pub supercell: [usize; 3],
    /// Sites in the supercell.
    pub n_sites: usize,
    /// Mobile ions in the supercell.
    pub n_ions: usize,
    /// Mobile ions per network cell actually simulated.
    pub ions_per_cell: f64,
    /// Supercell volume, Å³.
    pub volume_ang3: f64,
    /// N/V, Å⁻³.
    pub ions_per_ang3: f64,
    /// d of the diffusion formulas.
    pub dimension: usize,
    /// RNG and stream derivation, for the record.
    pub rng: String,
    /// Per temperature.
    pub temperatures: Vec<TemperatureResult>,
    /// Arrhenius fit of ln(σT) (None with fewer than two usable temperatures).
    pub arrhenius: Option<ArrheniusFit>,
    /// How the stopping rule ended the run (absent without [`KmcParams::replica_target`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping: Option<ReplicaStopping>,
    /// The temperatures of `params` that could not be simulated, in their order: too cold for
    /// the arithmetic of the rates or of the clock ([`KmcError::is_too_cold`]). Their σ is far
    /// below any measurable value; they are not in `temperatures` nor in the fit (absent when
    /// every temperature ran).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub too_cold: Vec<TooCold>,
}

/// A temperature a run could not simulate because it is too cold for the arithmetic
/// ([`KmcError::RateUnderflow`], [`KmcError::ClockResolution`]), and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TooCold {
    /// The temperature, K.
    pub temperature_k: f64,
    /// The error's message.
    pub reason: String,
}

impl KmcResult {
    /// The relative SE of σ(300 K): the Arrhenius fit's, or the lowest temperature's σ without
    /// a fit (infinite when that σ is not positive or below the run's resolution).
    pub fn sigma_300k_rel_se(&self) -> f64 {
        replicas::sigma_300k_rel_se(self)
    }
}

/// What one (temperature, replica) task returns.
#[derive(Clone)]
pub(crate) struct ReplicaOutput {
    blocks: Vec<BlockRecord>,
    class_time: Vec<f64>,
    measured_time_s: f64,
    hops: u64,
    drift: f64,
}

/// Largest blocking distance, Å (beyond it no halide network has two sites to tell apart).
pub const MAX_BLOCKING_DISTANCE_ANG: f64 = 20.0;
/// Largest hops per ion of a block or of the equilibration (10¹² is years of CPU time).
pub const MAX_HOPS_PER_ION: f64 = 1e12;
/// Most replicas per temperature.
pub const MAX_REPLICAS: usize = 4096;
/// Most measured blocks per replica.
pub const MAX_BLOCKS: usize = 1_000_000;
/// A stop request is honoured within this many events of a trajectory (well under a second).
pub const STOP_CHECK_EVENTS: u64 = 1 << 16;
/// Memory of a supercell network per site, bytes (measured: ~400 B/site for the spinel graph
/// of 4 hops per site, with margin).
const NETWORK_BYTES_PER_SITE: u64 = 512;
/// Memory of one running trajectory per site, bytes (measured ~160 B/site, with margin).
const TRAJECTORY_BYTES_PER_SITE: u64 = 256;

/// Run `n` events, checking `stop` every [`STOP_CHECK_EVENTS`] events (the steps are the same
/// as one `run_events(n)`, so the trajectory is bit-identical).
fn run_checked(t: &mut Trajectory, n: u64, stop: Option<&AtomicBool>) -> Result<(), KmcError> {
    let Some(stop) = stop else {
        return t.run_events(n);
    };
    let mut left = n;
    while left > 0 {
        if stop.load(Ordering::Relaxed) {
            return Err(KmcError::Stopped);
        }
        let k = left.min(STOP_CHECK_EVENTS);
        t.run_events(k)?;
        left -= k;
    }
    Ok(())
}

/// `moves` Metropolis moves ([`Trajectory::metropolis`]) in chunks of [`STOP_CHECK_EVENTS`],
/// checking `stop` between them. The moves do not depend on the selector that each chunk
/// rebuilds, so the result is bit-identical to one `metropolis(moves)`.
fn metropolis_checked(
    t: &mut Trajectory,
    moves: u64,
    stop: Option<&AtomicBool>,
) -> Result<(), KmcError> {
    let Some(stop) = stop else {
        return t.metropolis(moves).map(|_| ());
    };
    let mut left = moves;
    while left > 0 {
        if stop.load(Ordering::Relaxed) {
            return Err(KmcError::Stopped);
        }
        let k = left.min(STOP_CHECK_EVENTS);
        t.metropolis(k)?;
        left -= k;
    }
    Ok(())
}

/// One block of `events` events, with stop checks ([`Trajectory::run_block`] otherwise).
fn run_block_checked(
    t: &mut Trajectory,
    events: u64,
    stop: Option<&AtomicBool>,
) -> Result<BlockRecord, KmcError> {
    if !t.state().block_open {
        t.begin_block();
    }
    run_checked(t, events, stop)?;
    Ok(t.end_block())
}

/// Refuse a supercell of `cells` × `sites_per_cell` sites whose network and `parallel`
/// running trajectories would not fit in 80 % of the available memory (or exceed 2³¹ sites).
fn check_memory(scale: [usize; 3], sites_per_cell: usize, parallel: usize) -> Result<(), KmcError> {
    let sites = scale.iter().map(|&s| s as u128).product::<u128>() * sites_per_cell as u128;
    let bytes = sites
        * (NETWORK_BYTES_PER_SITE as u128 + parallel as u128 * TRAJECTORY_BYTES_PER_SITE as u128);
    let gib = bytes as f64 / (1u64 << 30) as f64;
    let what =
        format!("a supercell {scale:?} of {sites} sites with {parallel} trajectories at once");
    if sites > (1u128 << 31) {
        return Err(KmcError::TooLarge {
            what,
            estimate_gib: gib,
            available: "more than 2^31 sites is not supported".into(),
        });
    }
    if let Some(avail) = halo_core::memory::available_bytes() {
        if bytes as f64 > halo_core::memory::USABLE_FRACTION * avail as f64 {
            return Err(KmcError::TooLarge {
                what,
                estimate_gib: gib,
                available: format!(
                    "this machine has {:.1} GiB available; choose a smaller supercell or min_ions",
                    avail as f64 / (1u64 << 30) as f64
                ),
            });
        }
    }
    Ok(())
}

fn run_replica(
    sc: &SupercellNetwork,
    params: &KmcParams,
    n_ions: usize,
    temperature_k: f64,
    replica: usize,
    stop: Option<&AtomicBool>,
) -> Result<ReplicaOutput, KmcError> {
    let cfg = TrajectoryConfig {
        temperature_k,
        attempt_frequency_hz: params.attempt_frequency_hz,
        rebuild_interval_events: params
            .rebuild_interval_events
            .unwrap_or(16 * sc.n_sites() as u64),
    };
    let rng = engine::stream_rng(params.seed, temperature_k, replica as u64);
    let mut t = Trajectory::new(sc, cfg, n_ions, rng)?;
    // Metropolis equilibration of the placement (no random numbers drawn when off)
    let mc = (params.metropolis_sweeps_per_ion * n_ions as f64).round() as u64;
    metropolis_checked(&mut t, mc, stop)?;
    let eq = (params.equilibration_hops_per_ion * n_ions as f64).round() as u64;
    let per_block = ((params.hops_per_ion_per_block * n_ions as f64).round() as u64).max(1);
    run_checked(&mut t, eq, stop)?;
    // one unrecorded block so that the first measured block has an adjacent predecessor
    run_block_checked(&mut t, per_block, stop)?;
    t.reset_occupancy_clock();
    let t0 = t.time_s();
    let mut blocks = Vec::with_capacity(params.blocks_per_replica);
    for _ in 0..params.blocks_per_replica {
        blocks.push(run_block_checked(&mut t, per_block, stop)?);
    }
    t.full_rebuild();
    Ok(ReplicaOutput {
        hops: blocks.iter().map(|b| b.events).sum(),
        blocks,
        class_time: t.state().class_time.clone(),
        measured_time_s: t.time_s() - t0,
        drift: t.state().rate_drift_max_rel,
    })
}

fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    if x.len() < 2 {
        return (m, 0.0);
    }
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

/// The Arrhenius fit of ln(σT) over the resolved temperatures of a result
/// ([`TemperatureResult::is_resolved`]; [`arrhenius_fit`] with their σ and SE); `None` with fewer
/// than two resolved temperatures or when the fit fails (σ ≤ 0).
pub fn arrhenius_of(temps: &[TemperatureResult]) -> Option<ArrheniusFit> {
    let resolved: Vec<&TemperatureResult> = temps.iter().filter(|t| t.is_resolved()).collect();
    if resolved.len() < 2 {
        return None;
    }
    let ts: Vec<f64> = resolved.iter().map(|t| t.temperature_k).collect();
    let s: Vec<f64> = resolved.iter().map(|t| t.sigma_s_per_cm).collect();
    let se: Vec<f64> = resolved.iter().map(|t| t.sigma_se_s_per_cm).collect();
    arrhenius_fit(&ts, &s, &se).ok()
}

impl TemperatureResult {
    /// True when σ is at least the run's resolution
    /// ([`TemperatureResult::sigma_resolution_s_per_cm`]): a measured conductivity rather than
    /// less than one net hop.
    pub fn is_resolved(&self) -> bool {
        self.sigma_s_per_cm >= self.sigma_resolution_s_per_cm
    }
}

/// The σ of one net hop of length `hop_ang` of one of `n_ions` ions over `total_time_s` (summed
/// over replicas) in `dimension` dimensions at number density `ions_per_ang3`, S/cm: the
/// resolution of the block estimator D_σ = Σ_b|Σ_iΔr_i|²/(2dN Σ_b t_b).
pub fn sigma_resolution_s_per_cm(
    hop_ang: f64,
    n_ions: usize,
    dimension: usize,
    total_time_s: f64,
    ions_per_ang3: f64,
    temperature_k: f64,
) -> f64 {
    let d_res_cm2_per_s =
        hop_ang * hop_ang * 1e-16 / (2.0 * dimension as f64 * n_ions as f64 * total_time_s);
    conductivity_s_per_cm(ions_per_ang3, d_res_cm2_per_s, temperature_k)
}

/// Choose the supercell and the ion count for `net` under `params`.
pub fn prepare(
    net: &HopNetwork,
    params: &KmcParams,
) -> Result<(SupercellNetwork, usize), KmcError> {
    params.validate()?;
    net.validate()?;
    let n_prim = net.sites.len();
    let per_cell = match params.mobile_ions {
        MobileIons::PerCell(x) => x,
        MobileIons::Fraction(c) => c * n_prim as f64,
        MobileIons::Count(n) => n as f64, // only used for the auto-supercell target
    };
    let scale = match params.supercell {
        SupercellChoice::Fixed(s) => s,
        SupercellChoice::Auto => {
            let range = params.interaction_range_ang();
            let min_ions = match params.mobile_ions {
                MobileIons::Count(_) => 0,
                _ => params.min_ions,
            };
            supercell::auto_supercell(net, range, per_cell, min_ions, params.min_sites)
        }
    };
    let parallel = rayon::current_num_threads()
        .min(params.replicas * params.temperatures_k.len())
        .max(1);
    check_memory(scale, n_prim, parallel)?;
    let sc = SupercellNetwork::build(
        net,
        scale,
        params.blocking_distance_ang,
        params.pair_repulsion,
    )?;
    let n_ions = match params.mobile_ions {
        MobileIons::Count(n) => n,
        MobileIons::PerCell(x) => (x * sc.n_cells() as f64).round() as usize,
        MobileIons::Fraction(c) => (c * sc.n_sites() as f64).round() as usize,
    };
    if n_ions == 0 || n_ions > sc.n_sites() {
        return Err(KmcError::InvalidParameter {
            name: "mobile_ions",
            reason: format!(
                "{n_ions} ions in a supercell of {} sites ({} sites per network cell): the mobile \
                 ions (`--mobile-per-cell`, `mobile_per_cell`) must be at least one and at most \
                 the sites",
                sc.n_sites(),
                sc.n_sites() / sc.n_cells().max(1)
            ),
        });
    }
    Ok((sc, n_ions))
}

/// Run the kMC at every temperature (replicas in parallel with rayon) and return diffusion
/// coefficients, conductivities and the Arrhenius fit with standard errors.
pub fn simulate(net: &HopNetwork, params: &KmcParams) -> Result<KmcResult, KmcError> {
    simulate_with_stop(net, params, None)
}

/// [`simulate`], abandoned with [`KmcError::Stopped`] within [`STOP_CHECK_EVENTS`] events of
/// each trajectory once `stop` is set (a campaign's SIGTERM): nothing of the run is reported.
pub fn simulate_with_stop(
    net: &HopNetwork,
    params: &KmcParams,
    stop: Option<&AtomicBool>,
) -> Result<KmcResult, KmcError> {
    simulate_cached(net, params, stop, None)
}

/// [`simulate_with_stop`], taking from `cache` the replica trajectories an earlier run on the same
/// network and trajectory parameters made at a temperature this run has, and keeping this run's
/// for later ones ([`replica_cache`]): the result is bit for bit a fresh run's.
pub fn simulate_cached(
    net: &HopNetwork,
    params: &KmcParams,
    stop: Option<&AtomicBool>,
    cache: Option<&ReplicaCache>,
) -> Result<KmcResult, KmcError> {
    let (sc, n_ions) = prepare(net, params)?;
    let cache = cache.and_then(|c| Some((c, replica_cache::run_key(net, params)?)));
    let nt = params.temperatures_k.len();
    // outputs[ti][r]: replica r at temperature ti, always in replica order
    let mut outputs: Vec<Vec<ReplicaOutput>> = (0..nt).map(|_| Vec::new()).collect();
    // cold[ti]: why temperature ti cannot be simulated (its first replica, in task order, to
    // fail so); its replicas are dropped and no more are run there
    let mut cold: Vec<Option<KmcError>> = (0..nt).map(|_| None).collect();
    let mut tasks: Vec<(usize, usize)> = (0..nt)
        .flat_map(|t| (0..params.replicas).map(move |r| (t, r)))
        .collect();
    let mut rounds = 0;
    loop {
        let done: Vec<Result<ReplicaOutput, KmcError>> = tasks
            .par_iter()
            .map(|&(ti, r)| {
                let t = params.temperatures_k[ti];
                if let Some(kept) = cache.and_then(|(c, key)| c.get(key, t, r)) {
                    return Ok(kept);
                }
                let out = run_replica(&sc, params, n_ions, t, r, stop)?;
                if let Some((c, key)) = cache {
                    c.insert(key, t, r, &out);
                }
                Ok(out)
            })
            .collect();
        for (&(ti, r), o) in tasks.iter().zip(done) {
            if cold[ti].is_some() {
                continue;
            }
            match o {
                Ok(o) => {
                    debug_assert_eq!(outputs[ti].len(), r);
                    outputs[ti].push(o);
                }
                Err(e) if e.is_too_cold() => {
                    outputs[ti].clear();
                    cold[ti] = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        rounds += 1;
        let mut result = combine(&sc, params, n_ions, &outputs, &mut cold)?;
        let Some(target) = params.replica_target else {
            return Ok(result);
        };
        let run: Vec<usize> = outputs.iter().map(Vec::len).collect();
        tasks = replicas::next_round(&result, &run, &target);
        if tasks.is_empty() {
            let rel = result.sigma_300k_rel_se();
            let measured_at_k = if result.arrhenius.is_some() {
                None
            } else {
                result
                    .temperatures
                    .iter()
                    .map(|t| t.temperature_k)
                    .min_by(f64::total_cmp)
            };
            result.stopping = Some(ReplicaStopping {
                measured_at_k,
                target,
                rel_se_reached: rel,
                replicas_per_temperature: run,
                rounds,
                target_missed: rel.is_nan() || rel > target.rel_se,
            });
            return Ok(result);
        }
    }
}

/// Estimates at every temperature from the replicas run so far (`outputs[ti]`, in replica
/// order), and the Arrhenius fit. A temperature whose blocks all lasted 0 s on the clock is
/// marked too cold in `cold` ([`KmcError::ClockResolution`]); temperatures marked too cold are
/// left out and listed in [`KmcResult::too_cold`]. Errors with the first such temperature's
/// error when no temperature is left.
fn combine(
    sc: &SupercellNetwork,
    params: &KmcParams,
    n_ions: usize,
    outputs: &[Vec<ReplicaOutput>],
    cold: &mut [Option<KmcError>],
) -> Result<KmcResult, KmcError> {
    let volume = sc.lattice.volume_ang3();
    let density = n_ions as f64 / volume;
    let n_cells = sc.n_cells();
    let shortest_hop_ang = sc
        .prim_hop_vec_ang
        .iter()
        .map(|v| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt())
        .fold(f64::INFINITY, f64::min);
    let mut class_sites = vec![0usize; sc.class_names.len()];
    for &c in &sc.site_class {
        class_sites[c as usize] += 1;
    }
    let mut temps = Vec::new();
    for (ti, &t) in params.temperatures_k.iter().enumerate() {
        if cold[ti].is_some() {
            continue;
        }
        let outs = &outputs[ti];
        let blocks: Vec<BlockRecord> = outs.iter().flat_map(|o| o.blocks.iter().copied()).collect();
        if blocks.iter().map(|b| b.time_s).sum::<f64>() == 0.0 {
            // the estimators would divide by it ("total block weight is zero")
            cold[ti] = Some(KmcError::ClockResolution { temperature_k: t });
            continue;
        }
        let est = DiffusionEstimate::from_blocks(&blocks, n_ions, sc.dimension, true)?;
        let to_cm2 = 1e-16;
        let d_sigma = est.d_sigma_ang2_per_s * to_cm2;
        let d_sigma_se = est.d_sigma_se_ang2_per_s * to_cm2;
        let sigma = conductivity_s_per_cm(density, d_sigma, t);
        let sigma_se = conductivity_s_per_cm(density, d_sigma_se, t);
        let times: Vec<f64> = outs.iter().map(|o| o.measured_time_s).collect();
        let rates: Vec<f64> = outs
            .iter()
            .map(|o| o.hops as f64 / n_ions as f64 / o.measured_time_s)
            .collect();
        let (tm, tse) = mean_se(&times);
        let (rm, rse) = mean_se(&rates);
        let total_time: f64 = times.iter().sum();
        let occupancies = sc
            .class_names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let ions: f64 = outs.iter().map(|o| o.class_time[k]).sum::<f64>() / total_time;
                ClassOccupancy {
                    label: name.clone(),
                    sites_per_cell: class_sites[k] / n_cells,
                    occupancy: ions / class_sites[k] as f64,
                    ions_per_cell: ions / n_cells as f64,
                }
            })
            .collect();
        let mut tr = TemperatureResult {
            temperature_k: t,
            d_tracer_cm2_per_s: est.d_tracer_ang2_per_s * to_cm2,
            d_tracer_se_cm2_per_s: est.d_tracer_se_ang2_per_s * to_cm2,
            d_sigma_cm2_per_s: d_sigma,
            d_sigma_se_cm2_per_s: d_sigma_se,
            haven_ratio: est.haven_ratio,
            haven_ratio_se: est.haven_ratio_se,
            correlation_factor: est.correlation_factor,
            correlation_factor_se: est.correlation_factor_se,
            sigma_s_per_cm: sigma,
            sigma_se_s_per_cm: sigma_se,
            sigma_resolution_s_per_cm: if shortest_hop_ang.is_finite() && total_time > 0.0 {
                sigma_resolution_s_per_cm(
                    shortest_hop_ang,
                    n_ions,
                    sc.dimension,
                    total_time,
                    density,
                    t,
                )
            } else {
                0.0
            },
            hops: outs.iter().map(|o| o.hops).sum(),
            hop_rate_per_ion_hz: rm,
            hop_rate_per_ion_se_hz: rse,
            simulated_time_s: tm,
            simulated_time_se_s: tse,
            blocks: blocks.len(),
            rate_drift_max_rel: outs.iter().map(|o| o.drift).fold(0.0, f64::max),
            drift_z: est.drift_z,
            occupancies,
            resolved: false,
        };
        tr.resolved = tr.is_resolved();
        temps.push(tr);
    }
    if temps.is_empty() {
        let first = cold.iter_mut().find_map(Option::take);
        return Err(first.expect("a temperature left out is marked too cold"));
    }
    let too_cold = params
        .temperatures_k
        .iter()
        .zip(cold.iter())
        .filter_map(|(&t, e)| {
            e.as_ref().map(|e| TooCold {
                temperature_k: t,
                reason: e.to_string(),
            })
        })
        .collect();
    let arrhenius = arrhenius_of(&temps);
    Ok(KmcResult {
        params: params.clone(),
        supercell: sc.supercell,
        n_sites: sc.n_sites(),
        n_ions,
        ions_per_cell: n_ions as f64 / n_cells as f64,
        volume_ang3: volume,
        ions_per_ang3: density,
        dimension: sc.dimension,
        rng: "Xoshiro256++; stream (T, replica) = seed_from_u64(splitmix64(splitmix64(seed ^ splitmix64(round(T/mK))) ^ splitmix64(replica)))".into(),
        temperatures: temps,
        arrhenius,
        stopping: None,
        too_cold,
    })
}
