"""Scale scores from item scores: reverse keying and subscale means or sums.

The same rules apply to a human's answers, an LLM's modes and an LLM's expected scores,
so every kind of rating is scored identically.
"""

from collections.abc import Mapping

from .spec import InstrumentSpec, Item


def keyed(item: Item, value: float) -> float:
    """The item score in the scale's direction: ``min + max - value`` for reversed items."""
    return item.scale.min + item.scale.max - value if item.reverse else value


def subscale_scores(spec: InstrumentSpec, values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Each subscale's score, or None where fewer than ``min_answered`` items have a value.

    ``mean`` averages the keyed answered items. ``sum`` is prorated when items are missing
    (the mean of the answered items times the number of items), so a sum stays on the same
    range whichever items were skipped; with no item missing it is the plain sum.
    """
    scores: dict[str, float | None] = {}
    for subscale in spec.subscales:
        answered = [
            keyed(spec.item(code), float(values[code]))
            for code in subscale.items
            if values.get(code) is not None
        ]
        if len(answered) < subscale.min_answered or not answered:
            scores[subscale.code] = None
            continue
        mean = sum(answered) / len(answered)
        scores[subscale.code] = mean if subscale.method == "mean" else mean * len(subscale.items)
    return scores
