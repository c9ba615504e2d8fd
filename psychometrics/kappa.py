"""Cohen's kappa for two raters: unweighted, linear and quadratic weights."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import special

from ._base import ResultMixin, check_conf, check_level, truncate

Weights = Literal["none", "linear", "quadratic"]
WEIGHTS = ("none", "linear", "quadratic")


@dataclass(frozen=True, slots=True)
class KappaResult(ResultMixin):
    """Cohen's (weighted) kappa with its large-sample standard error."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    weights: str
    standard_error: float
    observed_agreement: float
    expected_agreement: float
    method: str
    z: float = float("nan")
    pvalue: float = float("nan")


def agreement_weights(q: int, weights: Weights) -> np.ndarray:
    """Agreement weights on category positions: 1 on the diagonal, 0 at the extremes.

    :math:`w_{ij} = 1 - |i-j|/(q-1)` (linear) or :math:`1 - (i-j)^2/(q-1)^2` (quadratic), the
    identity for ``"none"`` (irr's ``kappa2(weight = "equal" / "squared")``, irrCAC's
    ``linear.weights`` / ``quadratic.weights``).

    Parameters
    ----------
    q : int
        Number of ordered categories.
    weights : {"none", "linear", "quadratic"}
        The weighting scheme.

    Returns
    -------
    ndarray
        q x q agreement weights.

    References
    ----------
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.

    Examples
    --------
    >>> agreement_weights(3, "quadratic")
    array([[1.  , 0.75, 0.  ],
           [0.75, 1.  , 0.75],
           [0.  , 0.75, 1.  ]])
    """
    check_level(weights, WEIGHTS, "weights")
    if weights == "none" or q < 2:
        return np.eye(q)
    d = np.abs(np.subtract.outer(np.arange(q), np.arange(q))) / (q - 1)
    return 1 - d if weights == "linear" else 1 - d ** 2


def _categories(values: list[np.ndarray], categories) -> list:
    if categories is not None:
        cats = list(categories)
        present = set(pd.unique(np.concatenate([pd.Series(v).dropna().to_numpy()
                                                for v in values])))
        missing = present - set(cats)
        if missing:
            raise ValueError(f"Values {sorted(missing, key=str)} are not among the categories.")
        return cats
    allv = pd.Series(np.concatenate(values)).dropna()
    try:
        return sorted(pd.unique(allv))
    except TypeError:
        raise ValueError("Categories of mixed types cannot be ordered; pass `categories`.") \
            from None


def cohen_kappa(a: Sequence, b: Sequence, *, categories: Sequence | None = None,
                weights: Weights = "none", confidence: float = 0.95) -> KappaResult:
    r"""Cohen's kappa (weighted or not) for two raters of the same targets.

    .. math:: \kappa_w = \frac{p_o - p_e}{1 - p_e},\quad p_o = \sum_{ij} w_{ij} p_{ij},\quad
              p_e = \sum_{ij} w_{ij} p_{i.} p_{.j}

    with agreement weights :math:`w_{ij}` = 1 (i = j) / 0 (none), :math:`1 - |i-j|/(q-1)`
    (linear), :math:`1 - (i-j)^2/(q-1)^2` (quadratic) on the positions of the q ordered
    categories. The standard error is the large-sample one of Fleiss, Cohen & Everitt (1969):

    .. math:: \mathrm{var}(\kappa_w) = \frac{\sum_{ij} p_{ij}[w_{ij} - (\bar w_{i.} +
              \bar w_{.j})(1-\kappa_w)]^2 - [\kappa_w - p_e(1-\kappa_w)]^2}{n (1-p_e)^2}

    and the interval is :math:`\kappa_w \pm z\,SE`, truncated to kappa's range [-1, 1] (the
    ``method`` says when a limit was truncated). ``z`` and ``pvalue`` test
    H0: kappa = 0 with the variance under the null (Fleiss, Cohen & Everitt 1969):

    .. math:: \mathrm{var}_0(\kappa_w) = \frac{\sum_{ij} p_{i.}p_{.j}[w_{ij} - (\bar w_{i.} +
              \bar w_{.j})]^2 - p_e^2}{n (1-p_e)^2},\quad z = \kappa_w / \sqrt{\mathrm{var}_0}

    with a two-sided normal p-value: ``irr::kappa2``'s ``statistic`` and ``p.value`` for
    unweighted kappa. (For weighted kappa irr puts the unweighted :math:`p_e` in this formula;
    here the weighted one is used, as Fleiss, Cohen & Everitt write it.) Pairs with a missing
    value are dropped (pairwise deletion, as irr's ``na.omit``).

    Parameters
    ----------
    a, b : sequences
        The two raters' categories for the same targets, in the same order; None/NaN missing.
    categories : sequence, optional
        The ordered categories (default: the sorted values present). Weights use the
        categories' positions.
    weights : {"none", "linear", "quadratic"}
        Agreement weights, as above.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    KappaResult
        ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``standard_error``, observed and expected
        agreement, ``z``, ``pvalue``, ``method``.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. EPM, 20, 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
    and weighted kappa. Psychological Bulletin, 72(5), 323-327.

    Examples
    --------
    >>> res = cohen_kappa([1, 2, 3, 3, 2, 1], [1, 2, 3, 2, 2, 1])  # irr::kappa2(cbind(a, b))
    >>> round(res.estimate, 4), round(res.z, 4)
    (0.75, 2.7136)
    """
    check_level(weights, WEIGHTS, "weights")
    check_conf(confidence)
    fast = _numeric_table(a, b, categories)
    if fast is not None:
        return kappa_from_table(fast, weights=weights, confidence=confidence)
    a = pd.Series(list(a) if not isinstance(a, pd.Series) else a.to_numpy(), dtype=object)
    b = pd.Series(list(b) if not isinstance(b, pd.Series) else b.to_numpy(), dtype=object)
    if len(a) != len(b):
        raise ValueError(f"The two raters rated different numbers of targets "
                         f"({len(a)} and {len(b)}).")
    keep = a.notna() & b.notna()
    a, b = a[keep].to_numpy(), b[keep].to_numpy()
    n = len(a)
    if n < 2:
        raise ValueError("Cohen's kappa needs at least two targets rated by both raters.")
    cats = _categories([a, b], categories)
    q = len(cats)
    # Categorical codes instead of a per-value dict lookup: the same mapping, in C.
    ia = pd.Categorical(a, categories=cats).codes.astype(np.int64)
    ib = pd.Categorical(b, categories=cats).codes.astype(np.int64)
    table = np.bincount(ia * q + ib, minlength=q * q).reshape(q, q)
    return kappa_from_table(table, weights=weights, confidence=confidence)


