"""Internal consistency: Cronbach's alpha with Feldt interval, item-total statistics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._base import ResultMixin, as_float_matrix, check_conf, check_level

Missing = Literal["pairwise", "listwise"]


@dataclass(frozen=True, slots=True)
class AlphaResult(ResultMixin):
    """Cronbach's alpha with its Feldt (1965) confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_items: int
    standardized: float
    missing: str
    method: str


def _prepare(wide, missing: Missing,
             min_items: int = 2) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Validated observations x items array, the item names and the item covariance matrix."""
    check_level(missing, ("pairwise", "listwise"), "missing")
    x, names = as_float_matrix(wide, what="Item scores")
    nan = np.isnan(x)
    complete = not nan.any()
    if not complete:
        # Boolean indexing copies the whole array, so complete data (the usual case) skips it.
        x = x[~(nan.any(axis=1) if missing == "listwise" else nan.all(axis=1))]
        complete = missing == "listwise"
    if x.shape[1] < min_items:
        raise ValueError(f"At least {min_items} items are needed, got {x.shape[1]}.")
    if x.shape[0] < 3:
        raise ValueError(f"At least three observations are needed, got {x.shape[0]}.")
    c, mean = _cov(x, complete)
    const = _constant_items(x, np.diag(c), mean)
    if const:
        raise ValueError(f"Item(s) {[names[i] for i in const]} are constant (or have fewer "
                         "than two answers); remove them before computing reliability.")
    return x, names, c


def _cov(x: np.ndarray, complete: bool) -> tuple[np.ndarray, np.ndarray]:
    """Item covariance matrix (pairwise-complete if values are missing) and item means."""
    n = x.shape[0]
    if complete:
        # Same as np.cov(x, rowvar=False), without its copy of x; the means come from a
        # matrix-vector product because a column reduction of a row-major array is slow.
        mean = (np.ones(n) @ x) / n
        d = x - mean
        return (d.T @ d) / (n - 1), mean
    count = n - np.isnan(x).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=0) / count
    return pd.DataFrame(x).cov().to_numpy(), mean


def _constant_items(x: np.ndarray, var: np.ndarray, mean: np.ndarray) -> list[int]:
    """Columns of x with fewer than two answers or a single distinct value."""
    # A constant item's computed variance need not be exactly zero (its mean is rounded to
    # within n * eps), so the variance only screens; the few items it cannot clear are
    # compared value by value.
    tol = 4.0 * (x.shape[0] * np.finfo(float).eps * mean) ** 2
    const = []
    for j in np.nonzero(~(var > tol))[0]:
        col = x[:, j]
        col = col[~np.isnan(col)]
        if col.size < 2 or (col == col[0]).all():
            const.append(int(j))
    return const


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def cronbach_alpha(wide, *, missing: Missing = "pairwise",
                   confidence: float = 0.95) -> AlphaResult:
    r"""Cronbach's alpha for an observations x items matrix.

    .. math:: \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i \sigma^2_i}{\sigma^2_X}\right)

    from the item covariance matrix (pairwise-complete covariances by default, as
    ``psych::alpha`` and ``pingouin.cronbach_alpha``; ``missing="listwise"`` drops incomplete
    rows first). The interval is Feldt's (1965) F-based one:
    :math:`1 - (1-\hat\alpha) F_{1-a/2}` to :math:`1 - (1-\hat\alpha) F_{a/2}` with
    (n-1, (n-1)(k-1)) degrees of freedom, n the number of rows actually used (after listwise
    deletion). The standardised alpha uses the correlation matrix instead.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika, 30(3), 357-370.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]])
    >>> round(cronbach_alpha(x).estimate, 6)  # psych::alpha(x)$total$raw_alpha
    0.933333
    """
    check_conf(confidence)
    x, _, c = _prepare(wide, missing)
    n, k = x.shape
    alpha = float(_alpha_from_cov(c))
    d = np.sqrt(np.diag(c))
    std_alpha = float(_alpha_from_cov(c / np.outer(d, d)))
    a = 1 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lo, hi = 1 - (1 - alpha) * stats.f.ppf([1 - a / 2, a / 2], df1, df2)
    return AlphaResult(estimate=alpha, ci_low=float(lo), ci_high=float(hi), n=int(n),
                       n_items=int(k), standardized=std_alpha, missing=missing,
                       method=f"Cronbach (1951), {missing} covariances; Feldt (1965) interval")


def item_statistics(wide, *, missing: Missing = "pairwise",
                    with_omega: bool = True) -> pd.DataFrame:
    r"""Corrected item-total correlation and alpha (and omega total) if the item is dropped.

    ``r_drop`` is the correlation of the item with the sum of the other items (``psych::alpha``
    ``r.drop``), computed from the covariance matrix:
    :math:`r = (\mathbf{1}'C_{i,-i}) / \sqrt{C_{ii}\,\mathbf{1}'C_{-i,-i}\mathbf{1}}`.
    ``alpha_if_dropped`` is alpha of the remaining items (``psych::alpha`` ``alpha.drop``);
    ``omega_if_dropped`` is the one-factor omega total of the remaining items.

    References
    ----------
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research.
    """
    _, names, c = _prepare(wide, missing, min_items=3)
    k = c.shape[0]
    rows = []
    for i in range(k):
        rest = np.delete(np.arange(k), i)
        cr = c[np.ix_(rest, rest)]
        r_drop = c[i, rest].sum() / np.sqrt(c[i, i] * cr.sum())
        row = {"item": names[i], "r_drop": float(r_drop),
               "alpha_if_dropped": float(_alpha_from_cov(cr))}
        if with_omega:
            from .omega import _omega_total_from_cov
            row["omega_if_dropped"] = _omega_total_from_cov(cr)[0] if len(rest) >= 3 \
                else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("item")
