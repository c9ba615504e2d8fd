"""Exploratory factor extraction (minres, maximum likelihood) and oblimin rotation.

Small numerical building blocks for `omega` and `cfa`; they work on a correlation or
covariance matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize

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
    """Squared multiple correlations, 1 - 1/diag(R^-1): the usual starting communalities."""
    try:
        return 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        raise ValueError("The item correlation matrix is singular; an item is a linear "
                         "combination of others.") from None


def minres(r: np.ndarray, nfactors: int) -> np.ndarray:
    r"""Minimum-residual (unweighted least squares) loadings, unrotated (see `minres_fit`)."""
    return minres_fit(r, nfactors).loadings


def minres_fit(r: np.ndarray, nfactors: int, *, maxiter: int = MINRES_MAXITER) -> FactorFit:
    r"""Minimum-residual (unweighted least squares) loadings, unrotated, and how the fit ended.

    Minimises :math:`\sum_{i \ne j} (r_{ij} - (\Lambda\Lambda')_{ij})^2` over
    :math:`\Lambda` (Harman & Jones 1966), as ``psych::fa(fm = "minres")``. The fit is
    bounded: at most ``maxiter`` iterations, and it stops as soon as a communality exceeds
    `HEYWOOD_STOP` (the solution is diverging; psych bounds the uniquenesses at 0.005 instead
    and warns of an "ultra-Heywood case"). Either way ``converged`` is False and ``problem``
    says why.
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

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    Psychometrika, 31(3), 351-368.
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
    """Loadings, uniquenesses and F at the minimum of `ml_fit` (without the fit's state)."""
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
    """Unrotated loadings by the named method."""
    return extract_fit(r, nfactors, fm).loadings


def extract_fit(r: np.ndarray, nfactors: int, fm: FactorMethod) -> FactorFit:
    """Unrotated loadings by the named method, with how the fit ended."""
    if fm == "minres":
        return minres_fit(r, nfactors)
    if fm == "ml":
        return ml_fit(r, nfactors)[0]
    raise ValueError(f"fm must be 'minres' or 'ml', got {fm!r}.")


def identification_problem(r: np.ndarray, nfactors: int, n_obs: int | None = None) -> str:
    r"""Why an ``nfactors``-factor model cannot be fitted to the correlation matrix ``r``, in
    words, or "" when it can. Checked before fitting, so that an unidentified model is named
    instead of being iterated on:

    - R must be positive definite (few observations for the number of items, or pairwise
      correlations from different subsets, make it singular or indefinite);
    - the model's degrees of freedom :math:`((p - m)^2 - (p + m)) / 2` must not be negative
      (more free parameters than correlations to fit);
    - the correlation matrix with squared multiple correlations on its diagonal must have at
      least m positive eigenvalues. Their number is Guttman's (1954) strongest lower bound to
      the number of common factors and, in samples, usually more than the true number; when even
      it is below m, the m-th factor has no common variance to describe, so its loadings are
      not identified (the fit wanders along a flat or diverging direction);
    - with ``n_obs`` given, the m-th of those eigenvalues must exceed the 95th percentile of the
      m-th eigenvalue of the same matrix from uncorrelated normal data of the same size (Horn's
      1965 parallel analysis on the reduced matrix, as ``psych::fa.parallel`` draws it, with
      Glorfeld's 1995 percentile; 20 draws, fixed seed).
      A factor that does not stand out from sampling noise cannot be told apart from it: one
      common factor fitted with three group factors gives oblimin rotations that do not converge
      and an omega hierarchical that describes the noise.

    References
    ----------
    Guttman, L. (1954). Some necessary conditions for common-factor analysis. Psychometrika,
    19(2), 149-161.
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    Psychometrika, 30(2), 179-185.
    Glorfeld, L. W. (1995). An improvement on Horn's parallel analysis methodology for
    selecting the correct number of factors to retain. Educational and Psychological
    Measurement, 55(3), 377-393.
    """
    p = r.shape[0]
    smallest = float(np.linalg.eigvalsh(r)[0])
    if smallest <= 1e-10 * p:
        return (f"The item correlation matrix is not positive definite (smallest eigenvalue "
                f"{smallest:.2g}): too few observations for {p} items, items that are linear "
                "combinations of others, or pairwise correlations from different subsets, so no "
                "factor model can be fitted.")
    df = ((p - nfactors) ** 2 - (p + nfactors)) / 2
    if df < 0:
        return (f"A {nfactors}-factor model of {p} items has negative degrees of freedom ({df:g}): "
                "it has more free parameters than correlations to fit, so it is not identified.")
    reduced = r - np.diag(np.diag(r)) + np.diag(smc(r))
    positive = int((np.linalg.eigvalsh(reduced) > 0).sum())
    if positive < nfactors:
        return (f"The items show fewer than {nfactors} common factors: the correlation matrix with "
                f"squared multiple correlations on its diagonal has {positive} positive "
                f"eigenvalue(s), Guttman's (1954) lower bound to the number of factors, so a "
                f"{nfactors}-factor model is not identified here (its extra factors would fit noise).")
    if n_obs is not None:
        observed = float(np.sort(np.linalg.eigvalsh(reduced))[::-1][nfactors - 1])
        noise = random_reduced_eigenvalue(p, nfactors, int(n_obs))
        if observed <= noise:
            return (f"The items show fewer than {nfactors} common factors that stand out from sampling noise: "
                    f"eigenvalue {nfactors} of the correlation matrix with squared multiple correlations on "
                    f"its diagonal is {observed:.3f}, not above {noise:.3f}, the 95th percentile of that "
                    f"eigenvalue in uncorrelated data of {n_obs} observations of {p} items (parallel "
                    f"analysis, Horn 1965; Glorfeld 1995), so a "
                    f"{nfactors}-factor model would fit noise.")
    return ""


