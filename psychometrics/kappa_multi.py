"""irr's multi-rater statistics on complete targets: Fleiss' kappa z test with per-category
kappas (and the exact Conger version), Light's kappa, and the share of unanimous targets.

``irr`` drops every target with a missing rating (``na.omit``) before computing these; so do
the functions here, and each result counts the targets dropped and says so in ``method``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ._base import ResultMixin, check_conf, factorize_sorted, long_to_matrix
from .kappa import kappa_from_table
from .proportion import proportion_ci


@dataclass(frozen=True, slots=True)
class FleissTestResult(ResultMixin):
    """Fleiss' kappa with irr's z test and per-category kappas (``kappam.fleiss``)."""

    estimate: float
    z: float
    pvalue: float
    standard_error_null: float
    n: int
    n_raters: int
    n_dropped: int
    exact: bool
    categories: pd.DataFrame | None
    method: str


@dataclass(frozen=True, slots=True)
class LightKappaResult(ResultMixin):
    """Light's kappa, the mean of the pairwise Cohen kappas, with irr's z test."""

    estimate: float
    z: float
    pvalue: float
    n: int
    n_raters: int
    n_dropped: int
    pairwise: dict
    method: str


@dataclass(frozen=True, slots=True)
class AllRaterAgreementResult(ResultMixin):
    """Share of targets on which all raters agree (within a tolerance), Wilson interval."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_agree: int
    n_raters: int
    n_dropped: int
    percent: float
    tolerance: float
    method: str


def _complete(data, target, rater, score):
    """targets x raters object matrix of complete targets, and how many were dropped."""
    numeric = (isinstance(data, pd.DataFrame) and score in data.columns
               and pd.api.types.is_numeric_dtype(data[score]))
    # Numeric scores pivot to a float array (fast); categories of any type to objects.
    x, _, raters = long_to_matrix(data, target=target, rater=rater, score=score,
                                  numeric=numeric)
    if len(raters) < 2:
        raise ValueError(f"Agreement needs at least two raters, got {len(raters)}.")
    full = ~pd.isna(x).any(axis=1)
    dropped = int((~full).sum())
    x = x[full]
    if x.shape[0] < 2:
        raise ValueError(f"Only {x.shape[0]} target(s) were rated by every rater; these "
                         "statistics need complete targets (irr drops incomplete ones).")
    return x, raters, dropped


def _dropped_note(dropped: int) -> str:
    return (f"complete targets only: {dropped} target(s) with a missing rating dropped"
            if dropped else "complete targets only (none dropped)")


