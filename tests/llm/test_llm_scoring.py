"""Score extraction from answer log-probabilities, without a model."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratings.llm.errors import LlmPermanentError
from ratings.llm.scoring import (
    average_distributions,
    expected_score,
    item_score,
    log_softmax,
    mode_score,
    restrict_to_values,
)


def test_restrict_renormalises_over_the_labels_and_reports_their_mass():
    logmass = {1: math.log(0.1), 2: math.log(0.3), 3: math.log(0.1)}
    distribution, mass = restrict_to_values(logmass, (1, 2, 3))
    assert distribution == pytest.approx({1: 0.2, 2: 0.6, 3: 0.2}, abs=1e-12)
    assert mass == pytest.approx(0.5, abs=1e-12)


def test_a_value_without_mass_has_probability_zero():
    distribution, _ = restrict_to_values({1: math.log(0.5)}, (1, 2))
    assert distribution == {1: 1.0, 2: 0.0}


def test_no_admissible_answer_is_a_permanent_error():
    with pytest.raises(LlmPermanentError):
        restrict_to_values({}, (1, 2, 3))


@pytest.mark.parametrize(("distribution", "expected", "mode"), [
    pytest.param({1: 0.2, 2: 0.6, 3: 0.2}, 2.0, 2, id="symmetric"),
    pytest.param({1: 0.5, 2: 0.0, 3: 0.5}, 2.0, 1, id="tie-goes-low"),
    pytest.param({0: 0.1, 50: 0.2, 100: 0.7}, 80.0, 100, id="numeric"),
    pytest.param({-2: 1.0, 2: 0.0}, -2.0, -2, id="negative-values"),
])
def test_expected_and_mode(distribution, expected, mode):
    assert expected_score(distribution) == pytest.approx(expected, abs=1e-12)
    assert mode_score(distribution) == mode


@given(st.lists(st.floats(-30, 0), min_size=2, max_size=12), st.floats(-50, 50))
def test_restriction_ignores_a_shared_offset_and_sums_to_one(logs, shift):
    values = tuple(range(1, len(logs) + 1))
    a, _ = restrict_to_values(dict(zip(values, logs)), values)
    b, _ = restrict_to_values({v: lp + shift for v, lp in zip(values, logs)}, values)
    assert sum(a.values()) == pytest.approx(1.0, abs=1e-12)
    assert list(a.values()) == pytest.approx(list(b.values()), abs=1e-9)
    assert min(values) <= expected_score(a) <= max(values)


def test_log_softmax_is_a_distribution():
    lp = log_softmax(np.array([1.0, 2.0, 3.0, -1e4], dtype=np.float32))
    assert float(np.exp(lp).sum()) == pytest.approx(1.0, abs=1e-12)


def test_windows_are_averaged_with_equal_weight():
    windows = [{1: math.log(0.8), 2: math.log(0.2)}, {1: math.log(0.2), 2: math.log(0.6)}]
    score = item_score(code="x", values=(1, 2), window_logmass=windows, tokens_evaluated=7)
    assert score.window_distributions[1] == pytest.approx({1: 0.25, 2: 0.75}, abs=1e-12)
    assert score.distribution == pytest.approx({1: 0.525, 2: 0.475}, abs=1e-12)
    assert score.expected == pytest.approx(1.475, abs=1e-12)
    assert score.mode == 1
    assert score.label_mass == pytest.approx(0.9, abs=1e-12)
    assert score.tokens_evaluated == 7


def test_average_needs_distributions():
    with pytest.raises(ValueError):
        average_distributions([])
