"""Bad input raises the right halo.HaloError subclass with the CLI's message; no panic reaches
Python."""

import pytest

import halo


def cli_error(cli, *args):
    code, _, err = cli(*args)
    assert code == 2, err
    line = [x for x in err.splitlines() if x.startswith("error: ")][0]
    return line[len("error: "):]


def test_hierarchy():
    for e in (halo.StructureError, halo.ParameterError, halo.EvaluationError,
              halo.CampaignError, halo.InternalError):
        assert issubclass(e, halo.HaloError) and issubclass(e, Exception)
    assert halo.HaloError.__module__ == "halo"


def test_truncated_cif_message_is_the_clis(cli, in_repo):
    path = "tests/data/bad/truncated.cif"
    with pytest.raises(halo.StructureError) as e:
        halo.Structure.from_file(path)
    assert str(e.value) == cli_error(cli, "inspect", path)
    assert "line 39" in str(e.value)


def test_missing_file(in_repo):
    with pytest.raises(halo.StructureError, match="no_such.cif"):
        halo.Structure.from_file("no_such.cif")


def test_bad_pymatgen_dict():
    with pytest.raises(halo.StructureError, match="a dict without a lattice"):
        halo.Structure.from_pymatgen({"sites": []})
    with pytest.raises(halo.StructureError, match="lattice.matrix"):
        halo.Structure.from_pymatgen({"lattice": {}, "sites": []})


def test_bad_kmc_parameter_message_is_the_clis(cli, spinel_path, in_repo):
    with pytest.raises(halo.ParameterError) as e:
        halo.kmc(spinel_path, temperatures=[-5])
    assert str(e.value) == cli_error(cli, "kmc", spinel_path, "--temperatures=-5")


def test_bad_supercell_message_is_the_clis(cli, spinel_path, in_repo):
    with pytest.raises(halo.ParameterError) as e:
        halo.kmc(spinel_path, supercell="2,2")
    assert str(e.value) == cli_error(cli, "kmc", spinel_path, "--supercell", "2,2")


def test_bad_resolution(cli, spinel_path, in_repo):
    with pytest.raises(halo.ParameterError) as e:
        halo.bvse(spinel_path, resolution=0.0)
    assert str(e.value) == cli_error(cli, "bvse", spinel_path, "--resolution", "0")


def test_bad_mode(spinel_path, in_repo):
    with pytest.raises(halo.ParameterError, match="possible values: default, bvlain"):
        halo.bvse(spinel_path, mode="fast")


def test_bad_mobile_ion(spinel_path, in_repo):
    with pytest.raises(halo.ParameterError, match="--mobile-ion 'Xx\\+'"):
        halo.bvse(spinel_path, mobile_ion="Xx+")


def test_bad_formula(cli):
    with pytest.raises(halo.ParameterError) as e:
        halo.stability("Li3XxCl6")
    assert str(e.value) == cli_error(cli, "stability", "Li3XxCl6")


def test_campaign_errors_are_the_clis(cli, tmp_path):
    with pytest.raises(halo.CampaignError) as e:
        halo.status(tmp_path)
    assert str(e.value) == cli_error(cli, "status", tmp_path)
    with pytest.raises(halo.CampaignError):
        halo.run(tmp_path / "missing.toml", out=tmp_path / "out")
    with pytest.raises(halo.CampaignError, match="ranked.csv"):
        halo.load_results(tmp_path)


def test_bad_threads(tmp_path, in_repo):
    with pytest.raises(halo.ParameterError, match="--threads must be at least 1"):
        halo.run("tests/data/workflows/mini.toml", out=tmp_path, threads=0)


def test_panic_becomes_internal_error():
    with pytest.raises(halo.InternalError, match="deliberate panic"):
        halo._halo._panic_for_test()


def test_panic_on_worker_thread_becomes_internal_error():
    with pytest.raises(halo.InternalError, match="deliberate panic"):
        halo._halo._panic_for_test(worker=True)


def test_bvse_parameters_are_parameter_errors(spinel_path, in_repo):
    for kw, match in [
        ({"resolution": 50}, "coarser than 1"),
        ({"cluster_radius": -1}, "cluster_radius"),
        ({"cluster_radius": float("nan")}, "cluster_radius"),
        ({"mobile_ion": "Li"}, "has no oxidation state; only cationic"),
    ]:
        with pytest.raises(halo.ParameterError, match=match):
            halo.bvse(spinel_path, **kw)


def test_a_cluster_radius_of_zero_is_taken_as_by_the_cli(cli_json, spinel_path, in_repo):
    # 0: every landscape minimum its own site (the percolation's rule, the CLI's too)
    b = halo.bvse(spinel_path, resolution=0.3, cluster_radius=0)
    c = cli_json("bvse", spinel_path, "--resolution", "0.3", "--cluster-radius-ang", "0")
    assert b.e_3d_ev == c["e_3d_ev"] and b.to_dict()["sites"] == c["sites"]
