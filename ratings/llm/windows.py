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
