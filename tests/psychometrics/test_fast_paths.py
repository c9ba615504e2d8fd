"""Fast paths (hypothesis): each equals the general path it short-cuts.

Complete item data take a plain numpy covariance instead of pandas' pairwise one; small
Krippendorff coincidence matrices are built dense instead of with scipy.sparse; numeric Fleiss
scores are coded by factorize instead of a Categorical.
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import psychometrics as pm
from psychometrics import consistency, krippendorff

from .conftest import to_long
from .test_properties import rating_matrix

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def item_matrix(draw):
    n = draw(st.integers(3, 60))
    k = draw(st.integers(2, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 31)))
    scale = draw(st.floats(1e-3, 1e3))
    shift = draw(st.floats(-1e4, 1e4))
    return rng.normal(size=(n, k)) * scale + shift


@SETTINGS
@given(x=item_matrix())
def test_complete_covariance_equals_pandas_pairwise(x):
    fast, fast_mean = consistency._cov(x, complete=True)
    general, general_mean = consistency._cov(x, complete=False)
    np.testing.assert_allclose(fast, general, rtol=1e-9, atol=1e-12 * np.abs(general).max())
    np.testing.assert_allclose(fast_mean, general_mean, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(x=item_matrix())
def test_alpha_complete_equals_pingouin_pairwise(x):
    pg = pytest.importorskip("pingouin")
    est, _ = pg.cronbach_alpha(pd.DataFrame(x))
    assert pm.cronbach_alpha(x).estimate == pytest.approx(est, abs=1e-8)
    assert pm.cronbach_alpha(x, missing="listwise").estimate == pytest.approx(est, abs=1e-8)


@pytest.mark.parametrize("value", [pytest.param(0.1, id="0.1"), pytest.param(1 / 3, id="1/3"),
                                   pytest.param(1e10 + 0.1, id="1e10+0.1")])
def test_constant_item_with_inexact_mean_is_rejected(value):
    # A column of 0.1s has a computed variance of about 1e-34, not zero.
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=(1000, 2)), np.full(1000, value)])
    with pytest.raises(ValueError, match="constant"):
        pm.cronbach_alpha(x)


def test_nearly_constant_item_is_accepted():
    x = np.array([[1.0, 2.0, 1e-150], [2.0, 3.0, 0.0], [3.0, 3.0, 0.0], [4.0, 5.0, 1e-150]])
    assert np.isfinite(pm.cronbach_alpha(x).estimate)


@pytest.mark.parametrize("level", ["ordinal", "ratio"])
@SETTINGS
@given(data=rating_matrix(missing=True))
def test_krippendorff_dense_equals_sparse(level, data):
    x = data[0]
    try:
        dense = pm.krippendorff_alpha_matrix(x, level=level)
    except ValueError:
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(krippendorff, "_DENSE_COUNTS_MAX", 0)
        sparse = pm.krippendorff_alpha_matrix(x, level=level)
    assert dense.estimate == pytest.approx(sparse.estimate, abs=1e-12)
    assert dense.observed_disagreement == pytest.approx(sparse.observed_disagreement, abs=1e-12)


@SETTINGS
@given(data=rating_matrix(missing=True))
def test_fleiss_numeric_codes_equal_categorical(data):
    long = to_long(data[0])
    cats = sorted(long["score"].unique())
    labelled = long.assign(score=long["score"].map(lambda v: f"c{v:g}"))
    results = []
    for frame, categories in ((long, None), (long, cats),
                              (labelled, [f"c{v:g}" for v in cats])):
        try:
            results.append(pm.fleiss_kappa(frame, categories=categories).estimate)
        except ValueError:
            results.append(None)
    if results[0] is None:
        assert results == [None, None, None]
    else:
        assert results[1:] == pytest.approx([results[0]] * 2, abs=1e-12)
