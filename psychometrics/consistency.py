"""Internal consistency: Cronbach's alpha (Feldt and Duhachek intervals, Guttman's lambda 6,
average r, signal/noise) and the item statistics ``psych::alpha`` reports."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._base import ResultMixin, as_float_matrix, check_conf, check_level, one_blas_thread

Missing = Literal["pairwise", "listwise"]
ConstantItems = Literal["refuse", "drop"]


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
    g6: float = float("nan")
    average_r: float = float("nan")
    median_r: float = float("nan")
    signal_noise: float = float("nan")
    standard_error: float = float("nan")
    duhachek_low: float = float("nan")
    duhachek_high: float = float("nan")
    dropped_items: tuple = ()


class ItemScores:
    """Observations x items scores converted once, for several statistics of the same items and
    of subsets of them (a scale and its subscales).

    `cronbach_alpha`, `item_statistics`, `omega` and `cfa_one_factor` accept it in place of the
    data and give the same results. The covariance matrix of the items without missing answers
    is computed once and shared by every subset (`select`): a complete subset's covariances are
    the matching block of it. A subset with missing answers is computed from its own columns,
    as its DataFrame would be (pairwise counts and listwise rows depend on the subset).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2, 1], [2, 3, 3, 2], [3, 3, 4, 4], [4, 5, 4, 3], [5, 4, 5, 5]])
    >>> scores = ItemScores(x)
    >>> cronbach_alpha(scores.select(["0", "1", "2"])).estimate == cronbach_alpha(x[:, :3]).estimate
    True
    """

    def __init__(self, wide):
        self._x, self.names = as_float_matrix(wide, what="Item scores")
        self._columns = np.arange(len(self.names))
        self._shared = {"complete": ~np.isnan(self._x).any(axis=0), "cov": None}

    def select(self, names) -> "ItemScores":
        """The scores of the named items, in that order, sharing this object's covariances."""
        position = {name: j for j, name in enumerate(self.names)}
        unknown = [name for name in names if name not in position]
        if unknown:
            raise ValueError(f"Item(s) {unknown} are not columns of the item scores.")
        return self._take([position[name] for name in names])

    def _take(self, positions) -> "ItemScores":
        out = object.__new__(ItemScores)
        out._x, out._shared = self._x, self._shared
        out._columns = self._columns[np.asarray(positions, dtype=int)]
        out.names = [self.names[j] for j in positions]
        return out

    @property
    def n_rows(self) -> int:
        return self._x.shape[0]

    def values(self) -> np.ndarray:
        """The observations x items array of these items."""
        full = len(self._columns) == self._x.shape[1] and (self._columns == np.arange(self._x.shape[1])).all()
        return self._x if full else self._x[:, self._columns]

    def complete(self) -> bool:
        return bool(self._shared["complete"][self._columns].all())

    def complete_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Covariance matrix and means of these items, all complete (`complete`)."""
        if self._shared["cov"] is None:
            keep = np.nonzero(self._shared["complete"])[0]
            x = self._x if len(keep) == self._x.shape[1] else self._x[:, keep]
            self._shared["cov"] = (keep, *_cov(x, True))
        keep, c, mean = self._shared["cov"]
        where = np.searchsorted(keep, self._columns)
        return c[np.ix_(where, where)], mean[where]


def _prepare(wide, missing: Missing, min_items: int = 2,
             constant_items: ConstantItems = "refuse",
             dropped: list | None = None) -> tuple[int, list[str], np.ndarray]:
    """Validated item scores: the number of observations used, the item names and the item
    covariance matrix.

    ``wide`` is the data or its `ItemScores`. A constant item is refused, or
    (``constant_items="drop"``, psych's behaviour) removed and its name appended to ``dropped``.
    """
    check_level(missing, ("pairwise", "listwise"), "missing")
    check_level(constant_items, ("refuse", "drop"), "constant_items")
    scores = wide if isinstance(wide, ItemScores) else ItemScores(wide)
    if constant_items == "drop":
        x, keep = scores.values(), []
        for j in range(x.shape[1]):
            col = x[:, j][~np.isnan(x[:, j])]
            if col.size >= 2 and not (col == col[0]).all():
                keep.append(j)
            elif dropped is not None:
                dropped.append(scores.names[j])
        scores = scores._take(keep)
    names = scores.names
    if scores.complete():
        x = None  # the shared covariances; the array is only read for a near-constant item
        n = scores.n_rows
    else:
        x = scores.values()
        drop = np.isnan(x).any(axis=1) if missing == "listwise" else np.isnan(x).all(axis=1)
        if drop.any():
            x = x[~drop]
        n = x.shape[0]
    if len(names) < min_items:
        raise ValueError(f"At least {min_items} items are needed, got {len(names)}.")
    if n < 3:
        raise ValueError(f"At least three observations are needed, got {n}.")
    c, mean = scores.complete_cov() if x is None else _cov(x, missing == "listwise")
    column = (lambda j: scores.values()[:, j]) if x is None else (lambda j: x[:, j])
    const = _constant_items(column, n, np.diag(c), mean)
    if const:
        raise ValueError(f"Item(s) {[names[i] for i in const]} are constant (or have fewer "
                         "than two answers); remove them before computing reliability.")
    return n, names, c


def _cov(x: np.ndarray, complete: bool) -> tuple[np.ndarray, np.ndarray]:
    """Item covariance matrix (pairwise-complete if values are missing) and item means."""
    n, p = x.shape
    if complete:
        # Same as np.cov(x, rowvar=False), without its copy of x; the means come from a
        # column sum because a reduction over a row-major array's rows is slow.
        mean = np.einsum("ij->j", x) / n
        d = x - mean
        with one_blas_thread():
            return (d.T @ d) / (n - 1), mean
    # Pairwise-complete covariances (pandas' DataFrame.cov, whose loop over item pairs was
    # most of alpha's time) from three products: pair counts, sums of each item over the
    # rows its partner answered, and cross-products. Items are centred at their means
    # first, so the one-pass formula loses no precision. Few temporaries: each new array of
    # this size costs its page faults.
    missing = np.isnan(x)
    answered = (~missing).astype(float)
    d = x.copy()
    np.putmask(d, missing, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.einsum("ij->j", d) / np.einsum("ij->j", answered)
        d -= np.where(np.isfinite(mean), mean, 0.0)
        np.putmask(d, missing, 0.0)
        with one_blas_thread():
            pairs = answered.T @ answered
            sums = d.T @ answered
            c = (d.T @ d - sums * sums.T / pairs) / (pairs - 1)
    c[pairs < 2] = np.nan
    return c, mean


def _constant_items(column, n: int, var: np.ndarray, mean: np.ndarray) -> list[int]:
    """Items (``column(j)`` the j-th item's n scores) with fewer than two answers or a single
    distinct value."""
    # A constant item's computed variance need not be exactly zero (its mean is rounded to
    # within n * eps), so the variance only screens; the few items it cannot clear are
    # compared value by value.
    tol = 4.0 * (n * np.finfo(float).eps * mean) ** 2
    const = []
    for j in np.nonzero(~(var > tol))[0]:
        col = column(j)
        col = col[~np.isnan(col)]
        if col.size < 2 or (col == col[0]).all():
            const.append(int(j))
    return const


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlation of each item with the others, 1 - 1/diag(R^-1)."""
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(r)
    return 1.0 - 1.0 / np.diag(inv)


def _duhachek_q(c: np.ndarray) -> float:
    """Duhachek & Iacobucci (2004) Q: n * var(alpha) asymptotically (psych::alpha's ``Q``)."""
    k = c.shape[0]
    total = c.sum()
    tr = np.trace(c)
    cc = c @ c
    return float(2 * k ** 2 / ((k - 1) ** 2 * total ** 3)
                 * (total * (np.trace(cc) + tr ** 2) - 2 * tr * cc.sum()))


def _alpha_stats(c: np.ndarray) -> dict:
    """psych::alpha's per-scale statistics (``alpha.1``) from a covariance matrix."""
    k = c.shape[0]
    d = np.sqrt(np.diag(c))
    r = c / np.outer(d, d)
    sum_r = r.sum()
    lower = r[np.tril_indices(k, -1)]
    av_r = (sum_r - k) / (k * (k - 1))
    return {"alpha": _alpha_from_cov(c), "std_alpha": (1 - k / sum_r) * k / (k - 1),
            "g6": 1 - (k - _smc(r).sum()) / sum_r, "average_r": av_r,
            "signal_noise": k * av_r / (1 - av_r), "q": _duhachek_q(c),
            "var_r": float(np.var(lower, ddof=1)) if lower.size > 1 else float("nan"),
            "median_r": float(np.median(lower))}


def cronbach_alpha(wide, *, missing: Missing = "pairwise", confidence: float = 0.95,
                   constant_items: ConstantItems = "refuse") -> AlphaResult:
    r"""Cronbach's alpha for an observations x items matrix, with what ``psych::alpha`` reports.

    .. math:: \alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i \sigma^2_i}{\sigma^2_X}\right)

    from the item covariance matrix C (pairwise-complete covariances by default, as
    ``psych::alpha`` and ``pingouin.cronbach_alpha``; ``missing="listwise"`` drops incomplete
    rows first). Besides alpha the result carries psych's ``total`` row, computed on the
    correlation matrix R: the standardised alpha (``std.alpha``), Guttman's lambda 6
    :math:`G_6 = 1 - \sum_i(1 - smc_i)/\mathbf{1}'R\mathbf{1}` (``G6(smc)``), the average and
    median inter-item correlation (``average_r``, ``median_r``), the signal/noise ratio
    :math:`k\bar r/(1-\bar r)` (``S/N``) and the Duhachek & Iacobucci (2004) asymptotic
    standard error (``ase``):

    .. math:: \mathrm{ase}^2 = \frac{2k^2}{n(k-1)^2(\mathbf{1}'C\mathbf{1})^3}
              \left[\mathbf{1}'C\mathbf{1}\,(\mathrm{tr}\,C^2 + (\mathrm{tr}\,C)^2)
              - 2\,\mathrm{tr}\,C\;\mathbf{1}'C^2\mathbf{1}\right]

    with its normal interval :math:`\alpha \pm z\,\mathrm{ase}` (``duhachek_low``,
    ``duhachek_high``; psych prints it with z = 1.96, unclipped; here the upper limit is
    clipped at alpha's maximum, 1, and ``method`` says so when that happens). ``ci_low``/``ci_high`` are Feldt's (1965)
    F-based interval, :math:`1 - (1-\hat\alpha) F_{1-a/2}` to :math:`1 - (1-\hat\alpha) F_{a/2}`
    with (n-1, (n-1)(k-1)) degrees of freedom, n the rows actually used.

    Parameters
    ----------
    wide : DataFrame or 2-D array
        Observations x items, numeric; NaN marks a missing answer.
    missing : {"pairwise", "listwise"}
        Pairwise-complete covariances (psych's and pingouin's default) or complete rows only.
    confidence : float
        Coverage of the Feldt and Duhachek intervals.
    constant_items : {"refuse", "drop"}
        A constant item has no variance, so alpha of the scale as specified does not exist.
        The default refuses with a ``ValueError`` naming the item; ``"drop"`` removes it and
        computes alpha of the remaining items, as ``psych::alpha`` does (with a warning there,
        listed in ``dropped_items`` and ``method`` here).

    Returns
    -------
    AlphaResult
        ``estimate`` (alpha), Feldt ``ci_low``/``ci_high``, ``n`` rows, ``n_items``,
        ``standardized``, ``g6``, ``average_r``, ``median_r``, ``signal_noise``,
        ``standard_error`` (ase), ``duhachek_low``/``duhachek_high``, ``dropped_items``,
        ``method`` (which covariances: the treatment of incomplete rows).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. Psychometrika, 30(3), 357-370.
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10,
    255-282.
    Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate and
    precise confidence interval estimate. Journal of Applied Psychology, 89(5), 792-808.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]])
    >>> res = cronbach_alpha(x)
    >>> round(res.estimate, 6)  # psych::alpha(x)$total$raw_alpha
    0.933333
    >>> round(res.g6, 6), round(res.average_r, 6), round(res.standard_error, 6)  # G6, r, ase
    (0.966656, 0.844515, 0.043065)
    """
    check_conf(confidence)
    dropped: list = []
    n, _, c = _prepare(wide, missing, constant_items=constant_items, dropped=dropped)
    k = c.shape[0]
    st = _alpha_stats(c)
    alpha = float(st["alpha"])
    a = 1 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lo, hi = 1 - (1 - alpha) * stats.f.ppf([1 - a / 2, a / 2], df1, df2)
    ase = float(np.sqrt(st["q"] / n))
    z = float(stats.norm.ppf(1 - a / 2))
    d_hi = alpha + z * ase
    method = (f"Cronbach (1951), {missing} covariances; Feldt (1965) interval; "
              "Duhachek & Iacobucci (2004) standard error")
    if d_hi > 1:
        d_hi = 1.0
        method += "; Duhachek upper limit clipped at 1 (psych prints alpha + 1.96 ase unclipped)"
    if dropped:
        method += f"; constant item(s) dropped as psych::alpha does: {dropped}"
    return AlphaResult(estimate=alpha, ci_low=float(lo), ci_high=float(hi), n=int(n),
                       n_items=int(k), standardized=float(st["std_alpha"]), missing=missing,
                       method=method, g6=float(st["g6"]), average_r=float(st["average_r"]),
                       median_r=st["median_r"], signal_noise=float(st["signal_noise"]),
                       standard_error=ase, duhachek_low=alpha - z * ase,
                       duhachek_high=d_hi, dropped_items=tuple(dropped))


def item_statistics(wide, *, missing: Missing = "pairwise", with_omega: bool = True,
                    constant_items: ConstantItems = "refuse") -> pd.DataFrame:
    r"""Corrected item-total correlation and the scale's statistics when each item is dropped.

    ``r_drop`` is the correlation of the item with the sum of the other items (``psych::alpha``
    ``item.stats$r.drop``), computed from the covariance matrix:
    :math:`r = (\mathbf{1}'C_{i,-i}) / \sqrt{C_{ii}\,\mathbf{1}'C_{-i,-i}\mathbf{1}}`.
    The ``*_if_dropped`` columns are ``psych::alpha``'s ``alpha.drop`` table, the statistics of
    `cronbach_alpha` on the remaining items: ``alpha_if_dropped`` (``raw_alpha``),
    ``std_alpha_if_dropped`` (``std.alpha``), ``g6_if_dropped`` (``G6(smc)``),
    ``average_r_if_dropped`` (``average_r``), ``signal_noise_if_dropped`` (``S/N``),
    ``alpha_se_if_dropped`` (``alpha se``, Duhachek & Iacobucci), ``var_r_if_dropped``
    (``var.r``) and ``median_r_if_dropped`` (``med.r``). ``omega_if_dropped`` is the
    one-factor omega total of the remaining items (NaN below three).

    Parameters
    ----------
    wide : DataFrame or 2-D array
        Observations x items (at least three), NaN for missing.
    missing : {"pairwise", "listwise"}
        As in `cronbach_alpha`.
    with_omega : bool
        Also fit a one-factor model to each set of remaining items.
    constant_items : {"refuse", "drop"}
        As in `cronbach_alpha`.

    Returns
    -------
    DataFrame
        One row per item, indexed by item name.

    References
    ----------
    Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research (R package 2.2.9), ``alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2, 1], [2, 3, 3, 2], [3, 3, 4, 4], [4, 5, 4, 3], [5, 4, 5, 5]])
    >>> stats = item_statistics(x, with_omega=False)  # psych::alpha(x)$alpha.drop
    >>> round(float(stats.loc["0", "alpha_if_dropped"]), 6), round(float(stats.loc["0", "g6_if_dropped"]), 6)
    (0.888, 0.99176)
    """
    n, names, c = _prepare(wide, missing, min_items=3, constant_items=constant_items)
    k = c.shape[0]
    rows = []
    for i in range(k):
        rest = np.delete(np.arange(k), i)
        cr = c[np.ix_(rest, rest)]
        r_drop = c[i, rest].sum() / np.sqrt(c[i, i] * cr.sum())
        st = _alpha_stats(cr)
        row = {"item": names[i], "r_drop": float(r_drop),
               "alpha_if_dropped": float(st["alpha"]),
               "std_alpha_if_dropped": float(st["std_alpha"]),
               "g6_if_dropped": float(st["g6"]),
               "average_r_if_dropped": float(st["average_r"]),
               "signal_noise_if_dropped": float(st["signal_noise"]),
               "alpha_se_if_dropped": float(np.sqrt(st["q"] / n)),
               "var_r_if_dropped": st["var_r"], "median_r_if_dropped": st["median_r"]}
        if with_omega:
            from .omega import _omega_total_from_cov
            row["omega_if_dropped"] = _omega_total_from_cov(cr)[0] if len(rest) >= 3 \
                else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("item")

