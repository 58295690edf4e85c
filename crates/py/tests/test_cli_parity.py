"""Results through Python equal the CLI's JSON bit for bit (float ==, not approx) for the same
input and seed; only wall-clock timings differ."""

import json
import os

import pytest

import halo

# the short kMC of the parity test: two temperatures, 2 replicas, 4 blocks of 10 hops per ion
KMC_KW = dict(temperatures=[300, 400], replicas=2, blocks=4, hops_per_block=10, seed=7)
KMC_FLAGS = ["--temperatures", "300,400", "--replicas", "2", "--blocks", "4",
             "--hops-per-block", "10", "--seed", "7"]


def test_inspect_equals_cli(cli_json, spinel_path, in_repo):
    assert halo.inspect(halo.Structure.from_file(spinel_path)) == cli_json("inspect", spinel_path)


def test_inspect_accepts_a_path(spinel_path, in_repo):
    assert halo.inspect(spinel_path)["space_group_symbol"] == "Fd-3m"


def test_bvse_equals_cli(cli_json, spinel_path, in_repo):
    b = halo.bvse(halo.Structure.from_file(spinel_path), resolution=0.3)
    c = cli_json("bvse", spinel_path, "--resolution", "0.3")
    for k in ("e_1d_ev", "e_2d_ev", "e_3d_ev", "grid_min_ev", "bvlain_rounded", "sites",
              "edges", "grid_shape", "n_grid_minima", "percolation_params", "warnings"):
        assert b.to_dict()[k] == c[k], k
    assert b.thresholds_ev == {k: c[k] for k in ("e_1d_ev", "e_2d_ev", "e_3d_ev")}
    # the same keys as the CLI's JSON
    assert set(b.to_dict()) == set(c), set(b.to_dict()) ^ set(c)
    assert b.to_dict()["file"] == str(spinel_path) and b.to_dict()["grid_out"] is None
    p, q = dict(b.bvse_params), dict(c["bvse_params"])
    p.pop("memory_limit_bytes"), q.pop("memory_limit_bytes")  # MemAvailable at the time
    assert p == q
    # the grid: absolute eV, shape grid_shape, its minimum is the CLI's grid_min_ev
    assert list(b.energies_ev.shape) == c["grid_shape"]
    assert float(b.energies_ev.min()) == c["grid_min_ev"]


def test_bvse_warnings_equal_cli(cli_json, spinel_path, tmp_path, in_repo):
    # a file with two structure blocks: the reader's note is in both warning lists
    text = open(spinel_path, encoding="utf-8").read()
    two = tmp_path / "two.cif"
    two.write_text(text + "\n" + text.replace("data_", "data_second_", 1))
    with pytest.warns(halo.ModelDomainWarning, match="holds 2 data blocks"):
        b = halo.bvse(halo.Structure.from_file(two), resolution=0.3)
    c = cli_json("bvse", two, "--resolution", "0.3")
    assert b.to_dict()["warnings"] == c["warnings"]
    assert any("holds 2 data blocks" in w for w in c["warnings"])


def test_bvse_bvlain_mode(cli_json, spinel_path, in_repo):
    b = halo.bvse(spinel_path, resolution_ang=0.3, mode="bvlain")
    c = cli_json("bvse", spinel_path, "--resolution", "0.3", "--mode", "bvlain")
    assert b.bvlain_rounded == c["bvlain_rounded"] and b.e_3d_ev == c["e_3d_ev"]


def test_kmc_equals_cli(cli_json, spinel_path, in_repo):
    k = halo.kmc(halo.Structure.from_file(spinel_path), **KMC_KW)
    c = cli_json("kmc", spinel_path, *KMC_FLAGS)
    py = k.to_dict()
    py.pop("timing_s"), c.pop("timing_s")
    assert py == c
    assert k.ea_ev == c["arrhenius"]["ea_ev"]
    assert k.sigma_300k_s_per_cm == c["arrhenius"]["sigma_300k_s_per_cm"]
    assert [t["sigma_s_per_cm"] for t in k.temperatures] == [
        t["sigma_s_per_cm"] for t in c["temperatures"]
    ]
    assert k.calibration["source"].startswith("calibrated default")


