"""Case D: seed spinel Li2Sc2/3Cl4 (Zhou 2020 neutron CIF, Fd-3m, a = 10.4037 A): mobile Li on 8a vs 16c.

The refinement has mobile Li on 8a (occ 0.141) and 16c (0.218), i.e. nearly degenerate sites; halo's BVSE puts
8a 0.13 eV above 16c. This script asks CHGNet for E(Li on 8a) - E(Li on 16c) in ordered cells at the fixed
experimental cell.

Cells: the conventional cell (32 Cl). 16d holds 5 Sc + 11 Li (refined 0.311 x 16 = 4.98 Sc); 6 mobile Li
(5*3 + 11 + 6 = 32) sit on the 8 8a + 16 16c sites, no two mobile Li closer than 2.5 A (this forbids only the
face-sharing 8a-16c pairs, 2.25 A). 54 atoms.
Frameworks (16d orderings): the lowest-Ewald placement of the 5 Sc among all C(16,5) = 4368 (framework ions only,
Li+ / Sc3+ / Cl-, mobile Li left out) and seeded random placements (numpy default_rng(seed)).
For each framework: one random mobile-Li arrangement for each number n8a of mobile Li on 8a (N8A list), all
relaxed (FIRE, ions only, fixed cell, fmax FMAX_PERFECT = 0.002 eV/A); the lowest is the ground arrangement. From
it, single moves: one mobile Li to a vacant site of the other kind (8a -> 16c or 16c -> 8a, 2.5 A rule against the
other five), up to N_DEST destinations per Li with different Sc counts; each relaxed to the same fmax.
dE_move = E(after) - E(before). E(8a) - E(16c) = -dE_move for 8a -> 16c, +dE_move for 16c -> 8a.
A few 48f starts (N48F per framework) test whether 48f is a minimum.
Finite size: the ground arrangement of framework 0 tiled 2x1x1 (108 atoms) and the first N_211 moves that stayed
put repeated in copy 0.

Run (from any directory; writes CIFs and caseD_<cell>_results.json to the cwd):
    OMP_NUM_THREADS=1 python3 case_d_Li2Sc2-3Cl4.py          # 1x1x1 runs, then the 2x1x1 check
    SEEDS=3,4 SKIP_EWALD=1 FW_OFFSET=3 OUT_TAG=1x1x1_extra OMP_NUM_THREADS=1 python3 case_d_Li2Sc2-3Cl4.py  # more frameworks
    ONLY_211=1 OMP_NUM_THREADS=1 python3 case_d_Li2Sc2-3Cl4.py  # only the 2x1x1 check, from ./caseD_1x1x1_results.json
    python3 case_d_Li2Sc2-3Cl4.py table [DIR]                 # print the markdown tables from DIR/caseD_1x1x1*.json etc.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
CIF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "structures",
                   "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif")
CIF = os.path.abspath(CIF)
N_SC = 5
N_MOB = 6
SEEDS = [int(x) for x in os.environ.get("SEEDS", "1,2").split(",") if x]   # random 16d orderings (besides lowest Ewald)
N8A = [int(x) for x in os.environ.get("N8A", "0,1,2,3,4,5,6").split(",")]
N_DEST = int(os.environ.get("N_DEST", "2"))
N48F = int(os.environ.get("N48F", "2"))
N_211 = int(os.environ.get("N_211", "6"))
OUT_TAG = os.environ.get("OUT_TAG", "1x1x1")          # extra framework runs: OUT_TAG=1x1x1_extra SKIP_EWALD=1 FW_OFFSET=3
SKIP_EWALD = os.environ.get("SKIP_EWALD", "0") == "1"
FW_OFFSET = int(os.environ.get("FW_OFFSET", "0"))
RULE = 2.5        # A, minimum mobile-mobile distance
STAY = 0.5        # A, "stayed" if within this of the destination site
R16C_16D = 3.9    # 16c - 16d edge-sharing neighbours at a*sqrt(2)/4 = 3.68 A (6)
R8A_16D = 4.6     # 8a - 16d neighbours at a*sqrt(11)/8... = 4.31 A (12)


# ----------------------------------------------------------------------------------------------- geometry
def symops():
    from pymatgen.core.operations import SymmOp
    ops, on = [], False
    for ln in open(CIF):
        s = ln.strip()
        if s.startswith("_symmetry_equiv_pos_as_xyz"):
            on = True
            continue
        if on:
            if not s or s.startswith("loop_") or s.startswith("_"):
                if ops:
                    break
                continue
            ops.append(SymmOp.from_xyz_str(s.split(None, 1)[1].strip("'")))
    return ops


def orbit(ops, x):
    out = []
    for op in ops:
        f = np.mod(op.operate(x), 1.0)
        f[np.isclose(f, 1.0, atol=1e-6)] = 0.0
        if not any(np.allclose(np.mod(f - g + 0.5, 1.0) - 0.5, 0, atol=1e-4) for g in out):
            out.append(f)
    return np.array(out)


def cif_a():
    for ln in open(CIF):
        if ln.startswith("_cell_length_a"):
            return float(ln.split()[1])


class Geo:
    def __init__(self):
        from pymatgen.core import Lattice
        ops = symops()
        self.a = cif_a()
        self.lat = Lattice.cubic(self.a)
        self.f8a = orbit(ops, [0, 0, 0.5])
        self.f16c = orbit(ops, [0.125, 0.125, 0.625])
        self.f16d = orbit(ops, [0.125, 0.125, 0.125])
        self.f48f = orbit(ops, [0, 0, 0.261])
        self.f8b = orbit(ops, [0, 0, 0])
        self.fcl = orbit(ops, [0.12065, 0.12065, 0.87935])
        assert [len(x) for x in (self.f8a, self.f16c, self.f16d, self.f48f, self.f8b, self.fcl)] == [8, 16, 16, 48, 8, 32]
        self.mob = np.vstack([self.f8a, self.f16c])            # 0..7 = 8a, 8..23 = 16c
        self.kind = ["8a"] * 8 + ["16c"] * 16
        self.D = self.lat.get_all_distances(self.mob, self.mob)
        self.all_sites = [("8a", f) for f in self.f8a] + [("16c", f) for f in self.f16c] + \
                         [("48f", f) for f in self.f48f] + [("8b", f) for f in self.f8b] + [("16d", f) for f in self.f16d]
        self.all_f = np.array([f for _, f in self.all_sites])

    def n_sc(self, f, sc_mask, kind):
        r = R16C_16D if kind == "16c" else R8A_16D
        d = self.lat.get_all_distances([f], self.f16d)[0]
        nb = np.where(d < r)[0]
        return int(sum(sc_mask[i] for i in nb)), len(nb)

    def classify(self, lat, f):
        d = lat.get_all_distances([f], self.all_f)[0]
        i = int(np.argmin(d))
        k = self.all_sites[i][0]
        local = i - {"8a": 0, "16c": 8, "48f": 24, "8b": 72, "16d": 80}[k]
        return k, local, float(d[i])

    def build(self, sc_mask, mobile):
        from pymatgen.core import Structure
        sp = ["Sc" if s else "Li" for s in sc_mask] + ["Cl"] * 32 + ["Li"] * len(mobile)
        co = list(self.f16d) + list(self.fcl) + [self.mob[m] for m in mobile]
        return Structure(self.lat, sp, co)


def ewald_orderings(g):
    """Ewald energy (eV) of every placement of N_SC Sc on the 16 16d sites (framework ions only)."""
    from itertools import combinations
    from pymatgen.analysis.ewald import EwaldSummation
    from pymatgen.core import Structure
    s = Structure(g.lat, ["Li"] * 16 + ["Cl"] * 32, list(g.f16d) + list(g.fcl))
    s.add_oxidation_state_by_element({"Li": 1, "Cl": -1})
    M = EwaldSummation(s).total_energy_matrix        # q_i q_j phi_ij (+ self terms on the diagonal)
    q0 = np.array([1.0] * 16 + [-1.0] * 32)
    phi = M / np.outer(q0, q0)
    np.fill_diagonal(phi, 0.0)
    combos = list(combinations(range(16), N_SC))
    e = np.empty(len(combos))
    for n, c in enumerate(combos):
        q = q0.copy()
        q[list(c)] = 3.0
        e[n] = 0.5 * q @ phi @ q
    return combos, e


# ----------------------------------------------------------------------------------------------- runs
def relax_state(C, g, struct, tag, n_fw_atoms, mobile_sites_start):
    r = C.relax(struct, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=tag)
    fs = r["structure"]
    fin = []
    for k in range(len(mobile_sites_start)):
        kind, idx, d = g.classify(fs.lattice, fs.frac_coords[n_fw_atoms + k])
        fin.append({"kind": kind, "site": idx, "dist": d})
    return r, fin


def site_id(c):
    return c["site"] if c["kind"] == "8a" else (8 + c["site"] if c["kind"] == "16c" else None)


def summary_of(r):
    return {k: r[k] for k in ("energy_ev", "converged", "nsteps", "final_fmax", "fmax_target", "wall_s")}


def poly_centre(lat, frac_all, cl_idx, f, n):
    d = lat.get_all_distances([f], frac_all[cl_idx])[0]
    near = np.array(cl_idx)[np.argsort(d)[:n]]
    cart = []
    for k in near:
        _, img = lat.get_distance_and_image(f, frac_all[k])
        cart.append(lat.get_cartesian_coords(frac_all[k] + img))
    return lat.get_fractional_coords(np.mean(cart, axis=0))


def do_move(C, g, ground_struct, e0, occ, k, dest_kind, dest_f, sc_mask, tag, nfw, copy_shift=None, scale=None):
    """Move mobile Li k (atom nfw + k) of ground_struct to dest_f (unit-cell frac); relax; analyse."""
    s = ground_struct.copy()
    lat = s.lattice
    f_unit = np.array(dest_f)
    f = f_unit if scale is None else (f_unit + copy_shift) / scale
    cl_idx = [i for i, x in enumerate(s) if x.specie.symbol == "Cl"]
    fc = f if dest_kind == "48f" else poly_centre(lat, s.frac_coords, cl_idx, f, 4 if dest_kind == "8a" else 6)
    j = nfw + k
    f_origin = s.frac_coords[j].copy()
    s.replace(j, "Li", coords=fc)
    others = [i for i in range(len(s)) if i != j]
    dmin0 = float(lat.get_all_distances([fc], s.frac_coords[others])[0].min())
    r = C.relax(s, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag=tag)
    fs = r["structure"]
    fend = fs.frac_coords[j]
    d_dest = C.min_image(lat, fend, f)
    d_origin = C.min_image(lat, fend, f_origin)
    # where did it end (unit-cell site classification)
    fend_unit = np.mod(fend * (scale if scale is not None else 1), 1.0)
    end_kind, end_site, end_d = g.classify(g.lat, fend_unit)
    other_mob = [i for i in range(nfw, len(s)) if i != j]
    disp = [float(np.linalg.norm(r["cart"][i] - r["cart0"][i])) for i in other_mob]
    fw_disp = [float(np.linalg.norm(r["cart"][i] - r["cart0"][i])) for i in range(nfw)]
    return r, {
        "start_frac": fc, "start_min_dist_any_atom_ang": dmin0,
        "energy_ev": r["energy_ev"], "delta_e_ev": r["energy_ev"] - e0,
        "converged": r["converged"], "nsteps": r["nsteps"], "final_fmax": r["final_fmax"], "wall_s": r["wall_s"],
        "end_dist_to_dest_ang": d_dest, "end_dist_to_origin_ang": d_origin,
        "end_site_kind": end_kind, "end_site_index": end_site, "end_dist_to_that_site_ang": end_d,
        "stayed": bool(d_dest < STAY),
        "max_other_mobile_li_disp_ang": max(disp) if disp else 0.0,
        "max_framework_disp_ang": max(fw_disp),
    }


def run_1x1x1(C, g, info):
    import torch
    torch.set_num_threads(1)
    t_all = time.time()
    bv = C.halo_bvse(CIF)
    bv8a = [s["energy_ev"] for s in bv["sites"] if s["label"] == "Li2"]
    bv16c = [s["energy_ev"] for s in bv["sites"] if s["label"] == "Li1"]
    bvse = {"8a_mean_ev": float(np.mean(bv8a)), "16c_mean_ev": float(np.mean(bv16c)),
            "8a_minus_16c_ev": float(np.mean(bv8a) - np.mean(bv16c)), "n_sites": len(bv["sites"]),
            "labels_present": sorted({str(s["label"]) for s in bv["sites"]})}
    print("BVSE:", bvse)
    # 48f geometry
    dcl = np.sort(g.lat.get_all_distances([g.f48f[0]], g.fcl)[0])
    d8a = np.sort(g.lat.get_all_distances([g.f48f[0]], g.f8a)[0])
    d16c = np.sort(g.lat.get_all_distances([g.f48f[0]], g.f16c)[0])
    geo48f = {"cl_dists": dcl[:6], "8a_dist": d8a[0], "16c_dists": d16c[:2]}
    print("48f geometry:", geo48f)
    combos, ew = ewald_orderings(g)
    order = np.argsort(ew)
    uniq = np.unique(np.round(ew, 4))
    print(f"16d orderings: {len(combos)}, distinct Ewald energies {len(uniq)}, lowest {uniq[:5]}, highest {uniq[-1]}")
    fws = [] if SKIP_EWALD else [{"name": "ewald_lowest", "sc": list(combos[order[0]]), "ewald_ev": float(ew[order[0]]),
                                  "ewald_rank_distinct": 0}]
    for sd in SEEDS:
        rng = np.random.default_rng(sd)
        c = tuple(sorted(rng.choice(16, N_SC, replace=False).tolist()))
        e = float(ew[combos.index(c)])
        fws.append({"name": f"random_seed{sd}", "sc": list(c), "ewald_ev": e,
                    "ewald_rank_distinct": int(np.searchsorted(uniq, round(e, 4)))})
    nfw = 48
    out_fw = []
    for fi, fw in enumerate(fws, start=FW_OFFSET):
        sc_mask = [i in fw["sc"] for i in range(16)]
        nsc_site = [g.n_sc(g.mob[m], sc_mask, g.kind[m])[0] for m in range(24)]
        fw["n_sc_16c_hist"] = np.bincount(nsc_site[8:], minlength=7).tolist()
        fw["n_sc_8a_hist"] = np.bincount(nsc_site[:8], minlength=13).tolist()
        print(f"=== framework {fi} {fw['name']} Sc at 16d {fw['sc']} Ewald {fw['ewald_ev']:.4f} "
              f"16c Sc-count histogram {fw['n_sc_16c_hist']} 8a {fw['n_sc_8a_hist']}", flush=True)
        rng = np.random.default_rng(100 + fi)
        arrs = []
        for n8a in N8A:
            for _ in range(100000):
                sel = sorted(rng.choice(8, n8a, replace=False).tolist() +
                             (8 + rng.choice(16, N_MOB - n8a, replace=False)).tolist())
                if all(g.D[p, q] >= RULE for p in sel for q in sel if p < q):
                    break
            else:
                print("no arrangement for n8a", n8a)
                continue
            st = g.build(sc_mask, sel)
            r, fin = relax_state(C, g, st, f"D fw{fi} arr n8a={n8a} {sel}", nfw, sel)
            end = [site_id(c) if c["dist"] < STAY else None for c in fin]
            arrs.append({"n8a_start": n8a, "sites_start": sel, "final": fin, "sites_end": end,
                         "n8a_end": sum(1 for c in fin if c["kind"] == "8a" and c["dist"] < STAY),
                         "n16c_end": sum(1 for c in fin if c["kind"] == "16c" and c["dist"] < STAY),
                         "all_on_site": all(x is not None for x in end),
                         "changed": [sel[k] != end[k] for k in range(N_MOB)],
                         **summary_of(r), "_struct": r["structure"]})
            print(f"   n8a {n8a}: E {r['energy_ev']:.4f} end sites {end} "
                  f"dists {[round(c['dist'], 2) for c in fin]}", flush=True)
        ok = [a for a in arrs if a["all_on_site"]]
        gnd = min(ok, key=lambda a: a["energy_ev"])
        e0 = gnd["energy_ev"]
        gs = gnd["_struct"]
        gs.to(filename=f"caseD_1x1x1_fw{fi}_ground_relaxed.cif")
        occ = gnd["sites_end"]
        print(f"   ground: n8a_end {gnd['n8a_end']} sites {occ} E {e0:.4f}", flush=True)
        moves = []
        for k in range(N_MOB):
            o = occ[k]
            dk = "16c" if g.kind[o] == "8a" else "8a"
            rest = [occ[q] for q in range(N_MOB) if q != k]
            cand = [m for m in range(24) if g.kind[m] == dk and m not in occ and all(g.D[m, q] >= RULE for q in rest)]
            rng.shuffle(cand)
            chosen, seen = [], set()
            for m in cand:
                if nsc_site[m] not in seen:
                    chosen.append(m)
                    seen.add(nsc_site[m])
                if len(chosen) >= N_DEST:
                    break
            for m in chosen:
                tag = f"D fw{fi} move Li{k} {g.kind[o]}{o} -> {dk}{m}"
                r, row = do_move(C, g, gs, e0, occ, k, dk, g.mob[m], sc_mask, tag, nfw)
                c16 = o if g.kind[o] == "16c" else m
                c8 = o if g.kind[o] == "8a" else m
                row.update({"framework": fi, "mobile_k": k, "origin": int(o), "origin_kind": g.kind[o],
                            "dest": int(m), "dest_kind": dk, "n_sc_dest": nsc_site[m], "n_sc_origin": nsc_site[o],
                            "n_sc_16c_involved": nsc_site[c16], "n_sc_8a_involved": nsc_site[c8],
                            "face_sharing_pair": bool(g.D[o, m] < 2.4),
                            "e8a_minus_e16c_ev": (-row["delta_e_ev"] if g.kind[o] == "8a" else row["delta_e_ev"])})
                print("     ", json.dumps({x: (round(v, 4) if isinstance(v, float) else v) for x, v in row.items()
                                           if x not in ("start_frac",)}), flush=True)
                moves.append(row)
        # 48f starts
        f48 = []
        done_kinds = []
        for k in range(N_MOB):
            if len(f48) >= N48F:
                break
            o = occ[k]
            if g.kind[o] in done_kinds:
                continue
            rest = [g.mob[occ[q]] for q in range(N_MOB) if q != k]
            cand = [i for i in range(48) if g.lat.get_all_distances([g.f48f[i]], rest)[0].min() >= 2.4]
            if not cand:
                continue
            i48 = int(rng.choice(cand))
            r, row = do_move(C, g, gs, e0, occ, k, "48f", g.f48f[i48], sc_mask, f"D fw{fi} Li{k} {g.kind[o]}{o} -> 48f{i48}", nfw)
            row.update({"framework": fi, "mobile_k": k, "origin": int(o), "origin_kind": g.kind[o], "dest_48f": i48})
            print("      48f:", json.dumps({x: (round(v, 4) if isinstance(v, float) else v) for x, v in row.items()
                                           if x not in ("start_frac",)}), flush=True)
            f48.append(row)
            done_kinds.append(g.kind[o])
        for a in arrs:
            del a["_struct"]
        out_fw.append({**fw, "arrangements": arrs, "ground_index": arrs.index(gnd), "ground_energy_ev": e0,
                       "ground_sites": occ, "ground_struct": gs.as_dict(), "moves": moves, "starts_48f": f48})
    res = {"versions": info, "cif": os.path.relpath(CIF, C.REPO), "a_ang": g.a, "natoms": 54,
           "composition": "Li17 Sc5 Cl32 (16d: 11 Li + 5 Sc; 6 mobile Li on 8a/16c)",
           "rule_min_mobile_dist_ang": RULE, "stay_criterion_ang": STAY,
           "bvse": bvse, "geometry_48f": geo48f,
           "orderings": {"method": "all C(16,5)=4368 Sc placements on 16d, Ewald (pymatgen EwaldSummation) of 16d+Cl only "
                                   "(Li+1, Sc+3, Cl-1; mobile Li left out); fw0 = lowest, others seeded numpy default_rng(seed)",
                         "n": len(combos), "n_distinct_ewald": int(len(uniq)), "ewald_min_ev": float(uniq[0]),
                         "ewald_max_ev": float(uniq[-1])},
           "frameworks": out_fw, "wall_total_s": time.time() - t_all}
    C.save_json(f"caseD_{OUT_TAG}_results.json", res)
    return res


def run_2x1x1(C, g, info, res1):
    import torch
    from pymatgen.core import Structure
    torch.set_num_threads(1)
    t_all = time.time()
    fw = res1["frameworks"][0]
    sc_mask = [i in fw["sc"] for i in range(16)]
    gs1 = Structure.from_dict(fw["ground_struct"])
    n1 = len(gs1)
    # hand tiling: atom i of copy t at index t*n1 + i; the moved Li is in copy 0 (index k + 48)
    from pymatgen.core import Lattice
    lat2 = Lattice(np.diag([2 * g.a, g.a, g.a]))
    sp, co = [], []
    for t in (0, 1):
        for s in gs1:
            sp.append(s.specie.symbol)
            co.append((np.mod(s.frac_coords, 1.0) + [t, 0, 0]) / [2, 1, 1])
    # put both copies' mobile Li at the end so that "nfw" indexing works: reorder
    fw_idx = [i for i in range(2 * n1) if (i % n1) < 48]
    mob_idx = [i for i in range(2 * n1) if (i % n1) >= 48]   # copy0 k=0..5, then copy1
    order = fw_idx + mob_idx
    st = Structure(lat2, [sp[i] for i in order], [co[i] for i in order])
    nfw = 96
    r0 = C.relax(st, fmax=C.FMAX_PERFECT, steps=C.STEPS_PERFECT, tag="D 2x1x1 ground")
    e0 = r0["energy_ev"]
    g2 = r0["structure"]
    print(f"2x1x1 ground E {e0:.4f} = 2 x {e0 / 2:.4f} (1x1x1 ground {fw['ground_energy_ev']:.4f})", flush=True)
    st8 = [m for m in fw["moves"] if m["stayed"] and m["origin_kind"] == "8a"]
    st16 = [m for m in fw["moves"] if m["stayed"] and m["origin_kind"] == "16c"]
    picks = st8[:N_211 // 2] + st16[:N_211 - min(len(st8), N_211 // 2)]
    rows = []
    for m in picks:
        dest_f = g.mob[m["dest"]]
        # the destination image (copy 0 or copy 1) nearest to the moved Li (copy 0): the same local move as in the
        # 54-atom cell (a copy-0 destination can be face-sharing with the copy-1 image of the moved Li)
        j = nfw + m["mobile_k"]
        shifts = [np.array([t, 0, 0]) for t in (0, 1)]
        dd = [C.min_image(g2.lattice, (dest_f + t) / [2, 1, 1], g2.frac_coords[j]) for t in shifts]
        sh = shifts[int(np.argmin(dd))]
        others = [i for i in range(nfw, len(g2)) if i != j]
        dmin_rule = float(g2.lattice.get_all_distances([(dest_f + sh) / [2, 1, 1]], g2.frac_coords[others])[0].min())
        r, row = do_move(C, g, g2, e0, fw["ground_sites"], m["mobile_k"], m["dest_kind"], dest_f, sc_mask,
                         f"D 2x1x1 move Li{m['mobile_k']} {m['origin_kind']}{m['origin']} -> {m['dest_kind']}{m['dest']}",
                         nfw, copy_shift=sh, scale=np.array([2, 1, 1]))
        row["dest_copy"] = int(sh[0])
        row["dest_min_dist_other_mobile_ang"] = dmin_rule
        row.update({k: m[k] for k in ("framework", "mobile_k", "origin", "origin_kind", "dest", "dest_kind",
                                      "n_sc_16c_involved", "n_sc_8a_involved")})
        row["e8a_minus_e16c_ev"] = -row["delta_e_ev"] if m["origin_kind"] == "8a" else row["delta_e_ev"]
        row["e8a_minus_e16c_1x1x1_ev"] = m["e8a_minus_e16c_ev"]
        print("     ", json.dumps({x: (round(v, 4) if isinstance(v, float) else v) for x, v in row.items()
                                   if x not in ("start_frac",)}), flush=True)
        rows.append(row)
    C.save_json("caseD_2x1x1_results.json", {
        "versions": info, "cif": os.path.relpath(CIF, C.REPO), "natoms": 108, "framework": fw["name"],
        "note": "framework 0 ground arrangement (1x1x1-relaxed) tiled 2x1x1, relaxed; moves repeated in copy 0",
        "ground": summary_of(r0), "moves": rows, "wall_total_s": time.time() - t_all})


# ----------------------------------------------------------------------------------------------- tables
def stats(x):
    x = np.array(x, float)
    if len(x) == 0:
        return "–"
    if len(x) == 1:
        return f"{x[0]:+.3f} (n=1)"
    return f"{x.mean():+.3f} ± {x.std(ddof=1):.3f} (n={len(x)}, range {x.min():+.3f} … {x.max():+.3f})"


def table(d):
    import glob
    files = sorted(glob.glob(os.path.join(d, "caseD_1x1x1*_results.json")), key=lambda p: (len(p), p))
    runs = [json.load(open(p)) for p in files]
    r1 = runs[0]
    r1["frameworks"] = [fw for r in runs for fw in r["frameworks"]]
    r1["wall_total_s"] = sum(r["wall_total_s"] for r in runs)
    # which 16d orderings are symmetry-equivalent (framework ions only)
    from pymatgen.analysis.structure_matcher import StructureMatcher
    g = Geo()
    sm = StructureMatcher()
    fs = [g.build([i in fw["sc"] for i in range(16)], []) for fw in r1["frameworks"]]
    for i, fw in enumerate(r1["frameworks"]):
        fw["equivalent_to"] = next((j for j in range(i) if sm.fit(fs[i], fs[j])), None)
        fw["spacegroup"] = fs[i].get_space_group_info(symprec=1e-3)[0]
    p2 = os.path.join(d, "caseD_2x1x1_results.json")
    r2 = json.load(open(p2)) if os.path.exists(p2) else None
    print(f"BVSE (halo, disordered CIF): 8a mean {r1['bvse']['8a_mean_ev']:.4f} eV, 16c mean {r1['bvse']['16c_mean_ev']:.4f} eV, "
          f"8a − 16c = {r1['bvse']['8a_minus_16c_ev']:+.3f} eV\n")
    print("| framework (Sc on 16d) | Ewald (eV) | 16c Sc-count histogram (0..6 Sc) | arrangements: n8a start → end, E − E(ground) (eV) | ground |")
    print("|---|---|---|---|---|")
    for i, fw in enumerate(r1["frameworks"]):
        e0 = fw["ground_energy_ev"]
        arr = ", ".join(f"{a['n8a_start']}→{a['n8a_end']}{'' if a['all_on_site'] else '*'}: {a['energy_ev'] - e0:+.3f}"
                        for a in fw["arrangements"])
        h = fw["n_sc_16c_hist"]
        eq = "" if fw["equivalent_to"] is None else f", same ordering as {fw['equivalent_to']} by symmetry"
        print(f"| {i} {fw['name']} {fw['sc']} ({fw['spacegroup']}{eq}) | {fw['ewald_ev']:.3f} | {h} | {arr} | "
              f"{fw['arrangements'][fw['ground_index']]['n8a_end']} on 8a, "
              f"{fw['arrangements'][fw['ground_index']]['n16c_end']} on 16c |")
    print("\n(* = at least one mobile Li not within 0.5 Å of an 8a/16c site after relaxation)\n")
    print("| fw | move | Sc around 16c (of 6) | Sc around 8a (of 12) | face-sharing pair | ΔE_move (eV) | E(8a) − E(16c) (eV) | end of moved Li | max other mobile Li shift (Å) | steps |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    allm = [m for fw in r1["frameworks"] for m in fw["moves"]]
    for m in allm:
        end = (f"stayed ({m['end_dist_to_dest_ang']:.2f} Å)" if m["stayed"] else
               f"moved to {m['end_site_kind']}{'' if m['end_dist_to_origin_ang'] > STAY else ' (its origin)'}, "
               f"{m['end_dist_to_that_site_ang']:.2f} Å from it, {m['end_dist_to_dest_ang']:.2f} Å from dest")
        print(f"| {m['framework']} | Li{m['mobile_k']} {m['origin_kind']}{m['origin']} → {m['dest_kind']}{m['dest']} | "
              f"{m['n_sc_16c_involved']} | {m['n_sc_8a_involved']} | {'yes' if m['face_sharing_pair'] else 'no'} | "
              f"{m['delta_e_ev']:+.3f} | {m['e8a_minus_e16c_ev']:+.3f}{'' if m['stayed'] else ' (not a minimum)'} | {end} | "
              f"{m['max_other_mobile_li_disp_ang']:.2f} | {m['nsteps']} |")
    stay = [m for m in allm if m["stayed"]]
    print("\nSummary, moves that stayed put (E(8a) − E(16c), mean ± sample sd):\n")
    print(f"- all: {stats([m['e8a_minus_e16c_ev'] for m in stay])}")
    for dirn in ("8a", "16c"):
        print(f"- from {dirn}: {stats([m['e8a_minus_e16c_ev'] for m in stay if m['origin_kind'] == dirn])}")
    dm = [np.mean([m['e8a_minus_e16c_ev'] for m in stay if m['origin_kind'] == k] or [np.nan]) for k in ("8a", "16c")]
    print(f"- direction-balanced (mean of the two direction means): {np.mean(dm):+.3f}")
    for n in sorted({m['n_sc_16c_involved'] for m in stay}):
        print(f"- 16c with {n} Sc neighbours: {stats([m['e8a_minus_e16c_ev'] for m in stay if m['n_sc_16c_involved'] == n])}")
    for i, fw in enumerate(r1["frameworks"]):
        print(f"- framework {i}: {stats([m['e8a_minus_e16c_ev'] for m in stay if m['framework'] == i])}")
    ns = [m for m in allm if not m["stayed"]]
    print(f"- not minima: {len(ns)} of {len(allm)} moves "
          f"({sum(m['dest_kind'] == '16c' for m in ns)} of {sum(m['dest_kind'] == '16c' for m in allm)} 16c destinations, "
          f"{sum(m['dest_kind'] == '8a' for m in ns)} of {sum(m['dest_kind'] == '8a' for m in allm)} 8a destinations)")
    f48 = [x for fw in r1["frameworks"] for x in fw["starts_48f"]]
    print("\n48f starts:\n")
    for x in f48:
        print(f"- fw{x['framework']} Li{x['mobile_k']} from {x['origin_kind']}{x['origin']} → 48f{x['dest_48f']}: ended on "
              f"{x['end_site_kind']}{' (its origin)' if x['end_dist_to_origin_ang'] < STAY else ''} "
              f"({x['end_dist_to_that_site_ang']:.2f} Å from it, {x['end_dist_to_dest_ang']:.2f} Å from the 48f), ΔE {x['delta_e_ev']:+.3f} eV")
    if r2:
        print(f"\nFinite size (framework 0, 2x1x1 = 108 atoms vs 54 atoms):\n")
        print("| move | E(8a) − E(16c) 54 at. (eV) | 108 at. (eV) | difference | 108 at.: end |")
        print("|---|---|---|---|---|")
        for m in r2["moves"]:
            print(f"| Li{m['mobile_k']} {m['origin_kind']}{m['origin']} → {m['dest_kind']}{m['dest']} | "
                  f"{m['e8a_minus_e16c_1x1x1_ev']:+.3f} | {m['e8a_minus_e16c_ev']:+.3f} | "
                  f"{m['e8a_minus_e16c_ev'] - m['e8a_minus_e16c_1x1x1_ev']:+.3f} | "
                  f"{'stayed' if m['stayed'] else 'moved to ' + m['end_site_kind']} |")
    wt = r1["wall_total_s"] + (r2["wall_total_s"] if r2 else 0)
    print(f"\nwall: 1x1x1 {r1['wall_total_s'] / 60:.1f} min" + (f", 2x1x1 {r2['wall_total_s'] / 60:.1f} min" if r2 else "") +
          f", total {wt / 60:.1f} min")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "table":
        table(sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
        return
    import torch
    torch.set_num_threads(1)
    import mlip_common as C
    g = Geo()
    info = C.versions()
    if os.environ.get("ONLY_211") != "1":
        res1 = run_1x1x1(C, g, info)
    else:
        res1 = json.load(open("caseD_1x1x1_results.json"))
    if N_211 > 0 and OUT_TAG == "1x1x1":
        run_2x1x1(C, g, info, res1)


if __name__ == "__main__":
    main()
