"""In-process llama-cpp-python backend: the material is evaluated once, items after it.

For each window of the material the prefix (instructions, material) is evaluated from an empty
cache; the items are then evaluated after it in the order of their token trie
(``item_order``): ``n_tokens`` is set back to the prefix plus the start an item shares with the
item before it, so every distinct start of the items' prompts is evaluated once and an item
costs only its own tokens. Every step starts from a fixed position and the order of steps
depends only on the request, so the same request gives the same numbers whatever the model
did before.
"""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from typing import Any

import numpy as np

from . import prompt as prompts
from .candidates import score_token_sequences
from .backend import ItemProgress
from .errors import LlmPermanentError
from .item_order import ItemStep, evaluation_order
from .llama_cpp_model import LoadedModel, ModelSettings, load_model
from .model_files import model_sha256, resolve_model_path
from .request import DecodingParams, ItemPrompt, RatingRequest
from .results import ItemScore, Provenance, StructuredResult, TargetRating, WindowInfo
from .scoring import item_score, mode_score, restrict_to_values
from .structured import parse_structured, schema_grammar
from .threads import ThreadsSetting, resolve_threads
from .windows import WINDOW_POLICY, plan_windows


@dataclass(frozen=True, slots=True)
class _ItemPlan:
    item: ItemPrompt
    tokens: list[int]
    answers: dict[int, list[int]]


@dataclass(frozen=True, slots=True)
class _Plan:
    head: list[int]
    material: list[int]
    tail: list[int]
    items: list[_ItemPlan]
    order: list[ItemStep]
    windows: list[tuple[int, int]]


