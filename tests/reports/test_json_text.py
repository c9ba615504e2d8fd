"""The report's JSON text is the standard library's (`dumps_indented` only encodes long lists
faster), and `jsonable`'s fast path for lists of plain values keeps its rules."""

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.json_text import dumps_indented
from reports.render import render_json
from reports.stats import jsonable

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text())
values = st.recursive(scalars, lambda inner: st.lists(inner) | st.tuples(inner, inner)
                      | st.dictionaries(st.text() | st.integers() | st.booleans(), inner), max_leaves=40)


@given(values)
def test_dumps_indented_is_the_standard_librarys_text(value):
    assert dumps_indented(value) == json.dumps(value, indent=2, allow_nan=False)


@pytest.mark.parametrize("value", [
    pytest.param(float("nan"), id="nan"),
    pytest.param([1.0, float("inf")], id="inf-in-a-number-list"),
    pytest.param({"a": ["x", -math.inf]}, id="inf-in-a-mixed-list"),
])
def test_non_finite_numbers_are_refused_as_there(value):
    with pytest.raises(ValueError):
        json.dumps(value, indent=2, allow_nan=False)
    with pytest.raises(ValueError):
        dumps_indented(value)


def test_other_types_are_refused_as_there():
    with pytest.raises(TypeError):
        dumps_indented({"a": [object()]})
    with pytest.raises(TypeError):
        dumps_indented({(1, 2): 0})


def test_the_demo_reports_json_is_the_standard_librarys(demo_study):
    from reports.build import study_report

    study, version = demo_study
    report = study_report(study, instrument_version=version, n_boot=20)
    assert render_json(report) == json.dumps(report, indent=2, allow_nan=False)


@pytest.mark.parametrize("values, expected", [
    pytest.param([1.0, float("nan"), math.inf, -math.inf, 2], [1.0, None, None, None, 2], id="floats"),
    pytest.param(["a", None, True, 3, 1.5], ["a", None, True, 3, 1.5], id="mixed-plain"),
    pytest.param((1, 2), [1, 2], id="tuple-to-list"),
    pytest.param([np.float64(np.nan), np.int64(3), np.bool_(True)], [None, 3, True], id="numpy-scalars"),
])
def test_jsonable_lists(values, expected):
    out = jsonable({"v": values})["v"]
    assert out == expected
    assert [type(v) for v in out] == [type(v) for v in expected]


@pytest.mark.parametrize("values", [
    pytest.param([(k % 13) / 3 for k in range(10_000)], id="few-distinct"),
    pytest.param([0.0, -0.0, 1e-300, 5e-324, 1e300, 2.5] * 2_000, id="signed-zero-and-extremes"),
    pytest.param([k / 7 for k in range(10_000)], id="mostly-distinct"),
    pytest.param([1.0, 2.0] * 3_000 + [3], id="with-an-int"),
])
def test_long_float_lists_are_the_standard_librarys_text(values):
    value = {"a": {"values": values, "n": len(values)}}
    assert dumps_indented(value) == json.dumps(value, indent=2, allow_nan=False)
    assert jsonable(value) == value


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_long_float_lists_with_a_non_finite_number(bad):
    values = [1.5] * 5_000 + [bad]
    with pytest.raises(ValueError):
        dumps_indented({"v": values})
    assert jsonable({"v": values})["v"] == [1.5] * 5_000 + [None]
