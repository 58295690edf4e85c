#!/usr/bin/env python3
"""Side-by-side event throughput: kmcpy 0.3.0 vs halo-kmc on the same lattice gas.

Lattice: hard-core lattice gas on simple cubic L^3 (periodic), half filled, one barrier.
kmcpy: its own engine objects — Event / EventLib (with its event-dependency matrix), State, and
KMC.propose / KMC.update (np.cumsum over all events after each hop) — driven with a minimal
model whose compute_probability is nu0*exp(-Eb/kT) when exactly one end of the pair is
occupied. (kmcpy's shipped models are cluster-expansion models fitted to NEB data; the model
cost is excluded here, so the kmcpy figure is an upper bound on its speed for this lattice.)
halo: `cargo run --release -p halo-kmc --example throughput -- L` (events per CPU-second; the
example also runs the ideal spinel model and the real Li2In1/3Sc1/3Cl4 site graph).

Usage: python3 scripts/bench/kmc_vs_kmcpy.py [--edge 10] [--events 20000]
"""
import argparse
import math
import os
import re
import subprocess
import time
import types

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kmcpy_rate(edge, n_events, seed=1):
    import logging
    logging.disable(logging.WARNING)
    from kmcpy.event import Event, EventLib
    from kmcpy.simulator.kmc import KMC
    from kmcpy.simulator.state import State

    L = edge
    idx = lambda x, y, z: ((x % L) * L + (y % L)) * L + (z % L)
    n = L ** 3
    nbr = [[] for _ in range(n)]
    lib = EventLib()
    bonds = [(idx(x, y, z), idx(x + d[0], y + d[1], z + d[2]))
             for x in range(L) for y in range(L) for z in range(L)
             for d in [(1, 0, 0), (0, 1, 0), (0, 0, 1)]]
    for a, b in bonds:
        nbr[a].append(b)
        nbr[b].append(a)
    for a, b in bonds:  # environments need the complete neighbour lists
        env = tuple(sorted(set(nbr[a] + nbr[b]) - {a, b}))
        lib.add_event(Event((a, b), env))
    lib.generate_event_dependencies()

    rate = 1e13 * math.exp(-0.3 / (8.617333262e-5 * 400.0))

    class PairModel:
        def compute_probability(self, event, runtime_config=None, simulation_state=None):
            a, b = event.mobile_ion_indices
            occ = simulation_state.occupations
            return rate if occ[a] != occ[b] else 0.0

    rng = np.random.default_rng(seed)
    occ = [0] * n
    for s in rng.permutation(n)[: n // 2]:
        occ[int(s)] = 1
    kmc = KMC.__new__(KMC)
    kmc.simulation_state = State(occupations=occ)
    kmc.model = PairModel()
    kmc.event_lib = lib
    kmc.config = types.SimpleNamespace(runtime_config=None)
    kmc.rng = rng
    kmc.prob_list = np.array([kmc.model.compute_probability(e, None, kmc.simulation_state) for e in lib.events])
    kmc.prob_cum_list = np.cumsum(kmc.prob_list)
    c0 = time.process_time()
    for _ in range(n_events):
        event, dt = kmc.propose(lib.events)
        kmc.update(event, dt)  # State.apply_event swaps the two occupations
    c1 = time.process_time()
    return n_events / (c1 - c0)


def halo_rate(edge):
    env = dict(os.environ)
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "halo-kmc", "--example", "throughput", "--", str(edge)],
        cwd=ROOT, capture_output=True, text=True, env=env, check=True).stdout
    for line in out.splitlines():
        m = re.search(r"lattice gas sc c=0.5 (\d+)\^3 .*?([\d.]+) M events/CPU-s", line)
        if m and int(m.group(1)) == edge:
            return float(m.group(2)) * 1e6
    raise SystemExit("halo throughput line for edge %d not found:\n%s" % (edge, out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edge", type=int, default=10, help="L of the L^3 lattice")
    ap.add_argument("--events", type=int, default=20000)
    a = ap.parse_args()
    k = kmcpy_rate(a.edge, a.events)
    h = halo_rate(a.edge)
    print(f"lattice gas sc {a.edge}^3 = {a.edge**3} sites, c = 0.5")
    print(f"kmcpy 0.3.0 : {k:12.0f} events/CPU-s")
    print(f"halo-kmc    : {h:12.0f} events/CPU-s")
    print(f"ratio halo/kmcpy = {h / k:.0f}")


if __name__ == "__main__":
    main()
