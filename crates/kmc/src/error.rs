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
