"""Reference symmetry data for halo-symmetry tests.

For every CIF in structures/ and rock-salt LiCl, record the structure as pymatgen reads it
(lattice rows in Å, sites with species/occupancies, fractional coordinates, labels) and what
pymatgen's SpacegroupAnalyzer (spglib underneath) finds at symprec = 0.01 Å: space-group number,
short international symbol, Hall number, equivalent atoms, Wyckoff letters.
Also the short international symbol of every Hall number (1-530) from spglib.

Run from the repository root:  python scripts/reference/symmetry.py
Writes crates/symmetry/tests/data/symmetry_reference.json.
Versions: pymatgen 2026.10.24, spglib (as installed with it).
"""
import glob
import json
import os
import warnings

import spglib
import pymatgen
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifParser
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

warnings.filterwarnings("ignore")
SYMPREC = 0.01


def species_entries(site):
    out = []
    for sp, occ in site.species.items():
        ox = getattr(sp, "oxi_state", None)
        name = sp.symbol if not ox else str(sp)
        out.append([name, float(occ)])
    return out


def record(name, s):
    sga = SpacegroupAnalyzer(s, symprec=SYMPREC)
    ds = sga.get_symmetry_dataset()
    return {
        "name": name,
        "lattice_rows_ang": s.lattice.matrix.tolist(),
        "sites": [
            {
                "species": species_entries(site),
                "frac_coords": [float(x) for x in site.frac_coords],
                "label": site.label,
            }
            for site in s
        ],
        "space_group_number": sga.get_space_group_number(),
        "space_group_symbol": sga.get_space_group_symbol(),
        "hall_number": int(ds.hall_number),
        "equivalent_atoms": [int(x) for x in ds.equivalent_atoms],
        "wyckoffs": list(ds.wyckoffs),
        "num_operations": len(ds.rotations),
    }


def main():
    out = {"symprec_ang": SYMPREC, "pymatgen": pymatgen.core.__version__,
           "spglib": spglib.__version__, "structures": []}
    for path in sorted(glob.glob("structures/*.cif")):
        s = CifParser(path).parse_structures(primitive=False)[0]
        out["structures"].append(record(os.path.basename(path), s))
    licl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.13), ["Li", "Cl"],
                                     [[0, 0, 0], [0.5, 0.5, 0.5]])
    out["structures"].append(record("LiCl_rocksalt", licl))
    out["hall_international_short"] = [
        spglib.get_spacegroup_type(h).international_short for h in range(1, 531)
    ]
    path = "crates/symmetry/tests/data/symmetry_reference.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    for r in out["structures"]:
        print(r["name"], r["space_group_number"], r["space_group_symbol"], len(r["sites"]))


if __name__ == "__main__":
    main()
