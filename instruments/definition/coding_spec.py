"""The typed view of a coding instrument's parts: code sets (with their codebook) and the
session summaries computed from the codes.

A code set applies to the segments of the speakers it names, matched without regard to case and
surrounding spaces (no speakers: every segment). A summary is a count, or a ratio of two counts
whose 0/0 is missing (``None``), never 0.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


def normalise_speaker(speaker: str) -> str:
    """The form speakers are compared in: ``" Therapist "`` and ``"therapist"`` are one speaker."""
    return speaker.strip().casefold()


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a set, with what the codebook says about it. ``key`` is the digit a coder
    presses for it in the coding form (1 for the first code)."""

    code: str
    label: str
    description: str
    examples: tuple[str, ...]
    key: int


@dataclass(frozen=True, slots=True)
class CodeSet:
    code: str
    title: str
    question: str
    llm_question: str
    speakers: tuple[str, ...]  # normalised; empty: every speaker
    codes: tuple[Code, ...]
    position: int

    def applies_to(self, speaker: str) -> bool:
        return not self.speakers or normalise_speaker(speaker) in self.speakers

    @property
    def values(self) -> tuple[str, ...]:
        """The codes' names in codebook order (the categories of the agreement statistics)."""
        return tuple(c.code for c in self.codes)

    def get(self, code: str) -> Code | None:
        return next((c for c in self.codes if c.code == code), None)


Selection = tuple[tuple[str, tuple[str, ...]], ...]  # ((code set, (codes, ...)), ...)


@dataclass(frozen=True, slots=True)
class Summary:
    """A session score from the codes: ``count`` of the segments with the numerator's codes, or
    the ``ratio`` numerator / denominator (missing when the denominator is 0)."""

    code: str
    label: str
    description: str
    kind: Literal["ratio", "count"]
    numerator: Selection
    denominator: Selection = ()

    def value(self, counts: Mapping[tuple[str, str], int]) -> float | None:
        """The summary of one coder's codes of one target; ``counts[(code_set, code)]`` is how
        many of its segments got that code (absent: 0). A ratio with no denominator segment is
        undefined: ``None``."""
        top = _total(self.numerator, counts)
        if self.kind == "count":
            return float(top)
        bottom = _total(self.denominator, counts)
        return None if bottom == 0 else top / bottom


def _total(selection: Selection, counts: Mapping[tuple[str, str], int]) -> int:
    return sum(counts.get((code_set, code), 0) for code_set, codes in selection for code in codes)


def _selection(raw: dict) -> Selection:
    return tuple((code_set, tuple(codes)) for code_set, codes in raw.items())


def build_code_sets(document: dict) -> tuple[CodeSet, ...]:
    return tuple(
        CodeSet(
            code=raw["code"],
            title=raw.get("title", raw["code"].replace("_", " ").capitalize()),
            question=raw["question"],
            llm_question=raw.get("llm_question", raw["question"]),
            speakers=tuple(normalise_speaker(s) for s in raw.get("speakers", [])),
            codes=tuple(Code(c["code"], c["label"], c.get("description", ""), tuple(c.get("examples", [])), key)
                        for key, c in enumerate(raw["codes"], start=1)),
            position=position,
        )
        for position, raw in enumerate(document.get("code_sets", []))
    )


def build_summaries(document: dict) -> tuple[Summary, ...]:
    summaries = []
    for raw in document.get("summaries", []):
        label = raw.get("label", raw["code"].replace("_", " ").capitalize())
        if "ratio" in raw:
            summaries.append(Summary(raw["code"], label, raw.get("description", ""), "ratio",
                                     _selection(raw["ratio"]["numerator"]), _selection(raw["ratio"]["denominator"])))
        else:
            summaries.append(Summary(raw["code"], label, raw.get("description", ""), "count",
                                     _selection(raw["count"])))
    return tuple(summaries)
