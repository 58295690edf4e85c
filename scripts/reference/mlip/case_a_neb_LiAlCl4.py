"""Case A: LiAlCl4 (P2_1/c, COD 1004036). CHGNet climbing-image NEB barriers for Li migration.

Same CHGNet / fixed-cell conventions as case_ab_frenkel.py A (mlip_common): the perfect supercell is relaxed to
FMAX_PERFECT (0.002 eV/A), defect end points to FMAX (0.01 eV/A), cell fixed at the experimental cell.
NEB: ASE NEB, climb=True, NIMG (5) intermediate images, IDPP interpolation (minimum image), FIRE to
FMAX_NEB (0.05 eV/A), <= STEPS_NEB steps, one shared CHGNet calculator.

Run: python3 case_a_neb_LiAlCl4.py   env:
  MODE=vac   Li vacancy hops: one Li removed, neighbouring Li hops into it. HOPS=1,2 picks the 1st/2nd shortest
             distinct Li-Li distances of the supercell.
  MODE=int   Li interstitial hop in a Frenkel cell (vacancy = the Li farthest from the hop midpoint, as in
             mlip_common.frenkel_runs): the extra Li goes from BVSE minimum INT_A to minimum INT_B (halo bvse
             'sites' indices, unit-cell fractional coordinates; INT_B_SHIFT shifts B by a lattice vector).
  MODE=icy   interstitialcy step in a Frenkel cell: extra Li on minimum INT_A moves onto the lattice Li site
             nearest halo site ICY_LI (0), which moves to minimum INT_C (24; ICY_C_SHIFT lattice shift).
  SC=2,2,1 (default, 96 atoms). Writes <TAG>_neb_<MODE>_results.json, end-point and image CIFs in the cwd.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlip_common as C  # noqa: E402
from pymatgen.core import Structure  # noqa: E402

CIF = os.path.join(C.REPO, "structures", "LiAlCl4_P21c_COD1004036.cif")
SC = tuple(int(x) for x in os.environ.get("SC", "2,2,1").split(","))
MODE = os.environ.get("MODE", "vac")
HOPS = [int(x) for x in os.environ.get("HOPS", "1,2").split(",")]
INT_A = int(os.environ.get("INT_A", "4"))
INT_B = int(os.environ.get("INT_B", "11"))
INT_B_SHIFT = [int(x) for x in os.environ.get("INT_B_SHIFT", "0,0,0").split(",")]
NIMG = int(os.environ.get("NIMG", "5"))
FMAX_NEB = float(os.environ.get("FMAX_NEB", "0.05"))
STEPS_NEB = int(os.environ.get("STEPS_NEB", "600"))
TAG = os.environ.get("TAG", "caseA_" + "x".join(map(str, SC)))


def run_neb(s_init, s_final, tag):
    """Relax both end points (fixed cell, FMAX), then CI-NEB. s_init/s_final: same atom ordering."""
    from pymatgen.io.ase import AseAtomsAdaptor as A
    ri = C.relax(s_init, tag=f"{tag} end0")
    rf = C.relax(s_final, tag=f"{tag} end1")
    ri["structure"].to(filename=f"{tag}_end0_relaxed.cif")
    rf["structure"].to(filename=f"{tag}_end1_relaxed.cif")
    images, es, conv, nsteps, fmax_img, seg, wall = C.climbing_neb(
        ri["structure"], rf["structure"], NIMG, FMAX_NEB, STEPS_NEB, logfile=f"{tag}_neb.log")
    imax = int(np.argmax(es))
    for k, im in enumerate(images):
        A.get_structure(im).to(filename=f"{tag}_img{k}.cif")
    res = {
        "tag": tag,
        "e_end0_ev": float(es[0]), "e_end1_ev": float(es[-1]),
        "e_end0_relax_ev": ri["energy_ev"], "e_end1_relax_ev": rf["energy_ev"],
        "end_relax": [{k: r[k] for k in ("converged", "nsteps", "final_fmax", "fmax_target", "wall_s")} for r in (ri, rf)],
        "image_energies_rel_end0_ev": (es - es[0]).tolist(),
        "barrier_forward_ev": float(es.max() - es[0]),
        "barrier_backward_ev": float(es.max() - es[-1]),
        "saddle_image": imax,
        "neb_converged": conv, "neb_steps": nsteps, "neb_fmax_target": FMAX_NEB,
        "neb_image_fmax": fmax_img, "path_segments_ang": seg, "neb_wall_s": wall,
    }
    print(json.dumps({k: (np.round(v, 4).tolist() if isinstance(v, (list, float)) else v) for k, v in res.items()
                      if k != "end_relax"}), flush=True)
    return res, images


def li_traj(images, idx):
    from ase.geometry import find_mic
    p0 = images[0].get_positions()[idx]
    out = []
    for im in images:
        dv, _ = find_mic(im.get_positions()[idx] - p0, im.cell, pbc=True)
        out.append(float(np.linalg.norm(dv)))
    return out


def main():
    info = C.versions()
    s = Structure.from_file(CIF)
    sup = s * SC
    print("supercell", SC, len(sup), "atoms")
    perf = C.relax(sup, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=f"{TAG} perfect")
    P = perf["structure"]
    lat = P.lattice
    li = [i for i, x in enumerate(P) if x.specie.symbol == "Li"]
    out = {"versions": info, "cif": CIF, "supercell": SC, "natoms_perfect": len(P), "mode": MODE,
           "perfect": {k: perf[k] for k in ("energy_ev", "converged", "nsteps", "final_fmax", "fmax_target", "wall_s")},
           "nimages": NIMG, "runs": []}
    if MODE == "vac":
        # pick hops on the symmetric experimental-coordinate supercell (same atom order as P): the relaxed
        # fixed-cell positions break the equal distances into near-duplicates (e.g. 4.22 A -> 4.43-4.47 A)
        d = sup.lattice.get_all_distances(sup.frac_coords[li], sup.frac_coords[li])
        dd = sorted(set(np.round(d[0][1:], 2)))
        for h in HOPS:
            target = dd[h - 1]
            i = li[0]
            j = li[int(np.argmin(np.abs(d[0] - target) + (np.arange(len(li)) == 0) * 1e9))]
            dij = C.min_image(lat, P.frac_coords[i], P.frac_coords[j])
            dij_exp = C.min_image(sup.lattice, sup.frac_coords[i], sup.frac_coords[j])
            print(f"hop {h}: Li {i} -> vacancy at Li {j}, d = {dij_exp:.3f} A (experimental), {dij:.3f} A (relaxed perfect cell)")
            s0 = P.copy()
            s0.remove_sites([j])                      # vacancy at j, Li i on its own site
            s1 = P.copy()
            s1.replace(i, "Li", coords=P.frac_coords[j], coords_are_cartesian=False)
            s1.remove_sites([j])                      # Li i now on site j, vacancy at i
            tag = f"{TAG}_vac_hop{h}"
            res, images = run_neb(s0, s1, tag)
            ii = i if i < j else i - 1
            res.update({"hop": h, "li_from": i, "vacancy_site": j, "li_li_distance_relaxed_ang": dij, "li_li_distance_experimental_ang": dij_exp,
                        "hopping_li_displacement_along_path_ang": li_traj(images, ii)})
            out["runs"].append(res)
            C.save_json(f"{TAG}_neb_{MODE}_results.json", out)
    elif MODE == "int":
        bv = C.halo_bvse(CIF)
        sites = {x["index"]: x for x in bv["sites"]}
        fa = np.array(sites[INT_A]["frac_coords"]) / np.array(SC)
        fb = (np.array(sites[INT_B]["frac_coords"]) + np.array(INT_B_SHIFT)) / np.array(SC)
        ca, cb = lat.get_cartesian_coords(fa), lat.get_cartesian_coords(fb)
        dab = C.min_image(lat, fa, fb)
        mid = lat.get_fractional_coords(0.5 * (ca + cb))
        dm = lat.get_all_distances([mid], P.frac_coords[li])[0]
        k = li[int(np.argmax(dm))]
        print(f"interstitial hop min{INT_A} -> min{INT_B}{INT_B_SHIFT}: d = {dab:.3f} A; vacancy at Li {k}, "
              f"{dm.max():.2f} A from the hop midpoint")
        s0 = P.copy()
        s0.replace(k, "Li", coords=fa, coords_are_cartesian=False)
        s1 = P.copy()
        s1.replace(k, "Li", coords=fb, coords_are_cartesian=False)
        tag = f"{TAG}_int_{INT_A}_{INT_B}"
        res, images = run_neb(s0, s1, tag)
        res.update({"int_a": INT_A, "int_b": INT_B, "int_b_shift": INT_B_SHIFT, "bvse_distance_ang": dab,
                    "vacancy_li": k, "vacancy_to_midpoint_ang": float(dm.max()),
                    "end0_delta_vs_perfect_ev": res["e_end0_ev"] - perf["energy_ev"],
                    "end1_delta_vs_perfect_ev": res["e_end1_ev"] - perf["energy_ev"],
                    "hopping_li_displacement_along_path_ang": li_traj(images, k),
                    "end_li_distance_ang": li_traj(images, k)[-1]})
        # largest displacement of any other Li between the two end points (interstitialcy check)
        from ase.geometry import find_mic
        dv, _ = find_mic(images[-1].get_positions() - images[0].get_positions(), images[0].cell, pbc=True)
        lis = [q for q in li if q != k]
        res["max_other_li_end_to_end_shift_ang"] = float(np.linalg.norm(dv[lis], axis=1).max())
        out["runs"].append(res)
        C.save_json(f"{TAG}_neb_{MODE}_results.json", out)
    elif MODE == "icy":
        # interstitialcy: extra Li on BVSE minimum INT_A kicks the lattice Li on halo site ICY_LI into minimum
        # INT_C (unit-cell indices; ICY_C_SHIFT lattice shift of C). Frenkel cell, vacancy far away as in MODE=int.
        bv = C.halo_bvse(CIF)
        sites = {x["index"]: x for x in bv["sites"]}
        ICY_LI = int(os.environ.get("ICY_LI", "0"))
        INT_C = int(os.environ.get("INT_C", "24"))
        shc = [int(x) for x in os.environ.get("ICY_C_SHIFT", "0,0,0").split(",")]
        fa = np.array(sites[INT_A]["frac_coords"]) / np.array(SC)
        fl = np.array(sites[ICY_LI]["frac_coords"]) / np.array(SC)
        fc = (np.array(sites[INT_C]["frac_coords"]) + np.array(shc)) / np.array(SC)
        q, dq = C.nearest(lat, fl, P.frac_coords[li])
        lq = li[q]                                   # the lattice Li that gets kicked out
        print(f"lattice Li {lq} is {dq:.2f} A from halo site {ICY_LI}")
        ca = lat.get_cartesian_coords(fa)
        dm = lat.get_all_distances([fa], P.frac_coords[li])[0]
        k = li[int(np.argmax(dm))]                   # vacancy (far)
        s0 = P.copy()
        s0.replace(k, "Li", coords=fa, coords_are_cartesian=False)
        s1 = P.copy()
        s1.replace(k, "Li", coords=P.frac_coords[lq], coords_are_cartesian=False)
        s1.replace(lq, "Li", coords=fc, coords_are_cartesian=False)
        d_ak = C.min_image(lat, fa, P.frac_coords[lq])
        d_lc = C.min_image(lat, P.frac_coords[lq], fc)
        print(f"interstitialcy: extra Li min{INT_A} -> Li site {lq} ({d_ak:.2f} A); Li {lq} -> min{INT_C}{shc} "
              f"({d_lc:.2f} A); vacancy Li {k} {dm.max():.2f} A away")
        tag = f"{TAG}_icy_{INT_A}_{ICY_LI}_{INT_C}"
        res, images = run_neb(s0, s1, tag)
        res.update({"int_a": INT_A, "lattice_li_halo_site": ICY_LI, "int_c": INT_C, "int_c_shift": shc,
                    "hop_extra_li_ang": d_ak, "hop_kicked_li_ang": d_lc, "vacancy_li": k,
                    "end0_delta_vs_perfect_ev": res["e_end0_ev"] - perf["energy_ev"],
                    "end1_delta_vs_perfect_ev": res["e_end1_ev"] - perf["energy_ev"],
                    "extra_li_path_ang": li_traj(images, k), "kicked_li_path_ang": li_traj(images, lq)})
        out["runs"].append(res)
        C.save_json(f"{TAG}_neb_{MODE}_results.json", out)


if __name__ == "__main__":
    main()
