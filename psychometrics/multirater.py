"""Multi-rater chance-corrected agreement: Fleiss' kappa, Gwet's AC1/AC2, percent agreement.

All three share one computation on the targets x categories count matrix r_ik (Gwet 2014,
ch. 2-5), which allows missing ratings (raters need not rate every target), and Gwet's
(2008) linearisation variance, which is valid away from the null.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import special

from ._base import (ResultMixin, check_conf, check_level, factorize_sorted, one_blas_thread,
                    truncate)
from .kappa import WEIGHTS, Weights, _categories, agreement_weights


@dataclass(frozen=True, slots=True)
class AgreementResult(ResultMixin):
    """A chance-corrected (or raw) agreement coefficient for many raters."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    standard_error: float
    observed_agreement: float
    expected_agreement: float
    weights: str
    method: str
    statistic: float = float("nan")
    pvalue: float = float("nan")


def _with_test(res: AgreementResult) -> AgreementResult:
    """Add irrCAC 1.0's test of H0: coefficient = 0: t = estimate / SE on n - 1 df, two-sided
    p = 2 (1 - T(|t|)) (``p.value`` of gwet.ac1.raw, fleiss.kappa.raw, pa.coeff.raw; irrCAC's
    later development sources print the one-sided 1 - T(t))."""
    import dataclasses
    if not res.standard_error > 0:
        return res
    t = res.estimate / res.standard_error
    return dataclasses.replace(res, statistic=float(t),
                               pvalue=float(2 * special.stdtr(res.n - 1, -abs(t))),
                               method=res.method + "; two-sided t test of 0 on n-1 df (irrCAC "
                                                   "1.0 p.value)")


def _rating_codes(data, target, rater, score, categories):
    """Target, rater and category codes (int64) of the rated rows of a long frame, the
    categories and the number of raters: the validation every missing-allowed coefficient
    shares (here and in `cac`)."""
    if not isinstance(data, pd.DataFrame):
        raise ValueError("Long-format input must be a pandas DataFrame.")
    for col in (target, rater, score):
        if col not in data.columns:
            raise ValueError(f"Column {col!r} is not in the data (columns: {list(data.columns)}).")
    # Plain arrays rather than DataFrame selection, dropna and Categorical: those cost
    # milliseconds of fixed overhead, which dominates at a thousand targets.
    values = data[score].to_numpy()
    rated = ~pd.isna(values)
    targets, raters = data[target].to_numpy(), data[rater].to_numpy()
    if not rated.all():
        values, targets, raters = values[rated], targets[rated], raters[rated]
    if pd.isna(targets).any() or pd.isna(raters).any():
        raise ValueError("Target and rater identifiers must not be missing.")
    t_codes, _ = factorize_sorted(targets, sort_objects=False)
    r_codes, r_labels = factorize_sorted(raters, sort_objects=False)
    if len(r_labels) < 2:
        raise ValueError(f"Agreement needs at least two raters, got {len(r_labels)}.")
    pair = t_codes * len(r_labels) + r_codes
    if len(pair) and np.bincount(pair).max() > 1:
        raise ValueError("Some rater rated the same target more than once; "
                         "aggregate duplicates before computing agreement.")
    if categories is None and values.dtype.kind in "iufb":
        # Numeric scores: the sorted distinct values are the categories (as _categories).
        codes, cats = factorize_sorted(values)
        cats = list(cats)
    else:
        cats = _categories([values], categories)
        codes = pd.Categorical(values, categories=cats).codes
    return t_codes, r_codes, codes.astype(np.int64), cats, len(r_labels)


def _row_sums(a: np.ndarray) -> np.ndarray:
    """Row sums of a tall, narrow array (einsum: ``sum(axis=1)`` restarts its loop per row)."""
    return np.einsum("ij->i", a)


def _counts(rows: np.ndarray, codes: np.ndarray, q: int) -> np.ndarray:
    """rows x categories counts (float) from row and category codes."""
    n = int(rows.max()) + 1
    return np.bincount(rows * q + codes, minlength=n * q).reshape(n, q).astype(float)


def _count_matrix(data, target, rater, score, categories):
    """targets x categories counts straight from the long frame (no targets x raters pivot)."""
    t_codes, _, codes, cats, _ = _rating_codes(data, target, rater, score, categories)
    return _counts(t_codes, codes, len(cats)), cats


