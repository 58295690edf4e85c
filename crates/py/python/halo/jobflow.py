"""halo as a jobflow job, for atomate2/jobflow workflows (needs ``jobflow``; pymatgen
structures in, the ``halo.eval`` dict out).

    from jobflow import Flow, run_locally
    from halo.jobflow import HaloEvalMaker

    job = HaloEvalMaker(seed=1).make(structure)        # a pymatgen Structure
    responses = run_locally(Flow([job]), create_folders=False)
    metrics = responses[job.uuid][1].output["metrics"]  # e_3d_ev, arrhenius, ranking{sigma_300k_s_per_cm, ea_ev}, …
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from jobflow import Maker, job

from . import _halo


@dataclass
class HaloEvalMaker(Maker):
    """Make a job that runs one structure through every halo stage (``halo.eval``): BVSE
    landscape, percolation barriers (eV), site graph, kMC (σ in S/cm, Ea in eV) and the
    stability, insulation and cost filters.

    Parameters
    ----------
    name
        The job's name.
    workflow
        A halo workflow TOML whose [bvse], [kmc] and [filters] sections set the stages
        (default: the workflow defaults, as ``halo eval`` without ``--workflow``).
    seed
        kMC seed (default: derived from the structure, as ``halo eval`` derives it).
    """

    name: str = "halo eval"
    workflow: Optional[str] = None
    seed: Optional[int] = None

    @job
    def make(self, structure: Any) -> Dict[str, Any]:
        """The job: ``structure`` is a pymatgen ``Structure`` (or its ``as_dict()``); the
        output is the ``halo eval --json`` dict, storable in any job store: integers above
        2**63 - 1 (halo's seeds are unsigned 64-bit; BSON and MongoDB hold signed 64-bit
        integers only) are given as decimal strings, which ``seed=int(...)`` takes back."""
        s = _halo.Structure.from_pymatgen(structure)
        return _store_safe(_halo.eval(s, workflow=self.workflow, seed=self.seed))


_INT64_MAX = 2**63 - 1


def _store_safe(value: Any) -> Any:
    """``value`` with every int beyond the signed 64-bit range as its decimal string."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if not -_INT64_MAX - 1 <= value <= _INT64_MAX else value
    if isinstance(value, dict):
        return {k: _store_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_store_safe(v) for v in value]
    return value
