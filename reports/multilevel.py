"""Two-level omega in the report when a cluster field is given (sessions within patients)."""
from __future__ import annotations

import pandas as pd

import psychometrics as pm

from .stats import attempt


def multilevel_consistency(matrix: pd.DataFrame, clusters: pd.Series,
                           scales: dict[str, list[str]]) -> dict:
    """Within- and between-cluster omega of each scale with three or more items.

    ``matrix`` has one row per human rating (index target, rater) and one keyed column per item;
    ``clusters`` maps target -> cluster value (NaN: no cluster). Ratings of targets without a
    cluster value are left out, and the entry says how many.
    """
    frame = matrix.reset_index()
    frame["__cluster"] = frame["target"].map(clusters)
    unclustered = int(frame["__cluster"].isna().sum())
    frame = frame[frame["__cluster"].notna()]
    out = {"observations": "human ratings (target x rater) nested in the cluster field's values; "
                           f"{unclustered} rating(s) of targets without a cluster value left out"}
    for code, items in scales.items():
        items = [c for c in items if c in frame.columns]
        if len(items) >= 3:
            out[code] = attempt(lambda items=items: pm.multilevel_omega(
                frame[items + ["__cluster"]], cluster="__cluster", items=items))
    return out
