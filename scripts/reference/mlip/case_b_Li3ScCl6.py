"""Case B: Li3ScCl6 (Materials Project mp-686004, ordered, P1 cell of 40 atoms).
CHGNet Frenkel-pair energies for the unlabelled BVSE minima (empty polyhedra).

Run: python3 case_b_Li3ScCl6.py   (env SC=1,1,1 for the unit cell; default 2,2,1 = 160 atoms)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlip_common as C  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

CIF = os.path.join(C.REPO, "tests", "validation", "structures", "Li3ScCl6_mp-686004.cif")
SC = tuple(int(x) for x in os.environ.get("SC", "2,2,1").split(","))
MINIMA = [int(x) for x in os.environ.get("MINIMA", "4,5,7,18,20").split(",")]
TAG = os.environ.get("TAG", "caseB_" + "x".join(map(str, SC)))


def main():
    info = C.versions()
    bv = C.halo_bvse(CIF)
    sites = bv["sites"]
    li_sites = [s for s in sites if s["label"] is not None]
    ref = float(np.mean([s["energy_ev"] for s in li_sites]))
    print("BVSE labelled Li sites:", [(s["index"], s["label"], round(s["energy_ev"], 4)) for s in li_sites])
    print(f"BVSE Li reference energy (mean of labelled) = {ref:.4f} eV; lowest = {min(s['energy_ev'] for s in li_sites):.4f}")
    s = Structure.from_file(CIF)
    table = []
    print("unlabelled minima (index, E, dE vs mean Li, nearest Li/Sc/Cl in A, n Cl within 3 A):")
    for m in sites:
        if m["label"] is not None:
            continue
        f = np.array(m["frac_coords"])
        dn = {el: float(s.lattice.get_all_distances([f], s.frac_coords[[i for i, x in enumerate(s) if x.specie.symbol == el]])[0].min())
              for el in ("Li", "Sc", "Cl")}
        dcl = s.lattice.get_all_distances([f], s.frac_coords[[i for i, x in enumerate(s) if x.specie.symbol == "Cl"]])[0]
        ncl = int((dcl < 3.0).sum())
        table.append({"index": m["index"], "energy_ev": m["energy_ev"], "delta_ev": m["energy_ev"] - ref, "n_cl_3A": ncl, **{"d_" + k: v for k, v in dn.items()}})
        print(f"  {m['index']:3d} {m['energy_ev']:.4f} {m['energy_ev'] - ref:+.4f}  Li {dn['Li']:.2f} Sc {dn['Sc']:.2f} Cl {dn['Cl']:.2f}  nCl {ncl}")
    sup = s * SC
    print("supercell", SC, len(sup), "atoms, lattice abc", np.round(sup.lattice.abc, 3))
    perf = C.relax(sup, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=f"{TAG} perfect")
    perf["structure"].to(filename=f"{TAG}_perfect_relaxed.cif")
    li_sc = [i for i, x in enumerate(perf["structure"]) if x.specie.symbol == "Li"]
    mins = [m for m in sites if m["index"] in MINIMA]
    rows = C.frenkel_runs(perf["structure"], li_sc, mins, SC, perf["energy_ev"], ref, TAG,
                          bvse_sites=sites, unit_lattice=s.lattice)
    C.save_json(f"{TAG}_results.json", {
        "versions": info, "cif": CIF, "supercell": SC, "natoms": len(sup),
        "bvse_li_reference_ev": ref, "bvse_li_sites": li_sites, "bvse_unlabelled_minima": table,
        "perfect": {k: perf[k] for k in ("energy_ev", "converged", "nsteps", "final_fmax", "fmax_target", "wall_s")},
        "frenkel": rows,
    })


if __name__ == "__main__":
    main()
