"""Which targets humans should rate next: oversample where the LLM is uncertain.

Each target gets an inclusion probability that grows with the LLM's uncertainty about it
(the variance, or entropy, of its stored distribution over the scale), mixed with the uniform
design so that no target is nearly impossible to draw; targets are then drawn independently
with those probabilities (Poisson sampling). Recording the probabilities keeps the
prediction-powered estimates valid: they are inverse-probability weighted
(``ppi_mean(..., inclusion_probability=...)``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np

from .._base import ResultMixin

Uncertainty = Literal["variance", "entropy"]
DEFAULT_MIX = 0.3


@dataclass(frozen=True, slots=True)
class SamplingPlan(ResultMixin):
    """Inclusion probabilities of every candidate target and the targets drawn."""

    probabilities: tuple[float, ...]
    selected: tuple[int, ...]
    budget: int
    expected_size: float
    mix: float
    uncertainty: str
    method: str


def distribution_uncertainty(distribution: Mapping[str, float] | None, *,
                             kind: Uncertainty = "variance") -> float:
    r"""Uncertainty of one stored LLM distribution over scale points (keys are the points).

    variance: :math:`\sum_k p_k (k - \mu)^2` with :math:`\mu = \sum_k p_k k`; entropy:
    :math:`-\sum_k p_k \log p_k` (nats). NaN for a missing distribution.

    Parameters
    ----------
    distribution : mapping or None
        Probability of each scale point, keyed by the point (numeric strings); renormalised,
        negative values clipped to 0.
    kind : {"variance", "entropy"}
        The uncertainty measure.

    Returns
    -------
    float
        The variance (squared scale units) or the entropy (nats); NaN when the distribution is
        missing or has no mass.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. Bell System Technical
    Journal, 27(3), 379-423.
    Gligorić, K., Zrnic, T., Lee, C., Candès, E. J., & Jurafsky, D. (2025). Can unconfident
    LLM annotations be used for confident conclusions? NAACL 2025, arXiv:2408.15204.

    Examples
    --------
    Two points two apart, half each: variance 1; two equally likely points: entropy log 2.

    >>> distribution_uncertainty({"1": 0.5, "3": 0.5})
    1.0
    >>> round(distribution_uncertainty({"1": 0.5, "2": 0.5}, kind="entropy"), 4)
    0.6931
    """
    if not distribution:
        return float("nan")
    points = np.array([float(k) for k in distribution], dtype=float)
    p = np.clip(np.array(list(distribution.values()), dtype=float), 0, None)
    if p.sum() <= 0:
        return float("nan")
    p = p / p.sum()
    if kind == "entropy":
        nz = p[p > 0]
        return float(-np.sum(nz * np.log(nz)))
    mu = float(np.sum(p * points))
    return float(np.sum(p * (points - mu) ** 2))


def inclusion_probabilities(uncertainty: Sequence[float], budget: int, *, mix: float = DEFAULT_MIX,
                            kind: Uncertainty = "variance") -> np.ndarray:
    r"""Inclusion probabilities summing to ``budget``, larger where the LLM is less sure.

    The variance-optimal design for the prediction-powered mean samples target :math:`i` with
    probability proportional to the conditional standard deviation of the LLM's error
    (Zrnic & Candès 2024, sec. 3), estimated here by the LLM's own uncertainty :math:`u_i`
    (standard deviation of its distribution, or entropy), then mixed with the uniform design
    for robustness (Zrnic & Candès 2024; Gligorić et al. 2025):
    :math:`\pi_i = (1-\tau)\,k\,s_i/\sum_j s_j + \tau\,k/N`, capped at 1 with the excess
    redistributed. Targets without an uncertainty get the mean uncertainty.

    Parameters
    ----------
    uncertainty : sequence of float
        Per candidate target, the LLM's uncertainty (``distribution_uncertainty``); NaN where
        unknown.
    budget : int
        Expected number of targets to draw, between 1 and the number of candidates.
    mix : float
        Share :math:`\tau` of the uniform design, in [0, 1] (1: simple random sampling).
    kind : {"variance", "entropy"}
        What ``uncertainty`` holds: variances are square-rooted to standard deviations.

    Returns
    -------
    ndarray
        Inclusion probabilities in (0, 1], one per candidate, summing to ``budget``.

    References
    ----------
    Zrnic, T., & Candès, E. J. (2024). Active statistical inference. ICML, arXiv:2403.03208.
    Gligorić, K., Zrnic, T., Lee, C., Candès, E. J., & Jurafsky, D. (2025). Can unconfident
    LLM annotations be used for confident conclusions? NAACL 2025, arXiv:2408.15204.

    Examples
    --------
    Standard deviations 0, 1, 2, 1 (shares 0, 1/4, 1/2, 1/4), half mixed with the uniform 1/4:
    :math:`\pi = 2\,(0.5\,s + 0.5/4)`.

    >>> p = inclusion_probabilities([0.0, 1.0, 4.0, 1.0], 2, mix=0.5)
    >>> [round(float(v), 4) for v in p], round(float(p.sum()), 6)
    ([0.25, 0.5, 0.75, 0.5], 2.0)
    """
    u = np.asarray(uncertainty, dtype=float).ravel()
    n = len(u)
    if not 1 <= budget <= n:
        raise ValueError(f"The budget must be between 1 and the {n} candidate targets, got {budget}.")
    if not 0 <= mix <= 1:
        raise ValueError(f"mix must be between 0 and 1, got {mix}.")
    if np.all(np.isnan(u)):
        u = np.ones(n)
    u = np.where(np.isnan(u), np.nanmean(u), np.clip(u, 0, None))
    score = np.sqrt(u) if kind == "variance" else u
    share = score / score.sum() if score.sum() > 0 else np.full(n, 1 / n)
    pi = budget * ((1 - mix) * share + mix / n)
    for _ in range(n):  # cap at 1, hand the excess to the uncapped targets in proportion
        over = pi > 1
        if not over.any():
            break
        excess = float(np.sum(pi[over] - 1))
        pi[over] = 1.0
        free = pi < 1
        pi[free] += excess * pi[free] / pi[free].sum()
    return np.minimum(pi, 1.0)


def plan_sampling(uncertainty: Sequence[float], budget: int, *, seed: int | None = 0,
                  mix: float = DEFAULT_MIX, kind: Uncertainty = "variance") -> SamplingPlan:
    """Inclusion probabilities and one Poisson draw (each target independently with its
    probability; the number drawn is ``budget`` on average).

    Parameters
    ----------
    uncertainty : sequence of float
        Per candidate target, the LLM's uncertainty; NaN where unknown.
    budget : int
        Expected number of targets to draw.
    seed : int or None
        Seed of the draw.
    mix : float
        Share of the uniform design (``inclusion_probabilities``).
    kind : {"variance", "entropy"}
        What ``uncertainty`` holds.

    Returns
    -------
    SamplingPlan
        The probabilities (to record with the human ratings for ``ppi_mean``), the indices of
        the targets drawn, the expected sample size and the method.

    References
    ----------
    Särndal, C.-E., Swensson, B., & Wretman, J. (1992). Model Assisted Survey Sampling.
    Springer (Poisson sampling, ch. 3).
    Zrnic, T., & Candès, E. J. (2024). Active statistical inference. ICML, arXiv:2403.03208.

    Examples
    --------
    >>> plan = plan_sampling([0.1] * 50 + [2.0] * 50, 20, seed=1)
    >>> round(plan.expected_size, 6), len(plan.selected) > 0
    (20.0, True)
    """
    pi = inclusion_probabilities(uncertainty, budget, mix=mix, kind=kind)
    drawn = np.random.default_rng(seed).random(len(pi)) < pi
    return SamplingPlan(probabilities=tuple(float(p) for p in pi),
                        selected=tuple(int(i) for i in np.flatnonzero(drawn)), budget=int(budget),
                        expected_size=float(pi.sum()), mix=float(mix), uncertainty=kind,
                        method=f"Poisson sampling with probabilities proportional to the LLM's "
                               f"{'standard deviation' if kind == 'variance' else 'entropy'}, mixed "
                               f"{mix:.2f} with the uniform design (Zrnic & Candès 2024)")