def test_kmc_expert_keywords_equal_the_cli_flags(cli_json, spinel_path, in_repo):
    # Metropolis placement in the averaged model, and the explicit model's realisations and
    # stations: each keyword reaches the run as its flag does
    k = halo.kmc(spinel_path, metropolis_sweeps_per_ion=5, **KMC_KW).to_dict()
    c = cli_json("kmc", spinel_path, "--metropolis-sweeps-per-ion", "5", *KMC_FLAGS)
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    plain = cli_json("kmc", spinel_path, *KMC_FLAGS)
    assert [t["sigma_s_per_cm"] for t in plain["temperatures"]] != [
        t["sigma_s_per_cm"] for t in c["temperatures"]
    ]
    kw = dict(KMC_KW, temperatures=[400], model="explicit")
    flags = ["--model", "explicit", "--min-realisations", "1", "--max-realisations", "1",
             "--station-max-depth-ev", "0.05", "--temperatures", "400", *KMC_FLAGS[2:]]
    k = halo.kmc(spinel_path, min_realisations=1, max_realisations=1,
                 station_max_depth_ev=0.05, **kw).to_dict()
    c = cli_json("kmc", spinel_path, *flags)
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    assert len(c["ensemble"]["realisations"]) == 1


def test_kmc_warns_on_a_file_whose_every_li_site_is_full(cli_json, in_repo):
    lialcl4 = os.path.join("structures", "LiAlCl4_P21c_COD1004036.cif")
    with pytest.warns(halo.ModelDomainWarning, match="every Li site of the input is full"):
        k = halo.kmc(lialcl4, **KMC_KW)
    c = cli_json("kmc", lialcl4, *KMC_FLAGS)
    assert k.warnings == c["warnings"] and len(c["warnings"]) == 1
    assert k.li_sublattice == c["li_sublattice"] and c["li_sublattice"]["full"] is True
    # the spinel lists vacant Li sites: no warning
    import warnings as w

    with w.catch_warnings():
        w.simplefilter("error", halo.ModelDomainWarning)
        s = halo.kmc(os.path.join("structures", "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"), **KMC_KW)
    assert s.warnings == [] and s.li_sublattice["full"] is False


def test_kmc_warns_on_a_structure_that_is_not_charge_neutral(cli_json, in_repo):
    bad = os.path.join("tests", "data", "bad", "not_neutral.cif")
    with pytest.warns(halo.ModelDomainWarning, match="structure is not charge neutral"):
        k = halo.kmc(bad, **KMC_KW)
    c = cli_json("kmc", bad, *KMC_FLAGS)
    assert k.warnings == c["warnings"]
    assert k.to_dict()["charge"] == c["charge"] and c["charge"]["neutral"] is False
    # the landscape alone warns too, with the CLI's text
    with pytest.warns(halo.ModelDomainWarning, match="structure is not charge neutral"):
        b = halo.bvse(bad, resolution_ang=0.3)
    cb = cli_json("bvse", bad, "--resolution", "0.3")
    assert b.warnings == cb["warnings"] and len(cb["warnings"]) == 1


def test_kmc_explicit_model_equals_cli(cli_json, spinel_path, in_repo):
    kw = dict(KMC_KW, temperatures=[400, 500])
    flags = ["--temperatures", "400,500", "--replicas", "2", "--blocks", "4",
             "--hops-per-block", "10", "--seed", "7", "--model", "explicit"]
    k = halo.kmc(spinel_path, model="explicit", **kw)
    c = cli_json("kmc", spinel_path, *flags)
    py = k.to_dict()
    py.pop("timing_s"), c.pop("timing_s")
    assert py == c
    assert py["model"] == "explicit" and py["ensemble"]["disordered"] is True
    assert py["calibration"]["pair_potential"]["pair_potential"] == "bvse"
    assert "dielectric_constant" not in py["calibration"]
    # the Yukawa form, by keyword as by flag
    ky = halo.kmc(spinel_path, model="explicit", pair_potential="yukawa", **kw).to_dict()
    cy = cli_json("kmc", spinel_path, *flags, "--pair-potential", "yukawa")
    ky.pop("timing_s"), cy.pop("timing_s")
    assert ky == cy
    assert ky["calibration"]["dielectric_constant"]["source"].startswith("calibrated default")
    # the anions' bond-valence saturation, by keyword as by flag
    ks = halo.kmc(spinel_path, model="explicit", anion_saturation_ev=1.0, **kw).to_dict()
    cs = cli_json("kmc", spinel_path, *flags, "--anion-saturation-ev", "1")
    ks.pop("timing_s"), cs.pop("timing_s")
    assert ks == cs
    assert ks["calibration"]["anion_saturation_ev"]["anion_saturation_ev"] == 1.0
    assert ks["temperatures"] != py["temperatures"]
    with pytest.raises(halo.ParameterError, match="--anion-saturation-ev: applies to the explicit"):
        halo.kmc(spinel_path, anion_saturation_ev=1.0)
    with pytest.raises(halo.ParameterError, match="explicit"):
        halo.kmc(spinel_path, model="fancy")
    with pytest.raises(halo.ParameterError, match="--pair-potential: 'ewald'"):
        halo.kmc(spinel_path, model="explicit", pair_potential="ewald")


