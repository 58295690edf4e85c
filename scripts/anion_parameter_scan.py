#!/usr/bin/env python3
"""How the averaged model's numbers follow the spinel's one free coordinate, the anion
parameter x (Cl on 32e), and where the bond-valence sums put it.

For each Fd-3m CIF of structures/ the script rewrites the Cl row's x (the form x, x, 1-x of
these CIFs) over a grid of shifts, and for each copy records
  * the BVSE 3D percolation barrier (`halo bvse --json`, e_3d_ev) and the mean Li(8a)-Cl and
    M(16d)-Cl distances;
  * the global instability index GII = sqrt(sum_i w_i (S_i - V_i)^2 / sum_i w_i) over the
    framework ions (16d cations and Cl, each species weighted by its occupancy), with the bond
    valences s = exp((R0 - R)/b) of the landscape's own softBV parameters
    (crates/data/tables/bvse_params.csv), every bond with s >= 1e-6 (halo_bvse::relax's bond list)
    and every cation (mobile Li included, occupancy weighted) counted in the Cl sums;
  * optionally (--kmc) sigma(300 K) and Ea of `halo kmc` with the shipped defaults.
OBELiX-style noise (sigma = 0.01 fractional per axis, averaged back onto (x, x, 1-x)) moves x by
about 0.006 (one standard deviation); this scan says what such a shift does to the model, and
whether a bond-valence relaxation of x (the x of least GII) would land near the refined x.

    python3 scripts/anion_parameter_scan.py [--halo target/release/halo] [--kmc]

Writes results/anion_parameter_scan.{json,md}. Needs pymatgen.
"""
import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
from pymatgen.core import Structure  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPINELS = [
    "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif",
    "Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif",
    "Li2In0.444Sc0.222Cl4_Fd-3m_Zhou2022_neutron.cif",
]
SHIFTS = [-0.008, -0.006, -0.004, -0.002, 0.0, 0.002, 0.004, 0.006, 0.008]
VALENCE = {"Li": 1, "Sc": 3, "In": 3, "Cl": -1}
# bonds counted: s >= 1e-6, the bond list of halo_bvse::relax (Li-Cl 10.2 A, Sc-Cl 10.6 A)
MIN_BOND_VALENCE = 1e-6
NEIGHBOUR_RADIUS_ANG = 11.0


def bv_params():
    out = {}
    with open(os.path.join(ROOT, "crates/data/tables/bvse_params.csv")) as f:
        for r in csv.DictReader(f):
            if r["anion"] == "Cl" and r["anion_valence"] == "-1":
                out[(r["cation"], int(r["cation_valence"]))] = (float(r["R0_A"]), float(r["b_A"]))
    return out


def cl_row(text):
    """The Cl row of the atom-site loop and its x."""
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] == "Cl":
            return line, float(f[3])
    raise SystemExit("no Cl row")


def with_x(text, x):
    line, _ = cl_row(text)
    f = line.split()
    f[3], f[4], f[5] = f"{x:.6f}", f"{x:.6f}", f"{1 - x:.6f}"
    return text.replace(line, "  " + "  ".join(f))


def gii(path, params):
    s = Structure.from_file(path)
    num = den = 0.0
    d8a, d16d = [], []
    neigh = s.get_all_neighbors(NEIGHBOUR_RADIUS_ANG)
    for i, site in enumerate(s):
        occ = site.species.as_dict()
        for el, w in occ.items():
            v = VALENCE[el]
            if el == "Cl":
                total = 0.0
                for n in neigh[i]:
                    for el2, w2 in n.species.as_dict().items():
                        if el2 == "Cl":
                            continue
                        r0, b = params[(el2, VALENCE[el2])]
                        if n.nn_distance <= r0 - b * math.log(MIN_BOND_VALENCE):
                            total += w2 * math.exp((r0 - n.nn_distance) / b)
                num += w * (total - 1.0) ** 2
                den += w
                continue
            # cations: only the framework (16d, shared with a non-Li cation) enters the GII
            if not any(e != "Li" for e in occ):
                if len(occ) == 1 and el == "Li":
                    cl = sorted(n.nn_distance for n in neigh[i] if "Cl" in n.species.as_dict())
                    if len(cl) >= 4 and abs(cl[3] - cl[0]) < 1e-3 and cl[4] - cl[3] > 0.5:
                        d8a.append(sum(cl[:4]) / 4)  # a tetrahedral (8a) Li
                continue
            r0, b = params[(el, v)]
            cl = [n.nn_distance for n in neigh[i] if "Cl" in n.species.as_dict()]
            total = sum(math.exp((r0 - d) / b) for d in cl if d <= r0 - b * math.log(MIN_BOND_VALENCE))
            num += w * (total - v) ** 2
            den += w
            d16d.extend(sorted(cl)[:6])
    return math.sqrt(num / den), sum(d8a) / max(len(d8a), 1), sum(d16d) / max(len(d16d), 1)


