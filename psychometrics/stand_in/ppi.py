"""Prediction-powered inference: population figures from a few human ratings and many LLM ratings.

The LLM rated all N targets, humans rated n of them. The human-only estimate uses the n; the
LLM-only estimate uses the N and is biased by whatever bias the LLM has; the prediction-powered
(PPI++) estimate uses both and stays valid whatever the LLM's bias, under the assumption that
the human-rated targets are a random sample, or were drawn with known inclusion
probabilities (inverse-probability weighting, active inference).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._base import ResultMixin, check_conf

ASSUMPTION_RANDOM = ("the human-rated targets are a simple random sample of the targets; intervals are "
                     "valid whatever the LLM's bias under that assumption")
ASSUMPTION_IPW = ("the human-rated targets were drawn with the recorded inclusion probabilities (each "
                  "target independently; targets rated before the plan count with probability 1); "
                  "inverse-probability weighted")
MIN_LABELED = 10


@dataclass(frozen=True, slots=True)
class Estimate(ResultMixin):
    """An estimate with its interval (None when not computable)."""

    estimate: float
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str


@dataclass(frozen=True, slots=True)
class PPIResult(ResultMixin):
    """Human-only, LLM-only (biased) and prediction-powered estimates of one estimand."""

    estimand: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int                 # human-rated targets
    n_total: int           # targets the LLM rated
    human_only: Estimate
    llm_only: Estimate
    power_tuning: float    # lambda (PPI++): 0 ignores the LLM, 1 is plain PPI
    width_ratio: float     # PPI interval width / human-only interval width
    effective_n: float     # human ratings the PPI interval is worth
    clustered: bool
    n_clusters: int | None
    assumption: str
    method: str


def _prepare(human, llm, inclusion_probability, *others):
    y = np.asarray(human, dtype=float).ravel()
    f = np.asarray(llm, dtype=float).ravel()
    if y.shape != f.shape:
        raise ValueError("human and llm need one value per target.")
    keep = ~np.isnan(f)
    pi = None if inclusion_probability is None else np.asarray(inclusion_probability, dtype=float).ravel()
    if pi is not None:
        if pi.shape != f.shape:
            raise ValueError("inclusion_probability needs one value per target.")
        keep &= ~np.isnan(pi)
        if np.any((pi[keep] <= 0) | (pi[keep] > 1)):
            raise ValueError("Inclusion probabilities must be in (0, 1].")
    labeled = keep & ~np.isnan(y)
    n = int(labeled.sum())
    if n < MIN_LABELED:
        raise ValueError(f"Prediction-powered inference needs at least {MIN_LABELED} human-rated targets "
                         f"that the LLM also rated, got {n}.")
    if int(keep.sum()) <= n and pi is None:
        raise ValueError("Every target the LLM rated is human-rated: there is nothing for the LLM to add.")
    if pi is None:
        pi = np.full(f.shape, n / keep.sum())
    return keep, labeled, y, f, pi


def _cluster_sum(values: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    if codes is None:
        return values
    return np.bincount(codes, weights=values)


def _codes(clusters, keep):
    if clusters is None:
        return None, None
    labels = np.asarray(clusters, dtype=object)[keep].astype(str)
    _, codes = np.unique(labels, return_inverse=True)
    return codes, int(codes.max()) + 1


def _difference_estimator(y, f, w, codes):
    """theta = mean(lam f) + Hajek mean over the human-rated of (y - lam f), with lambda tuned
    to minimise the variance of its linearised influence values; returns theta, lambda and those
    influence values summed per cluster, split into the rectifier's part c w (y - ybar - lam (f -
    fbar_h)) and the LLM-mean part lam (f - fbar), and the clusters' g-weights."""
    labeled = w > 0
    c = len(f) / w.sum()
    ybar = np.sum(w[labeled] * y[labeled]) / w.sum()
    fbar_h = np.sum(w[labeled] * f[labeled]) / w.sum()
    v = np.where(labeled, c * w * (np.nan_to_num(y) - ybar), 0.0)
    rect_f = np.where(labeled, c * w * (f - fbar_h), 0.0)
    vg, rg, fg = (_cluster_sum(x, codes) for x in (v, rect_f, f - f.mean()))
    dg = fg - rg
    lam = float(-np.sum(vg * dg) / np.sum(dg * dg)) if np.sum(dg * dg) > 0 else 0.0
    theta = lam * f.mean() + (ybar - lam * fbar_h)
    # g-weights (Särndal, Swensson & Wretman 1989): d theta / d lambda = fbar - fbar_h times
    # lambda's own influence -d_g psi_g / sum d^2 (a least-squares coefficient of the cluster
    # sums), the term of lambda's estimation error that the influence values leave out.
    g = 1 - len(f) * (f.mean() - fbar_h) * dg / np.sum(dg * dg) if np.sum(dg * dg) > 0 else np.ones_like(dg)
    return float(theta), lam, vg - lam * rg, lam * fg, g


