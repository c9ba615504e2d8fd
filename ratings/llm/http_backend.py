"""OpenAI-compatible HTTP backend (a llama.cpp server or vLLM on the local network).

Scores come from ``/v1/completions`` with ``max_tokens=1`` and ``logprobs=k``: the top ``k``
next-token alternatives at the answer position. Answers outside the top ``k`` get probability
0 (``label_mass`` shows how much was visible). Multi-token answers walk the same trie as the
in-process backend, one request per inner node; a prefix-caching server (llama.cpp's reuses
the longest matching prefix of its previous prompt) evaluates only the new tokens, so requests
for one target are sent in order (items in ``item_order``'s, each distinct start of the items
once) and the material is read once per window.

The prompt is sent as text, so the server tokenizes it whole; role-marker look-alikes in the
material are broken up first (``<|`` becomes ``< |``) so they stay text.
"""

import time
from dataclasses import replace
from collections.abc import Mapping
from typing import Any, Literal

from . import prompt as prompts
from .backend import ItemProgress
from .candidates import score_text_answers
from .errors import LlmPermanentError
from .item_order import evaluation_order
from .http_transport import JsonClient
from .request import DecodingParams, ItemPrompt, RatingRequest
from .results import ItemScore, Provenance, StructuredResult, TargetRating, WindowInfo
from .scoring import item_score, mode_score, restrict_to_values
from .structured import parse_structured
from .windows import WINDOW_POLICY, plan_windows

Flavour = Literal["llama_cpp", "vllm"]


