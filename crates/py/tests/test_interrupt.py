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
