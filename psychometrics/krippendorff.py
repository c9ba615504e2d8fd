"""Krippendorff's alpha at the nominal, ordinal, interval and ratio levels, missing allowed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from ._base import ResultMixin, check_conf, check_level, factorize_sorted, long_to_matrix
from .bootstrap import additive_bootstrap

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True, slots=True)
class KrippendorffResult(ResultMixin):
    """Krippendorff's alpha with observed and expected disagreement."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_pairable: int
    level: str
    observed_disagreement: float
    expected_disagreement: float
    method: str


def krippendorff_alpha(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                       score: str = "score", level: Level = "nominal", n_boot: int = 0,
                       confidence: float = 0.95, seed: int | None = 0) -> KrippendorffResult:
    r"""Krippendorff's alpha from long-format ratings; raters need not rate every target.

    .. math:: \alpha = 1 - (n_{..} - 1)\,
              \frac{\sum_{c,k} o_{ck}\,\delta^2_{ck}}{\sum_{c,k} n_c n_k\,\delta^2_{ck}}

    with the coincidence matrix :math:`o_{ck} = \sum_u \frac{\#(c,k \text{ pairs in } u)}
    {m_u - 1}` over units with at least two values, :math:`n_c` its margins and the metric
    differences :math:`\delta^2` nominal (0/1), ordinal
    :math:`(\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2`, interval :math:`(c-k)^2`, ratio
    :math:`((c-k)/(c+k))^2` (Krippendorff 2011). Units with a single value are not pairable and
    are ignored. The optional confidence interval is a percentile bootstrap over targets
    (``n_boot`` resamples); with ``n_boot=0`` ``ci_low``/``ci_high`` are NaN.

    Parameters
    ----------
    data : DataFrame
        Long format (target, rater, score); raters need not rate every target. Units with a
        single value are not pairable and are left out (Krippendorff's treatment).
    target, rater, score : str
        Column names.
    level : {"nominal", "ordinal", "interval", "ratio"}
        The metric.
    n_boot : int
        Bootstrap resamples over units for the interval (0: no interval). For irrCAC's
        closed-form standard error and p-value see `krippendorff_alpha_gwet`.
    confidence : float
        Coverage of the interval.
    seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    KrippendorffResult
        ``estimate``, ``ci_low``, ``ci_high``, ``n`` (pairable units), ``n_pairable``
        (values in them), ``level``, observed and expected disagreement, ``method``.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication Departmental Papers 43.

    Examples
    --------
    Krippendorff (2011) reliability data (4 coders, 12 units, missing values), nominal
    alpha 0.743 (``irr::kripp.alpha(t(x), "nominal")``):

    >>> import numpy as np
    >>> x = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
    ...               [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
    ...               [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
    ...               [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan]]).T
    >>> round(krippendorff_alpha_matrix(x, level="nominal").estimate, 3)
    0.743
    """
    x, _, _ = long_to_matrix(data, target=target, rater=rater, score=score)
    return krippendorff_alpha_matrix(x, level=level, n_boot=n_boot, confidence=confidence,
                                     seed=seed)


