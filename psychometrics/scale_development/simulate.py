"""Simulated item pools with known structure, for testing and planning scale development."""
from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_pool(*, n_targets: int = 300, n_clusters: int = 60, n_items: int = 30,
                  n_true: int = 8, loading_range: tuple[float, float] = (0.7, 0.8),
                  criterion_r: float = 0.5, cluster_share: float = 0.3, n_reversed: int = 0,
                  points: int | None = None, seed: int = 0
                  ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, list[str]]:
    """A targets x items pool where the first ``n_true`` items load ``loading_range`` on a
    factor F that correlates ``criterion_r`` with the criterion, and the rest are noise.

    Targets are nested in ``n_clusters`` clusters (``cluster_share`` of F's variance and of the
    criterion's is between clusters). The last ``n_reversed`` true items are reverse-worded
    (negative loadings). With ``points`` the items are cut into that many ordered categories
    (1..points) at standard-normal quantiles.

    Parameters
    ----------
    n_targets, n_clusters, n_items, n_true : int
        Pool size, clusters, items, and items that measure F.
    loading_range : (float, float)
        Uniform range of the true items' loadings.
    criterion_r : float
        Correlation of F with the criterion.
    cluster_share : float
        Share of F's and the criterion's variance that lies between clusters.
    n_reversed : int
        True items with negative loadings.
    points : int, optional
        Cut the items into this many ordered categories.
    seed : int
        Seed of the simulation.

    Returns
    -------
    (DataFrame, DataFrame, ndarray, list of str)
        Items, criteria (a ``criterion`` column), cluster labels, the true item codes.

    References
    ----------
    Clark, L. A., & Watson, D. (1995). Constructing validity: Basic issues in objective scale
    development. Psychological Assessment, 7(3), 309-319.

    Examples
    --------
    >>> items, criteria, clusters, true = simulate_pool(n_targets=100, n_clusters=20, n_items=10,
    ...                                                 n_true=4)
    >>> items.shape, list(criteria.columns), true
    ((100, 10), ['criterion'], ['item_01', 'item_02', 'item_03', 'item_04'])
    """
    rng = np.random.default_rng(seed)
    cluster = np.sort(rng.integers(0, n_clusters, size=n_targets))
    cluster[:n_clusters] = np.arange(n_clusters)  # every cluster has a target
    cluster = np.sort(cluster)
    between = rng.normal(size=n_clusters)
    f = np.sqrt(cluster_share) * between[cluster] + np.sqrt(1 - cluster_share) * rng.normal(size=n_targets)
    loadings = np.zeros(n_items)
    loadings[:n_true] = rng.uniform(*loading_range, size=n_true)
    if n_reversed:
        loadings[n_true - n_reversed:n_true] *= -1
    x = f[:, None] * loadings + rng.normal(size=(n_targets, n_items)) * np.sqrt(1 - loadings ** 2)
    if points:
        cuts = np.quantile(rng.normal(size=100_000), np.linspace(0, 1, points + 1)[1:-1])
        x = 1.0 + np.searchsorted(cuts, x)
    criterion = criterion_r * f + np.sqrt(1 - criterion_r ** 2) * rng.normal(size=n_targets)
    codes = [f"item_{i + 1:02d}" for i in range(n_items)]
    return (pd.DataFrame(x, columns=codes), pd.DataFrame({"criterion": criterion}),
            np.array([f"c{c:03d}" for c in cluster]), codes[:n_true])
