"""Case E: seed spinel Li2Sc2/3Cl4, CHGNet climbing-image NEB for the 8a <-> face-sharing 16c hop.

Question: halo's kMC hops Li between 8a and a face-sharing 16c (2.25 A) with barrier parameter
E_KRA = E_saddle - (E_8a + E_16c)/2. What does CHGNet give in the ordered 54-atom cells of case D?

Cells / frameworks / ground arrangements: exactly those of case D (case_d_Li2Sc2-3Cl4.py). The 16d orderings are
rebuilt the way case D builds them (lowest Ewald of the C(16,5) placements; numpy default_rng(seed) for seeds 1-4)
and checked against the Sc lists stored in results/caseD_1x1x1*_results.json. The relaxed ground arrangements are
read from those JSON files ("ground_struct"), checked against the rebuilt framework + stored ground sites, and
re-relaxed (FIRE, fixed cell, fmax FMAX_PERFECT = 0.002 eV/A).

Hops: from the ground, every mobile Li k on 8a (16c) and every vacant face-sharing 16c (8a) neighbour of its site that
is >= 2.5 A from each of the OTHER five mobile Li. Per framework, candidates are shuffled (numpy default_rng(300 + fw))
and taken greedily with different (direction, Sc around 16c, Sc around 8a) keys first. End state: Li k placed at the
centroid of the destination's Cl polyhedron of the relaxed ground, relaxed to fmax 0.002; the hop is skipped (next
candidate) if Li k does not end within 0.5 A of the destination or another mobile Li leaves its site.
NEB: ASE NEB, climb=True, NIMG (5) intermediate images, IDPP interpolation (minimum image), improved tangent, FIRE to
FMAX_NEB (0.05 eV/A), <= STEPS_NEB steps, one shared CHGNet calculator (as case_a_neb_LiAlCl4.py). E_saddle = highest
image energy (the climbing image) after convergence; end-point energies = single points of the relaxed end states.
Hops run round-robin over the frameworks (hop 1 of each, then hop 2, ...) and stop starting new NEBs after MAX_WALL s.

Run (from any directory; reads ../results/caseD_*.json next to this script, writes caseE_neb_results.json to the cwd):
    OMP_NUM_THREADS=1 python3 case_e_neb_spinel.py
    env: FWS=0,2,3,4  HOPS_PER_FW=3  NIMG=5  FMAX_NEB=0.05  STEPS_NEB=500  MAX_WALL=2100
    FWS=0 HOPS_PER_FW=1 NIMG=7 OUT=caseE_neb_nimg7_results.json python3 case_e_neb_spinel.py   # 7-image check
    python3 case_e_neb_spinel.py table [results/caseE_neb_results.json]    # markdown table + summary
"""
import importlib.util
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
_spec = importlib.util.spec_from_file_location("case_d", os.path.join(HERE, "case_d_Li2Sc2-3Cl4.py"))
D = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(D)

FWS = [int(x) for x in os.environ.get("FWS", "0,2,3,4").split(",") if x]
HOPS_PER_FW = int(os.environ.get("HOPS_PER_FW", "3"))
NIMG = int(os.environ.get("NIMG", "5"))
FMAX_NEB = float(os.environ.get("FMAX_NEB", "0.05"))
STEPS_NEB = int(os.environ.get("STEPS_NEB", "500"))
MAX_WALL = float(os.environ.get("MAX_WALL", "2100"))
OUT = os.environ.get("OUT", "caseE_neb_results.json")
NFW = 48
FACE = 2.4     # A, face-sharing 8a-16c pair (2.25 A)


def load_case_d():
    fws = []
    for f in ("caseD_1x1x1_results.json", "caseD_1x1x1_extra_results.json"):
        fws += json.load(open(os.path.join(HERE, "results", f)))["frameworks"]
    return fws


