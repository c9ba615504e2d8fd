"""One-factor confirmatory factor analysis by maximum likelihood, with fit indices."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ._base import ResultMixin, check_conf
from .consistency import _prepare
from .factor import ml_fit


@dataclass(frozen=True, slots=True)
class CFAResult(ResultMixin):
    """Fit of a one-factor model: chi-square test, CFI, TLI, RMSEA (with CI), SRMR.

    ``converged`` is False when the ML fit stopped at its iteration limit; ``warnings`` say so,
    and name a Heywood case (a residual variance at its lower bound), as lavaan warns of one.
    """

    n: int
    n_items: int
    chisq: float
    df: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float
    baseline_chisq: float
    baseline_df: int
    standardized_loadings: dict
    omega_total: float
    method: str
    omega_observed: float = float("nan")
    converged: bool = True
    warnings: tuple[str, ...] = ()


def _rmsea_ci(chisq: float, df: int, n: int, confidence: float) -> tuple[float, float]:
    if not np.isfinite(chisq):
        return float("nan"), float("nan")

    def ncp_for(prob):
        f = lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob if lam > 0 else \
            stats.chi2.cdf(chisq, df) - prob
        if f(0.0) < 0:
            return 0.0
        hi = max(chisq, 1.0)
        for _ in range(64):  # the cdf falls below prob by hi = chisq + a few SDs: bounded search
            if f(hi) <= 0:
                return optimize.brentq(f, 0.0, hi, xtol=1e-12)
            hi *= 2
        return float("nan")

    a = 1 - confidence
    lo = ncp_for(1 - a / 2)
    hi = ncp_for(a / 2)
    return float(np.sqrt(lo / (n * df))), float(np.sqrt(hi / (n * df)))


def cfa_one_factor(wide, *, confidence: float = 0.90) -> CFAResult:
    r"""Confirmatory one-factor model fitted by maximum likelihood (listwise complete rows).

    Minimises :math:`F_{ML} = \log|\Sigma| + \mathrm{tr}(S\Sigma^{-1}) - \log|S| - p` with
    :math:`\Sigma = \lambda\lambda' + \Psi`, the factor variance fixed to 1 and S the
    covariance matrix with divisor N (as lavaan). Then :math:`\chi^2 = N F_{ML}` with
    df = p(p+1)/2 - 2p; the baseline (independence) model has
    :math:`\chi^2_b = N(\sum\log s_{ii} - \log|S|)`, df_b = p(p-1)/2, and

    .. math:: CFI = 1 - \frac{\max(\chi^2 - df, 0)}{\max(\chi^2_b - df_b, \chi^2 - df, 0)},
              \quad TLI = \frac{\chi^2_b/df_b - \chi^2/df}{\chi^2_b/df_b - 1},
              \quad RMSEA = \sqrt{\max(\chi^2 - df, 0)/(N\,df)}

    with the RMSEA interval from the noncentral chi-square (default 90%, as lavaan), and
    SRMR the root mean square of :math:`(s_{ij} - \sigma_{ij})/\sqrt{s_{ii}s_{jj}}` over
    :math:`i \le j` (Bentler's, lavaan's ``srmr``). ``omega_total`` is the model-based
    :math:`(\sum\lambda)^2 / ((\sum\lambda)^2 + \sum\psi)`
    (``semTools::compRelSEM(fit, obs.var = FALSE)``); ``omega_observed`` is the observed-score
    omega :math:`(\sum\lambda)^2 / \mathbf{1}'S\mathbf{1}` that ``semTools::compRelSEM(fit)``
    reports by default (Bentler 2009), the share of the observed sum score's variance due to
    the factor.

    Parameters
    ----------
    wide : DataFrame or 2-D array
        Observations x items (at least four); rows with a missing answer are dropped
        (listwise), as lavaan's default ``missing = "listwise"``.
    confidence : float
        Coverage of the RMSEA interval (lavaan: 0.90).

    Returns
    -------
    CFAResult
        Fit statistics, standardised loadings, ``omega_total``, ``omega_observed``.

    References
    ----------
    Joreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
    analysis. Psychometrika, 34(2), 183-202.
    Bentler, P. M. (2009). Alpha, dimension-free, and model-based internal consistency
    reliability. Psychometrika, 74(1), 137-143.
    Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure
    analysis. Structural Equation Modeling, 6(1), 1-55.

    Examples
    --------
    ``lavaan::cfa("N =~ N1 + N2 + N3 + N4 + N5", std.lv = TRUE)`` on psychTools' bfi
    (complete cases) gives CFI 0.9233 and RMSEA 0.1666, and ``semTools::compRelSEM(fit)``
    0.8020; the test suite checks these. On simulated one-factor data:

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(500, 1))
    >>> x = f @ np.full((1, 5), 0.7) + rng.normal(scale=0.7, size=(500, 5))
    >>> res = cfa_one_factor(x)
    >>> res.df, bool(0.78 < res.omega_observed < 0.88)  # population omega 0.833
    (5, True)
    """
    check_conf(confidence)
    n, names, c = _prepare(wide, "listwise", min_items=3)
    p = c.shape[0]
    if p < 4:
        raise ValueError("A one-factor CFA needs at least four items to have positive "
                         f"degrees of freedom, got {p}.")
    if n <= p:
        raise ValueError(f"A one-factor CFA of {p} items needs more complete observations than "
                         f"items, got {n}: the covariance matrix is singular.")
    s = c * ((n - 1) / n)  # divisor N, as lavaan
    if np.linalg.eigvalsh(s)[0] <= 1e-10 * np.trace(s):
        raise ValueError("The item covariance matrix is singular (an item is a linear combination "
                         "of others), so the ML fit function is undefined.")
    fit, psi, fmin = ml_fit(s, 1)
    lam = fit.loadings[:, 0]
    sigma = np.outer(lam, lam) + np.diag(psi)
    df = p * (p + 1) // 2 - 2 * p
    chisq = float(n * fmin)
    _, logdet = np.linalg.slogdet(s)
    base = float(n * (np.log(np.diag(s)).sum() - logdet))
    base_df = p * (p - 1) // 2
    cfi_den = max(base - base_df, chisq - df, 0.0)
    cfi = 1.0 - max(chisq - df, 0.0) / cfi_den if cfi_den > 0 else 1.0
    tli = ((base / base_df) - (chisq / df)) / ((base / base_df) - 1.0)
    rmsea = float(np.sqrt(max(chisq - df, 0.0) / (n * df)))
    lo, hi = _rmsea_ci(chisq, df, n, confidence)
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    srmr = float(np.sqrt((resid[np.tril_indices(p)] ** 2).mean()))
    std = lam / np.sqrt(np.diag(sigma))
    om = float(lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()))
    om_obs = float(lam.sum() ** 2 / s.sum())
    return CFAResult(n=int(n), n_items=int(p), chisq=chisq, df=int(df),
                     pvalue=float(stats.chi2.sf(chisq, df)), cfi=float(cfi), tli=float(tli),
                     rmsea=rmsea, rmsea_ci_low=lo, rmsea_ci_high=hi, srmr=srmr,
                     baseline_chisq=base, baseline_df=int(base_df),
                     standardized_loadings=dict(zip(names, std.tolist())), omega_total=om,
                     omega_observed=om_obs, converged=fit.converged,
                     warnings=(fit.problem,) if fit.problem else (),
                     method="one-factor CFA, maximum likelihood (Joreskog 1969), factor "
                            f"variance fixed to 1; listwise deletion; {confidence:.0%} "
                            "RMSEA interval")
