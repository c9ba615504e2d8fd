"""Pure score extraction: from log-probabilities of the answers to distribution, mean and mode.

No free text is parsed for numbers. The model's probability of each admissible answer (a
scale value written as a number) is read at the answer position; the distribution is that
probability restricted to the admissible answers and renormalised:

    p(k) = exp(l_k) / sum_j exp(l_j),     expected = sum_k p(k) * k,     mode = argmax_k p(k)

where l_k is the log-probability of answer k. Ties in the mode go to the lowest value so the
mode is a function of the distribution alone.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .errors import LlmPermanentError
from .results import ItemScore


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities over the vocabulary from raw logits, in float64."""
    x = np.asarray(logits, dtype=np.float64)
    shifted = x - np.max(x)
    return shifted - math.log(float(np.sum(np.exp(shifted))))


def restrict_to_values(logmass: Mapping[int, float],
                       values: Sequence[int]) -> tuple[dict[int, float], float]:
    """The renormalised distribution over ``values`` and the raw mass they had together.

    ``logmass`` maps a value to the log-probability of answering it; a missing value has
    probability 0. Raises ``LlmPermanentError`` when no admissible value has any probability.
    """
    logs = np.array([logmass.get(v, -math.inf) for v in values], dtype=np.float64)
    top = float(np.max(logs))
    if not math.isfinite(top):
        raise LlmPermanentError("The model gave no probability to any admissible answer.")
    weights = np.exp(logs - top)
    total = float(np.sum(weights))
    probs = weights / total
    label_mass = math.exp(top) * total
    return {v: float(p) for v, p in zip(values, probs, strict=True)}, min(label_mass, 1.0)


def expected_score(distribution: Mapping[int, float]) -> float:
    """sum_k p(k) * k."""
    return float(math.fsum(p * k for k, p in distribution.items()))


def mode_score(distribution: Mapping[int, float]) -> int:
    """The most probable value; ties go to the lowest value."""
    best = max(distribution.values())
    return min(k for k, p in distribution.items() if p == best)


def average_distributions(distributions: Sequence[Mapping[int, float]]) -> dict[int, float]:
    """The mean of distributions over the same values (the window aggregation policy)."""
    if not distributions:
        raise ValueError("There are no distributions to average.")
    values = list(distributions[0])
    n = len(distributions)
    return {v: float(math.fsum(d[v] for d in distributions) / n) for v in values}


def item_score(
    *,
    code: str,
    values: Sequence[int],
    window_logmass: Sequence[Mapping[int, float]],
    tokens_evaluated: int,
    rationale: str | None = None,
) -> ItemScore:
    """An item's score from the answer log-probabilities read in each window of the material.

    Each window's distribution is restricted and renormalised first, then the windows are
    averaged with equal weight; expected score and mode come from the averaged distribution.
    """
    restricted = [restrict_to_values(logmass, values) for logmass in window_logmass]
    distributions = tuple(d for d, _ in restricted)
    distribution = (distributions[0] if len(distributions) == 1
                    else average_distributions(distributions))
    return ItemScore(
        code=code,
        distribution=distribution,
        expected=expected_score(distribution),
        mode=mode_score(distribution),
        label_mass=float(math.fsum(m for _, m in restricted) / len(restricted)),
        tokens_evaluated=tokens_evaluated,
        rationale=rationale,
        window_distributions=distributions,
    )
