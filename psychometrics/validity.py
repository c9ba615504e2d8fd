"""Validity: correlations with intervals, disattenuation, Bland-Altman, mean absolute error."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from ._base import ResultMixin, check_conf, check_level, truncate


@dataclass(frozen=True, slots=True)
class CorrelationResult(ResultMixin):
    """A correlation coefficient with its Fisher-z interval and two-sided p-value."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    pvalue: float
    method: str
    out_of_range: str = ""
    """Why the estimate lies beyond the coefficient's logical bound, when it does."""
    statistic: float = float("nan")
    df: float = float("nan")


@dataclass(frozen=True, slots=True)
class BlandAltmanResult(ResultMixin):
    """Bland-Altman bias (``estimate``) with its interval and the limits of agreement."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    sd_difference: float
    loa_low: float
    loa_high: float
    loa_low_ci: tuple
    loa_high_ci: tuple
    method: str


@dataclass(frozen=True, slots=True)
class MeanResult(ResultMixin):
    """A mean of per-target losses (MAE, Brier) with a t interval."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    method: str


def _pair(x, y, minimum: int = 3) -> tuple[np.ndarray, np.ndarray]:
    try:
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError("Scores must be numeric.") from None
    if x.shape != y.shape:
        raise ValueError(f"The two score columns differ in length ({len(x)} and {len(y)}).")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < minimum:
        raise ValueError(f"At least {minimum} targets with both scores are needed, "
                         f"got {len(x)}.")
    return x, y


def _fisher(r: float, se: float, confidence: float) -> tuple[float, float]:
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    q = special.ndtri(1 - (1 - confidence) / 2)  # stats.norm.ppf without its argument checks
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se))


def _r_and_t_pvalue(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson's r of two complete columns and its two-sided p from t on n - 2 df (the p
    ``scipy.stats.pearsonr`` gets from the equivalent beta distribution, and ``spearmanr`` on
    ranks), without scipy's per-call checks: one pass of centred dot products."""
    xc, yc = x - x.mean(), y - y.mean()
    r = float(np.clip(xc @ yc / np.sqrt((xc @ xc) * (yc @ yc)), -1.0, 1.0))
    df = len(x) - 2
    t = r * np.sqrt(df / (1 - r * r)) if abs(r) < 1 else float(np.sign(r) * np.inf)
    return r, float(2 * special.stdtr(df, -abs(t)))


def _check_spread(x, y):
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("A score column is constant; the correlation is undefined.")


def pearson_r(x, y, *, confidence: float = 0.95) -> CorrelationResult:
    r"""Pearson's r with its t test and the Fisher z interval, as ``cor.test``.

    The test statistic is :math:`t = r\sqrt{(n-2)/(1-r^2)}` on n - 2 degrees of freedom
    (``statistic``, ``df``; ``cor.test``'s ``statistic`` and ``parameter``) with its two-sided
    ``pvalue``; the interval is :math:`\tanh(\mathrm{atanh}\,r \pm q/\sqrt{n-3})`.

    Parameters
    ----------
    x, y : array-like
        Paired scores; a pair with a missing value is dropped (pairwise deletion).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    CorrelationResult
        ``estimate``, ``ci_low``, ``ci_high``, ``n`` (complete pairs), ``pvalue``,
        ``statistic`` (t), ``df``, ``method``.

    References
    ----------
    Fisher, R. A. (1921). On the probable error of a coefficient of correlation deduced from a
    small sample. Metron, 1, 3-32.

    Examples
    --------
    >>> res = pearson_r([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])  # cor.test(x, y)
    >>> round(res.estimate, 4), round(res.statistic, 4), res.df
    (0.8, 2.3094, 3.0)
    """
    check_conf(confidence)
    x, y = _pair(x, y, 4)
    _check_spread(x, y)
    r, pvalue = _r_and_t_pvalue(x, y)
    lo, hi = _fisher(r, 1 / np.sqrt(len(x) - 3), confidence)
    df = len(x) - 2
    t = r * np.sqrt(df / (1 - r * r)) if abs(r) < 1 else float(np.sign(r) * np.inf)
    return CorrelationResult(estimate=r, ci_low=lo, ci_high=hi, n=len(x), pvalue=pvalue,
                             method="Pearson r; t test on n-2 df and Fisher z interval (as "
                                    "cor.test); pairs with a missing value dropped",
                             statistic=float(t), df=float(df))


