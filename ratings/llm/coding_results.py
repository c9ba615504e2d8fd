"""What the segment coder returns: a distribution per segment and code set, and provenance.

Every result has ``to_dict()`` giving JSON-ready data.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SegmentCode:
    """One segment coded on one code set.

    ``distribution`` maps every code of the set (in the set's order) to its probability, the
    model's probability of answering the code's label restricted to the set's labels and
    renormalised (sums to 1). ``code`` is the most probable code (ties: the first in the set).
    ``label_mass`` is the probability the labels had together before renormalising.
    ``tokens_evaluated`` is this question's own cost (question and answer steps; the
    transcript is counted once, in ``CodingResult``). The model saw segments
    ``context_start..segment_index``; ``context_start > 0`` means a window left out that many
    earlier segments.
    """

    segment_id: str
    segment_index: int
    code_set: str
    distribution: dict[str, float]
    code: str
    label_mass: float
    tokens_evaluated: int
    context_start: int

    @property
    def segments_dropped(self) -> int:
        return self.context_start

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "segment_index": self.segment_index,
            "code_set": self.code_set,
            "distribution": dict(self.distribution),
            "code": self.code,
            "label_mass": self.label_mass,
            "tokens_evaluated": self.tokens_evaluated,
            "context_start": self.context_start,
        }


@dataclass(frozen=True, slots=True)
class CodingWindow:
    """How much of the transcript the model could see: the window of preceding turns used
    when the whole transcript does not fit the context.

    ``budget_tokens`` is the most transcript tokens that fit beside the codebook and the
    longest question; ``keep_tokens`` how many preceding tokens a new window starts with;
    ``restarts`` how often the transcript was read again from a later turn;
    ``segments_windowed`` how many coded segments were coded without the whole transcript
    before them, ``max_segments_dropped`` the most earlier segments one of them missed.
    """

    policy: str
    budget_tokens: int
    keep_tokens: int
    restarts: int
    segments_windowed: int
    max_segments_dropped: int

    @property
    def engaged(self) -> bool:
        return self.restarts > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "budget_tokens": self.budget_tokens,
            "keep_tokens": self.keep_tokens,
            "restarts": self.restarts,
            "segments_windowed": self.segments_windowed,
            "max_segments_dropped": self.max_segments_dropped,
        }


@dataclass(frozen=True, slots=True)
class CodingProvenance:
    """Which model, prompt and context produced the codes."""

    backend: str
    model: str
    model_sha256: str | None
    prompt_template_version: str
    n_ctx: int
    runtime: str
    window: CodingWindow

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "prompt_template_version": self.prompt_template_version,
            "n_ctx": self.n_ctx,
            "runtime": self.runtime,
            "window": self.window.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class CodingResult:
    """A transcript coded: one ``SegmentCode`` per applicable (segment, code set), in session
    order. ``tokens_evaluated`` counts every token the model ran on (the codebook and the
    transcript once per window, every question): the cost of the session."""

    codes: tuple[SegmentCode, ...]
    tokens_evaluated: int
    transcript_tokens: int
    provenance: CodingProvenance
    elapsed_s: float = field(default=0.0, compare=False)

    def code(self, segment_id: str, code_set: str) -> SegmentCode:
        for coded in self.codes:
            if coded.segment_id == segment_id and coded.code_set == code_set:
                return coded
        raise KeyError((segment_id, code_set))

    def to_dict(self) -> dict[str, Any]:
        return {
            "codes": [c.to_dict() for c in self.codes],
            "tokens_evaluated": self.tokens_evaluated,
            "transcript_tokens": self.transcript_tokens,
            "provenance": self.provenance.to_dict(),
            "elapsed_s": self.elapsed_s,
        }
