"""A fake LLM backend for fast tests of job bookkeeping (the real model is tested too).

Its scores depend only on the request, like a real model's: the distribution peaks at a
value chosen from the material's length and the item's position.
"""

from ratings.llm import ItemScore, LlmPermanentError, LlmTransientError, Provenance, TargetRating


class FakeBackend:
    kind = "fake"

    def __init__(self, *, fail_on: dict[str, type[Exception]] | None = None, on_item=None):
        self.calls: list[str] = []
        self.fail_on = fail_on or {}
        self.on_item = on_item

    def provenance(self, decoding=None) -> Provenance:
        return Provenance(backend="fake", model="fake.gguf", model_sha256="0" * 64, prompt_template_version="fake-1",
                          decoding={}, n_ctx=1024, window_policy="none", runtime="test")

    def rate(self, request, *, progress=None) -> TargetRating:
        """Like a real backend, tells ``progress`` after each item (and ``on_item`` too, for a
        test to look at what was recorded while the target is being scored)."""
        self.calls.append(request.material)
        for marker, error in self.fail_on.items():
            if marker in request.material:
                raise error(f"the fake model refuses {marker!r}")
        items = []
        if progress is not None:
            progress(0, len(request.items))
        for position, item in enumerate(request.items):
            values = item.scale.values
            peak = values[(len(request.material) + position) % len(values)]
            weights = {v: (4.0 if v == peak else 1.0) for v in values}
            total = sum(weights.values())
            distribution = {v: w / total for v, w in weights.items()}
            items.append(ItemScore(code=item.code, distribution=distribution,
                                   expected=sum(v * p for v, p in distribution.items()), mode=peak,
                                   label_mass=0.9, tokens_evaluated=7))
            if progress is not None:
                progress(position + 1, len(request.items))
            if self.on_item is not None:
                self.on_item(request, position + 1)
        return TargetRating(items=tuple(items), windows=(), tokens_evaluated=100, material_tokens=93,
                            provenance=self.provenance())


__all__ = ["FakeBackend", "LlmPermanentError", "LlmTransientError"]
