"""Case C: hand-built inverse spinel Li2MgCl4 (Fd-3m, a = 10.419 A), 8a Li -> 16c octahedral hole.

Writes Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif (disordered: 8a Li full, 16d Li0.5/Mg0.5) in the cwd,
runs `halo bvse` on it, orders the 16d Li/Mg (lowest Ewald ordering of the 14-atom primitive cell,
pymatgen OrderDisorderedStructureTransformation), tiles it to the 56-atom conventional cell, relaxes
ions with CHGNet at the fixed cell, then moves one 8a Li into each of the four empty octahedral holes
that share a face with its tetrahedron and relaxes again.

Run: python3 case_c_Li2MgCl4.py
"""
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlip_common as C  # noqa: E402
from pymatgen.core import Structure  # noqa: E402
from pymatgen.transformations.standard_transformations import OrderDisorderedStructureTransformation  # noqa: E402

TEMPLATE = os.path.join(C.REPO, "structures", "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif")
A = 10.419
CIF_OUT = "Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif"
# optional supercell of the 56-atom conventional cell, e.g. SC=2,2,2 (448 atoms)
SC = tuple(int(x) for x in os.environ.get("SC", "1,1,1").split(","))
TAG = "caseC_" + "x".join(map(str, SC))
# DEDUP=1: relax only one hole per (16d Li, 16d Mg) neighbour count (in the 1x1x1 and 2x2x2 runs holes with
# equal counts gave identical energies, they are symmetry-equivalent in the Imma ordering)
DEDUP = os.environ.get("DEDUP", "0") == "1"


def write_cif():
    src = open(TEMPLATE).read()
    head = src.split("loop_\n _atom_site_type_symbol")[0]
    head = "\n".join(ln for ln in head.split("\n") if not ln.startswith("#"))
    head = head.replace("data_Li16.9936Sc4.976Cl32", "data_Li2MgCl4_inverse_spinel")
    head = re.sub(r"_cell_length_([abc])\s+\S+", lambda m: f"_cell_length_{m.group(1)}   {A:.8f}", head)
    head = re.sub(r"_cell_volume\s+\S+", f"_cell_volume   {A ** 3:.8f}", head)
    head = re.sub(r"_chemical_formula_structural\s+\S+", "_chemical_formula_structural   Li2MgCl4", head)
    head = re.sub(r"_chemical_formula_sum\s+'[^']*'", "_chemical_formula_sum   'Li16 Mg8 Cl32'", head)
    head = re.sub(r"_cell_formula_units_Z\s+\S+", "_cell_formula_units_Z   8", head)
    hdr = ["# Li2MgCl4_Fd-3m_inverse_spinel_handbuilt",
           "# Hand-built test model (no refinement): inverse spinel Li2MgCl4, a = 10.419 A.",
           "# Setting and symmetry operations copied from structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif.",
           "# Li (0,0,1/2) 8-fold tetrahedral site full; (1/8,1/8,1/8) 16-fold octahedral site Li 0.5 / Mg 0.5;",
           "# Cl (0.12065,0.12065,0.87935). Written by scripts/reference/mlip/case_c_Li2MgCl4.py"]
    atoms = """loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_symmetry_multiplicity
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Li  Li1  8  0.00000000  0.00000000  0.50000000  1
  Li  Li2  16  0.12500000  0.12500000  0.12500000  0.5
  Mg  Mg3  16  0.12500000  0.12500000  0.12500000  0.5
  Cl  Cl4  32  0.12065000  0.12065000  0.87935000  1
"""
    with open(CIF_OUT, "w") as fh:
        fh.write("\n".join(hdr) + "\n" + head + atoms)