def test_kmc_unit_names_and_aliases_agree(spinel_path, in_repo):
    a = halo.kmc(spinel_path, **KMC_KW).to_dict()
    kw = dict(KMC_KW)
    kw["temperatures_k"] = kw.pop("temperatures")
    b = halo.kmc(spinel_path, resolution_ang=0.2, **kw).to_dict()
    a.pop("timing_s"), b.pop("timing_s")
    assert a == b
    with pytest.raises(halo.ParameterError, match="not both"):
        halo.kmc(spinel_path, temperatures=[300], temperatures_k=[300])


def test_kmc_stopping_rule_keywords_equal_flags(cli_json, spinel_path, in_repo):
    # a tight target makes the averaged model add replicas up to the cap, by keyword as by flag
    k = halo.kmc(spinel_path, max_replicas=4, target_rel_se=0.01, **KMC_KW).to_dict()
    c = cli_json("kmc", spinel_path, *KMC_FLAGS, "--max-replicas", "4", "--target-rel-se", "0.01")
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    stop = k["stopping"]
    assert stop["target"] == {"rel_se": 0.01, "max_replicas": 4}
    assert stop["replicas_per_temperature"] == [4, 4] and stop["target_missed"] is True
    with pytest.raises(halo.ParameterError, match="--max-replicas: 1 is not in 2..="):
        halo.kmc(spinel_path, max_replicas=1, **KMC_KW)
    with pytest.raises(halo.ParameterError, match="--max-replicas: applies to the averaged"):
        halo.kmc(spinel_path, model="explicit", max_replicas=8)
    # the explicit model's ensemble keywords are refused by the averaged model, which would
    # ignore them (the message is the CLI's, as every error's)
    with pytest.raises(halo.ParameterError, match="--min-realisations: applies to the explicit"):
        halo.kmc(spinel_path, min_realisations=3, **KMC_KW)


def test_kmc_dataframe(spinel_path, in_repo):
    pd = pytest.importorskip("pandas")
    df = halo.kmc(spinel_path, **KMC_KW).to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert list(df["temperature_k"]) == [300.0, 400.0]
    assert (df["sigma_s_per_cm"] > 0).all()


def test_bvse_networkx(spinel_path, in_repo):
    nx = pytest.importorskip("networkx")
    b = halo.bvse(spinel_path, resolution=0.3)
    g = b.to_networkx()
    assert isinstance(g, nx.MultiGraph)
    assert g.number_of_nodes() == len(b.sites) and g.number_of_edges() == len(b.edges)
    _, _, d = next(iter(g.edges(data=True)))
    assert {"saddle_energy_ev", "hop_length_ang", "image"} <= set(d)


def test_eval_equals_cli(cli_json, spinel_path, in_repo):
    wf = "tests/data/workflows/mini.toml"
    p = halo.eval(halo.Structure.from_file(spinel_path), workflow=wf)
    c = cli_json("eval", spinel_path, "--workflow", wf)
    p.pop("timings_s"), c.pop("timings_s")
    assert p == c


