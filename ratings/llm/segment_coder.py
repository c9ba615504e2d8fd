"""The segment coder: a code distribution for every applicable utterance, the transcript read once.

The codebook is evaluated once at the start of the prompt and the transcript is appended to
the KV cache one segment at a time. After each segment, every code set that applies to its
speaker asks its question as a branch at the current position (``eval_at`` sets the cache
back to the prefix length, so the branch is forgotten before the next segment is appended),
and the answer labels are scored on the candidate trie as Likert items are. A session costs
about its own length plus a short question per coded segment; evaluating every prefix from
scratch (``incremental=False``, the naive way kept for benchmarks and tests) costs the sum of
the prefixes.

When the transcript does not fit the context, the model reads a window of the preceding turns
(``windows.plan_segment_contexts``): the window is re-read from a later turn with a note of how
many utterances are left out, and the result says so (``CodingWindow``, ``context_start``).
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass

from . import coding_prompt as prompts
from .backend import ItemProgress
from .coding import CodeSet, CodingRequest
from .coding_results import CodingProvenance, CodingResult, CodingWindow, SegmentCode
from .errors import LlmPermanentError
from .llama_cpp_backend import LlamaCppBackend
from .model_files import model_sha256
from .scoring import restrict_to_values
from .windows import SEGMENT_WINDOW_POLICY, plan_segment_contexts


@dataclass(frozen=True, slots=True)
class _Question:
    code_set: CodeSet
    tokens: list[int]
    answers: dict[int, list[int]]  # code index in the set -> answer tokens


@dataclass(frozen=True, slots=True)
class CodingPlan:
    """The request as tokens, and which segments each segment is coded on."""

    head: list[int]
    segments: list[list[int]]
    questions: dict[str, _Question]
    applicable: list[tuple[str, ...]]
    starts: list[int]
    budget: int
    keep: int

    def context(self, index: int, marker: list[int]) -> list[int]:
        """The prompt up to and including segment ``index``, in its window."""
        start = self.starts[index]
        tokens = list(self.head) + (marker if start else [])
        for segment in self.segments[start:index + 1]:
            tokens += segment
        return tokens


class SegmentCoder:
    """Codes transcripts with a model loaded in this process (``LlamaCppBackend``)."""

    def __init__(self, backend: LlamaCppBackend) -> None:
        if not isinstance(backend, LlamaCppBackend):
            raise LlmPermanentError("The segment coder needs the in-process llama.cpp backend "
                                    f"(this worker is configured with {backend.kind!r}).")
        self._backend = backend
        self._model = backend.model

    @property
    def model(self):
        """The loaded model (its ``evaluated`` counter costs a piece of work)."""
        return self._model

    def plan(self, request: CodingRequest) -> CodingPlan:
        model = self._model
        head = model.tokenize_segments(prompts.head_segments(request, model.template), bos=True)
        segments = [model.tokenize_segments((prompts.segment_segment(s),))
                    for s in request.segments]
        questions = {}
        for code_set in request.code_sets:
            texts = prompts.answer_texts(code_set)
            answers = {i: model.tokenize_segments(((texts[c.code], False),))
                       for i, c in enumerate(code_set.codes)}
            tokens = model.tokenize_segments(prompts.question_segments(code_set, model.template))
            questions[code_set.code] = _Question(code_set, tokens, answers)
        longest = max(len(q.tokens) + max(map(len, q.answers.values()))
                      for q in questions.values())
        budget = model.settings.n_ctx - len(head) - longest - 1
        marker = len(self.marker(len(segments))) + 4  # room for any count of dropped turns
        keep = request.window_keep_tokens if request.window_keep_tokens is not None else budget // 2
        if budget < 2 * marker:
            raise LlmPermanentError(f"A context of {model.settings.n_ctx} tokens leaves only "
                                    f"{budget} for the transcript; use a larger n_ctx.")
        try:
            starts = plan_segment_contexts([len(s) for s in segments], budget,
                                           min(keep, budget - 1), marker)
        except ValueError as exc:
            raise LlmPermanentError(f"{exc} Use a larger n_ctx.") from exc
        applicable = [tuple(cs.code for cs in request.applicable(s)) for s in request.segments]
        return CodingPlan(head, segments, questions, applicable, starts, budget,
                          min(keep, budget - 1))

    def code(self, request: CodingRequest, *, incremental: bool = True,
             progress: ItemProgress | None = None) -> CodingResult:
        """Every applicable (segment, code set) of the request, in session order.

        ``progress`` (see ``ItemProgress``) is told (segments coded, segments to code) before
        the first segment and after each segment some code set applies to; segments no code set
        applies to are read but not counted.
        """
        started = time.perf_counter()
        with self._model.lock:
            first = self._model.evaluated
            plan = self.plan(request)
            to_code = sum(1 for applicable in plan.applicable if applicable)
            if progress is not None:
                progress(0, to_code)
            codes: list[SegmentCode] = []
            coded = 0
            for step in self.steps(request, plan, incremental=incremental):
                codes += step
                if step and progress is not None:
                    coded += 1
                    progress(coded, to_code)
            total = self._model.evaluated - first
        return CodingResult(codes=tuple(codes), tokens_evaluated=total,
                            transcript_tokens=sum(map(len, plan.segments)),
                            provenance=self.provenance(plan),
                            elapsed_s=time.perf_counter() - started)

    def steps(self, request: CodingRequest, plan: CodingPlan, *,
              incremental: bool = True) -> Iterator[tuple[SegmentCode, ...]]:
        """One tuple of codes per segment (empty when no code set applies to its speaker).

        The incremental path keeps the transcript in the cache between steps: the caller must
        not use this model for anything else until the iterator is exhausted.
        """
        model = self._model
        n_past, window = 0, -1
        with model.lock:
            for index, segment in enumerate(plan.segments):
                start = plan.starts[index]
                if incremental and start == window:
                    model.eval_at(n_past, segment)
                    n_past += len(segment)
                elif incremental:  # the first window, or the transcript read again from a later turn
                    prefix = plan.context(index, self.marker(start))
                    model.eval_at(0, prefix)
                    n_past, window = len(prefix), start
                yield tuple(self._ask(request, plan, index, n_past, code, incremental)
                            for code in plan.applicable[index])

    def provenance(self, plan: CodingPlan) -> CodingProvenance:
        settings = self._model.settings
        coded = [i for i, codes in enumerate(plan.applicable) if codes]
        windowed = [plan.starts[i] for i in coded if plan.starts[i] > 0]
        restarts = len({s for s in plan.starts if s > 0})
        return CodingProvenance(
            backend=self._backend.kind,
            model=settings.path.name,
            model_sha256=model_sha256(settings.path),
            prompt_template_version=(f"{prompts.CODING_PROMPT_VERSION}"
                                     f"+chat:{self._model.template.fingerprint}"),
            n_ctx=settings.n_ctx,
            runtime=self._model.runtime,
            window=CodingWindow(policy=SEGMENT_WINDOW_POLICY, budget_tokens=plan.budget,
                                keep_tokens=plan.keep, restarts=restarts,
                                segments_windowed=len(windowed),
                                max_segments_dropped=max(windowed, default=0)))

    def code_from_scratch(self, request: CodingRequest, plan: CodingPlan, index: int,
                          code_set: str) -> SegmentCode:
        """One segment coded on one code set from an empty cache, on the same context as the
        incremental path gives it (the naive way; for benchmarks and checks)."""
        with self._model.lock:
            return self._ask(request, plan, index, 0, code_set, incremental=False)

    def _ask(self, request: CodingRequest, plan: CodingPlan, index: int, n_past: int,
             code_set_code: str, incremental: bool) -> SegmentCode:
        question = plan.questions[code_set_code]
        before = self._model.evaluated
        if incremental:
            logmass = self._backend.score_answers(n_past, question.tokens, question.answers)
        else:  # the naive way: the whole prompt from an empty cache
            prefix = plan.context(index, self.marker(plan.starts[index]))
            logmass = self._backend.score_answers(0, prefix + question.tokens, question.answers)
        cost = self._model.evaluated - before
        code_set = question.code_set
        distribution, mass = restrict_to_values(logmass, tuple(range(len(code_set.codes))))
        best = max(distribution.values())
        chosen = min(i for i, p in distribution.items() if p == best)
        return SegmentCode(
            segment_id=request.segments[index].id, segment_index=index,
            code_set=code_set.code,
            distribution={code_set.codes[i].code: p for i, p in distribution.items()},
            code=code_set.codes[chosen].code, label_mass=mass, tokens_evaluated=cost,
            context_start=plan.starts[index])

    def marker(self, n_omitted: int) -> list[int]:
        """The tokens of the note that ``n_omitted`` earlier utterances are left out."""
        return self._model.tokenize_segments((prompts.omitted_segment(n_omitted),))