def krippendorff_alpha_matrix(x: np.ndarray, *, level: Level = "nominal", n_boot: int = 0,
                              confidence: float = 0.95,
                              seed: int | None = 0) -> KrippendorffResult:
    """Krippendorff's alpha from a units x raters array with NaN for missing.

    Parameters
    ----------
    x : 2-D array
        Units x raters, NaN where a rater gave no value.
    level, n_boot, confidence, seed
        As in `krippendorff_alpha`.

    Returns
    -------
    KrippendorffResult

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.

    Examples
    --------
    Krippendorff (2011), interval metric: 0.849 (``irr::kripp.alpha(t(x), "interval")``):

    >>> import numpy as np
    >>> x = np.array([[1, 1, np.nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...               [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2],
    ...               [np.nan, 5, 5, 5], [np.nan, np.nan, 1, 1], [np.nan, np.nan, 3, np.nan]])
    >>> round(krippendorff_alpha_matrix(x, level="interval").estimate, 3)
    0.849
    """
    check_level(level, LEVELS, "level")
    check_conf(confidence)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError("Ratings must be a two-dimensional units x raters array.")
    if x.shape[1] < 2:
        raise ValueError(f"Krippendorff's alpha needs at least two raters, got {x.shape[1]}.")
    obs = ~np.isnan(x)
    m = obs.sum(axis=1)
    keep = m >= 2
    if not keep.any():
        raise ValueError("No unit was rated by two or more raters; alpha is undefined.")
    if keep.all():  # every unit pairable: no copies
        m = m.astype(float)
    else:
        x, obs, m = x[keep], obs[keep], m[keep].astype(float)
    if level == "ratio" and (x[obs] < 0).any():
        raise ValueError("Ratio-level alpha needs non-negative values.")
    unit_rows = None  # with per-unit features once per distinct row: each unit's row
    if level == "interval":
        feats = _interval_features(x, obs, m)
        alpha_fn = _interval_alpha
    else:
        codes, values = factorize_sorted(x[obs])  # np.unique(..., return_inverse=True), by a bincount
        if len(values) > 2000 and level != "nominal":
            raise ValueError(f"{len(values)} distinct values are too many for the {level} "
                             "coincidence matrix; use level='interval' for continuous scores.")
        if n_boot > 0 and level != "nominal" and len(values) > 12:
            raise ValueError(f"The bootstrap interval for {level} alpha supports at most 12 "
                             f"distinct values, got {len(values)}.")
        feats, alpha_fn, unit_rows = _coincidence_features(x, obs, m, codes, values, level,
                                                           per_unit=n_boot > 0)
    total = feats.sum(axis=0) if unit_rows is None else np.bincount(unit_rows, minlength=len(feats)) @ feats
    est, d_o, d_e = alpha_fn(total[None, :])
    if not np.isfinite(d_e[0]) or d_e[0] == 0:
        raise ValueError("All pairable values are identical; expected disagreement is zero "
                         "and alpha is undefined.")
    lo = hi = float("nan")
    method = f"Krippendorff (2011), {level} metric, coincidence matrix; pairable units only"
    if n_boot > 0:
        lo, hi = additive_bootstrap(feats, lambda s: alpha_fn(s)[0], n_boot=n_boot,
                                    confidence=confidence, seed=seed, unit_rows=unit_rows)
        method += f"; percentile bootstrap over units ({n_boot} resamples)"
    else:
        method += "; no interval requested (n_boot=0)"
    return KrippendorffResult(estimate=float(est[0]), ci_low=lo, ci_high=hi,
                              n=int(len(m)), n_pairable=int(m.sum()), level=level,
                              observed_disagreement=float(d_o[0]),
                              expected_disagreement=float(d_e[0]), method=method)


def _interval_features(x, obs, m):
    v = np.where(obs, x, 0.0)
    s1 = v.sum(axis=1)
    s2 = (v * v).sum(axis=1)
    # Sum over ordered pairs within the unit of (v_i - v_j)^2 is 2(m s2 - s1^2).
    within = 2.0 * (m * s2 - s1 * s1) / (m - 1.0)
    return np.column_stack([m, s1, s2, within])


