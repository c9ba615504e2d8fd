"""Item-level ``raters``: an item only humans answer (the LLM request leaves it out)."""

import pytest

from instruments.definition import build_spec, parse_document, validate_definition
from ratings.llm import request_from_definition, request_from_spec


@pytest.fixture
def novelty_doc(builtin_text):
    return parse_document(builtin_text("novelty-assessment"))


def test_human_only_item_is_not_asked_of_the_llm(novelty_doc):
    spec = build_spec(novelty_doc)
    aligned = spec.item("reasoning_aligned")
    assert (aligned.raters, aligned.for_humans, aligned.for_llm) == ("human", True, False)
    assert spec.item("novelty").raters == "all"
    assert [i.code for i in request_from_spec(spec, material="x").items] == ["novelty", "conclusion"]
    assert [i.code for i in request_from_definition(novelty_doc, material="x").items] == ["novelty", "conclusion"]


@pytest.mark.parametrize(("change", "where", "reason"), [
    pytest.param(lambda d: d["items"][0].update(raters="robots"), "items[0].raters", "is not one of",
                 id="unknown-audience"),
    pytest.param(lambda d: [i.update(raters="human") for i in d["items"]], "items",
                 "the LLM would have nothing to rate", id="no-item-for-the-llm"),
])
def test_invalid_raters(novelty_doc, change, where, reason):
    change(novelty_doc)
    problems = validate_definition(novelty_doc)
    assert any(p.path == where and reason in p.message for p in problems), problems


def test_item_in_a_subscale_is_for_everyone(builtin_text):
    doc = parse_document(builtin_text("therapy-engagement"))
    doc["items"][0]["raters"] = "human"
    problems = validate_definition(doc)
    assert any(p.path == "items[0].raters" and "every rater" in p.message for p in problems), problems
