#!/usr/bin/env python3
"""The framework's Ewald field on every validation structure, through the site-energy seam
(docs/physics.md §9.17).

§9.17's probe found that the framework cations' long-range field has the sign the spinels' 8a/16c
energies need and the opposite of what LiAlCl4's unlisted sites need. This measures what it does
to the ranking: for every structure of the validation set, its calibration pairs and its site
table, each row of `halo sites FILE --json` (a Li label or an orbit of landscape minima) is
shifted by Δφ/ε, Δφ the Ewald potential of the framework's cations (formal charges × occupancy,
mixed sites averaged as the averaged model does, Li-only sites left out, a uniform neutralising
background; the mean over the row's minima) relative to the first row, written as `shift_ev`
files and a `halo validate --energies` table. Saddles move with the mean of their ends' shifts
(the seam's rule, §9.14), so this is the field at the sites, not along the paths.

ε is not fitted on the validation set. Declared before any run:
  * ε = 11.9, LiCl's static dielectric constant (11.95: R. P. Lowndes and D. H. Martin, Proc. R.
    Soc. A 308, 473 (1969), as tabulated in Ashcroft & Mermin, Solid State Physics; not a fit);
  * ε = 5, the middle of what CHGNet asks for in the two spinels (3.5–6.4 for the cations, §9.17).

    cargo build --release
    ~/.cache/halo/python-ci-venv/bin/python scripts/experiments/ewald_site_shift_validation.py OUT_DIR
    target/release/halo validate tests/validation/validation_set.csv \\
        --sites tests/validation/refined_li_sites.csv --seed-repeats 0 \\
        --energies OUT_DIR/eps_11.9/energies.csv --baseline results/validation/validation.json --out ...

Needs numpy, scipy and pymatgen. Measurement only.
"""
import csv
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from framework_electrostatics_probe import COULOMB_EV_ANG, ewald_potential, framework  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HALO = os.environ.get("HALO_CLI", os.path.join(ROOT, "target", "release", "halo"))
SET_DIR = os.path.join(ROOT, "tests", "validation")
EPSILONS = (11.9, 5.0)


# not in the set: the hand-built inverse spinel (§9.14), a class the blind set has; its file is
# written beside the others (for `halo kmc --site-energies`) and left out of the table
EXTRA = [os.path.join(ROOT, "scripts", "reference", "mlip", "Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif")]


def structure_files():
    files = []
    for table, column in (("validation_set.csv", "file"), ("calibration_structures.csv", "file"),
                          ("refined_li_sites.csv", "file")):
        with open(os.path.join(SET_DIR, table)) as fh:
            for row in csv.DictReader(line for line in fh if not line.startswith("#")):
                path = os.path.normpath(os.path.join(SET_DIR, row[column]))
                if path not in files:
                    files.append(path)
    return files


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "ewald_shifts")
    for eps in EPSILONS:
        os.makedirs(os.path.join(out, f"eps_{eps:g}"), exist_ok=True)
    tables = {eps: [] for eps in EPSILONS}
    for path in structure_files() + EXTRA:
        run = subprocess.run([HALO, "sites", path, "--json"], capture_output=True, text=True)
        if run.returncode != 0:
            # a structure whose landscape halo sites cannot tabulate: named, and left out
            print(f"{os.path.basename(path)}: no table ({run.stderr.strip().splitlines()[-1]})")
            continue
        sites = json.loads(run.stdout)
        structure = Structure.from_file(path)
        cart, q = framework(structure, anions=False)
        if len(q) == 0:  # no framework cation (LiI, LiF): no field, every shift 0
            phi = [0.0] * len(sites["rows"])
        else:
            phi = [COULOMB_EV_ANG * ewald_potential(
                structure.lattice, cart, q,
                structure.lattice.get_cartesian_coords(np.array(row["members"]))).mean()
                for row in sites["rows"]]
        stem = os.path.splitext(os.path.basename(path))[0]
        print(f"{stem}: {len(phi)} rows, Δφ {min(phi) - phi[0]:+.2f} … {max(phi) - phi[0]:+.2f} eV/e")
        for eps in EPSILONS:
            name = f"{stem}_ewald.csv"
            with open(os.path.join(out, f"eps_{eps:g}", name), "w") as fh:
                fh.write(f"# framework cations' Ewald potential / ε, ε = {eps:g} "
                         "(scripts/experiments/ewald_site_shift_validation.py)\nsite,shift_ev\n")
                for row, p in zip(sites["rows"], phi):
                    site = row["site"]
                    key = site["label"] if "label" in site else " ".join(f"{x:.6f}" for x in row["members"][0])
                    fh.write(f"{key},{(p - phi[0]) / eps:.6f}\n")
            if path not in EXTRA:
                tables[eps].append((os.path.relpath(path, os.path.join(out, f"eps_{eps:g}")), name))
    for eps, rows in tables.items():
        with open(os.path.join(out, f"eps_{eps:g}", "energies.csv"), "w") as fh:
            fh.write("file,site_energies,hop_barriers\n")
            for path, name in rows:
                fh.write(f"{path},{name},\n")
    print(f"tables: {', '.join(os.path.join(out, f'eps_{e:g}', 'energies.csv') for e in EPSILONS)}")


if __name__ == "__main__":
    main()