def _coefficient(counts, w, kind, confidence):
    ri = _row_sums(counts)
    if not (ri > 0).all():
        counts, ri = counts[ri > 0], ri[ri > 0]
    n = counts.shape[0]
    q = counts.shape[1]
    two = ri >= 2
    n2 = int(two.sum())
    if n2 < 2:
        raise ValueError("Fewer than two targets were rated by two or more raters; "
                         "agreement is undefined.")
    rw = counts @ w.T
    den = np.where(two, ri * (ri - 1), 1.0)
    pa_i = np.where(two, (np.einsum("ij,ij->i", counts, rw) - ri) / den, 0.0)
    pa = pa_i.sum() / n2
    pi = np.einsum("ij,i->j", counts, 1.0 / ri) / n
    if kind == "fleiss":
        pe = float(pi @ w @ pi)
        piw = (w @ pi + w.T @ pi) / 2
        pe_i = (counts @ piw) / ri
    elif kind == "gwet":
        tw = w.sum()
        pe = float(tw * (pi * (1 - pi)).sum() / (q * (q - 1))) if q > 1 else 0.0
        pe_i = (tw / (q * (q - 1))) * (counts @ (1 - pi)) / ri if q > 1 else np.zeros(n)
    else:
        pe, pe_i = 0.0, np.zeros(n)
    if pe >= 1:
        raise ValueError("All ratings fall in one category; chance agreement is 1 and the "
                         "coefficient is undefined.")
    est = (pa - pe) / (1 - pe)
    c_i = (n / n2) * (pa_i - pe * two) / (1 - pe)
    c_star = c_i - 2 * (1 - est) * (pe_i - pe) / (1 - pe)
    var = ((c_star - est) ** 2).sum() / (n * (n - 1))
    se = float(np.sqrt(var))
    # The t quantile stats.t.ppf computes, without its 0.2 ms of argument handling.
    t = special.stdtrit(n - 1, 1 - (1 - confidence) / 2)
    return float(est), float(est - t * se), float(est + t * se), n, se, float(pa), pe


# The range of each coefficient: chance-corrected ones reach -1 at most (Gwet 2014, sec. 2.4);
# percent agreement is a proportion.
_RANGES = {"fleiss": (-1.0, 1.0), "gwet": (-1.0, 1.0), "raw": (0.0, 1.0)}
# The treatment of incomplete targets, for each result's method (Gwet 2014, sec. 2.5).
_INCOMPLETE = {kind: "a target's pairs from the raters who rated it; targets rated once enter the "
                     "category margins only" for kind in ("fleiss", "gwet")}
_INCOMPLETE["raw"] = "a target's pairs from the raters who rated it; targets rated once left out"


def _run(data, target, rater, score, categories, weights, kind, confidence, label):
    check_level(weights, WEIGHTS, "weights")
    check_conf(confidence)
    counts, cats = _count_matrix(data, target, rater, score, categories)
    w = agreement_weights(len(cats), weights)
    with one_blas_thread():
        est, lo, hi, n, se, pa, pe = _coefficient(counts, w, kind, confidence)
    lo, hi, clipped = truncate(lo, hi, *_RANGES[kind])
    return AgreementResult(estimate=est, ci_low=lo, ci_high=hi, n=n, standard_error=se,
                           observed_agreement=pa, expected_agreement=pe, weights=weights,
                           method=f"{label}; weights={weights}; missing ratings allowed ("
                                  f"{_INCOMPLETE[kind]}); "
                                  f"Gwet (2008) variance, t interval with n-1 df{clipped}")


