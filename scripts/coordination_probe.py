#!/usr/bin/env python3
"""Is the BVSE landscape's site-order error a coordination bias of the softBV Morse term?

softBV's bond term is a Morse function of the bond valence s = exp((R0 - R)/b):
    E_M = D0 * sum_j [(s_j/s_min)^2 - 2 s_j/s_min],   s_min = exp((R0 - Rmin)/b)
(Adams & Rao 2011; Chen, Wong & Adams 2019). For N equal bonds with total valence S it is
D0 [S^2/(N s_min^2) - 2 S/s_min]: at a fixed bond-valence sum it rewards more, weaker bonds, so a
tetrahedral Li with an ideal sum scores well above an octahedral one. Its coordination-neutral
counterpart, the same expression with the table's own coordination Nc in place of N,
    E_N = D0 [S^2/(Nc s_min^2) - 2 S/s_min] = D0 Nc [(S/S0 - 1)^2 - 1],   S0 = Nc s_min,
depends on the bond-valence sum only (a mismatch energy, no constant fitted). For every minimum of
`halo bvse --json` this script prints the Li bond-valence sum, the first-shell count (anions with a
bond valence s >= 0.1 v.u., i.e. Li-Cl <= 2.86 A), E_M, E_N and
the landscape energy with E_M swapped for E_N (E_BVSE - E_M + E_N), each relative to the mean of
the file's Li sites. Compare with the CHGNet Frenkel energies of scripts/reference/mlip/ (LiAlCl4
interstitials +0.51 ... +0.70 eV, Li3ScCl6 empty octahedra +0.32 ... +0.37 and tetrahedron +0.65)
and the spinel refinements (8a and 16c nearly degenerate).

E_M here sums every anion within the table's Rcut without the landscape's cutoff shift, so the
swap is exact only for differences between sites with the same neighbour shells; it is a probe,
not a landscape.

    python3 scripts/coordination_probe.py [--halo target/release/halo] [CIF ...]

Writes results/coordination_probe.md. Needs pymatgen.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import warnings

warnings.filterwarnings("ignore")
from pymatgen.core import Structure  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# a bond counts in the first shell from this bond valence on (Li-Cl: R <= R0 - b ln 0.1 = 2.86 A)
FIRST_SHELL_VU = 0.1
DEFAULT = [
    "structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif",
    "structures/LiAlCl4_P21c_COD1004036.cif",
    "tests/validation/structures/Li3ScCl6_mp-686004.cif",
]


def params():
    """softBV rows for Li+ and each halide: R0, b, D0, Nc, Rmin, Rcut."""
    out = {}
    with open(os.path.join(ROOT, "crates/data/tables/bvse_params.csv")) as f:
        for r in csv.DictReader(f):
            if r["cation"] == "Li" and r["cation_valence"] == "1" and r["anion_valence"] == "-1":
                out[r["anion"]] = tuple(
                    float(r[k])
                    for k in ("R0_A", "b_A", "D0_eV", "Nc_softbv", "Rmin_A", "Rcut_softbv_A")
                )
    return out


def probe(halo, cif, table):
    land = json.loads(
        subprocess.run([halo, "bvse", cif, "--json"], capture_output=True, text=True, check=True).stdout
    )
    s = Structure.from_file(cif)
    rows = []
    for site in land["sites"]:
        cart = s.lattice.get_cartesian_coords(site["frac_coords"])
        e_m = e_n = bvs = 0.0
        first = 0.0
        for anion, (r0, b, d0, nc, rmin, rcut) in table.items():
            s_min = math.exp((r0 - rmin) / b)
            sum_s = sum_s2 = 0.0
            for nb in s.get_sites_in_sphere(cart, rcut):
                r = nb.nn_distance
                if r < 0.5:
                    continue
                for sp, occ in nb.species.items():
                    if getattr(sp, "symbol", str(sp)) != anion:
                        continue
                    v = math.exp((r0 - r) / b)
                    sum_s += occ * v
                    sum_s2 += occ * v * v
                    if v >= FIRST_SHELL_VU:
                        first += occ
            if sum_s == 0.0:
                continue
            e_m += d0 * (sum_s2 / s_min**2 - 2.0 * sum_s / s_min)
            e_n += d0 * (sum_s**2 / (nc * s_min**2) - 2.0 * sum_s / s_min)
            bvs += sum_s
        rows.append(
            dict(
                index=site["index"],
                label=site.get("label"),
                e_bvse=site["energy_ev"],
                bvs=bvs,
                first_shell=first,
                e_m=e_m,
                e_n=e_n,
            )
        )
    listed = [r for r in rows if r["label"]]
    ref_b = sum(r["e_bvse"] for r in listed) / len(listed)
    ref_n = sum(r["e_bvse"] - r["e_m"] + r["e_n"] for r in listed) / len(listed)
    for r in rows:
        r["bvse_rel"] = r["e_bvse"] - ref_b
        r["neutral_rel"] = r["e_bvse"] - r["e_m"] + r["e_n"] - ref_n
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--halo", default=os.path.join(ROOT, "target/release/halo"))
    ap.add_argument("cifs", nargs="*", default=DEFAULT)
    a = ap.parse_args()
    table = params()
    out = ["# Coordination probe: the softBV Morse term against its coordination-neutral form", ""]
    out.append("`python3 scripts/coordination_probe.py` (see its docstring; docs/physics.md §9.13). ")
    out.append("Energies in eV relative to the mean of the file's Li sites; one row per distinct")
    out.append("(label, BVSE energy to 1 meV, first-shell count).")
    for cif in a.cifs:
        path = cif if os.path.isabs(cif) else os.path.join(ROOT, cif)
        rows = probe(a.halo, path, table)
        out += ["", f"## {os.path.basename(cif)}", ""]
        out.append("| minimum | label | BVSE | Li bond-valence sum | first shell | Morse E_M | neutral E_N | BVSE with E_N for E_M |")
        out.append("|---|---|---|---|---|---|---|---|")
        seen = set()
        for r in rows:
            key = (r["label"], round(r["bvse_rel"], 3), round(r["first_shell"]))
            if key in seen:
                continue
            seen.add(key)
            out.append(
                f"| {r['index']} | {r['label'] or '–'} | {r['bvse_rel']:+.3f} | {r['bvs']:.3f} | "
                f"{r['first_shell']:.0f} | {r['e_m']:.3f} | {r['e_n']:.3f} | {r['neutral_rel']:+.3f} |"
            )
    text = "\n".join(out) + "\n"
    dest = os.path.join(ROOT, "results", "coordination_probe.md")
    with open(dest, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
