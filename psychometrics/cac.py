"""Conger's kappa and Krippendorff's alpha with Gwet's (2014) linearised standard errors.

irrCAC's ``conger.kappa.raw`` and ``krippen.alpha.raw``: the same targets x categories count
matrix as `fleiss_kappa` (missing ratings allowed), a variance from the linearisation of the
coefficient over targets, a t interval and a t test on n - 1 degrees of freedom.
"""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import special

from ._base import check_conf, check_level, one_blas_thread
from .kappa import WEIGHTS, Weights, agreement_weights
from .multirater import AgreementResult, _counts, _rating_codes, _row_sums

KrippLevel = Literal["nominal", "ordinal", "interval", "ratio"]


def _t_result(est, se, n, df_n, pa, pe, weights, confidence, method) -> AgreementResult:
    t = special.stdtrit(df_n - 1, 1 - (1 - confidence) / 2)
    hi = est + t * se
    clipped = hi > 1
    stat = est / se if se > 0 else float("nan")
    p = float(2 * special.stdtr(df_n - 1, -abs(stat))) if se > 0 else float("nan")
    method += ("; Gwet (2014) linearised variance, t interval and two-sided t test of 0 on "
               "n-1 df (irrCAC 1.0)")
    if clipped:
        method += "; upper limit clipped at 1, the coefficient's maximum (as irrCAC)"
    return AgreementResult(estimate=float(est), ci_low=float(est - t * se),
                           ci_high=float(min(hi, 1.0)), n=int(n), standard_error=float(se),
                           observed_agreement=float(pa), expected_agreement=float(pe),
                           weights=weights, method=method, statistic=float(stat), pvalue=p)


def conger_kappa(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                 score: str = "score", categories: Sequence | None = None,
                 weights: Weights = "none", confidence: float = 0.95) -> AgreementResult:
    r"""Conger's (1980) kappa for many raters, missing ratings allowed (irrCAC's Conger).

    Chance agreement uses each rater's own category distribution
    :math:`p_{gk}` (Cohen's idea generalised), not the pooled one of Fleiss:

    .. math:: p_e = \sum_{k,l} w_{kl}\left(\bar p_k \bar p_l - \frac{s^2_{kl}}{r}\right),\quad
              \bar p_k = \frac{1}{r}\sum_g p_{gk},\quad
              s^2_{kl} = \frac{1}{r-1}\sum_g (p_{gk} - \bar p_k)(p_{gl} - \bar p_l)

    and :math:`\kappa_C = (p_a - p_e)/(1 - p_e)` with :math:`p_a` as in `fleiss_kappa`. With
    complete data and no weights this is ``irr::kappam.fleiss(ratings, exact = TRUE)``.
    The standard error is Gwet's linearisation (irrCAC ``conger.kappa.raw``); the interval is
    :math:`\kappa \pm t_{n-1} SE` with the upper limit clipped at 1 as irrCAC does (``method``
    says so when it happens), and ``pvalue`` is the two-sided t test of 0.

    Parameters
    ----------
    data : DataFrame
        Long format (target, rater, score). Raters need not rate every target; targets rated
        once count in the margins but not in the observed agreement (irrCAC's treatment).
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
        ``estimate``, ``ci_low``, ``ci_high``, ``n`` (targets rated at least once),
        ``standard_error``, ``observed_agreement``, ``expected_agreement``, ``statistic`` (t),
        ``pvalue``, ``weights``, ``method``.

    References
    ----------
    Conger, A. J. (1980). Integration and generalization of kappas for multiple raters.
    Psychological Bulletin, 88(2), 322-328.
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 5.

    Examples
    --------
    ``irrCAC::conger.kappa.raw(cac.raw4raters)``: pa 0.818, pe 0.233, kappa 0.763, lower
    limit 0.435, p-value 0.00034:

    >>> from psychometrics.multirater import _doctest_raw4raters
    >>> res = conger_kappa(_doctest_raw4raters())
    >>> round(res.estimate, 3), round(res.ci_low, 3), round(res.pvalue, 5)
    (0.763, 0.435, 0.00034)
    >>> round(res.expected_agreement, 5)  # irrCAC pe
    0.23343
    """
    check_level(weights, WEIGHTS, "weights")
    check_conf(confidence)
    t_codes, r_codes, codes, cats, r = _rating_codes(data, target, rater, score, categories)
    with one_blas_thread():
        kappa, se, n, pa, pe = _conger(t_codes, r_codes, codes, len(cats), r,
                                       agreement_weights(len(cats), weights))
    return _t_result(kappa, se, n, n, pa, pe, weights, confidence,
                     f"Conger (1980) kappa; weights={weights}; missing ratings allowed, targets "
                     "rated once count in the rater margins only")


