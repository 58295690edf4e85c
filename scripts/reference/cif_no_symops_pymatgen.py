#!/usr/bin/env python3
"""halo's CIF reader against pymatgen on files that name their space group but list no
symmetry operations (docs/physics.md §1.1): every CIF of structures/ and of the validation set
whose loop of operations is removed, plus a rock salt with Li on 4a written with noise
(0.01, 0, 0). Prints sites, formula and density from both readers.

    cargo build --release
    python3 scripts/reference/cif_no_symops_pymatgen.py     # needs pymatgen

Measured with pymatgen 2026.10.16: every file with a group named unambiguously reads alike;
the Fd-3m spinels (origin choice 1 in the files) read alike too (halo: by the rows' stated
multiplicities); the noisy rock salt gives pymatgen Li24Cl4 (six Li 0.07 Å apart around each
4a), halo Li4Cl4 with a warning.
"""
import glob
import json
import os
import subprocess
import tempfile
import warnings

from pymatgen.io.cif import CifParser

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HALO = os.environ.get("HALO_CLI", os.path.join(ROOT, "target", "release", "halo"))
NOISY_ROCK_SALT = """data_LiCl
_cell_length_a 5.13
_cell_length_b 5.13
_cell_length_c 5.13
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Li1 Li+ 0.01 0 0
Cl1 Cl- 0.5 0.5 0.5
"""


def strip_operations(text):
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        nxt = lines[i + 1].lower() if i + 1 < len(lines) else ""
        if lines[i].strip() == "loop_" and ("symmetry_equiv_pos" in nxt or "space_group_symop" in nxt):
            i += 1
            while i < len(lines) and lines[i].strip().startswith("_"):
                i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith("_") \
                    and lines[i].strip() != "loop_":
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def pymatgen_read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            s = CifParser(path).parse_structures(primitive=False)[0]
        except Exception as e:  # noqa: BLE001 - report, do not stop
            return f"error: {str(e)[:80]}"
    return f"{len(s)} sites, {s.composition.formula}, {s.density:.4f} g/cm3"


def halo_read(path):
    p = subprocess.run([HALO, "inspect", path, "--json"], capture_output=True, text=True)
    if p.returncode not in (0, 3):  # 3: read, but not charge neutral (halo inspect's code)
        return "error: " + p.stderr.strip().splitlines()[-1][:80]
    d = json.loads(p.stdout)
    return f"{d['num_sites']} sites, {d['formula']}, {d['density_g_per_cm3']:.4f} g/cm3"


def main():
    files = sorted(glob.glob(os.path.join(ROOT, "structures", "*.cif"))
                   + glob.glob(os.path.join(ROOT, "tests", "validation", "structures", "*.cif")))
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for f in files:
            text = open(f).read()
            stripped = strip_operations(text)
            if stripped == text or "'P 1'" in stripped:
                continue  # P1 files (Materials Project) have nothing to generate
            path = os.path.join(tmp, os.path.basename(f))
            open(path, "w").write(stripped)
            cases.append(path)
        path = os.path.join(tmp, "noisy_rock_salt.cif")
        open(path, "w").write(NOISY_ROCK_SALT)
        cases.append(path)
        print("| file (no operations listed) | pymatgen | halo |")
        print("|---|---|---|")
        for c in cases:
            print(f"| {os.path.basename(c)} | {pymatgen_read(c)} | {halo_read(c)} |")


if __name__ == "__main__":
    main()