def test_stability_equals_cli(cli_json):
    assert halo.stability("Li3InCl6") == cli_json("stability", "Li3InCl6")
    # a formula balanced by a cation outside its formal state carries the same note
    p = halo.stability("Li4InCl6")
    assert p == cli_json("stability", "Li4InCl6")
    assert any("In is taken as +2" in n for n in p["notes"])


def test_stability_of_a_structure_equals_cli(cli_json, spinel_path, in_repo):
    assert halo.stability(halo.Structure.from_file(spinel_path)) == cli_json(
        "stability", spinel_path
    )


def test_enumerate_equals_cli(cli_json, spinel_path, in_repo):
    p = halo.enumerate(spinel_path, site="16d", dopants=["In", "Y"], fractions="0:0.666:0.222")
    c = cli_json("enumerate", "--framework", spinel_path, "--site", "16d", "--dopants", "In,Y",
                 "--fractions", "0:0.666:0.222")
    c.pop("written")
    assert p == c
    listed = halo.enumerate(spinel_path, site="16d", dopants=["In", "Y"],
                            fractions=[0, 0.222, 0.444, 0.666])
    assert [x["id"] for x in listed["accepted"]] == [x["id"] for x in p["accepted"]]


def test_enumerate_refuses_what_the_cli_refuses(spinel_path, in_repo):
    with pytest.raises(halo.ParameterError, match="dopants: empty list"):
        halo.enumerate(spinel_path, site="16d", dopants=[], fractions="0.111")
    with pytest.raises(halo.ParameterError, match="at most 1000 orderings"):
        halo.enumerate(spinel_path, site="16d", dopants=["In"], fractions="0.111", orderings=1001)


def test_enumerate_structures(spinel_path, in_repo):
    r = halo.enumerate(spinel_path, site="16d", dopants=["In"], fractions="0.222",
                       structures=True)
    assert set(r["structures"]) == {c["id"] for c in r["accepted"]}
    doped = [c["id"] for c in r["accepted"] if c["dopants"]]
    s = r["structures"][doped[0]]
    assert isinstance(s, halo.Structure) and "In" in s.formula


def test_campaign_run_status_results_equal_cli(cli, tmp_path, in_repo):
    pd = pytest.importorskip("pandas")
    wf = "tests/data/workflows/mini.toml"
    summary = halo.run(wf, out=tmp_path / "py")
    assert summary["failed"] == 0 and summary["outputs_written"] and not summary["interrupted"]
    assert summary["without_fit"] == 0
    code, _, err = cli("run", wf, "--out", tmp_path / "cli", "--no-progress")
    assert code in (0, 4), err
    assert (tmp_path / "py" / "ranked.csv").read_bytes() == (
        tmp_path / "cli" / "ranked.csv"
    ).read_bytes()
    st = halo.status(tmp_path / "py")
    code, out, _ = cli("status", tmp_path / "py", "--json")
    assert st == json.loads(out)
    assert st["pending"] == 0 and st["evaluated"] == summary["planned"]
    again = halo.resume(tmp_path / "py")
    assert again["already_done"] == summary["total"] and again["recorded"] == 0
    df = halo.load_results(tmp_path / "py")
    assert isinstance(df, pd.DataFrame) and len(df) == summary["planned"]
    assert {"sigma_300k_arrhenius_s_per_cm", "ea_ev", "e_3d_ev", "formula", "p_top_k"} <= set(
        df.columns
    )
    dj = halo.load_results(tmp_path / "py", source="json")
    assert len(dj) == len(df)


def test_resume_without_a_shard_continues_the_one_the_folder_holds(tmp_path, in_repo):
    wf = "tests/data/workflows/mini.toml"
    first = halo.run(wf, out=tmp_path / "s", shard="0/2")
    again = halo.resume(tmp_path / "s")
    # the shard's records are reused, no whole-campaign checkpoint is started
    assert again["already_done"] == first["total"] and again["recorded"] == 0
    assert not (tmp_path / "s" / "checkpoint.jsonl").exists()
    halo.run(wf, out=tmp_path / "s", shard="1/2")
    with pytest.raises(halo.CampaignError, match="shards 0/2, 1/2"):
        halo.resume(tmp_path / "s")
    # the shards are joined from Python as `halo merge` joins them
    m = halo.merge(tmp_path / "s", 2)
    assert m["missing_shards"] == [] and m["recorded"] == m["candidates"]
    assert (tmp_path / "s" / "ranked.csv").is_file()
    assert halo.load_results(tmp_path / "s").shape[0] == m["candidates"]