def working_independence_df(w, clusters=None, covariate=None) -> tuple[float, float]:
    r"""Bias factor and Satterthwaite degrees of freedom of the cluster-robust variance of a
    weighted (Hajek) mean, or of a weighted regression (difference) estimator with a fitted
    slope on ``covariate``, under a working model of independent, equal-variance errors.

    With :math:`X` the fitted design (a column of ones, and the covariate) and :math:`W =
    \mathrm{diag}(w)` over the human-rated targets, the residuals are :math:`\hat e = (I - P)e`,
    :math:`P = X(X^\top WX)^{-1}X^\top W`, and the variance estimate :math:`\hat V =
    \sum_g(\sum_{i \in g} w_i\hat e_i)^2/T^2`, :math:`T = \sum w_i`, is the quadratic form
    :math:`e^\top Ae/T^2`, :math:`A = (I - P)^\top KK^\top(I - P)`, :math:`K_{ig} = w_i[i \in g]`.
    Under the working model :math:`E\hat V = \sigma^2\mathrm{tr}(A)/T^2` while the estimator's
    variance is :math:`\sigma^2\sum w_i^2/T^2`, so the bias factor is :math:`\kappa = \sum
    w_i^2/\mathrm{tr}(A)` (the scalar form of Bell & McCaffrey's bias-reduced CR2), and
    Satterthwaite's scaled chi-square gives :math:`\nu = \mathrm{tr}(A)^2/\mathrm{tr}(A^2)`
    (Bell & McCaffrey 2002; Imbens & Kolesár 2016). Both traces come from
    :math:`K^\top(I-P)(I-P)^\top K = \mathrm{diag}(s) + UMU^\top`, :math:`s_g = \sum_{i \in g}
    w_i^2`, :math:`U = (K^\top X, K^\top WX)`, :math:`Q = (X^\top WX)^{-1}`, :math:`M =
    ((Q X^\top W^2 X Q, -Q), (-Q, 0))`, in O(G). Equal weights, no clusters: :math:`\kappa =
    n/(n - p)` and :math:`\nu = n - p`, p the fitted coefficients: Student's t for the mean
    (p = 1) and the n - 2 of the regression estimator's variance (p = 2, Cochran 1977, sec.
    7.3). Unequal inverse-probability weights or cluster sizes give fewer degrees of freedom
    than units.

    Parameters
    ----------
    w : sequence of float
        Per target, its weight (:math:`1/\pi_i` for the human-rated, 0 for the others).
    clusters : sequence, optional
        Per-target cluster labels (default: every target its own cluster).
    covariate : sequence of float, optional
        The regressor whose slope the estimator fits (the LLM's scores for the difference
        estimator); None for the weighted mean.

    Returns
    -------
    tuple of float
        ``(kappa, df)``: the factor by which the cluster-robust variance is scaled, and the
        Satterthwaite degrees of freedom of the scaled variance.

    References
    ----------
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. Biometrics Bulletin, 2(6), 110-114.
    Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
    regression with multi-stage samples. Survey Methodology, 28(2), 169-181.
    Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some practical
    advice. Review of Economics and Statistics, 98(4), 701-712.
    Cochran, W. G. (1977). Sampling Techniques, 3rd ed., sec. 7.3.

    Examples
    --------
    >>> kappa, df = working_independence_df([1.0] * 10)
    >>> round(kappa * 9, 12), round(df, 12)
    (10.0, 9.0)
    >>> kappa, df = working_independence_df([1.0] * 10, covariate=range(10))
    >>> round(kappa * 8, 12), round(df, 12)
    (10.0, 8.0)
    """
    w = np.asarray(w, dtype=float).ravel()
    labeled = w > 0
    wl = w[labeled]
    codes = np.arange(len(wl)) if clusters is None else np.unique(np.asarray(clusters)[labeled],
                                                                  return_inverse=True)[1]
    x = np.ones((len(wl), 1))
    if covariate is not None:
        x = np.column_stack([x, np.asarray(covariate, dtype=float).ravel()[labeled]])
    n_units = int(codes.max()) + 1
    s = np.bincount(codes, weights=wl ** 2, minlength=n_units)
    k_x = np.zeros((n_units, x.shape[1]))
    np.add.at(k_x, codes, wl[:, None] * x)
    k_wx = np.zeros_like(k_x)
    np.add.at(k_wx, codes, (wl ** 2)[:, None] * x)
    try:
        q = np.linalg.inv(x.T @ (wl[:, None] * x))
    except np.linalg.LinAlgError:
        return float("nan"), float("nan")
    u = np.column_stack([k_x, k_wx])
    zero = np.zeros_like(q)
    m = np.block([[q @ (x.T @ ((wl ** 2)[:, None] * x)) @ q, -q], [-q, zero]])
    mu = m @ (u.T @ u)
    trace = float(s.sum() + np.trace(mu))
    trace_sq = float(s @ s) + 2 * float(np.trace(m @ ((u.T * s) @ u))) + float(np.trace(mu @ mu))
    if trace <= 0 or trace_sq <= 0:
        return float("nan"), float("nan")
    return float(wl @ wl) / trace, trace ** 2 / trace_sq


