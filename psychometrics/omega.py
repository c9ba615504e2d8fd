"""McDonald's omega: total (one factor) and hierarchical (Schmid-Leiman)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ._base import ResultMixin
from .consistency import Missing, _prepare, _smc
from .factor import FactorMethod, extract_fit
from .identification import identification_problem
from .rotation import oblimin_fit


@dataclass(frozen=True, slots=True)
class OmegaResult(ResultMixin):
    r"""Omega coefficients with the factor solution they come from.

    ``estimate`` is omega total; ``omega_hierarchical`` is None for a one-factor model
    (a general factor is only distinguishable from group factors when there are group
    factors); ``psych_omega_h`` is the number ``psych::omega`` prints as omega_h in every case,
    for a single factor :math:`(\sum\lambda)^2/\mathbf{1}'R\mathbf{1}` with its warning
    "Omega_h for 1 factor is not meaningful". Intervals are not closed-form: use
    `bootstrap_ci` (``ci_low``/``ci_high`` are NaN). ``converged`` is False when a factor fit
    or the rotation stopped at its iteration limit or on a diverging Heywood case; ``warnings``
    say so in words, and name an improper (Heywood) solution: the figures are then not estimates.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_items: int
    omega_total: float
    omega_hierarchical: float | None
    n_factors: int
    factor_method: str
    g_loadings: dict
    group_loadings: pd.DataFrame | None
    method: str
    psych_omega_h: float = float("nan")
    omega_limit: float = float("nan")
    ecv: float = float("nan")
    g6: float = float("nan")
    omega_group: pd.DataFrame | None = None
    variance_shares: dict | None = None
    converged: bool = True
    warnings: tuple[str, ...] = ()


