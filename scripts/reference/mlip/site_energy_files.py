"""Write the committed CHGNet results as `halo kmc --site-energies` files (docs/physics.md §9.14).

Li2Sc2-3Cl4_chgnet_site_energies.csv: the seed spinel's E(8a) − E(16c) from case D
(`case_d_Li2Sc2-3Cl4.py`): the single moves that stayed on their destination, the mean of the
mean out of 8a and the mean out of 16c (direction-balanced), as the example `mlip_spinel`
computes it. Labels of structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif: Li1 16c, Li2 8a.

Li2Sc2-3Cl4_chgnet_hop_barriers.csv (`halo kmc --hop-barriers`): the mean E_KRA of the
converged climbing-image NEBs of case E (`case_e_neb_spinel.py`) for the 8a (Li2) - 16c (Li1)
hop, as the example `mlip_spinel` takes it.

Li2MgCl4_chgnet_site_energies.csv: the hand-built inverse spinel of case C
(`case_c_Li2MgCl4.py`, Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif: Li1 8a full, Li2/Mg3 16d):
CHGNet's energy of an 8a Li moved into the empty 16c octahedron (1/8, 1/8, 5/8), in the largest
cell (448 atoms). Of the two kinds of 16c hole in that 16d ordering only the one with 2 Li / 4 Mg
neighbours holds the Li (+0.142 eV); from the 4 Li / 2 Mg hole it returns to 8a (+0.400 eV held
at the centre). The file gives every 16c the lower value (a table cannot tell the two kinds
apart: both are one orbit of the averaged structure), so it prices 16c as cheaply as CHGNet allows.

LiAlCl4_chgnet_site_energies.csv: LiAlCl4 (structures/LiAlCl4_P21c_COD1004036.cif) with every
unlisted landscape minimum priced by CHGNet's Frenkel-pair energy (case A, 96-atom cell, as the
former example `mlip_site_energies` took it): E = ΔE_Frenkel relative to the Li site Li0. One row
per symmetry orbit of `halo sites` (its members found by symmetry, not by energy), with the mean
CHGNet value of the orbit's computed minima (located through the minimum indices case A recorded,
`halo bvse --json`); the script checks that halo's minima still carry case A's BVSE energies (to
1e-6 eV), that every orbit was computed and that its members' CHGNet values agree to 10 meV.

Run: python3 scripts/reference/mlip/site_energy_files.py   (reads results/, writes results/;
the LiAlCl4 file needs the halo CLI: $HALO_CLI, default target/release/halo)
"""
import json
import os
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent / "results"
ROOT = pathlib.Path(__file__).resolve().parents[3]


def case_d_8a_minus_16c():
    moves = []
    for name in ["caseD_1x1x1_results.json", "caseD_1x1x1_extra_results.json"]:
        data = json.loads((HERE / name).read_text())
        for fw in data["frameworks"]:
            for m in fw["moves"]:
                if m["stayed"] is True:
                    moves.append((m["e8a_minus_e16c_ev"], m["origin_kind"]))
    out_8a = [e for e, k in moves if k == "8a"]
    out_16c = [e for e, k in moves if k == "16c"]
    assert out_8a and out_16c, "case D needs moves in both directions"
    mean = lambda x: sum(x) / len(x)
    return 0.5 * (mean(out_8a) + mean(out_16c)), len(out_8a), len(out_16c)


