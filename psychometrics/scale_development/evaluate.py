"""How good a short scale is on one sample: omega total, alpha, r with each criterion."""
from __future__ import annotations

import numpy as np

from ..consistency import _alpha_from_cov
from ._matrix import corr_with, covariance, to_correlation
from .item_analysis import one_factor_loadings


def metric_names(criterion_names: list[str]) -> list[str]:
    """The names of `scale_performance`'s figures, in its order.

    Parameters
    ----------
    criterion_names : list of str
        The criteria's names.

    Returns
    -------
    list of str

    References
    ----------
    McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum (omega total).

    Examples
    --------
    >>> metric_names(["effort"])
    ['omega_total', 'alpha', 'r:effort']
    """
    return ["omega_total", "alpha"] + [f"r:{name}" for name in criterion_names]


def scale_performance(x: np.ndarray, y: np.ndarray, items: np.ndarray, signs: np.ndarray) -> np.ndarray:
    r"""[omega_total, alpha, r with each criterion] of the scale made of ``items`` keyed by
    ``signs``, on the targets x items sample ``x`` (``y``: targets x criteria).

    The scale score is the mean of the answered keyed items. Omega total is McDonald's from a
    one-factor minres model of the items' correlations (``psych::omega``), alpha Cronbach's from
    their covariances, both pairwise-complete; r is Pearson's of the scale score with each
    criterion. Undefined figures (fewer than three items or a Heywood case for omega, a
    constant item) are NaN.

    Parameters
    ----------
    x : ndarray
        Targets x items, NaN for a missing answer.
    y : ndarray
        Targets x criteria (zero columns for none).
    items : ndarray of int
        Columns of ``x`` that form the scale.
    signs : ndarray
        +1 or -1 per item in ``items`` (keying).

    Returns
    -------
    ndarray
        omega total, alpha, then r with each criterion.

    References
    ----------
    McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum.
    Cronbach, L. J. (1951). Psychometrika, 16(3), 297-334.

    Examples
    --------
    psychTools' bfi neuroticism items (complete cases): ``psych::omega(N, nfactors = 1)`` gives
    omega total 0.8222 and ``psych::alpha(N)`` 0.8169:

    >>> import numpy as np, pandas as pd
    >>> from pathlib import Path
    >>> import psychometrics
    >>> path = (Path(psychometrics.__file__).parent.parent / "tests" / "psychometrics"
    ...         / "reference" / "bfi_keyed_complete.csv")
    >>> x = pd.read_csv(path)[["N1", "N2", "N3", "N4", "N5"]].to_numpy(float)
    >>> np.round(scale_performance(x, np.empty((len(x), 0)), np.arange(5), np.ones(5)), 4)
    array([0.8222, 0.8169])
    """
    out = np.full(2 + y.shape[1], np.nan)
    if len(items) < 2:
        return out
    sub = x[:, items] * signs
    c = covariance(sub)
    if not (np.isfinite(c).all() and (np.diag(c) > 0).all()):
        return out
    if len(items) >= 3:
        r = to_correlation(c)
        lam = one_factor_loadings(r)
        if np.abs(lam).max() < 1:  # a Heywood case leaves omega undefined
            out[0] = 1 - (1 - lam ** 2).sum() / r.sum()  # as psychometrics.omega, one factor
    out[1] = _alpha_from_cov(c)
    if y.shape[1]:
        with np.errstate(invalid="ignore"):
            score = np.nanmean(sub, axis=1) if np.isnan(sub).any() else sub.mean(axis=1)
        out[2:] = corr_with(y, score)
    return out
