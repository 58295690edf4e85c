#!/usr/bin/env python3
"""Is the framework's long-range electrostatics what the BVSE site energies lack? (docs/physics.md §9.17)

§9.8 and §9.11 named "an Ewald sum over the real charges" as the electrostatics the landscape's
screened pair sum lacks. Before building it as a landscape term this measures what it would do, on
the three structures where an independent potential has priced the Li sites
(`scripts/reference/mlip/results/*_chgnet_site_energies.csv`, CHGNet 0.4.2): the seed spinel
Li2Sc2/3Cl4 (E(8a) − E(16c)), the inverse spinel Li2MgCl4 (E(16c) − E(8a)) and LiAlCl4 (eight
orbits of unlisted minima against the Li site).

For every row of `halo sites FILE --json` (a Li label or an orbit of landscape minima; its BVSE
energy relative to the first row) it computes the Ewald potential φ (eV per unit charge) at the
row's minima, averaged over them, from two charge sets of the framework the mobile Li see (every
site that is not Li-only; formal charges × occupancy, mixed sites averaged as in the averaged
model):
  * cations  — framework cations only, with the uniform background that neutralises them;
  * ionic    — framework cations and anions (the Madelung potential of the framework).
A Li+ on the row then gains φ/ε relative to the first row for a dielectric constant ε. The
needed correction is CHGNet − BVSE; if the electrostatics were the missing piece, it would be
proportional to Δφ with one ε > 1 across all rows and structures.

The Ewald sum is checked first against rock salt's Madelung constant (1.747565).

    cargo build --release
    ~/.cache/halo/python-ci-venv/bin/python scripts/experiments/framework_electrostatics_probe.py

Needs numpy, scipy and pymatgen (oxidation states by a fixed table). Measurement only.
"""
import csv
import json
import math
import os
import subprocess
import warnings

import numpy as np
from scipy.special import erfc

warnings.filterwarnings("ignore")
from pymatgen.core import Lattice, Structure  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HALO = os.environ.get("HALO_CLI", os.path.join(ROOT, "target", "release", "halo"))
MLIP = os.path.join(ROOT, "scripts", "reference", "mlip")
COULOMB_EV_ANG = 14.399645  # e²/(4πε0) in eV·Å
FORMAL = {"Li": 1, "Mg": 2, "Al": 3, "Sc": 3, "In": 3, "Er": 3, "Fe": 2, "Ni": 2,
          "Cl": -1, "Br": -1, "I": -1, "F": -1}
CASES = [
    ("Li2Sc2/3Cl4 spinel", os.path.join(ROOT, "structures", "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"),
     os.path.join(MLIP, "results", "Li2Sc2-3Cl4_chgnet_site_energies.csv")),
    ("Li2MgCl4 inverse spinel", os.path.join(MLIP, "Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif"),
     os.path.join(MLIP, "results", "Li2MgCl4_chgnet_site_energies.csv")),
    ("LiAlCl4", os.path.join(ROOT, "structures", "LiAlCl4_P21c_COD1004036.cif"),
     os.path.join(MLIP, "results", "LiAlCl4_chgnet_site_energies.csv")),
]


def ewald_potential(lattice, cart, q, points, alpha=0.35, real_cut=14.0, g_cut=3.5):
    """φ(r) = Σ_j q_j Σ_n 1/|r − r_j − n| (Ewald; e/Å), a neutralising background for Σq ≠ 0,
    an ion at r excluded (its self term removed)."""
    m = lattice.matrix
    vol = abs(np.linalg.det(m))
    reps = [int(math.ceil(real_cut / (vol / np.linalg.norm(np.cross(m[(i + 1) % 3], m[(i + 2) % 3]))))) + 1
            for i in range(3)]
    shifts = np.array([i * m[0] + j * m[1] + k * m[2]
                       for i in range(-reps[0], reps[0] + 1)
                       for j in range(-reps[1], reps[1] + 1)
                       for k in range(-reps[2], reps[2] + 1)])
    b = 2 * math.pi * np.linalg.inv(m).T
    # every G = h·b1 + k·b2 + l·b3 with |G| < g_cut has |h| ≤ g_cut·|a1|/(2π) (h = G·a1/2π)
    hmax = [int(math.ceil(g_cut * np.linalg.norm(m[i]) / (2 * math.pi))) + 1 for i in range(3)]
    gs = np.array([h * b[0] + k * b[1] + l * b[2]
                   for h in range(-hmax[0], hmax[0] + 1)
                   for k in range(-hmax[1], hmax[1] + 1)
                   for l in range(-hmax[2], hmax[2] + 1)
                   if (h, k, l) != (0, 0, 0)])
    g2 = np.einsum("ij,ij->i", gs, gs)
    keep = g2 < g_cut ** 2
    gs, g2 = gs[keep], g2[keep]
    weight = 4 * math.pi / vol * np.exp(-g2 / (4 * alpha ** 2)) / g2
    out = []
    for r in points:
        d0 = r - cart
        phi = 0.0
        for t in shifts:
            d = np.linalg.norm(d0 + t, axis=1)
            sel = (d < real_cut) & (d > 1e-6)
            phi += np.sum(q[sel] * erfc(alpha * d[sel]) / d[sel])
        on_site = np.linalg.norm(d0, axis=1) <= 1e-6
        phi -= np.sum(q[on_site]) * 2 * alpha / math.sqrt(math.pi)
        phi += np.sum(weight * (np.cos(d0 @ gs.T) * q[:, None]).sum(axis=0))
        phi -= math.pi * q.sum() / (vol * alpha ** 2)
        out.append(phi)
    return np.array(out)


