"""Invariances (hypothesis): rater order, target order, affine transformation of scores."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import psychometrics as pm

from .conftest import to_long

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rating_matrix(draw, missing=False):
    n = draw(st.integers(5, 15))
    k = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2 ** 31))
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(n, k)).astype(float)
    if missing:
        mask = rng.random((n, k)) < 0.2
        mask[:, :2] = False  # every target keeps two ratings
        x[mask] = np.nan
    perm_t = draw(st.permutations(range(n)))
    perm_r = draw(st.permutations(range(k)))
    return x, np.array(perm_t), np.array(perm_r)


def _values(fn, x):
    try:
        return fn(x)
    except ValueError:
        return None


STATS = {
    "icc": lambda x: [f.estimate for f in pm.icc_matrix(x).forms],
    "kripp_nominal": lambda x: [pm.krippendorff_alpha_matrix(x, level="nominal").estimate],
    "kripp_ordinal": lambda x: [pm.krippendorff_alpha_matrix(x, level="ordinal").estimate],
    "kripp_interval": lambda x: [pm.krippendorff_alpha_matrix(x, level="interval").estimate],
    "fleiss": lambda x: [pm.fleiss_kappa(to_long(x)).estimate],
    "gwet_ac1": lambda x: [pm.gwet_ac1(to_long(x)).estimate],
}


@pytest.mark.parametrize("name", list(STATS))
@SETTINGS
@given(data=rating_matrix(missing=True))
def test_rater_and_target_order_invariance(name, data):
    x, perm_t, perm_r = data
    base = _values(STATS[name], x)
    permuted = _values(STATS[name], x[perm_t][:, perm_r])
    if base is None:
        assert permuted is None
    else:
        assert permuted == pytest.approx(base, abs=1e-9)


@SETTINGS
@given(data=rating_matrix(missing=True), scale=st.floats(0.1, 100), shift=st.floats(-50, 50))
def test_affine_invariance_interval_scores(data, scale, shift):
    x = data[0]
    for fn in (STATS["icc"], STATS["kripp_interval"]):
        base = _values(fn, x)
        if base is not None:
            assert _values(fn, x * scale + shift) == pytest.approx(base, abs=1e-7)


@SETTINGS
@given(data=rating_matrix(), scale=st.floats(0.1, 100), shift=st.floats(-50, 50))
def test_affine_invariance_alpha_and_correlations(data, scale, shift):
    x = data[0]
    try:
        base = pm.cronbach_alpha(x).estimate
    except ValueError:
        return
    assert pm.cronbach_alpha(x * scale + shift).estimate == pytest.approx(base, abs=1e-9)
    if np.ptp(x[:, 0]) > 0 and np.ptp(x[:, 1]) > 0:
        r = pm.pearson_r(x[:, 0], x[:, 1]).estimate
        assert pm.pearson_r(x[:, 0] * scale + shift, x[:, 1]).estimate == pytest.approx(
            r, abs=1e-9)
