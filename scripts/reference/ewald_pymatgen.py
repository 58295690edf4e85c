#!/usr/bin/env python3
"""Ewald reference values from pymatgen's EwaldSummation (default eta and acc_factor 12).

Run from the repository root:  python3 scripts/reference/ewald_pymatgen.py
Writes
  tests/data/spinel_Li17Sc5Cl32_ordered_P1.cif  (the ordered spinel realisation, P1)
  tests/data/ewald_reference.json               (total energy, parts, per-site energies)
CI never runs Python; crates/core's Ewald is checked against the JSON by tests/ewald_reference.rs.

Cases (formal charges Li+1, Sc+3, Al+3, Cl-1):
* rock-salt LiCl, a = 5.13 Å, conventional cell (8 sites); Madelung constant 1.747565.
* LiAlCl4, structures/LiAlCl4_P21c_COD1004036.cif (P2_1/c, 24 sites).
* an ordered realisation of the Li2Sc2/3Cl4 spinel (structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif),
  conventional cell: the 8-fold tetrahedral Li site fully occupied by Li, the 16-fold mixed
  Li 0.689 / Sc 0.311 site replaced by 9 Li, 5 Sc and 2 vacancies in a fixed arrangement
  (random.Random(20240607) shuffle of the 16 positions in pymatgen's site order), the partial
  16c/48f interstitial Li dropped. Li17Sc5Cl32 = Li2.125Sc0.625Cl4 is charge neutral and close to
  the refined Li2.12Sc0.622Cl4.
"""
import json
import pathlib
import random
import warnings
from importlib.metadata import version

from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.core import Lattice, Structure
from pymatgen.io.cif import CifParser, CifWriter

ROOT = pathlib.Path(__file__).resolve().parents[2]
OXI = {"Li": 1, "Sc": 3, "Al": 3, "Cl": -1}


def read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CifParser(str(path)).parse_structures(primitive=False)[0]


def rocksalt():
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.13), ["Li", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def spinel_ordered():
    s = read(ROOT / "structures" / "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif")
    species, coords = [], []
    mixed = []
    for site in s:
        els = {sp.symbol: occ for sp, occ in site.species.items()}
        if "Cl" in els:
            species.append("Cl")
            coords.append(site.frac_coords)
        elif "Sc" in els:
            mixed.append(site.frac_coords)
        elif abs(els.get("Li", 0) - 0.141) < 1e-6:  # the 8-fold tetrahedral site
            species.append("Li")
            coords.append(site.frac_coords)
        # 16c (0.218) and 48f (0.0282) interstitial Li: dropped
    assert len(mixed) == 16, len(mixed)
    order = list(range(16))
    random.Random(20240607).shuffle(order)
    fill = ["Li"] * 9 + ["Sc"] * 5 + [None] * 2
    for slot, k in enumerate(order):
        if fill[slot] is not None:
            species.append(fill[slot])
            coords.append(mixed[k])
    out = Structure(s.lattice, species, coords)
    assert out.composition.reduced_formula == "Li17Sc5Cl32", out.composition
    return out


def ewald(s):
    s = s.copy()
    s.add_oxidation_state_by_element({el.symbol: OXI[el.symbol] for el in s.composition.elements})
    e = EwaldSummation(s)
    return {
        "total_energy_ev": e.total_energy,
        "real_space_energy_ev": e.real_space_energy,
        "reciprocal_space_energy_ev": e.reciprocal_space_energy,
        "point_energy_ev": e.point_energy,
        "eta_per_ang2": e.eta,
        "sites": [
            {
                "species": site.species_string,
                "frac_coords": [float(x) for x in site.frac_coords],
                "site_energy_ev": float(e.get_site_energy(i)),
            }
            for i, site in enumerate(s)
        ],
    }


def main():
    spinel = spinel_ordered()
    fixture = ROOT / "tests" / "data" / "spinel_Li17Sc5Cl32_ordered_P1.cif"
    oxi = spinel.copy()
    oxi.add_oxidation_state_by_element(OXI)
    for i, site in enumerate(oxi):
        site.label = f"{site.specie.symbol}{i}"
    header = (
        "# Ordered P1 realisation of the Li2Sc2/3Cl4 spinel (Li17Sc5Cl32), made by\n"
        "# scripts/reference/ewald_pymatgen.py from structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif:\n"
        "# 8-fold tetrahedral Li kept, 16-fold Li/Sc site -> 9 Li + 5 Sc + 2 vacancies, interstitial Li dropped.\n"
    )
    fixture.write_text(header + str(CifWriter(oxi)))
    out = {
        "generator": "scripts/reference/ewald_pymatgen.py",
        "pymatgen": version("pymatgen"),
        "acc_factor": 12.0,
        "cases": {
            "rocksalt_LiCl_a5.13": ewald(rocksalt()),
            "LiAlCl4_P21c_COD1004036": ewald(read(ROOT / "structures" / "LiAlCl4_P21c_COD1004036.cif")),
            "spinel_Li17Sc5Cl32_ordered_P1": ewald(spinel),
        },
    }
    dest = ROOT / "tests" / "data" / "ewald_reference.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out["cases"].items():
        print(k, v["total_energy_ev"], len(v["sites"]))
    print(f"wrote {dest} and {fixture}")


if __name__ == "__main__":
    main()