PARALLEL_DRAWS = 20
PARALLEL_MAX_ROWS = 20_000
"""Parallel analysis simulates at most this many rows per draw and scales the eigenvalue's
sampling spread by sqrt(rows / n) beyond it (the spread of sample eigenvalues around their
population value 0 shrinks as 1/sqrt(n)), so a large study costs no more than a moderate one."""


def random_reduced_eigenvalue(p: int, k: int, n: int, *, draws: int = PARALLEL_DRAWS,
                              seed: int = 0) -> float:
    """95th percentile of the k-th largest eigenvalue of the SMC-reduced correlation matrix of
    ``n`` x ``p`` uncorrelated standard normal observations (``draws`` draws, fixed seed)."""
    rng = np.random.default_rng(seed)
    rows = min(n, PARALLEL_MAX_ROWS)
    values = []
    for _ in range(draws):
        r = np.corrcoef(rng.standard_normal((rows, p)), rowvar=False)
        reduced = r - np.diag(np.diag(r)) + np.diag(smc(r))
        values.append(np.sort(np.linalg.eigvalsh(reduced))[::-1][k - 1])
    return float(np.quantile(values, 0.95) * np.sqrt(rows / n))


def _principal_axes(lam: np.ndarray) -> np.ndarray:
    u, d, vt = np.linalg.svd(lam, full_matrices=False)
    return u * d


def _orient(lam: np.ndarray) -> np.ndarray:
    signs = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    return lam * signs


def oblimin(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-8,
            maxit: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The pattern and factor correlations of `oblimin_fit`."""
    lam, phi, _ = oblimin_fit(a, gamma, eps, maxit)
    return lam, phi


def oblimin_fit(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-8,
                maxit: int = 1000) -> tuple[np.ndarray, np.ndarray, bool]:
    """Oblique oblimin rotation by gradient projection (Bernaards & Jennrich 2005).

    Same algorithm as ``GPArotation::oblimin`` (GPFoblq, no Kaiser normalisation). Returns the
    pattern matrix, the factor correlation matrix and whether the projected gradient fell below
    ``eps`` within ``maxit`` iterations (GPArotation's defaults: 1e-5 there on the criterion,
    1,000 iterations; it warns "convergence not obtained" otherwise).
    """
    p, m = a.shape
    if m < 2:
        return a.copy(), np.ones((1, 1)), True

    def vgq(lam):
        x = (lam ** 2) @ (1 - np.eye(m))
        if gamma != 0:
            x = (np.eye(p) - gamma / p) @ x
        return lam * x, float((lam ** 2 * x).sum() / 4)

    t = np.eye(m)
    lam = a @ np.linalg.inv(t).T
    gq, f = vgq(lam)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    al = 1.0
    converged = False
    for _ in range(maxit):
        gp = g - t @ np.diag((t * g).sum(axis=0))
        s = np.sqrt((gp ** 2).sum())
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            x = t - al * gp
            tt = x / np.sqrt((x ** 2).sum(axis=0))
            lam = a @ np.linalg.inv(tt).T
            gqt, ft = vgq(lam)
            if f - ft > 0.5 * s ** 2 * al:
                break
            al /= 2
        t, f = tt, ft
        g = -(lam.T @ gqt @ np.linalg.inv(tt)).T
    phi = t.T @ t
    # Order factors by variance explained and make each column sum positive, as psych does.
    ss = np.diag(phi @ lam.T @ lam)
    order = np.argsort(ss)[::-1]
    lam, phi = lam[:, order], phi[np.ix_(order, order)]
    signs = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    return lam * signs, phi * np.outer(signs, signs), converged
