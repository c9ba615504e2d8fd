"""A scripted backend for the pipeline's bookkeeping (the real model is tested too).

``generate_structured`` answers from a script keyed by what the schema asks for (claims, a
comparison, a summary); ``rate`` is the ratings app's fake. Every prompt is recorded.
"""

from ratings.llm import Provenance, StructuredResult
from tests.ratings.fake_llm import FakeBackend


class ScriptedBackend(FakeBackend):
    kind = "scripted"

    def __init__(self, *, claims=(), comparison=None, summary="A summary citing L03."):
        super().__init__()
        self.claims = list(claims)
        self.comparison = comparison or (lambda prompt: {"label": "novel", "anticipated_by": [],
                                                          "explanation": "Nothing retrieved matches."})
        self.summary = summary
        self.prompts: list[str] = []
        self.schemas: list[dict] = []

    def provenance(self, decoding=None) -> Provenance:
        return super().provenance(decoding)

    def generate_structured(self, *, instructions, prompt, schema, max_tokens=512, decoding=None):
        self.prompts.append(prompt)
        self.schemas.append(schema)
        props = schema.get("properties", {})
        if "claims" in props:
            value = {"claims": self.claims}
        elif "anticipated_by" in props:
            value = self.comparison(prompt)
        else:
            value = {"summary": self.summary}
        return StructuredResult(value=value, text="", tokens_evaluated=11, provenance=self.provenance())