def test_load_results_refuses_stale_or_incomplete_outputs(cli, tmp_path, in_repo):
    pytest.importorskip("pandas")
    wf = "tests/data/workflows/mini.toml"
    first = halo.run(wf, out=tmp_path / "s", shard="0/2")
    # `halo report` ranks a shard folder's records before the merge: that ranking is partial,
    # and it says so (exit 3)
    code, _, err = cli("report", tmp_path / "s")
    assert code == 3 and "incomplete" in err, err
    with pytest.raises(halo.CampaignError, match="incomplete"):
        halo.load_results(tmp_path / "s")
    part = halo.load_results(tmp_path / "s", allow_incomplete=True)
    assert len(part) == first["recorded"]
    # the other shard records more candidates without rewriting the outputs: they are stale
    halo.run(wf, out=tmp_path / "s", shard="1/2")
    with pytest.raises(halo.CampaignError, match="older than the records"):
        halo.load_results(tmp_path / "s", allow_incomplete=True)
    m = halo.merge(tmp_path / "s", 2)
    assert len(halo.load_results(tmp_path / "s")) == m["candidates"]
    # records of other settings (the folder's [kmc] edited) are not loaded as a ranking
    wf_path = tmp_path / "s" / "workflow.toml"
    text = wf_path.read_text()
    assert "hops_per_ion = 20" in text
    wf_path.write_text(text.replace("hops_per_ion = 20", "hops_per_ion = 30"))
    with pytest.raises(halo.CampaignError, match="do not belong to this folder's settings"):
        halo.load_results(tmp_path / "s")


def test_kmc_relax_anions_keyword_equals_flag(cli_json, spinel_path, in_repo):
    k = halo.kmc(spinel_path, relax_anions=True, **KMC_KW).to_dict()
    c = cli_json("kmc", spinel_path, *KMC_FLAGS, "--relax-anions")
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    assert k["calibration"]["relax_anions"] is True
    with pytest.raises(halo.ParameterError, match="--relax-anions: applies to the averaged"):
        halo.kmc(spinel_path, model="explicit", relax_anions=True)


def test_kmc_relax_energy_keyword_equals_flag(cli_json, spinel_path, in_repo):
    k = halo.kmc(spinel_path, relax_anions=True, relax_energy="force_field", **KMC_KW).to_dict()
    c = cli_json(
        "kmc", spinel_path, *KMC_FLAGS, "--relax-anions", "--relax-energy", "force_field"
    )
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    assert k["calibration"]["relax_energy"] == "force_field"
    with pytest.raises(halo.ParameterError, match="--relax-energy: applies only when"):
        halo.kmc(spinel_path, relax_energy="force_field")
    with pytest.raises(halo.ParameterError, match="expected `valence_sums` or `force_field`"):
        halo.kmc(spinel_path, relax_anions=True, relax_energy="gii")


def test_bvse_screening_factor_keyword_equals_flag(cli_json, spinel_path, in_repo):
    b = halo.bvse(spinel_path, screening_factor=1.05).to_dict()
    c = cli_json("bvse", spinel_path, "--screening-factor", "1.05")
    assert b["e_3d_ev"] == c["e_3d_ev"] and b["sites"] == c["sites"]
    assert b["bvse_params"]["screening_factor"] == 1.05


def test_kmc_screening_factor_keyword_equals_flag(cli_json, spinel_path, in_repo):
    k = halo.kmc(spinel_path, screening_factor=0.66, **KMC_KW).to_dict()
    c = cli_json("kmc", spinel_path, *KMC_FLAGS, "--screening-factor", "0.66")
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    assert k["calibration"]["screening_factor"]["screening_factor"] == 0.66
    with pytest.raises(halo.ParameterError, match="--screening-factor: 0 is not positive"):
        halo.kmc(spinel_path, screening_factor=0.0)