def halo_json(halo, args):
    out = subprocess.run([halo, *args, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--halo", default=os.path.join(ROOT, "target/release/halo"))
    ap.add_argument("--kmc", action="store_true", help="also run halo kmc on every copy")
    a = ap.parse_args()
    params = bv_params()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SPINELS:
            text = open(os.path.join(ROOT, "structures", name)).read()
            _, x0 = cl_row(text)
            for dx in SHIFTS:
                p = os.path.join(tmp, f"x{dx:+.3f}_{name}")
                open(p, "w").write(with_x(text, x0 + dx))
                g, d8a, d16d = gii(p, params)
                b = halo_json(a.halo, ["bvse", p])
                row = dict(structure=name, x=x0 + dx, dx=dx, gii=g, d_8a_cl_ang=d8a,
                           d_16d_cl_ang=d16d, e_3d_ev=b["e_3d_ev"])
                if a.kmc:
                    k = halo_json(a.halo, ["kmc", p])
                    row["sigma_300k_s_per_cm"] = k["arrhenius"]["sigma_300k_s_per_cm"]
                    row["ea_ev"] = k["arrhenius"]["ea_ev"]
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    summary = []
    for name in SPINELS:
        r = [x for x in rows if x["structure"] == name]
        best = min(r, key=lambda x: x["gii"])
        ref = next(x for x in r if x["dx"] == 0.0)
        lo, hi = r[0], r[-1]
        summary.append(dict(
            structure=name, x_refined=ref["x"], x_least_gii=best["x"],
            gii_refined=ref["gii"], gii_least=best["gii"],
            de3d_dx_ev=(hi["e_3d_ev"] - lo["e_3d_ev"]) / (hi["x"] - lo["x"]),
            e_3d_refined_ev=ref["e_3d_ev"], e_3d_least_gii_ev=best["e_3d_ev"]))
    out = os.path.join(ROOT, "results")
    json.dump(dict(rows=rows, summary=summary, shifts=SHIFTS), open(f"{out}/anion_parameter_scan.json", "w"), indent=1)
    with open(f"{out}/anion_parameter_scan.md", "w") as f:
        f.write("# The spinel anion parameter x: the averaged model's sensitivity, and the x of least GII\n\n")
        f.write("`python3 scripts/anion_parameter_scan.py" + (" --kmc" if a.kmc else "") + "` (docs/physics.md §9.7).\n\n")
        cols = ["structure", "dx", "x", "d_8a_cl_ang", "d_16d_cl_ang", "gii", "e_3d_ev"] + (
            ["sigma_300k_s_per_cm", "ea_ev"] if a.kmc else [])
        f.write("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n")
        for r in rows:
            f.write("| " + " | ".join(
                r[c] if isinstance(r[c], str) else (f"{r[c]:.3e}" if c.startswith("sigma") else f"{r[c]:.4f}")
                for c in cols) + " |\n")
        f.write("\n| structure | x refined | x of least GII | GII refined | GII least | dE_3D/dx (eV) | E_3D refined | E_3D at least GII |\n|---|---|---|---|---|---|---|---|\n")
        for s in summary:
            f.write(f"| {s['structure']} | {s['x_refined']:.5f} | {s['x_least_gii']:.5f} | {s['gii_refined']:.3f} | "
                    f"{s['gii_least']:.3f} | {s['de3d_dx_ev']:.1f} | {s['e_3d_refined_ev']:.3f} | {s['e_3d_least_gii_ev']:.3f} |\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
