"""The grammar and the parser agree: what the grammar lets a model write, the parser reads.

Each structured stage's schema (claims, comparison, summary), bounded as the pipeline bounds
it, is turned into a grammar whose strings cannot hold a raw control character and whose
constants (the paper's sentences, the retrieved ids) are escaped so they come out as strict
JSON; the parser accepts raw control characters anyway and checks the value against the
schema. Hypothesis generates outputs that stress both (control characters, long strings,
unicode, empty arrays, quotes and backslashes); the real model writes under such a grammar.
"""

import json
import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from instruments.definition import load_definition
from instruments.definition.spec import build_spec
from novelty.fields import EncryptedJSONField
from novelty.pipeline import (
    CLAIM_TEXT_CHARS, EXPLANATION_CHARS, SUMMARY_CHARS, Limits, NoveltyPipelineError, Submission, _bounded,
    compare, extract_claims, judge, retrieve,
)
from novelty.retrieval import Corpus, Paper
from ratings.llm import LlmPermanentError
from ratings.llm.structured import CHAR_RULE, parse_structured, schema_grammar

from .conftest import DEMO

SPEC = None


def spec():
    global SPEC
    if SPEC is None:
        text = (DEMO.parents[1] / "instruments" / "builtin" / "novelty-assessment.yaml").read_text()
        SPEC = build_spec(load_definition(text))
    return SPEC


def stage_schema(code):
    return next(s for s in spec().stages if s.code == code).output_schema


# Text a model or a paper might hold: every control character, quotes, backslashes, any unicode.
NASTY = st.text(alphabet=st.one_of(st.characters(min_codepoint=0, max_codepoint=0x1F),
                                   st.sampled_from(['"', "\\", "/", "\u2028", "\x7f", "é", "漢", "😀"]),
                                   st.characters(codec="utf-8")), max_size=60)


def stage_schemas(quotes, ids):
    return {
        "claims": _bounded(stage_schema("claims"), strings=CLAIM_TEXT_CHARS, max_items=8, quotes=quotes),
        "comparison": _bounded(stage_schema("comparison"), strings=EXPLANATION_CHARS, enum_ids=ids),
        "judgement": _bounded(stage_schema("judgement"), strings=SUMMARY_CHARS),
    }


