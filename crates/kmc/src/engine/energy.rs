//! Energy models: what a configuration costs and how fast each hop goes (docs/physics.md §5.2).
//!
//! An [`EnergyModel`] gives the site and pair energies, the rate of a directed hop in the
//! current state, the sites whose hop rates a move changes beyond those the site exclusion
//! already names, and whether barriers are constant (so that the rate-group selector of
//! [`super::selector::RateGroups`] applies). Two implementations:
//!
//! - [`SingleParticle`] (the model halo runs): Γ_ij = ν0·exp(−(S_ij − E_i)/k_BT), a constant per
//!   directed hop; the ions interact only through site exclusion (§5.4).
//! - [`PairInteractions`] (optional Li–Li repulsion, [`crate::PairRepulsion`]: BVSE's
//!   A·erfc(r/λ)/r or a Yukawa A·exp(−r/λ)/r, up to a cutoff; the engine sees only the pair
//!   energies of the neighbour lists): the kinetically resolved activation barrier of Van der
//!   Ven et al. (Phys. Rev. B 64, 184307 (2001)),
//!   Γ = ν0·exp(−[E_KRA + (E_after − E_before)/2]/k_BT), E_KRA = S_ij − (E_i + E_j)/2. With the
//!   field φ_i = Σ_occupied V(r_ik) the energy change of i → j is
//!   ΔE = E_j − E_i + (φ_j − V_ij) − φ_i, so the exponent is (S_ij − E_i) + ½(φ_j − V_ij − φ_i).
//!
//! Both satisfy detailed balance exactly: a hop and its reverse share the saddle term, so their
//! rate ratio is the Boltzmann factor of the energy change, and the product of the rates around
//! any closed loop equals that of the reverse loop (tested in the engine's tests). A new model
//! implements [`EnergyModel`] and runs in a [`super::ModelTrajectory`] with the per-site tree
//! selector (or the rate groups, if its barriers are constant).

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;

use super::checkpoint::{hop_allowed, TrajectoryCheckpoint, TrajectoryConfig, EMPTY};

/// The energy side of a kMC model. The model's own mutable state (e.g. a field of pair
/// energies) lives in the trajectory state ([`TrajectoryCheckpoint::field_ev`]) so that it is
/// checkpointed; the model updates it in [`EnergyModel::move_ion`] and recomputes it from the
/// occupancy in [`EnergyModel::recompute_state`]. Every method is called through generics, so
/// the per-event calls are inlined.
pub trait EnergyModel {
    /// True when the rate of every directed hop is a constant of the hop (the ions interact only
    /// through site exclusion): then the hops of equal barrier form rate groups and the n-fold
    /// way of [`super::selector::RateGroups`] applies.
    fn constant_barriers(&self) -> bool;

    /// Energy of an ion on site `i`, eV.
    fn site_energy_ev(&self, i: usize) -> f64;

    /// Interaction energy of ions on sites `i` and `j`, eV (0 for non-interacting models).
    fn pair_energy_ev(&self, i: usize, j: usize) -> f64;

    /// Rate of directed hop `h` in state `st`, s⁻¹, for a hop that site exclusion allows
    /// ([`hop_allowed`]). Must satisfy detailed balance with the energies above.
    fn hop_rate(&self, st: &TrajectoryCheckpoint, h: usize) -> f64;

    /// Energy change, eV, of moving the ion on occupied site `i` to the empty site `j` in state
    /// `st` (any pair of sites, not only a hop: the Metropolis moves of [`super::metropolis`]).
    /// With pair energies and the field φ_k = Σ_{occupied l} V_kl this is
    /// ΔE = E_j − E_i + (φ_j − V_ij) − φ_i.
    fn move_energy_ev(&self, st: &TrajectoryCheckpoint, i: usize, j: usize) -> f64;

    /// Recompute the model's state (`st.field_ev`) from the occupancy (start and full rebuild).
    fn recompute_state(&self, st: &mut TrajectoryCheckpoint);

    /// Check the model's part of a checkpoint.
    fn check_state(&self, st: &TrajectoryCheckpoint) -> Result<(), KmcError>;

    /// Restore the derived, unserialised parts of the model's state from its serialised parts
    /// after a resume (bit-identical to the state that was checkpointed). Default: nothing.
    fn restore_state(&self, _st: &mut TrajectoryCheckpoint) {}

    /// Update the model's state for an ion moved from site `i` to site `j`.
    fn move_ion(&self, st: &mut TrajectoryCheckpoint, i: usize, j: usize);

