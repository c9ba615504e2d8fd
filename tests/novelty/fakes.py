"""A scripted backend for the pipeline's bookkeeping and gates (the real model is tested too).

``generate_structured`` answers from a script keyed by what the schema asks for (claims, a
comparison, a summary), or, with ``texts``, returns raw text that goes through the real parser
(``parse_structured``, schema-checked) like a model's output; ``rate`` is the ratings app's fake,
with ``modes`` forcing the answer of named items. Every prompt and schema is recorded.
"""

from dataclasses import replace

from ratings.llm import Provenance, StructuredResult
from ratings.llm.structured import parse_structured
from tests.ratings.fake_llm import FakeBackend


class ScriptedBackend(FakeBackend):
    kind = "scripted"

    def __init__(self, *, claims=(), comparison=None, summary="A summary citing L03.", modes=None, texts=None):
        super().__init__()
        self.claims = list(claims)
        self.comparison = comparison or (lambda prompt: {"label": "novel", "anticipated_by": [],
                                                          "explanation": "Nothing retrieved matches."})
        self.summary = summary
        self.modes = dict(modes or {})
        self.texts = texts  # callable(schema) -> raw output text, parsed like a model's
        self.prompts: list[str] = []
        self.schemas: list[dict] = []

    def provenance(self, decoding=None) -> Provenance:
        return super().provenance(decoding)

    def generate_structured(self, *, instructions, prompt, schema, max_tokens=512, decoding=None):
        self.prompts.append(prompt)
        self.schemas.append(schema)
        if self.texts is not None:
            return parse_structured(self.texts(schema), "stop", 11, self.provenance(), schema=schema)
        props = schema.get("properties", {})
        if "claims" in props:
            value = {"claims": self.claims}
        elif "anticipated_by" in props:
            value = self.comparison(prompt)
        else:
            value = {"summary": self.summary}
        return StructuredResult(value=value, text="", tokens_evaluated=11, provenance=self.provenance())

    def rate(self, request, *, progress=None):
        rating = super().rate(request, progress=progress)
        items = []
        for item in rating.items:
            if item.code in self.modes:
                mode = self.modes[item.code]
                distribution = {v: (0.9 if v == mode else 0.1 / (len(item.distribution) - 1)) for v in item.distribution}
                item = replace(item, distribution=distribution, mode=mode,
                               expected=sum(v * p for v, p in distribution.items()))
            items.append(item)
        return replace(rating, items=tuple(items))
