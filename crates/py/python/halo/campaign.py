"""Reading a campaign's ranked outputs into pandas."""

from __future__ import annotations

import json
import os
from typing import Any, Union


def load_results(dir: Union[str, "os.PathLike[str]"], *, source: str = "csv") -> Any:
    """The ranking of a campaign folder as a ``pandas.DataFrame``, one row per candidate, in
    rank order: ``ranked.csv`` (``source="csv"``; columns with units in their names:
    ``sigma_300k_arrhenius_s_per_cm``, ``p_top_k``, ``ea_ev``, ``e_3d_ev``, ``anodic_limit_v_dg``,
    ``cost_usd_per_kg``,
    …) or the rows of ``ranked.json`` (``source="json"``; nested objects become dotted columns,
    e.g. ``metrics.sigma_300k_s_per_cm``, ``transport.e_3d_ev``). Raises
    ``halo.CampaignError`` when the file is missing (the campaign has not finished, or
    ``halo.status(dir)`` tells why). Needs pandas."""
    from ._halo import CampaignError, ParameterError

    name = {"csv": "ranked.csv", "json": "ranked.json"}.get(source)
    if name is None:
        raise ParameterError(f"source must be 'csv' or 'json', got {source!r}")
    path = os.path.join(os.fspath(dir), name)
    if not os.path.exists(path):
        raise CampaignError(
            f"{path}: no such file (the campaign has not written its outputs; "
            f"halo.status({os.fspath(dir)!r}) says how far it got)"
        )
    import pandas as pd

    if source == "csv":
        return pd.read_csv(path, dtype={"id": str, "seed": str})
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    rows = data["rows"] if isinstance(data, dict) and "rows" in data else data
    return pd.json_normalize(rows)