def _conger(t_codes, r_codes, codes, q, r, w):
    """Conger's kappa, its Gwet (2014) standard error, n, p_a and p_e from rating codes."""
    counts = _counts(t_codes, codes, q)
    n = counts.shape[0]
    classif = _counts(r_codes, codes, q)
    ri = _row_sums(counts)
    two = ri >= 2
    n2 = int(two.sum())
    if n2 < 2:
        raise ValueError("Fewer than two targets were rated by two or more raters; "
                         "agreement is undefined.")
    rw = counts @ w.T
    sum_q = np.einsum("ij,ij->i", counts, rw) - ri
    pa_i = np.where(two, sum_q / np.where(two, ri * (ri - 1), 1.0), 0.0)
    pa = pa_i[two].sum() / n2
    ng = classif.sum(axis=1)
    pgk = classif / ng[:, None]
    pbar = pgk.mean(axis=0)
    s2 = (pgk.T @ pgk - r * np.outer(pbar, pbar)) / (r - 1)
    pe = float((w * (np.outer(pbar, pbar) - s2 / r)).sum())
    if pe >= 1:
        raise ValueError("All ratings fall in one category; chance agreement is 1 and the "
                         "coefficient is undefined.")
    kappa = (pa - pe) / (1 - pe)
    # Linearisation of p_e (irrCAC's lamda.ig), per target: irrCAC's sum over raters g and
    # categories k of scale_g c_gk (a_k[i, g] - (rated[i, g] - share_g) pw[g, k]), where
    # a_k[i, g] = w[k, rating of g on i], c_gk = r pbar_k - p_gk, scale_g share_g = 1, is one
    # term per rating plus a constant: summed with a bincount, not a loop over categories.
    pw = pgk @ w.T                     # (r, q): sum_l w[k, l] p_gl for each rater, k
    c = r * pbar[None, :] - pgk
    e = (c * pw).sum(axis=1)
    per_rating = (n / ng)[r_codes] * ((c @ w)[r_codes, codes] - e[r_codes])
    lam = np.bincount(t_codes, weights=per_rating, minlength=n) + e.sum()
    pe_i = lam / (r * (r - 1))
    c_i = (n / n2) * (pa_i - pe * two) / (1 - pe)
    c_star = c_i - 2 * (1 - kappa) * (pe_i - pe) / (1 - pe)
    se = float(np.sqrt(((c_star - kappa) ** 2).sum() / (n * (n - 1))))
    return kappa, se, n, pa, pe


def _kripp_weights(cats: list, level: str, margins: np.ndarray) -> np.ndarray:
    """Agreement weights 1 - delta^2/max(delta^2) on the category values for a level."""
    if level == "nominal":
        return np.eye(len(cats))
    v = np.asarray(cats, dtype=float)
    if level == "interval":
        d = np.subtract.outer(v, v) ** 2
    elif level == "ratio":
        s = np.add.outer(v, v)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(s == 0, 0.0, (np.subtract.outer(v, v) / s) ** 2)
    else:  # ordinal: Krippendorff's frequency-based metric
        cum = np.concatenate([[0.0], np.cumsum(margins)])
        i = np.arange(len(v))
        lo, hi = np.minimum.outer(i, i), np.maximum.outer(i, i)
        d = (cum[hi + 1] - cum[lo] - (margins[:, None] + margins[None, :]) / 2) ** 2
    top = d.max()
    return 1 - d / top if top > 0 else np.ones_like(d)