def decode_literal(literal: str) -> str:
    """A GBNF string literal's text, read with llama.cpp's escapes."""
    assert literal[0] == literal[-1] == '"'
    escapes = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "[": "[", "]": "]"}

    def one(match):
        body = match[1]
        if body[0] in "xuU":
            return chr(int(body[1:], 16))
        return escapes[body]

    return re.sub(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", one, literal[1:-1])


def constants(grammar: str) -> list[str]:
    """Every literal of an alternation of literals (the enum rules) in ``grammar``."""
    found = []
    for line in grammar.split("\n"):  # not splitlines: a literal may hold U+0085 or U+2028
        name, _, body = line.partition(" ::= ")
        parts = [p.strip() for p in body.split(" | ")]
        if parts and all(re.fullmatch(r'"(?:[^"\\]|\\.)*"', p) for p in parts) and name.endswith(("sentence", "item", "label", "kind")):
            found += parts
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(quotes=["0\x85", "a\u2028b", "tab\there", "back\\slash \"q\""], ids=["0\x85", "L\n1"])
@given(quotes=st.lists(NASTY.filter(lambda s: s.strip()), min_size=1, max_size=4, unique=True),
       ids=st.lists(NASTY.filter(lambda s: s.strip()), min_size=0, max_size=3, unique=True))
def test_every_stage_grammar_forbids_raw_control_characters_and_escapes_its_constants(quotes, ids):
    for name, schema in stage_schemas(quotes, ids).items():
        grammar = schema_grammar(schema)
        assert CHAR_RULE in grammar.split("\n"), name
        decoded = [decode_literal(c) for c in constants(grammar)]
        for text in decoded:
            assert not any(ord(ch) < 0x20 for ch in text), (name, text)  # a raw control char would break JSON
            json.loads(text)  # strict: every constant is valid JSON as the grammar writes it
        values = {json.loads(t) for t in decoded}
        if name == "claims":
            assert set(quotes) <= values
        if name == "comparison":
            assert set(ids) <= values


def json_text(value, *, raw_controls: bool) -> str:
    """``value`` as a model might write it: escapes or raw unicode, and (when the grammar
    would let it, as llama-cpp-python's own converter does) raw control characters."""
    text = json.dumps(value, ensure_ascii=False)
    if raw_controls:
        text = re.sub(r"\\u00([01][0-9a-fA-F])", lambda m: chr(int(m[1], 16)), text)
        text = text.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r")
    return text


def values_for(schema):
    """A strategy for values of a bounded stage schema (strings up to their maxLength)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return st.text(alphabet=NASTY.filter(bool).map(lambda s: s[0]) | st.characters(codec="utf-8"),
                       max_size=schema.get("maxLength", 50))
    if kind == "array":
        return st.lists(values_for(schema["items"]), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 3), 3))
    if kind == "object":
        return st.fixed_dictionaries({k: values_for(v) for k, v in schema["properties"].items()})
    raise AssertionError(schema)


SENTENCES = ["We\tintroduce a \"sparse\" attention\ntransformer for sea levels.",
             "It forecasts C:\\gauges a week ahead — and halves the error."]
IDS = ["L03", "L\u00e905"]


@settings(max_examples=80, deadline=None)
@given(data=st.data(), raw_controls=st.booleans())
def test_the_parser_reads_every_output_of_every_stage_schema(data, raw_controls):
    for name, schema in stage_schemas(SENTENCES, IDS).items():
        value = data.draw(values_for(schema), label=name)
        parsed = parse_structured(json_text(value, raw_controls=raw_controls), "stop", 1, None, schema=schema)
        assert parsed.value == value


@pytest.mark.parametrize("name, value, where", [
    pytest.param("claims", {"claims": []}, "claims", id="empty-claims-array"),
    pytest.param("claims", {"claims": [{"claim": "x" * (CLAIM_TEXT_CHARS + 1), "kind": "method",
                                        "source_sentence": SENTENCES[0]}]}, "claims/0/claim", id="too-long"),
    pytest.param("claims", {"claims": [{"claim": "x", "kind": "method", "source_sentence": "invented"}]},
                 "claims/0/source_sentence", id="not-a-quote"),
    pytest.param("comparison", {"label": "maybe", "anticipated_by": [], "explanation": ""}, "label", id="bad-label"),
    pytest.param("comparison", {"label": "novel", "anticipated_by": ["L99"], "explanation": ""},
                 "anticipated_by/0", id="unknown-id"),
    pytest.param("judgement", {}, "the top level", id="missing-summary"),
])
def test_output_outside_the_schema_is_an_error_that_says_where(name, value, where):
    schema = stage_schemas(SENTENCES, IDS)[name]
    with pytest.raises(LlmPermanentError, match=f"does not match its schema at {re.escape(where)}"):
        parse_structured(json.dumps(value), "stop", 1, None, schema=schema)


def test_truncated_or_broken_output_is_an_error():
    with pytest.raises(LlmPermanentError, match="max_tokens"):
        parse_structured('{"summary": "cut', "length", 1, None)
    with pytest.raises(LlmPermanentError, match="not JSON"):
        parse_structured('{"summary": "a" "b"}', "stop", 1, None)


SUBMISSION = Submission(id="S1", title="Tides", date="2025",
                        abstract=" ".join(SENTENCES) + " A third sentence about tide gauges and sea levels.")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), raw_controls=st.booleans())
def test_every_stage_runs_on_generated_outputs_and_its_artefact_round_trips_encrypted(data, raw_controls, demo_rows):
    from .fakes import ScriptedBackend

    papers = [Paper(r["id"], r["title"], r["abstract"], str(r["year"]), r["venue"]) for r in demo_rows["literature"]]
    corpus = Corpus.of(papers)

    def texts(schema):
        return json_text(data.draw(values_for(schema)), raw_controls=raw_controls)

    backend, limits, field = ScriptedBackend(texts=texts), Limits(max_claims=3, top_k=2), EncryptedJSONField()
    try:
        claims_out = extract_claims(spec(), SUBMISSION, backend, limits)
    except LlmPermanentError:
        return  # only when a drawn claims array is empty, which the schema forbids
    claims = claims_out.data["claims"]
    related, hits = retrieve(spec(), SUBMISSION, claims, corpus, limits)
    comparison = compare(spec(), claims, hits, backend, limits)
    judgement, _ = judge(spec(), SUBMISSION, claims, comparison.data["comparisons"], backend, limits)
    for stage in (claims_out, related, comparison, judgement):
        for value in (stage.data, stage.gate):
            assert field.from_db_value(field.get_prep_value(value), None, None) == value
    assert claims_out.gate["kept"] + claims_out.gate["dropped"] == len(claims_out.data["generated"])
    if not claims:
        with pytest.raises(NoveltyPipelineError):
            from novelty.pipeline import _no_claim_error
            raise _no_claim_error(claims_out)


@pytest.fixture(scope="module")
def real_backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=2048, n_threads=int(os.environ.get("ANCHOR_LLM_THREADS", "2")))


def test_the_real_model_writes_strict_json_under_a_grammar_full_of_control_characters(real_backend):
    quotes = ["Line one\nline two\twith a tab.", "A \"quoted\" C:\\path and \u00e9t\u00e9 \u6f22.", "Bell\x07 and nul\x00.", "Next\x85line\u2028sep."]
    schema = {"type": "object", "properties": {
        "pick": {"enum": quotes}, "note": {"type": "string", "maxLength": 40},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 2}},
        "required": ["pick", "note", "tags"]}
    for prompt in ("Pick the sentence with a tab and write a note with a newline and a tab.",
                   "Choose the quoted one; note: write backslashes and control characters."):
        out = real_backend.generate_structured(instructions="Answer in JSON.", prompt=prompt, schema=schema,
                                               max_tokens=160)
        json.loads(out.text)  # strict: the grammar never lets a raw control character into a string
        assert out.value["pick"] in quotes and len(out.value["note"]) <= 40
