#!/usr/bin/env python3
"""How much of the Li3ScCl6 row's error is its input (docs/physics.md §9.16, last part).

The validation row li3sccl6 (measured 1.25e-3 S/cm, Ea 0.31 eV; another report 3e-3 S/cm) is
scored on mp-686004, an ordered, DFT-relaxed cell with every Li site full; the measured phase is
C2/m with partly occupied Li sites. The paper's neutron refinement of Li3In2/3Sc1/3Cl6 has that
framework (Zhou et al. 2022: "identical to monoclinic Li3ScCl6"). This writes a Li3ScCl6 input
from it — the 2a In replaced by Sc, the cell scaled by the Vegard estimate of `halo enumerate`
(its a for the refinement and for Sc 2/3 on 2a, extrapolated linearly in the Sc share of 2a to
all Sc) — and runs `halo kmc` on it (averaged model at seeds 0, 1, 2; explicit model at seed 0).
A diagnostic of the input, not a model: nothing is fitted, the validation set is not changed.

    cargo build --release
    python3 scripts/experiments/li3sccl6_disordered_input.py
"""
import json
import os
import re
import subprocess
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HALO = os.environ.get("HALO_CLI", os.path.join(ROOT, "target", "release", "halo"))
SOURCE = os.path.join(ROOT, "structures", "Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron.cif")
IN_ROW = "  In  In2  2  0.00000000  0.00000000  0.00000000  0.664\n"


def vegard_scale():
    """The cell factor from the refinement to Li3ScCl6, by `halo enumerate`'s lattice estimate:
    a(x_Sc) linear through its two candidates (the refinement and Sc 2/3 on 2a), at x_Sc = 1."""
    out = subprocess.run([HALO, "enumerate", "--framework", SOURCE, "--site", "2a", "--dopants",
                          "Sc", "--fractions", "0,0.6667", "--json"], capture_output=True,
                         text=True, check=True).stdout
    points = []
    for c in json.loads(out)["accepted"]:
        amounts = c["composition"]["amounts"]
        x_sc = amounts["Sc3+"] / (amounts["Sc3+"] + amounts.get("In3+", 0.0))
        points.append((x_sc, c["lattice"]["a_ang"]))
    (x0, a0), (x1, a1) = sorted(points)
    a_sc = a0 + (1.0 - x0) * (a1 - a0) / (x1 - x0)
    return a_sc / a0, a0, a_sc


def build(path, scale):
    text = open(SOURCE).read()
    assert IN_ROW in text, "the refinement's 2a In row changed"
    text = text.replace(IN_ROW, IN_ROW.replace("In  In2", "Sc  Sc2"))
    text = re.sub(r"(_cell_length_[abc])\s+([0-9.]+)",
                  lambda m: f"{m.group(1)}   {float(m.group(2)) * scale:.6f}", text)
    open(path, "w").write("# Li3ScCl6 built from " + os.path.basename(SOURCE)
                          + " (2a In -> Sc, cell x " + f"{scale:.5f}" + ")\n" + text)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "Li3ScCl6_from_C2m_refinement.cif")
        scale, a0, a_sc = vegard_scale()
        print(f"Vegard (halo enumerate): a {a0:.4f} -> {a_sc:.4f} Å, cell x {scale:.5f}")
        build(path, scale)
        print("| model | seed | σ(300 K) S/cm | Ea eV |")
        print("|---|---|---|---|")
        for model, seed in [("averaged", 0), ("averaged", 1), ("averaged", 2), ("explicit", 0)]:
            out = subprocess.run([HALO, "kmc", path, "--model", model, "--seed", str(seed),
                                  "--json"], capture_output=True, text=True, check=True).stdout
            fit = json.loads(out)["arrhenius"]
            print(f"| {model} | {seed} | {fit['sigma_300k_s_per_cm']:.2e} ± "
                  f"{fit['sigma_300k_se_s_per_cm']:.1e} | {fit['ea_ev']:.3f} ± {fit['ea_se_ev']:.3f} |")
        print("| measured (Wang 2021 / Liang 2020) | | 1.25e-3 / 3e-3 | 0.31 |")


if __name__ == "__main__":
    main()
