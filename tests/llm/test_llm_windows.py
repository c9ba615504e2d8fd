"""The long-material policy: overlapping windows that cover everything."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratings.llm.windows import plan_windows


@pytest.mark.parametrize(("n", "budget", "overlap", "breaks", "expected"), [
    pytest.param(50, 100, 10, (), [(0, 50)], id="fits"),
    pytest.param(10, 4, 1, (), [(0, 4), (3, 7), (6, 10)], id="plain"),
    pytest.param(20, 10, 2, (7, 9, 15), [(0, 9), (7, 15), (13, 20)], id="cut-at-line-starts"),
    pytest.param(20, 10, 2, (2,), [(0, 10), (8, 18), (16, 20)], id="early-breaks-ignored"),
])
def test_plan_windows(n, budget, overlap, breaks, expected):
    assert plan_windows(n, budget, overlap, breaks) == expected


def test_overlap_must_leave_progress():
    with pytest.raises(ValueError):
        plan_windows(100, 10, 5)
    with pytest.raises(ValueError):
        plan_windows(100, 0, 0)


@given(st.integers(1, 3000), st.integers(8, 600), st.data())
def test_windows_cover_the_material_within_budget(n, budget, data):
    overlap = data.draw(st.integers(0, budget // 2 - 1))
    breaks = data.draw(st.lists(st.integers(1, max(1, n - 1)), max_size=40))
    windows = plan_windows(n, budget, overlap, breaks)
    assert windows[0][0] == 0 and windows[-1][1] == n
    for (s1, e1), (s2, e2) in zip(windows, windows[1:]):
        assert s1 < s2 <= e1 < e2  # no gap, always progress
        assert e1 - s2 <= overlap
    assert all(0 < e - s <= budget for s, e in windows)