_SMALL_SAMPLE = ("; small-sample variance correction and Satterthwaite degrees of freedom under working "
                 "independence (Bell & McCaffrey 2002)")


def _width_figures(ppi_width, human_width, n):
    ratio = ppi_width / human_width if human_width > 0 else float("nan")
    return float(ratio), float(n / ratio ** 2) if ratio > 0 else float("nan")


def ppi_mean(human, llm, *, clusters=None, inclusion_probability=None, confidence: float = 0.95,
             estimand: str = "mean", small_sample: bool = True) -> PPIResult:
    r"""The mean human score of all targets from n human and N LLM ratings (PPI++).

    Random sample, no clusters: ``ppi_py.ppi_mean_ci`` with power tuning (PPI++,
    Angelopoulos, Duchi & Zrnic 2023): :math:`\hat\theta = \lambda\bar f_{unlabeled} +
    \overline{(Y - \lambda f)}_{labeled}`, :math:`\hat\lambda` minimising the variance;
    human-only: ``ppi_py.classical_mean_ci``. With clusters or inclusion probabilities
    :math:`\pi_i`: the difference estimator :math:`\hat\theta = \lambda\bar f + \sum_i w_i
    (Y_i - \lambda f_i) / \sum_i w_i` with :math:`w_i = \xi_i/\pi_i` (Zrnic & Candès 2024,
    active inference; Hajek-normalised), its standard error from the linearised influence
    values summed within clusters (the cluster-robust sandwich, Cameron & Miller 2015), and
    :math:`\lambda` tuned on those cluster sums. Effective n is
    :math:`n\,(w_{human}/w_{PPI})^2`: the human-only sample size with the PPI interval's width.

    Small samples (``small_sample``, the default): the normal intervals above are large-sample
    ones, and with 50 human ratings they cover about 0.935 instead of 0.95 (1,000 simulated
    studies, ``bench/stand_in.py``): the standard error's own sampling error is ignored. The
    rectifier :math:`Y - \lambda f` is the residual of a fitted mean and a tuned slope, so, as
    for the regression estimator (Cochran 1977, sec. 7.3), its variance uses n - 2 and the
    quantile is Student's t with n - 2 degrees of freedom. The influence values leave out
    lambda's own estimation error, :math:`(\partial\hat\theta/\partial\lambda)(\hat\lambda -
    \lambda)`, which is of the same order as the rectifier's variance divided by n and larger
    where the LLM's errors are heteroscedastic; it is put back by multiplying every residual
    by its g-weight :math:`g_i = 1 + (\partial\hat\theta/\partial\lambda)\,n\,
    \partial\hat\lambda/\partial e_i`, the weighted-residual variance of the regression
    estimator (Särndal, Swensson & Wretman 1989), for ppi_py's lambda and for the
    variance-minimising lambda of the cluster sums alike. With inclusion probabilities or
    clusters the same idea under unequal weights: the rectifier's variance is scaled by the bias
    factor and read with the Satterthwaite degrees of freedom of ``working_independence_df``
    (Bell & McCaffrey 2002; fewer than the human-rated targets, or clusters, when the weights or
    cluster sizes are unequal), combined by Welch-Satterthwaite with the LLM mean's G - 1. The
    human-only interval gets the same treatment for its mean alone (Student's t, n - 1 df, in
    the plain case); ``small_sample=False`` gives ppi_py's (and the papers') z intervals.

    Parameters
    ----------
    human : sequence of float
        Per target, the (mean) human score; NaN where no human rated the target.
    llm : sequence of float
        Per target, the LLM's score; NaN where missing (the target is then left out).
    clusters : sequence, optional
        Per-target cluster labels: cluster-robust standard errors.
    inclusion_probability : sequence of float, optional
        Per target, the recorded probability in (0, 1] with which it was drawn for human
        rating (``plan_sampling``): inverse-probability weighting.
    confidence : float
        Coverage of the intervals.
    estimand : str
        Label stored in the result.
    small_sample : bool
        Student t / Satterthwaite intervals (default) or large-sample normal ones.

    Returns
    -------
    PPIResult
        The prediction-powered estimate and interval, next to the human-only and the (biased)
        LLM-only estimates, the tuning weight lambda, the width ratio and the effective n.
        ValueError with fewer than 10 human-rated targets, or when the LLM rated no other
        target.

    References
    ----------
    Angelopoulos, A. N., Bates, S., Fannjiang, C., Jordan, M. I., & Zrnic, T. (2023).
    Prediction-powered inference. Science, 382(6671), 669-674.
    Angelopoulos, A. N., Duchi, J. C., & Zrnic, T. (2023). PPI++: efficient prediction-powered
    inference. arXiv:2311.01453.
    Zrnic, T., & Candès, E. J. (2024). Active statistical inference. ICML 2024, arXiv:2403.03208.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources, 50(2), 317-372.
    Student (1908). The probable error of a mean. Biometrika, 6(1), 1-25.
    Cochran, W. G. (1977). Sampling Techniques, 3rd ed., sec. 7.3.
    Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
    regression with multi-stage samples. Survey Methodology, 28(2), 169-181.
    Särndal, C.-E., Swensson, B., & Wretman, J. H. (1989). The weighted residual technique for
    estimating the variance of the general regression estimator of the finite population
    total. Biometrika, 76(3), 527-537.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(3, 1, size=2000)
    >>> llm = truth + 0.5 + rng.normal(0, 0.3, size=2000)   # biased by +0.5
    >>> human = np.where(rng.random(2000) < 0.1, truth, np.nan)
    >>> res = ppi_mean(human, llm)
    >>> bool(res.ci_low < truth.mean() < res.ci_high), bool(res.llm_only.estimate > truth.mean() + 0.4)
    (True, True)
    >>> bool(res.width_ratio < 0.5)
    True
    """
    check_conf(confidence)
    keep, labeled, y, f, pi = _prepare(human, llm, inclusion_probability)
    n, n_total = int(labeled.sum()), int(keep.sum())
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    llm_only = Estimate(estimate=float(f[keep].mean()), ci_low=None, ci_high=None, n=n_total,
                        method="mean of the LLM's scores of every target: biased by the LLM's bias")
    codes, n_clusters = _codes(clusters, keep)
    ipw = inclusion_probability is not None
    if codes is None and not ipw:
        import ppi_py

        yl, fl, fu = y[labeled], f[labeled], f[keep & ~labeled]
        alpha = 1 - confidence
        lam = _ppi_py_lambda(yl, fl, fu)
        estimate = float(np.asarray(ppi_py.ppi_mean_pointestimate(yl, fl, fu, lam=lam)).ravel()[0])
        if small_sample:
            t = stats.t.ppf(1 - alpha / 2, n - 2)
            resid = _g_weights_ppi_py(fl, fu, lam) * (yl - lam * fl - np.mean(yl - lam * fl))
            se = np.sqrt(np.var(lam * fu) / len(fu) + np.sum(resid ** 2) / (n - 2) / n)
            low, high = estimate - t * se, estimate + t * se
            h_t, h_se = stats.t.ppf(1 - alpha / 2, n - 1), np.std(yl, ddof=1) / np.sqrt(n)
            h_low, h_high = yl.mean() - h_t * h_se, yl.mean() + h_t * h_se
            interval = f"Student t interval, {n - 2} df"
        else:
            low, high = (float(np.asarray(v).ravel()[0])
                         for v in ppi_py.ppi_mean_ci(yl, fl, fu, alpha=alpha, lam=lam))
            h_low, h_high = (float(np.asarray(v).ravel()[0]) for v in ppi_py.classical_mean_ci(yl, alpha=alpha))
            interval = "normal interval"
        human_only = Estimate(estimate=float(yl.mean()), ci_low=float(h_low), ci_high=float(h_high), n=n,
                              method="mean of the human-rated targets; "
                                     + (f"Student t interval, {n - 1} df" if small_sample else interval)
                                     + ("" if small_sample else " (ppi_py.classical_mean_ci)"))
        method = ("PPI++ mean, power-tuned (ppi_py.ppi_mean_pointestimate" + (
            f"; its standard error from g-weighted residuals (Särndal, Swensson & Wretman 1989) with n - 2 "
            f"in the rectifier's variance, for its mean and the tuned lambda, "
            f"and a {interval})" if small_sample
            else ", ppi_py.ppi_mean_ci)") + "; LLM-only targets as the unlabeled set")
    else:
        w = np.where(labeled[keep], 1.0 / pi[keep], 0.0)
        estimate, lam, rect, llm_part, g = _difference_estimator(y[keep], f[keep], w, codes)
        if small_sample:
            rect, llm_part = g * rect, g * llm_part
        h_est = float(np.sum(w * np.nan_to_num(y[keep])) / w.sum())
        h_psi = _cluster_sum(np.where(w > 0, len(w) / w.sum() * w * (np.nan_to_num(y[keep]) - h_est), 0.0), codes)
        units = len(rect)
        if small_sample:
            kappa, df_rect = working_independence_df(w, codes, f[keep])
            h_kappa, h_df = working_independence_df(w, codes)
            v_rect, v_llm = kappa * np.sum(rect ** 2), np.sum(llm_part ** 2) * units / (units - 1)
            se = np.sqrt(np.sum((np.sqrt(kappa) * rect + llm_part) ** 2)) / len(w)
            df = (v_rect + v_llm) ** 2 / (v_rect ** 2 / df_rect + v_llm ** 2 / (units - 1))
            z = stats.t.ppf(1 - (1 - confidence) / 2, df)
            h_se, h_z = np.sqrt(h_kappa * np.sum(h_psi ** 2)) / len(w), stats.t.ppf(1 - (1 - confidence) / 2, h_df)
            interval, h_interval = f"t interval, {df:.1f} df", f"t interval, {h_df:.1f} df"
        else:
            se = np.sqrt(np.sum((rect + llm_part) ** 2) * units / (units - 1)) / len(w)
            h_se, h_z = np.sqrt(np.sum(h_psi ** 2) * units / (units - 1)) / len(w), z
            interval = h_interval = "normal interval"
        low, high = estimate - z * se, estimate + z * se
        human_only = Estimate(estimate=h_est, ci_low=h_est - h_z * h_se, ci_high=h_est + h_z * h_se, n=n,
                              method=("inverse-probability weighted (Hajek) mean" if ipw else "mean")
                              + " of the human-rated targets" + ("; cluster-robust " if codes is not None else "; ")
                              + h_interval + (_SMALL_SAMPLE if small_sample else ""))
        method = (("active-inference difference estimator (Zrnic & Candès 2024), inverse-probability weighted"
                   if ipw else "PPI++ difference estimator") + ", power-tuned"
                  + ("; cluster-robust standard error over clusters (Cameron & Miller 2015)"
                     if codes is not None else "") + f"; {interval}"
                  + ("; g-weighted influence values (Särndal, Swensson & Wretman 1989); the rectifier's "
                     + _SMALL_SAMPLE[2:] + ", Welch-Satterthwaite with the LLM mean's "
                     f"{units - 1} df" if small_sample else ""))
    ratio, n_eff = _width_figures(high - low, human_only.ci_high - human_only.ci_low, n)
    return PPIResult(estimand=estimand, estimate=estimate, ci_low=float(low), ci_high=float(high), n=n,
                     n_total=n_total, human_only=human_only, llm_only=llm_only,
                     power_tuning=float(lam),
                     width_ratio=ratio, effective_n=n_eff, clustered=codes is not None, n_clusters=n_clusters,
                     assumption=ASSUMPTION_IPW if ipw else ASSUMPTION_RANDOM, method=method)


