"""Bland-Altman, MAE, Brier, ECE, disattenuation and the bootstrap."""
import json

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics.bootstrap import additive_bootstrap


def test_bland_altman_hand_computed():
    x = np.array([10.0, 12, 14, 16, 18])
    y = np.array([9.0, 13, 13, 15, 19])
    res = pm.bland_altman(x, y)
    d = x - y
    assert res.estimate == pytest.approx(d.mean(), abs=1e-12)
    assert res.loa_low == pytest.approx(d.mean() - 1.959963984540054 * d.std(ddof=1), abs=1e-9)
    assert res.loa_low_ci[0] < res.loa_low < res.loa_low_ci[1]


def test_mae_and_disattenuated():
    assert pm.mean_absolute_error([1, 2, 3, 4], [2, 2, 5, 4]).estimate == pytest.approx(0.75)
    r = pm.pearson_r([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
    d = pm.disattenuated_r([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5], reliability_x=0.81,
                           reliability_y=0.64)
    assert d.estimate == pytest.approx(r.estimate / 0.72, abs=1e-12)


def test_brier_and_ece():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.05, 0.05, 0.9]])
    obs = [1, 2, 1, 3]
    brier = pm.brier_score(probs, obs)
    manual = np.mean([(0.3 ** 2 + 0.04 + 0.01), (0.01 + 0.04 + 0.01), (0.49 + 0.09 + 0.16),
                      (0.0025 + 0.0025 + 0.01)])
    assert brier.estimate == pytest.approx(manual, abs=1e-12)
    ece = pm.expected_calibration_error(probs, obs, n_bins=10, n_boot=200)
    # bins: 0.7 correct, 0.8 correct, 0.4 wrong, 0.9 correct -> (0.3 + 0.2 + 0.4 + 0.1) / 4
    assert ece.estimate == pytest.approx(0.25, abs=1e-12)
    assert ece.ci_low <= ece.estimate <= ece.ci_high


def test_additive_bootstrap_mean_matches_normal_theory():
    rng = np.random.default_rng(0)
    x = rng.normal(5, 2, size=400)
    feats = np.column_stack([x, np.ones_like(x)])
    lo, hi = additive_bootstrap(feats, lambda s: s[:, 0] / s[:, 1], n_boot=4000, seed=1)
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert lo == pytest.approx(x.mean() - 1.96 * se, abs=0.05)
    assert hi == pytest.approx(x.mean() + 1.96 * se, abs=0.05)
    blo, bhi = additive_bootstrap(feats, lambda s: s[:, 0] / s[:, 1], n_boot=4000, seed=1,
                                  method="bca")
    assert blo == pytest.approx(lo, abs=0.05) and bhi == pytest.approx(hi, abs=0.05)


def test_bootstrap_is_seeded_and_bca_corrects_skew():
    x = np.random.default_rng(2).exponential(size=60)
    a = pm.bootstrap_ci(x, np.mean, n_boot=800, seed=5)
    b = pm.bootstrap_ci(x, np.mean, n_boot=800, seed=5)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    p = pm.bootstrap_ci(x, np.mean, n_boot=800, seed=5, method="percentile")
    assert a.ci_high - a.estimate > a.estimate - a.ci_low  # right skew kept
    assert a.ci_high >= p.ci_high - 0.05


def test_cluster_bootstrap_is_wider_for_clustered_data():
    rng = np.random.default_rng(4)
    patients = np.repeat(np.arange(30), 10)
    values = rng.normal(size=30)[patients] + rng.normal(0, 0.2, size=300)
    naive = pm.bootstrap_ci(values, np.mean, n_boot=500, method="percentile")
    clustered = pm.bootstrap_ci(values, np.mean, n_boot=500, method="percentile",
                                clusters=patients)
    assert clustered.n == 30 and "clusters" in clustered.method
    assert clustered.ci_high - clustered.ci_low > 2 * (naive.ci_high - naive.ci_low)


def test_results_serialise_to_json():
    res = pm.icc(pd.DataFrame({"target": [1, 1, 2, 2, 3, 3], "rater": [1, 2] * 3,
                               "score": [1, 2, 3, 3, 5, 6]}))
    text = json.dumps(res.to_dict(), allow_nan=False)
    assert json.loads(text)["forms"][0]["name"] == "ICC1"
    k = pm.krippendorff_alpha(pd.DataFrame({"target": [1, 1, 2, 2, 3, 3], "rater": [1, 2] * 3,
                                            "score": [1, 2, 3, 3, 5, 6]}))
    assert json.loads(json.dumps(k.to_dict(), allow_nan=False))["ci_low"] is None