def fleiss_kappa_test(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                      score: str = "score", exact: bool = False) -> FleissTestResult:
    r"""Fleiss' kappa with the z test and per-category kappas of ``irr::kappam.fleiss``.

    On the n targets rated by all m raters (:math:`x_{ij}` raters put target i in category
    j, :math:`p_j = \sum_i x_{ij}/(nm)`), the estimate is Fleiss' (1971) kappa (the same as
    `fleiss_kappa` on complete data) and the z statistic uses the variance under the null of
    Fleiss, Nee & Landis (1979):

    .. math:: \mathrm{var}_0 = \frac{2}{nm(m-1)}\,
              \frac{P_2 - (2m-3)P_2^2 + 2(m-2)P_3}{(1-P_2)^2},\quad
              P_2 = \sum_j p_j^2,\ P_3 = \sum_j p_j^3

    with a two-sided normal p-value (``kappam.fleiss(ratings)``'s ``statistic`` and
    ``p.value``). ``categories`` is ``detail = TRUE``'s table: for each category
    :math:`\kappa_j = 1 - \sum_i x_{ij}(m - x_{ij}) / (nm(m-1)p_j(1-p_j))` with
    :math:`\mathrm{var}_0(\kappa_j) = [(1+2(m-1)p_j)^2 + 2(m-1)p_j(1-p_j)] /
    (nm(m-1)^2 p_j(1-p_j))`, its z and p (irr prints them rounded to 3 decimals; here they
    are not rounded). ``exact=True`` gives Conger's (1980) exact kappa
    (``kappam.fleiss(ratings, exact = TRUE)``), whose chance agreement subtracts the raters'
    variance of their category shares; irr reports no test for it (NaN here), and
    `conger_kappa` gives it with a standard error and missing ratings allowed.

    Parameters
    ----------
    data : DataFrame
        Long format (target, rater, score); a target with any rater missing is dropped
        (irr's ``na.omit``), and ``n_dropped`` counts them.
    target, rater, score : str
        Column names.
    exact : bool
        Conger's exact kappa instead of Fleiss'.

    Returns
    -------
    FleissTestResult
        ``estimate``, ``z``, ``pvalue``, ``standard_error_null``, ``n`` (complete targets),
        ``n_raters``, ``n_dropped``, ``exact``, ``categories`` (DataFrame indexed by category
        with ``kappa``, ``z``, ``pvalue``; None when exact), ``method``.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin, 76(5), 378-382.
    Fleiss, J. L., Nee, J. C. M., & Landis, J. R. (1979). Large sample variance of kappa in
    the case of different sets of raters. Psychological Bulletin, 86(5), 974-977.
    Conger, A. J. (1980). Integration and generalization of kappas for multiple raters.
    Psychological Bulletin, 88(2), 322-328.

    Examples
    --------
    Fleiss (1971) diagnoses: ``irr::kappam.fleiss(diagnoses)`` gives kappa 0.430, z 15.64;
    with ``exact = TRUE`` 0.442:

    >>> import pandas as pd
    >>> from psychometrics.kappa_multi import _doctest_diagnoses
    >>> res = fleiss_kappa_test(_doctest_diagnoses())
    >>> round(res.estimate, 4), round(res.z, 2)
    (0.4302, 15.64)
    >>> round(fleiss_kappa_test(_doctest_diagnoses(), exact=True).estimate, 4)
    0.4418
    """
    x, raters, dropped = _complete(data, target, rater, score)
    ns, nr = x.shape
    codes, cats = factorize_sorted(x.ravel())
    q = len(cats)
    codes = codes.reshape(ns, nr)
    ttab = np.zeros((ns, q))
    np.add.at(ttab, (np.repeat(np.arange(ns), nr), codes.ravel()), 1.0)
    agree = float(((ttab ** 2).sum(axis=1) - nr).sum() / (nr * (nr - 1) * ns))
    pj = ttab.sum(axis=0) / (ns * nr)
    p2 = float((pj ** 2).sum())
    if exact:
        rtab = np.zeros((nr, q))
        np.add.at(rtab, (np.tile(np.arange(nr), ns), codes.ravel()), 1.0)
        rtab /= ns
        chance = p2 - float((rtab.var(axis=0, ddof=1) * (nr - 1) / nr).sum() / (nr - 1))
    else:
        chance = p2
    if chance >= 1:
        raise ValueError("All ratings fall in one category; kappa is undefined.")
    kappa = (agree - chance) / (1 - chance)
    note = _dropped_note(dropped)
    if exact:
        return FleissTestResult(estimate=float(kappa), z=float("nan"), pvalue=float("nan"),
                                standard_error_null=float("nan"), n=int(ns), n_raters=int(nr),
                                n_dropped=dropped, exact=True, categories=None,
                                method="Conger (1980) exact kappa, irr::kappam.fleiss(exact = "
                                       f"TRUE); no test (as irr); {note}")
    p3 = float((pj ** 3).sum())
    var0 = (2 / (ns * nr * (nr - 1))) * ((p2 - (2 * nr - 3) * p2 ** 2 + 2 * (nr - 2) * p3)
                                        / (1 - p2) ** 2)
    se0 = float(np.sqrt(var0))
    z = kappa / se0
    with np.errstate(divide="ignore", invalid="ignore"):
        pjk = ((ttab ** 2).sum(axis=0) - ns * nr * pj) / (ns * nr * (nr - 1) * pj)
        kap_k = (pjk - pj) / (1 - pj)
        var_k = (((1 + 2 * (nr - 1) * pj) ** 2 + 2 * (nr - 1) * pj * (1 - pj))
                 / (ns * nr * (nr - 1) ** 2 * pj * (1 - pj)))
        z_k = kap_k / np.sqrt(var_k)
    detail = pd.DataFrame({"kappa": kap_k, "z": z_k, "pvalue": 2 * special.ndtr(-np.abs(z_k))},
                          index=pd.Index(list(cats), name="category"))
    return FleissTestResult(estimate=float(kappa), z=float(z),
                            pvalue=float(2 * special.ndtr(-abs(z))), standard_error_null=se0,
                            n=int(ns), n_raters=int(nr), n_dropped=dropped, exact=False,
                            categories=detail,
                            method="Fleiss (1971) kappa; z test with the null variance of "
                                   "Fleiss, Nee & Landis (1979), per-category kappas "
                                   f"(irr::kappam.fleiss(detail = TRUE)); {note}")


