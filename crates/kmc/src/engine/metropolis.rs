//! Metropolis equilibration of the placement (docs/physics.md §5.5): a lattice-gas Monte Carlo
//! with non-local moves, run after the Boltzmann-weighted placement ([`super::placement`]) and
//! before the kMC equilibration, so that the ions start from the equilibrium distribution of the
//! energy model — interactions included — instead of the single-particle weights of the
//! placement.
//!
//! One move:
//!
//! 1. pick a uniformly random ion (its site i) and a uniformly random site j of the supercell;
//! 2. reject if j is occupied, or if j lies within the blocking distance of any occupied site
//!    other than i: `block_count[j] − [i is a blocking neighbour of j] > 0` (§5.4);
//! 3. otherwise the energy change of moving the ion i → j is
//!    ΔE = E_j − E_i + (φ_j − V_ij) − φ_i, with φ_k = Σ_{occupied l} V(r_kl) the pair field the
//!    model keeps ([`super::TrajectoryCheckpoint::field_ev`]) and V_ij the pair energy of i and j
//!    ([`super::EnergyModel::move_energy_ev`]; the pair terms are 0 for the single-particle
//!    model);
//! 4. accept with probability min(1, exp(−ΔE/k_BT)) (a uniform number is drawn only when
//!    ΔE > 0).
//!
//! The proposal is symmetric (the reverse move picks the same ion, now on j, and the site i, each
//! with the same probability 1/(N_ions·N_sites)) and every allowed configuration can reach every
//! other by moves that each relocate one ion, so the chain satisfies detailed balance with
//! respect to, and converges to, the Boltzmann distribution
//! P(C) ∝ exp(−[Σ_{i∈C} E_i + Σ_{pairs ⊂ C} V_ij]/k_BT) over the configurations that site
//! exclusion allows — the distribution the kMC samples in time.
//!
//! An accepted move updates the occupancy, the blocking counts, the class counts and the model's
//! field exactly as a hop does, but it is not a displacement: the unwrapped displacements, the
//! clock and the event count are not touched. The random numbers come from the trajectory's own
//! stream, so equilibrated runs stay seeded and bit-reproducible; with zero moves nothing is
//! drawn. The caller ([`super::ModelTrajectory::metropolis`]) rebuilds the event selector from
//! scratch afterwards, so the state after the sweeps is an ordinary state (checkpoint and resume
//! apply unchanged). The field is not recomputed there (the kMC's periodic full rebuild does
//! it): whether a uniform number is drawn depends on the sign of ΔE, so a recomputed field —
//! equal up to round-off — could shift the stream, and the result would depend on how the moves
//! are split into calls.

use crate::supercell::SupercellNetwork;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::checkpoint::{TrajectoryCheckpoint, EMPTY};
use super::energy::EnergyModel;

/// Counts of a Metropolis equilibration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetropolisStats {
    /// Moves attempted.
    pub moves: u64,
    /// Moves rejected by site exclusion (target occupied or within the hard core of another
    /// ion).
    pub excluded: u64,
    /// Moves accepted.
    pub accepted: u64,
}

impl MetropolisStats {
    /// Accepted over attempted moves (0 without moves).
    pub fn acceptance(&self) -> f64 {
        if self.moves == 0 {
            0.0
        } else {
            self.accepted as f64 / self.moves as f64
        }
    }

    /// The counts of `self` followed by `other`.
    pub fn merged(self, other: MetropolisStats) -> MetropolisStats {
        MetropolisStats {
            moves: self.moves + other.moves,
            excluded: self.excluded + other.excluded,
            accepted: self.accepted + other.accepted,
        }
    }
}

/// Whether an ion on site `i` may move to site `j` (any site, not only a hop target): j empty and
/// not within the blocking distance of any occupied site other than i.
#[inline]
pub(crate) fn transfer_allowed(
    net: &SupercellNetwork,
    st: &TrajectoryCheckpoint,
    i: usize,
    j: usize,
) -> bool {
    if st.occupant[j] != EMPTY {
        return false;
    }
    // blocking lists are symmetric, sorted and without duplicates
    let self_block = u16::from(net.blockers_of(j).binary_search(&(i as u32)).is_ok());
    st.block_count[j] == self_block
}

/// Run `moves` Metropolis moves on the state `st` at β = `beta_per_ev` (see the module
/// documentation). Updates occupancy, blocking counts, class counts and the model's field; the
/// selector is left stale (the caller rebuilds it).
pub(crate) fn run<M: EnergyModel>(
    net: &SupercellNetwork,
    model: &M,
    st: &mut TrajectoryCheckpoint,
    beta_per_ev: f64,
    moves: u64,
) -> MetropolisStats {
    let n_ions = st.ion_site.len();
    let n_sites = net.n_sites();
    let mut stats = MetropolisStats {
        moves,
        ..MetropolisStats::default()
    };
    for _ in 0..moves {
        let ion = st.rng.random_range(0..n_ions);
        let j = st.rng.random_range(0..n_sites);
        let i = st.ion_site[ion] as usize;
        if !transfer_allowed(net, st, i, j) {
            stats.excluded += 1;
            continue;
        }
        let de = model.move_energy_ev(st, i, j);
        if de > 0.0 {
            let u: f64 = st.rng.random();
            if u >= (-beta_per_ev * de).exp() {
                continue;
            }
        }
        st.move_ion(i, j, net.blockers_of(i), net.blockers_of(j));
        st.class_count[net.site_class[i] as usize] -= 1;
        st.class_count[net.site_class[j] as usize] += 1;
        model.move_ion(st, i, j);
        stats.accepted += 1;
    }
    stats
}
