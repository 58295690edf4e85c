"""halo.jobflow.HaloEvalMaker runs as a jobflow job (run_locally, in-memory store); skipped
when jobflow is not installed."""

import pytest

import halo

pytest.importorskip("jobflow")
pytest.importorskip("pymatgen.core")


def test_maker_runs_locally(spinel_path, in_repo):
    from jobflow import Flow, run_locally

    from halo.jobflow import HaloEvalMaker

    s = halo.Structure.from_file(spinel_path).to_pymatgen()
    wf = "tests/data/workflows/mini.toml"
    job = HaloEvalMaker(workflow=wf, seed=3).make(s)
    responses = run_locally(Flow([job]), create_folders=False, ensure_success=True)
    out = responses[job.uuid][1].output
    direct = halo.eval(halo.Structure.from_pymatgen(s), workflow=wf, seed=3)
    out.pop("timings_s"), direct.pop("timings_s")
    assert out == direct
    assert out["metrics"]["ranking"]["sigma_300k_s_per_cm"] > 0
