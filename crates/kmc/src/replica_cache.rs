//! Replica trajectories kept between runs on the same network ([`crate::simulate_cached`]).
//!
//! A replica's trajectory is a function of the supercell network, the parameters that shape a
//! trajectory, its temperature and its index: its random numbers are the stream (seed, T,
//! replica) of [`crate::engine::stream_rng`], which does not depend on the other temperatures or
//! on how many replicas the run has. A caller that runs the kMC on one network several times at
//! overlapping temperatures (grounding the occupancies runs it at the refinement's temperature,
//! then the run at the run's temperatures with the same site energies: docs/physics.md §9.15)
//! can therefore take the replicas an earlier run made instead of running them again, and the
//! result is bit for bit the one a fresh run gives.
//!
//! The key is a 128-bit hash of the network and of every parameter except the three that only
//! say *which* trajectories a run makes (`temperatures_k`, `replicas`, `replica_target`),
//! together with the temperature's bits and the replica index. Any other difference (a site
//! energy in the last digit, a seed, a block length) gives another key, and nothing is reused.

use crate::{HopNetwork, KmcParams, ReplicaOutput};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The network and trajectory-shaping parameters of a run, hashed (module documentation).
pub(crate) type RunKey = (u64, u64);

/// Replica trajectories of earlier runs, by run, temperature and replica (module documentation).
/// Shared by reference between runs (and threads); it only grows, so keep one per structure and
/// call, not for a whole campaign.
#[derive(Default)]
pub struct ReplicaCache {
    kept: Mutex<HashMap<(RunKey, u64, usize), ReplicaOutput>>,
    reused: AtomicUsize,
}

impl ReplicaCache {
    /// Replica trajectories taken from the cache instead of being run.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::Relaxed)
    }

    /// Replica trajectories kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Nothing kept yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn get(
        &self,
        run: RunKey,
        temperature_k: f64,
        replica: usize,
    ) -> Option<ReplicaOutput> {
        let hit = self
            .lock()
            .get(&(run, temperature_k.to_bits(), replica))
            .cloned();
        if hit.is_some() {
            self.reused.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    pub(crate) fn insert(
        &self,
        run: RunKey,
        temperature_k: f64,
        replica: usize,
        output: &ReplicaOutput,
    ) {
        self.lock()
            .insert((run, temperature_k.to_bits(), replica), output.clone());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(RunKey, u64, usize), ReplicaOutput>> {
        // inserts are single calls: a panic elsewhere leaves the map whole
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The run key of `net` and `params` (module documentation): two SipHash digests with different
/// prefixes of their JSON, streamed (shortest round-trip floats, so distinct values hash apart).
/// `None` if they do not serialise (then nothing is kept or reused).
pub(crate) fn run_key(net: &HopNetwork, params: &KmcParams) -> Option<RunKey> {
    let mut shaping = params.clone();
    shaping.temperatures_k.clear();
    shaping.replicas = 0;
    shaping.replica_target = None;
    let digest = |prefix: u8| {
        let mut w = HashWriter(DefaultHasher::new());
        w.0.write_u8(prefix);
        serde_json::to_writer(&mut w, &(net, &shaping)).ok()?;
        Some(w.0.finish())
    };
    Some((digest(0)?, digest(1)?))
}

struct HashWriter(DefaultHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::ideal;
    use crate::{simulate, simulate_cached, MobileIons, SupercellChoice};

    fn params(temperatures_k: Vec<f64>) -> KmcParams {
        let mut p = KmcParams::new(temperatures_k);
        p.mobile_ions = MobileIons::Fraction(0.3);
        p.supercell = SupercellChoice::Fixed([4, 4, 4]);
        p.blocking_distance_ang = 0.0;
        p.replicas = 2;
        p.blocks_per_replica = 4;
        p.hops_per_ion_per_block = 5.0;
        p.equilibration_hops_per_ion = 5.0;
        p
    }

    fn json<T: serde::Serialize>(x: &T) -> String {
        serde_json::to_string(x).unwrap()
    }

    /// A run at one temperature, then one at two: the second takes the first's replicas at the
    /// shared temperature and equals a fresh run to the bit; a changed site energy or seed
    /// reuses nothing.
    #[test]
    fn a_shared_temperature_is_reused_and_the_result_is_a_fresh_runs() {
        let net = ideal::simple_cubic(2.5, 0.3);
        let cache = ReplicaCache::default();
        let first = simulate_cached(&net, &params(vec![400.0]), None, Some(&cache)).unwrap();
        assert_eq!((cache.len(), cache.reused()), (2, 0));
        let both = params(vec![400.0, 500.0]);
        let cached = simulate_cached(&net, &both, None, Some(&cache)).unwrap();
        assert_eq!(cache.reused(), 2, "the two 400 K replicas");
        assert_eq!(cache.len(), 4);
        let fresh = simulate(&net, &both).unwrap();
        assert_eq!(json(&cached), json(&fresh));
        assert_eq!(json(&first.temperatures[0]), json(&fresh.temperatures[0]));

        let mut other = net.clone();
        other.sites[0].energy_ev += 1e-12;
        simulate_cached(&other, &both, None, Some(&cache)).unwrap();
        let mut reseeded = both.clone();
        reseeded.seed = 1;
        simulate_cached(&net, &reseeded, None, Some(&cache)).unwrap();
        assert_eq!(cache.reused(), 2, "nothing reused across networks or seeds");
        assert_eq!(cache.len(), 12);
    }
}
