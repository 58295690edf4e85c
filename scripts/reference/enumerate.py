"""Fixtures for halo-enumerate tests and benchmarks.

Writes crates/enumerate/tests/data/frameworks.json: every CIF in structures/ as pymatgen
2026.10.24 reads it (CifParser, merged disordered sites), with formal oxidation states
(Li+ Na+ Sc3+ In3+ Al3+ Cl-), lattice rows in Å, fractional coordinates and labels.

Run from the repository root:  python scripts/reference/enumerate.py
"""
import glob
import json
import os
import warnings

from pymatgen.io.cif import CifParser

warnings.filterwarnings("ignore")
OXI = {"Li": 1, "Na": 1, "Sc": 3, "In": 3, "Al": 3, "Cl": -1, "Br": -1, "I": -1}


def main():
    out = []
    for path in sorted(glob.glob("structures/*.cif")):
        s = CifParser(path).parse_structures(primitive=False)[0]
        s.add_oxidation_state_by_element(OXI)
        out.append({
            "name": os.path.basename(path)[:-4],
            "lattice_rows_ang": s.lattice.matrix.tolist(),
            "sites": [
                {
                    "species": [[str(sp), float(o)] for sp, o in site.species.items()],
                    "frac_coords": [float(x) for x in site.frac_coords],
                    "label": site.label,
                }
                for site in s
            ],
        })
    with open("crates/enumerate/tests/data/frameworks.json", "w") as f:
        json.dump(out, f, indent=1)
    print(len(out), "frameworks")


if __name__ == "__main__":
    main()
