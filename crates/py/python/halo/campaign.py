"""Reading a campaign's ranked outputs into pandas."""

from __future__ import annotations

import json
import os
from typing import Any, Union


def load_results(
    dir: Union[str, "os.PathLike[str]"], *, source: str = "csv", allow_incomplete: bool = False
) -> Any:
    """The ranking of a campaign folder as a ``pandas.DataFrame``, one row per candidate, in
    rank order: ``ranked.csv`` (``source="csv"``; columns with units in their names:
    ``sigma_300k_arrhenius_s_per_cm``, ``p_top_k``, ``ea_ev``, ``e_3d_ev``, ``anodic_limit_v_dg``,
    ``cost_usd_per_kg``,
    …) or the rows of ``ranked.json`` (``source="json"``; nested objects become dotted columns,
    e.g. ``metrics.sigma_300k_s_per_cm``, ``transport.e_3d_ev``). Raises
    ``halo.CampaignError`` when the file is missing (the campaign has not finished, or
    ``halo.status(dir)`` tells why); when the outputs rank another number of candidates than
    the checkpoints hold (they were written before later candidates were recorded: rewrite
    them with ``halo report DIR`` or ``halo.resume(dir)``); when records of other settings
    are in the folder (``halo.status(dir)["stale"]``); and, unless
    ``allow_incomplete=True``, when candidates are still pending (a stopped run, a shard
    folder that ``halo report`` ranked before the merge), whose ranking covers only the
    candidates recorded so far. Needs pandas."""
    from ._halo import CampaignError, ParameterError, status

    name = {"csv": "ranked.csv", "json": "ranked.json"}.get(source)
    if name is None:
        raise ParameterError(f"source must be 'csv' or 'json', got {source!r}")
    path = os.path.join(os.fspath(dir), name)
    if not os.path.exists(path):
        raise CampaignError(
            f"{path}: no such file (the campaign has not written its outputs; "
            f"halo.status({os.fspath(dir)!r}) says how far it got)"
        )
    # the outputs must be the checkpoints' (ranked.json is written with ranked.csv)
    st = status(dir)
    if st.get("stale"):
        raise CampaignError(
            f"{path}: {st['stale']}: the folder's outputs would mix two settings; "
            f"halo.resume({os.fspath(dir)!r}, recompute_stale=True) recomputes them"
        )
    recorded = st["evaluated"] + len(st["failed"])
    head_path = os.path.join(os.fspath(dir), "ranked.json")
    try:
        with open(head_path, encoding="utf-8") as f:
            ranked_n = json.load(f).get("n_recorded")
    except (OSError, ValueError, AttributeError) as e:
        raise CampaignError(
            f"{head_path}: cannot be read ({e}); rewrite the outputs with `halo report "
            f"{os.fspath(dir)}`"
        ) from None
    if ranked_n != recorded:
        raise CampaignError(
            f"{path}: ranks {ranked_n} candidates but the checkpoints hold {recorded}: the "
            f"outputs are older than the records; rewrite them with `halo report "
            f"{os.fspath(dir)}` (or halo.resume)"
        )
    if st["pending"] > 0 and not allow_incomplete:
        raise CampaignError(
            f"{path}: the campaign is incomplete ({st['pending']} of {st['planned']} "
            f"candidates pending), so the ranking covers only the {recorded} recorded; "
            f"finish it with halo.resume({os.fspath(dir)!r}) (or merge its shards), or pass "
            f"allow_incomplete=True to load it as it is"
        )
    import pandas as pd

    if source == "csv":
        return pd.read_csv(path, dtype={"id": str, "seed": str})
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    rows = data["rows"] if isinstance(data, dict) and "rows" in data else data
    return pd.json_normalize(rows)
