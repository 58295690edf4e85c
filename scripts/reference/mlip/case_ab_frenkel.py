"""Cases A and B: CHGNet Frenkel-pair energies for the BVSE landscape minima that are no Li site of the file.

A: LiAlCl4 (P2_1/c, COD 1004036); default cell 2,2,1 = 96 atoms.
B: Li3ScCl6 (Materials Project mp-686004, ordered, P1 cell of 40 atoms): the unlabelled minima are empty
   polyhedra; default cell 2,2,1 = 160 atoms.

For each chosen minimum (halo `bvse --json` site index) the Li farthest from it is moved onto it in the relaxed
perfect supercell and the cell relaxed again (mlip_common.frenkel_runs); dE = E(Frenkel) - E(perfect).

Run: python3 case_ab_frenkel.py A|B   (env SC=n1,n2,n3 for other cells; MINIMA=4,5 to choose BVSE minima;
TAG to rename the outputs; writes <TAG>_results.json and relaxed CIFs in the cwd; TAG defaults to caseA_<SC> /
caseB_<SC>, the names of results/)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlip_common as C  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

CASES = {
    "A": {"cif": os.path.join(C.REPO, "structures", "LiAlCl4_P21c_COD1004036.cif"), "framework": "Al",
          # lowest unlabelled minimum far from Li (4) and the other distinct ones; 5/6, 7/8, ... are symmetry copies
          "minima": "4,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33"},
    "B": {"cif": os.path.join(C.REPO, "tests", "validation", "structures", "Li3ScCl6_mp-686004.cif"),
          "framework": "Sc", "minima": "4,5,7,18,20"},
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit("usage: python3 case_ab_frenkel.py A|B")
    case = sys.argv[1]
    cif, fw = CASES[case]["cif"], CASES[case]["framework"]
    sc = tuple(int(x) for x in os.environ.get("SC", "2,2,1").split(","))
    minima = [int(x) for x in os.environ.get("MINIMA", CASES[case]["minima"]).split(",")]
    tag = os.environ.get("TAG", f"case{case}_" + "x".join(map(str, sc)))
    info = C.versions()
    bv = C.halo_bvse(cif)
    sites = bv["sites"]
    li_sites = [s for s in sites if s["label"] is not None]
    ref = float(np.mean([s["energy_ev"] for s in li_sites]))
    print("BVSE labelled Li sites:", [(s["index"], s["label"], round(s["energy_ev"], 4)) for s in li_sites])
    print(f"BVSE Li reference energy (mean of labelled) = {ref:.4f} eV; lowest = {min(s['energy_ev'] for s in li_sites):.4f}")
    s = Structure.from_file(cif)
    print(f"unlabelled minima (index, E, dE vs mean Li, nearest Li/{fw}/Cl in A, n Cl within 3 A):")
    table = []
    for m in sites:
        if m["label"] is not None:
            continue
        f = np.array(m["frac_coords"])
        d = {el: s.lattice.get_all_distances([f], s.frac_coords[[i for i, x in enumerate(s) if x.specie.symbol == el]])[0]
             for el in ("Li", fw, "Cl")}
        dn = {el: float(v.min()) for el, v in d.items()}
        ncl = int((d["Cl"] < 3.0).sum())
        table.append({"index": m["index"], "energy_ev": m["energy_ev"], "delta_ev": m["energy_ev"] - ref,
                      "n_cl_3A": ncl, **{"d_" + k: v for k, v in dn.items()}})
        print(f"  {m['index']:3d} {m['energy_ev']:.4f} {m['energy_ev'] - ref:+.4f}  Li {dn['Li']:.2f} {fw} {dn[fw]:.2f} "
              f"Cl {dn['Cl']:.2f}  nCl {ncl}")
    sup = s * sc
    print("supercell", sc, len(sup), "atoms, lattice abc", np.round(sup.lattice.abc, 3))
    perf = C.relax(sup, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=f"{tag} perfect")
    perf["structure"].to(filename=f"{tag}_perfect_relaxed.cif")
    li_sc = [i for i, x in enumerate(perf["structure"]) if x.specie.symbol == "Li"]
    mins = [m for m in sites if m["index"] in minima]
    rows = C.frenkel_runs(perf["structure"], li_sc, mins, sc, perf["energy_ev"], ref, tag,
                          bvse_sites=sites, unit_lattice=s.lattice)
    C.save_json(f"{tag}_results.json", {
        "versions": info, "cif": cif, "supercell": sc, "natoms": len(sup),
        "bvse_li_reference_ev": ref, "bvse_li_sites": li_sites, "bvse_unlabelled_minima": table,
        "perfect": {k: perf[k] for k in ("energy_ev", "converged", "nsteps", "final_fmax", "fmax_target", "wall_s")},
        "frenkel": rows,
    })


if __name__ == "__main__":
    main()
