#!/usr/bin/env python3
"""Reference for the CIF reader's symmetry operations generated from a space-group symbol
(docs/physics.md §1.1, `crates/io/tests/cif_spacegroup.rs`): for each of the 230 groups, the
symbol of pymatgen's default setting and the number of images of the general position
(0.1234, 0.2345, 0.3456) in its conventional cell (hexagonal axes for the R groups).

    python3 scripts/reference/spacegroup_orbits_pymatgen.py > tests/data/spacegroup_orbits_reference.json
"""
import json

import pymatgen
from pymatgen.symmetry.groups import SpaceGroup

GENERAL = [0.1234, 0.2345, 0.3456]

rows = []
for n in range(1, 231):
    sg = SpaceGroup.from_int_number(n)
    rows.append({
        "number": n,
        "symbol": sg.symbol,
        "crystal_system": sg.crystal_system,
        "general_orbit": len(sg.get_orbit(GENERAL)),
    })
print(json.dumps({
    "source": f"pymatgen {pymatgen.core.__version__} SpaceGroup.from_int_number(n).get_orbit"
              f"({GENERAL}) (scripts/reference/spacegroup_orbits_pymatgen.py)",
    "groups": rows,
}, indent=1))
