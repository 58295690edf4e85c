#!/usr/bin/env python3
"""Reference oxidation/reduction limits from pymatgen's GrandPotentialPhaseDiagram.

Independent of halo's Rust code: it reads the same embedded tables
(crates/data/tables/thermo_binary_halides.csv, thermo_ternary_halides.csv), builds PDEntry
objects with the same formation energies (kJ/mol -> eV per formula unit, 1 eV = 96.48533212
kJ/mol, elements in their standard states at 0), and finds the Li chemical-potential range over
which each candidate is stable with Li open:

* the candidate's energy: a measured ternary of the same composition if the table has one,
  otherwise the hull energy of the binaries and elements at its composition
  (PhaseDiagram.get_hull_energy), i.e. the sum of binaries with a zero ternary term;
* the critical Li chemical potentials of the full diagram (PhaseDiagram.get_transition_chempots);
* in every interval between them, GrandPotentialPhaseDiagram(entries, {Li: mu}) at the interval
  midpoint decomposes the candidate's Li-free composition; the candidate is stable there when
  the decomposition holds exactly its Li content (no Li taken up or released);
* limits: E = -mu at the ends of the stable interval (cathodic limit 0 V when stable at mu = 0).

Run from the repository root:
    python3 scripts/reference/grand_potential_pymatgen.py > crates/filters/tests/data/grand_potential_pymatgen.json
"""

import csv
import json
import sys
from fractions import Fraction
from pathlib import Path

import pymatgen.core
from pymatgen.analysis.phase_diagram import GrandPotentialPhaseDiagram, PDEntry, PhaseDiagram
from pymatgen.core import Composition, Element

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "crates" / "data" / "tables"
KJ_PER_MOL_PER_EV = 96485.33212 / 1000.0
HALOGENS = {"F", "Cl", "Br", "I"}

# halo formula (as `halo stability` reads it) -> exact amounts
CASES = {
    "LiCl": {"Li": 1, "Cl": 1},
    "LiBr": {"Li": 1, "Br": 1},
    "LiI": {"Li": 1, "I": 1},
    "LiF": {"Li": 1, "F": 1},
    "Li3InCl6": {"Li": 3, "In": 1, "Cl": 6},
    "Li2Sc2/3Cl4": {"Li": 2, "Sc": Fraction(2, 3), "Cl": 4},
    "Li2In1/3Sc1/3Cl4": {"Li": 2, "In": Fraction(1, 3), "Sc": Fraction(1, 3), "Cl": 4},
    "Li2FeCl4": {"Li": 2, "Fe": 1, "Cl": 4},
    "Li3TiCl6": {"Li": 3, "Ti": 1, "Cl": 6},
    "Li2ZrCl6": {"Li": 2, "Zr": 1, "Cl": 6},
    "Li3YCl6": {"Li": 3, "Y": 1, "Cl": 6},
    "Li3ErCl6": {"Li": 3, "Er": 1, "Cl": 6},
    "LiAlCl4": {"Li": 1, "Al": 1, "Cl": 4},
    "LiGaCl4": {"Li": 1, "Ga": 1, "Cl": 4},
    "Li2MgCl4": {"Li": 2, "Mg": 1, "Cl": 4},
    "Li2MnCl4": {"Li": 2, "Mn": 1, "Cl": 4},
    "LiTaCl6": {"Li": 1, "Ta": 1, "Cl": 6},
    "Li3InBr6": {"Li": 3, "In": 1, "Br": 6},
    "Li3YBr3Cl3": {"Li": 3, "Y": 1, "Br": 3, "Cl": 3},
    "Li3AlF6": {"Li": 3, "Al": 1, "F": 6},
    "Li2.5Y0.5Zr0.5Cl6": {"Li": Fraction(5, 2), "Y": Fraction(1, 2), "Zr": Fraction(1, 2), "Cl": 6},
}


def read(name):
    with open(TABLES / name, newline="") as fh:
        return list(csv.DictReader(fh))


BINARIES = [r for r in read("thermo_binary_halides.csv") if r["recommended"] == "1"]
TERNARIES = read("thermo_ternary_halides.csv")


def value(row, basis):
    v = row["dGf_298_kJmol" if basis == "dG" else "dHf_298_kJmol"]
    return float(v) / KJ_PER_MOL_PER_EV if v.strip() else None