def _numeric_table(a, b, categories):
    """The contingency table of two numeric score arrays (NaN missing), or None when the
    scores are not plain numbers; same table as the general path, without object arrays."""
    if categories is not None:
        return None
    fa = np.asarray(a.to_numpy() if isinstance(a, pd.Series) else a)
    fb = np.asarray(b.to_numpy() if isinstance(b, pd.Series) else b)
    if fa.dtype.kind not in "iuf" or fb.dtype.kind not in "iuf" or fa.ndim != 1 \
            or fa.shape != fb.shape:
        return None
    fa, fb = fa.astype(float), fb.astype(float)
    keep = ~(np.isnan(fa) | np.isnan(fb))
    fa, fb = fa[keep], fb[keep]
    if len(fa) < 2:
        return None  # the general path raises the error with its message
    cats = np.unique(np.concatenate([fa, fb]))
    q = len(cats)
    ia, ib = np.searchsorted(cats, fa), np.searchsorted(cats, fb)
    return np.bincount(ia * q + ib, minlength=q * q).reshape(q, q)


def kappa_from_table(table: np.ndarray, *, weights: Weights = "none",
                     confidence: float = 0.95) -> KappaResult:
    """Cohen's kappa from a q x q contingency table of counts (see `cohen_kappa`).

    Parameters
    ----------
    table : 2-D array
        Counts, rows the first rater's categories, columns the second's, in the same order.
    weights : {"none", "linear", "quadratic"}
        Agreement weights on the category positions.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    KappaResult

    References
    ----------
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Psychological Bulletin, 72(5), 323-327.

    Examples
    --------
    Fleiss, Levin & Paik (2003) Table 18.1 (``psych::cohen.kappa`` gives kappa 0.6765):

    >>> round(kappa_from_table([[75, 1, 4], [5, 4, 1], [0, 0, 10]]).estimate, 4)
    0.6765
    """
    check_level(weights, WEIGHTS, "weights")
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError("The contingency table must be square.")
    n = t.sum()
    p = t / n
    w = agreement_weights(t.shape[0], weights)
    pr, pc = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(pr, pc)).sum())
    if pe >= 1:
        raise ValueError("Both raters used a single category; kappa is undefined.")
    kappa = (po - pe) / (1 - pe)
    wr = w @ pc
    wc = pr @ w
    inner = (p * (w - (wr[:, None] + wc[None, :]) * (1 - kappa)) ** 2).sum()
    var = (inner - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    se = float(np.sqrt(max(var, 0.0)))
    inner0 = (np.outer(pr, pc) * (w - (wr[:, None] + wc[None, :])) ** 2).sum()
    var0 = (inner0 - pe ** 2) / (n * (1 - pe) ** 2)
    z0 = float(kappa / np.sqrt(var0)) if var0 > 0 else float("nan")
    p0 = float(2 * special.ndtr(-abs(z0))) if var0 > 0 else float("nan")
    z = special.ndtri(1 - (1 - confidence) / 2)
    label = {"none": "Cohen (1960)", "linear": "Cohen (1968), linear weights",
             "quadratic": "Cohen (1968), quadratic weights"}[weights]
    low, high, clipped = truncate(kappa - z * se, kappa + z * se, -1.0, 1.0)
    return KappaResult(estimate=float(kappa), ci_low=low, ci_high=high, n=int(n), weights=weights,
                       standard_error=se, observed_agreement=po, expected_agreement=pe,
                       method=f"{label}; Fleiss-Cohen-Everitt (1969) standard error, "
                              "normal interval; z test with the null variance; targets "
                              f"missing either rating dropped{clipped}", z=z0, pvalue=p0)