class LlamaCppBackend:
    """Rates with a GGUF model loaded in this process (once per process and settings)."""

    kind = "llama_cpp"

    def __init__(self, model_path: str | PathLike[str] | None = None, *, n_ctx: int = 4096,
                 n_threads: ThreadsSetting = "auto", n_batch: int = 512, seed: int = 0) -> None:
        path = resolve_model_path(model_path)
        self._model: LoadedModel = load_model(
            ModelSettings(path=path, n_ctx=n_ctx, n_threads=resolve_threads(n_threads),
                          n_batch=n_batch, seed=seed))

    @property
    def model(self) -> LoadedModel:
        return self._model

    def provenance(self, decoding: DecodingParams | None = None) -> Provenance:
        settings = self._model.settings
        return Provenance(
            backend=self.kind,
            model=settings.path.name,
            model_sha256=model_sha256(settings.path),
            prompt_template_version=prompts.template_version(self._model.template),
            decoding=(decoding or DecodingParams()).as_dict(),
            n_ctx=settings.n_ctx,
            window_policy=WINDOW_POLICY,
            runtime=self._model.runtime,
        )

    def rate(self, request: RatingRequest, *, progress: ItemProgress | None = None) -> TargetRating:
        model = self._model
        started = time.perf_counter()
        with model.lock:
            first = model.evaluated
            plan = self._plan(request)
            per_window: dict[str, list[dict[int, float]]] = {p.item.code: [] for p in plan.items}
            rationales: dict[str, list[str]] = {p.item.code: [] for p in plan.items}
            costs = dict.fromkeys(per_window, 0)
            steps, done = len(plan.windows) * len(plan.items), 0
            if progress is not None:
                progress(0, steps)
            for index, (start, end) in enumerate(plan.windows):
                prefix = plan.head + plan.material[start:end] + plan.tail
                model.eval_at(0, prefix)
                for step in plan.order:
                    item_plan = plan.items[step.index]
                    before = model.evaluated
                    logmass = self.score_answers(len(prefix) + step.start,
                                                 item_plan.tokens[step.start:], item_plan.answers)
                    per_window[item_plan.item.code].append(logmass)
                    if request.options.rationale:
                        rationales[item_plan.item.code].append(self._rationale(
                            len(prefix) + len(item_plan.tokens), item_plan, logmass,
                            request.options.decoding, (index, step.index)))
                    # The start the next item reuses is shared, not this item's own cost.
                    costs[item_plan.item.code] += model.evaluated - before - step.shared_with_next
                    done += 1
                    if progress is not None:
                        progress(done, steps)
            items = tuple(
                self._item_result(p, per_window, rationales, costs, request) for p in plan.items)
            total = model.evaluated - first
        return TargetRating(
            items=items, windows=self._window_info(request, plan), tokens_evaluated=total,
            material_tokens=len(plan.material),
            provenance=self.provenance(request.options.decoding),
            elapsed_s=time.perf_counter() - started)

    def generate_structured(self, *, instructions: str, prompt: str, schema: Mapping[str, Any],
                            max_tokens: int = 512,
                            decoding: DecodingParams | None = None) -> StructuredResult:
        from llama_cpp import LlamaGrammar

        decoding = decoding or DecodingParams()
        try:
            grammar = LlamaGrammar.from_string(schema_grammar(schema), verbose=False)
        except Exception as exc:  # noqa: BLE001 - the converter raises assorted errors
            raise LlmPermanentError(f"The JSON schema cannot be turned into a grammar: {exc}")
        model = self._model
        segments = prompts.structured_segments(instructions, prompt, model.template)
        with model.lock:
            tokens = model.tokenize_segments(segments, bos=True)
            if len(tokens) + max_tokens > model.settings.n_ctx:
                raise LlmPermanentError(f"The prompt ({len(tokens)} tokens) and max_tokens "
                                        f"({max_tokens}) exceed the context window.")
            before = model.evaluated
            out = model.complete(tokens, max_tokens=max_tokens, temperature=decoding.temperature,
                                 seed=decoding.seed, grammar=grammar, repeat_penalty=1.0)
            used = model.evaluated - before
        choice = out["choices"][0]
        return parse_structured(choice["text"], choice.get("finish_reason"), used,
                                 self.provenance(decoding), schema=schema)

    # -- planning -------------------------------------------------------------------------

    def _plan(self, request: RatingRequest) -> _Plan:
        model = self._model
        template = model.template
        head = model.tokenize_segments(prompts.prefix_head(request, template), bos=True)
        material = model.tokenize_segments((prompts.material_segment(request.material),))
        tail = model.tokenize_segments(prompts.prefix_tail())
        items = []
        for item in request.items:
            answers = {value: model.tokenize_segments(((text, False),))
                       for value, text in prompts.answer_texts(item.scale).items()}
            tokens = model.tokenize_segments(prompts.item_segments(item, template))
            items.append(_ItemPlan(item, tokens, answers))
        longest_item = max(len(p.tokens) + max(map(len, p.answers.values())) for p in items)
        reserve = 0
        if request.options.rationale:
            asked = model.tokenize_segments(prompts.rationale_segments("100", template))
            reserve = len(asked) + request.options.decoding.max_rationale_tokens
        budget = model.settings.n_ctx - len(head) - len(tail) - longest_item - reserve - 1
        if budget < 4 * max(request.options.window_overlap_tokens, 16):
            raise LlmPermanentError(
                f"A context of {model.settings.n_ctx} tokens leaves only {budget} for the "
                "material; use a larger n_ctx.")
        breaks = self._line_starts(material) if len(material) > budget else []
        windows = plan_windows(len(material), budget, request.options.window_overlap_tokens,
                               breaks)
        order = evaluation_order([p.tokens for p in items])
        return _Plan(head, material, tail, items, order, windows)

    def _line_starts(self, material: Sequence[int]) -> list[int]:
        text = self._model.vocab_text()
        return [i + 1 for i, token in enumerate(material[:-1]) if "\n" in text[token]]

    def _window_info(self, request: RatingRequest, plan: _Plan) -> tuple[WindowInfo, ...]:
        if len(plan.windows) == 1:
            return (WindowInfo(0, 0, len(plan.material), 0, len(request.material)),)
        llm = self._model.llm

        def chars(n: int) -> int:
            # The material segment starts with one "\n" that is not part of the material.
            text = llm.detokenize(plan.material[:n]).decode("utf-8", errors="replace")
            return max(len(text) - 1, 0)

        return tuple(WindowInfo(i, s, e, chars(s), chars(e))
                     for i, (s, e) in enumerate(plan.windows))

    # -- scoring --------------------------------------------------------------------------

    def score_answers(self, n_past: int, tokens: Sequence[int],
                      answers: Mapping[int, Sequence[int]]) -> dict[int, float]:
        """Log-probability of each answer after the first ``n_past`` cached tokens and
        ``tokens``. ``n_past=0`` scores a full prompt from scratch (the naive baseline)."""
        model = self._model
        with model.lock:
            at_answer = model.eval_at(n_past, tokens)
            n_item = n_past + len(tokens)

            def logprobs_after(path: tuple[int, ...]) -> np.ndarray:
                if not path:
                    return at_answer
                # The trie is walked depth first: the cache already holds the parent's tokens.
                return model.eval_at(n_item + len(path) - 1, path[-1:])

            logmass, _ = score_token_sequences(answers, logprobs_after, model.continues_mask())
        return logmass

    def _rationale(self, n_item: int, plan: _ItemPlan, logmass: dict[int, float],
                   decoding: DecodingParams, stream: tuple[int, int]) -> str:
        model = self._model
        distribution, _ = restrict_to_values(logmass, plan.item.scale.values)
        answer = prompts.answer_texts(plan.item.scale)[mode_score(distribution)]
        asked = model.tokenize_segments(prompts.rationale_segments(answer, model.template))
        logprobs = model.eval_at(n_item, asked)
        position = n_item + len(asked)
        rng = np.random.default_rng([decoding.seed, *stream])
        generated: list[int] = []
        while len(generated) < decoding.max_rationale_tokens:
            token = _choose(logprobs, decoding.temperature, rng)
            if model.is_end(token):
                break
            generated.append(token)
            logprobs = model.eval_at(position, [token])
            position += 1
        return model.llm.detokenize(generated).decode("utf-8", errors="replace").strip()

    def _item_result(self, plan: _ItemPlan, per_window: dict[str, list[dict[int, float]]],
                     rationales: dict[str, list[str]], costs: dict[str, int],
                     request: RatingRequest) -> ItemScore:
        code = plan.item.code
        score = item_score(code=code, values=plan.item.scale.values,
                           window_logmass=per_window[code], tokens_evaluated=costs[code])
        if not request.options.rationale:
            return score
        # With several windows, keep the reason given where the final answer was most likely.
        best = max(range(len(score.window_distributions)),
                   key=lambda i: score.window_distributions[i][score.mode])
        return replace(score, rationale=rationales[code][best])


def _choose(logprobs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    if temperature <= 0:
        return int(np.argmax(logprobs))
    scaled = logprobs / temperature
    p = np.exp(scaled - scaled.max())
    return int(rng.choice(len(p), p=p / p.sum()))