def main():
    d, n8, n16 = case_d_8a_minus_16c()
    text = (
        "# Li2Sc2/3Cl4 (structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif): CHGNet 0.4.2 E(8a) - E(16c)\n"
        f"# from case D ({n8} moves out of 8a, {n16} out of 16c, direction-balanced mean),\n"
        "# scripts/reference/mlip/case_d_Li2Sc2-3Cl4.py; written by site_energy_files.py\n"
        "site,energy_ev\n"
        "Li1,0.0\n"
        f"Li2,{d!r}\n"
    )
    path = HERE / "Li2Sc2-3Cl4_chgnet_site_energies.csv"
    path.write_text(text)
    print(f"{path}: E(8a) - E(16c) = {d:+.6f} eV")

    e_kra, n_neb = case_e_e_kra()
    text = (
        "# Li2Sc2/3Cl4 (structures/Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif): CHGNet 0.4.2 E_KRA of the\n"
        f"# 8a (Li2) - 16c (Li1) hop, mean of {n_neb} converged climbing-image NEBs (case E,\n"
        "# scripts/reference/mlip/case_e_neb_spinel.py); written by site_energy_files.py\n"
        "from,to,e_kra_ev\n"
        f"Li2,Li1,{e_kra!r}\n"
    )
    path = HERE / "Li2Sc2-3Cl4_chgnet_hop_barriers.csv"
    path.write_text(text)
    print(f"{path}: E_KRA(8a-16c) = {e_kra:.6f} eV")

    e, n_li, n_mg, natoms = case_c_16c_minus_8a()
    text = (
        "# Li2MgCl4 inverse spinel (scripts/reference/mlip/Li2MgCl4_Fd-3m_inverse_spinel_handbuilt.cif):\n"
        f"# CHGNet 0.4.2 E(16c) - E(8a), case C, {natoms} atoms, the 16c hole with {n_li} Li / {n_mg} Mg\n"
        "# 16d neighbours (the other kind holds no Li); scripts/reference/mlip/case_c_Li2MgCl4.py;\n"
        "# written by site_energy_files.py\n"
        "site,energy_ev\n"
        "Li1,0.0\n"
        f"0.125 0.125 0.625,{e!r}\n"
    )
    path = HERE / "Li2MgCl4_chgnet_site_energies.csv"
    path.write_text(text)
    print(f"{path}: E(16c) - E(8a) = {e:+.6f} eV")

    lialcl4_file()


def case_e_e_kra():
    data = json.loads((HERE / "caseE_neb_results.json").read_text())
    e = [h["e_kra_ev"] for h in data["hops"] if h["neb_converged"] is True and h.get("e_kra_ev") is not None]
    assert e, "case E has no converged NEB"
    return sum(e) / len(e), len(e)


def case_c_16c_minus_8a():
    data = json.loads((HERE / "caseC_2x2x2_results.json").read_text())
    held = [m for m in data["moves"] if m["converged"] and m["moved_li_disp_from_hole_ang"] < 1.0]
    assert held, "case C: no move that stayed in its 16c hole"
    best = min(held, key=lambda m: m["mlip_delta_ev"])
    return best["mlip_delta_ev"], best["n_16d_li_neighbours"], best["n_16d_mg_neighbours"], data["natoms"]


def lialcl4_file():
    cif = "structures/LiAlCl4_P21c_COD1004036.cif"
    cli = os.environ.get("HALO_CLI", str(ROOT / "target" / "release" / "halo"))
    run = lambda *a: json.loads(subprocess.run([cli, *a, "--json"], cwd=ROOT, check=True,
                                               capture_output=True, text=True).stdout)
    sites = run("bvse", cif)["sites"]          # the minima case A indexed
    orbits = run("sites", cif)["rows"]         # halo's rows: labels, then symmetry orbits
    data = json.loads((HERE / "caseA_2x2x1_results.json").read_text())
    same = lambda a, b: all(abs(x - y) < 1e-6 for x, y in zip(a, b))
    values = {k: [] for k in range(len(orbits))}
    for f in data["frenkel"]:
        s = sites[f["minimum_index"]]
        assert s["label"] is None, s
        assert abs(s["energy_ev"] - f["bvse_energy_ev"]) < 1e-6, (s, f["bvse_energy_ev"])
        home = [k for k, o in enumerate(orbits) if any(same(s["frac_coords"], m) for m in o["members"])]
        assert len(home) == 1, (f["minimum_index"], home)
        values[home[0]].append(f["mlip_delta_ev"])
    rows = []
    for k, o in enumerate(orbits):
        if "label" in o["site"]:
            continue
        v = values[k]
        # every orbit was computed, and CHGNet gives its members one energy (to 10 meV)
        assert v, f"orbit {o['site']} has no CHGNet energy"
        assert max(v) - min(v) < 0.01, (o["site"], v)
        x = " ".join(f"{c:.6f}" for c in o["site"]["frac_coords"])
        rows.append(f"{x},{sum(v) / len(v)!r}")
    text = (
        f"# LiAlCl4 ({cif}): CHGNet 0.4.2 Frenkel-pair energies of the unlisted minima relative to\n"
        f"# the Li site Li0, case A ({data['natoms']} atoms; scripts/reference/mlip/case_ab_frenkel.py A),\n"
        "# one row per symmetry orbit of `halo sites` (the mean of its computed members);\n"
        "# written by site_energy_files.py\n"
        "site,energy_ev\n"
        "Li0,0.0\n" + "\n".join(rows) + "\n"
    )
    path = HERE / "LiAlCl4_chgnet_site_energies.csv"
    path.write_text(text)
    print(f"{path}: {len(rows)} orbits")

if __name__ == "__main__":
    main()
