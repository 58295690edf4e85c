#!/usr/bin/env python3
"""The file's empty sites as a constraint on the landscape (docs/physics.md §9.15, last paragraph).

For each structure: raise every landscape minimum that is no Li label of the file (the rows of
`halo sites FILE` given by position) by the same shift s, every E_KRA kept (`--site-energies`,
`shift_ev`), and print σ(300 K), Ea and the share of the Li on those minima at 300 K. A
refinement that lists every Li site full says the unlisted minima are empty within its detection
limit (a few % of the Li); the smallest s that brings the share below that is what the file
alone asks of the landscape. Measurement only: no constant is fitted, nothing is built on it.

    cargo build --release
    cd tests/validation && python3 ../../scripts/experiments/unlisted_shift_scan.py \
        ../../structures/LiAlCl4_P21c_COD1004036.cif structures/Li3ScCl6_mp-686004.cif ...
"""
import json
import os
import subprocess
import sys
import tempfile

HALO = os.environ.get(
    "HALO_CLI",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "release", "halo"),
)
SHIFTS_EV = [0.0, 0.05, 0.1, 0.2]


def run(path, shift, tmp):
    out = subprocess.run([HALO, "sites", path], capture_output=True, text=True, check=True).stdout
    table = ["site,shift_ev"]
    for line in out.splitlines():
        if not line or line.startswith("#") or line == "site,energy_ev":
            continue
        site, _ = line.rsplit(",", 1)
        # a label (no spaces) is a Li site of the file; a position is an unlisted minimum
        table.append(f"{site},{shift if ' ' in site else 0.0}")
    csv = os.path.join(tmp, "shifts.csv")
    with open(csv, "w") as f:
        f.write("\n".join(table) + "\n")
    args = [HALO, "kmc", path, "--json"] + (["--site-energies", csv] if shift else [])
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode:
        return f"failed: {r.stderr.strip().splitlines()[-1]}"
    d = json.loads(r.stdout)
    a = d.get("arrhenius") or {}
    return "σ(300 K) {:.2e} S/cm, Ea {:.3f} eV, Li on unlisted minima {:.1%}".format(
        a.get("sigma_300k_s_per_cm", float("nan")),
        a.get("ea_ev", float("nan")),
        d["li_sublattice"]["interstitial_share"],
    )


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for path in sys.argv[1:]:
            for s in SHIFTS_EV:
                print(f"{os.path.basename(path)}  s = {s:+.2f} eV: {run(path, s, tmp)}", flush=True)


if __name__ == "__main__":
    main()
