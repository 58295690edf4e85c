//! Long calls: the work runs on a worker thread with the GIL released while the calling thread
//! polls for signals, so Ctrl-C in Python interrupts it.
//!
//! On a pending signal (`py.check_signals()` raises, e.g. `KeyboardInterrupt`), the stop flag
//! is set (the kMC abandons its trajectories within `halo_kmc::STOP_CHECK_EVENTS` events; a
//! campaign stops starting candidates and records the finished ones), the worker is joined (no
//! orphaned thread) and the signal's exception is raised. Work without a stop flag (a BVSE
//! landscape) runs to its end first. A panic on the worker becomes `halo.InternalError`.

use crate::errors::{panic_message, Failure, HResult, Kind};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often the calling thread looks for signals while the worker runs.
const POLL: Duration = Duration::from_millis(20);

/// Run `work` on a worker thread with the GIL released; see the module documentation.
/// `stop` is set when a signal handler raises.
pub fn interruptible<T: Send>(
    py: Python<'_>,
    stop: &Arc<AtomicBool>,
    work: impl FnOnce() -> HResult<T> + Send,
) -> PyResult<T> {
    // the work runs in a thread pool of its own, not rayon's global one: a process forked
    // after a call (multiprocessing's default on Linux) inherits a global pool whose threads
    // do not exist in it, and the next parallel call there waited for them forever
    let pool = rayon::ThreadPoolBuilder::new().build().ok();
    std::thread::scope(|scope| {
        let handle = scope.spawn(move || match &pool {
            Some(p) => p.install(work),
            None => work(),
        });
        let mut pending: Option<PyErr> = None;
        while !handle.is_finished() {
            py.detach(|| std::thread::sleep(POLL));
            if pending.is_none() {
                if let Err(e) = py.check_signals() {
                    stop.store(true, Ordering::SeqCst);
                    pending = Some(e);
                }
            }
        }
        let result = handle
            .join()
            .unwrap_or_else(|p| Err(Failure::msg(Kind::Internal, panic_message(&*p))));
        match pending {
            Some(e) => Err(e),
            None => result.map_err(PyErr::from),
        }
    })
}

/// [`interruptible`] with a stop flag nobody reads: for work that cannot be abandoned midway.
pub fn detached<T: Send>(py: Python<'_>, work: impl FnOnce() -> HResult<T> + Send) -> PyResult<T> {
    interruptible(py, &Arc::new(AtomicBool::new(false)), work)
}
