"""CHGNet NVT molecular dynamics on the two full-Li-sublattice ordered cells that halo ranks in the
wrong order (LiAlCl4 P2_1/c COD 1004036 and Li3ScCl6 mp-686004).

Question: with a structure-accurate potential, do these two *input cells* conduct in the measured
order (Li3ScCl6 faster) or in halo's order (LiAlCl4 faster)?

Per run: supercell (~150 atoms, near-cubic) -> fixed-cell FIRE relax (fmax 0.05 eV/A) ->
Langevin NVT at fixed cell (dt 2 fs, friction 0.002 1/fs, Li mass unchanged) -> equilibration ->
production with frames every 20 fs -> Li MSD / tracer D*, hop counting, framework MSD.

Usage (one process at a time, one thread):
  OMP_NUM_THREADS=1 python3 md_full_sublattice.py Li3ScCl6 400 --equil 2 --prod 20 --max-wall-min 18
  OMP_NUM_THREADS=1 python3 md_full_sublattice.py LiAlCl4 400 --equil 2 --prod 20 --max-wall-min 9
  OMP_NUM_THREADS=1 python3 md_full_sublattice.py Li3ScCl6 600 --equil 1.5 --prod 20 --max-wall-min 7
  add --test to time 200 MD steps only (no result file written).
Writes results/md_<name>_<T>K.json; the raw production trajectory goes to /tmp (not kept in the repo).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch

torch.set_num_threads(1)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlip_common as mc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {
    # name: (cif, supercell matrix applied to the cell as read from the CIF)
    # LiAlCl4: 24-atom cell, 6x -> 144 atoms, perpendicular widths 14.3/14.5/14.8 A (ase find_optimal_cell_shape)
    "LiAlCl4": (os.path.join(mc.REPO, "structures", "LiAlCl4_P21c_COD1004036.cif"),
                [[2, 1, 0], [-1, 1, -1], [-1, 1, 1]]),
    # Li3ScCl6 mp-686004: 40-atom cell (a=b=6.3 A, gamma 120, c=23.9 A), 2x2x1 -> 160 atoms,
    # widths 10.9/10.9/23.8 A (the 24 A c axis makes a near-cubic cell of this size impossible)
    "Li3ScCl6": (os.path.join(mc.REPO, "tests", "validation", "structures", "Li3ScCl6_mp-686004.cif"),
                 [[2, 0, 0], [0, 2, 0], [0, 0, 1]]),
}
DT_FS = 2.0
FRICTION = 0.002   # 1/fs  (ASE Langevin friction; weak, 2 ps^-1)
SAVE_EVERY = 10    # steps -> 20 fs between frames
HOP_PERSIST_PS = 0.2


def make_calc():
    from chgnet.model.dynamics import CHGNetCalculator

    class EFCalc(CHGNetCalculator):
        """Energy + forces only (skip the stress/magmom heads: fixed-cell MD does not need them)."""
        implemented_properties = ("energy", "forces")

        def calculate(self, atoms=None, properties=None, system_changes=None, task="ef"):
            super().calculate(atoms=atoms, properties=properties, system_changes=system_changes, task="ef")

    return EFCalc(model=mc._model(), use_device="cpu")


def build(name):
    from pymatgen.core import Structure
    cif, P = CASES[name]
    s = Structure.from_file(cif)
    s.make_supercell(P)
    return s


def run_md(name, T, equil_ps, prod_ps, test=False, seed=1, max_wall_min=None):
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from ase.optimize import FIRE
    from pymatgen.io.ase import AseAtomsAdaptor

    t_all = time.time()
    s = build(name)
    atoms = AseAtomsAdaptor.get_atoms(s)
    atoms.calc = make_calc()
    t0 = time.time()
    opt = FIRE(atoms, logfile=None)
    conv = bool(opt.run(fmax=0.05, steps=500))
    relax_info = {"converged": conv, "steps": int(opt.nsteps),
                  "final_fmax": float(np.linalg.norm(atoms.get_forces(), axis=1).max()),
                  "energy_ev": float(atoms.get_potential_energy()), "wall_s": time.time() - t0}
    print(f"[{name} {T}K] N={len(atoms)} relax {relax_info}", flush=True)
    ref_pos = atoms.get_positions().copy()   # relaxed sites (cartesian)

    rng = np.random.default_rng(seed)
    MaxwellBoltzmannDistribution(atoms, temperature_K=T, rng=rng)
    Stationary(atoms)
    dyn = Langevin(atoms, DT_FS * units.fs, temperature_K=T, friction=FRICTION / units.fs, rng=rng,
                   fixcm=True)

    if test:
        t0 = time.time()
        dyn.run(200)
        dt = time.time() - t0
        print(f"[{name} {T}K] TEST 200 steps {dt:.1f}s -> {dt/200:.3f} s/step, "
              f"{dt/200*1000/DT_FS/60:.2f} min/ps, T_inst={atoms.get_temperature():.0f}K", flush=True)
        return
    n_eq = int(round(equil_ps * 1000 / DT_FS))
    n_pr = int(round(prod_ps * 1000 / DT_FS))
    t0 = time.time()
    temps = []
    for _ in range(n_eq // 50):
        dyn.run(50)
        temps.append(atoms.get_temperature())
    wall_eq = time.time() - t0
    print(f"[{name} {T}K] equil {equil_ps} ps done, <T>={np.mean(temps):.0f}K wall {wall_eq:.0f}s", flush=True)

    frames, tlog, epot = [], [], []
    t0 = time.time()
    frames.append(atoms.get_positions().copy())   # ASE Langevin does not wrap -> unwrapped positions
    for i in range(n_pr // SAVE_EVERY):
        if max_wall_min and time.time() - t0 > max_wall_min * 60:
            print(f"  wall-time cap {max_wall_min} min reached, stopping production", flush=True)
            break
        dyn.run(SAVE_EVERY)
        frames.append(atoms.get_positions().copy())
        tlog.append(atoms.get_temperature())
        if i % 50 == 0:
            epot.append(float(atoms.get_potential_energy()))
        if i % 250 == 0:
            print(f"  t={(i+1)*SAVE_EVERY*DT_FS/1000:.2f} ps T={atoms.get_temperature():.0f}K "
                  f"wall {time.time()-t0:.0f}s", flush=True)
    wall_pr = time.time() - t0
    traj = np.array(frames)
    symbols = np.array(atoms.get_chemical_symbols())
    cell = np.array(atoms.get_cell())
    np.savez_compressed(f"/tmp/md_traj_{name}_{int(T)}K.npz", traj=traj, symbols=symbols, cell=cell,
                        ref_pos=ref_pos)
    res = analyse(traj, symbols, cell, ref_pos, DT_FS * SAVE_EVERY / 1000.0)
    res.update({
        "structure": name, "cif": os.path.relpath(CASES[name][0], mc.REPO), "supercell_matrix": CASES[name][1],
        "natoms": len(atoms), "n_li": int((symbols == "Li").sum()),
        "cell_lengths_angles": atoms.cell.cellpar().tolist(),
        "temperature_K": T, "thermostat": "ASE Langevin NVT, fixcm", "friction_per_fs": FRICTION,
        "timestep_fs": DT_FS, "frame_interval_fs": DT_FS * SAVE_EVERY, "equil_ps": equil_ps,
        "prod_ps": (len(traj) - 1) * SAVE_EVERY * DT_FS / 1000.0, "prod_ps_requested": prod_ps,
        "prod_wall_cap_min": max_wall_min, "seed": seed,
        "mean_T_equil_K": float(np.mean(temps)), "mean_T_prod_K": float(np.mean(tlog)),
        "epot_prod_ev_samples": epot,
        "relax": relax_info,
        "wall_s": {"equil": wall_eq, "prod": wall_pr, "total": time.time() - t_all},
        "versions": mc.versions(),
        "raw_trajectory_tmp": f"/tmp/md_traj_{name}_{int(T)}K.npz (not kept)",
    })
    for k in ("fmax_perfect", "fmax_defect", "steps_perfect", "steps_defect"):
        res["versions"].pop(k, None)
    out = os.path.join(HERE, "results", f"md_{name}_{int(T)}K.json")
    mc.save_json(out, res)
    print(json.dumps({k: res[k] for k in ("structure", "temperature_K", "prod_ps", "D_star_cm2_s",
                                          "D_star_err_cm2_s", "n_li_displaced_gt_1p5A", "n_hops",
                                          "framework_msd_A2")}), flush=True)
    print(f"wrote {out}", flush=True)


def msd_curve(x, max_lag, stride=5):
    """Multiple-time-origin MSD, x: (nframes, natoms, 3). Returns msd[lag] for lag 0..max_lag (A^2)."""
    out = np.zeros(max_lag + 1)
    for lag in range(1, max_lag + 1):
        d = x[lag::1][::1] - x[:-lag]
        d = d[::stride] if len(d) > stride * 4 else d
        out[lag] = float((d ** 2).sum(-1).mean())
    return out


def fit_D(msd, dt_ps, lo_frac=0.2, hi_frac=1.0):
    """D* (cm^2/s) from the slope of MSD vs t over [lo_frac, hi_frac] of the lag range; MSD = 6 D t."""
    n = len(msd) - 1
    lo, hi = max(1, int(lo_frac * n)), n
    t = np.arange(lo, hi + 1) * dt_ps
    slope = np.polyfit(t, msd[lo:hi + 1], 1)[0]       # A^2/ps
    return slope / 6.0 * 1e-16 / 1e-12                 # A^2/ps -> cm^2/s


def analyse(traj, symbols, cell, ref_pos, dt_ps):
    nf = len(traj)
    # remove any residual centre-of-mass drift (all atoms, equal weights is enough for a check)
    traj = traj - (traj.mean(axis=1, keepdims=True) - traj[:1].mean(axis=1, keepdims=True))
    li = np.where(symbols == "Li")[0]
    fw = {el: np.where(symbols == el)[0] for el in sorted(set(symbols)) if el != "Li"}
    x = traj[:, li]
    # MSD with time-origin averaging, lags up to half the run
    max_lag = (nf - 1) // 2
    msd = msd_curve(x, max_lag)
    D = fit_D(msd, dt_ps)
    # error: same estimator on each half of the production run separately
    half = nf // 2
    Dh = []
    for part in (x[:half], x[half:]):
        m = msd_curve(part, (len(part) - 1) // 2)
        Dh.append(fit_D(m, dt_ps))
    err = abs(Dh[0] - Dh[1]) / 2.0
    # plain MSD from the production start (single origin)
    msd_origin = ((x - x[0]) ** 2).sum(-1).mean(1)
    # displacement of each Li at the end (average of last 0.2 ps) from its relaxed site, and from prod start
    nav = max(1, int(round(0.2 / dt_ps)))
    end = x[-nav:].mean(0)
    disp_site = np.linalg.norm(end - ref_pos[li], axis=1)   # unwrapped, so no min-image issue
    n_disp = int((disp_site > 1.5).sum())
    # hops: nearest initial Li site (min image) on 0.1 ps running-mean positions, change must persist 0.2 ps
    inv = np.linalg.inv(cell)
    w = max(1, int(round(0.1 / dt_ps)))
    kern = np.ones(w) / w
    xs = np.stack([np.apply_along_axis(lambda v: np.convolve(v, kern, mode="valid"), 0, x[:, :, k])
                   for k in range(3)], axis=-1)
    sites = ref_pos[li]
    labels = np.zeros(xs.shape[:2], dtype=int)
    dmin = np.zeros(xs.shape[:2])
    for f in range(len(xs)):
        d = xs[f][:, None, :] - sites[None, :, :]
        fr = d @ inv
        fr -= np.round(fr)
        dd = np.linalg.norm(fr @ cell, axis=-1)
        labels[f] = dd.argmin(1)
        dmin[f] = dd.min(1)
    persist = int(round(HOP_PERSIST_PS / dt_ps))
    hops = []
    for j in range(len(li)):
        cur = j  # starts at own site
        lab = labels[:, j]
        f = 0
        while f < len(lab):
            if lab[f] != cur:
                seg = lab[f:f + persist + 1]
                if len(seg) > persist and np.all(seg == lab[f]):
                    hops.append({"li": int(li[j]), "from_site": int(cur), "to_site": int(lab[f]),
                                 "t_ps": float((f + w / 2) * dt_ps)})
                    cur = lab[f]
                    f += persist
                    continue
            f += 1
    hopped_li = sorted({h["li"] for h in hops})
    fw_msd = {el: float(((traj[:, idx] - traj[0, idx]) ** 2).sum(-1).mean(1)[-nav:].mean())
              for el, idx in fw.items()}
    fw_msd_max_atom = {el: float(((traj[-nav:, idx].mean(0) - traj[0, idx]) ** 2).sum(-1).max())
                       for el, idx in fw.items()}
    li_rms_vib = float(np.sqrt(((x - x.mean(0)) ** 2).sum(-1).mean())) if n_disp == 0 else None
    lag_t = np.arange(len(msd)) * dt_ps
    sel = np.unique(np.linspace(0, len(msd) - 1, 60).astype(int))
    return {
        "D_star_cm2_s": D, "D_star_halves_cm2_s": Dh, "D_star_err_cm2_s": err,
        "D_fit": "slope of time-origin-averaged Li MSD over lags 20-100% of half the production run; MSD=6Dt",
        "li_msd_lag_ps": lag_t[sel].tolist(), "li_msd_A2": msd[sel].tolist(),
        "li_msd_from_start_end_A2": float(msd_origin[-nav:].mean()),
        "li_msd_from_start_curve_A2": msd_origin[:: max(1, len(msd_origin) // 60)].tolist(),
        "li_disp_from_relaxed_site_A": disp_site.tolist(),
        "li_max_disp_from_relaxed_site_A": float(disp_site.max()),
        "n_li_displaced_gt_1p5A": n_disp,
        "n_hops": len(hops), "n_li_hopped": len(hopped_li), "hops": hops,
        "hop_rule": "nearest relaxed Li site (min image) of 0.1 ps running-mean position changes and stays >= 0.2 ps",
        "li_max_dist_to_nearest_site_A": float(dmin.max()),
        "li_rms_vibration_A": li_rms_vib,
        "framework_msd_A2": fw_msd, "framework_max_atom_sq_disp_A2": fw_msd_max_atom,
    }


def reanalyse(name, T):
    d = np.load(f"/tmp/md_traj_{name}_{int(T)}K.npz")
    res = analyse(d["traj"], d["symbols"], d["cell"], d["ref_pos"], DT_FS * SAVE_EVERY / 1000.0)
    print(json.dumps({k: v for k, v in res.items() if not isinstance(v, list)}, indent=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("name", choices=list(CASES))
    ap.add_argument("T", type=float)
    ap.add_argument("--equil", type=float, default=2.0, help="ps")
    ap.add_argument("--prod", type=float, default=20.0, help="ps")
    ap.add_argument("--test", action="store_true")
    ap.add_argument("--reanalyse", action="store_true", help="re-run the analysis on the /tmp trajectory")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-wall-min", type=float, default=None, help="stop production after this many minutes")
    a = ap.parse_args()
    if a.reanalyse:
        reanalyse(a.name, a.T)
    else:
        run_md(a.name, a.T, a.equil, a.prod, test=a.test, seed=a.seed, max_wall_min=a.max_wall_min)
