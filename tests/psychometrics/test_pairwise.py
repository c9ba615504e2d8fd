"""All rater pairs in one pass (psychometrics/pairwise.py) equal the two-rater functions, pair by
pair, to 1e-12, errors included; and the shared bootstrap resamples give the intervals separate
calls give."""

import contextlib

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.bootstrap import _patterns, _sums_from_counts, shared_resamples
from psychometrics.calibration import expected_calibration_error
from psychometrics.pairwise import cohen_kappa_pairs, icc2_pairs

CATEGORIES = [1, 2, 3, 4, 5]


def _as_dict(result) -> dict:
    return {"error": str(result)} if isinstance(result, Exception) else result.to_dict()


def _same(got: dict, want: dict):
    assert list(got) == list(want)
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key  # F: relative
        else:
            assert got[key] == value, key


def _ratings(seed: int, n: int, k: int, missing: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(3 + rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.8, (n, k))), 1, 5)
    x[rng.random((n, k)) < missing] = np.nan
    return x


def _designs():
    for seed in range(12):
        yield pytest.param(_ratings(seed, 5 + 13 * seed, 2 + seed % 4, 0.04 * seed), id=f"random-{seed}")
    x = _ratings(99, 30, 5, 0.1)
    x[:, 1] = x[:, 0]  # two raters who always agree
    x[:, 2] = 3.0  # a rater who gives one category (kappa undefined with a one-category partner)
    x[0, 3] = 7.0  # a value outside the categories
    x[2:, 4] = np.nan  # a rater sharing two targets, then one
    x[1, 4] = np.nan
    yield pytest.param(x, id="degenerate")


def _all_pairs(k: int):
    return [i for i in range(k) for _ in range(i + 1, k)], [j for i in range(k) for j in range(i + 1, k)]


@pytest.mark.parametrize("x", list(_designs()))
@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
def test_kappa_of_every_pair_equals_cohen_kappa_of_the_pair(x, weights):
    a, b = _all_pairs(x.shape[1])
    for i, j, got in zip(a, b, cohen_kappa_pairs(x, a, b, categories=CATEGORIES, weights=weights)):
        try:
            want = pm.cohen_kappa(pd.Series(x[:, i]), pd.Series(x[:, j]), categories=CATEGORIES, weights=weights)
        except ValueError as error:
            want = error
        _same(_as_dict(got), _as_dict(want))


@pytest.mark.parametrize("x", list(_designs()))
def test_icc2_of_every_pair_equals_icc_matrix_of_the_pair(x):
    a, b = _all_pairs(x.shape[1])
    for i, j, got in zip(a, b, icc2_pairs(x, a, b)):
        both = ~(np.isnan(x[:, i]) | np.isnan(x[:, j]))
        try:
            want = pm.icc_matrix(x[both][:, [i, j]])["ICC2"]
        except ValueError as error:
            want = error
        _same(_as_dict(got), _as_dict(want))


def test_degenerate_pairs_carry_the_two_rater_functions_errors():
    x = next(p.values[0] for p in _designs() if p.id == "degenerate")
    kappas = cohen_kappa_pairs(x, [0, 0, 0], [2, 3, 4], categories=CATEGORIES)
    assert "not among the categories" in str(kappas[1])
    assert "at least two targets" in str(kappas[2])
    iccs = icc2_pairs(x, [0, 0], [1, 4])
    assert isinstance(iccs[1], ValueError) and "at least two targets" in str(iccs[1])


def test_icc2_pair_against_pingouin():
    # pingouin.intraclass_corr(...) on Shrout & Fleiss (1979) raters 1 and 4: ICC(A,1) 0.647887,
    # F 5.380952 (df 5, 5), p 0.044226, CI95 [-0.06, 0.94]
    sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    form = icc2_pairs(sf, [0], [3])[0]
    assert form.estimate == pytest.approx(0.647887, abs=1e-6)
    assert form.F == pytest.approx(5.380952, abs=1e-6) and form.pvalue == pytest.approx(0.044226, abs=1e-6)
    assert round(form.ci_low, 2) == -0.06 and round(form.ci_high, 2) == 0.94


def _units(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.clip(np.rint(3 + rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.9, (n, 4))), 1, 5)
    x[rng.random(x.shape) < 0.1] = np.nan
    return x


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_shared_resamples_give_the_intervals_of_separate_calls(level):
    measures = [_units(seed, 3_000) for seed in range(3)] + [_units(7, 3_000) + 0.25]  # all 3,000 units
    if level == "interval":  # continuous scores: every unit's features distinct
        measures.append(_units(8, 3_000) + np.random.default_rng(8).random((3_000, 4)))
    alone = [pm.krippendorff_alpha_matrix(x, level=level, n_boot=200, seed=3) for x in measures]
    with shared_resamples():
        shared = [pm.krippendorff_alpha_matrix(x, level=level, n_boot=200, seed=3) for x in measures]
    for a, s in zip(alone, shared):
        assert (s.ci_low, s.ci_high) == (pytest.approx(a.ci_low, abs=1e-12), pytest.approx(a.ci_high, abs=1e-12))
        assert a.ci_low < a.estimate < a.ci_high


