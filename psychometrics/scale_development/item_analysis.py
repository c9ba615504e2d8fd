"""Item analysis of an item pool: distribution, item-total correlation, loading, validity."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .._base import as_float_matrix
from ..factor import minres_one_factor
from ._matrix import as_criteria, corr_with, covariance, to_correlation

Bounds = Mapping[str, tuple[float, float]]


def corrected_item_total(c: np.ndarray) -> np.ndarray:
    r"""Correlation of each item with the sum of the other items, from the covariance matrix C:

    .. math:: r_{i,-i} = \frac{C_{i\cdot}\mathbf{1} - C_{ii}}
              {\sqrt{C_{ii}\,(\mathbf{1}'C\mathbf{1} - 2C_{i\cdot}\mathbf{1} + C_{ii})}}

    (``psych::alpha`` ``r.drop``), for all items at once.

    Parameters
    ----------
    c : ndarray
        Item covariance matrix.

    Returns
    -------
    ndarray
        One corrected item-total correlation per item.

    References
    ----------
    Revelle, W. (2022). psych (R package 2.2.9), ``alpha``: ``item.stats$r.drop``.

    Examples
    --------
    The same numbers as `psychometrics.item_statistics`'s ``r_drop``:

    >>> import numpy as np
    >>> x = np.array([[1, 2, 2, 1], [2, 3, 3, 2], [3, 3, 4, 4], [4, 5, 4, 3], [5, 4, 5, 5]])
    >>> np.round(corrected_item_total(np.cov(x, rowvar=False)), 6)
    array([0.98387 , 0.717195, 0.981883, 0.860663])
    """
    row = c.sum(axis=1)
    diag = np.diag(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (row - diag) / np.sqrt(diag * (c.sum() - 2 * row + diag))


def one_factor_loadings(r: np.ndarray) -> np.ndarray:
    """Loadings of a one-factor minimum-residual model of the correlation matrix ``r``,
    oriented so that they sum to a positive number (``psych::fa(r, 1, fm = "minres")``).

    Parameters
    ----------
    r : ndarray
        Correlation matrix.

    Returns
    -------
    ndarray
        One loading per item (`psychometrics.factor.minres_one_factor`).

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31(3), 351-368.

    Examples
    --------
    >>> import numpy as np
    >>> from psychometrics.factor import _doctest_bfi_correlations
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> np.round(one_factor_loadings(r), 4)  # psych::fa(N, 1)
    array([0.792 , 0.7635, 0.7631, 0.5976, 0.5297])
    """
    return minres_one_factor(r)


def item_analysis(items, criteria=None, *, bounds: Bounds | None = None, answers=None) -> pd.DataFrame:
    r"""Per-item statistics for screening an item pool (one row per item).

    Columns:

    - ``n`` answered targets and ``missing_share`` (unanswered or failed: NaN cells);
    - ``mean``, ``sd`` (n - 1), ``skew``: the adjusted Fisher-Pearson coefficient
      :math:`G_1 = \frac{\sqrt{n(n-1)}}{n-2} g_1` (SAS, SPSS, ``e1071::skewness(type = 2)``);
    - ``floor_share`` and ``ceiling_share``: the share of answers at the scale's minimum and
      maximum (``bounds`` maps item -> (min, max); without it the observed extremes are used,
      which always gives a share above zero and is stated as such by the caller). ``answers``
      (same shape as ``items``) gives the answers to count instead: an LLM's modes when
      ``items`` holds its expected scores, which never sit exactly on a scale point;
    - ``r_drop``: corrected item-total correlation (``psych::alpha`` ``r.drop``), pairwise
      covariances when cells are missing;
    - ``loading``: the item's loading on one minimum-residual factor of the item correlations
      (``psych::fa(nfactors = 1, fm = "minres")``), oriented so that loadings sum positive;
    - ``r:NAME``: Pearson r of the item with each criterion (pairwise complete).

    Items are analysed as given: reverse-keyed items should be keyed first (or their negative
    loading shows them). Constant items get NaN correlations and loadings.

    Parameters
    ----------
    items : DataFrame
        Targets x items, NaN for missing or failed answers.
    criteria : DataFrame, optional
        One column per criterion, rows aligned with ``items``.
    bounds : mapping of item to (min, max), optional
        The scale's range per item, for the floor and ceiling shares.
    answers : DataFrame, optional
        The answers to count for floor/ceiling (same shape as ``items``).

    Returns
    -------
    DataFrame
        One row per item with the columns above.

    References
    ----------
    Clark, L. A., & Watson, D. (1995). Constructing validity: Basic issues in objective scale
    development. Psychological Assessment, 7(3), 309-319.
    Joanes, D. N., & Gill, C. A. (1998). Comparing measures of sample skewness and kurtosis.
    The Statistician, 47(1), 183-189.
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research.

    Examples
    --------
    On psychTools' ``bfi`` N1-N5 (complete cases) ``r_drop`` equals ``psych::alpha``'s ``r.drop``
    and ``loading`` ``psych::fa(nfactors = 1)``'s loadings; the test suite checks this.

    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> table = item_analysis(x, bounds={c: (1, 5) for c in "abc"})
    >>> round(float(table.loc["a", "floor_share"]), 2), bool((table["loading"] > 0.8).all())
    (0.2, True)
    """
    x, names = as_float_matrix(items, what="Item scores")
    if x.shape[1] < 3:
        raise ValueError(f"An item analysis needs at least three items, got {x.shape[1]}.")
    y, criterion_names = as_criteria(criteria, x.shape[0])
    answered = ~np.isnan(x)
    n = answered.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "n": n,
            "missing_share": 1 - n / x.shape[0],
            "mean": np.nanmean(x, axis=0) if x.size else np.nan,
            "sd": np.nanstd(x, axis=0, ddof=1),
            "skew": stats.skew(x, axis=0, bias=False, nan_policy="omit"),
        }, index=pd.Index(names, name="item"))
    table["skew"] = np.asarray(table["skew"], dtype=float)
    low, high = _bounds(x, names, bounds)
    shown = x if answers is None else _same_shape(answers, x)
    table["floor_share"] = (shown == low).sum(axis=0) / np.maximum(n, 1)
    table["ceiling_share"] = (shown == high).sum(axis=0) / np.maximum(n, 1)
    c = covariance(x)
    usable = np.isfinite(np.diag(c)) & (np.diag(c) > 0)
    table["r_drop"] = np.nan
    table["loading"] = np.nan
    if usable.sum() >= 3:
        cu = c[np.ix_(usable, usable)]
        table.loc[usable, "r_drop"] = corrected_item_total(cu)
        table.loc[usable, "loading"] = one_factor_loadings(to_correlation(cu))
    for j, name in enumerate(criterion_names):
        table[f"r:{name}"] = corr_with(x, y[:, j])
    return table


def _bounds(x: np.ndarray, names: list[str], bounds: Bounds | None) -> tuple[np.ndarray, np.ndarray]:
    if bounds is None:
        with np.errstate(invalid="ignore"):
            return np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    missing = [name for name in names if name not in bounds]
    if missing:
        raise ValueError(f"bounds give no (min, max) for item(s) {missing}.")
    return (np.array([bounds[name][0] for name in names], dtype=float),
            np.array([bounds[name][1] for name in names], dtype=float))


def _same_shape(answers, x: np.ndarray) -> np.ndarray:
    a, _ = as_float_matrix(answers, what="Answers")
    if a.shape != x.shape:
        raise ValueError(f"answers have shape {a.shape} but the item scores {x.shape}.")
    return a
