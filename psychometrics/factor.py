"""Exploratory factor extraction (minres, maximum likelihood) and oblimin rotation.

Small numerical building blocks for `omega` and `cfa`; they work on a correlation or
covariance matrix.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import optimize

FactorMethod = Literal["minres", "ml"]


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, 1 - 1/diag(R^-1): the usual starting communalities."""
    try:
        return 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        raise ValueError("The item correlation matrix is singular; an item is a linear "
                         "combination of others.") from None


def minres(r: np.ndarray, nfactors: int) -> np.ndarray:
    r"""Minimum-residual (unweighted least squares) loadings, unrotated.

    Minimises :math:`\sum_{i \ne j} (r_{ij} - (\Lambda\Lambda')_{ij})^2` over
    :math:`\Lambda` (Harman & Jones 1966), as ``psych::fa(fm = "minres")``.
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

    res = optimize.minimize(fun, start.ravel(), jac=True, method="L-BFGS-B",
                            options={"maxiter": 10_000, "gtol": 1e-12, "ftol": 1e-15})
    lam = res.x.reshape(p, nfactors)
    return _orient(_principal_axes(lam))


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
    r"""Maximum-likelihood factor analysis of a covariance or correlation matrix.

    Minimises :math:`F = \log|\Sigma| + \mathrm{tr}(S\Sigma^{-1}) - \log|S| - p` with
    :math:`\Sigma = \Lambda\Lambda' + \Psi`, concentrating :math:`\Lambda` out as in
    ``stats::factanal`` (Joreskog 1967). Returns loadings, uniquenesses and F at the minimum.
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
                            options={"maxiter": 10_000, "gtol": 1e-12, "ftol": 1e-15})
    psi = res.x
    e, v = parts(psi)
    lam = np.sqrt(psi)[:, None] * v[:, :nfactors] * np.sqrt(np.clip(e[:nfactors] - 1, 0, None))
    return _orient(lam), psi, float(res.fun)


def extract(r: np.ndarray, nfactors: int, fm: FactorMethod) -> np.ndarray:
    """Unrotated loadings by the named method."""
    if fm == "minres":
        return minres(r, nfactors)
    if fm == "ml":
        return ml_psi(r, nfactors)[0]
    raise ValueError(f"fm must be 'minres' or 'ml', got {fm!r}.")


def _principal_axes(lam: np.ndarray) -> np.ndarray:
    u, d, vt = np.linalg.svd(lam, full_matrices=False)
    return u * d


def _orient(lam: np.ndarray) -> np.ndarray:
    signs = np.where(lam.sum(axis=0) < 0, -1.0, 1.0)
    return lam * signs


def oblimin(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-8,
            maxit: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Oblique oblimin rotation by gradient projection (Bernaards & Jennrich 2005).

    Same algorithm as ``GPArotation::oblimin`` (GPFoblq, no Kaiser normalisation). Returns the
    pattern matrix and the factor correlation matrix.
    """
    p, m = a.shape
    if m < 2:
        return a.copy(), np.ones((1, 1))

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
    for _ in range(maxit):
        gp = g - t @ np.diag((t * g).sum(axis=0))
        s = np.sqrt((gp ** 2).sum())
        if s < eps:
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
    return lam * signs, phi * np.outer(signs, signs)
