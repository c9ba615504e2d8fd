"""One set of bootstrap resampling counts shared by every statistic of a study.

Statistics here are functions of sums over targets, so a bootstrap replicate is a matrix
product of resampling counts with per-target features (as in ``psychometrics.bootstrap``).
Drawing the counts once per study and reusing them for every comparison keeps a report on
1,000 targets fast, and makes the intervals of one report mutually consistent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Resampling:
    """``counts[b, i]``: how often target ``i`` is drawn in replicate ``b`` (whole clusters
    when ``clustered``)."""

    counts: np.ndarray
    clustered: bool
    n_units: int

    @property
    def level(self) -> str:
        return "clusters" if self.clustered else "targets"


def resampling(n_targets: int, *, n_boot: int = 1000, seed: int | None = 0,
               clusters=None) -> Resampling:
    """Resampling counts for ``n_boot`` replicates of ``n_targets`` targets, or of their
    clusters (one label per target; every target of a drawn cluster comes along: the cluster
    bootstrap, Davison & Hinkley 1997, sec. 3.8; Field & Welsh 2007)."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}.")
    rng = np.random.default_rng(seed)
    if clusters is None:
        units, codes = n_targets, np.arange(n_targets)
    else:
        labels = np.asarray(clusters, dtype=object)
        if len(labels) != n_targets:
            raise ValueError("clusters must have one label per target.")
        missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in labels])
        labels = np.where(missing, np.array([f"__target_{i}" for i in range(n_targets)], dtype=object),
                          labels).astype(str)
        _, codes = np.unique(labels, return_inverse=True)
        units = int(codes.max()) + 1 if n_targets else 0
    if units < 2:
        raise ValueError("The bootstrap needs at least two targets (or clusters) to resample.")
    draws = rng.integers(0, units, size=(n_boot, units)) + (np.arange(n_boot) * units)[:, None]
    per_unit = np.bincount(draws.ravel(), minlength=n_boot * units).reshape(n_boot, units)
    return Resampling(counts=per_unit[:, codes].astype(float), clustered=clusters is not None,
                      n_units=units)


def percentile(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite replicates; NaN when more than 10% are undefined."""
    finite = replicates[np.isfinite(replicates)]
    if len(finite) < 0.9 * len(replicates):
        return float("nan"), float("nan")
    a = (1 - confidence) / 2
    low, high = np.quantile(finite, [a, 1 - a])
    return float(low), float(high)
