"""Fast paths of the report's adapters equal the general path they short-cut."""
import math

import numpy as np
import pandas as pd
import pytest

from reports.stats import complete_pairs, jsonable


@pytest.mark.parametrize("values, expected", [
    pytest.param([1.0, 2, True], [1.0, 2, True], id="finite numbers"),
    pytest.param([1.0, math.nan, 2.0], [1.0, None, 2.0], id="nan"),
    pytest.param([1.0, -math.inf], [1.0, None], id="infinity"),
    pytest.param([1e308, 1e308], [1e308, 1e308], id="sum overflows, values finite"),
    pytest.param([1.0, np.float64(2.5)], [1.0, 2.5], id="numpy scalar"),
    pytest.param(["a", None, 1.0], ["a", None, 1.0], id="mixed"),
    pytest.param([10 ** 400, 1.0], [10 ** 400, 1.0], id="int too large for a float"),
    pytest.param([], [], id="empty"),
])
def test_jsonable_lists(values, expected):
    out = jsonable(values)
    assert out == expected and all(type(a) is type(b) for a, b in zip(out, expected))


def test_complete_pairs_equal_concat_dropna():
    index = pd.Index([f"T{i}" for i in range(6)], name="target")
    x = pd.Series([1.0, np.nan, 3.0, 4.0, 5.0, 6.0], index=index)
    y = pd.Series([2.0, 1.0, np.nan, 4.0, 3.0, 7.0], index=pd.Index(list(index), name="target"))
    assert complete_pairs(x, y) is None  # an equal index, not the same object: left to pandas
    y = pd.Series(y.to_numpy(), index=x.index)
    expected = pd.concat([x, y], axis=1).dropna().T.to_numpy()
    got = complete_pairs(x, y)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
