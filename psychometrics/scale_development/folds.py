"""Cluster-aware resampling: grouped k-fold splits and the cluster bootstrap."""
from __future__ import annotations

import numpy as np


def cluster_codes(clusters, n_rows: int) -> np.ndarray:
    """Integer cluster codes per row; each row its own cluster when ``clusters`` is None.

    Parameters
    ----------
    clusters : sequence or None
        One label per row (patient, site); None: the rows are independent.
    n_rows : int
        Number of rows (targets).

    Returns
    -------
    ndarray of int
        Codes 0..(clusters - 1), in the sorted order of the labels (as strings).

    References
    ----------
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
    Cambridge University Press, sec. 3.8 (resampling whole clusters).

    Examples
    --------
    >>> cluster_codes(["p2", "p1", "p2"], 3)
    array([1, 0, 1])
    >>> cluster_codes(None, 3)
    array([0, 1, 2])
    """
    if clusters is None:
        return np.arange(n_rows)
    labels = np.asarray(clusters, dtype=object)
    if labels.shape != (n_rows,):
        raise ValueError(f"clusters must give one label per target ({n_rows}), got {labels.shape}.")
    if any(label is None or (isinstance(label, float) and np.isnan(label)) for label in labels):
        raise ValueError("Some targets have no cluster label; every target needs one to keep its "
                         "cluster together in folds and bootstrap samples.")
    return np.unique(labels.astype(str), return_inverse=True)[1].ravel()


def grouped_folds(codes: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """The fold (0..n_folds-1) of every row, whole clusters per fold.

    Clusters are taken in a random order and each goes to the fold that has the fewest rows so
    far, so folds are balanced in rows and no cluster is split between training and test
    (grouped cross-validation; Roberts et al. 2017).

    Parameters
    ----------
    codes : ndarray of int
        Cluster code of every row (`cluster_codes`).
    n_folds : int
        Number of folds (at least two, at most the number of clusters).
    rng : numpy Generator
        Source of the clusters' random order.

    Returns
    -------
    ndarray of int
        The fold of every row.

    References
    ----------
    Roberts, D. R., et al. (2017). Cross-validation strategies for data with temporal, spatial,
    hierarchical, or phylogenetic structure. Ecography, 40(8), 913-929.

    Examples
    --------
    Four clusters of two rows in two folds: each fold gets two whole clusters.

    >>> import numpy as np
    >>> folds = grouped_folds(np.array([0, 0, 1, 1, 2, 2, 3, 3]), 2, np.random.default_rng(0))
    >>> sorted(np.bincount(folds).tolist()), bool((folds[::2] == folds[1::2]).all())
    ([4, 4], True)
    """
    sizes = np.bincount(codes)
    n_clusters = len(sizes)
    if n_folds < 2:
        raise ValueError(f"Cross-validation needs at least two folds, got {n_folds}.")
    if n_clusters < n_folds:
        raise ValueError(f"{n_clusters} clusters cannot fill {n_folds} folds; use fewer folds.")
    fold_of_cluster = np.empty(n_clusters, dtype=int)
    rows = np.zeros(n_folds)
    for cluster in rng.permutation(n_clusters):
        fold = int(np.argmin(rows))
        fold_of_cluster[cluster] = fold
        rows[fold] += sizes[cluster]
    return fold_of_cluster[codes]


def cluster_bootstrap_rows(codes: np.ndarray, rng: np.random.Generator,
                           members: list[np.ndarray] | None = None) -> np.ndarray:
    """Row indices of one bootstrap sample that draws whole clusters with replacement
    (Davison & Hinkley 1997, sec. 3.8); plain row resampling when every row is a cluster.

    Parameters
    ----------
    codes : ndarray of int
        Cluster code of every row (`cluster_codes`).
    rng : numpy Generator
        Source of the draws.
    members : list of ndarray, optional
        The rows of each cluster (computed from ``codes`` when not given; pass it when drawing
        many samples).

    Returns
    -------
    ndarray of int
        Row indices of the sample: as many clusters as there are, drawn with replacement.

    References
    ----------
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application.
    Cambridge University Press, sec. 3.8.

    Examples
    --------
    >>> import numpy as np
    >>> rows = cluster_bootstrap_rows(np.array([0, 0, 1, 1, 1]), np.random.default_rng(0))
    >>> sorted(set(rows.tolist())) in ([0, 1], [2, 3, 4], [0, 1, 2, 3, 4])  # whole clusters
    True
    """
    if members is None:
        members = cluster_members(codes)
    pick = rng.integers(0, len(members), size=len(members))
    return np.concatenate([members[i] for i in pick])


def cluster_members(codes: np.ndarray) -> list[np.ndarray]:
    """The rows of each cluster, in code order (for drawing many cluster bootstrap samples).

    Parameters
    ----------
    codes : ndarray of int
        Cluster code of every row (`cluster_codes`).

    Returns
    -------
    list of ndarray
        Row indices per cluster code.

    References
    ----------
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application, sec. 3.8.

    Examples
    --------
    >>> import numpy as np
    >>> [rows.tolist() for rows in cluster_members(np.array([1, 0, 1, 2]))]
    [[1], [0, 2], [3]]
    """
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes))[:-1])
