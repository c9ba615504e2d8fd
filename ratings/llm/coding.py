"""What to code, independent of Django: a transcript's segments and the code sets that apply.

A coding instrument's definition (``code_sets: [{code, speakers, question, codes: [{code, label,
description, examples}]}]``) maps onto these with ``coding_request_from_definition``; plain
data in, never files or models.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_CODING_INSTRUCTIONS = (
    "You are a trained coder of therapy sessions. You code utterances of a transcript with "
    "the codebook below, one code per utterance and code set, judging each utterance in the "
    "context of the conversation before it.")


@dataclass(frozen=True, slots=True)
class Segment:
    """One utterance of a transcript, in session order."""

    id: str
    speaker: str
    text: str

    def __post_init__(self) -> None:
        if not str(self.id).strip():
            raise ValueError("A segment needs an id.")


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a code set: its identifier, the label the model answers with, and the
    codebook entry (description, examples) every coder reads."""

    code: str
    label: str
    description: str = ""
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.code or not self.label.strip():
            raise ValueError("A code needs a code and a label.")


@dataclass(frozen=True, slots=True)
class CodeSet:
    """Nominal codes for the segments of the given speakers (``None``: every speaker)."""

    code: str
    question: str
    codes: tuple[Code, ...]
    speakers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.code or not self.question.strip():
            raise ValueError("A code set needs a code and a question.")
        if len(self.codes) < 2:
            raise ValueError(f"The code set {self.code!r} needs at least two codes.")
        for attribute in ("code", "label"):
            seen = [getattr(c, attribute).strip().casefold() for c in self.codes]
            if len(set(seen)) != len(seen):
                raise ValueError(f"The code set {self.code!r} repeats a code {attribute}.")
        if self.speakers is not None and not self.speakers:
            raise ValueError(f"The code set {self.code!r} names no speaker (None means all).")

    def applies_to(self, speaker: str) -> bool:
        """Speakers match case-insensitively, ignoring surrounding spaces."""
        if self.speakers is None:
            return True
        wanted = speaker.strip().casefold()
        return any(s.strip().casefold() == wanted for s in self.speakers)

    @property
    def code_ids(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)


@dataclass(frozen=True, slots=True)
class CodingRequest:
    """A transcript to code on one or more code sets.

    ``window_keep_tokens`` is how much of the preceding transcript a window keeps when the
    context is full and the transcript is read again from a later turn (``None``: half of
    what fits).
    """

    segments: tuple[Segment, ...]
    code_sets: tuple[CodeSet, ...]
    instructions: str = DEFAULT_CODING_INSTRUCTIONS
    window_keep_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.code_sets:
            raise ValueError("A coding request needs at least one code set.")
        ids = [s.id for s in self.segments]
        if len(set(ids)) != len(ids):
            raise ValueError("Segment ids must be unique within a transcript.")
        codes = [c.code for c in self.code_sets]
        if len(set(codes)) != len(codes):
            raise ValueError("Code set codes must be unique.")

    def applicable(self, segment: Segment) -> tuple[CodeSet, ...]:
        return tuple(cs for cs in self.code_sets if cs.applies_to(segment.speaker))


def code_set_from_definition(data: Mapping[str, Any]) -> CodeSet:
    """A ``CodeSet`` from one entry of a definition's ``code_sets`` (``label`` defaults to the
    code, ``speakers`` null or absent means every speaker)."""
    codes = tuple(
        Code(code=str(c["code"]), label=str(c.get("label") or c["code"]),
             description=str(c.get("description") or ""),
             examples=tuple(str(e) for e in (c.get("examples") or ())))
        for c in data["codes"])
    speakers = data.get("speakers")
    return CodeSet(code=str(data["code"]), question=str(data["question"]), codes=codes,
                   speakers=None if speakers is None else tuple(str(s) for s in speakers))


def coding_request_from_definition(
    definition: Mapping[str, Any],
    segments: Sequence[Mapping[str, Any] | Segment],
    *,
    window_keep_tokens: int | None = None,
) -> CodingRequest:
    """A request from a coding instrument's definition and a target's ``segments``
    (``[{id, speaker, text}]``). The definition's ``instructions`` replace the default ones."""
    return CodingRequest(
        segments=_segments(segments),
        code_sets=tuple(code_set_from_definition(cs) for cs in definition["code_sets"]),
        instructions=str(definition.get("instructions") or DEFAULT_CODING_INSTRUCTIONS),
        window_keep_tokens=window_keep_tokens)


def coding_request_from_spec(
    spec: Any,
    segments: Sequence[Mapping[str, Any] | Segment],
    *,
    window_keep_tokens: int | None = None,
) -> CodingRequest:
    """A request from a typed coding-instrument view, read by attribute so this package needs
    no import of the instruments app: ``spec.code_sets`` with ``code``, ``llm_question`` (else
    ``question``), ``speakers`` (empty or None: every speaker) and ``codes`` (``code``,
    ``label``, ``description``, ``examples``); ``spec.llm_instructions`` when present."""
    code_sets = tuple(
        CodeSet(
            code=cs.code,
            question=getattr(cs, "llm_question", None) or cs.question,
            codes=tuple(Code(c.code, c.label or c.code, c.description or "",
                             tuple(c.examples or ())) for c in cs.codes),
            speakers=tuple(cs.speakers) if cs.speakers else None)
        for cs in spec.code_sets)
    return CodingRequest(segments=_segments(segments), code_sets=code_sets,
                         instructions=getattr(spec, "llm_instructions", None)
                         or DEFAULT_CODING_INSTRUCTIONS,
                         window_keep_tokens=window_keep_tokens)


def _segments(segments: Sequence[Mapping[str, Any] | Segment]) -> tuple[Segment, ...]:
    return tuple(s if isinstance(s, Segment)
                 else Segment(str(s["id"]), str(s["speaker"]), str(s["text"]))
                 for s in segments)