def _g_weights_ppi_py(fl, fu, lam) -> np.ndarray:
    r"""g-weights of the human-rated targets for ppi_py's tuned lambda: :math:`g_i = 1 -
    (\bar f_l - \bar f_u)(f_i - \bar f_l) / ((1 + n/N)\,s^2_f)`, from
    :math:`\partial\hat\theta/\partial\lambda = -(\bar f_l - \bar f_u)` and lambda's
    own influence :math:`(f_i - \bar f_l)e_i / (n(1 + n/N)s^2_f)` (``_ppi_py_lambda``); 1
    where lambda is clipped to 0 or 1 (Särndal, Swensson & Wretman 1989)."""
    if not 0 < lam < 1:
        return np.ones_like(fl)
    var = np.var(np.concatenate([fl, fu]), ddof=1)
    return 1 - (fl.mean() - fu.mean()) * (fl - fl.mean()) / ((1 + len(fl) / len(fu)) * var)


def _ppi_py_lambda(yl, fl, fu) -> float:
    """PPI++'s power-tuning parameter for the mean, as ``ppi_py`` computes it when ``lam`` is
    None (``_calc_lam_glm`` with the identity Hessian, clipped to [0, 1]): the labeled
    covariance of Y and f over (1 + n/N) times the variance of every prediction."""
    n, n_u = len(yl), len(fu)
    var = np.var(np.concatenate([fl, fu]), ddof=1)
    if var == 0:
        return 0.0
    cov = np.mean((yl - yl.mean()) * (fl - fl.mean()))
    return float(np.clip(cov / ((1 + n / n_u) * var), 0, 1))


