"""Scale scores: reverse keying, subscale means and sums, minimum answered items."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from instruments.definition import build_spec, parse_document
from instruments.definition.scoring import keyed, subscale_scores
from tests.conftest import BUILTIN


@pytest.fixture(scope="module")
def spec():
    return build_spec(parse_document(BUILTIN["therapy-engagement"].read_text(encoding="utf-8")))


def test_reverse_keyed_item_is_flipped_on_its_scale(spec):
    assert keyed(spec.item("resistance"), 5) == 1
    assert keyed(spec.item("resistance"), 2) == 4
    assert keyed(spec.item("participation"), 2) == 2


def test_subscale_means_apply_reverse_keys(spec):
    answers = dict.fromkeys(spec.item_codes, 4.0) | {"resistance": 2.0}
    scores = subscale_scores(spec, answers)
    assert scores == {"involvement": 4.0, "alliance": 4.0, "change": 4.0, "total": 4.0}
    answers["resistance"] = 5.0
    assert subscale_scores(spec, answers)["alliance"] == pytest.approx((4 + 4 + 4 + 1) / 4)


def test_too_few_answered_items_give_no_score(spec):
    answers = dict.fromkeys(spec.item_codes, 3.0) | {"participation": None, "disclosure": None}
    scores = subscale_scores(spec, answers)
    assert scores["involvement"] is None  # 1 of 3 answered, 2 needed
    assert scores["total"] == 3.0  # 8 of 10 answered, 8 needed


def test_sum_is_prorated_over_missing_items(spec):
    from dataclasses import replace

    summed = replace(spec, subscales=tuple(replace(s, method="sum") for s in spec.subscales))
    answers = dict.fromkeys(spec.item_codes, 2.0) | {"participation": 5.0}
    assert subscale_scores(summed, answers)["involvement"] == 9.0
    answers["disclosure"] = None
    assert subscale_scores(summed, answers)["involvement"] == pytest.approx((5 + 2) / 2 * 3)


@given(st.lists(st.floats(min_value=1, max_value=5), min_size=10, max_size=10))
def test_expected_scores_score_like_answers(spec, values):
    """Continuous expected scores go through the same rules and stay on the scale."""
    scores = subscale_scores(spec, dict(zip(spec.item_codes, values, strict=True)))
    assert all(1 - 1e-12 <= s <= 5 + 1e-12 for s in scores.values())
    flipped = subscale_scores(spec, {c: 6 - v for c, v in zip(spec.item_codes, values, strict=True)})
    assert all(s + f == pytest.approx(6) for s, f in zip(scores.values(), flipped.values(), strict=True))
