//! The one place the transport model's kMC defaults live: [`crate::KmcParams::new`], the
//! `halo kmc`/`halo validate` flags and the workflow `[kmc]` section are built from these.

/// Temperatures of an Arrhenius series, K.
pub const TEMPERATURES_K: [f64; 5] = [300.0, 350.0, 400.0, 450.0, 500.0];
/// Independent replicas per temperature.
pub const REPLICAS: usize = 4;
/// Measured blocks per replica.
pub const BLOCKS: usize = 16;
/// Block length, hops per mobile ion.
pub const HOPS_PER_ION_PER_BLOCK: f64 = 50.0;
/// Equilibration before the first block, hops per mobile ion.
pub const EQUILIBRATION_HOPS_PER_ION: f64 = 100.0;
/// Sites closer than this may not be occupied together, Å (docs/physics.md §5.4).
pub const BLOCKING_DISTANCE_ANG: f64 = 2.5;
/// Automatic supercells hold at least this many mobile ions.
pub const MIN_IONS: usize = 128;
/// Uncalibrated attempt frequency, s⁻¹ (the calibrated default is data:
/// `halo_data::calibration::kmc_attempt_frequency`).
pub const UNCALIBRATED_ATTEMPT_FREQUENCY_HZ: f64 = 1e13;
