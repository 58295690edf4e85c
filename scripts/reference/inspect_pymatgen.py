#!/usr/bin/env python3
"""Reference values for `halo inspect` from pymatgen + spglib, for every CIF in structures/.

Run from the repository root:  python3 scripts/reference/inspect_pymatgen.py
Writes tests/data/inspect_reference.json (read by tests/cli_inspect.rs; CI never runs Python).

Per file: pymatgen's formula and reduced formula (occupancy weighted), spglib space group
(symprec 0.01 Å, angle tolerance 5°, as pymatgen's SpacegroupAnalyzer) for the disordered
structure (each distinct site composition is its own atom type), volume, density, the net charge
with halo's formal oxidation states, and per symmetry-distinct site: multiplicity, Wyckoff
letter, species/occupancies and the shortest distance to a halide-bearing site.
"""
import json
import pathlib
import platform
import warnings

from importlib.metadata import version
import spglib
from pymatgen.core import Element
from pymatgen.io.cif import CifParser
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMAL = {"Li": 1, "Na": 1, "Cl": -1, "Br": -1, "I": -1, "F": -1, "Sc": 3, "In": 3, "Al": 3, "Y": 3}
SYMPREC = 0.01
HALOGENS = {"F", "Cl", "Br", "I"}


def main():
    out = {
        "generator": "scripts/reference/inspect_pymatgen.py",
        "pymatgen": version("pymatgen"),
        "spglib": spglib.__version__,
        "python": platform.python_version(),
        "symprec": SYMPREC,
        "structures": {},
    }
    for cif in sorted((ROOT / "structures").glob("*.cif")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = CifParser(str(cif)).parse_structures(primitive=False)[0]
        comp = s.composition
        sga = SpacegroupAnalyzer(s, symprec=SYMPREC)
        sym = sga.get_symmetrized_structure()
        oxi = s.copy()
        oxi.add_oxidation_state_by_element({el.symbol: FORMAL[el.symbol] for el in comp.elements})
        sites = []
        for idx, wy in zip(sym.equivalent_indices, sym.wyckoff_symbols):
            site = s[idx[0]]
            d_min = None
            for n in s.get_neighbors(site, 6.0):
                if any(sp.symbol in HALOGENS for sp in n.species.elements) and n.nn_distance > 1e-6:
                    d_min = n.nn_distance if d_min is None else min(d_min, n.nn_distance)
            sites.append({
                "multiplicity": len(idx),
                "wyckoff": wy,
                "species": {sp.symbol: round(occ, 6) for sp, occ in site.species.items()},
                "nearest_anion_distance_ang": d_min,
            })
        sites.sort(key=lambda x: (sorted(x["species"].items()), x["multiplicity"]))
        out["structures"][cif.name] = {
            "formula": comp.formula,
            "reduced_formula": comp.reduced_formula,
            "num_sites": len(s),
            "space_group_symbol": sga.get_space_group_symbol(),
            "space_group_number": sga.get_space_group_number(),
            "volume_ang3": s.volume,
            "density_g_per_cm3": float(s.density),
            "abc_ang": list(s.lattice.abc),
            "angles_deg": list(s.lattice.angles),
            "net_charge_cell_e": float(oxi.charge),
            "sites": sites,
        }
    dest = ROOT / "tests" / "data" / "inspect_reference.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
