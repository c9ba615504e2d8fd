"""Calibration of probabilistic ratings (an LLM's distribution over scale points)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._base import ResultMixin, check_conf
from .bootstrap import additive_bootstrap
from .validity import MeanResult, t_mean


@dataclass(frozen=True, slots=True)
class ECEResult(ResultMixin):
    """Expected calibration error with a bootstrap interval and its reliability bins."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_bins: int
    bins: list
    method: str


def _probs_and_truth(probs, observed, scale: Sequence | None):
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2:
        raise ValueError("probs must be a targets x scale-points matrix.")
    if np.isnan(p).any() or (p < 0).any():
        raise ValueError("probs must be non-negative and not missing.")
    if not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("Each row of probs must sum to 1.")
    scale = list(range(1, p.shape[1] + 1)) if scale is None else list(scale)
    if len(scale) != p.shape[1]:
        raise ValueError(f"scale has {len(scale)} points but probs has {p.shape[1]} columns.")
    index = {v: i for i, v in enumerate(scale)}
    obs = list(observed)
    if len(obs) != p.shape[0]:
        raise ValueError("observed must have one score per row of probs.")
    bad = [v for v in obs if v not in index]
    if bad:
        raise ValueError(f"Observed score(s) {sorted(set(map(str, bad)))[:5]} are not scale "
                         f"points {scale}.")
    y = np.array([index[v] for v in obs])
    return p, y


def brier_score(probs, observed, *, scale: Sequence | None = None,
                confidence: float = 0.95) -> MeanResult:
    r"""Multi-category Brier score :math:`\frac{1}{n}\sum_i\sum_k (p_{ik} - o_{ik})^2`.

    ``probs`` is targets x scale points (rows sum to 1), ``observed`` the human score (a
    scale point, ``scale`` default 1..K). t interval over targets.

    Parameters
    ----------
    probs : 2-D array-like
        Targets x scale points, each row a probability distribution (the LLM's).
    observed : sequence
        The human score of each target, a scale point.
    scale : sequence, optional
        The scale points in column order (default 1..K).
    confidence : float
        Coverage of the t interval over targets.

    Returns
    -------
    MeanResult

    References
    ----------
    Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
    Monthly Weather Review, 78(1), 1-3.

    Examples
    --------
    >>> brier_score([[0.5, 0.5], [1.0, 0.0]], [1, 1]).estimate
    0.25
    """
    check_conf(confidence)
    p, y = _probs_and_truth(probs, observed, scale)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y] = 1.0
    return t_mean(((p - onehot) ** 2).sum(axis=1), confidence,
                  "Brier (1950) multi-category score; t interval; every target needs a "
                  "distribution and an observed score (missing values refused)", bounds=(0.0, 2.0))


def expected_calibration_error(probs, observed, *, scale: Sequence | None = None,
                               n_bins: int = 10, n_boot: int = 1000, seed: int | None = 0,
                               confidence: float = 0.95) -> ECEResult:
    r"""Expected calibration error of the top-probability prediction.

    .. math:: ECE = \sum_b \frac{n_b}{n}\,|\mathrm{acc}_b - \mathrm{conf}_b|

    over ``n_bins`` equal-width bins of the confidence max_k p_ik, with accuracy the share of
    targets whose most probable scale point equals the human score. Percentile bootstrap
    interval over targets.

    Parameters
    ----------
    probs : 2-D array-like
        Targets x scale points, each row a probability distribution.
    observed : sequence
        The human score of each target, a scale point.
    scale : sequence, optional
        The scale points in column order (default 1..K).
    n_bins : int
        Equal-width confidence bins.
    n_boot : int
        Bootstrap resamples for the interval (0: none, NaN limits).
    seed : int, optional
        Seed of the bootstrap.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    ECEResult
        ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``n_bins``, ``bins`` (count, mean
        confidence and accuracy per bin), ``method``.

    References
    ----------
    Naeini, M. P., Cooper, G., & Hauskrecht, M. (2015). Obtaining well calibrated
    probabilities using Bayesian binning. AAAI.
    Guo, C., Pleiss, G., Sun, Y., & Weinberger, K. Q. (2017). On calibration of modern neural
    networks. ICML.

    Examples
    --------
    >>> round(expected_calibration_error([[0.9, 0.1], [0.8, 0.2]], [1, 2], n_boot=0).estimate, 6)
    0.45
    """
    check_conf(confidence)
    if n_bins < 1:
        raise ValueError("n_bins must be positive.")
    p, y = _probs_and_truth(probs, observed, scale)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    b = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    onehot = np.zeros((len(y), n_bins))
    onehot[np.arange(len(y)), b] = 1.0
    feats = np.hstack([onehot, onehot * conf[:, None], onehot * correct[:, None]])

    def ece(sums):
        cnt, sc, sa = sums[:, :n_bins], sums[:, n_bins:2 * n_bins], sums[:, 2 * n_bins:]
        return np.abs(sa - sc).sum(axis=1) / cnt.sum(axis=1)

    total = feats.sum(axis=0)
    est = float(ece(total[None, :])[0])
    lo = hi = float("nan")
    method = (f"ECE, {n_bins} equal-width bins of the top probability; every target needs a "
              "distribution and an observed score (missing values refused)")
    if n_boot > 0:
        lo, hi = additive_bootstrap(feats, ece, n_boot=n_boot, confidence=confidence,
                                    seed=seed)
        method += f"; percentile bootstrap over targets ({n_boot} resamples)"
    bins = [{"bin": i, "n": int(total[i]),
             "confidence": float(total[n_bins + i] / total[i]) if total[i] else None,
             "accuracy": float(total[2 * n_bins + i] / total[i]) if total[i] else None}
            for i in range(n_bins)]
    return ECEResult(estimate=est, ci_low=lo, ci_high=hi, n=len(y), n_bins=n_bins, bins=bins,
                     method=method)