def main():
    info = C.versions()
    write_cif()
    dis = Structure.from_file(CIF_OUT)
    print("disordered cell:", dis.composition, len(dis), "sites")
    cl_idx = [i for i, x in enumerate(dis) if x.species_string == "Cl"]
    # --- BVSE on the disordered CIF
    bv = C.halo_bvse(CIF_OUT)
    print("halo mixed_site_li:", bv.get("mixed_site_li"))
    bv_rows = []
    for m in bv["sites"]:
        f = np.array(m["frac_coords"])
        dcl = np.sort(dis.lattice.get_all_distances([f], dis.frac_coords[cl_idx])[0])
        ncl = int((dcl < 2.9).sum())
        kind = ("8a (tetrahedral, refined Li)" if m["label"] is not None else
                "16c (empty octahedral, face-sharing with 8a)" if ncl == 6 else
                f"other empty hole ({ncl} Cl < 2.9 A)")
        bv_rows.append({"index": m["index"], "label": m["label"], "energy_ev": m["energy_ev"],
                        "frac": m["frac_coords"], "n_cl_2.9A": ncl, "d_cl_min": float(dcl[0]), "kind": kind})
        print(f"  BVSE min {m['index']:2d} {str(m['label']):5s} E={m['energy_ev']:.4f}  nCl<2.9={ncl} dCl={dcl[0]:.2f}  {kind}")
    e8a = [r["energy_ev"] for r in bv_rows if r["label"] is not None]
    e16c = [r["energy_ev"] for r in bv_rows if r["kind"].startswith("16c")]
    print(f"BVSE 8a: mean {np.mean(e8a):.4f} (min {min(e8a):.4f}, max {max(e8a):.4f}); "
          f"16c: mean {np.mean(e16c):.4f} (min {min(e16c):.4f}, max {max(e16c):.4f}); "
          f"16c - 8a (means) = {np.mean(e16c) - np.mean(e8a):+.4f} eV")
    # --- ordering
    s_ox = dis.copy()
    s_ox.add_oxidation_state_by_element({"Li": 1, "Mg": 2, "Cl": -1})
    prim = s_ox.get_primitive_structure()
    ranked = OrderDisorderedStructureTransformation(algo=0).apply_transformation(prim, return_ranked_list=20)
    ew = [r["energy"] for r in ranked]
    print("primitive-cell orderings:", len(ranked), "Ewald energies (eV):", np.round(ew, 4))
    ordered_prim = ranked[0]["structure"]
    ordered_prim.remove_oxidation_states()
    print("chosen ordering spacegroup:", ordered_prim.get_space_group_info(symprec=1e-3))
    M = np.rint(dis.lattice.matrix @ np.linalg.inv(ordered_prim.lattice.matrix)).astype(int)
    conv = ordered_prim.copy()
    conv.make_supercell(M)
    assert len(conv) == 56, len(conv)
    if SC != (1, 1, 1):
        conv.make_supercell(SC)
    print("conventional ordered cell:", conv.composition, np.round(conv.lattice.abc, 4), np.round(conv.lattice.angles, 2),
          "spacegroup", conv.get_space_group_info(symprec=1e-3))
    # identify 8a Li (tetrahedral: 4 Cl < 2.5 A)
    cl_c = [i for i, x in enumerate(conv) if x.specie.symbol == "Cl"]

    def ncl_within(struct, i, r):
        cl = [k for k, x in enumerate(struct) if x.specie.symbol == "Cl"]
        return int((struct.lattice.get_all_distances([struct.frac_coords[i]], struct.frac_coords[cl])[0] < r).sum())
    li8a = [i for i, x in enumerate(conv) if x.specie.symbol == "Li" and ncl_within(conv, i, 2.45) == 4]
    li16d = [i for i, x in enumerate(conv) if x.specie.symbol == "Li" and i not in li8a]
    mg16d = [i for i, x in enumerate(conv) if x.specie.symbol == "Mg"]
    print(f"8a Li: {len(li8a)}, 16d Li: {len(li16d)}, 16d Mg: {len(mg16d)}")
    conv.to(filename=f"{TAG}_ordered_unrelaxed.cif")
    perf = C.relax(conv, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=f"{TAG} perfect {len(conv)}")
    ps = perf["structure"]
    ps.to(filename=f"{TAG}_perfect_relaxed.cif")
    lat = ps.lattice
    # ideal 16c positions of the disordered cell: BVSE octahedral minima rounded to 1/8 (conv cell == dis cell)
    oct_ideal = []
    for r in bv_rows:
        if r["kind"].startswith("16c"):
            f0 = np.mod(np.rint(np.array(r["frac"]) * 8) / 8, 1.0)
            for tr in np.ndindex(*SC):
                f = (f0 + np.array(tr)) / np.array(SC)
                if not any(lat.get_all_distances([f], [g])[0, 0] < 0.1 for g in oct_ideal):
                    oct_ideal.append(f)
    print("distinct 16c holes:", len(oct_ideal))
    # pick the first 8a Li; its face-sharing octahedral holes: 16c within 2.6 A sharing 3 Cl
    j = li8a[0]
    fj = ps.frac_coords[j]
    cl_ps = [k for k, x in enumerate(ps) if x.specie.symbol == "Cl"]
    dcl_j = lat.get_all_distances([fj], ps.frac_coords[cl_ps])[0]
    tet_cl = set(np.array(cl_ps)[np.argsort(dcl_j)[:4]].tolist())
    rows = []
    for f in oct_ideal:
        if lat.get_all_distances([f], [fj])[0, 0] > 2.6:
            continue
        dcl = lat.get_all_distances([f], ps.frac_coords[cl_ps])[0]
        oct_cl = np.array(cl_ps)[np.argsort(dcl)[:6]]
        shared = len(tet_cl & set(oct_cl.tolist()))
        # hole centre = centroid of its 6 Cl in the relaxed perfect cell (min image around f)
        cart = []
        for k in oct_cl:
            _, img = lat.get_distance_and_image(f, ps.frac_coords[k])
            cart.append(lat.get_cartesian_coords(ps.frac_coords[k] + img))
        fc = lat.get_fractional_coords(np.mean(cart, axis=0))
        # 16d neighbours of this hole (edge-sharing octahedra, ideal distance a*sqrt(2)/4 = 3.68 A)
        d_li16 = lat.get_all_distances([fc], ps.frac_coords[li16d])[0]
        d_mg16 = lat.get_all_distances([fc], ps.frac_coords[mg16d])[0]
        n_li16 = int((d_li16 < 3.9).sum())
        n_mg16 = int((d_mg16 < 3.9).sum())
        d_8a = lat.get_all_distances([fc], ps.frac_coords[li8a])[0]
        other8a = [li8a[q] for q in np.argsort(d_8a) if li8a[q] != j and d_8a[q] < 2.6]
        if DEDUP and any((x["n_16d_li_neighbours"], x["n_16d_mg_neighbours"]) == (n_li16, n_mg16) for x in rows):
            continue
        s = ps.copy()
        s.replace(j, "Li", coords=fc)
        r = C.relax(s, tag=f"{TAG} 8a->16c hole {np.round(fc, 3)}")
        # same start, moved Li held fixed at the hole centre (all other ions relaxed): energy of Li *at* 16c
        rfix = C.relax(s, tag=f"{TAG} 8a->16c hole, Li fixed at centre", fix=[j])
        fs = r["structure"]
        fend = fs.frac_coords[j]
        d_start = float(np.linalg.norm(r["cart"][j] - r["cart0"][j]))
        d_home = C.min_image(lat, fend, ps.frac_coords[j])
        moved = []
        for q in range(len(ps)):
            if q == j:
                continue
            dq = float(np.linalg.norm(r["cart"][q] - r["cart0"][q]))
            if dq > 0.5:
                moved.append((q, fs[q].specie.symbol, round(dq, 3)))
        other_8a_disp = [round(float(np.linalg.norm(r["cart"][q] - r["cart0"][q])), 3) for q in other8a]
        row = {"hole_frac": fc, "shared_cl_with_8a_tet": shared, "n_16d_li_neighbours": n_li16,
               "n_16d_mg_neighbours": n_mg16, "other_occupied_8a_within_2.6A": len(other8a),
               "other_8a_displacement_ang": other_8a_disp,
               "mlip_delta_ev": r["energy_ev"] - perf["energy_ev"], "converged": r["converged"],
               "mlip_delta_li_fixed_at_centre_ev": rfix["energy_ev"] - perf["energy_ev"], "fixed_converged": rfix["converged"],
               "nsteps": r["nsteps"], "final_fmax": r["final_fmax"], "fmax_target": r["fmax_target"],
               "moved_li_disp_from_hole_ang": d_start, "moved_li_end_dist_to_own_8a_ang": d_home,
               "other_atoms_moved_gt_0.5A": moved, "wall_s": r["wall_s"]}
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
        rows.append(row)
        fs.to(filename=f"{TAG}_8a_to_16c_{len(rows)}_relaxed.cif")
    C.save_json(f"{TAG}_results.json", {
        "versions": info, "cif": CIF_OUT, "supercell_of_conventional": SC, "natoms": len(conv),
        "ordering": {"method": "OrderDisorderedStructureTransformation(algo=0) on the 14-atom primitive cell, lowest Ewald, tiled to conventional",
                     "ewald_energies_ev": ew, "spacegroup": ordered_prim.get_space_group_info(symprec=1e-3)},
        "bvse_minima": bv_rows, "bvse_8a_mean_ev": float(np.mean(e8a)), "bvse_16c_mean_ev": float(np.mean(e16c)),
        "perfect": {k: perf[k] for k in ("energy_ev", "converged", "nsteps", "final_fmax", "fmax_target", "wall_s")},
        "moves": rows,
    })


if __name__ == "__main__":
    main()
