"""The order in which a target's items are evaluated after the prefix (pure; no model here).

Items often start alike ("\\nQuestion: How much did the client ..."). Evaluated in the order of
a depth-first walk of their token trie, each item shares with the item just before it the
longest start it shares with any earlier one, and that start is still in the KV cache: every
distinct start is evaluated once. A caller that reuses the cached prefix of consecutive prompts
in the request's order (``Llama.create_completion``) evaluates at least as many tokens, more
when items with a common start are not adjacent.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ItemStep:
    """One item's evaluation: ``tokens[start:]`` after the prefix and ``tokens[:start]``.

    ``shared_with_next`` of the evaluated tokens are reused by the next step: they are shared,
    not this item's own cost.
    """

    index: int
    start: int
    shared_with_next: int


def _common_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def evaluation_order(sequences: Sequence[Sequence[int]]) -> list[ItemStep]:
    """The items (by index into ``sequences``) in depth-first trie order, children in the order
    of their first appearance, so the request's order is kept where starts do not group.

    An item identical to the one before it evaluates its last token again (a step needs at
    least one token to produce the logits after it).

    >>> [(s.index, s.start, s.shared_with_next)
    ...  for s in evaluation_order([[1, 2, 3], [1, 4], [1, 2, 5]])]
    [(0, 0, 2), (2, 2, 0), (1, 1, 0)]
    """
    if any(not s for s in sequences):
        raise ValueError("Every item needs at least one token.")
    root: dict[int, tuple[dict, int]] = {}
    keys: list[tuple[int, ...]] = []
    for index, tokens in enumerate(sequences):
        node, key = root, []
        for token in tokens:
            child, first = node.setdefault(token, ({}, index))
            key.append(first)
            node = child
        keys.append(tuple(key))
    order = sorted(range(len(sequences)), key=keys.__getitem__)
    starts = [0] + [min(_common_length(sequences[a], sequences[b]), len(sequences[b]) - 1)
                    for a, b in zip(order, order[1:])]
    return [ItemStep(index, start, max(following - start, 0))
            for index, start, following in zip(order, starts, starts[1:] + [0])]