def entries_for(system, basis):
    entries = [PDEntry(Composition(el), 0.0, name=el) for el in sorted(system)]
    for r in BINARIES:
        if r["cation"] in system and r["anion"] in system and r["anion"] in HALOGENS:
            e = value(r, basis)
            if e is not None:
                entries.append(PDEntry(Composition(r["reduced_formula"]), e, name=r["reduced_formula"]))
    best = {}
    for r in TERNARIES:
        comp = Composition(r["formula"])
        if not {el.symbol for el in comp.elements} <= system:
            continue
        e = value(r, basis)
        if e is None:
            continue
        if r["formula"] not in best or e < best[r["formula"]].energy:
            best[r["formula"]] = PDEntry(comp, e, name=r["formula"])
    return entries + list(best.values())


def limits(amounts, basis):
    comp = Composition({k: float(v) for k, v in amounts.items()})
    system = {el.symbol for el in comp.elements} | {"Li"}
    entries = entries_for(system, basis)
    same = [e for e in entries if e.composition.reduced_composition == comp.reduced_composition]
    if same:
        e = min(same, key=lambda x: x.energy_per_atom)
        cand_energy = e.energy_per_atom * comp.num_atoms
        model = "table:" + e.name
        entries = [x for x in entries if x not in same]
    else:
        binaries = [x for x in entries if len(x.composition.elements) <= 2]
        cand_energy = PhaseDiagram(binaries).get_hull_energy(comp)
        model = "binary_sum"
    cand = PDEntry(comp, cand_energy, name="candidate")
    entries = entries + [cand]
    pd = PhaseDiagram(entries)
    li = Element("Li")
    crit = sorted(set(pd.get_transition_chempots(li)), reverse=True)  # from high mu to low
    n_li = comp["Li"]
    free = Composition({el: amt for el, amt in comp.items() if el.symbol != "Li"})
    n_free = free.num_atoms
    # interval midpoints: above the highest critical value, between them, below the lowest
    pts = [crit[0] + 1.0] + [(a + b) / 2 for a, b in zip(crit, crit[1:])] + [crit[-1] - 1.0]
    bounds = [(crit[0], None)] + list(zip(crit[1:], crit)) + [(None, crit[-1])]
    stable = []
    for mu, (lo, hi) in zip(pts, bounds):
        gppd = GrandPotentialPhaseDiagram(entries, {li: mu})
        decomp = gppd.get_decomposition(free)
        held = 0.0
        for ent, frac in decomp.items():
            orig = ent.original_entry.composition
            n_orig_free = orig.num_atoms - orig["Li"]
            held += frac * n_free * orig["Li"] / n_orig_free
        stable.append(abs(held - n_li) < 1e-6)
    idx = [i for i, s in enumerate(stable) if s]
    out = {"model": model, "candidate_energy_ev": cand_energy}
    if not idx:
        out.update(stable=False, anodic_limit_v=None, cathodic_limit_v=None)
        return out
    lo_mu = bounds[idx[-1]][0]  # most negative mu still stable (None: beyond the last transition)
    hi_mu = bounds[idx[0]][1]  # least negative mu still stable (None: above every transition)
    cath = 0.0 if hi_mu is None or hi_mu >= 0 else -hi_mu
    out.update(
        stable=True,
        anodic_limit_v=None if lo_mu is None else -lo_mu,
        cathodic_limit_v=cath,
    )
    return out


def main():
    cases = []
    for formula, amounts in CASES.items():
        case = {"formula": formula}
        for basis in ("dG", "dH"):
            case[basis] = limits(amounts, basis)
        cases.append(case)
    json.dump(
        {
            "generator": "scripts/reference/grand_potential_pymatgen.py",
            "pymatgen_version": pymatgen.core.__version__,
            "python": sys.version.split()[0],
            "kj_per_mol_per_ev": KJ_PER_MOL_PER_EV,
            "method": "PhaseDiagram.get_transition_chempots(Li) + GrandPotentialPhaseDiagram "
            "decomposition at each interval midpoint; same tables as halo",
            "cases": cases,
        },
        sys.stdout,
        indent=1,
    )
    print()


if __name__ == "__main__":
    main()
