"""Exploratory factor extraction (minres, maximum likelihood); oblimin rotation is in `rotation`.

Small numerical building blocks for `omega` and `cfa`; they work on a correlation or
covariance matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize

from .rotation import oblimin, oblimin_fit  # noqa: F401 - re-exported for callers of factor

FactorMethod = Literal["minres", "ml"]

MINRES_MAXITER = 2000
"""Iteration limit of the general minres fit: proper solutions of ten to thirty items converge
in tens to a few hundred iterations; a fit still moving after 2,000 is reported as not
converged instead of iterating on."""
HEYWOOD_STOP = 1.5
"""A communality above this stops the minres fit: the unconstrained solution is diverging (an
ultra-Heywood case), and no estimate is to be had from iterating on."""


@dataclass(frozen=True, slots=True)
class FactorFit:
    """Unrotated loadings and how the fit ended.

    ``converged`` is the optimiser's own convergence (False at the iteration limit or when a
    diverging Heywood case stopped it); ``heywood`` names the items whose communality exceeds 1
    (an improper solution, psych's "ultra-Heywood case"); ``problem`` says either in words ("" for a
    proper, converged fit).
    """

    loadings: np.ndarray
    converged: bool
    iterations: int
    heywood: tuple[int, ...] = ()
    problem: str = ""


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, 1 - 1/diag(R^-1): the usual starting communalities.

    Parameters
    ----------
    r : ndarray
        A positive definite correlation matrix.

    Returns
    -------
    ndarray
        Each item's squared multiple correlation with the others (``psych::smc``).

    References
    ----------
    Guttman, L. (1956). "Best possible" systematic estimates of communalities. Psychometrika,
    21(3), 273-285.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(smc(np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])), 4)
    array([0.3187, 0.2619, 0.1733])
    """
    try:
        return 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        raise ValueError("The item correlation matrix is singular; an item is a linear "
                         "combination of others.") from None


def minres(r: np.ndarray, nfactors: int) -> np.ndarray:
    r"""Minimum-residual (unweighted least squares) loadings, unrotated (see `minres_fit`).

    Parameters
    ----------
    r : ndarray
        Correlation matrix.
    nfactors : int
        Number of factors.

    Returns
    -------
    ndarray
        p x nfactors loadings, columns summing positive.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31(3), 351-368.

    Examples
    --------
    psychTools' bfi N1-N5 (complete cases): ``psych::fa(N, 1)$loadings`` are 0.7920, 0.7635,
    0.7631, 0.5976 and 0.5297:

    >>> import numpy as np
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> np.round(minres(r, 1)[:, 0], 4)
    array([0.792 , 0.7635, 0.7631, 0.5976, 0.5297])
    """
    return minres_fit(r, nfactors).loadings


