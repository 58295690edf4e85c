#!/usr/bin/env python3
"""Side-by-side timing of bvlain 0.25.1 (PyPI) and `halo bvse` (release build) on the same
structures and grid.

For each bvlain golden model (crates/bvse/tests/data/bvse_golden/*.json; the ordered models
bvlain itself evaluates) the model is written as a P1 CIF with oxidation states, then
  * bvlain: Lain.read_structure(...); bvse_distribution('Li1+', resolution); percolation_barriers(encut=10)
  * halo:   halo bvse model.cif --mode bvlain --resolution R --json
are timed (wall clock; halo as a subprocess, so process start and CIF parsing are included)
and the ratio printed. Then the Li2In1/3Sc1/3Cl4 spinel (default mode) at 0.1 Å is timed with
its peak RSS, giving bytes per voxel (RSS includes the process baseline, so this is an upper
bound). `--spinel-bvlain` also runs bvlain on the spinel's dominant-species model at 0.1 Å
(slow: ~90 s and ~10 GB).

Usage: cargo build --release && python3 scripts/bench/bvse_vs_bvlain.py [--resolution 0.2]
       [--repeat 3] [--spinel-bvlain]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "crates/bvse/tests/data/bvse_golden")
SPINEL = os.path.join(ROOT, "structures/Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif")


def halo_bin():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "release", "halo")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: run `cargo build --release` first (or set CARGO_TARGET_DIR)")
    return exe


def model_structure(path):
    from pymatgen.core import Lattice, Structure

    d = json.load(open(path))
    m = d["model"]
    s = Structure(Lattice(m["cell_rows_A"]), m["species"], m["frac"])
    s.add_oxidation_state_by_site(m["oxi"])
    return d, s


def time_bvlain(structure, resolution):
    from bvlain import Lain

    t0 = time.perf_counter()
    calc = Lain(verbose=False)
    calc.read_structure(structure, oxi_check=False)
    calc.bvse_distribution(mobile_ion="Li1+", resolution=resolution)
    barriers = calc.percolation_barriers(encut=10.0)
    return time.perf_counter() - t0, barriers


def run_halo(exe, cif, resolution, mode):
    """Wall time, JSON output and peak RSS (bytes, from GNU time when available) of one run."""
    cmd = [exe, "bvse", cif, "--mode", mode, "--resolution", str(resolution), "--json"]
    gnu_time = "/usr/bin/time"
    if os.path.exists(gnu_time):
        cmd = [gnu_time, "-f", "HALO_MAXRSS_KB %M"] + cmd
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    rss = None
    for line in out.stderr.splitlines():
        if line.startswith("HALO_MAXRSS_KB"):
            rss = int(line.split()[1]) * 1024
    return dt, json.loads(out.stdout), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=3, help="halo runs per structure (best kept)")
    ap.add_argument("--spinel-bvlain", action="store_true")
    a = ap.parse_args()
    exe = halo_bin()
    from pymatgen.io.cif import CifWriter

    print(f"cores: {os.cpu_count()}  resolution {a.resolution} Å  halo {exe}")
    print(f"{'structure':58s} {'voxels':>8s} {'bvlain s':>9s} {'halo s':>8s} {'ratio':>7s}  barriers bvlain / halo(bvlain-rounded)")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(GOLDEN)):
            d, s = model_structure(os.path.join(GOLDEN, name))
            cif = os.path.join(tmp, name.replace(".json", ".cif"))
            CifWriter(s).write_file(cif)
            t_bv, bar = time_bvlain(s, a.resolution)
            best = None
            for _ in range(a.repeat):
                t_h, res, _ = run_halo(exe, cif, a.resolution, "bvlain")
                best = t_h if best is None else min(best, t_h)
            ratio = t_bv / best
            ratios.append(ratio)
            hb = res["bvlain_rounded"]
            print(f"{d['name']:58s} {res['n_voxels']:8d} {t_bv:9.2f} {best:8.3f} {ratio:7.1f}  "
                  f"{[bar['E_1D'], bar['E_2D'], bar['E_3D']]} / {[hb['e_1d_ev'], hb['e_2d_ev'], hb['e_3d_ev']]}")
        gm = 1.0
        for r in ratios:
            gm *= r
        print(f"geometric-mean speed-up: {gm ** (1 / len(ratios)):.1f}x (min {min(ratios):.1f}x)")

        t_sp, res, rss = run_halo(exe, SPINEL, 0.1, "default")
        nv = res["n_voxels"]
        rss_text = "peak RSS unknown (no /usr/bin/time)" if rss is None else (
            f"peak RSS {rss / 2**20:.1f} MiB = {rss / nv:.1f} bytes/voxel (whole process)")
        print(f"spinel Li2In1/3Sc1/3Cl4, default mode, 0.1 Å: {nv} voxels, {t_sp:.2f} s wall "
              f"(whole command: CIF, landscape, percolation, JSON), {rss_text}")
        if a.spinel_bvlain:
            from pymatgen.core import Structure
            from ase.io import read
            from pymatgen.io.ase import AseAtomsAdaptor
            st = AseAtomsAdaptor.get_structure(read(SPINEL))
            st.add_oxidation_state_by_element({"Li": 1, "In": 3, "Sc": 3, "Cl": -1})
            t_bv, bar = time_bvlain(st, 0.1)
            print(f"bvlain on the spinel dominant-species model at 0.1 Å: {t_bv:.1f} s; ratio {t_bv / t_sp:.1f}x; {bar}")


if __name__ == "__main__":
    main()
