#!/usr/bin/env python3
"""kMC for the paper's family and the one calibrated constant (docs/physics.md §5.10).

Runs `halo kmc FILE --json` on every spinel (Fd-3m) and monoclinic (C2/m) CIF in structures/,
matches each to the measured rows of conductivity_calibration.csv, and fits ONE constant on that
file only: the attempt frequency nu0. sigma is proportional to nu0 at fixed energies (rates are
nu0*exp(-barrier/kT), the simulated time scales as 1/nu0, D and sigma as nu0), so the
least-squares fit of ln(sigma) is closed form:

    ln(nu0_fit / nu0_run) = mean over matched rows of ln(sigma_measured / sigma_kmc(300 K)).

Ea is independent of nu0 and is not calibrated. The monoclinic file has no measured row of its
own composition and is reported uncalibrated-vs-calibrated without entering the fit.

Usage: python3 scripts/calibrate_kmc.py [--halo target/release/halo] [--seed 0] [--out results/kmc_family.md]
Writes results/kmc_family.md and results/kmc_family.json.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# CIF -> calibration-csv compositions measured on (nominally) that phase
FAMILY = [
    ("Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif", ["Li2Sc2/3Cl4"]),
    ("Li2In1-3Sc1-3Cl4_Fd-3m_Zhou2022_neutron.cif", ["Li2In1/3Sc1/3Cl4", "Li2In0.333Sc0.333Cl4"]),
    ("Li2In0.444Sc0.222Cl4_Fd-3m_Zhou2022_neutron.cif", ["Li2In0.444Sc0.222Cl4"]),
    ("Li3In2-3Sc1-3Cl6_C2m_Zhou2022_neutron.cif", []),
    ("Li3In2-3Sc1-3Cl6_C2m_Zhou2022_SCXRD.cif", []),
]


def find_calibration():
    for p in [os.path.join(ROOT, "tests", "data", "conductivity_calibration.csv"),
              os.path.join(ROOT, "crates", "data", "tables", "conductivity_calibration.csv"),
              os.path.join(ROOT, "..", "shared", "data", "conductivity_calibration.csv")]:
        if os.path.exists(p):
            return p
    sys.exit("conductivity_calibration.csv not found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--halo", default=os.path.join(ROOT, "target", "release", "halo"))
    ap.add_argument("--seed", default="0")
    ap.add_argument("--temperatures", default="300,350,400,450,500")
    ap.add_argument("--extra", default="", help="extra arguments for halo kmc")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "kmc_family.md"))
    a = ap.parse_args()

    cal_path = find_calibration()
    with open(cal_path) as f:
        cal = {r["composition"]: r for r in csv.DictReader(f)}

    rows = []
    for cif, comps in FAMILY:
        path = os.path.join(ROOT, "structures", cif)
        cmd = [a.halo, "kmc", path, "--temperatures-k", a.temperatures, "--seed", a.seed, "--json"] + a.extra.split()
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.time() - t0
        if p.returncode != 0:
            rows.append({"cif": cif, "error": p.stderr.strip().splitlines()[-1] if p.stderr else "failed"})
            continue
        out = json.loads(p.stdout)
        arr = out["arrhenius"] or {}
        rows.append({
            "cif": cif, "comps": comps, "wall_s": dt,
            "nu0_run": out["kmc"]["params"]["attempt_frequency_hz"],
            "mobile_per_cell": out["mobile_per_cell_used"],
            "n_ions": out["kmc"]["n_ions"], "supercell": out["kmc"]["supercell"],
            "sites": out["network"]["sites"], "e3d": out["network"]["e_3d_ev"],
            "sigma300": arr.get("sigma_300k_s_per_cm"), "sigma300_se": arr.get("sigma_300k_se_s_per_cm"),
            "ea": arr.get("ea_ev"), "ea_se": arr.get("ea_se_ev"),
            "occ300": out["temperatures"][0]["occupancies"],
            "haven300": out["temperatures"][0]["haven_ratio"],
        })

    # fit ln nu0 on the calibration file only
    logs = []
    for r in rows:
        if "error" in r or not r.get("sigma300"):
            continue
        for c in r["comps"]:
            if c in cal and cal[c]["sigma_rt_S_cm"]:
                logs.append(math.log(float(cal[c]["sigma_rt_S_cm"]) / r["sigma300"]))
    nu0_run = next((r["nu0_run"] for r in rows if "nu0_run" in r), 1e13)
    if logs:
        mean = sum(logs) / len(logs)
        sd = (sum((x - mean) ** 2 for x in logs) / max(len(logs) - 1, 1)) ** 0.5
        scale = math.exp(mean)
        nu0_fit = nu0_run * scale
    else:
        scale, nu0_fit, sd = 1.0, nu0_run, float("nan")

    lines = []
    lines.append("# kMC on the paper's family (halo kmc, BVSE site graph)\n")
    lines.append(f"Command per file: `halo kmc FILE --temperatures-k {a.temperatures} --seed {a.seed} --json {a.extra}`; "
                 f"nu0 = {nu0_run:.3g} s^-1 in the run. Calibration: one constant, nu0, fit on "
                 f"`conductivity_calibration.csv` only ({len(logs)} matched rows): nu0_fit = {nu0_fit:.3g} s^-1 "
                 f"(factor {scale:.3g}, scatter of ln ratio {sd:.2f}). Ea is not calibrated.\n")
    lines.append("| structure | Li mobile/cell | supercell (ions) | E_3D BVSE (eV) | σ300 kMC raw (S/cm) | σ300 calibrated (S/cm) | Ea kMC (eV) | H(300 K) | measured σRT (S/cm) | measured Ea (eV) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['cif']} | error: {r['error']} | | | | | | | | |")
            continue
        meas = [(c, cal[c]) for c in r["comps"] if c in cal]
        ms = "; ".join(f"{float(m['sigma_rt_S_cm']):.3g} ({c})" for c, m in meas) or "none for this phase"
        me = "; ".join(f"{m['Ea_eV']}" for c, m in meas if m["Ea_eV"]) or "–"
        s = r["sigma300"]
        ss = f"{s:.3g} ± {r['sigma300_se']:.2g}" if s else "–"
        sc = f"{s * scale:.3g} ± {r['sigma300_se'] * scale:.2g}" if s else "–"
        ea = f"{r['ea']:.3f} ± {r['ea_se']:.3f}" if r["ea"] is not None else "–"
        e3d = f"{r['e3d']:.3f}" if r["e3d"] is not None else "–"
        lines.append(f"| {r['cif']} | {r['mobile_per_cell']:.3f} | {r['supercell']} ({r['n_ions']}) | {e3d} | {ss} | {sc} | {ea} | {r['haven300']:.2f} | {ms} | {me} |")
    lines.append("")
    lines.append("Predicted 300 K occupancies per site label (ions per cell):")
    for r in rows:
        if "error" in r:
            continue
        occ = ", ".join(f"{o['label']} {o['occupancy']:.3f} ({o['ions_per_cell']:.2f})" for o in r["occ300"])
        lines.append(f"- {r['cif']}: {occ}")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({"rows": rows, "nu0_run": nu0_run, "nu0_fit": nu0_fit, "scale": scale,
                   "calibration_file": os.path.relpath(cal_path, ROOT)}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
