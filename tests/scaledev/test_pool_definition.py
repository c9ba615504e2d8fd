"""The definition format's item pool marker and derivation block."""

import copy

import pytest

from instruments.definition import build_spec, validate_definition

from .conftest import pool_document


def test_a_pool_of_any_size_is_a_valid_scale_instrument():
    document = pool_document(n_items=120)
    assert validate_definition(document) == []
    spec = build_spec(document)
    assert spec.pool and len(spec.items) == 120 and spec.derivation is None
    percent = copy.deepcopy(document)
    percent["scales"] = {"pct": {"level": "interval", "min": 0, "max": 100}}
    percent["default_scale"] = "pct"
    assert validate_definition(percent) == []


@pytest.mark.parametrize("change, path, message", [
    pytest.param(lambda d: d.update(pool="yes"), "pool", "is not of type 'boolean'", id="not-boolean"),
    pytest.param(lambda d: d.update(kind="pipeline", stages=[{"code": "s", "title": "S", "type": "retrieval"}]),
                 "pool", "only a scale instrument can be an item pool", id="pipeline"),
    pytest.param(lambda d: d.update(derivation={}), "derivation", "is a required property", id="empty-derivation"),
])
def test_pool_problems_are_named(change, path, message):
    document = pool_document(n_items=5)
    change(document)
    problems = validate_definition(document)
    assert any(p.path == path and message in p.message for p in problems), problems


def test_a_derivation_must_name_items_of_the_scale():
    document = pool_document(n_items=5)
    del document["pool"]
    document["derivation"] = {
        "method": "m", "pool": {"slug": "p", "version": "1", "content_hash": "0" * 64}, "study": "s",
        "rater": "llm", "rule": {}, "k": 2, "seed": 0, "n_folds": 3, "n_repeats": 1, "n_boot": 1,
        "items": [{"code": "item_01", "key": 1}, {"code": "ghost", "key": -1}],
        "apparent": {"alpha": 0.8}, "cross_validated": {"alpha": None}, "optimism": {}, "corrected": {},
    }
    problems = validate_definition(document)
    assert [(p.path, p.message) for p in problems] == [("derivation.items[1].code", "names no item: 'ghost'")]
