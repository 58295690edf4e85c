//! Initial placement (docs/physics.md §5.5): random sequential addition in a Boltzmann-weighted
//! random order. Site i gets the key ln(−ln u_i) + (E_i − E_min)/k_BT (u_i uniform from the
//! stream RNG, one draw per site in site order) and sites are tried by increasing key — weighted
//! sampling without replacement with weights exp(−E_i/k_BT) (Efraimidis & Spirakis, Inf.
//! Process. Lett. 97, 181 (2006)); a site is taken when it is empty and no occupied site lies
//! within the blocking distance (§5.4). Equal site energies give a uniformly random order. The
//! weighting keeps ions off high-energy sites that a uniform start would fill and that they
//! could not leave within the simulated time (a spinel 8a site 2 eV up behind a 1.5 eV barrier
//! holds an ion for ~1 s at 300 K, 10⁶ times the run).
//!
//! Placement equilibrates the ions on the network before measuring: the weighting above is the
//! single-particle one (exact without interactions and hard cores, an approximation with them);
//! the Metropolis sweeps of [`super::metropolis`] (optional,
//! [`crate::KmcParams::metropolis_sweeps_per_ion`]) then bring the configuration to the
//! Boltzmann distribution of the full model, P(C) ∝ exp(−[Σ_{i∈C} E_i + Σ_{pairs ⊂ C} V_ij]/k_BT),
//! before the kMC equilibration. [`super::Trajectory::with_sites`] puts the ions on given sites
//! instead (scripted starts and tests).

use crate::error::KmcError;
use crate::supercell::SupercellNetwork;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::checkpoint::EMPTY;
use super::energy::EnergyModel;

/// Where the ions start.
pub(crate) struct Placement {
    /// Ion on each site, or [`EMPTY`].
    pub occupant: Vec<u32>,
    /// Occupied blocking neighbours of each site.
    pub block_count: Vec<u16>,
    /// Site of each ion, in placement order.
    pub ion_site: Vec<u32>,
}

/// An error unless `n_ions` is in 1..=sites.
pub(crate) fn check_ion_count(net: &SupercellNetwork, n_ions: usize) -> Result<(), KmcError> {
    let n = net.n_sites();
    if n_ions == 0 || n_ions > n {
        return Err(KmcError::InvalidParameter {
            name: "mobile_ions",
            reason: format!("{n_ions} ions on {n} sites"),
        });
    }
    Ok(())
}

/// Place `n_ions` by Boltzmann-weighted random sequential addition with the site energies of
/// `model` at k_BT = `kt_ev` (see the module documentation); an error when the blocking
/// distance leaves no room for them.
pub(crate) fn place<M: EnergyModel>(
    net: &SupercellNetwork,
    model: &M,
    kt_ev: f64,
    n_ions: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Placement, KmcError> {
    check_ion_count(net, n_ions)?;
    let n = net.n_sites();
    let e_min = (0..n)
        .map(|i| model.site_energy_ev(i))
        .fold(f64::INFINITY, f64::min);
    let keys: Vec<f64> = (0..n)
        .map(|i| {
            let u: f64 = rng.random();
            (-(1.0 - u).ln()).ln() + (model.site_energy_ev(i) - e_min) / kt_ev
        })
        .collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    // stable: equal keys keep index order (portable and deterministic)
    order.sort_by(|&a, &b| keys[a as usize].total_cmp(&keys[b as usize]));
    let mut occupant = vec![EMPTY; n];
    let mut block_count = vec![0u16; n];
    let mut ion_site = Vec::with_capacity(n_ions);
    for &s in &order {
        if ion_site.len() == n_ions {
            break;
        }
        let s = s as usize;
        if occupant[s] == EMPTY && block_count[s] == 0 {
            occupant[s] = ion_site.len() as u32;
            ion_site.push(s as u32);
            for &b in net.blockers_of(s) {
                block_count[b as usize] += 1;
            }
        }
    }
    if ion_site.len() < n_ions {
        return Err(KmcError::Placement {
            ions: n_ions,
            sites: n,
            blocking_distance_ang: net.blocking_distance_ang,
            placed: ion_site.len(),
        });
    }
    Ok(Placement {
        occupant,
        block_count,
        ion_site,
    })
}

/// Place one ion on each of `sites` (ion k on `sites[k]`); an error if a site is out of range,
/// repeated, or within the blocking distance of another of them.
pub(crate) fn place_on(net: &SupercellNetwork, sites: &[usize]) -> Result<Placement, KmcError> {
    check_ion_count(net, sites.len())?;
    let n = net.n_sites();
    let mut occupant = vec![EMPTY; n];
    let mut block_count = vec![0u16; n];
    let mut ion_site = Vec::with_capacity(sites.len());
    for &s in sites {
        if s >= n || occupant[s] != EMPTY || block_count[s] != 0 {
            return Err(KmcError::InvalidParameter {
                name: "sites",
                reason: format!(
                    "site {s} is out of range, repeated or within the blocking distance of another ion"
                ),
            });
        }
        occupant[s] = ion_site.len() as u32;
        ion_site.push(s as u32);
        for &b in net.blockers_of(s) {
            block_count[b as usize] += 1;
        }
    }
    Ok(Placement {
        occupant,
        block_count,
        ion_site,
    })
}
