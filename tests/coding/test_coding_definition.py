"""The coding kind of definition: code sets, speakers, summaries and their undefined cases."""

import copy

import pytest

from instruments.definition import (
    DefinitionError, build_spec, content_hash, load_definition, parse_document, to_json, to_yaml,
    validate_definition,
)


@pytest.fixture
def coding_doc(builtin_text):
    return parse_document(builtin_text("mi-coding"))


def test_builtin_mi_coding_is_valid_and_round_trips(coding_doc):
    assert validate_definition(coding_doc) == []
    for text, fmt in ((to_yaml(coding_doc), "yaml"), (to_json(coding_doc), "json")):
        assert content_hash(load_definition(text, fmt=fmt)) == content_hash(coding_doc)


def test_spec_of_mi_coding(coding_doc):
    spec = build_spec(coding_doc)
    assert spec.kind == "coding" and spec.is_coding and spec.items == ()
    behaviour, talk = spec.code_sets
    assert behaviour.code == "therapist_behaviour"
    assert behaviour.values == ("reflection", "question", "therapist_input", "other")
    assert talk.values == ("change", "neutral", "sustain")
    assert [c.key for c in talk.codes] == [1, 2, 3]
    assert [s.code for s in spec.code_sets_for(" THERAPIST ")] == ["therapist_behaviour"]
    assert [s.code for s in spec.code_sets_for("Client")] == ["client_talk"]
    assert spec.code_sets_for("supervisor") == ()
    assert [s.code for s in spec.summaries] == ["pct_change_talk", "reflection_to_question"]


@pytest.mark.parametrize(("counts", "expected"), [
    pytest.param({("client_talk", "change"): 3, ("client_talk", "sustain"): 1}, 0.75, id="defined"),
    pytest.param({("client_talk", "change"): 2}, 1.0, id="no-sustain"),
    pytest.param({("client_talk", "sustain"): 2}, 0.0, id="no-change-is-zero"),
    pytest.param({("client_talk", "neutral"): 5}, None, id="zero-over-zero-is-missing"),
    pytest.param({}, None, id="no-client-segment-is-missing"),
])
def test_ratio_summary_undefined_cases(coding_doc, counts, expected):
    summary = build_spec(coding_doc).summaries[0]
    assert summary.value(counts) == expected


def test_count_summary_is_never_missing(coding_doc):
    doc = copy.deepcopy(coding_doc)
    doc["summaries"].append({"code": "n_reflections", "count": {"therapist_behaviour": ["reflection"]}})
    summary = build_spec(doc).summaries[-1]
    assert summary.kind == "count" and summary.value({}) == 0.0
    assert summary.value({("therapist_behaviour", "reflection"): 4}) == 4.0


def test_speakerless_code_set_applies_to_every_segment(coding_doc):
    doc = copy.deepcopy(coding_doc)
    del doc["code_sets"][0]["speakers"]
    spec = build_spec(doc)
    assert [s.code for s in spec.code_sets_for("anyone")] == ["therapist_behaviour"]


def _problems(doc):
    return {(p.path, p.message) for p in validate_definition(doc)}


@pytest.mark.parametrize(("change", "path", "fragment"), [
    pytest.param(lambda d: d.pop("code_sets"), "", "'code_sets' is a required property", id="no-code-sets"),
    pytest.param(lambda d: d.update(items=[{"code": "a", "text": "x", "scale": {"min": 1, "max": 5}}]),
                 "items", "it has no `items`", id="items-in-coding"),
    pytest.param(lambda d: d["code_sets"][1].update(code="therapist_behaviour"), "code_sets[1].code",
                 "used twice", id="code-set-twice"),
    pytest.param(lambda d: d["code_sets"][0]["codes"].append(dict(d["code_sets"][0]["codes"][0])),
                 "code_sets[0].codes", "code 'reflection' is used twice", id="code-twice"),
    pytest.param(lambda d: d["code_sets"][0].update(speakers=["Therapist", "therapist "]),
                 "code_sets[0].speakers", "named twice", id="speaker-twice-case"),
    pytest.param(lambda d: d["code_sets"][0].update(codes=d["code_sets"][0]["codes"][:1]),
                 "code_sets[0].codes", "", id="one-code"),
    pytest.param(lambda d: d["summaries"][0]["ratio"]["numerator"].update(client_talk=["changes"]),
                 "summaries[0].ratio.numerator.client_talk", "'changes' is not in code set", id="unknown-code"),
    pytest.param(lambda d: d["summaries"][1]["ratio"].update(denominator={"therapist": ["question"]}),
                 "summaries[1].ratio.denominator.therapist", "names no code set", id="unknown-code-set"),
    pytest.param(lambda d: d["summaries"][0].update(count={"client_talk": ["change"]}),
                 "summaries[0]", "either a `ratio` or a `count`", id="ratio-and-count"),
    pytest.param(lambda d: d["summaries"][1].update(code="pct_change_talk"), "summaries[1].code",
                 "used twice", id="summary-twice"),
])
def test_invalid_coding_definitions_are_named(coding_doc, change, path, fragment):
    doc = copy.deepcopy(coding_doc)
    change(doc)
    problems = _problems(doc)
    assert any(p == path and fragment in m for p, m in problems), problems
    with pytest.raises(DefinitionError):
        load_definition(to_json(doc), fmt="json")


def test_code_sets_belong_to_coding_instruments_only(builtin_text):
    doc = parse_document(builtin_text("therapy-engagement"))
    doc["code_sets"] = parse_document(builtin_text("mi-coding"))["code_sets"]
    assert ("code_sets", "only a coding instrument has code sets and summaries") in _problems(doc)
