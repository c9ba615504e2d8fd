"""What a backend returns: item scores, the windows read, and the provenance to store.

Every result has ``to_dict()`` giving JSON-ready data (distribution keys become strings).
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Provenance:
    """Everything needed to say which model, prompt and settings produced a number."""

    backend: str
    model: str
    model_sha256: str | None
    prompt_template_version: str
    decoding: dict[str, Any]
    n_ctx: int
    window_policy: str
    runtime: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "prompt_template_version": self.prompt_template_version,
            "decoding": dict(self.decoding),
            "n_ctx": self.n_ctx,
            "window_policy": self.window_policy,
            "runtime": self.runtime,
        }


@dataclass(frozen=True, slots=True)
class WindowInfo:
    """One stretch of the material that was read as a whole: half-open token and character
    ranges of the material. The HTTP backend cuts by characters and gives token offsets -1."""

    index: int
    token_start: int
    token_end: int
    char_start: int
    char_end: int

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "token_start": self.token_start, "token_end": self.token_end,
                "char_start": self.char_start, "char_end": self.char_end}


@dataclass(frozen=True, slots=True)
class ItemScore:
    """One item's score.

    ``distribution`` maps every admissible value to its probability (sums to 1; averaged over
    windows when the material needed several). ``label_mass`` is the probability the model
    gave the admissible answers before renormalising (window mean): low values mean the model
    wanted to answer something else. ``window_distributions`` has one entry per window.
    """

    code: str
    distribution: dict[int, float]
    expected: float
    mode: int
    label_mass: float
    tokens_evaluated: int
    rationale: str | None = None
    window_distributions: tuple[dict[int, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "distribution": {str(k): v for k, v in self.distribution.items()},
            "expected": self.expected,
            "mode": self.mode,
            "label_mass": self.label_mass,
            "tokens_evaluated": self.tokens_evaluated,
            "rationale": self.rationale,
            "window_distributions": [{str(k): v for k, v in d.items()}
                                     for d in self.window_distributions],
        }


@dataclass(frozen=True, slots=True)
class TargetRating:
    """All items of one target. ``tokens_evaluated`` counts every token the model ran on
    (material windows once each, the starts several items share once, plus each item's own
    tokens): the cost of the rating. An item's ``tokens_evaluated`` is its own tokens only."""

    items: tuple[ItemScore, ...]
    windows: tuple[WindowInfo, ...]
    tokens_evaluated: int
    material_tokens: int
    provenance: Provenance
    elapsed_s: float = field(default=0.0, compare=False)

    def item(self, code: str) -> ItemScore:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [item.to_dict() for item in self.items],
            "windows": [window.to_dict() for window in self.windows],
            "tokens_evaluated": self.tokens_evaluated,
            "material_tokens": self.material_tokens,
            "provenance": self.provenance.to_dict(),
            "elapsed_s": self.elapsed_s,
        }


@dataclass(frozen=True, slots=True)
class StructuredResult:
    """Output of constrained generation: the parsed JSON value and the raw text."""

    value: Any
    text: str
    tokens_evaluated: int
    provenance: Provenance