def _interval_alpha(sums):
    n, s1, s2, within = sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3]
    d_o = within / n
    d_e = 2.0 * (n * s2 - s1 * s1) / (n * (n - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - d_o / d_e, d_o, d_e


# Largest units x values count matrix held dense (16 MB); beyond it scipy.sparse, whose
# fixed cost of about a millisecond only matters for small data.
_DENSE_COUNTS_MAX = 2_000_000


def _coincidence_features(x, obs, m, codes, values, level, per_unit):
    """The coincidence features and the alpha of their sums; with ``per_unit`` (a bootstrap)
    one row per unit, given once per distinct count of each value with each unit's row
    (``unit_rows``, else None): units with equal counts have equal features."""
    rows = np.nonzero(obs)[0]
    n_units, n_vals = len(m), len(values)
    small = n_units * n_vals <= _DENSE_COUNTS_MAX
    if level == "nominal" or per_unit or small:
        # n_uc: how many of unit u's values are value c.
        dense = np.bincount(rows * n_vals + codes, minlength=n_units * n_vals)
        dense = dense.reshape(n_units, n_vals).astype(float)
    else:
        counts = sparse.csr_matrix((np.ones(len(codes)), (rows, codes)),
                                   shape=(n_units, n_vals))
    unit_rows = _distinct_counts(dense, m) if per_unit else None
    if unit_rows is not None:
        first = np.zeros(int(unit_rows.max()) + 1, dtype=np.intp)
        first[unit_rows] = np.arange(n_units)  # one unit of each distinct row
        dense, m, n_units = dense[first], m[first], len(first)
    if level == "nominal":
        # Per unit: n_uc margins and sum_c n_uc (n_uc - 1) / (m_u - 1) (agreeing pairs).
        sq = (dense * dense).sum(axis=1)
        agree = (sq - m) / (m - 1.0)
        return np.column_stack([dense, agree]), _nominal_alpha, unit_rows
    if per_unit:
        # Per-unit coincidence contributions (flattened V x V) allow a bootstrap by summing.
        w = dense / (m - 1.0)[:, None]
        o_units = (w[:, :, None] * dense[:, None, :]).reshape(n_units, -1)
        o_units[:, ::n_vals + 1] -= w  # the diagonal: a value does not pair with itself
        return o_units, _make_metric_alpha(values, level), unit_rows
    if small:
        weighted = dense / (m - 1.0)[:, None]
        o = weighted.T @ dense - np.diag(weighted.sum(axis=0))
        feats = o.reshape(1, -1)
    else:
        weighted = sparse.diags(1.0 / (m - 1.0)) @ counts
        o = (weighted.T @ counts).toarray() - np.diag(weighted.sum(axis=0).A1)
        feats = o.reshape(1, -1)
    return feats, _make_metric_alpha(values, level), None


def _distinct_counts(dense: np.ndarray, m: np.ndarray) -> np.ndarray | None:
    """Each unit's index among the distinct rows of value counts (numbered in the order of the
    counts read as digits in base max(m) + 1), or None when that number would not fit in 62
    bits."""
    base = int(m.max()) + 1
    if dense.shape[1] * np.log2(base) >= 62:
        return None
    return factorize_sorted(dense.astype(np.int64) @ base ** np.arange(dense.shape[1], dtype=np.int64))[0]


def _nominal_alpha(sums):
    nc = sums[:, :-1]
    agree = sums[:, -1]
    n = nc.sum(axis=1)
    d_o = (n - agree) / n
    d_e = (n * n - (nc * nc).sum(axis=1)) / (n * (n - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 - d_o / d_e, d_o, d_e


def _make_metric_alpha(values, level):
    v = len(values)
    c = values[:, None]
    kk = values[None, :]

    def alpha(sums):
        o = sums.reshape(-1, v, v)
        nc = o.sum(axis=2)
        n = nc.sum(axis=1)
        if level == "ordinal":
            cum = np.cumsum(nc, axis=1)
            lo = np.minimum(np.arange(v)[:, None], np.arange(v)[None, :])
            hi = np.maximum(np.arange(v)[:, None], np.arange(v)[None, :])
            between = cum[:, hi] - np.where(lo > 0, cum[:, np.maximum(lo - 1, 0)], 0.0)
            delta = (between - (nc[:, :, None] + nc[:, None, :]) / 2.0) ** 2
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = np.where(c + kk == 0, 0.0, ((c - kk) / (c + kk)) ** 2)
            delta = np.broadcast_to(d, o.shape)
        d_o = (o * delta).sum(axis=(1, 2)) / n
        d_e = (nc[:, :, None] * nc[:, None, :] * delta).sum(axis=(1, 2)) / (n * (n - 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - d_o / d_e, d_o, d_e

    return alpha