def light_kappa(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                score: str = "score") -> LightKappaResult:
    r"""Light's (1971) kappa: the mean of Cohen's kappa over all pairs of raters.

    On the n targets rated by all m raters, :math:`\kappa_L = \binom{m}{2}^{-1}
    \sum_{a<b} \kappa_{ab}` with :math:`\kappa_{ab}` unweighted Cohen kappas
    (``irr::kappam.light``). ``z`` and ``pvalue`` reproduce irr's test: with
    :math:`d_{ab} = \sum_{i \ne j} n_{a i} n_{b j}` (rater a's count of category i times rater
    b's of j, over all category pairs that differ) and P the number of rater pairs,
    :math:`p_c = 1 - P \prod_{a<b} d_{ab} / n^{2P}`, :math:`\mathrm{var} = p_c / (n(1-p_c))`,
    :math:`z = \kappa_L/\sqrt{\mathrm{var}}`, two-sided normal p. That variance is irr's own
    approximation (computed here in logarithms, which irr does not need for small n but
    overflows for large n); prefer `fleiss_kappa` or `conger_kappa` with their standard
    errors for inference.

    Parameters
    ----------
    data : DataFrame
        Long format (target, rater, score); targets with a missing rating are dropped (irr's
        ``na.omit``), counted in ``n_dropped``.
    target, rater, score : str
        Column names.

    Returns
    -------
    LightKappaResult
        ``estimate``, ``z``, ``pvalue``, ``n``, ``n_raters``, ``n_dropped``, ``pairwise``
        (kappa per rater pair), ``method``.

    References
    ----------
    Light, R. J. (1971). Measures of response agreement for qualitative data: some
    generalizations and alternatives. Psychological Bulletin, 76(5), 365-377.

    Examples
    --------
    Fleiss (1971) diagnoses: ``psych::cohen.kappa(diagnoses)$av.kappa`` gives 0.4594.
    ``irr::kappam.light(diagnoses)`` prints 0.2996 (z 1.503) because irr's ``kappa2``
    relabels the factor levels of a rater who never uses a category (rater 6 never says
    "1. Depression"); its z is computed the same way as here, so it scales with the estimate:

    >>> from psychometrics.kappa_multi import _doctest_diagnoses
    >>> res = light_kappa(_doctest_diagnoses())
    >>> round(res.estimate, 4), round(res.z * 0.29956155876915 / res.estimate, 3)
    (0.4594, 1.503)
    """
    x, raters, dropped = _complete(data, target, rater, score)
    ns, nr = x.shape
    codes, cats = factorize_sorted(x.ravel())
    codes = codes.reshape(ns, nr)
    q = len(cats)
    per_rater = np.stack([np.bincount(codes[:, g], minlength=q) for g in range(nr)]).astype(float)
    kappas, log_d = {}, []
    for a in range(nr - 1):
        for b in range(a + 1, nr):
            table = np.bincount(codes[:, a] * q + codes[:, b], minlength=q * q).reshape(q, q)
            kappas[f"{raters[a]} vs {raters[b]}"] = kappa_from_table(table).estimate
            d = per_rater[a].sum() * per_rater[b].sum() - float(per_rater[a] @ per_rater[b])
            log_d.append(np.log(d) if d > 0 else -np.inf)
    value = float(np.mean(list(kappas.values())))
    npairs = len(log_d)
    log_ratio = np.log(npairs) + float(np.sum(log_d)) - 2 * npairs * np.log(ns)
    chance = 1 - float(np.exp(log_ratio))
    var = chance / (ns * (1 - chance)) if chance < 1 else float("inf")
    z = value / np.sqrt(var) if var > 0 else float("nan")
    return LightKappaResult(estimate=value, z=float(z), pvalue=float(2 * special.ndtr(-abs(z))),
                            n=int(ns), n_raters=int(nr), n_dropped=dropped, pairwise=kappas,
                            method="Light (1971) kappa, mean of pairwise Cohen kappas; z and p "
                                   "as irr::kappam.light computes them; "
                                   + _dropped_note(dropped))