def fleiss_kappa(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                 score: str = "score", categories: Sequence | None = None,
                 weights: Weights = "none", confidence: float = 0.95) -> AgreementResult:
    r"""Fleiss' kappa for many raters from long-format ratings.

    .. math:: \kappa = \frac{p_a - p_e}{1 - p_e},\quad
              p_a = \frac{1}{n'}\sum_{i: r_i \ge 2}\sum_k \frac{r_{ik}(r^*_{ik} - 1)}
              {r_i(r_i - 1)},\quad p_e = \sum_{k,l} w_{kl}\pi_k\pi_l,\quad
              \pi_k = \frac{1}{n}\sum_i \frac{r_{ik}}{r_i}

    where :math:`r_{ik}` raters put target i in category k and
    :math:`r^*_{ik} = \sum_l w_{kl} r_{il}`. With every target rated by the same number of
    raters and no weights this is exactly Fleiss (1971) and irrCAC's ``fleiss.kappa.raw``.
    Interval: Gwet (2008) variance. For irr's ``kappam.fleiss`` z test (variance under the
    null, complete targets), per-category kappas and the exact version see
    `fleiss_kappa_test`.
    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating: target, rater and score columns. Raters need not rate
        every target: a target's pairs come from the raters who rated it, and targets rated
        once count in the chance-agreement margins but not in the observed agreement (Gwet
        2014), as irrCAC's ``*.raw`` functions.
    target, rater, score : str
        Column names.
    categories : sequence, optional
        The ordered categories (default: the sorted values present).
    weights : {"none", "linear", "quadratic"}
        Agreement weights on the category positions.
    confidence : float
        Coverage of the interval.
    Returns
    -------
    AgreementResult
        ``estimate``, ``ci_low``, ``ci_high`` (t interval with n - 1 df), ``n`` (targets rated
        at least once), ``standard_error`` (Gwet 2008), ``observed_agreement``,
        ``expected_agreement``, ``statistic`` and ``pvalue`` (irrCAC 1.0's two-sided t test of 0),
        ``weights``, ``method``.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin, 76(5), 378-382.
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 2.

    Examples
    --------
    Fleiss (1971) psychiatric diagnoses, 30 patients x 6 raters: 0.430
    (``irr::kappam.fleiss(diagnoses)``). On the Krippendorff (2011) data
    ``irrCAC::fleiss.kappa.raw(cac.raw4raters)`` gives 0.761 with p-value 0.00042:

    >>> from psychometrics.multirater import _doctest_raw4raters
    >>> res = fleiss_kappa(_doctest_raw4raters())
    >>> round(res.estimate, 3), round(res.pvalue, 5)
    (0.761, 0.00042)
    """
    return _with_test(_run(data, target, rater, score, categories, weights, "fleiss", confidence,
                           "Fleiss (1971) generalised to missing ratings (Gwet 2014)"))


def gwet_ac1(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
             score: str = "score", categories: Sequence | None = None,
             confidence: float = 0.95) -> AgreementResult:
    r"""Gwet's AC1 for many raters (nominal categories), missing ratings allowed.

    .. math:: AC_1 = \frac{p_a - p_e}{1 - p_e},\quad
              p_e = \frac{1}{q-1}\sum_k \pi_k (1 - \pi_k)

    with :math:`p_a` and :math:`\pi_k` as in `fleiss_kappa` (irrCAC's ``gwet.ac1.raw``).
    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating: target, rater and score columns. Raters need not rate
        every target: a target's pairs come from the raters who rated it, and targets rated
        once count in the chance-agreement margins but not in the observed agreement (Gwet
        2014), as irrCAC's ``*.raw`` functions.
    target, rater, score : str
        Column names.
    categories : sequence, optional
        The categories (default: the values present).
    confidence : float
        Coverage of the interval.
    Returns
    -------
    AgreementResult
        ``estimate``, ``ci_low``, ``ci_high`` (t interval with n - 1 df), ``n`` (targets rated
        at least once), ``standard_error`` (Gwet 2008), ``observed_agreement``,
        ``expected_agreement``, ``statistic`` and ``pvalue`` (irrCAC 1.0's two-sided t test of 0),
        ``weights``, ``method``.

    References
    ----------
    Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of
    high agreement. British Journal of Mathematical and Statistical Psychology, 61, 29-48.

    Examples
    --------
    Krippendorff (2011) data as ``irrCAC::cac.raw4raters``: ``gwet.ac1.raw`` gives 0.7754,
    standard error 0.143 and p-value 0.00021:

    >>> from psychometrics.multirater import _doctest_raw4raters
    >>> res = gwet_ac1(_doctest_raw4raters())
    >>> round(res.estimate, 4), round(res.standard_error, 3), round(res.pvalue, 5)
    (0.7754, 0.143, 0.00021)
    """
    return _with_test(_run(data, target, rater, score, categories, "none", "gwet", confidence,
                           "Gwet (2008) AC1"))