    /// Append to `out` the sites whose outgoing or incoming hop rates the move i → j changes
    /// beyond i, j and their blocking neighbours (which change through site exclusion and are
    /// handled by the selectors): for a pair interaction, the interaction neighbours of i and j.
    /// Sites may repeat.
    fn affected_sites(&self, i: usize, j: usize, out: &mut Vec<u32>);

    /// Total energy of ions on `occupied`, eV: Σ_i E_i + Σ_{pairs} V_ij (for tests and
    /// diagnostics; O(n²)).
    fn configuration_energy_ev(&self, occupied: &[usize]) -> f64 {
        let mut e = 0.0;
        for (k, &i) in occupied.iter().enumerate() {
            e += self.site_energy_ev(i);
            for &j in &occupied[k + 1..] {
                e += self.pair_energy_ev(i, j);
            }
        }
        e
    }
}

/// Rate of directed hop `h` now: the model's rate if site exclusion allows the hop, else 0.
#[inline]
pub(crate) fn allowed_rate<M: EnergyModel>(
    net: &SupercellNetwork,
    model: &M,
    st: &TrajectoryCheckpoint,
    h: usize,
) -> f64 {
    if !hop_allowed(net, &st.occupant, &st.block_count, h) {
        return 0.0;
    }
    model.hop_rate(st, h)
}

/// Total rate out of site `i` now (0 when empty), summed over its hops in order.
#[inline]
pub(crate) fn site_rate<M: EnergyModel>(
    net: &SupercellNetwork,
    model: &M,
    st: &TrajectoryCheckpoint,
    i: usize,
) -> f64 {
    if st.occupant[i] == EMPTY {
        return 0.0;
    }
    let mut r = 0.0;
    for h in net.hops_of(i) {
        r += allowed_rate(net, model, st, h);
    }
    r
}

/// The single-particle model (docs/physics.md §5.2): Γ_ij = ν0·exp(−(S_ij − E_i)/k_BT), one
/// constant per directed hop, tabulated at construction.
pub struct SingleParticle<'a> {
    net: &'a SupercellNetwork,
    /// Γ per directed hop, s⁻¹.
    rate: Vec<f64>,
}

impl<'a> SingleParticle<'a> {
    /// The model on `net` at the temperature and attempt frequency of `config`.
    pub fn new(
        net: &'a SupercellNetwork,
        config: &TrajectoryConfig,
    ) -> Result<SingleParticle<'a>, KmcError> {
        let beta = config.beta_per_ev()?;
        let rate = net
            .hop_barrier_ev
            .iter()
            .map(|b| config.attempt_frequency_hz * (-b * beta).exp())
            .collect();
        Ok(SingleParticle { net, rate })
    }
}

impl EnergyModel for SingleParticle<'_> {
    #[inline(always)]
    fn constant_barriers(&self) -> bool {
        true
    }

    fn site_energy_ev(&self, i: usize) -> f64 {
        self.net.site_energy_ev[i]
    }

    fn pair_energy_ev(&self, _i: usize, _j: usize) -> f64 {
        0.0
    }

    #[inline(always)]
    fn hop_rate(&self, _st: &TrajectoryCheckpoint, h: usize) -> f64 {
        self.rate[h]
    }

    /// ΔE = E_j − E_i (no pair terms).
    fn move_energy_ev(&self, _st: &TrajectoryCheckpoint, i: usize, j: usize) -> f64 {
        self.net.site_energy_ev[j] - self.net.site_energy_ev[i]
    }

    fn recompute_state(&self, _st: &mut TrajectoryCheckpoint) {}

    fn check_state(&self, _st: &TrajectoryCheckpoint) -> Result<(), KmcError> {
        Ok(())
    }

    #[inline(always)]
    fn move_ion(&self, _st: &mut TrajectoryCheckpoint, _i: usize, _j: usize) {}

    #[inline(always)]
    fn affected_sites(&self, _i: usize, _j: usize, _out: &mut Vec<u32>) {}
}

/// Site energies plus the screened-Coulomb (Yukawa) pair repulsion of the supercell network
/// ([`SupercellNetwork::interactions_of`]), with kinetically resolved barriers (see the module
/// documentation; docs/physics.md §5.2). The field φ_i = Σ_occupied V(r_ik) is kept in the
/// state's `field_ev`.
///
/// Evaluation: with g_i = exp(−βφ_i/2) kept per site beside the field
/// ([`TrajectoryCheckpoint::field_factor`]) and the per-hop constant
/// c_h = ν0·exp(−β(S_ij − E_i − V_ij/2)), the rate is Γ_h = c_h·g_j/g_i — a product, so a move
/// costs one exponential per site whose field changed instead of one per re-evaluated hop.
pub struct PairInteractions<'a> {
    net: &'a SupercellNetwork,
    /// β/2, eV⁻¹.
    half_beta: f64,
    /// c_h = ν0·exp(−β(S − E_i − V_ij/2)) per directed hop, s⁻¹.
    hop_factor: Vec<f64>,
}

