"""A typed, read-only view of a validated definition, for code that uses instruments.

Forms, the LLM rater and reports read items and scales through these objects rather than
through the raw document, so the document's layout (named or inline scales, subscales
listed by item or by code) is interpreted in one place.
"""

from dataclasses import dataclass
from typing import Literal

from .checks import resolve_item_scale, subscale_item_codes
from .coding_spec import CodeSet, Summary, build_code_sets, build_summaries

Level = Literal["nominal", "ordinal", "interval", "ratio"]


@dataclass(frozen=True, slots=True)
class ScalePoint:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Scale:
    """A response scale: labelled integer points, or an integer range with labelled anchors."""

    level: Level
    min: int
    max: int
    points: tuple[ScalePoint, ...] = ()
    anchors: tuple[ScalePoint, ...] = ()

    @property
    def is_points(self) -> bool:
        return bool(self.points)

    @property
    def values(self) -> tuple[int, ...]:
        """Every admissible answer, in order."""
        if self.points:
            return tuple(p.value for p in self.points)
        return tuple(range(self.min, self.max + 1))

    def admits(self, value: float) -> bool:
        """Whether ``value`` is an answer a rater could give on this scale."""
        value = float(value)
        if not value.is_integer():
            return False
        if not self.points:  # a range: no tuple of every point built per answer (imports call this per row)
            return self.min <= value <= self.max
        return any(p.value == value for p in self.points)

    def label(self, value: int) -> str | None:
        return next((p.label for p in self.points + self.anchors if p.value == value), None)


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    text: str
    llm_text: str
    scale: Scale
    reverse: bool
    required: bool
    subscale: str | None
    position: int
    raters: Literal["all", "human", "llm"] = "all"

    @property
    def for_humans(self) -> bool:
        return self.raters != "llm"

    @property
    def for_llm(self) -> bool:
        return self.raters != "human"


@dataclass(frozen=True, slots=True)
class Subscale:
    code: str
    title: str
    items: tuple[str, ...]
    method: Literal["mean", "sum"]
    min_answered: int


@dataclass(frozen=True, slots=True)
class Stage:
    code: str
    title: str
    type: Literal["llm", "retrieval"]
    prompt: str | None
    output_schema: dict | None
    params: dict


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    slug: str
    title: str
    version: str
    kind: Literal["scale", "pipeline", "coding"]
    description: str
    human_instructions: str
    llm_instructions: str
    llm_rationale: bool
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    stages: tuple[Stage, ...]
    pool: bool = False
    derivation: dict | None = None
    # A coding instrument (kind "coding") has code sets and summaries and no items.
    code_sets: tuple[CodeSet, ...] = ()
    summaries: tuple[Summary, ...] = ()

    @property
    def is_coding(self) -> bool:
        return self.kind == "coding"

    def code_set(self, code: str) -> CodeSet:
        for code_set in self.code_sets:
            if code_set.code == code:
                return code_set
        raise KeyError(f"instrument {self.slug} {self.version} has no code set {code!r}")

    def code_sets_for(self, speaker: str) -> tuple[CodeSet, ...]:
        """The code sets that apply to a segment of ``speaker`` (in definition order)."""
        return tuple(s for s in self.code_sets if s.applies_to(speaker))

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(f"instrument {self.slug} {self.version} has no item {code!r}")

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)


def _scale(raw: dict) -> Scale:
    points = tuple(ScalePoint(p["value"], p["label"]) for p in raw.get("points", []))
    if points:
        values = [p.value for p in points]
        return Scale(raw.get("level", "ordinal"), min(values), max(values), points=points)
    anchors = tuple(ScalePoint(a["value"], a["label"]) for a in raw.get("anchors", []))
    return Scale(raw.get("level", "interval"), raw["min"], raw["max"], anchors=anchors)


def build_spec(document: dict) -> InstrumentSpec:
    """The typed view of a definition that has passed ``validate_definition``."""
    instructions = document.get("instructions", {})
    items = tuple(
        Item(
            code=raw["code"],
            text=raw["text"],
            llm_text=raw.get("llm_text", raw["text"]),
            scale=_scale(resolve_item_scale(document, raw)),
            reverse=raw.get("reverse", False),
            required=raw.get("required", True),
            subscale=raw.get("subscale"),
            position=position,
            raters=raw.get("raters", "all"),
        )
        for position, raw in enumerate(document.get("items", []))
    )
    subscales = tuple(
        Subscale(
            code=raw["code"],
            title=raw["title"],
            items=tuple(codes := subscale_item_codes(document, raw)),
            method=raw["method"],
            min_answered=raw.get("min_answered", len(codes)),
        )
        for raw in document.get("subscales", [])
    )
    stages = tuple(
        Stage(raw["code"], raw["title"], raw["type"], raw.get("prompt"), raw.get("output_schema"),
              raw.get("params", {}))
        for raw in document.get("stages", [])
    )
    return InstrumentSpec(
        slug=document["slug"],
        title=document["title"],
        version=document["version"],
        kind=document["kind"],
        description=document["description"],
        human_instructions=instructions.get("human", ""),
        llm_instructions=instructions.get("llm", ""),
        llm_rationale=document.get("llm_rationale", False),
        items=items,
        subscales=subscales,
        stages=stages,
        pool=document.get("pool", False),
        derivation=document.get("derivation"),
        code_sets=build_code_sets(document),
        summaries=build_summaries(document),
    )
