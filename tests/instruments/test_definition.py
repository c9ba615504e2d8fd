"""The definition format: every kind of invalid document is refused with its path and reason."""

import copy
import json

import pytest
import yaml

from instruments.definition import (
    DefinitionError, build_spec, content_hash, load_definition, parse_document, to_json, to_yaml,
    validate_definition,
)


@pytest.fixture
def scale_doc(builtin_text):
    return parse_document(builtin_text("therapy-engagement"))


@pytest.fixture
def pipeline_doc(builtin_text):
    return parse_document(builtin_text("novelty-assessment"))


@pytest.mark.parametrize("slug", ["therapy-engagement", "novelty-assessment", "novelty-holistic"])
def test_builtin_definitions_are_valid(builtin_text, slug):
    assert validate_definition(parse_document(builtin_text(slug))) == []


def _set(doc, path, value):
    *parents, last = path
    for part in parents:
        doc = doc[part]
    if value is _DELETE:
        del doc[last]
    else:
        doc[last] = value


_DELETE = object()

SCALE_CASES = [
    pytest.param(["slug"], _DELETE, "", "'slug' is a required property", id="missing-slug"),
    pytest.param(["version"], 1.0, "version", "is not of type 'string'", id="unquoted-version"),
    pytest.param(["kind"], "survey", "kind", "is not one of", id="unknown-kind"),
    pytest.param(["itemz"], [], "", "Additional properties are not allowed ('itemz'", id="typo-key"),
    pytest.param(["items"], [], "items", "should be non-empty", id="no-items"),
    pytest.param(["items", 1, "code"], "participation", "items[1].code", "is used twice", id="duplicate-item"),
    pytest.param(["items", 0, "code"], "Participation", "items[0].code", "does not match", id="bad-code"),
    pytest.param(["items", 0, "scale"], "nope", "items[0].scale", "names no scale", id="unknown-scale"),
    pytest.param(["default_scale"], _DELETE, "items[0]", "no response scale", id="no-scale"),
    pytest.param(["scales", "extent5", "min"], 1, "scales.extent5", "either `points` or `min` and `max`",
                 id="points-and-range"),
    pytest.param(["scales", "extent5", "points", 1, "value"], 1, "scales.extent5.points", "values repeat",
                 id="repeated-point"),
    pytest.param(["scales", "extent5", "points", 1, "value"], 2.5, "scales.extent5.points[1].value",
                 "is not of type 'integer'", id="fractional-point"),
    pytest.param(["scales", "extent5", "points"], [{"value": 1, "label": "x"}], "scales.extent5.points",
                 "is too short", id="one-point"),
    pytest.param(["scales", "pct"], {"min": 100, "max": 0}, "scales.pct", "must be below max", id="min-above-max"),
    pytest.param(["scales", "pct"], {"min": 0, "max": 100, "anchors": [{"value": 101, "label": "x"}]},
                 "scales.pct.anchors[0]", "outside min..max", id="anchor-outside"),
    pytest.param(["items", 0, "subscale"], "nowhere", "items[0].subscale", "names no subscale",
                 id="unknown-subscale"),
    pytest.param(["subscales", 0, "items"], ["participation", "ghost"], "subscales[0].items",
                 "names no item: 'ghost'", id="subscale-unknown-item"),
    pytest.param(["subscales", 0, "min_answered"], 9, "subscales[0].min_answered", "exceeds", id="min-answered"),
    pytest.param(["subscales", 0, "method"], "median", "subscales[0].method", "is not one of",
                 id="unknown-method"),
    pytest.param(["stages"], [{"code": "x", "title": "X", "type": "retrieval"}], "stages",
                 "only a pipeline instrument has stages", id="scale-with-stages"),
]


@pytest.mark.parametrize(("path", "value", "where", "reason"), SCALE_CASES)
def test_invalid_scale_definition(scale_doc, path, value, where, reason):
    _set(scale_doc, path, value)
    problems = validate_definition(scale_doc)
    assert any(p.path == where and reason in p.message for p in problems), problems


def test_nominal_item_cannot_be_reversed(pipeline_doc):
    pipeline_doc["items"][1]["reverse"] = True
    problems = validate_definition(pipeline_doc)
    assert [(p.path, p.message) for p in problems] == [("items[1].reverse", "a nominal item cannot be reverse-keyed")]