def test_shared_resamples_leave_other_seeds_and_sizes_alone():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(5), size=2_000)
    observed = rng.integers(1, 6, size=2_000)
    alone = [expected_calibration_error(probs[:n], observed[:n], scale=CATEGORIES, n_boot=100, seed=s)
             for n, s in ((2_000, 0), (1_500, 0), (2_000, 1))]
    with shared_resamples():
        shared = [expected_calibration_error(probs[:n], observed[:n], scale=CATEGORIES, n_boot=100, seed=s)
                  for n, s in ((2_000, 0), (1_500, 0), (2_000, 1))]
    assert len({(r.ci_low, r.ci_high) for r in alone}) == 3
    for a, s in zip(alone, shared):
        assert s.ci_low == pytest.approx(a.ci_low, abs=1e-12) and s.ci_high == pytest.approx(a.ci_high, abs=1e-12)


def test_feature_rows_are_grouped_by_their_bits():
    # Coincidence features are multiples of 1/4 (few mantissa bits: a plain multiplicative hash
    # of their words collides); rows one ulp apart are different rows and stay apart.
    rng = np.random.default_rng(2)
    base = rng.integers(0, 8, size=(40, 25)) / 4.0
    base[1] = np.nextafter(base[0], np.inf)
    feats = base[rng.integers(0, 40, size=5_000)]
    rows, order, bounds = _patterns(feats)
    assert len(rows) == len(np.unique(feats, axis=0))
    assert np.array_equal(np.repeat(rows, np.diff(bounds), axis=0), feats[order])
    counts = rng.integers(0, 4, size=(5_000, 30)).astype(np.uint8)
    assert np.allclose(_sums_from_counts(counts, feats), counts.T.astype(float) @ feats, rtol=1e-14, atol=0)


def test_resampling_counts_are_the_same_counted_replicate_by_replicate(monkeypatch):
    import psychometrics.bootstrap as bootstrap

    together = bootstrap._weights(np.random.default_rng(4), 7, 3_000)
    monkeypatch.setattr(bootstrap, "_ROW_BY_ROW_UNITS", 1)
    by_row = bootstrap._weights(np.random.default_rng(4), 7, 3_000)
    assert together.dtype == by_row.dtype == np.uint8
    assert np.array_equal(together, by_row) and (by_row.sum(axis=1) == 3_000).all()
    # the draws are those of rng.integers' default int64 output (the report's intervals unchanged)
    drawn = np.random.default_rng(4).integers(0, 3_000, size=(7, 3_000))
    assert np.array_equal(by_row, [np.bincount(row, minlength=3_000) for row in drawn])


@pytest.mark.parametrize("cats", [[1, 2, 3, 4, 5], [5, 3, 1], [0.5, -0.0, 2], [7], [-3, 0, 1]])
def test_category_codes_are_the_index_positions(cats):
    from psychometrics.pairwise import _category_codes

    cats = np.asarray(cats, dtype=float)
    x = np.random.default_rng(1).choice(np.r_[cats, 0.0, 9, np.nan, -1, 2.5], size=(500, 4))
    x[::37, 1], x[::41, 2], x[::43, 3] = np.inf, -np.inf, 1e300  # outside any whole-number table
    assert np.array_equal(_category_codes(x, cats), pd.Index(cats).get_indexer(x.ravel()).reshape(x.shape))


@pytest.mark.parametrize("method", ["percentile", "bca"])
@pytest.mark.parametrize("shared", [False, True])
def test_features_given_once_per_distinct_row_bootstrap_as_the_units_rows(method, shared):
    from psychometrics.bootstrap import additive_bootstrap

    rng = np.random.default_rng(6)
    distinct = rng.integers(1, 9, size=(30, 3)) / 4.0
    unit_rows = rng.integers(0, 30, size=2_000)
    clusters = unit_rows % 97

    def ratio(s):
        return s[:, 0] / (s[:, 1] + s[:, 2])

    for by_cluster in (None, clusters):
        with shared_resamples() if shared else contextlib.nullcontext():
            given = additive_bootstrap(distinct, ratio, n_boot=300, seed=2, method=method, clusters=by_cluster,
                                       unit_rows=unit_rows)
        expanded = additive_bootstrap(distinct[unit_rows], ratio, n_boot=300, seed=2, method=method,
                                      clusters=by_cluster)
        assert given == (pytest.approx(expanded[0], abs=1e-12), pytest.approx(expanded[1], abs=1e-12))
