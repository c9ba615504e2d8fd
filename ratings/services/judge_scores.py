"""The numbers an imported rating row carries, checked against the item's scale.

A human's score is a point of the scale. An outside judge's (an LLM run elsewhere, often
averaged over prompt variants) may be any number inside the scale's range: it is kept as the
expected score, and its mode, the point stored as ``score``, is the distribution's most probable
point when a distribution is given, else the scale point nearest the number. Pure functions:
they raise ``ValueError`` with the sentence an import shows beside the row's line.
"""

import json
import math
from dataclasses import dataclass

from instruments.definition.spec import Scale

# Published distributions are rounded (three decimals is common): their sum may miss 1 by that.
DISTRIBUTION_TOLERANCE = 1e-3
RATER_KINDS = ("human", "llm")


@dataclass(frozen=True, slots=True)
class CellScore:
    """One item's imported numbers: ``score`` the point; an LLM's ``expected`` and ``distribution``."""

    score: float
    expected: float | None = None
    distribution: dict[str, float] | None = None

    def as_tuple(self) -> tuple:
        return self.score, self.expected, self.distribution


def number(value, what: str = "score") -> float | None:
    """A finite number from a cell; None for an empty one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not a number")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(result):
        raise ValueError(f"{what} {value!r} is not a finite number")
    return result


def _range(scale: Scale) -> str:
    return str(list(scale.values)) if scale.is_points else f"{scale.min}..{scale.max}"


def human_score(value, *, item_code: str, scale: Scale) -> CellScore | None:
    score = number(value)
    if score is not None and not scale.admits(score):
        raise ValueError(f"score {value!r} is not a point of {item_code!r}'s scale {_range(scale)}")
    return None if score is None else CellScore(score)


def distribution_parse(value, *, item_code: str, scale: Scale) -> dict[str, float] | None:
    """A JSON object (or its text) of scale point -> probability; keys on the scale, every
    probability >= 0, summing to 1 within ``DISTRIBUTION_TOLERANCE``. Returned renormalised."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise ValueError(f"distribution {value[:60]!r} is not a JSON object") from None
    if not isinstance(value, dict) or not value:
        raise ValueError("distribution must be a JSON object of scale point -> probability")
    points = {str(v): v for v in scale.values}
    parsed: dict[str, float] = {}
    for key, probability in value.items():
        point = str(key).strip()
        if point.endswith(".0"):
            point = point[:-2]
        if point not in points:
            raise ValueError(f"distribution key {key!r} is not a point of {item_code!r}'s scale {_range(scale)}")
        p = number(probability, "probability")
        if p is None or p < 0:
            raise ValueError(f"distribution probability {probability!r} for {key!r} must be a number >= 0")
        parsed[point] = parsed.get(point, 0.0) + p
    total = sum(parsed.values())
    if abs(total - 1.0) > DISTRIBUTION_TOLERANCE:
        raise ValueError(f"distribution probabilities sum to {total:.6g}, not 1 "
                         f"(tolerance {DISTRIBUTION_TOLERANCE:g})")
    return {point: p / total for point, p in sorted(parsed.items(), key=lambda kv: points[kv[0]])}


def nearest_point(value: float, scale: Scale) -> int:
    """The scale point nearest ``value``; a tie goes to the lower point.

    >>> from instruments.definition.spec import Scale
    >>> nearest_point(4.666, Scale(level="ordinal", min=1, max=5)), nearest_point(2.5, Scale(level="ordinal", min=1, max=5))
    (5, 2)
    """
    return min(scale.values, key=lambda point: (abs(point - value), point))


def llm_score(value, distribution, *, item_code: str, scale: Scale) -> CellScore | None:
    """An outside judge's item: any number in the scale's range (or, with the score empty, the
    distribution's expected score); the mode is the distribution's, else the nearest point."""
    expected = number(value)
    dist = distribution_parse(distribution, item_code=item_code, scale=scale)
    if expected is None and dist is None:
        return None
    if expected is None:
        expected = sum(float(k) * p for k, p in dist.items())
    low, high = min(scale.values), max(scale.values)
    if not low <= expected <= high:
        raise ValueError(f"score {value!r} is outside {item_code!r}'s scale range {low}..{high}")
    if dist is not None:
        mode = max(dist, key=lambda k: (dist[k], -float(k)))  # ties: the lower point
        return CellScore(float(mode), min(max(expected, low), high), dist)
    return CellScore(float(nearest_point(expected, scale)), expected, None)