def all_rater_agreement(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                        score: str = "score", tolerance: float = 0,
                        confidence: float = 0.95) -> AllRaterAgreementResult:
    r"""Share of targets on which all raters agree, within a tolerance (``irr::agree``).

    A target counts as agreed when every rater gave the same category or, for numeric scores
    and ``tolerance`` > 0, when :math:`\max - \min \le` ``tolerance``. This is the
    *unanimous* agreement ``irr::agree(ratings, tolerance)`` prints as a percentage
    (``percent``); `percent_agreement` is the *pairwise* one (share of agreeing rater pairs),
    which is larger whenever some but not all raters agree. The interval is Wilson's for the
    proportion of targets.

    Parameters
    ----------
    data : DataFrame
        Long format (target, rater, score); targets with a missing rating are dropped (irr's
        ``na.omit``), counted in ``n_dropped``.
    target, rater, score : str
        Column names.
    tolerance : float
        Largest range of scores that still counts as agreement (numeric scores only).
    confidence : float
        Coverage of the Wilson interval.

    Returns
    -------
    AllRaterAgreementResult
        ``estimate`` (proportion), ``ci_low``, ``ci_high``, ``n`` (complete targets),
        ``n_agree``, ``n_raters``, ``n_dropped``, ``percent``, ``tolerance``, ``method``.

    References
    ----------
    Gamer, M., Lemon, J., Fellows, I., & Singh, P. (2019). irr: Various coefficients of
    interrater reliability and agreement (R package 0.84.1), ``agree``.
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA, 22, 209-212.

    Examples
    --------
    Fleiss (1971) diagnoses: ``irr::agree(diagnoses)`` gives 16.7% (5 of 30 patients):

    >>> from psychometrics.kappa_multi import _doctest_diagnoses
    >>> res = all_rater_agreement(_doctest_diagnoses())
    >>> res.n_agree, res.n, round(res.percent, 1)
    (5, 30, 16.7)
    """
    check_conf(confidence)
    if tolerance < 0:
        raise ValueError(f"tolerance must be non-negative, got {tolerance!r}.")
    x, raters, dropped = _complete(data, target, rater, score)
    try:
        num = x.astype(float)
    except (TypeError, ValueError):
        num = None
    if num is not None:
        agree = (num.max(axis=1) - num.min(axis=1)) <= tolerance
        label = f"tolerance {tolerance:g}"
    else:
        if tolerance:
            raise ValueError("A tolerance needs numeric scores.")
        agree = np.array([len(set(row)) == 1 for row in x])
        label = "identical categories"
    k = int(agree.sum())
    prop = proportion_ci(k, int(x.shape[0]), confidence=confidence)
    return AllRaterAgreementResult(estimate=prop.estimate, ci_low=prop.ci_low,
                                   ci_high=prop.ci_high, n=int(x.shape[0]), n_agree=k,
                                   n_raters=int(x.shape[1]), n_dropped=dropped,
                                   percent=100 * prop.estimate, tolerance=float(tolerance),
                                   method=f"share of targets on which all raters agree "
                                          f"({label}; irr::agree); Wilson interval; "
                                          + _dropped_note(dropped))


def _doctest_diagnoses() -> pd.DataFrame:
    """Fleiss (1971) diagnoses (irr's ``diagnoses``) as a long frame, from the test data."""
    from pathlib import Path
    path = (Path(__file__).resolve().parent.parent / "tests" / "psychometrics" / "reference"
            / "fleiss1971_diagnoses.csv")
    wide = pd.read_csv(path)
    return wide.melt(id_vars="patient", var_name="rater", value_name="score").rename(
        columns={"patient": "target"})