PIPELINE_CASES = [
    pytest.param(["stages"], _DELETE, "", "'stages' is a required property", id="no-stages"),
    pytest.param(["stages", 0, "prompt"], _DELETE, "stages[0]", "'prompt' is a required property",
                 id="llm-stage-without-prompt"),
    pytest.param(["stages", 0, "output_schema"], {"type": "object", "properties": {"a": {"type": "banana"}}},
                 "stages[0].output_schema", "not a valid JSON Schema", id="bad-output-schema"),
    pytest.param(["stages", 1, "code"], "claims", "stages[1].code", "is used twice", id="duplicate-stage"),
    pytest.param(["stages", 1, "type"], "web_search", "stages[1].type", "is not one of", id="unknown-stage-type"),
]


@pytest.mark.parametrize(("path", "value", "where", "reason"), PIPELINE_CASES)
def test_invalid_pipeline_definition(pipeline_doc, path, value, where, reason):
    _set(pipeline_doc, path, value)
    problems = validate_definition(pipeline_doc)
    assert any(p.path == where and reason in p.message for p in problems), problems


def test_every_problem_is_listed_at_once(scale_doc):
    scale_doc["items"][1]["code"] = "participation"
    scale_doc["items"][2]["scale"] = "nope"
    scale_doc["subscales"][0]["min_answered"] = 99
    with pytest.raises(DefinitionError) as raised:
        load_definition(yaml.safe_dump(scale_doc))
    paths = {p.path for p in raised.value.problems}
    assert {"items[1].code", "items[2].scale", "subscales[0].min_answered"} <= paths
    assert "items[2].scale" in str(raised.value)


@pytest.mark.parametrize(("text", "where", "reason"), [
    pytest.param("slug: a\nslug: b\n", "line 2", "duplicate key 'slug'", id="duplicate-key"),
    pytest.param("slug: [unclosed\n", "line 2", "not valid YAML", id="yaml-syntax"),
    pytest.param("- just\n- a list\n", "", "must be a mapping", id="not-a-mapping"),
])
def test_unreadable_documents(text, where, reason):
    with pytest.raises(DefinitionError) as raised:
        parse_document(text)
    [problem] = raised.value.problems
    assert problem.path == where and reason in problem.message


def test_invalid_json_names_its_line():
    with pytest.raises(DefinitionError) as raised:
        parse_document('{"slug": "a",\n "title": }', fmt="json")
    assert raised.value.problems[0].path == "line 2"


@pytest.mark.parametrize("slug", ["therapy-engagement", "novelty-assessment"])
@pytest.mark.parametrize(("render", "fmt"), [(to_yaml, "yaml"), (to_json, "json")])
def test_export_round_trip_is_lossless(builtin_text, slug, render, fmt):
    original = load_definition(builtin_text(slug))
    again = load_definition(render(original), fmt=fmt)
    assert again == original
    assert content_hash(again) == content_hash(original)


def test_export_lists_keys_in_schema_order(scale_doc):
    shuffled = dict(reversed(list(scale_doc.items())))
    exported = to_yaml(shuffled)
    assert exported.startswith("slug: therapy-engagement\ntitle: ")
    assert exported.index("\nitems:") < exported.index("\nsubscales:")


def test_hash_ignores_key_order_and_format_but_not_content(scale_doc):
    reordered = json.loads(json.dumps(dict(reversed(list(scale_doc.items())))))
    assert content_hash(reordered) == content_hash(scale_doc)
    changed = copy.deepcopy(scale_doc)
    changed["items"][0]["text"] += "!"
    assert content_hash(changed) != content_hash(scale_doc)


def test_spec_resolves_scales_subscales_and_wording(scale_doc, pipeline_doc):
    spec = build_spec(scale_doc)
    assert len(spec.items) == 10
    resistance = spec.item("resistance")
    assert resistance.reverse and resistance.scale.values == (1, 2, 3, 4, 5)
    assert resistance.scale.label(1) == "Not at all"
    assert [s.code for s in spec.subscales] == ["involvement", "alliance", "change", "total"]
    assert spec.subscales[3].items == spec.item_codes
    assert "resistance" in spec.subscales[1].items
    novelty = build_spec(pipeline_doc)
    assert [s.code for s in novelty.stages] == ["claims", "related_work", "comparison", "judgement"]
    assert novelty.item("conclusion").scale.level == "nominal"
    assert novelty.item("novelty").llm_text.startswith("Considering the claims")


def test_range_scale_admits_every_integer_in_range(scale_doc):
    scale_doc["scales"]["pct"] = {"min": 0, "max": 100, "anchors": [{"value": 0, "label": "None"},
                                                                    {"value": 100, "label": "All"}]}
    scale_doc["items"][0]["scale"] = "pct"
    assert validate_definition(scale_doc) == []
    scale = build_spec(scale_doc).item("participation").scale
    assert scale.level == "interval" and len(scale.values) == 101
    assert scale.admits(37) and not scale.admits(37.5) and not scale.admits(101)
