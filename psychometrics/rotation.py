"""Oblique oblimin rotation by gradient projection (GPArotation's GPFoblq)."""
from __future__ import annotations

import numpy as np


def oblimin(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-8,
            maxit: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The pattern and factor correlations of `oblimin_fit`.

    Parameters
    ----------
    a : ndarray
        Unrotated p x m loadings.
    gamma, eps, maxit
        As in `oblimin_fit`.

    Returns
    -------
    (ndarray, ndarray)
        Pattern matrix and factor correlations.

    References
    ----------
    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software
    for arbitrary rotation criteria in factor analysis. Educational and Psychological
    Measurement, 65(5), 676-696.

    Examples
    --------
    >>> import numpy as np
    >>> pattern, phi = oblimin(np.array([[0.7, 0.3], [0.6, 0.35], [0.6, -0.3], [0.7, -0.35]]))
    >>> pattern.shape, bool(np.allclose(np.diag(phi), 1))
    ((4, 2), True)
    """
    lam, phi, _ = oblimin_fit(a, gamma, eps, maxit)
    return lam, phi


def oblimin_fit(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-8,
                maxit: int = 1000) -> tuple[np.ndarray, np.ndarray, bool]:
    """Oblique oblimin rotation by gradient projection (Bernaards & Jennrich 2005).

    Same algorithm as ``GPArotation::oblimin`` (GPFoblq, no Kaiser normalisation). Returns the
    pattern matrix, the factor correlation matrix and whether the projected gradient fell below
    ``eps`` within ``maxit`` iterations (GPArotation's defaults: 1e-5 there on the criterion,
    1,000 iterations; it warns "convergence not obtained" otherwise).

    Parameters
    ----------
    a : ndarray
        Unrotated p x m loadings.
    gamma : float
        Oblimin's gamma (0: quartimin, GPArotation's default).
    eps : float
        Convergence tolerance on the norm of the projected gradient.
    maxit : int
        Iteration limit.

    Returns
    -------
    (ndarray, ndarray, bool)
        Pattern matrix (factors ordered by variance explained, columns summing positive, as
        psych orders them), factor correlations, and whether the rotation converged.

    References
    ----------
    Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software
    for arbitrary rotation criteria in factor analysis. Educational and Psychological
    Measurement, 65(5), 676-696.
    Jennrich, R. I. (2002). A simple general method for oblique rotation. Psychometrika, 67(1),
    7-19.

    Examples
    --------
    psychTools' bfi A, C and E items: ``psych::fa(x, 3, rotate = "oblimin")$Phi`` has the
    correlations 0.270, 0.527 and 0.282:

    >>> import numpy as np
    >>> from psychometrics.factor import _doctest_bfi_correlations, minres
    >>> r = _doctest_bfi_correlations([f"{s}{i}" for s in "ACE" for i in range(1, 6)])
    >>> pattern, phi, converged = oblimin_fit(minres(r, 3))
    >>> np.round(phi[np.triu_indices(3, 1)], 3).tolist(), converged
    ([0.27, 0.527, 0.282], True)
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
