"""Print the markdown tables of mlip_site_energies.md from the *_results.json files.

Run: python3 make_tables.py [DIR]   (DIR defaults to ./results next to this file)
"""
import glob
import json
import os
import sys

D = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load(tag):
    p = os.path.join(D, f"{tag}_results.json")
    return json.load(open(p)) if os.path.exists(p) else None


def frenkel_table(tags, title):
    runs = [(t, load(t)) for t in tags]
    runs = [(t, r) for t, r in runs if r]
    if not runs:
        return
    print(f"### {title}\n")
    base = runs[0][1]
    hdr = "| BVSE min | BVSE E (eV) | BVSE ΔE vs mean Li site (eV) | BVSE ΔE vs moved Li's site (eV) |"
    hdr += "".join(f" MLIP ΔE {r['natoms']} at. (eV) |" for _, r in runs) + " notes (largest cell) |"
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    by = [{row["minimum_index"]: row for row in r["frenkel"]} for _, r in runs]
    for row in base["frenkel"]:
        i = row["minimum_index"]
        cells = []
        for b in by:
            x = b.get(i)
            cells.append(f"{x['mlip_delta_ev']:.3f}{'' if x['converged'] else ' (not conv.)'}" if x else "–")
        big = [b[i] for b in by if i in b][-1]
        note = (f"moved Li {big['moved_li_bvse_label']}; Li ended {big['moved_li_displacement_from_start_ang']:.2f} Å from the minimum, "
                f"{big['moved_li_end_dist_to_own_vacancy_ang']:.1f} Å from its vacancy, nearest other Li site {big['moved_li_end_dist_to_nearest_occupied_li_site_ang']:.2f} Å; "
                f"max other-Li shift {big['max_other_li_displacement_ang']:.2f} Å; {big['nsteps']} FIRE steps, fmax {big['final_fmax']:.3f}")
        dm = row.get("bvse_delta_vs_moved_site_ev")
        print(f"| {i} | {row['bvse_energy_ev']:.3f} | {row['bvse_delta_ev']:+.3f} | {dm:+.3f} | " + " | ".join(cells) + f" | {note} |")
    for t, r in runs:
        p = r["perfect"]
        print(f"\n{t}: supercell {r['supercell']} = {r['natoms']} atoms; perfect cell E = {p['energy_ev']:.4f} eV "
              f"({p['nsteps']} FIRE steps, fmax {p['final_fmax']:.3f}, converged {p['converged']})", end="")
    print("\n")


def spinel_table():
    for tag in ("caseC_1x1x1", "caseC_2x2x2", "caseC_3x3x3"):
        r = load(tag)
        if not r:
            continue
        print(f"### Case C {tag}: {r['natoms']} atoms\n")
        print(f"BVSE (disordered CIF): 8a mean {r['bvse_8a_mean_ev']:.4f} eV, 16c mean {r['bvse_16c_mean_ev']:.4f} eV, "
              f"16c − 8a = {r['bvse_16c_mean_ev'] - r['bvse_8a_mean_ev']:+.4f} eV\n")
        print("| 16c hole (frac) | 16d neighbours Li/Mg | BVSE ΔE 16c−8a (eV) | MLIP ΔE, free relaxation (eV) | MLIP ΔE, Li held at hole centre (eV) | notes |")
        print("|---|---|---|---|---|---|")
        for m in r["moves"]:
            f = ", ".join(f"{x:.3f}" for x in m["hole_frac"])
            fixed = (f"{m['mlip_delta_li_fixed_at_centre_ev']:.3f}" if "mlip_delta_li_fixed_at_centre_ev" in m else "– (not run)")
            print(f"| ({f}) | {m['n_16d_li_neighbours']}/{m['n_16d_mg_neighbours']} | "
                  f"{r['bvse_16c_mean_ev'] - r['bvse_8a_mean_ev']:+.3f} | {m['mlip_delta_ev']:.3f} | {fixed} | "
                  f"Li ended {m['moved_li_disp_from_hole_ang']:.2f} Å from the hole centre, {m['moved_li_end_dist_to_own_8a_ang']:.2f} Å from its vacated 8a; "
                  f"other face-sharing 8a Li shifted {m['other_8a_displacement_ang']} Å; atoms moved >0.5 Å: {m['other_atoms_moved_gt_0.5A'] or 'none'}; "
                  f"{m['nsteps']} steps, fmax {m['final_fmax']:.3f}, conv {m['converged']} |")
        p = r["perfect"]
        print(f"\nperfect: E = {p['energy_ev']:.4f} eV, {p['nsteps']} steps, fmax {p['final_fmax']:.3f}\n")


frenkel_table(["caseA_1x1x1", "caseA_2x2x1", "caseA_2x2x2"], "Case A: LiAlCl4 Frenkel pairs")
frenkel_table(["caseB_1x1x1", "caseB_2x2x1", "caseB_3x3x1", "caseB_4x4x1"], "Case B: Li3ScCl6 Frenkel pairs")
spinel_table()