def krippendorff_alpha_gwet(data: pd.DataFrame, *, target: str = "target",
                            rater: str = "rater", score: str = "score",
                            level: KrippLevel = "nominal", categories: Sequence | None = None,
                            confidence: float = 0.95) -> AgreementResult:
    r"""Krippendorff's alpha with the standard error, interval and p that irrCAC computes.

    Gwet's (2014) formulation of Krippendorff's alpha over the n' targets rated at least
    twice (:math:`\bar r` their mean number of ratings, :math:`\epsilon = 1/\sum r_i`):

    .. math:: p'_a = \frac{1}{n'}\sum_i\sum_k \frac{r_{ik}(r^*_{ik} - 1)}{\bar r(r_i - 1)},
              \quad p_a = (1-\epsilon)p'_a + \epsilon,\quad
              p_e = \sum_{kl} w_{kl}\pi_k\pi_l,\quad \pi_k = \frac{1}{n'}\sum_i
              \frac{r_{ik}}{\bar r},\quad \alpha = \frac{p_a - p_e}{1 - p_e}

    with agreement weights :math:`w = 1 - \delta^2/\max\delta^2` from Krippendorff's metric
    for the ``level`` (nominal: identity; interval: squared differences of the category
    values; ratio: :math:`((c-k)/(c+k))^2`; ordinal: Krippendorff's rank metric from the
    category frequencies). The estimate equals `krippendorff_alpha` at the same level; this
    function adds irrCAC ``krippen.alpha.raw``'s linearised standard error, its t interval
    (:math:`t_{n'-1}`; upper limit clipped at 1 as irrCAC) and the two-sided t test of 0, as
    irrCAC 1.0 (CRAN) computes them; ``n`` is n', the pairable targets. (irrCAC's own "ordinal" weights differ from
    Krippendorff's ordinal metric; here the level means Krippendorff's metric, so the
    estimate stays Krippendorff's.) For a bootstrap interval use `krippendorff_alpha` with
    ``n_boot``.

    Parameters
    ----------
    data : DataFrame
        Long format (target, rater, score); targets rated once are not pairable and are left
        out (Krippendorff's treatment; ``n`` counts the pairable targets).
    target, rater, score : str
        Column names.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Krippendorff's metric; all but nominal need numeric categories.
    categories : sequence, optional
        The categories (default: the sorted values present).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    AgreementResult
        ``observed_agreement`` is :math:`p_a`, ``expected_agreement`` :math:`p_e`; ``weights``
        names the level.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication Departmental Papers 43.
    Gwet, K. L. (2014). Handbook of Inter-Rater Reliability (4th ed.), ch. 3.

    Examples
    --------
    ``irrCAC::krippen.alpha.raw(cac.raw4raters)``: alpha 0.743, se 0.146, lower limit 0.419,
    p-value 0.00046:

    >>> from psychometrics.multirater import _doctest_raw4raters
    >>> res = krippendorff_alpha_gwet(_doctest_raw4raters())
    >>> round(res.estimate, 3), round(res.standard_error, 3), round(res.pvalue, 5)
    (0.743, 0.146, 0.00046)
    """
    check_level(level, ("nominal", "ordinal", "interval", "ratio"), "level")
    check_conf(confidence)
    t_codes, _, codes, cats, _ = _rating_codes(data, target, rater, score, categories)
    if level != "nominal":
        try:
            np.asarray(cats, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"The {level} level needs numeric categories.") from None
    with one_blas_thread():
        alpha, se, n, pa, pe = _kripp_gwet(_counts(t_codes, codes, len(cats)), cats, level)
    return _t_result(alpha, se, n, n, pa, pe, level, confidence,
                     f"Krippendorff (2011) alpha, {level} metric, in Gwet's (2014) form; "
                     "pairable targets only (rated at least twice)")


def _kripp_gwet(counts, cats, level):
    """Krippendorff's alpha in Gwet's form with its standard error, n', p_a and p_e."""
    counts = counts[_row_sums(counts) >= 2]
    n = counts.shape[0]
    if n < 2:
        raise ValueError("Fewer than two targets were rated by two or more raters; "
                         "alpha is undefined.")
    w = _kripp_weights(cats, level, counts.sum(axis=0))
    ri = _row_sums(counts)
    rbar = ri.mean()
    eps = 1 / ri.sum()
    sum_q = np.einsum("ij,ij->i", counts, counts @ w.T) - ri
    pa_prime = (sum_q / (rbar * (ri - 1))).sum() / n
    pa = (1 - eps) * pa_prime + eps
    pi = (counts / rbar).mean(axis=0)
    pe = float(pi @ w @ pi)
    if pe >= 1:
        raise ValueError("All pairable values are identical; expected disagreement is zero "
                         "and alpha is undefined.")
    alpha = (pa - pe) / (1 - pe)
    alpha_prime = (pa_prime - pe) / (1 - pe)
    # irrCAC 1.0 centres with p_a here (its later sources use p'_a).
    pa_i = sum_q / (rbar * (ri - 1)) - pa * (ri - rbar) / rbar
    k_i = (pa_i - pe) / (1 - pe)
    piw = (w @ pi + w.T @ pi) / 2
    pe_i = (counts @ piw) / rbar - pe * (ri - rbar) / rbar
    k_star = k_i - 2 * (1 - alpha_prime) * (pe_i - pe) / (1 - pe)
    se = float(np.sqrt(((k_star - alpha_prime) ** 2).sum() / (n * (n - 1))))
    return alpha, se, n, pa, pe
