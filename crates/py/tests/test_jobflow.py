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


def test_maker_output_fits_a_bson_store(in_repo):
    """Without a seed, the seed derived from the structure is unsigned 64-bit and can exceed
    what BSON (jobflow's default store) holds: such integers come out as decimal strings,
    equal to halo.eval's numbers."""
    from jobflow import Flow, run_locally

    from halo.jobflow import HaloEvalMaker, _store_safe

    s = halo.Structure.from_file("structures/LiAlCl4_P21c_COD1004036.cif").to_pymatgen()
    wf = "tests/data/workflows/mini.toml"
    direct = halo.eval(halo.Structure.from_pymatgen(s), workflow=wf)
    job = HaloEvalMaker(workflow=wf).make(s)
    responses = run_locally(Flow([job]), create_folders=False, ensure_success=True)
    out = responses[job.uuid][1].output

    def ints(v):
        if isinstance(v, bool):
            return []
        if isinstance(v, int):
            return [v]
        if isinstance(v, dict):
            return [x for w in v.values() for x in ints(w)]
        if isinstance(v, list):
            return [x for w in v for x in ints(w)]
        return []

    assert all(-(2**63) <= x < 2**63 for x in ints(out))
    out.pop("timings_s"), direct.pop("timings_s")
    assert out == _store_safe(direct)
    # the seed derived from this structure (17394581648588825197) is beyond the int64 range
    big = [x for x in ints(direct) if x >= 2**63]
    assert big and str(big[0]) in str(out)