def check_frameworks(g, fws):
    """Rebuild the case D 16d orderings and compare with the stored Sc lists."""
    combos, ew = D.ewald_orderings(g)
    rebuilt = {0: list(combos[np.argsort(ew)[0]])}
    for i, sd in zip((1, 2, 3, 4), (1, 2, 3, 4)):
        rng = np.random.default_rng(sd)
        rebuilt[i] = sorted(rng.choice(16, D.N_SC, replace=False).tolist())
    for i, fw in enumerate(fws):
        assert list(rebuilt[i]) == list(fw["sc"]), (i, rebuilt[i], fw["sc"])
    print("frameworks rebuilt = case D:", rebuilt, flush=True)


def candidates(g, occ, nsc):
    out = []
    for k, o in enumerate(occ):
        rest = [occ[q] for q in range(len(occ)) if q != k]
        for m in range(24):
            if g.kind[m] == g.kind[o] or m in occ or g.D[o, m] >= FACE:
                continue
            if all(g.D[m, q] >= D.RULE for q in rest):
                c16, c8 = (o, m) if g.kind[o] == "16c" else (m, o)
                out.append({"k": k, "origin": int(o), "dest": int(m), "dir": f"{g.kind[o]}->{g.kind[m]}",
                            "n_sc_16c": nsc[c16], "n_sc_8a": nsc[c8], "site_16c": int(c16 - 8), "site_8a": int(c8)})
    return out


def order_candidates(cands, seed):
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(cands))
    cands = [cands[i] for i in idx]
    first, rest, seen = [], [], set()
    # alternate directions, distinct (dir, nsc16c, nsc8a) first
    for c in cands:
        key = (c["dir"], c["n_sc_16c"], c["n_sc_8a"])
        (rest if key in seen else first).append(c)
        seen.add(key)
    by = {d: [c for c in first if c["dir"] == d] for d in ("8a->16c", "16c->8a")}
    inter = []
    while by["8a->16c"] or by["16c->8a"]:
        for d in ("8a->16c", "16c->8a"):
            if by[d]:
                inter.append(by[d].pop(0))
    return inter + rest


def end_state(C, g, gs, occ, c, tag):
    s = gs.copy()
    lat = s.lattice
    cl_idx = [i for i, x in enumerate(s) if x.specie.symbol == "Cl"]
    dk = g.kind[c["dest"]]
    fc = D.poly_centre(lat, s.frac_coords, cl_idx, g.mob[c["dest"]], 4 if dk == "8a" else 6)
    j = NFW + c["k"]
    s.replace(j, "Li", coords=fc)
    r = C.relax(s, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=tag)
    fs = r["structure"]
    fin = [g.classify(fs.lattice, fs.frac_coords[NFW + q]) for q in range(len(occ))]
    ids = [(x[1] if x[0] == "8a" else 8 + x[1]) if x[0] in ("8a", "16c") and x[2] < D.STAY else None for x in fin]
    expect = [c["dest"] if q == c["k"] else occ[q] for q in range(len(occ))]
    ok = ids == expect
    return r, ok, {"end_sites": ids, "end_dists": [float(x[2]) for x in fin], "expected_sites": expect}


def run_neb(C, s0, s1, j, tag):
    from ase.geometry import find_mic
    images, es, conv, nsteps, fmax_img, seg, wall = C.climbing_neb(s0, s1, NIMG, FMAX_NEB, STEPS_NEB)
    a0 = images[0]
    p0 = images[0].get_positions()[j]
    li_path = []
    for im in images:
        dv, _ = find_mic(im.get_positions()[j] - p0, im.cell, pbc=True)
        li_path.append(float(np.linalg.norm(dv)))
    dv, _ = find_mic(images[-1].get_positions() - images[0].get_positions(), a0.cell, pbc=True)
    others = [q for q in range(len(a0)) if q != j]
    imax = int(np.argmax(es))
    mins = [i for i in range(1, NIMG + 1) if es[i] < es[i - 1] and es[i] < es[i + 1]]
    return {"image_energies_ev": es.tolist(), "image_energies_rel_initial_ev": (es - es[0]).tolist(),
            "saddle_image": imax, "neb_converged": conv, "neb_steps": nsteps, "neb_fmax_target": FMAX_NEB,
            "nimages": NIMG, "neb_image_fmax": fmax_img, "path_segments_ang": seg,
            "hop_li_dist_from_start_ang": li_path, "end_to_end_hop_li_ang": li_path[-1],
            "end_to_end_max_other_atom_ang": float(np.linalg.norm(dv[others], axis=1).max()),
            "interior_minima_images": mins,
            "intermediate_min_depth_ev": (float(max(min(es[i - 1], es[i + 1]) - es[i] for i in mins)) if mins else 0.0),
            "neb_wall_s": wall}


