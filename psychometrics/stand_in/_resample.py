"""One set of bootstrap resampling counts shared by every statistic of a study.

Statistics here are functions of sums over targets, so a bootstrap replicate is a matrix
product of resampling counts with per-target features (as in ``psychometrics.bootstrap``).
Drawing the counts once per study and reusing them for every comparison keeps a report on
1,000 targets fast, and makes the intervals of one report mutually consistent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Resampling:
    """``counts[b, i]``: how often target ``i`` is drawn in replicate ``b`` (whole clusters
    when ``clustered``)."""

    counts: np.ndarray
    clustered: bool
    n_units: int
    codes: np.ndarray | None = None  # the unit (target, or cluster) of every target

    def unit_sums(self, values: np.ndarray) -> np.ndarray | None:
        """Sums of per-target ``values`` (targets x k) within each unit (the per-unit influence
        values of a cluster-robust standard error); None when the units are not known."""
        if self.codes is None:
            return None
        if not self.clustered:
            return values
        out = np.zeros((self.n_units, values.shape[1]))
        np.add.at(out, self.codes, values)
        return out

    def unit_counts(self) -> np.ndarray:
        """``counts`` per unit (replicates x units): how often each target, or cluster, is drawn."""
        if not self.clustered:
            return self.counts
        first = np.empty(self.n_units, dtype=int)
        first[self.codes[::-1]] = np.arange(len(self.codes))[::-1]
        return self.counts[:, first]

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
        missing = pd.isna(labels)  # a target without a cluster is a cluster of its own
        labels = labels.copy()
        labels[missing] = [f"__target_{i}" for i in np.flatnonzero(missing)]
        labels = labels.astype(str)
        _, codes = np.unique(labels, return_inverse=True)
        units = int(codes.max()) + 1 if n_targets else 0
    if units < 2:
        raise ValueError("The bootstrap needs at least two targets (or clusters) to resample.")
    draws = rng.integers(0, units, size=(n_boot, units)) + (np.arange(n_boot) * units)[:, None]
    per_unit = np.bincount(draws.ravel(), minlength=n_boot * units).reshape(n_boot, units)
    counts = per_unit[:, codes] if clusters is not None else per_unit  # codes is 0..n-1 without clusters
    return Resampling(counts=counts.astype(float), clustered=clusters is not None, n_units=units, codes=codes)


def percentile(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite replicates; NaN when more than 10% are undefined."""
    finite = replicates[np.isfinite(replicates)]
    if len(finite) < 0.9 * len(replicates):
        return float("nan"), float("nan")
    a = (1 - confidence) / 2
    low, high = np.quantile(finite, [a, 1 - a])
    return float(low), float(high)


def bootstrap_t(replicates: np.ndarray, replicate_se: np.ndarray, estimate: float, se: float,
                confidence: float, *, symmetric: bool = False) -> tuple[float, float]:
    r"""Studentised (bootstrap-t) interval, equal-tailed or symmetric.

    :math:`t^*_b = (\hat\theta^*_b - \hat\theta) / \widehat{se}^*_b`; the equal-tailed
    interval is :math:`[\hat\theta - t^*_{(1-\alpha/2)}\widehat{se},\ \hat\theta -
    t^*_{(\alpha/2)}\widehat{se}]` with :math:`t^*_{(q)}` the q-quantile of the finite
    :math:`t^*_b` (Efron & Tibshirani 1993, eq. 12.22), the symmetric one :math:`\hat\theta
    \pm |t^*|_{(1-\alpha)}\widehat{se}` with :math:`|t^*|_{(1-\alpha)}` the (1 - alpha)-quantile
    of the :math:`|t^*_b|` (Hall 1988b). Both correct a standard error that is biased in the
    same way in the sample and in the resamples. The equal-tailed interval's coverage error is
    of order 1/n (Hall 1988a), the symmetric one's of order 1/n^2 (Hall 1988b; Hall 1992,
    sec. 3.6): it does not rely on the resamples reproducing the skewness of the pivot, which
    its two tails estimate separately from a few dozen replicates each.
    NaN when more than 10% of the replicates are undefined.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 12.
    Hall, P. (1988a). Theoretical comparison of bootstrap confidence intervals. Annals of
    Statistics, 16(3), 927-953.
    Hall, P. (1988b). On symmetric bootstrap confidence intervals. Journal of the Royal
    Statistical Society B, 50(1), 35-45.
    Hall, P. (1992). The Bootstrap and Edgeworth Expansion. Springer, sec. 3.6.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (replicates - estimate) / replicate_se
    finite = t[np.isfinite(t)]
    if len(finite) < 0.9 * len(t) or not (np.isfinite(estimate) and np.isfinite(se) and se > 0):
        return float("nan"), float("nan")
    if symmetric:
        q = float(np.quantile(np.abs(finite), confidence))
        return float(estimate - q * se), float(estimate + q * se)
    a = (1 - confidence) / 2
    q_low, q_high = np.quantile(finite, [a, 1 - a])
    return float(estimate - q_high * se), float(estimate - q_low * se)
