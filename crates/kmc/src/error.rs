//! The one error type of halo-kmc.

use thiserror::Error;

/// Everything that can go wrong when building a hop network, validating parameters or running
/// the kinetic Monte Carlo.
#[derive(Debug, Error)]
pub enum KmcError {
    /// A parameter is out of its allowed range; `name` is the parameter (config key) name.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name as it appears in `KmcParams` / the CLI.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The hop network itself is inconsistent (bad index, non-finite energy, saddle below a site).
    #[error("invalid hop network: {0}")]
    InvalidNetwork(String),
    /// The supercell cannot hold the requested configuration.
    #[error("supercell: {0}")]
    Supercell(String),
    /// Not enough allowed sites to place the mobile ions under the blocking rule.
    #[error("cannot place {ions} mobile ions on {sites} sites with blocking distance {blocking_distance_ang} Å (placed {placed})")]
    Placement {
        /// Requested ions.
        ions: usize,
        /// Sites in the supercell.
        sites: usize,
        /// Blocking distance used.
        blocking_distance_ang: f64,
        /// Ions placed before giving up.
        placed: usize,
    },
    /// A stop was requested (SIGTERM/SIGINT); the run was abandoned at an event-chunk boundary
    /// and nothing of it is reported.
    #[error("stopped on request")]
    Stopped,
    /// The requested supercell would not fit in memory; nothing was allocated.
    #[error("{what} would need about {estimate_gib:.1} GiB; {available}")]
    TooLarge {
        /// What was asked for, with its size.
        what: String,
        /// Memory estimate, GiB.
        estimate_gib: f64,
        /// The memory available, in words.
        available: String,
    },
    /// No ion can move: the total rate is zero (all hops blocked or no ions).
    #[error("the system is jammed: total hop rate is zero")]
    Jammed,
    /// The temperature is too low for the rates to be represented: ν0·exp(−E/k_BT) falls below
    /// the smallest positive double for barriers above `limit_ev`, and the network has such
    /// barriers, so the total rate underflows and the clock cannot advance.
    #[error(
        "at {temperature_k} K the hop rates underflow: ν0·exp(−E/k_BT) is below the smallest \
         representable rate for barriers above {limit_ev:.2} eV, and this network's hops need up \
         to {largest_barrier_ev:.2} eV, so the kMC clock cannot advance. The temperature is too \
         low to simulate: its σ is far below any measurable value (every barrier is \
         representable from {lowest_temperature_k:.0} K)"
    )]
    RateUnderflow {
        /// The temperature, K.
        temperature_k: f64,
        /// Barriers above this underflow at it, eV.
        limit_ev: f64,
        /// The network's largest barrier, eV.
        largest_barrier_ev: f64,
        /// The temperature from which every barrier's rate is representable, K.
        lowest_temperature_k: f64,
    },
    /// The waiting times of the trajectories span more than the clock's precision: after a
    /// rare escape the clock stands so far above the waiting times of the hops that follow that
    /// adding them changes nothing, and every measured block time reads 0.
    #[error(
        "at {temperature_k} K every measured block lasted 0 s on the clock: the waiting times \
         span more than its 16 digits (a rare escape many orders of magnitude longer than the \
         hops after it). The temperature is too low for this network: its σ is far below any \
         measurable value; simulate at higher temperatures"
    )]
    ClockResolution {
        /// The temperature, K.
        temperature_k: f64,
    },
    /// A checkpoint does not belong to this network / parameters.
    #[error("checkpoint mismatch: {0}")]
    Checkpoint(String),
    /// Error from halo-core (lattice construction).
    #[error(transparent)]
    Core(#[from] halo_core::CoreError),
    /// Statistics cannot be formed (too few blocks, zero time, …).
    #[error("statistics: {0}")]
    Statistics(String),
    /// JSON (de)serialisation of a checkpoint.
    #[error("checkpoint JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl KmcError {
    /// True for the errors that say a temperature is too cold for the arithmetic (the rates
    /// underflow, or the clock cannot resolve the waiting times): a run with other temperatures
    /// reports them as [`crate::TooCold`] and goes on with the rest.
    pub fn is_too_cold(&self) -> bool {
        matches!(
            self,
            KmcError::RateUnderflow { .. } | KmcError::ClockResolution { .. }
        )
    }
}