def _corr(c: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def _omega_total_from_cov(c: np.ndarray, fm: FactorMethod = "minres") -> tuple[float, np.ndarray]:
    om, lam, _ = _omega_total_fit(c, fm)
    return om, lam


def _omega_total_fit(c: np.ndarray, fm: FactorMethod = "minres"):
    d = np.sqrt(np.diag(c))
    r = c / np.outer(d, d)
    fit = extract_fit(r, 1, fm)
    lam = fit.loadings[:, 0]
    u2 = 1 - lam ** 2
    return float(1 - u2.sum() / r.sum()), lam, fit


def _schmid_leiman(r: np.ndarray, nfactors: int, fm: FactorMethod):
    """g and group loadings, whether every step converged, and the problems in words."""
    fit = extract_fit(r, nfactors, fm)
    problems = [fit.problem] if fit.problem else []
    converged = fit.converged
    if not fit.converged:  # no solution to rotate: stop here and say why
        p = r.shape[0]
        return np.full(p, np.nan), np.full((p, nfactors), np.nan), False, problems
    pattern, phi, rotated = oblimin_fit(fit.loadings)
    if not rotated:
        converged = False
        problems.append("The oblimin rotation did not converge (GPArotation: \"convergence not "
                        "obtained\"); the group factors are not a rotated solution.")
    if nfactors == 2:
        gload = np.full(2, np.sqrt(max(phi[0, 1], 0.0)))
    else:
        top = extract_fit(phi, 1, fm)
        gload = top.loadings[:, 0]
        converged = converged and top.converged
        if top.problem:
            problems.append("General factor from the factor correlations: " + top.problem)
    g = pattern @ gload
    group = pattern * np.sqrt(np.clip(1 - gload ** 2, 0.0, None))
    return g, group, converged, problems


def omega(wide, *, n_factors: int | None = None,
          subscales: Mapping[str, Sequence[str]] | None = None, fm: FactorMethod = "minres",
          missing: Missing = "pairwise") -> OmegaResult:
    r"""McDonald's omega total and, for several factors, omega hierarchical.

    One factor (the default when neither ``n_factors`` nor ``subscales`` is given): loadings
    :math:`\lambda` of a one-factor model of the item correlation matrix R, and

    .. math:: \omega_t = 1 - \frac{\sum_i (1 - \lambda_i^2)}{\mathbf{1}'R\mathbf{1}}.

    Several factors (``n_factors`` > 1, or the number of ``subscales``): the Schmid-Leiman
    transformation of an oblimin-rotated solution (a general factor from a one-factor model
    of the factor correlations; with two factors, both g loadings are the square root of
    their correlation), and

    .. math:: \omega_h = \frac{(\sum_i g_i)^2}{\mathbf{1}'R\mathbf{1}},\quad
              \omega_t = 1 - \frac{\sum_i (1 - h^2_i)}{\mathbf{1}'R\mathbf{1}}

    with :math:`h^2_i` the item's communality in the Schmid-Leiman solution. Items with
    negative g loadings are reversed and the model refitted, as ``psych::omega(flip=TRUE)``.
    This is ``psych::omega`` (exploratory SL); ``subscales`` set only the number of group
    factors, and the estimated group loadings are reported for comparison with the key.
    ``fm`` chooses the extraction: minimum residual (psych's default) or maximum likelihood.

    Besides omega the result carries what ``psych::omega`` prints: ``psych_omega_h`` (its
    ``omega_h``, also for one factor, where psych warns it is "not meaningful"),
    ``omega_limit`` (``omega.lim`` = :math:`(\sum g)^2 / (\mathbf{1}'R\mathbf{1} - \sum u^2)`,
    omega_h of a test of infinitely many such items), ``ecv`` (explained common variance of
    the general factor, :math:`\sum g^2 / \sum h^2`), ``g6`` (Guttman's lambda 6) and
    ``omega_group`` (``omega.group``: total, general and group omega of the whole scale and of
    each group factor's items, items assigned to the group factor with the largest loading)
    and ``variance_shares``, the figures ``print(omega)`` shows: the sums of squared
    loadings of g and each group factor, general/max, max/min, and the mean, SD and CV of the
    items' share of common variance due to g (``p2`` = g^2/h^2; psych rounds the loadings to
    two decimals before averaging, these are unrounded).

    The number of factors is refused above half the number of items (at least two items per
    factor): a group factor defined by one item cannot be told apart from that item's unique
    variance, so the Schmid-Leiman solution, and with it omega_h, is not identified (psych
    only warns and returns a number).
    For several factors the model is also checked before it is fitted
    (`psychometrics.identification.identification_problem`): a correlation matrix that is not positive
    definite, negative model degrees of freedom, fewer than ``n_factors`` positive
    eigenvalues of the SMC-reduced correlation matrix, or an ``n_factors``-th eigenvalue that
    does not stand out from that of random data (parallel analysis: the data show fewer common
    factors than asked for, e.g. one-factor data with three subscales as group factors) raise
    ``ValueError`` with the reason, where ``psych::omega`` iterates and prints what its optimiser stopped at.
    Fits are bounded (`psychometrics.factor.MINRES_MAXITER`; a diverging Heywood case stops
    early): a fit that ends without converging gives ``converged=False``, NaN coefficients and
    the reason in ``warnings``; a converged improper solution (a communality above 1) keeps its
    numbers and names the Heywood case in ``warnings``.

    Parameters
    ----------
    wide : DataFrame or 2-D array
        Observations x items (at least three), numeric, NaN for missing.
    n_factors : int, optional
        Group factors for omega hierarchical (default 1, or the number of ``subscales``).
    subscales : mapping of name to item names, optional
        Sets the number of group factors; every listed item must be a column.
    fm : {"minres", "ml"}
        Factor extraction.
    missing : {"pairwise", "listwise"}
        Pairwise-complete correlations (psych's ``use = "pairwise"``) or complete rows only.

    Returns
    -------
    OmegaResult
        ``estimate`` (= ``omega_total``), ``omega_hierarchical`` (None for one factor),
        ``n``, ``n_items``, ``n_factors``, ``g_loadings``, ``group_loadings``, the psych
        extras above and ``method`` (extraction, rotation, treatment of missing answers).

    References
    ----------
    McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum.
    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions.
    Psychometrika, 22(1), 53-61.
    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha, Revelle's beta
    and McDonald's omega_h. Psychometrika, 70(1), 123-133.

    Examples
    --------
    ``psych::omega(bfi_keyed[, c(A1:A5, C1:C5, E1:E5)], nfactors = 3)`` on psychTools' bfi
    (complete cases, reverse-keyed) gives omega_h = 0.549 and omega total = 0.854; the test
    suite checks this. ``psych::omega(bfi_keyed[, N1:N5], nfactors = 1)`` gives omega total
    0.8222 and omega_h 0.8213:

    >>> import pandas as pd
    >>> from pathlib import Path
    >>> import psychometrics
    >>> path = (Path(psychometrics.__file__).parent.parent / "tests" / "psychometrics"
    ...         / "reference" / "bfi_keyed_complete.csv")
    >>> res = omega(pd.read_csv(path)[["N1", "N2", "N3", "N4", "N5"]])
    >>> round(res.omega_total, 4), round(res.psych_omega_h, 4), res.omega_hierarchical
    (0.8222, 0.8213, None)
    """
    n, names, c = _prepare(wide, missing, min_items=3)
    if subscales is not None:
        listed = [i for items in subscales.values() for i in items]
        unknown = sorted(set(listed) - set(names))
        if unknown:
            raise ValueError(f"Subscale item(s) {unknown} are not columns of the data.")
        n_factors = len(subscales)
        small = {name: len(items) for name, items in subscales.items() if len(items) < 2}
        if small:
            raise ValueError(f"A group factor needs at least two items; subscale(s) {small} have "
                             "fewer, so the Schmid-Leiman solution is not identified.")
    n_factors = 1 if n_factors is None else int(n_factors)
    if n_factors < 1 or n_factors * 2 > len(names):
        raise ValueError(f"{n_factors} factors cannot be fitted to {len(names)} items.")
    r = _corr(c)
    vt = r.sum()
    n = int(n)
    if n_factors == 1:
        om, lam, fit = _omega_total_fit(r, fm)
        extra = _psych_extras(r, lam, np.zeros((len(names), 0)), names)
        return OmegaResult(estimate=om, ci_low=float("nan"), ci_high=float("nan"), n=n,
                           n_items=len(names), omega_total=om, omega_hierarchical=None,
                           n_factors=1, factor_method=fm,
                           g_loadings=dict(zip(names, lam.tolist())), group_loadings=None,
                           method=f"McDonald (1999) omega total, one-factor {fm} model of the "
                                  "correlation matrix, psych::omega formula; "
                                  f"{missing} correlations; no interval (use bootstrap_ci)",
                           converged=fit.converged,
                           warnings=(fit.problem,) if fit.problem else (), **extra)
    problem = identification_problem(r, n_factors, n_obs=n)
    if problem:
        raise ValueError(problem)
    g, group, converged, problems = _schmid_leiman(r, n_factors, fm)
    flipped = [names[i] for i in np.nonzero(g < 0)[0]] if converged else []
    if flipped:
        s = np.where(g < 0, -1.0, 1.0)
        r = r * np.outer(s, s)
        vt = r.sum()
        g, group, converged, problems = _schmid_leiman(r, n_factors, fm)
    h2 = g ** 2 + (group ** 2).sum(axis=1)
    om_t = float(1 - (1 - h2).sum() / vt)
    om_h = float(g.sum() ** 2 / vt)
    groups = pd.DataFrame(group, index=names, columns=[f"F{i + 1}" for i in range(n_factors)])
    method = (f"Schmid-Leiman on {fm} extraction with oblimin rotation ({n_factors} group "
              f"factors), psych::omega formulas; {missing} correlations; no interval "
              "(use bootstrap_ci)")
    if flipped:
        method += f"; reversed for negative g loadings: {flipped}"
    return OmegaResult(estimate=om_t, ci_low=float("nan"), ci_high=float("nan"), n=n,
                       n_items=len(names), omega_total=om_t, omega_hierarchical=om_h,
                       n_factors=n_factors, factor_method=fm,
                       g_loadings=dict(zip(names, g.tolist())), group_loadings=groups,
                       method=method, converged=converged, warnings=tuple(problems),
                       **_psych_extras(r, g, group, names))


def _psych_extras(r: np.ndarray, g: np.ndarray, group: np.ndarray, names: list) -> dict:
    """psych::omega's omega_h, omega.lim, ECV, G6 and omega.group for a (flipped) solution."""
    vt = r.sum()
    p = r.shape[0]
    u2 = 1 - g ** 2 - (group ** 2).sum(axis=1)
    gsq = g.sum() ** 2
    ev_g, ev_group = (g ** 2).sum(), (group ** 2).sum(axis=0)
    rows = {"g": {"total": 1 - u2.sum() / vt, "general": gsq / vt,
                  "group": 0.0, "items": list(names)}}
    grs = 0.0
    if group.shape[1]:
        sub = np.abs(group).argmax(axis=1)
        for f in range(group.shape[1]):
            idx = np.nonzero(sub == f)[0]
            if not len(idx):
                continue
            vgr = r[np.ix_(idx, idx)].sum()
            gr = group[idx, f].sum()
            grs += gr ** 2
            gen = g[idx].sum() ** 2
            rows[f"F{f + 1}"] = {"total": (gr ** 2 + gen) / vgr, "general": gen / vgr,
                                 "group": gr ** 2 / vgr, "items": [names[i] for i in idx]}
    rows["g"]["group"] = grs / vt
    h2 = 1 - u2
    p2 = g ** 2 / h2
    shares = {"sums_of_squares": {"g": float(ev_g),
                                  **{f"F{f + 1}": float(v) for f, v in enumerate(ev_group)}},
              "mean_percent_general": float(p2.mean()),
              "sd_percent_general": float(p2.std(ddof=1)),
              "cv_percent_general": float(p2.std(ddof=1) / p2.mean())}
    if len(ev_group):
        shares["general_max"] = float(ev_g / ev_group.max())
        shares["max_min"] = float(ev_group.max() / ev_group.min())
    return {"variance_shares": shares,
            "psych_omega_h": float(gsq / vt), "omega_limit": float(gsq / (vt - u2.sum())),
            "ecv": float(ev_g / (ev_g + ev_group.sum())),
            "g6": float((vt + _smc(r).sum() - p) / vt),
            "omega_group": pd.DataFrame.from_dict(rows, orient="index")}
