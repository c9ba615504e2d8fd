"""The pure checks behind outside-judge imports."""

import pytest

from instruments.definition.spec import Scale, ScalePoint
from ratings.services.judge_scores import distribution_parse, llm_score, nearest_point

LIKERT = Scale(level="ordinal", min=1, max=5)
YES_NO = Scale(level="nominal", min=0, max=1, points=(ScalePoint(0, "no"), ScalePoint(1, "yes")))


@pytest.mark.parametrize(("value", "point"), [
    pytest.param(4.666, 5, id="rounds-up"), pytest.param(2.5, 2, id="tie-goes-lower"),
    pytest.param(1.0, 1, id="a-point"), pytest.param(3.49, 3, id="rounds-down"),
])
def test_nearest_point(value, point):
    assert nearest_point(value, LIKERT) == point


def test_distribution_keys_may_be_numbers_and_are_renormalised_within_tolerance():
    parsed = distribution_parse({1: 0.3333, "2": 0.3333, "3.0": 0.3333}, item_code="x", scale=LIKERT)
    assert list(parsed) == ["1", "2", "3"] and sum(parsed.values()) == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(ValueError, match="sum to 0.99"):
        distribution_parse({"1": 0.49, "2": 0.5}, item_code="x", scale=LIKERT)


def test_points_scale_bounds_and_mode_ties():
    cell = llm_score("0.5", {"0": 0.5, "1": 0.5}, item_code="yn", scale=YES_NO)
    assert (cell.score, cell.expected) == (0.0, 0.5)  # a tie in the distribution goes to the lower point
    assert llm_score("", None, item_code="yn", scale=YES_NO) is None
    with pytest.raises(ValueError, match="outside 'yn''s scale range 0..1"):
        llm_score(1.01, None, item_code="yn", scale=YES_NO)
    with pytest.raises(ValueError, match="not a finite number"):
        llm_score("nan", None, item_code="yn", scale=YES_NO)
