"""halo from Python: screening lithium halide solid electrolytes.

Every function calls halo's Rust library crates (the one implementation, shared with the
``halo`` CLI) and returns the numbers of the CLI's ``--json`` output, with the same keys and
units (Å, eV, K, S/cm, cm²/s, V vs Li⁺/Li, s)::

    import halo
    s = halo.Structure.from_pymatgen(pmg_structure)     # or halo.Structure.from_file("x.cif")
    halo.inspect(s)                                     # dict, as `halo inspect --json`
    b = halo.bvse(s, resolution=0.2)                    # BvseResult: thresholds, site graph, grid
    k = halo.kmc(s, temperatures=[300, 400], seed=0)    # KmcResult: σ(T), Ea; .to_dataframe()

Structures: a ``halo.Structure``, a pymatgen ``Structure`` (or its ``as_dict()``) or a file
path are accepted wherever a structure is expected. pymatgen, pandas, networkx and jobflow are
optional. Errors are ``halo.HaloError`` subclasses with the CLI's messages (an argument of the
wrong Python type is Python's own ``TypeError``); long calls release the GIL and stop on Ctrl-C
(KeyboardInterrupt).
"""

from ._halo import (
    CampaignError,
    EvaluationError,
    HaloError,
    InternalError,
    ParameterError,
    Structure,
    StructureError,
    __version__,
    bvse,
    enumerate,
    eval,
    inspect,
    kmc,
    merge,
    resume,
    run,
    sites,
    stability,
    status,
)
from ._results import BvseResult, KmcResult, ModelDomainWarning
from .campaign import load_results

__all__ = [
    "BvseResult",
    "CampaignError",
    "EvaluationError",
    "HaloError",
    "InternalError",
    "KmcResult",
    "ModelDomainWarning",
    "ParameterError",
    "Structure",
    "StructureError",
    "__version__",
    "bvse",
    "enumerate",
    "eval",
    "inspect",
    "kmc",
    "load_results",
    "merge",
    "resume",
    "run",
    "sites",
    "stability",
    "status",
]
