"""The long-material policy: overlapping windows, never silent truncation (pure).

Material that does not fit the context window next to the instructions and the longest item
is split into windows of at most ``budget`` tokens that overlap by about ``overlap`` tokens,
cut at line starts where possible (a transcript's turns stay whole). Every window is rated
like a whole target and the item distributions are averaged with equal weight
(``scoring.average_distributions``); the windows are returned with the rating.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

WINDOW_POLICY = "overlapping-windows/mean-of-distributions/v1"


def plan_windows(n_tokens: int, budget: int, overlap: int,
                 breaks: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Half-open token ranges ``[start, end)`` covering ``0..n_tokens``.

    ``breaks`` are sorted token indices where a cut is preferred (starts of lines). A window
    ends at the last break in its second half, else at the budget; the next window starts at
    the first break inside the overlap, else exactly ``overlap`` tokens back.

    >>> plan_windows(10, 4, 1)
    [(0, 4), (3, 7), (6, 10)]
    """
    if budget < 1:
        raise ValueError(f"The context leaves no room for the material (budget {budget}).")
    if n_tokens <= budget:
        return [(0, n_tokens)]
    if not 0 <= overlap < budget // 2:
        raise ValueError(f"The overlap ({overlap}) must be less than half the budget ({budget}).")
    breaks = sorted(set(breaks))
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + budget, n_tokens)
        if end < n_tokens:
            i = bisect_right(breaks, end) - 1
            if i >= 0 and breaks[i] > start + budget // 2:
                end = breaks[i]
        windows.append((start, end))
        if end >= n_tokens:
            return windows
        next_start = end - overlap
        j = bisect_left(breaks, next_start)
        if j < len(breaks) and breaks[j] < end:
            next_start = breaks[j]
        start = next_start


SEGMENT_WINDOW_POLICY = "preceding-turns/restart-keeping-recent/v1"


def plan_segment_contexts(lengths: Sequence[int], budget: int, keep: int,
                          marker: int = 0) -> list[int]:
    """For each segment, the index of the first segment the model sees when coding it.

    Segment i is coded on segments ``start_i..i``, which must fit in ``budget`` tokens (with
    ``marker`` tokens more, for the note that earlier turns are left out, when
    ``start_i > 0``). The context grows one segment at a time, so the transcript is read once;
    when the next segment does not fit, a new window starts with the most recent preceding
    segments that fit in ``keep`` tokens, and grows again from there.

    >>> plan_segment_contexts([3, 3, 3, 3, 3], budget=9, keep=3)
    [0, 0, 0, 2, 2]
    """
    if not 0 <= keep < budget:
        raise ValueError(f"The window must keep 0 to {budget - 1} tokens, not {keep}.")
    starts: list[int] = []
    start, used = 0, 0
    for i, n in enumerate(lengths):
        if n + (marker if i else 0) > budget:
            raise ValueError(f"Segment {i} ({n} tokens) does not fit the context on its own "
                             f"(at most {budget - marker} tokens).")
        if used + n > budget:
            s, kept = i, 0
            while (s > 0 and kept + lengths[s - 1] <= keep
                   and marker + kept + lengths[s - 1] + n <= budget):
                s -= 1
                kept += lengths[s]
            start, used = s, kept + (marker if s else 0)
        used += n
        starts.append(start)
    return starts
