#!/usr/bin/env python3
"""A/B comparison of two builds of the kMC throughput example, run side by side.

On a shared or frequency-scaled VM the speed of one core drifts by ±20 % within minutes, so two
builds timed one after the other are not comparable. This script starts both at the same time,
each pinned to its own core (taskset), swaps the cores every round, and reports the median of
the per-round ratios B/A (plus each build's median and best events per CPU-second).

    cargo build --release -p halo-kmc --example throughput
    cp target/release/examples/throughput /tmp/tp_a      # before a change
    ...                                                    # change, rebuild
    cp target/release/examples/throughput /tmp/tp_b
    python3 scripts/bench/kmc_pair.py /tmp/tp_a /tmp/tp_b --rounds 10 -- 22 46

Arguments after `--` go to the example (simple-cubic edges); `--lattice-only` skips the spinel
graphs; `--events N` sets HALO_KMC_EVENTS (default 600000). Needs two cores and taskset.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys


def parse(out):
    rows = []
    for line in out.splitlines():
        m = re.search(r"([0-9.]+) M events/CPU-s", line)
        if m:
            label = re.match(r"^(.*?)\s+sites\s+\d+", line)
            rows.append((label.group(1) if label else line[:36], float(m.group(1))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--events", type=int, default=600_000)
    ap.add_argument("--lattice-only", action="store_true")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    o = ap.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    o.args = extra
    env = dict(os.environ, HALO_KMC_EVENTS=str(o.events))
    if o.lattice_only:
        env["HALO_KMC_LATTICE_ONLY"] = "1"
    labels, ra, rb = [], {}, {}
    for r in range(o.rounds):
        ca, cb = ("0", "1") if r % 2 == 0 else ("1", "0")
        pa = subprocess.Popen(["taskset", "-c", ca, o.a, *o.args], env=env, stdout=subprocess.PIPE, text=True)
        pb = subprocess.Popen(["taskset", "-c", cb, o.b, *o.args], env=env, stdout=subprocess.PIPE, text=True)
        xa, xb = parse(pa.communicate()[0]), parse(pb.communicate()[0])
        for path, proc in ((o.a, pa), (o.b, pb)):
            if proc.returncode:
                raise SystemExit(f"{path} exited with status {proc.returncode}")
        if [l for l, _ in xa] != [l for l, _ in xb]:
            raise SystemExit(f"the builds ran different cases: {[l for l, _ in xa]} vs {[l for l, _ in xb]}")
        if not xa:
            raise SystemExit(f"no 'M events/CPU-s' line in the output of {o.a}")
        for (label, x), (_, y) in zip(xa, xb):
            if label not in ra:
                labels.append(label)
                ra[label], rb[label] = [], []
            ra[label].append(x)
            rb[label].append(y)
    print(f"{'case':<36} {'B/A median':>10}  {'A med/best':>14}  {'B med/best':>14}  (M events/CPU-s)")
    for label in labels:
        ratio = statistics.median(y / x for x, y in zip(ra[label], rb[label]))
        print(
            f"{label:<36} {ratio:>10.3f}  {statistics.median(ra[label]):>6.3f}/{max(ra[label]):<6.3f}"
            f"  {statistics.median(rb[label]):>6.3f}/{max(rb[label]):<6.3f}"
        )


if __name__ == "__main__":
    main()
