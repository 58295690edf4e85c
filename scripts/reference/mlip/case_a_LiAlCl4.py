"""Case A: LiAlCl4 (P2_1/c, COD 1004036). CHGNet Frenkel-pair energies for BVSE interstitial minima.

Run: python3 case_a_LiAlCl4.py   (env SC=1,1,1 / 2,2,2 for other cells, default 2,2,1 = 96 atoms; MINIMA=4,5 to
choose BVSE minima; writes caseA_<SC>_results.json and relaxed CIFs in the cwd)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlip_common as C  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

CIF = os.path.join(C.REPO, "structures", "LiAlCl4_P21c_COD1004036.cif")
SC = tuple(int(x) for x in os.environ.get("SC", "2,2,1").split(","))
# BVSE minima to test (halo 'sites' indices): lowest unlabelled minimum far from Li (4),
# and other distinct ones. Equivalent pairs (5/6, 7/8, ...) are symmetry copies.
MINIMA = [int(x) for x in os.environ.get("MINIMA", "4,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33").split(",")]
TAG = os.environ.get("TAG", "caseA_" + "x".join(map(str, SC)))


def main():
    info = C.versions()
    bv = C.halo_bvse(CIF)
    sites = bv["sites"]
    li_sites = [s for s in sites if s["label"] is not None]
    ref = float(np.mean([s["energy_ev"] for s in li_sites]))
    print("BVSE labelled Li sites:", [(s["index"], s["label"], round(s["energy_ev"], 4)) for s in li_sites])
    print(f"BVSE Li reference energy (mean of labelled) = {ref:.4f} eV")
    s = Structure.from_file(CIF)
    li_u = [i for i, x in enumerate(s) if x.specie.symbol == "Li"]
    print("unlabelled minima (index, E, dE vs Li, nearest Li/Al/Cl in A):")
    table = []
    for m in sites:
        if m["label"] is not None:
            continue
        f = np.array(m["frac_coords"])
        dn = {el: float(s.lattice.get_all_distances([f], s.frac_coords[[i for i, x in enumerate(s) if x.specie.symbol == el]])[0].min())
              for el in ("Li", "Al", "Cl")}
        table.append({"index": m["index"], "energy_ev": m["energy_ev"], "delta_ev": m["energy_ev"] - ref, **{"d_" + k: v for k, v in dn.items()}})
        print(f"  {m['index']:3d} {m['energy_ev']:.4f} {m['energy_ev'] - ref:+.4f}  Li {dn['Li']:.2f} Al {dn['Al']:.2f} Cl {dn['Cl']:.2f}")
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
        "bvse_li_reference_ev": ref, "bvse_unlabelled_minima": table,
        "perfect": {k: perf[k] for k in ("energy_ev", "converged", "nsteps", "final_fmax", "fmax_target", "wall_s")},
        "frenkel": rows,
    })


if __name__ == "__main__":
    main()
