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


COLUMNS = [("omega_within", "omega within"), ("omega_between", "omega between (cluster mean)"),
           ("omega_2l", "omega 2L (one observation)"), ("icc_scale", "ICC of the scale score")]


def multilevel_tables(report: dict) -> list[dict]:
    """Section 2's two-level omegas as a table for the HTML report (only with a cluster field)."""
    section = (report.get("internal_consistency") or {}).get("human", {}).get("multilevel_omega")
    if not section:
        return []
    rows, warnings = [], []
    for scale, entry in section.items():
        if not isinstance(entry, dict):
            continue
        if "error" in entry:
            rows.append([scale, *["" for _ in COLUMNS], f"not computed: {entry['error']}"])
            continue
        warnings += [f"{scale}: {problem}" for problem in entry.get("fit_problems", [])]
        rows.append([scale, *[_number(entry.get(key)) for key, _ in COLUMNS],
                     f"n={entry['n']} in {entry['n_clusters']} clusters"])
    method = next((e["method"] for e in section.values() if isinstance(e, dict) and "method" in e), "")
    note = (f"Observations: {section.get('observations', '')}. Within: reliability of a rating's deviation "
            "from its cluster mean; between: of the cluster mean of the scale score; 2L: of a single "
            f"rating's scale score (Lai 2021). {method}.")
    return [{"title": f"2b. Two-level omega (cluster field '{report.get('cluster_field')}')",
             "headers": ["scale", *[label for _, label in COLUMNS], "observations"], "rows": rows,
             "note": note, "warnings": warnings}]


def _number(value) -> str:
    return "—" if value is None else f"{value:.3f}"
