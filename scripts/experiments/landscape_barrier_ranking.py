#!/usr/bin/env python3
"""The best a carrier-count repair can rank: the landscape's own barrier (docs/physics.md §9.16).

A repair of the full-sublattice rows that changes only how many carriers a structure has — a
fixed extrinsic vacancy fraction, or interstitials forbidden and a defect fraction set by one
global constant — leaves the rate of each carrier to the landscape, so it ranks those structures
by their migration barrier at best (Ea = E_m for extrinsic carriers; E_m + E_F/2 with a formation
energy E_F the model would also need). This prints, for every row of the validation set, the
averaged landscape's percolation thresholds E_1D and E_3D (`halo bvse FILE --json`, defaults) next
to the measured σ and Ea, and the Spearman ρ per composition of log10 σ_measured against −E_3D:
over all compositions and over the full-sublattice ones (every composition but the three seed
spinels, docs/physics.md §9.12; read from the `li_sites_full` column `halo validate` wrote into
results/validation/validation.csv). Measurement only: nothing is fitted or built on it.

    cargo build --release
    python3 scripts/experiments/landscape_barrier_ranking.py
"""
import csv
import json
import math
import os
import subprocess

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HALO = os.environ.get("HALO_CLI", os.path.join(ROOT, "target", "release", "halo"))
SET_DIR = os.path.join(ROOT, "tests", "validation")
# halo validate's per-row classification of the input's Li sites (docs/physics.md §9.12)
VALIDATION_CSV = os.path.join(ROOT, "results", "validation", "validation.csv")


def ranks(x):
    """Ranks with ties averaged (as `halo validate`)."""
    order = sorted(range(len(x)), key=lambda i: x[i])
    r = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    return cov / math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))


def main():
    rows = list(csv.DictReader(open(os.path.join(SET_DIR, "validation_set.csv"))))
    full_by_id = {r["id"]: r["li_sites_full"] == "true"
                  for r in csv.DictReader(open(VALIDATION_CSV))}
    landscapes = {}
    by_formula = {}
    print("| id | measured σ (S/cm) | measured Ea (eV) | E_1D (eV) | E_3D (eV) |")
    print("|---|---|---|---|---|")
    for r in rows:
        path = os.path.join(SET_DIR, r["file"])
        if path not in landscapes:
            out = subprocess.run([HALO, "bvse", path, "--json"], capture_output=True, text=True,
                                 check=True).stdout
            landscapes[path] = json.loads(out)
        j = landscapes[path]
        sigma = float(r["sigma_rt_s_per_cm"])
        print(f"| {r['id']} | {sigma:.3g} | {r['ea_ev'] or '–'} | {j['e_1d_ev']:.3f} | "
              f"{j['e_3d_ev']:.3f} |")
        by_formula.setdefault(r["formula"], []).append(
            (math.log10(sigma), j["e_3d_ev"], full_by_id[r["id"]]))
    names = list(by_formula)
    log_sigma = [sum(s for s, _, _ in by_formula[n]) / len(by_formula[n]) for n in names]
    minus_e3d = [-sum(e for _, e, _ in by_formula[n]) / len(by_formula[n]) for n in names]
    full = [i for i, n in enumerate(names) if all(f for _, _, f in by_formula[n])]
    print()
    print(f"Spearman ρ per composition, log10 σ_measured vs −E_3D: all {len(names)}: "
          f"{spearman(log_sigma, minus_e3d):.3f}; full-sublattice {len(full)}: "
          f"{spearman([log_sigma[i] for i in full], [minus_e3d[i] for i in full]):.3f}")


if __name__ == "__main__":
    main()