def gwet_ac2(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
             score: str = "score", categories: Sequence | None = None,
             weights: Literal["linear", "quadratic"] = "quadratic",
             confidence: float = 0.95) -> AgreementResult:
    r"""Gwet's AC2: AC1 with agreement weights for ordered categories.

    .. math:: AC_2 = \frac{p_a - p_e}{1 - p_e},\quad
              p_e = \frac{T_w}{q(q-1)}\sum_k \pi_k (1 - \pi_k)

    with :math:`T_w = \sum_{kl} w_{kl}` and weighted :math:`p_a` (see `fleiss_kappa`);
    irrCAC's ``gwet.ac1.raw(ratings, weights = "quadratic")``.
    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating: target, rater and score columns. Raters need not rate
        every target: a target's pairs come from the raters who rated it, and targets rated
        once count in the chance-agreement margins but not in the observed agreement (Gwet
        2014), as irrCAC's ``*.raw`` functions.
    target, rater, score : str
        Column names.
    categories : sequence, optional
        The ordered categories (default: the sorted values present); weights use positions.
    weights : {"linear", "quadratic"}
        Agreement weights.
    confidence : float
        Coverage of the interval.
    Returns
    -------
    AgreementResult
        ``estimate``, ``ci_low``, ``ci_high`` (t interval with n - 1 df), ``n`` (targets rated
        at least once), ``standard_error`` (Gwet 2008), ``observed_agreement``,
        ``expected_agreement``, ``statistic`` and ``pvalue`` (irrCAC 1.0's two-sided t test of 0),
        ``weights``, ``method``.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 5.

    Examples
    --------
    ``irrCAC::gwet.ac1.raw(cac.raw4raters, weights = "quadratic")`` gives AC2 0.914, p 3e-06:

    >>> from psychometrics.multirater import _doctest_raw4raters
    >>> res = gwet_ac2(_doctest_raw4raters(), weights="quadratic")
    >>> round(res.estimate, 3), round(res.pvalue, 6)
    (0.914, 3e-06)
    """
    if weights not in ("linear", "quadratic"):
        raise ValueError(f"AC2 weights must be 'linear' or 'quadratic', got {weights!r}.")
    return _with_test(_run(data, target, rater, score, categories, weights, "gwet", confidence,
                           "Gwet (2014) AC2"))


def percent_agreement(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                      score: str = "score", confidence: float = 0.95) -> AgreementResult:
    r"""Proportion of agreeing rater pairs, averaged over targets rated at least twice.

    .. math:: p_a = \frac{1}{n'}\sum_{i: r_i \ge 2}\sum_k \frac{r_{ik}(r_{ik} - 1)}
              {r_i(r_i - 1)}

    This is the *pairwise* agreement (irrCAC's ``pa.coeff.raw``): with two raters, the share of
    targets on which they agree; with more, the share of agreeing rater pairs. The share of
    targets on which *all* raters agree (``irr::agree``) is `all_rater_agreement`.
    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating: target, rater and score columns. Raters need not rate
        every target: a target's pairs come from the raters who rated it, and targets rated
        once count in the chance-agreement margins but not in the observed agreement (Gwet
        2014), as irrCAC's ``*.raw`` functions.
    target, rater, score : str
        Column names.
    confidence : float
        Coverage of the interval.
    Returns
    -------
    AgreementResult
        ``estimate``, ``ci_low``, ``ci_high`` (t interval with n - 1 df), ``n`` (targets rated
        at least once), ``standard_error`` (Gwet 2008), ``observed_agreement``,
        ``expected_agreement``, ``statistic`` and ``pvalue`` (irrCAC 1.0's two-sided t test of 0),
        ``weights``, ``method``.

    References
    ----------
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), sec. 2.

    Examples
    --------
    Two raters agreeing on 5 of 6 targets: 0.8333 (``irr::agree`` gives 83.3%). On the
    Krippendorff (2011) data ``irrCAC::pa.coeff.raw(cac.raw4raters)`` gives 0.8182:

    >>> from psychometrics.multirater import _doctest_raw4raters
    >>> round(percent_agreement(_doctest_raw4raters()).estimate, 4)
    0.8182
    """
    return _with_test(_run(data, target, rater, score, None, "none", "raw", confidence,
                           "pairwise percent agreement (no chance correction)"))


def _doctest_raw4raters() -> pd.DataFrame:
    """irrCAC's ``cac.raw4raters`` (12 units x 4 raters, Krippendorff 2011's reliability data
    with the raters as irrCAC arranges them) as a long frame."""
    units = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2],
             [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5],
             [None, None, 1, 1], [None, None, 3, None]]
    return pd.DataFrame([(t, r, v) for t, row in enumerate(units) for r, v in enumerate(row)
                         if v is not None], columns=["target", "rater", "score"])
