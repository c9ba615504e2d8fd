"""The one-way ICC for raters nested in targets, the sparse Henderson III solve, and every
interval kept inside its parameter's range (issue 14)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.icc import _rater_reduction

REFERENCE = json.loads((Path(__file__).parent / "reference" / "r_reference.json").read_text())
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

# Eight targets with 2 to 4 ratings each (raters nested in targets).
UNBALANCED_T = [1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8]
UNBALANCED_Y = [4, 5, 4, 2, 3, 5, 5, 4, 5, 1, 2, 3, 4, 3, 2, 2, 4, 3, 4, 5, 1, 1, 2]
# R 4.2.2: fit <- anova(aov(y ~ factor(t))); msb <- fit[1, "Mean Sq"]; msw <- fit[2, "Mean Sq"];
# n0 <- (N - sum(table(t)^2)/N)/(a-1); icc <- (msb - msw)/(msb + (n0-1)*msw);
# F <- msb/msw; FL <- F/qf(.975, a-1, N-a); FU <- F*qf(.975, N-a, a-1);
# limits (FL-1)/(FL+n0-1), (FU-1)/(FU+n0-1); kh <- a/sum(1/table(t)); ICC(1,k) = kh*r/(1+(kh-1)*r)
R_UNBALANCED = {"msb": 5.166149068322981, "msw": 0.383333333333333, "n0": 2.844720496894410,
                "icc": 0.814333051325437, "low": 0.520838090076738, "high": 0.955133692341773,
                "kh": 2.666666666666667, "icck": 0.921234839912467, "icck_low": 0.743498058730076,
                "icck_high": 0.982689729682083}


def test_one_way_on_balanced_data_is_shrout_fleiss_icc1_and_icc1k():
    ref = REFERENCE["icc_sf"]  # psych::ICC(sf), tests/psychometrics/reference/make_reference.R
    long = pd.DataFrame([(t, s) for t, row in enumerate(SHROUT_FLEISS) for s in row], columns=["target", "score"])
    result = pm.icc_oneway(long)
    for name in ("ICC1", "ICC1k"):
        i = ref["type"].index(name)
        form = result[name]
        assert form.estimate == pytest.approx(ref["ICC"][i], abs=1e-12)
        assert form.ci_low == pytest.approx(ref["lower"][i], abs=1e-9)
        assert form.ci_high == pytest.approx(ref["upper"][i], abs=1e-9)
        assert form.F == pytest.approx(ref["F"][i], abs=1e-9) and form.df2 == ref["df2"][i]
    assert result.balanced and "Shrout & Fleiss" in result.method


def test_one_way_unbalanced_equals_r_anova_with_searle_n0():
    result = pm.icc_oneway(pd.DataFrame({"target": UNBALANCED_T, "score": UNBALANCED_Y}))
    r = R_UNBALANCED
    assert result.mean_squares["MSB"] == pytest.approx(r["msb"], abs=1e-12)
    assert result.mean_squares["MSW"] == pytest.approx(r["msw"], abs=1e-12)
    assert result.n0 == pytest.approx(r["n0"], abs=1e-12) and result.k_harmonic == pytest.approx(r["kh"])
    one, k = result["ICC1"], result["ICC1k"]
    assert (one.estimate, one.ci_low, one.ci_high) == pytest.approx((r["icc"], r["low"], r["high"]), abs=1e-12)
    assert (k.estimate, k.ci_low, k.ci_high) == pytest.approx((r["icck"], r["icck_low"], r["icck_high"]), abs=1e-12)
    assert not result.balanced and "Searle (1971) n0" in one.method
    assert result.ratings_per_target == {"min": 2, "median": 3.0, "max": 4, "single": 0}


def test_one_way_rejects_what_it_cannot_estimate():
    with pytest.raises(ValueError, match="No target was rated more than once"):
        pm.icc_oneway(pd.DataFrame({"target": ["a", "b", "c"], "score": [1, 2, 3]}))
    with pytest.raises(ValueError, match="at least two targets"):
        pm.icc_oneway(pd.DataFrame({"target": ["a", "a"], "score": [1, 2]}))
    with pytest.raises(ValueError, match="no within-target variation"):
        pm.icc_oneway(pd.DataFrame({"target": ["a", "a", "b", "b"], "score": [1, 1, 3, 3]}))


def test_one_way_recovers_a_known_icc_with_many_raters_nested_in_targets():
    # 2,000 targets, 1 to 6 ratings each, true ICC = 0.6 (continuous scores)
    rng = np.random.default_rng(11)
    sizes = rng.integers(1, 7, 2000)
    groups = np.repeat(np.arange(2000), sizes)
    y = rng.normal(0, np.sqrt(0.6), 2000)[groups] + rng.normal(0, np.sqrt(0.4), len(groups))
    form = pm.icc_oneway(pd.DataFrame({"target": groups, "score": y}))["ICC1"]
    assert form.ci_low < 0.6 < form.ci_high and form.ci_high - form.ci_low < 0.06


def _dense_reduction(obs, m, nj, b):
    """The dense least-squares solve the sparse one replaced."""
    ind = obs.astype(float)
    a = np.diag(nj) - (ind / m[:, None]).T @ ind
    beta, *_ = np.linalg.lstsq(a, b, rcond=None)
    return float(b @ beta), int(np.linalg.matrix_rank(a))


@pytest.mark.parametrize("disconnected", [False, True], ids=["connected", "two-rater-groups"])
def test_sparse_henderson_reduction_equals_the_dense_solve(disconnected):
    rng = np.random.default_rng(4)
    n, k = 60, 8
    x = rng.normal(size=(n, 1)) + rng.normal(size=(1, k)) + rng.normal(size=(n, k))
    x[rng.random((n, k)) < 0.4] = np.nan
    if disconnected:  # raters 0-3 rate the first half only, 4-7 the second
        x[: n // 2, 4:] = np.nan
        x[n // 2:, :4] = np.nan
    x = x[(~np.isnan(x)).sum(axis=1) >= 2]
    obs = ~np.isnan(x)
    m, nj = obs.sum(axis=1).astype(float), obs.sum(axis=0).astype(float)
    means = np.where(obs, x, 0).sum(axis=1) / m
    b = np.where(obs, x - means[:, None], 0).sum(axis=0)
    fast, rank = _rater_reduction(obs, m, nj, b)
    slow, dense_rank = _dense_reduction(obs, m, nj, b)
    assert rank == dense_rank == (k - 2 if disconnected else k - 1)
    assert fast == pytest.approx(slow, rel=1e-12, abs=1e-12)


def test_kappa_interval_never_passes_one():
    # near-perfect agreement on 20 targets: the normal interval would pass 1
    a = [1, 2, 3, 4, 5] * 4
    b = [1, 2, 3, 4, 5] * 3 + [1, 2, 3, 4, 4]
    result = pm.cohen_kappa(a, b, weights="quadratic")
    assert result.estimate < 1 and result.ci_high == 1.0 and -1 <= result.ci_low
    assert "interval truncated to the range [-1, 1] (upper limit lowered to 1)" in result.method


@pytest.mark.parametrize("statistic", [pm.fleiss_kappa, pm.gwet_ac1, pm.gwet_ac2, pm.percent_agreement])
def test_multirater_intervals_stay_in_range(statistic):
    rng = np.random.default_rng(2)
    rows = []
    for t in range(12):  # three raters who nearly always agree
        truth = int(rng.integers(1, 6))
        for r in range(3):
            rows.append((t, r, truth if rng.random() > 0.03 else max(1, truth - 1)))
    result = statistic(pd.DataFrame(rows, columns=["target", "rater", "score"]))
    low = 0.0 if statistic is pm.percent_agreement else -1.0
    assert low <= result.ci_low <= result.estimate <= result.ci_high <= 1.0


def test_mean_absolute_error_interval_is_not_negative():
    result = pm.mean_absolute_error([1, 2, 3, 4], [1, 2, 3, 7])  # errors 0, 0, 0, 3: t interval below 0
    assert result.ci_low == 0.0 and "lower limit raised to 0" in result.method
    assert result.estimate == 0.75


def test_disattenuated_r_beyond_one_says_why_and_its_interval_stays_in_range():
    x = [1, 2, 3, 4, 5, 6, 7, 8]
    y = [1.2, 1.9, 3.1, 4.2, 4.8, 6.1, 7.2, 7.9]
    result = pm.disattenuated_r(x, y, reliability_x=0.6, reliability_y=1.0)
    assert result.estimate > 1 and result.ci_high <= 1.0
    assert "beyond the bound of a correlation" in result.out_of_range and "underestimated" in result.out_of_range
    fine = pm.disattenuated_r(x, [2, 1, 4, 3, 6, 5, 8, 7], reliability_x=0.95, reliability_y=1.0)
    assert fine.out_of_range == "" and -1 <= fine.ci_low


def test_brier_interval_inside_zero_two():
    probs = [[0.98, 0.01, 0.01], [0.97, 0.02, 0.01], [0.01, 0.01, 0.98]]
    result = pm.brier_score(probs, [1, 1, 3], scale=[1, 2, 3])
    assert 0.0 <= result.ci_low <= result.estimate <= result.ci_high <= 2.0