impl<'a> PairInteractions<'a> {
    /// The model on `net` (its interaction lists; none without repulsion) at the temperature
    /// and attempt frequency of `config`.
    pub fn new(
        net: &'a SupercellNetwork,
        config: &TrajectoryConfig,
    ) -> Result<PairInteractions<'a>, KmcError> {
        let beta = config.beta_per_ev()?;
        let hop_factor = net
            .hop_barrier_ev
            .iter()
            .zip(&net.hop_pair_ev)
            .map(|(b, v)| config.attempt_frequency_hz * (-(b - 0.5 * v) * beta).exp())
            .collect();
        Ok(PairInteractions {
            net,
            half_beta: 0.5 * beta,
            hop_factor,
        })
    }
}

impl EnergyModel for PairInteractions<'_> {
    fn constant_barriers(&self) -> bool {
        false
    }

    fn site_energy_ev(&self, i: usize) -> f64 {
        self.net.site_energy_ev[i]
    }

    fn pair_energy_ev(&self, i: usize, j: usize) -> f64 {
        let (nb, v) = self.net.interactions_of(i);
        nb.binary_search(&(j as u32)).map_or(0.0, |k| v[k])
    }

    #[inline]
    fn hop_rate(&self, st: &TrajectoryCheckpoint, h: usize) -> f64 {
        let net = self.net;
        let (i, j) = (net.hop_from[h] as usize, net.hop_to[h] as usize);
        // ν0·exp(−[E_KRA + ΔE/2]/k_BT) with E_KRA = S − (E_i + E_j)/2 and
        // ΔE = E_j − E_i + (φ_j − V_ij) − φ_i  ⇒  exponent = (S − E_i − V_ij/2) + ½(φ_j − φ_i)
        // = c_h · g_j / g_i with g = exp(−βφ/2)
        let g = &st.field_factor;
        self.hop_factor[h] * g[j] / g[i]
    }

    /// ΔE = E_j − E_i + (φ_j − V_ij) − φ_i: φ_j counts the ion on i itself, which leaves.
    fn move_energy_ev(&self, st: &TrajectoryCheckpoint, i: usize, j: usize) -> f64 {
        let e = &self.net.site_energy_ev;
        let f = &st.field_ev;
        e[j] - e[i] + (f[j] - self.pair_energy_ev(i, j)) - f[i]
    }

    fn recompute_state(&self, st: &mut TrajectoryCheckpoint) {
        let n = self.net.n_sites();
        let mut field = vec![0.0; n];
        for (i, f) in field.iter_mut().enumerate() {
            let (nb, v) = self.net.interactions_of(i);
            for (k, &j) in nb.iter().enumerate() {
                if st.occupant[j as usize] != EMPTY {
                    *f += v[k];
                }
            }
        }
        st.field_factor = field.iter().map(|f| (-self.half_beta * f).exp()).collect();
        st.field_ev = field;
    }

    fn restore_state(&self, st: &mut TrajectoryCheckpoint) {
        st.field_factor = st
            .field_ev
            .iter()
            .map(|f| (-self.half_beta * f).exp())
            .collect();
    }

    fn check_state(&self, st: &TrajectoryCheckpoint) -> Result<(), KmcError> {
        if st.field_ev.len() != self.net.n_sites() {
            return Err(KmcError::Checkpoint("array sizes do not match".into()));
        }
        Ok(())
    }

    #[inline]
    fn move_ion(&self, st: &mut TrajectoryCheckpoint, i: usize, j: usize) {
        let (nb, ve) = self.net.interactions_of(i);
        for (k, &s) in nb.iter().enumerate() {
            st.field_ev[s as usize] -= ve[k];
        }
        let (nb, ve) = self.net.interactions_of(j);
        for (k, &s) in nb.iter().enumerate() {
            st.field_ev[s as usize] += ve[k];
        }
        for &s in self
            .net
            .interactions_of(i)
            .0
            .iter()
            .chain(self.net.interactions_of(j).0)
        {
            let s = s as usize;
            st.field_factor[s] = (-self.half_beta * st.field_ev[s]).exp();
        }
    }

    #[inline]
    fn affected_sites(&self, i: usize, j: usize, out: &mut Vec<u32>) {
        out.extend_from_slice(self.net.interactions_of(i).0);
        out.extend_from_slice(self.net.interactions_of(j).0);
    }
}