def spearman_rho(x, y, *, confidence: float = 0.95,
                 interval: Literal["fieller", "fisher"] = "fieller") -> CorrelationResult:
    r"""Spearman's rho with the Fieller, Hartley & Pearson (1957) or plain Fisher interval.

    The estimate equals ``cor(x, y, method = "spearman")`` (ties get mid-ranks); ``pvalue`` is
    scipy's t approximation. The interval is Fisher's z transform with
    :math:`SE = \sqrt{1.06/(n-3)}` (``interval="fieller"``, the default) or the plain
    :math:`1/\sqrt{n-3}` of Pearson's r (``interval="fisher"``). Fieller et al. showed by
    simulation that the sampling variance of atanh(rho) is about 1.06/(n-3), so the plain
    Fisher interval is too narrow for rank correlations; it is offered because some software
    (and many papers) use it, and ``method`` names which one was used.

    Parameters
    ----------
    x, y : array-like
        Paired scores (at least five complete pairs); pairs with a missing value are dropped.
    confidence : float
        Coverage of the interval.
    interval : {"fieller", "fisher"}
        The standard error of atanh(rho), as above.

    Returns
    -------
    CorrelationResult

    References
    ----------
    Fieller, E. C., Hartley, H. O., & Pearson, E. S. (1957). Tests for rank correlation
    coefficients. I. Biometrika, 44, 470-481.

    Examples
    --------
    >>> round(spearman_rho([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]).estimate, 4)
    0.8
    """
    check_level(interval, ("fieller", "fisher"), "interval")
    if interval == "fisher":
        return _rank_correlation(x, y, _spearman, variance=1.0, lost_df=3,
                                 confidence=confidence,
                                 method="Spearman rho; plain Fisher z interval, SE 1/sqrt(n-3); "
                                        "pairs with a missing value dropped")
    return _rank_correlation(x, y, _spearman, variance=1.06, lost_df=3, confidence=confidence,
                             method="Spearman rho; Fieller et al. (1957) z interval, SE "
                                    "sqrt(1.06/(n-3)); pairs with a missing value dropped")


def kendall_tau(x, y, *, confidence: float = 0.95) -> CorrelationResult:
    r"""Kendall's tau-b with the Fieller, Hartley & Pearson (1957) interval.

    Fisher z with :math:`SE = \sqrt{0.437/(n-4)}`; the estimate equals
    ``cor(x, y, method = "kendall")`` (tau-b).

    Parameters
    ----------
    x, y : array-like
        Paired scores (at least five complete pairs); pairs with a missing value are dropped.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    CorrelationResult
        ``estimate`` (tau-b), ``ci_low``, ``ci_high``, ``n``, ``pvalue`` (scipy's), ``method``.

    References
    ----------
    Fieller, E. C., Hartley, H. O., & Pearson, E. S. (1957). Biometrika, 44, 470-481.

    Examples
    --------
    >>> round(kendall_tau([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]).estimate, 4)
    0.6
    """
    return _rank_correlation(x, y, _kendall, variance=0.437, lost_df=4, confidence=confidence,
                             method="Kendall tau-b; Fieller et al. (1957) z interval; pairs with a "
                                    "missing value dropped")


def _spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson's r of the mid-ranks and its t p-value: what ``scipy.stats.spearmanr`` computes."""
    return _r_and_t_pvalue(stats.rankdata(x), stats.rankdata(y))


