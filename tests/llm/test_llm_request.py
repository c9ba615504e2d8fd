"""Building a rating request from plain instrument data."""

from pathlib import Path

import pytest
import yaml

from ratings.llm.request import (
    ItemPrompt,
    LikertScale,
    NumericScale,
    RatingOptions,
    RatingRequest,
    request_from_definition,
    request_from_spec,
    scale_from_definition,
)

ENGAGEMENT = Path(__file__).resolve().parents[2] / "instruments/builtin/therapy-engagement.yaml"


def test_request_from_the_builtin_definition():
    document = yaml.safe_load(ENGAGEMENT.read_text(encoding="utf-8"))
    request = request_from_definition(document, material="T: Hi.\nC: Hello.")
    assert len(request.items) == 10
    assert request.items[0].code == "participation"
    assert request.items[0].question.startswith("How actively did the client")
    assert request.items[0].scale.points[0] == (1, "Not at all")
    assert request.instructions.startswith("You are an experienced psychotherapy researcher")
    assert request.material_name == "psychotherapy session transcript"
    assert request.options.rationale is False


def test_request_from_the_typed_spec():
    definition = pytest.importorskip("instruments.definition")
    spec = definition.build_spec(yaml.safe_load(ENGAGEMENT.read_text(encoding="utf-8")))
    request = request_from_spec(spec, material="T: Hi.", item_codes=["resistance"])
    assert [i.code for i in request.items] == ["resistance"]
    assert request.items[0].scale.values == (1, 2, 3, 4, 5)


@pytest.mark.parametrize("raw", [
    pytest.param({"min": 0, "max": 100, "anchors": {0: "none", 100: "complete"}}, id="mapping"),
    pytest.param({"min": 0, "max": 100, "anchors": [{"value": 100, "label": "complete"},
                                                    {"value": 0, "label": "none"}]}, id="list"),
])
def test_numeric_scale_with_anchors(raw):
    scale = scale_from_definition(raw)
    assert scale == NumericScale(0, 100, ((0, "none"), (100, "complete")))
    assert len(scale.values) == 101


@pytest.mark.parametrize("build", [
    pytest.param(lambda: LikertScale(((1, "a"),)), id="one-point"),
    pytest.param(lambda: LikertScale(((1, "a"), (1, "b"))), id="duplicate-values"),
    pytest.param(lambda: NumericScale(5, 5), id="empty-range"),
    pytest.param(lambda: NumericScale(0, 10, ((11, "x"),)), id="anchor-outside"),
    pytest.param(lambda: RatingRequest("i", "m", ()), id="no-items"),
    pytest.param(lambda: RatingRequest("i", "  ", (ItemPrompt("a", "q", NumericScale(0, 1)),)),
                 id="no-material"),
    pytest.param(lambda: RatingRequest("i", "m", (ItemPrompt("a", "q", NumericScale(0, 1)),) * 2),
                 id="duplicate-codes"),
])
def test_invalid_requests_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_options_override_the_instrument():
    document = yaml.safe_load(ENGAGEMENT.read_text(encoding="utf-8"))
    request = request_from_definition(document, material="x", options=RatingOptions(rationale=True))
    assert request.options.rationale is True