def minres_fit(r: np.ndarray, nfactors: int, *, maxiter: int = MINRES_MAXITER) -> FactorFit:
    r"""Minimum-residual (unweighted least squares) loadings, unrotated, and how the fit ended.

    Minimises :math:`\sum_{i \ne j} (r_{ij} - (\Lambda\Lambda')_{ij})^2` over
    :math:`\Lambda` (Harman & Jones 1966), as ``psych::fa(fm = "minres")``. The fit is
    bounded: at most ``maxiter`` iterations, and it stops as soon as a communality exceeds
    `HEYWOOD_STOP` (the solution is diverging; psych bounds the uniquenesses at 0.005 instead
    and warns of an "ultra-Heywood case"). Either way ``converged`` is False and ``problem``
    says why.

    Parameters
    ----------
    r : ndarray
        Correlation matrix.
    nfactors : int
        Number of factors.
    maxiter : int
        Iteration limit of the L-BFGS fit.

    Returns
    -------
    FactorFit
        Unrotated loadings (principal axes, columns summing positive), ``converged``,
        ``iterations``, ``heywood`` items and ``problem`` in words.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31(3), 351-368.

    Examples
    --------
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> fit = minres_fit(r, 1)
    >>> round(float(fit.loadings[0, 0]), 3), fit.converged, fit.problem  # psych::fa: 0.792
    (0.792, True, '')
    """
    p = r.shape[0]
    reduced = r - np.diag(np.diag(r)) + np.diag(np.clip(smc(r), 0.005, None))
    vals, vecs = np.linalg.eigh(reduced)
    order = np.argsort(vals)[::-1][:nfactors]
    start = vecs[:, order] * np.sqrt(np.clip(vals[order], 1e-3, None))
    off = ~np.eye(p, dtype=bool)

    def fun(flat):
        lam = flat.reshape(p, nfactors)
        resid = np.where(off, r - lam @ lam.T, 0.0)
        return float((resid ** 2).sum()), (-4.0 * resid @ lam).ravel()

    diverged = []

    def stop_if_diverging(xk):
        h2 = (xk.reshape(p, nfactors) ** 2).sum(axis=1)
        if h2.max() > HEYWOOD_STOP:
            diverged.append(float(h2.max()))
            raise StopIteration

    res = optimize.minimize(fun, start.ravel(), jac=True, method="L-BFGS-B",
                            callback=stop_if_diverging,
                            options={"maxiter": maxiter, "gtol": 1e-12, "ftol": 1e-15})
    lam = _orient(_principal_axes(res.x.reshape(p, nfactors)))
    return _fit_result(lam, converged=bool(res.success) and not diverged, iterations=int(res.nit),
                       limit=maxiter, diverged=bool(diverged))


def _fit_result(lam: np.ndarray, *, converged: bool, iterations: int, limit: int,
                diverged: bool = False) -> FactorFit:
    h2 = (lam ** 2).sum(axis=1)
    heywood = tuple(int(i) for i in np.nonzero(h2 > 1 + 1e-8)[0])
    if diverged:
        problem = (f"The minres fit was stopped after {iterations} iterations because a communality "
                   f"exceeded {HEYWOOD_STOP:g} and kept growing (an ultra-Heywood case): the "
                   f"{lam.shape[1]}-factor model has no proper solution on these data.")
    elif not converged:
        problem = (f"The factor fit did not converge within {limit} iterations; its loadings are not "
                   "a solution.")
    elif heywood:
        problem = (f"The factor solution is improper (a Heywood case): {len(heywood)} item(s) have a "
                   f"communality above 1 (largest {h2.max():.3f}).")
    else:
        problem = ""
    return FactorFit(loadings=lam, converged=converged, iterations=iterations, heywood=heywood,
                     problem=problem)


def minres_one_factor(r: np.ndarray, *, tol: float = 1e-11, maxit: int = 3000) -> np.ndarray:
    r"""One-factor minimum-residual loadings by the fixed point of the minres conditions.

    For one factor, :math:`\partial/\partial\lambda_i \sum_{j \ne k}(r_{jk} - \lambda_j
    \lambda_k)^2 = 0` gives :math:`\lambda_i = \sum_{j \ne i} r_{ij}\lambda_j /
    \sum_{j \ne i}\lambda_j^2` (Harman & Jones 1966 solve it row by row); iterating all rows at
    once, damped by one half and started from the centroid factor, converges in tens of
    matrix-vector products where `minres` needs a general optimiser. The same solution as
    `minres` (to about 1e-9); falls back to `minres` if it does not converge. Oriented to sum
    positive.
    When the items share next to nothing the minres solution is a Heywood case (a loading
    above 1 that grows without bound); the iteration stops at the first loading above 1 and
    returns it, so callers can see the improper solution, as ``psych::fa`` warns of one.

    Parameters
    ----------
    r : ndarray
        Correlation matrix.
    tol : float
        Convergence tolerance on the largest change of a loading.
    maxit : int
        Iteration limit before falling back to `minres`.

    Returns
    -------
    ndarray
        The p loadings, summing positive.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31(3), 351-368.

    Examples
    --------
    >>> import numpy as np
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> np.round(minres_one_factor(r), 4)  # psych::fa(N, 1)
    array([0.792 , 0.7635, 0.7631, 0.5976, 0.5297])
    """
    off = r - np.diag(np.diag(r))
    # Thurstone's centroid factor as the start: no eigendecomposition, and close enough.
    total = r.sum()
    lam = r.sum(axis=1) / np.sqrt(total) if total > 1e-8 else np.full(r.shape[0], 0.5)
    for _ in range(maxit):
        with np.errstate(invalid="ignore", divide="ignore"):
            new = 0.5 * lam + 0.5 * (off @ lam) / (lam @ lam - lam ** 2)
        if not np.isfinite(new).all():
            break
        if np.max(np.abs(new - lam)) < tol or np.max(np.abs(new)) > 1:
            return new if new.sum() >= 0 else -new
        lam = new
    return minres(r, 1)[:, 0]