class HttpBackend:
    """Rates through an OpenAI-compatible server at ``base_url`` (and nowhere else)."""

    kind = "http"

    def __init__(self, base_url: str, *, model: str | None = None, n_ctx: int = 4096,
                 flavour: Flavour = "llama_cpp", timeout_s: float = 120.0,
                 api_key: str | None = None, model_sha256: str | None = None,
                 chat_template: prompts.ChatTemplate = prompts.CHATML) -> None:
        self._client = JsonClient(base_url, timeout_s=timeout_s, api_key=api_key)
        self._model = model
        self._n_ctx = n_ctx
        self._flavour = flavour
        self._sha256 = model_sha256
        self._template = chat_template

    @property
    def model_name(self) -> str:
        if self._model is None:
            models = self._client.get("/v1/models").get("data") or []
            if not models:
                raise LlmPermanentError(f"{self._client.root} serves no model.")
            self._model = str(models[0]["id"])
        return self._model

    def provenance(self, decoding: DecodingParams | None = None) -> Provenance:
        return Provenance(
            backend=self.kind, model=self.model_name, model_sha256=self._sha256,
            prompt_template_version=prompts.template_version(self._template),
            decoding=(decoding or DecodingParams()).as_dict(), n_ctx=self._n_ctx,
            window_policy=WINDOW_POLICY, runtime=f"openai-compatible ({self._flavour})")

    def rate(self, request: RatingRequest, *, progress: ItemProgress | None = None) -> TargetRating:
        started = time.perf_counter()
        material = request.material
        windows, material_tokens = self._windows(request, material)
        per_window: dict[str, list[dict[int, float]]] = {i.code: [] for i in request.items}
        rationales: dict[str, list[str]] = {i.code: [] for i in request.items}
        costs = dict.fromkeys(per_window, 0)
        total = 0
        steps, done = len(windows) * len(request.items), 0
        if progress is not None:
            progress(0, steps)
        rendered = {item.code: prompts.render(prompts.item_segments(item, self._template)) for item in request.items}
        # The server reuses its longest cached prefix: items are sent in the in-process
        # backend's order (item_order), so each distinct start of the items is evaluated once,
        # and counted as the in-process backend counts it.
        order = evaluation_order(self._item_tokens(list(rendered.values())))
        for start, end in windows:
            prefix = self._prefix(request, _neutralise(material[start:end]))
            prefix_tokens = self._count_tokens(prefix)
            total += prefix_tokens
            for step in order:
                item = request.items[step.index]
                item_prompt = prefix + rendered[item.code]
                logmass, used = self._score(item_prompt, item, request.options.decoding)
                evaluated = used - prefix_tokens - step.start
                per_window[item.code].append(logmass)
                if request.options.rationale:
                    text, generated = self._rationale(item_prompt, item, logmass,
                                                      request.options.decoding)
                    rationales[item.code].append(text)
                    evaluated += generated
                costs[item.code] += evaluated - step.shared_with_next
                total += evaluated
                done += 1
                if progress is not None:
                    progress(done, steps)
        items = tuple(self._item_result(item, per_window, rationales, costs, request)
                      for item in request.items)
        infos = tuple(WindowInfo(i, -1, -1, s, e) for i, (s, e) in enumerate(windows))
        return TargetRating(items=items, windows=infos, tokens_evaluated=total,
                            material_tokens=material_tokens,
                            provenance=self.provenance(request.options.decoding),
                            elapsed_s=time.perf_counter() - started)

    def generate_structured(self, *, instructions: str, prompt: str, schema: Mapping[str, Any],
                            max_tokens: int = 512,
                            decoding: DecodingParams | None = None) -> StructuredResult:
        decoding = decoding or DecodingParams()
        if self._flavour == "vllm":
            response_format = {"type": "json_schema",
                               "json_schema": {"name": "output", "schema": dict(schema)}}
        else:
            response_format = {"type": "json_object", "schema": dict(schema)}
        body = self._client.post("/v1/chat/completions", {
            "model": self.model_name, "max_tokens": max_tokens,
            "temperature": decoding.temperature, "seed": decoding.seed,
            "messages": [{"role": "system", "content": instructions},
                         {"role": "user", "content": prompt}],
            "response_format": response_format})
        choice = _first_choice(body)
        usage = body.get("usage") or {}
        used = int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
        content = (choice.get("message") or {}).get("content") or ""
        return parse_structured(content, choice.get("finish_reason"), used,
                                self.provenance(decoding), schema=schema)

    # -- requests -------------------------------------------------------------------------

    def _complete(self, prompt: str, *, max_tokens: int, decoding: DecodingParams,
                  logprobs: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model_name, "prompt": prompt,
                                   "max_tokens": max_tokens, "temperature": decoding.temperature,
                                   "seed": decoding.seed}
        if logprobs is not None:
            payload.update(logprobs=logprobs, temperature=0.0)
        return self._client.post("/v1/completions", payload)

    def _score(self, item_prompt: str, item: ItemPrompt,
               decoding: DecodingParams) -> tuple[dict[int, float], int]:
        used = 0

        def top_after(text: str) -> Mapping[str, float]:
            nonlocal used
            body = self._complete(item_prompt + text, max_tokens=1, decoding=decoding,
                                  logprobs=decoding.top_logprobs)
            usage = body.get("usage") or {}
            used = used or int(usage.get("prompt_tokens", 0))
            logprobs = _first_choice(body).get("logprobs") or {}
            top = (logprobs.get("top_logprobs") or [None])[0]
            if top is None:
                raise LlmPermanentError("The server returned no log-probabilities; a llama.cpp "
                                        "server needs logits_all, vLLM max_logprobs >= k.")
            return {str(token): float(lp) for token, lp in top.items()}

        logmass, steps = score_text_answers(prompts.answer_texts(item.scale), top_after)
        return logmass, used + steps - 1

    def _rationale(self, item_prompt: str, item: ItemPrompt, logmass: dict[int, float],
                   decoding: DecodingParams) -> tuple[str, int]:
        distribution, _ = restrict_to_values(logmass, item.scale.values)
        answer = prompts.answer_texts(item.scale)[mode_score(distribution)]
        asked = prompts.render(prompts.rationale_segments(answer, self._template))
        body = self._complete(item_prompt + asked, max_tokens=decoding.max_rationale_tokens,
                              decoding=decoding)
        usage = body.get("usage") or {}
        return (str(_first_choice(body).get("text") or "").strip(),
                int(usage.get("completion_tokens", 0)) + self._count_tokens(asked))

    def _tokens(self, text: str) -> list[int]:
        """Tokens from the server's tokenizer (llama.cpp: /extras/tokenize, vLLM: /tokenize)."""
        if self._flavour == "vllm":
            body = self._client.post("/tokenize", {"model": self.model_name, "prompt": text})
        else:
            body = self._client.post("/extras/tokenize", {"input": text})
        tokens = body.get("tokens")
        if not isinstance(tokens, list):
            raise LlmPermanentError("The server did not count tokens; is the flavour right?")
        return tokens

    def _count_tokens(self, text: str) -> int:
        return len(self._tokens(text))

    def _item_tokens(self, texts: list[str]) -> list[list[int]]:
        """Each item text's tokens, without what the tokenizer puts before any text (BOS)."""
        if len(texts) < 2:
            return [[0] for _ in texts]  # one item: nothing to share, nothing to ask
        lead = len(self._tokens(""))
        return [self._tokens(text)[lead:] for text in texts]

    # -- windows --------------------------------------------------------------------------

    def _prefix(self, request: RatingRequest, material: str) -> str:
        return prompts.render(prompts.prefix_head(request, self._template)
                              + (prompts.material_segment(material),) + prompts.prefix_tail())

    def _windows(self, request: RatingRequest,
                 material: str) -> tuple[list[tuple[int, int]], int]:
        """Character ranges of the material; sizes from the server's token count."""
        overhead = self._count_tokens(self._prefix(request, "")) + max(
            self._count_tokens(prompts.render(prompts.item_segments(i, self._template)))
            + max(map(len, prompts.answer_texts(i.scale).values())) + 1 for i in request.items)
        if request.options.rationale:
            overhead += 40 + request.options.decoding.max_rationale_tokens
        material_tokens = self._count_tokens(_neutralise(material))
        budget = self._n_ctx - overhead - 8
        if material_tokens <= budget:
            return [(0, len(material))], material_tokens
        chars_per_token = len(material) / material_tokens
        # Cut in characters; 10% slack covers tokens that are denser than the average.
        budget_chars = int(budget * chars_per_token * 0.9)
        overlap_chars = int(request.options.window_overlap_tokens * chars_per_token)
        breaks = [i + 1 for i, ch in enumerate(material[:-1]) if ch == "\n"]
        return plan_windows(len(material), budget_chars, overlap_chars, breaks), material_tokens

    def _item_result(self, item: ItemPrompt, per_window: dict[str, list[dict[int, float]]],
                     rationales: dict[str, list[str]], costs: dict[str, int],
                     request: RatingRequest) -> ItemScore:
        score = item_score(code=item.code, values=item.scale.values,
                           window_logmass=per_window[item.code], tokens_evaluated=costs[item.code])
        if not request.options.rationale:
            return score
        best = max(range(len(score.window_distributions)),
                   key=lambda i: score.window_distributions[i][score.mode])
        return replace(score, rationale=rationales[item.code][best])


def _first_choice(body: dict[str, Any]) -> dict[str, Any]:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LlmPermanentError(f"The server's answer has no choices: {str(body)[:200]}")
    return choices[0]


def _neutralise(text: str) -> str:
    return text.replace("<|", "< |").replace("|>", "| >")
