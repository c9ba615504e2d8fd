"""Is an m-factor model identified on these data? Checked before fitting, so that omega
hierarchical names the reason instead of iterating on an unidentified model."""
from __future__ import annotations

import numpy as np

from .factor import _doctest_bfi_correlations, smc  # noqa: F401 - the doctests use the data


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

    Parameters
    ----------
    r : ndarray
        Correlation matrix of the p items.
    nfactors : int
        Number of factors m.
    n_obs : int, optional
        Number of observations, for the parallel-analysis check (skipped when None).

    Returns
    -------
    str
        The reason in words, or "".

    References
    ----------
    Guttman, L. (1954). Some necessary conditions for common-factor analysis. Psychometrika,
    19(2), 149-161.
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    Psychometrika, 30(2), 179-185.
    Glorfeld, L. W. (1995). An improvement on Horn's parallel analysis methodology for
    selecting the correct number of factors to retain. Educational and Psychological
    Measurement, 55(3), 377-393.

    Examples
    --------
    >>> r = _doctest_bfi_correlations(["N1", "N2", "N3", "N4", "N5"])
    >>> identification_problem(r, 3)[:60]
    'A 3-factor model of 5 items has negative degrees of freedom '
    >>> identification_problem(r, 1, n_obs=2436)
    ''
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
    r"""95th percentile of the k-th largest eigenvalue of the SMC-reduced correlation matrix of
    ``n`` x ``p`` uncorrelated standard normal observations (``draws`` draws, fixed seed).

    Parameters
    ----------
    p : int
        Number of items.
    k : int
        Which eigenvalue (1 = the largest).
    n : int
        Number of observations; beyond `PARALLEL_MAX_ROWS` the spread is scaled by
        :math:`\sqrt{rows/n}`.
    draws : int
        Number of simulated data sets.
    seed : int
        Seed of the simulation.

    Returns
    -------
    float

    References
    ----------
    Horn, J. L. (1965). Psychometrika, 30(2), 179-185.
    Glorfeld, L. W. (1995). Educational and Psychological Measurement, 55(3), 377-393.

    Examples
    --------
    >>> value = random_reduced_eigenvalue(5, 1, 2436)
    >>> bool(0 < value < 0.2)  # noise: far below bfi N's first reduced eigenvalue (2.4)
    True
    """
    rng = np.random.default_rng(seed)
    rows = min(n, PARALLEL_MAX_ROWS)
    values = []
    for _ in range(draws):
        r = np.corrcoef(rng.standard_normal((rows, p)), rowvar=False)
        reduced = r - np.diag(np.diag(r)) + np.diag(smc(r))
        values.append(np.sort(np.linalg.eigvalsh(reduced))[::-1][k - 1])
    return float(np.quantile(values, 0.95) * np.sqrt(rows / n))