def ppi_ols(x_labeled, y_labeled, yhat_labeled, x_unlabeled, yhat_unlabeled, *,
            confidence: float = 0.95) -> dict:
    """Regression coefficients of the human score on covariates (PPI++ OLS via
    ``ppi_py.ppi_ols_ci``, power-tuned), e.g. a group difference with ``x = [1, group]``.

    Returns ``{"estimate", "ci_low", "ci_high"}`` (one value per coefficient), the human-only
    interval (``ppi_py.classical_ols_ci``) and the width ratio per coefficient.

    Parameters
    ----------
    x_labeled : 2-D array
        Covariates of the human-rated targets (include a column of ones for an intercept).
    y_labeled : sequence of float
        Their human scores.
    yhat_labeled : sequence of float
        The LLM's scores of the same targets.
    x_unlabeled : 2-D array
        Covariates of the targets only the LLM rated.
    yhat_unlabeled : sequence of float
        The LLM's scores of those targets.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    dict
        ``estimate``, ``ci_low``, ``ci_high``, ``human_only_ci_low``, ``human_only_ci_high``
        and ``width_ratio`` (lists, one value per coefficient), ``n`` (human-rated targets)
        and ``method``.

    References
    ----------
    Angelopoulos, A. N., Bates, S., Fannjiang, C., Jordan, M. I., & Zrnic, T. (2023).
    Prediction-powered inference. Science, 382(6671), 669-674.
    Angelopoulos, A. N., Duchi, J. C., & Zrnic, T. (2023). PPI++: efficient prediction-powered
    inference. arXiv:2311.01453, sec. 3 (GLMs).

    Examples
    --------
    A group difference of 1 on the human scale; the LLM adds 0.5 to everyone. Skipped when
    doctests run: ppi_py's first OLS call compiles with numba (15-25 s);
    ``tests/psychometrics/test_stand_in.py`` runs it.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> group = rng.integers(0, 2, size=1000)
    >>> x = np.column_stack([np.ones(1000), group])
    >>> y = 2 + group + rng.normal(0, 1, size=1000)
    >>> yhat = y + 0.5 + rng.normal(0, 0.3, size=1000)
    >>> res = ppi_ols(x[:100], y[:100], yhat[:100], x[100:], yhat[100:])  # doctest: +SKIP
    >>> bool(res["ci_low"][1] < 1 < res["ci_high"][1]), all(r < 1 for r in res["width_ratio"])  # doctest: +SKIP
    (True, True)
    >>> res["n"]  # doctest: +SKIP
    100
    """
    import ppi_py

    check_conf(confidence)
    args = [np.asarray(a, dtype=float) for a in (x_labeled, y_labeled, yhat_labeled, x_unlabeled, yhat_unlabeled)]
    alpha = 1 - confidence
    estimate = np.asarray(ppi_py.ppi_ols_pointestimate(*args))
    low, high = (np.asarray(v) for v in ppi_py.ppi_ols_ci(*args, alpha=alpha))
    h_low, h_high = (np.asarray(v) for v in ppi_py.classical_ols_ci(args[0], args[1], alpha=alpha))
    return {"estimate": estimate.tolist(), "ci_low": low.tolist(), "ci_high": high.tolist(),
            "human_only_ci_low": h_low.tolist(), "human_only_ci_high": h_high.tolist(),
            "width_ratio": ((high - low) / (h_high - h_low)).tolist(), "n": int(len(args[1])),
            "method": "PPI++ OLS, power-tuned (ppi_py.ppi_ols_ci); human-only: ppi_py.classical_ols_ci"}
