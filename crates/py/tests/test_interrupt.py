"""Ctrl-C (SIGINT) stops a long kMC promptly: KeyboardInterrupt, the worker thread joined."""

import os
import signal
import threading
import time

import pytest

import halo


@pytest.mark.skipif(os.name != "posix", reason="SIGINT via os.kill")
def test_sigint_stops_a_long_kmc(spinel_path, in_repo):
    s = halo.Structure.from_file(spinel_path)
    before = threading.active_count()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # about 1e9 hops per temperature: many minutes if it were not stopped
            halo.kmc(s, temperatures=[300], replicas=1, blocks=2, hops_per_block=1e7)
        elapsed = time.monotonic() - t0
    finally:
        timer.cancel()
        timer.join()
    assert elapsed < 15, elapsed
    assert threading.active_count() == before
    # the module still works afterwards
    assert halo.inspect(s)["space_group_number"] == 227


def _e3d_in_worker(path):
    return halo.bvse(halo.Structure.from_file(path), resolution=0.5).e_3d_ev


def test_a_forked_worker_computes_after_the_parent_did(in_repo):
    """multiprocessing's default start method on Linux forks: a child of a process that has
    already run a parallel call inherited rayon's global pool without its threads, and its
    first parallel call waited forever. Each call now runs in a pool of its own."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    path = "structures/LiAlCl4_P21c_COD1004036.cif"
    here = _e3d_in_worker(path)
    with mp.get_context("fork").Pool(2) as pool:
        there = [r.get(timeout=60) for r in [pool.apply_async(_e3d_in_worker, (path,)) for _ in range(2)]]
    assert there == [here, here]