def run():
    import torch
    torch.set_num_threads(1)
    from pymatgen.core import Structure
    import mlip_common as C
    t_all = time.time()
    g = D.Geo()
    info = C.versions()
    fws = load_case_d()
    check_frameworks(g, fws)
    state = {}
    for fi in FWS:
        fw = fws[fi]
        sc_mask = [i in fw["sc"] for i in range(16)]
        nsc = [g.n_sc(g.mob[m], sc_mask, g.kind[m])[0] for m in range(24)]
        occ = fw["ground_sites"]
        gs = Structure.from_dict(fw["ground_struct"])
        ref = g.build(sc_mask, occ)
        assert [x.specie.symbol for x in gs] == [x.specie.symbol for x in ref]
        dmax = max(C.min_image(g.lat, gs.frac_coords[i], ref.frac_coords[i]) for i in range(len(ref)))
        r = C.relax(gs, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=f"E fw{fi} ground re-relax")
        cands = order_candidates(candidates(g, occ, nsc), 300 + fi)
        print(f"fw{fi}: ground sites {occ}, stored E {fw['ground_energy_ev']:.5f}, re-relaxed {r['energy_ev']:.5f}; "
              f"max shift vs ideal sites {dmax:.2f} A; {len(cands)} face-sharing candidates", flush=True)
        state[fi] = {"fw": fw, "gs": r["structure"], "e0": r["energy_ev"], "occ": occ, "cands": cands, "done": 0,
                     "ground": {"energy_ev": r["energy_ev"], "stored_energy_ev": fw["ground_energy_ev"],
                                "nsteps": r["nsteps"], "final_fmax": r["final_fmax"], "n_candidates": len(cands),
                                "ground_sites": occ, "sc": fw["sc"], "name": fw["name"]}}
    out = {"versions": info, "case": "E", "natoms": 54, "nimages": NIMG, "fmax_neb": FMAX_NEB,
           "fmax_end_states": C.FMAX_PERFECT, "frameworks": {str(fi): state[fi]["ground"] for fi in FWS},
           "hops": [], "skipped": []}
    stop = False
    for rnd in range(HOPS_PER_FW):
        for fi in FWS:
            st = state[fi]
            if stop or st["done"] > rnd:
                continue
            while st["cands"] and st["done"] <= rnd:
                if time.time() - t_all > MAX_WALL:
                    stop = True
                    break
                c = st["cands"].pop(0)
                o, m = c["origin"], c["dest"]
                tag = f"E fw{fi} Li{c['k']} {g.kind[o]}{o} -> {g.kind[m]}{m}"
                r1, ok, info1 = end_state(C, g, st["gs"], st["occ"], c, tag + " end")
                if not ok:
                    print(f"   skip {tag}: end sites {info1['end_sites']} expected {info1['expected_sites']}", flush=True)
                    out["skipped"].append({"framework": fi, **c, **info1, "energy_ev": r1["energy_ev"]})
                    continue
                j = NFW + c["k"]
                res = run_neb(C, st["gs"], r1["structure"], j, tag)
                es = res["image_energies_ev"]
                ei, ef, esad = es[0], es[-1], max(es)
                e8a, e16c = (ei, ef) if g.kind[o] == "8a" else (ef, ei)
                row = {"framework": fi, **c, "e_ground_relax_ev": st["e0"], "e_end_relax_ev": r1["energy_ev"],
                       "end_relax_steps": r1["nsteps"], "end_relax_fmax": r1["final_fmax"],
                       "end_hop_li_dist_to_site_ang": info1["end_dists"][c["k"]],
                       "e_initial_ev": ei, "e_final_ev": ef, "e_saddle_ev": esad,
                       "delta_e_ev": ef - ei, "barrier_forward_ev": esad - ei, "barrier_backward_ev": esad - ef,
                       "e8a_minus_e16c_ev": e8a - e16c, "barrier_from_8a_ev": esad - e8a,
                       "barrier_from_16c_ev": esad - e16c, "e_kra_ev": esad - 0.5 * (ei + ef),
                       "intermediate_minimum": bool(res["intermediate_min_depth_ev"] > 0.005), **res}
                print("   NEB", json.dumps({x: (round(v, 4) if isinstance(v, float) else
                                                 ([round(y, 3) for y in v] if isinstance(v, list) and v and isinstance(v[0], float) else v))
                                            for x, v in row.items()}), flush=True)
                out["hops"].append(row)
                st["done"] += 1
                out["wall_total_s"] = time.time() - t_all
                C.save_json(OUT, out)
    out["wall_total_s"] = time.time() - t_all
    out["stopped_by_max_wall"] = stop
    C.save_json(OUT, out)


