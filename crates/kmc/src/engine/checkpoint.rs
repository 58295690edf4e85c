//! The state of a trajectory and its checkpoint (docs/physics.md §5.7): everything that
//! determines the continuation — occupancy, blocking counts, the energy model's field, clocks,
//! the RNG, the open block and the selector's ordered lists — in one serialisable struct. The
//! network and the sum trees are pure functions of it and are rebuilt on resume, so a resumed
//! trajectory continues bit-identically.
//!
//! Site exclusion (§5.4) is stated here once, in [`hop_allowed`]: one ion per site, and no two
//! ions closer than the blocking distance.

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::observables::BlockRecord;
use super::placement::Placement;

/// Marker for an empty site.
pub const EMPTY: u32 = u32::MAX;

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
    /// Repulsion field φ_i = Σ_occupied V(r_ij), eV, kept by the energy model (empty for the
    /// single-particle model).
    pub field_ev: Vec<f64>,
    /// exp(−φ_i/(2k_BT)) per site, a pure function of `field_ev` kept beside it by the energy
    /// model so that a hop rate is a product instead of an exponential (not serialised:
    /// restored from `field_ev` on resume, [`super::EnergyModel::restore_state`]).
    #[serde(skip)]
    pub field_factor: Vec<f64>,
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
    /// Rate-group selector ([`super::selector::RateGroups`], models with constant barriers): the
    /// currently allowed directed hops of each group, in list order (the order decides which hop
    /// a random number picks, so it is part of the state). Empty with the per-site tree.
    #[serde(default)]
    pub group_lists: Vec<Vec<u32>>,
}

impl TrajectoryCheckpoint {
    /// The state right after placement: no time, no events, no block open.
    pub(crate) fn fresh(
        net: &SupercellNetwork,
        config: TrajectoryConfig,
        placed: Placement,
        rng: Xoshiro256PlusPlus,
    ) -> TrajectoryCheckpoint {
        let n_ions = placed.ion_site.len();
        let mut class_count = vec![0u64; net.class_names.len()];
        for &s in &placed.ion_site {
            class_count[net.site_class[s as usize] as usize] += 1;
        }
        TrajectoryCheckpoint {
            network_fingerprint: net.fingerprint(),
            config,
            occupant: placed.occupant,
            ion_site: placed.ion_site,
            disp_ang: vec![[0.0; 3]; n_ions],
            block_count: placed.block_count,
            field_ev: Vec::new(),
            field_factor: Vec::new(),
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
        }
    }

    /// Check that the checkpoint belongs to `net` and that its arrays are consistent (the
    /// energy model checks its field and the selector its lists on top of this).
    pub(crate) fn validate(&self, net: &SupercellNetwork) -> Result<(), KmcError> {
        if self.network_fingerprint != net.fingerprint() {
            return Err(KmcError::Checkpoint(
                "the checkpoint was taken on a different network or supercell".into(),
            ));
        }
        let n = net.n_sites();
        let ni = self.ion_site.len();
        if self.occupant.len() != n
            || !(self.prev_block_disp_ang.is_empty() || self.prev_block_disp_ang.len() == ni)
            || self.block_count.len() != n
            || self.disp_ang.len() != ni
            || self.block_start_disp_ang.len() != ni
            || self.class_count.len() != net.class_names.len()
        {
            return Err(KmcError::Checkpoint("array sizes do not match".into()));
        }
        for (ion, &s) in self.ion_site.iter().enumerate() {
            if (s as usize) >= n || self.occupant[s as usize] != ion as u32 {
                return Err(KmcError::Checkpoint(format!(
                    "ion {ion} and site {s} disagree"
                )));
            }
        }
        Ok(())
    }

    /// Move the ion on site `i` to site `j` (the occupancy and blocking part of a hop; the
    /// energy model updates its field, [`super::observables`] the clocks and displacements).
    /// Returns the ion.
    #[inline(always)]
    pub(crate) fn move_ion(&mut self, i: usize, j: usize, bi: &[u32], bj: &[u32]) -> u32 {
        let ion = self.occupant[i];
        self.occupant[i] = EMPTY;
        self.occupant[j] = ion;
        self.ion_site[ion as usize] = j as u32;
        for &b in bi {
            self.block_count[b as usize] -= 1;
        }
        for &b in bj {
            self.block_count[b as usize] += 1;
        }
        ion
    }
}

/// Is directed hop `h` possible now (§5.4): source occupied, target empty and not blocked by any
/// ion other than the mover itself.
#[inline(always)]
pub fn hop_allowed(
    net: &SupercellNetwork,
    occupant: &[u32],
    block_count: &[u16],
    h: usize,
) -> bool {
    let j = net.hop_to[h] as usize;
    occupant[net.hop_from[h] as usize] != EMPTY
        && occupant[j] == EMPTY
        && block_count[j] == net.hop_self_block[h]
}