def test_kmc_site_energies_keyword_equals_flag(cli_json, in_repo, tmp_path):
    cif = os.path.join("structures", "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif")
    table = os.path.join("scripts", "reference", "mlip", "results",
                         "Li2Sc2-3Cl4_chgnet_site_energies.csv")
    hops = os.path.join("scripts", "reference", "mlip", "results",
                        "Li2Sc2-3Cl4_chgnet_hop_barriers.csv")
    k = halo.kmc(cif, site_energies=table, hop_barriers=hops, **KMC_KW).to_dict()
    c = cli_json("kmc", cif, *KMC_FLAGS, "--site-energies", table, "--hop-barriers", hops)
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    assert [r["site"] for r in k["site_energies"]["rows"]] == ["Li1", "Li2"]
    assert k["hop_barriers"]["rows"][0]["hops"] > 0
    bad = tmp_path / "bad.csv"
    bad.write_text("site,energy_ev\nLi1,0\nLi2,1e3\n")
    with pytest.raises(halo.ParameterError, match=r"bad.csv, line 3, field energy_ev"):
        halo.kmc(cif, site_energies=bad, **KMC_KW)


def test_kmc_ground_occupancies_keyword_equals_flag(cli_json, in_repo):
    cif = os.path.join("structures", "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif")
    k = halo.kmc(cif, ground_occupancies=True, **KMC_KW).to_dict()
    c = cli_json("kmc", cif, *KMC_FLAGS, "--ground-occupancies")
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    g = k["grounding"]
    assert g["converged"] and [x["label"] for x in g["labels"]] == ["Li1", "Li2"]
    assert g["labels"][1]["shift_ev"] < -0.05
    table = os.path.join("scripts", "reference", "mlip", "results",
                         "Li2Sc2-3Cl4_chgnet_site_energies.csv")
    with pytest.raises(halo.ParameterError, match="give one"):
        halo.kmc(cif, ground_occupancies=True, site_energies=table, **KMC_KW)
    with pytest.raises(halo.ParameterError, match="ground_occupancies=True"):
        halo.kmc(cif, grounding_temperature_k=250.0, **KMC_KW)
    with pytest.raises(halo.ParameterError, match="grounding_temperature_k: -1"):
        halo.kmc(cif, ground_occupancies=True, grounding_temperature_k=-1.0, **KMC_KW)


def test_kmc_grounding_temperature_from_the_file_or_the_keyword(cli_json, in_repo, tmp_path):
    """The CIF's measurement temperature is the grounding's unless one is given, as in the CLI."""
    src = os.path.join("structures", "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif")
    cif = tmp_path / "cold.cif"
    text = open(src).read()
    cif.write_text(text.replace("_cell_length_a", "_diffrn_ambient_temperature 250(1)\n_cell_length_a", 1))
    k = halo.kmc(cif, ground_occupancies=True, **KMC_KW).to_dict()
    c = cli_json("kmc", str(cif), *KMC_FLAGS, "--ground-occupancies")
    k.pop("timing_s"), c.pop("timing_s")
    assert k == c
    s = k["grounding"]["settings"]
    assert s["temperature_k"] == 250.0
    assert s["temperature_source"]["from"] == "file"
    assert s["temperature_source"]["tag"] == "_diffrn_ambient_temperature"
    given = halo.kmc(cif, ground_occupancies=True, grounding_temperature_k=300.0, **KMC_KW)
    g = given.to_dict()["grounding"]["settings"]
    assert g["temperature_k"] == 300.0 and g["temperature_source"] == {"from": "given"}


def test_sites_equals_cli(cli_json, in_repo, tmp_path):
    cif = os.path.join("structures", "LiAlCl4_P21c_COD1004036.cif")
    py = halo.sites(cif)
    c = cli_json("sites", cif)
    csv_text = py.pop("csv")
    assert py == c
    assert [r["site"] for r in py["rows"]][0] == {"label": "Li0"}
    assert sum(r["minima"] for r in py["rows"]) == py["minima"]
    # the file, unchanged, runs and addresses every minimum
    path = tmp_path / "sites.csv"
    path.write_text(csv_text)
    with pytest.warns(halo.ModelDomainWarning, match="every Li site of the input is full"):
        k = halo.kmc(cif, site_energies=path, **KMC_KW)
    assert k.to_dict()["site_energies"]["unaddressed_minima"] == 0
