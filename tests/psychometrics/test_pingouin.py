"""Agreement with pingouin to 1e-8 where it computes the same statistic.

pingouin rounds its confidence intervals (ICC to 2 decimals, alpha to 3), so intervals are
compared at that rounding only.
"""
import numpy as np
import pandas as pd
import pingouin as pg
import pytest

import psychometrics as pm

from .conftest import to_long


@pytest.fixture(scope="module")
def ratings():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 1)) + rng.normal(0, 0.3, (1, 4)) + rng.normal(0, 0.8, (60, 4))
    return x


def test_icc_equals_pingouin(ratings):
    long = to_long(ratings)
    theirs = pg.intraclass_corr(long, targets="target", raters="rater", ratings="score")
    ours = pm.icc(long).table()
    for row, name in zip(theirs.itertuples(), pm.ICC_NAMES):
        assert ours.loc[name, "estimate"] == pytest.approx(row.ICC, abs=1e-8)
        assert ours.loc[name, "F"] == pytest.approx(row.F, abs=1e-8)
        assert ours.loc[name, "pvalue"] == pytest.approx(row.pval, abs=1e-8)
        assert round(ours.loc[name, "ci_low"], 2) == pytest.approx(row.CI95[0], abs=1e-9)
        assert round(ours.loc[name, "ci_high"], 2) == pytest.approx(row.CI95[1], abs=1e-9)


def test_alpha_equals_pingouin(ratings):
    df = pd.DataFrame(ratings)
    est, ci = pg.cronbach_alpha(df)
    ours = pm.cronbach_alpha(df)
    assert ours.estimate == pytest.approx(est, abs=1e-8)
    assert (round(ours.ci_low, 3), round(ours.ci_high, 3)) == pytest.approx(tuple(ci), abs=1e-9)


def test_alpha_pairwise_missing_equals_pingouin(ratings):
    df = pd.DataFrame(ratings.copy())
    df.iloc[::7, 1] = np.nan
    est, _ = pg.cronbach_alpha(df, nan_policy="pairwise")
    assert pm.cronbach_alpha(df).estimate == pytest.approx(est, abs=1e-8)


def test_alpha_listwise_uses_rows_after_deletion(ratings):
    # pingouin's listwise CI uses the row count before deletion; ours uses the rows kept.
    df = pd.DataFrame(ratings.copy())
    df.iloc[::5, 0] = np.nan
    est, _ = pg.cronbach_alpha(df, nan_policy="listwise")
    ours = pm.cronbach_alpha(df, missing="listwise")
    assert ours.estimate == pytest.approx(est, abs=1e-8)
    assert ours.n == 48


@pytest.mark.parametrize("method,fn", [("pearson", pm.pearson_r), ("spearman", pm.spearman_rho),
                                       ("kendall", pm.kendall_tau)])
def test_correlations_equal_pingouin(ratings, method, fn):
    theirs = pg.corr(ratings[:, 0], ratings[:, 1], method=method)
    ours = fn(ratings[:, 0], ratings[:, 1])
    assert ours.estimate == pytest.approx(theirs["r"].iloc[0], abs=1e-8)
    assert ours.pvalue == pytest.approx(theirs["p_val"].iloc[0] if "p_val" in theirs
                                        else theirs["p-val"].iloc[0], abs=1e-8)


def test_cohen_kappa_equals_sklearn_style_formula():
    # pingouin has no Cohen's kappa; check against the closed form on a 2x2 table
    # (Cohen 1960): po = .7, pe = .5 -> kappa = .4.
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert pm.cohen_kappa(a, b).estimate == pytest.approx(0.4, abs=1e-12)