def check_madelung():
    """Rock salt's Madelung constant in its cubic cell and in a skewed primitive supercell (60°,
    55°, 30°), where the real- and reciprocal-space ranges must follow the cell's shape."""
    a = 5.0
    cubic = Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    skewed = cubic.get_primitive_structure()
    skewed.make_supercell([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    out = []
    for s in (cubic, skewed):
        q = np.array([1.0 if site.specie.symbol == "Na" else -1.0 for site in s])
        na = next(i for i, site in enumerate(s) if site.specie.symbol == "Na")
        phi = ewald_potential(s.lattice, s.cart_coords, q, [s.cart_coords[na]])[0]
        madelung = -phi * a / 2
        assert abs(madelung - 1.747565) < 1e-4, (s.lattice.angles, madelung)
        out.append(madelung)
    return out


def framework(structure, anions):
    cart, q = [], []
    for site in structure:
        elements = [e.symbol for e in site.species.elements]
        if elements == ["Li"]:
            continue
        charge = sum(FORMAL[e.symbol] * o for e, o in site.species.items())
        if charge < 0 and not anions:
            continue
        cart.append(site.coords)
        q.append(charge)
    return np.array(cart), np.array(q)


def read_table(path):
    rows = {}
    with open(path) as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            rows[row["site"].strip()] = float(row["energy_ev"])
    return rows


def table_row_for(row, table, lattice):
    """The table's key for a `halo sites` row: its label, or a position within 0.5 Å of one of the
    row's minima (periodic images; how `halo kmc --site-energies` matches, without its symmetry
    images, which the members already are)."""
    if "label" in row["site"]:
        return row["site"]["label"] if row["site"]["label"] in table else None
    members = np.array(row["members"])
    for key in table:
        try:
            frac = np.array([float(x) for x in key.split()])
        except ValueError:
            continue
        d = members - frac
        d -= np.round(d)
        if np.min(np.linalg.norm(lattice.get_cartesian_coords(d), axis=1)) < 0.5:
            return key
    return None


def main():
    cubic, skewed = check_madelung()
    print(f"Ewald check: rock-salt Madelung constant {cubic:.6f} (cubic cell), {skewed:.6f} "
          "(skewed primitive supercell); exact 1.747565")
    all_needed, all_phi = {"cations": [], "ionic": []}, {"cations": [], "ionic": []}
    for name, cif, table in CASES:
        sites = json.loads(subprocess.run([HALO, "sites", cif, "--json"], check=True,
                                          capture_output=True, text=True).stdout)
        chgnet = read_table(table)
        structure = Structure.from_file(cif)
        lattice = structure.lattice
        print(f"\n## {name} ({os.path.relpath(cif, ROOT)})")
        print("| row | minima | BVSE eV | CHGNet eV | needed (CHGNet − BVSE) | Δφ cations | Δφ ionic |")
        print("|---|---|---|---|---|---|---|")
        phis = {}
        for kind in ("cations", "ionic"):
            cart, q = framework(structure, anions=(kind == "ionic"))
            phis[kind] = [COULOMB_EV_ANG * ewald_potential(
                lattice, cart, q, lattice.get_cartesian_coords(np.array(row["members"]))).mean()
                for row in sites["rows"]]
        ref = {kind: phis[kind][0] for kind in phis}
        case_needed, case_phi = [], {"cations": [], "ionic": []}
        for i, row in enumerate(sites["rows"]):
            key = table_row_for(row, chgnet, lattice)
            bvse = row["relative_energy_ev"]
            if key is None:
                continue
            needed = chgnet[key] - bvse
            dphi = {kind: phis[kind][i] - ref[kind] for kind in phis}
            print(f"| {key} | {row['minima']} | {bvse:+.3f} | {chgnet[key]:+.3f} | {needed:+.3f} | "
                  f"{dphi['cations']:+.2f} | {dphi['ionic']:+.2f} |")
            if i > 0:
                case_needed.append(needed)
                for kind in phis:
                    all_needed[kind].append(needed)
                    all_phi[kind].append(dphi[kind])
                    case_phi[kind].append(dphi[kind])
        y = np.array(case_needed)
        for kind in ("cations", "ionic"):
            x = np.array(case_phi[kind])
            inv_eps = float(x @ y / (x @ x))
            corr = f", Pearson r {float(np.corrcoef(x, y)[0, 1]):+.2f}" if len(y) > 2 else ""
            print(f"- {kind}: the ε this structure alone asks for {1 / inv_eps:+.1f}{corr}")
    print("\n## One ε for every row? needed = Δφ/ε, least squares through the origin")
    for kind in ("cations", "ionic"):
        x, y = np.array(all_phi[kind]), np.array(all_needed[kind])
        inv_eps = float(x @ y / (x @ x))
        resid = y - inv_eps * x
        r = float(np.corrcoef(x, y)[0, 1])
        print(f"- {kind}: 1/ε = {inv_eps:+.4f} (ε = {1 / inv_eps:+.1f}), Pearson r(Δφ, needed) = {r:+.2f}, "
              f"rms residual {math.sqrt(float(resid @ resid) / len(y)):.3f} eV against rms needed "
              f"{math.sqrt(float(y @ y) / len(y)):.3f} eV over {len(y)} rows")


if __name__ == "__main__":
    main()
