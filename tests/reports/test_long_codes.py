"""The report's integer-coded layouts (reports/long_codes.py) give exactly the frames of the pandas
expressions they replace: `frames.wide`, `pivot_table(..., aggfunc="first")`, the overlap of
`RaterOverlap(pairs)`."""

import numpy as np
import pandas as pd
import pytest

from reports import frames
from reports.design import RaterOverlap
from reports.long_codes import LongCodes, column_keys, group_positions


def _long(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame({"target": [f"T{t:03d}" for t in rng.integers(0, 60, n)],
                          "rater": [f"r{r}" for r in rng.integers(0, 7, n)],
                          "item": rng.choice(["b", "a", "c"], n),
                          "kind": rng.choice(["human", "llm"], n, p=[0.8, 0.2]),
                          "score": rng.integers(1, 6, n).astype(float)})
    frame.loc[rng.random(n) < 0.15, "score"] = np.nan  # blank answers, repeated cells, a rater's only NaN
    return frame


@pytest.mark.parametrize("seed", range(4))
def test_codes_and_positions_equal_factorize_and_groupby(seed):
    frame = _long(seed).sort_values(["target", "rater"], kind="mergesort") if seed % 2 else _long(seed)
    codes = LongCodes.of_frame(frame)
    t_codes, t_names = pd.factorize(frame["target"], sort=True)
    assert (codes.t_codes == t_codes).all() and list(codes.t_names) == list(t_names)
    want = frame.groupby(["item", "kind"]).indices
    got = group_positions(column_keys(frame, ["item", "kind"]))
    assert sorted(got) == sorted(want) and all((got[k] == want[k]).all() for k in want)


@pytest.mark.parametrize("names", [
    pytest.param(["a", "b", "c", "d"], id="sorted-all-used"),
    pytest.param(["a", "b", "c", "d", "e", "f"], id="sorted-some-unused"),
    pytest.param(["d", "b", "a", "c"], id="unsorted"),
    pytest.param(["b", "a", "b", "c"], id="repeated-name"),
])
def test_codes_of_positions_equal_factorize_of_names(names):
    rng = np.random.default_rng(len(names))
    positions = rng.integers(0, 4, 50).astype(np.int32)
    codes = LongCodes.of_codes(positions, np.array(names, dtype=object), positions, names)
    want_codes, want_names = pd.factorize(np.array(names, dtype=object)[positions], sort=True)
    assert (codes.t_codes == want_codes).all() and list(codes.t_names) == list(want_names)
    assert (codes.r_codes == want_codes).all() and list(codes.r_names) == list(want_names)


@pytest.mark.parametrize("seed", range(4))
def test_wide_equals_frames_wide(seed):
    frame = _long(seed)
    codes = LongCodes.of_frame(frame)
    for (item, kind), rows in group_positions(column_keys(frame, ["item", "kind"])).items():
        want = frames.wide(frame.iloc[rows], index="target", columns="rater")
        pd.testing.assert_frame_equal(codes.wide(rows, frame["score"].to_numpy()), want, check_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_by_target_and_rater_equals_pivot_table(seed):
    frame = _long(seed)
    codes = LongCodes.of_frame(frame)
    groups = {item: rows for (item, kind), rows in group_positions(column_keys(frame, ["item", "kind"])).items()
              if kind == "human"}
    want = frame[frame["kind"] == "human"].pivot_table(index=["target", "rater"], columns="item", values="score",
                                                      aggfunc="first")
    got = codes.by_target_and_rater(groups, frame["score"].to_numpy(), name="item")
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=False)


@pytest.mark.parametrize("seed", range(4))
def test_overlap_of_codes_equals_overlap_of_names(seed):
    frame = _long(seed)
    codes = LongCodes.of_frame(frame)
    human = (frame["kind"] == "human").to_numpy()
    got = RaterOverlap.of_codes(codes.t_codes[human], codes.r_codes[human], codes.t_names, codes.r_names)
    want = RaterOverlap(frame.loc[human, ["target", "rater"]])
    assert list(got.targets) == list(want.targets) and list(got.raters) == list(want.raters)
    assert len(got.t_codes) == len(want.t_codes)
    assert (got.shared != want.shared).nnz == 0
    assert got.comparable_pairs() == want.comparable_pairs()
    # the share of within-target rater pairs (every pair of ratings of one target listed) linked
    a, b = want.within_target_pairs()
    listed = np.asarray(want.shared[a, b]).ravel()
    assert got.linked_share() == (len(a), float((listed >= want.threshold).mean()))
