"""The order of a target's items after the prefix: each distinct start of their tokens once."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratings.llm.item_order import evaluation_order

sequences = st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=8), min_size=1, max_size=12)


def _common(a, b) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_items_with_a_common_start_are_brought_together_in_first_appearance_order():
    # "How much did" (0), "How openly" (1), "How much effort" (2), "How much did ... deflect" (3)
    items = [[1, 2, 3, 4], [1, 5], [1, 2, 6], [1, 2, 3, 7]]
    order = evaluation_order(items)
    assert [s.index for s in order] == [0, 3, 2, 1]
    assert [s.start for s in order] == [0, 3, 2, 1]
    assert [s.shared_with_next for s in order] == [3, 0, 0, 0]


def test_a_repeated_item_evaluates_its_last_token_again():
    order = evaluation_order([[4, 5], [4, 5]])
    assert [(s.index, s.start, s.shared_with_next) for s in order] == [(0, 0, 1), (1, 1, 0)]


def test_an_empty_item_is_refused():
    with pytest.raises(ValueError):
        evaluation_order([[1], []])


@given(sequences)
def test_every_item_once_each_from_a_start_the_cache_holds(items):
    order = evaluation_order(items)
    assert sorted(s.index for s in order) == list(range(len(items)))
    assert order[0].start == 0
    for before, step in zip(order, order[1:]):
        # The start is shared with the item evaluated just before (still in the KV cache).
        assert items[step.index][:step.start] == items[before.index][:step.start]
        assert step.start < len(items[step.index])


@given(sequences)
def test_distinct_starts_are_evaluated_once_and_never_more_than_consecutive_reuse(items):
    order = evaluation_order(items)
    evaluated = sum(len(items[s.index]) - s.start for s in order)
    distinct = {tuple(t[:i]) for t in items for i in range(1, len(t) + 1)}
    repeats = len(items) - len({tuple(t) for t in items})  # each evaluates its last token again
    assert evaluated == len(distinct) + repeats
    # What a caller reusing the previous prompt's cache in the request's order evaluates.
    consecutive = len(items[0]) + sum(
        len(b) - min(_common(a, b), len(b) - 1) for a, b in zip(items, items[1:]))
    assert evaluated <= consecutive


@given(sequences)
def test_own_and_shared_tokens_add_up_to_the_evaluated(items):
    order = evaluation_order(items)
    evaluated = [len(items[s.index]) - s.start for s in order]
    own = [n - s.shared_with_next for n, s in zip(evaluated, order)]
    assert all(n >= 0 for n in own)  # zero only for an item that starts a longer one
    shared = sum(s.shared_with_next for s in order)
    assert sum(own) + shared == sum(evaluated)
    if len(items) == 1:
        assert own == [len(items[0])]
