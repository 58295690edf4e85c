//! Landscapes and networks reused between the evaluations of one structure within one call of
//! [`super::evaluate`].
//!
//! Each model's chain has two parts: what depends on the structure and the model's settings
//! alone — the configuration (the explicit model's realisation), the BVSE landscape, the
//! percolation analysis and the kMC network built from its site graph — and what the
//! site-energy table, the hop barriers and the kMC temperatures do to that network. Grounding the
//! occupancies ([`super::grounding`]) runs the chain once per iteration with a new site-energy
//! table at one temperature and then once more at the run's temperatures: the first part is the
//! same every time (the same seeds give the same realisations). The models keep it here, under a
//! key that names everything it was built from besides the structure and the settings, and
//! rebuild nothing that is already kept.
//!
//! The kMC's replica trajectories are kept too ([`halo_kmc::ReplicaCache`]): the grounding's last
//! evaluation ran the kMC at its temperature with the fitted site energies, which is the run's
//! kMC at that temperature when the run has it, so the run takes those replicas instead of making
//! them again (bit for bit the same result).
//!
//! A cache belongs to one structure and one set of settings that may differ only in
//! `site_energies`, `hop_barriers`, `kmc.temperatures_k` and `stop`: [`super::evaluate`] makes
//! one per call and drops it at the end, so it is never shared across structures or settings.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Values built once per key (see the module documentation).
#[derive(Default)]
pub struct NetworkCache {
    kept: Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>,
    builds: AtomicUsize,
    replicas: halo_kmc::ReplicaCache,
}

impl NetworkCache {
    /// The value kept under `key`, or `build()`'s, kept for the next call when it succeeds (an
    /// error is returned and nothing is kept). A key holds one type: the model that writes it
    /// names it.
    pub fn get_or_build<T, E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        if let Some(v) = self.lock().get(key) {
            if let Ok(v) = Arc::clone(v).downcast::<T>() {
                return Ok(v);
            }
        }
        // built outside the lock: a build may take seconds, and nothing else waits on this key
        let v = Arc::new(build()?);
        self.builds.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(
            key.to_string(),
            Arc::clone(&v) as Arc<dyn Any + Send + Sync>,
        );
        Ok(v)
    }

    /// The kMC replica trajectories of this call's runs (module documentation).
    pub fn replicas(&self) -> &halo_kmc::ReplicaCache {
        &self.replicas
    }

    /// How many values were built (each key once, unless its build failed).
    pub fn builds(&self) -> usize {
        self.builds.load(Ordering::Relaxed)
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Nothing kept yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<dyn Any + Send + Sync>>> {
        // a panic while holding the lock leaves the map as it was (inserts are single calls)
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_built_once_per_key_and_a_failed_build_keeps_nothing() {
        let cache = NetworkCache::default();
        let mut builds = 0;
        let a = cache
            .get_or_build("a", || {
                builds += 1;
                Ok::<_, String>(vec![1.0, 2.0])
            })
            .unwrap();
        let again = cache
            .get_or_build("a", || {
                builds += 1;
                Ok::<_, String>(vec![9.0])
            })
            .unwrap();
        assert_eq!(builds, 1);
        assert_eq!(cache.builds(), 1);
        assert!(Arc::ptr_eq(&a, &again));
        let e = cache.get_or_build::<Vec<f64>, _>("b", || Err("no landscape".to_string()));
        assert_eq!(e.unwrap_err(), "no landscape");
        assert_eq!(cache.len(), 1);
        let b = cache
            .get_or_build("b", || Ok::<_, String>(vec![3.0]))
            .unwrap();
        assert_eq!(*b, vec![3.0]);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.builds(), 2, "the failed build is not counted");
    }
}