def _kendall(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    res = stats.kendalltau(x, y)
    return float(res.statistic), float(res.pvalue)


def _rank_correlation(x, y, correlate, *, variance: float, lost_df: int, confidence: float,
                      method: str) -> CorrelationResult:
    """A rank correlation with its Fieller et al. (1957) interval: Fisher z with
    SE = sqrt(variance / (n - lost_df))."""
    check_conf(confidence)
    x, y = _pair(x, y, 5)
    _check_spread(x, y)
    r, pvalue = correlate(x, y)
    lo, hi = _fisher(r, np.sqrt(variance / (len(x) - lost_df)), confidence)
    return CorrelationResult(estimate=r, ci_low=lo, ci_high=hi, n=len(x), pvalue=pvalue, method=method)


def disattenuated_r(x, y, *, reliability_x: float, reliability_y: float,
                    confidence: float = 0.95) -> CorrelationResult:
    r"""Pearson's r corrected for attenuation: :math:`r_{xy}/\sqrt{r_{xx} r_{yy}}`.

    The interval divides the Fisher limits of r by the same factor, treating the
    reliabilities as known (Hunter & Schmidt 2004), and is truncated to [-1, 1], the range of a
    correlation (``method`` says when). The estimate is not clipped: one beyond +-1 is returned
    with ``out_of_range`` saying why (a reliability used is an underestimate, or r is inflated by
    sampling error); it is not a correlation and should not be read as one.

    Parameters
    ----------
    x, y : array-like
        Paired scores; pairs with a missing value are dropped.
    reliability_x, reliability_y : float
        Reliabilities of the two scores, in (0, 1].
    confidence : float
        Coverage of the interval.

    Returns
    -------
    CorrelationResult
        The corrected ``estimate`` and interval, ``n``, ``pvalue`` of the uncorrected r.

    References
    ----------
    Spearman, C. (1904). The proof and measurement of association between two things. American
    Journal of Psychology, 15, 72-101.
    Hunter, J. E., & Schmidt, F. L. (2004). Methods of Meta-Analysis (2nd ed.), ch. 3.

    Examples
    --------
    >>> round(disattenuated_r([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], reliability_x=0.8,
    ...                       reliability_y=0.8).estimate, 4)
    1.0
    """
    for name, rel in (("reliability_x", reliability_x), ("reliability_y", reliability_y)):
        if not 0 < rel <= 1:
            raise ValueError(f"{name} must be in (0, 1], got {rel!r}.")
    base = pearson_r(x, y, confidence=confidence)
    f = float(np.sqrt(reliability_x * reliability_y))
    estimate = base.estimate / f
    low, high, clipped = truncate(base.ci_low / f, base.ci_high / f, -1.0, 1.0)
    why = ""
    if abs(estimate) > 1 + 1e-12:
        why = (f"The corrected correlation {estimate:.3f} is beyond the bound of a correlation (|r| <= 1): "
               f"the observed |r| ({abs(base.estimate):.3f}) exceeds the square root of the reliabilities used "
               f"({f:.3f}), so a reliability is underestimated or r is inflated by sampling error "
               f"(n = {base.n}); the corrected value cannot be interpreted.")
    return CorrelationResult(estimate=estimate, ci_low=low, ci_high=high, n=base.n, pvalue=base.pvalue,
                             method="Spearman (1904) correction for attenuation; Fisher "
                                    f"interval of r divided by sqrt(rxx ryy); pairs with a missing "
                                    f"value dropped{clipped}",
                             out_of_range=why)


def bland_altman(x, y, *, confidence: float = 0.95, agreement: float = 0.95
                 ) -> BlandAltmanResult:
    r"""Bland-Altman bias and limits of agreement of two measurements of the same targets.

    d = x - y; bias :math:`\bar d` with a t interval; limits :math:`\bar d \pm z s_d`
    (z for ``agreement``, 1.96 by default) with approximate intervals
    :math:`\pm t\sqrt{3 s_d^2/n}` (Bland & Altman 1986, 1999).

    Parameters
    ----------
    x, y : array-like
        Two measurements of the same targets; pairs with a missing value are dropped.
    confidence : float
        Coverage of the intervals of the bias and the limits.
    agreement : float
        Share of differences the limits of agreement should cover (0.95: mean +- 1.96 SD).

    Returns
    -------
    BlandAltmanResult
        ``estimate`` (bias), ``ci_low``, ``ci_high``, ``n``, ``sd_difference``, ``loa_low``,
        ``loa_high`` and their intervals, ``method``.

    References
    ----------
    Bland, J. M., & Altman, D. G. (1986). Statistical methods for assessing agreement between
    two methods of clinical measurement. Lancet, 327(8476), 307-310.
    Bland, J. M., & Altman, D. G. (1999). Measuring agreement in method comparison studies.
    Statistical Methods in Medical Research, 8(2), 135-160.

    Examples
    --------
    >>> round(bland_altman([1, 2, 3, 4], [1.5, 2, 2.5, 4]).estimate, 4)
    0.0
    """
    check_conf(confidence)
    check_conf(agreement)
    x, y = _pair(x, y, 3)
    d = x - y
    n = len(d)
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    t = stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
    z = stats.norm.ppf(1 - (1 - agreement) / 2)
    se_bias = sd / np.sqrt(n)
    se_loa = np.sqrt(3 * sd ** 2 / n)
    lo, hi = bias - z * sd, bias + z * sd
    return BlandAltmanResult(estimate=bias, ci_low=float(bias - t * se_bias),
                             ci_high=float(bias + t * se_bias), n=n, sd_difference=sd,
                             loa_low=float(lo), loa_high=float(hi),
                             loa_low_ci=(float(lo - t * se_loa), float(lo + t * se_loa)),
                             loa_high_ci=(float(hi - t * se_loa), float(hi + t * se_loa)),
                             method="Bland & Altman (1986) limits of agreement; "
                                    "Bland & Altman (1999) approximate intervals; pairs with a "
                                    "missing value dropped")


def t_mean(values: np.ndarray, confidence: float, method: str,
           bounds: tuple[float, float] = (-np.inf, np.inf)) -> MeanResult:
    r"""Mean of per-target values with a t interval, truncated to ``bounds`` (the range the
    mean can take, e.g. >= 0 for a mean absolute error); ``method`` says when it was.

    Parameters
    ----------
    values : 1-D array
        Per-target values (at least two).
    confidence : float
        Coverage of the interval :math:`\bar x \pm t_{n-1} s/\sqrt n`.
    method : str
        The result's ``method``, to which a truncation note is added.
    bounds : (float, float)
        The range the mean can take.

    Returns
    -------
    MeanResult

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika, 6(1), 1-25.

    Examples
    --------
    >>> import numpy as np
    >>> res = t_mean(np.array([0.0, 0.0, 0.0, 3.0]), 0.95, "errors", bounds=(0.0, np.inf))
    >>> res.estimate, res.ci_low
    (0.75, 0.0)
    """
    n = len(values)
    m = float(values.mean())
    se = values.std(ddof=1) / np.sqrt(n)
    t = stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
    low, high, clipped = truncate(m - t * se, m + t * se, *bounds)
    return MeanResult(estimate=m, ci_low=low, ci_high=high, n=n, method=method + clipped)


def mean_absolute_error(x, y, *, confidence: float = 0.95) -> MeanResult:
    r"""Mean absolute error :math:`\frac{1}{n}\sum|x_i - y_i|` with a t interval, whose lower
    limit is raised to 0 when it falls below (an absolute error cannot be negative).

    Parameters
    ----------
    x, y : array-like
        Paired scores (e.g. human and LLM); pairs with a missing value are dropped.
    confidence : float
        Coverage of the t interval over targets.

    Returns
    -------
    MeanResult
        ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``method``.

    References
    ----------
    Willmott, C. J., & Matsuura, K. (2005). Advantages of the mean absolute error (MAE) over
    the root mean square error (RMSE). Climate Research, 30, 79-82.

    Examples
    --------
    >>> mean_absolute_error([1, 2, 3], [1, 3, 5]).estimate
    1.0
    """
    check_conf(confidence)
    x, y = _pair(x, y, 2)
    return t_mean(np.abs(x - y), confidence,
                  "mean absolute error; t interval; pairs with a missing value dropped", bounds=(0.0, np.inf))