def ml_psi(s: np.ndarray, nfactors: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Loadings, uniquenesses and F at the minimum of `ml_fit` (without the fit's state).

    Parameters
    ----------
    s : ndarray
        Covariance or correlation matrix.
    nfactors : int
        Number of factors.

    Returns
    -------
    (ndarray, ndarray, float)
        Loadings, uniquenesses, and the fit function at its minimum.

    References
    ----------
    Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    Psychometrika, 32(4), 443-482.

    Examples
    --------
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> lam, psi, fmin = ml_psi(r, 1)
    >>> round(float(lam[0, 0]), 4), round(float(psi[0] + lam[0, 0] ** 2), 10)  # factanal: 0.8315
    (0.8315, 1.0)
    """
    fit, psi, fmin = ml_fit(s, nfactors)
    return fit.loadings, psi, fmin


def ml_fit(s: np.ndarray, nfactors: int, *,
           maxiter: int = MINRES_MAXITER) -> tuple[FactorFit, np.ndarray, float]:
    r"""Maximum-likelihood factor analysis of a covariance or correlation matrix.

    Minimises :math:`F = \log|\Sigma| + \mathrm{tr}(S\Sigma^{-1}) - \log|S| - p` with
    :math:`\Sigma = \Lambda\Lambda' + \Psi`, concentrating :math:`\Lambda` out as in
    ``stats::factanal`` (Joreskog 1967), the uniquenesses bounded to [0.005 s_ii, s_ii] as
    there. Returns the fit (loadings, convergence; a uniqueness at its lower bound is a Heywood
    case), the uniquenesses and F at the minimum.

    Parameters
    ----------
    s : ndarray
        Covariance or correlation matrix.
    nfactors : int
        Number of factors.
    maxiter : int
        Iteration limit of the L-BFGS fit.

    Returns
    -------
    (FactorFit, ndarray, float)
        The fit, the uniquenesses and F at the minimum (``factanal``'s ``criteria["objective"]``).

    References
    ----------
    Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    Psychometrika, 32(4), 443-482.

    Examples
    --------
    psychTools' bfi N1-N5: ``factanal(N, 1)`` loadings 0.8315, 0.8090, 0.7173, 0.5555, 0.4976:

    >>> import numpy as np
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> fit, psi, fmin = ml_fit(r, 1)
    >>> np.round(fit.loadings[:, 0], 4), fit.converged
    (array([0.8315, 0.809 , 0.7173, 0.5555, 0.4976]), True)
    """
    p = s.shape[0]
    diag = np.diag(s)
    start = (1 - 0.5 * nfactors / p) / np.diag(np.linalg.inv(s))

    def parts(psi):
        sc = 1 / np.sqrt(psi)
        vals, vecs = np.linalg.eigh(s * np.outer(sc, sc))
        return vals[::-1], vecs[:, ::-1]

    def fun(psi):
        e, v = parts(psi)
        rest = e[nfactors:]
        f = -(np.sum(np.log(rest) - rest) - nfactors + p)
        lam = np.sqrt(psi)[:, None] * v[:, :nfactors] * np.sqrt(np.clip(e[:nfactors] - 1, 0,
                                                                        None))
        g = lam @ lam.T + np.diag(psi) - s
        return f, np.diag(g) / psi ** 2

    bounds = [(0.005 * d, d) for d in diag]
    res = optimize.minimize(fun, start, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": maxiter, "gtol": 1e-12, "ftol": 1e-15})
    psi = res.x
    e, v = parts(psi)
    lam = _orient(np.sqrt(psi)[:, None] * v[:, :nfactors]
                  * np.sqrt(np.clip(e[:nfactors] - 1, 0, None)))
    at_bound = tuple(int(i) for i in np.nonzero(psi <= 0.005 * diag * (1 + 1e-6))[0])
    converged = bool(res.success)
    if not converged:
        problem = (f"The maximum-likelihood fit did not converge within {maxiter} iterations; its "
                   "loadings are not a solution.")
    elif at_bound:
        problem = (f"The maximum-likelihood solution is improper (a Heywood case): {len(at_bound)} "
                   "uniqueness(es) at the lower bound of 0.5% of the item's variance.")
    else:
        problem = ""
    fit = FactorFit(loadings=lam, converged=converged, iterations=int(res.nit), heywood=at_bound,
                    problem=problem)
    return fit, psi, float(res.fun)


def extract(r: np.ndarray, nfactors: int, fm: FactorMethod) -> np.ndarray:
    """Unrotated loadings by the named method.

    Parameters
    ----------
    r : ndarray
        Correlation matrix.
    nfactors : int
        Number of factors.
    fm : {"minres", "ml"}
        `minres_fit` or `ml_fit`.

    Returns
    -------
    ndarray
        p x nfactors loadings.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Psychometrika, 31(3), 351-368.
    Joreskog, K. G. (1967). Psychometrika, 32(4), 443-482.

    Examples
    --------
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> round(float(extract(r, 1, "ml")[0, 0]), 4)  # factanal(N, 1)
    0.8315
    """
    return extract_fit(r, nfactors, fm).loadings


def extract_fit(r: np.ndarray, nfactors: int, fm: FactorMethod) -> FactorFit:
    """Unrotated loadings by the named method, with how the fit ended.

    Parameters
    ----------
    r : ndarray
        Correlation matrix.
    nfactors : int
        Number of factors.
    fm : {"minres", "ml"}
        `minres_fit` or `ml_fit`.

    Returns
    -------
    FactorFit

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Psychometrika, 31(3), 351-368.
    Joreskog, K. G. (1967). Psychometrika, 32(4), 443-482.

    Examples
    --------
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> fit = extract_fit(r, 1, "minres")
    >>> round(float(fit.loadings[0, 0]), 3), fit.converged  # psych::fa(N, 1)
    (0.792, True)
    """
    if fm == "minres":
        return minres_fit(r, nfactors)
    if fm == "ml":
        return ml_fit(r, nfactors)[0]
    raise ValueError(f"fm must be 'minres' or 'ml', got {fm!r}.")


def _principal_axes(lam: np.ndarray) -> np.ndarray:
    u, d, vt = np.linalg.svd(lam, full_matrices=False)
    return u * d


def _orient(lam: np.ndarray) -> np.ndarray:
    signs = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    return lam * signs


def _doctest_bfi_correlations(items: list[str]) -> np.ndarray:
    """Correlations of psychTools' bfi items (complete cases, keyed) from the test data."""
    from pathlib import Path

    import pandas as pd
    path = (Path(__file__).resolve().parent.parent / "tests" / "psychometrics" / "reference"
            / "bfi_keyed_complete.csv")
    return np.corrcoef(pd.read_csv(path)[items].to_numpy(float), rowvar=False)