def stats(x):
    x = np.array(x, float)
    if len(x) < 2:
        return f"{x.mean():.3f} (n={len(x)})" if len(x) else "–"
    return (f"{x.mean():.3f} ± {x.std(ddof=1):.3f} (mean ± sd), median {np.median(x):.3f}, n = {len(x)}, "
            f"range {x.min():.3f} … {x.max():.3f}")


def table(path):
    r = json.load(open(path))
    print("| fw | hop | Sc around 16c (of 6) | Sc around 8a (of 12) | ΔE = E_f − E_i (eV) | E(8a) − E(16c) (eV) | "
          "forward barrier (eV) | backward barrier (eV) | barrier from 8a (eV) | E_KRA (eV) | saddle image | "
          "intermediate min | NEB steps, max image fmax |")
    print("|" + "---|" * 13)
    for h in r["hops"]:
        im = (f"yes, image {h['interior_minima_images']}, {h['intermediate_min_depth_ev']:.3f} eV deep"
              if h["intermediate_minimum"] else "no")
        # site numbers as in case D: 8a0-8a7, 16c8-16c23
        print(f"| {h['framework']} | Li{h['k']} {h['dir'].split('->')[0]}{h['origin']} → "
              f"{h['dir'].split('->')[1]}{h['dest']} | {h['n_sc_16c']} | {h['n_sc_8a']} | "
              f"{h['delta_e_ev']:+.3f} | {h['e8a_minus_e16c_ev']:+.3f} | {h['barrier_forward_ev']:.3f} | "
              f"{h['barrier_backward_ev']:.3f} | {h['barrier_from_8a_ev']:.3f} | {h['e_kra_ev']:.3f} | "
              f"{h['saddle_image']} of 0…{h['nimages'] + 1} | {im} | {h['neb_steps']}{'' if h['neb_converged'] else ' (not converged)'}, "
              f"{max(h['neb_image_fmax']):.3f} |")
    H = r["hops"]
    print()
    print(f"- E_KRA: {stats([h['e_kra_ev'] for h in H])}")
    print(f"- barrier from 8a (E_saddle − E_8a): {stats([h['barrier_from_8a_ev'] for h in H])}")
    print(f"- barrier from 16c (E_saddle − E_16c): {stats([h['barrier_from_16c_ev'] for h in H])}")
    print(f"- E(8a) − E(16c) of the hop end states: {stats([h['e8a_minus_e16c_ev'] for h in H])}")
    print(f"- intermediate minima: {sum(h['intermediate_minimum'] for h in H)} of {len(H)}; skipped hops: {len(r['skipped'])}")
    print(f"- frameworks: {sorted({h['framework'] for h in H})}; wall {r.get('wall_total_s', 0) / 60:.1f} min; "
          f"NEB walls {[round(h['neb_wall_s']) for h in H]} s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "table":
        table(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "results", "caseE_neb_results.json"))
    else:
        run()
