"""Pair statistics for many rater pairs at once, from one targets x raters matrix.

A report compares every pair of raters who share targets: Cohen's kappa per item and ICC(A,1)
per measure. Done pair by pair, each comparison aligns two raters' scores and tabulates them
again; here the matrix is read once and every pair's contingency table (or two-way ANOVA sums)
comes from one vectorised pass. Each pair's figure is the one the two-rater function gives on
the targets both raters rated (`cohen_kappa`, `icc_matrix`'s ICC2): the same contingency
table, the same mean squares and the same interval formulas. A pair the two-rater function
refuses (too few shared targets, a value outside the categories, no variance) is passed to it,
so it raises the same error.
"""
from __future__ import annotations

from functools import cache
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._base import check_conf
from .icc import ICCForm, icc_matrix
from .kappa import KappaResult, Weights, cohen_kappa, kappa_from_table


def _pair_indices(x: np.ndarray, a: Sequence[int], b: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError("Ratings must be a two-dimensional targets x raters array.")
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("The pairs must be two equally long sequences of rater columns.")
    return x, a, b


def contingency_tables(x: np.ndarray, a: Sequence[int], b: Sequence[int],
                       categories: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's q x q table of counts on the targets both raters rated.

    Parameters
    ----------
    x : 2-D array
        Targets x raters scores, NaN where missing.
    a, b : sequences of int
        The columns of the pairs' first and second raters.
    categories : sequence of numbers
        The ordered categories; table rows and columns follow this order.

    Returns
    -------
    tables : array (n_pairs, q, q)
        Counts, rows rater ``a``'s categories, columns rater ``b``'s.
    foreign : array of bool (n_pairs,)
        True for a pair whose shared targets hold a value outside ``categories`` (its table
        is incomplete; `cohen_kappa` refuses such a pair).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 1, 2], [2, 2, np.nan], [3, 2, 3]])
    >>> tables, foreign = contingency_tables(x, [0, 0], [1, 2], [1, 2, 3])
    >>> tables[0].tolist(), int(tables[1].sum()), foreign.tolist()
    ([[1, 0, 0], [0, 1, 0], [0, 1, 0]], 2, [False, False])
    """
    x, a, b = _pair_indices(x, a, b)
    cats = np.asarray(categories, dtype=float)
    q = len(cats)
    # each rater's column coded once, not once per pair; then one rater's column per row, so
    # that a pair's pass reads two contiguous rows
    codes = np.ascontiguousarray(_category_codes(x, cats).T)
    rated, known = np.ascontiguousarray(~np.isnan(x).T), codes >= 0
    if len(a) and known[np.r_[a, b]].all():  # every target rated in the categories: one count for all pairs
        cells = codes[a] * q + codes[b] + (np.arange(len(a)) * (q * q))[:, None]
        return (np.bincount(cells.ravel(), minlength=len(a) * q * q).reshape(len(a), q, q),
                np.zeros(len(a), dtype=bool))
    tables, foreign = np.empty((len(a), q, q), dtype=np.int64), np.empty(len(a), dtype=bool)
    for pair, (ai, bi) in enumerate(zip(a, b)):
        both, coded = rated[ai] & rated[bi], known[ai] & known[bi]
        foreign[pair] = (both & ~coded).any()
        counted = both & coded
        tables[pair] = np.bincount(codes[ai][counted] * q + codes[bi][counted], minlength=q * q).reshape(q, q)
    return tables, foreign


def _category_codes(x: np.ndarray, cats: np.ndarray) -> np.ndarray:
    """Each value's position in ``cats``, -1 for a value outside them (NaN included):
    ``pd.Index(cats).get_indexer(x)``, by a binary search in the few sorted categories."""
    if len(np.unique(cats)) < len(cats) or np.isnan(cats).any():
        return pd.Index(cats).get_indexer(x.ravel()).reshape(x.shape)  # its error or its NaN rule
    if not len(cats):
        return np.full(x.shape, -1, dtype=np.int64)
    low, span = cats.min(), cats.max() - cats.min()
    if (cats == np.round(cats)).all() and span < 2 ** 16:  # whole-number points: a table look-up
        table = np.full(int(span) + 1, -1, dtype=np.int64)
        table[(cats - low).astype(np.int64)] = np.arange(len(cats))
        with np.errstate(invalid="ignore"):
            offset = x - low
            whole = (offset >= 0) & (offset <= span) & (offset == np.floor(offset))  # NaN: False
        return np.where(whole, table[np.where(whole, offset, 0).astype(np.int64)], -1)
    sorter = np.argsort(cats)
    ordered = cats[sorter]
    at = np.minimum(np.searchsorted(ordered, x), len(cats) - 1)
    return np.where(ordered[at] == x, sorter[at], -1)


def cohen_kappa_pairs(x: np.ndarray, a: Sequence[int], b: Sequence[int], *, categories: Sequence[float],
                      weights: Weights = "none",
                      confidence: float = 0.95) -> list[KappaResult | ValueError]:
    """Cohen's kappa of every pair (columns ``a[i]``, ``b[i]`` of ``x``) on the targets both
    rated: for each pair, what ``cohen_kappa(x[:, a[i]], x[:, b[i]], categories=categories,
    weights=weights)`` returns, or the ``ValueError`` it raises.

    The kappa, its Fleiss-Cohen-Everitt standard error and interval come from each pair's
    contingency table (`kappa_from_table`); the tables come from one pass over the matrix
    (`contingency_tables`).

    Parameters
    ----------
    x : 2-D array
        Targets x raters scores, NaN where missing.
    a, b : sequences of int
        The pairs' rater columns.
    categories : sequence of numbers
        The item's ordered categories (weights use their positions).
    weights : {"none", "linear", "quadratic"}
        Agreement weights.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    list
        One `KappaResult`, or the ``ValueError`` of an undefined kappa, per pair.

    References
    ----------
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
    and weighted kappa. Psychological Bulletin, 72(5), 323-327.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 1], [2, 2], [3, 3], [3, 2], [2, 2], [1, 1]], dtype=float)
    >>> round(cohen_kappa_pairs(x, [0], [1], categories=[1, 2, 3])[0].estimate, 4)  # irr::kappa2
    0.75
    """
    check_conf(confidence)
    tables, foreign = contingency_tables(x, a, b, categories)
    out: list[KappaResult | ValueError] = []
    for i, (ai, bi) in enumerate(zip(a, b)):
        try:
            if foreign[i] or tables[i].sum() < 2:  # refused: its own error sentence
                # as Series, as a report passes them (the error sentence prints the values)
                out.append(cohen_kappa(pd.Series(x[:, ai]), pd.Series(x[:, bi]), categories=list(categories),
                                       weights=weights, confidence=confidence))
            else:
                out.append(kappa_from_table(tables[i], weights=weights, confidence=confidence))
        except ValueError as error:
            out.append(error)
    return out


@cache
def _icc2_words() -> tuple[str, str]:
    """The description and method `icc_matrix` gives ICC2 of a complete design (one source for
    the words)."""
    form = icc_matrix(np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 5.0]]))["ICC2"]
    return form.description, form.method


def _pair_mean_squares(xa: np.ndarray, xb: np.ndarray) -> tuple[np.ndarray, dict]:
    """Targets both rated per pair, and the two-way ANOVA mean squares of each pair's n x 2
    matrix on them, as `icc_matrix` computes them for a complete design (deviations from the
    grand, row and column means), for all pairs at once. The sums run in another order than a
    pair's own, so a mean square can differ in its last bits (an F near perfect agreement, where
    the residual is a small difference of sums of squares, by about 1e-14 relative)."""
    both = ~(np.isnan(xa) | np.isnan(xb))
    n = both.sum(axis=0)
    va, vb = np.where(both, xa, 0.0), np.where(both, xb, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = va.sum(axis=0) / n, vb.sum(axis=0) / n
        grand = (ma + mb) / 2
        da, db = np.where(both, xa - grand, 0.0), np.where(both, xb - grand, 0.0)
        sst = (da * da).sum(axis=0) + (db * db).sum(axis=0)
        rows = (da + db) / 2
        ssr = 2 * (rows * rows).sum(axis=0)
        ssc = n * ((ma - grand) ** 2 + (mb - grand) ** 2)
        sse = np.maximum(sst - ssr - ssc, 0.0)
        ms = {"MSR": ssr / (n - 1), "MSC": ssc, "MSE": sse / (n - 1), "MSW": (sst - ssr) / n}
    return n, ms


def _complete_pair_mean_squares(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, dict]:
    r"""`_pair_mean_squares` when no rater in ``x`` misses a target, from each rater's mean and
    the cross products of the centred scores (one product of the matrix with itself).

    With :math:`c_a = x_a - \bar x_a` and :math:`S_{ab} = \sum_i c_{ai} c_{bi}`, a pair's row
    deviations from the grand mean are :math:`(c_a + c_b)/2`, so
    :math:`SSR = (S_{aa} + S_{bb} + 2 S_{ab})/2`, :math:`SSE = (S_{aa} + S_{bb})/2 - S_{ab}` and
    :math:`SSC = n((\bar x_a - \bar x)^2 + (\bar x_b - \bar x)^2)`: the same sums of squares,
    summed in another order."""
    n_targets = len(x)
    means = x.sum(axis=0) / n_targets if n_targets else np.full(x.shape[1], np.nan)
    centred = x - means
    gram = centred.T @ centred
    saa, sbb, sab = gram[a, a], gram[b, b], gram[a, b]
    n = np.full(len(a), n_targets)
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = (means[a] + means[b]) / 2
        ssc = n * ((means[a] - grand) ** 2 + (means[b] - grand) ** 2)
        residual = (saa + sbb) / 2 - sab
        ssr = (saa + sbb + 2 * sab) / 2
        ms = {"MSR": ssr / (n - 1), "MSC": ssc, "MSE": np.maximum(residual, 0.0) / (n - 1),
              "MSW": (residual + ssc) / n}
    return n, ms


def _icc2(ms: dict, n: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    """ICC2 of k = 2 raters, its F test and McGraw-Wong interval, for arrays of mean squares:
    the formulas of `icc_matrix` (Shrout & Fleiss 1979; McGraw & Wong 1996, case 2A)."""
    msr, msc, mse = ms["MSR"], ms["MSC"], ms["MSE"]
    k, q = 2.0, 1 - (1 - confidence) / 2
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    f3 = msr / mse
    p3 = stats.f.sf(f3, n - 1, n - 1)
    fj = msc / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k ** 2 * icc2 ** 2 * fj ** 2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fs_u = stats.f.ppf(q, n - 1, v)
    fs_l = stats.f.ppf(q, v, n - 1)
    denom = k * msc + (k * n - k - n) * mse
    l2 = n * (msr - fs_u * mse) / (fs_u * denom + n * msr)
    u2 = n * (fs_l * msr - mse) / (denom + n * fs_l * msr)
    return icc2, l2, u2, f3, p3


def _icc_refuses(ms: dict, n: np.ndarray) -> np.ndarray:
    """Pairs `icc_matrix` refuses (too few targets, no residual variation, a zero denominator):
    its own checks for k = 2 raters, with a margin so that rounding never decides."""
    msr, msc, mse, msw = ms["MSR"], ms["MSC"], ms["MSE"], ms["MSW"]
    scale = np.abs(msr) + np.abs(msc) + np.abs(mse) + np.abs(msw) + np.abs(msr)
    with np.errstate(invalid="ignore", divide="ignore"):
        dens = np.stack([msr, msr + msw, msr, msr + mse, msr + mse + 2 * (msc - mse) / n, msr + (msc - mse) / n])
        small = np.abs(dens).min(axis=0) <= 1e-9 * scale
    return (n < 2) | ~(mse > 1e-9 * scale) | ~(msw > 1e-9 * scale) | small | ~np.isfinite(scale)


def icc2_pairs(x: np.ndarray, a: Sequence[int], b: Sequence[int], *,
               confidence: float = 0.95) -> list[ICCForm | ValueError]:
    r"""ICC(A,1) (McGraw & Wong's absolute agreement, single rater; Shrout & Fleiss's ICC2) of
    every pair (columns ``a[i]``, ``b[i]`` of ``x``) on the targets both rated: for each pair,
    ``icc_matrix(pair)["ICC2"]`` of its n x 2 matrix, or the ``ValueError`` it raises.

    .. math:: ICC2 = \frac{MSR - MSE}{MSR + MSE + 2(MSC - MSE)/n}

    with the two-way ANOVA mean squares, F test (df n - 1 and n - 1) and McGraw-Wong interval
    of `icc_matrix`, for all pairs at once (one call of the F distribution for all pairs, where
    a pair's `icc_matrix` makes eight).

    Parameters
    ----------
    x : 2-D array
        Targets x raters scores, NaN where missing.
    a, b : sequences of int
        The pairs' rater columns.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    list
        One `ICCForm` (ICC2), or the ``ValueError`` of an undefined ICC, per pair.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Psychological Methods, 1(1), 30-46.

    Examples
    --------
    >>> import numpy as np
    >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...                [6, 2, 4, 7]], dtype=float)
    >>> res = icc2_pairs(sf, [0], [3])[0]  # pingouin.intraclass_corr, raters 1 and 4: ICC(A,1) 0.647887
    >>> round(res.estimate, 6), round(res.F, 6)
    (0.647887, 5.380952)
    """
    check_conf(confidence)
    x, a, b = _pair_indices(x, a, b)
    raters = np.unique(np.r_[a, b])
    if len(raters) and not np.isnan(x[:, raters]).any():  # every pair shares every target
        n, ms = _complete_pair_mean_squares(x[:, raters], np.searchsorted(raters, a), np.searchsorted(raters, b))
    else:
        n, ms = _pair_mean_squares(x[:, a], x[:, b])
    refused = _icc_refuses(ms, n)
    ok = ~refused
    with np.errstate(invalid="ignore", divide="ignore"):
        icc2, low, high, f, p = _icc2({k: v[ok] for k, v in ms.items()}, n[ok].astype(float), confidence)
    description, method = _icc2_words()
    computed = iter(zip(icc2, low, high, f, p, n[ok]))
    out: list[ICCForm | ValueError] = []
    for i, (ai, bi) in enumerate(zip(a, b)):
        if refused[i]:  # icc_matrix decides, and words its error
            both = ~(np.isnan(x[:, ai]) | np.isnan(x[:, bi]))
            try:
                out.append(icc_matrix(np.column_stack([x[both, ai], x[both, bi]]), confidence=confidence)["ICC2"])
            except ValueError as error:
                out.append(error)
            continue
        est, lo, hi, fi, pi, ni = next(computed)
        out.append(ICCForm(name="ICC2", estimate=float(est), ci_low=float(lo), ci_high=float(hi), n=int(ni),
                           k=2.0, F=float(fi), df1=float(ni - 1), df2=float(ni - 1), pvalue=float(pi),
                           description=description, method=method))
    return out
