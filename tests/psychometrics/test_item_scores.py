"""`ItemScores`: the statistics of item scores converted once (covariances shared by every
subset) equal those of the subset's own DataFrame, complete or with missing answers."""
import numpy as np
import pandas as pd
import pytest

import psychometrics as pm


def _frame(missing: bool) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    truth = rng.normal(size=300)
    x = np.clip(np.rint(3 + truth[:, None] + rng.normal(0, 0.9, (300, 6))), 1, 5)
    frame = pd.DataFrame(x, columns=[f"i{j}" for j in range(6)])
    if missing:
        frame.iloc[rng.integers(0, 300, 40), 4] = np.nan  # one incomplete item
    return frame


def _same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], float):
            assert a[key] == pytest.approx(b[key], rel=1e-12, abs=1e-12, nan_ok=True), key
        elif not isinstance(a[key], dict):
            assert a[key] == b[key], key


@pytest.mark.parametrize("missing", [pytest.param(False, id="complete"), pytest.param(True, id="missing")])
@pytest.mark.parametrize("codes", [pytest.param(["i0", "i1", "i2", "i3", "i4", "i5"], id="all"),
                                   pytest.param(["i3", "i0", "i4", "i1"], id="subset")])
def test_item_scores_equal_their_frame(missing, codes):
    frame = _frame(missing)
    scores = pm.ItemScores(frame).select(codes)
    sub = frame[codes]
    for how in ("pairwise", "listwise"):
        _same(pm.cronbach_alpha(scores, missing=how).to_dict(), pm.cronbach_alpha(sub, missing=how).to_dict())
        _same(pm.omega(scores, missing=how).to_dict(), pm.omega(sub, missing=how).to_dict())
    pd.testing.assert_frame_equal(pm.item_statistics(scores, with_omega=False),
                                  pm.item_statistics(sub, with_omega=False), rtol=1e-12)
    _same(pm.cfa_one_factor(scores).to_dict(), pm.cfa_one_factor(sub).to_dict())


def test_item_scores_refuse_unknown_items_and_drop_constant_ones():
    frame = _frame(False).assign(i5=3.0)
    with pytest.raises(ValueError, match="not columns"):
        pm.ItemScores(frame).select(["i0", "nope"])
    dropped = pm.cronbach_alpha(pm.ItemScores(frame), constant_items="drop")
    assert dropped.dropped_items == ("i5",)
    assert dropped.estimate == pytest.approx(pm.cronbach_alpha(frame.drop(columns="i5")).estimate, rel=1e-12)
    with pytest.raises(ValueError, match="constant"):
        pm.cronbach_alpha(pm.ItemScores(frame))
