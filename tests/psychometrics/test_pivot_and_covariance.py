"""The fast pivot codes and the pairwise covariances against pandas and exact arithmetic."""
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from psychometrics import consistency
from psychometrics._base import factorize_sorted

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(values=st.one_of(
    st.lists(st.integers(-5, 40), min_size=1, max_size=200),
    st.lists(st.integers(-2 ** 62, 2 ** 62), min_size=1, max_size=50),  # too wide: a sort
    st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.5, -0.5]), min_size=1, max_size=200),
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=100),
    st.lists(st.sampled_from(["b", "a", "c"]), min_size=1, max_size=50)))
def test_factorize_sorted_equals_pandas(values):
    array = np.asarray(values)
    codes, uniques = factorize_sorted(array)
    ref_codes, ref_uniques = pd.factorize(array, sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_array_equal(uniques, np.asarray(ref_uniques))


def _exact_pairwise_cov(x: np.ndarray) -> np.ndarray:
    k = x.shape[1]
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(k):
            pairs = [(Fraction(a), Fraction(b)) for a, b in zip(x[:, i], x[:, j])
                     if not (np.isnan(a) or np.isnan(b))]
            if len(pairs) < 2:
                continue
            mean_a = sum(a for a, _ in pairs) / len(pairs)
            mean_b = sum(b for _, b in pairs) / len(pairs)
            out[i, j] = float(sum((a - mean_a) * (b - mean_b) for a, b in pairs)
                              / (len(pairs) - 1))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_pairwise_covariance_equals_pandas_and_exact(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 5)) @ rng.normal(size=(5, 5))
    x[rng.random(x.shape) < 0.25] = np.nan
    x[:3, 0] = np.nan  # a column with fewer answers
    cov, mean = consistency._cov(x, complete=False)
    np.testing.assert_allclose(cov, pd.DataFrame(x).cov().to_numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mean, np.nanmean(x, axis=0), rtol=1e-12)
    # Far from zero and barely varying, where a one-pass formula would lose every digit.
    shifted = x * 1e-3 + 1e4
    exact = _exact_pairwise_cov(shifted)
    cov, _ = consistency._cov(shifted, complete=False)
    np.testing.assert_allclose(cov, exact, rtol=1e-9, atol=0)


def test_pairwise_covariance_of_pairs_never_answered_together_is_missing():
    x = np.array([[1.0, np.nan, 2.0], [2.0, np.nan, 1.0], [np.nan, 3.0, 0.5],
                  [np.nan, 5.0, 4.0], [3.0, np.nan, 2.5]])
    cov, _ = consistency._cov(x, complete=False)
    ref = pd.DataFrame(x).cov().to_numpy()
    assert np.isnan(cov[0, 1]) and np.isnan(ref[0, 1])
    np.testing.assert_allclose(cov, ref, rtol=1e-12, equal_nan=True)
