"""The report's two-level omega hook (cluster field given) against semTools::compRelSEM."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.multilevel import multilevel_consistency

REFERENCE = Path(__file__).resolve().parents[1] / "psychometrics" / "reference"


def test_multilevel_consistency_matches_comprelsem():
    ref = json.loads((REFERENCE / "r_reference.json").read_text())["twolevel"]
    demo = pd.read_csv(REFERENCE / "demo_twolevel.csv")
    # One rating per target, targets nested in lavaan's clusters; one target has no cluster.
    matrix = demo[["y1", "y2", "y3"]].set_axis(
        pd.MultiIndex.from_arrays([range(len(demo)), ["r"] * len(demo)], names=["target", "rater"]))
    extra = pd.DataFrame({"y1": [0.0], "y2": [0.0], "y3": [0.0]},
                         index=pd.MultiIndex.from_tuples([(10**6, "r")], names=["target", "rater"]))
    clusters = pd.Series(demo["cluster"].to_numpy(), index=range(len(demo)))
    out = multilevel_consistency(pd.concat([matrix, extra]), clusters,
                                 {"total": ["y1", "y2", "y3"], "pair": ["y1", "y2"]})
    assert out["total"]["omega_between"] == pytest.approx(ref["omega_B"], abs=5e-5)
    assert out["total"]["omega_within"] == pytest.approx(ref["omega_within_block"], abs=5e-5)
    assert "1 rating(s) of targets without a cluster value" in out["observations"]
    assert "pair" not in out  # fewer than three items
    assert np.isfinite(out["total"]["omega_2l"])


def _report_with(section: dict) -> dict:
    return {"cluster_field": "patient", "internal_consistency": {"human": {"multilevel_omega": section}}}


def test_multilevel_table_on_the_page():
    from reports.multilevel import multilevel_tables
    ref = json.loads((REFERENCE / "r_reference.json").read_text())["twolevel"]
    demo = pd.read_csv(REFERENCE / "demo_twolevel.csv")
    matrix = demo[["y1", "y2", "y3"]].set_axis(
        pd.MultiIndex.from_arrays([range(len(demo)), ["r"] * len(demo)], names=["target", "rater"]))
    clusters = pd.Series(demo["cluster"].to_numpy(), index=range(len(demo)))
    section = multilevel_consistency(matrix, clusters, {"total": ["y1", "y2", "y3"]})
    section["short"] = {"error": "The separate one-factor two-level model stopped at its iteration limit."}
    (table,) = multilevel_tables(_report_with(section))
    assert table["title"] == "2b. Two-level omega (cluster field 'patient')"
    rows = {row[0]: row for row in table["rows"]}
    # semTools::compRelSEM on lavaan's Demo.twolevel: omega_W 0.676, omega_B 0.782 (3 decimals shown)
    assert rows["total"][1:3] == [f"{ref['omega_within_block']:.3f}", f"{ref['omega_B']:.3f}"]
    assert rows["total"][-1] == "n=2500 in 200 clusters"
    assert rows["short"][-1].startswith("not computed: The separate") and "observations" not in rows
    assert "compRelSEM" in table["note"]


def test_no_multilevel_table_without_a_cluster_field():
    from reports.multilevel import multilevel_tables
    assert multilevel_tables({"internal_consistency": {"human": {}}}) == []
