"""What to rate, independent of Django: instructions, material, items and options.

Build a request from an instrument with ``request_from_definition`` (the parsed YAML/JSON
document) or ``request_from_spec`` (the typed ``InstrumentSpec`` view); both take plain data
and never read files.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_NUMERIC_VALUES = 1001


@dataclass(frozen=True, slots=True)
class LikertScale:
    """Labelled integer points, e.g. ``((1, "Not at all"), ..., (5, "Very much"))``."""

    points: tuple[tuple[int, str], ...]

    def __post_init__(self) -> None:
        values = [value for value, _ in self.points]
        if len(values) < 2:
            raise ValueError("A Likert scale needs at least two points.")
        if len(set(values)) != len(values):
            raise ValueError(f"Likert point values must be distinct, got {values}.")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError(f"Likert point values must be integers, got {values}.")

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(value for value, _ in self.points)


@dataclass(frozen=True, slots=True)
class NumericScale:
    """Every integer from ``min`` to ``max`` is admissible; ``anchors`` label some of them."""

    min: int
    max: int
    anchors: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if self.max <= self.min:
            raise ValueError(f"A numeric scale needs min < max, got {self.min}..{self.max}.")
        if self.max - self.min + 1 > MAX_NUMERIC_VALUES:
            raise ValueError(f"A numeric scale may have at most {MAX_NUMERIC_VALUES} values.")
        for value, _ in self.anchors:
            if not self.min <= value <= self.max:
                raise ValueError(f"Anchor {value} is outside {self.min}..{self.max}.")

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))


Scale = LikertScale | NumericScale


@dataclass(frozen=True, slots=True)
class ItemPrompt:
    """One item as the model sees it: its code, the question wording and the answer scale."""

    code: str
    question: str
    scale: Scale

    def __post_init__(self) -> None:
        if not self.code or not self.question.strip():
            raise ValueError("An item needs a code and a question.")


@dataclass(frozen=True, slots=True)
class DecodingParams:
    """Everything that decides the numbers; stored with every rating as provenance.

    Scores never sample: they are read from the model's distribution. ``temperature`` and
    ``seed`` apply to generated text (rationales, structured output); 0 means greedy.
    ``top_logprobs`` is how many alternatives an HTTP server is asked for per position.
    """

    temperature: float = 0.0
    seed: int = 0
    max_rationale_tokens: int = 48
    top_logprobs: int = 20

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RatingOptions:
    rationale: bool = False
    decoding: DecodingParams = field(default_factory=DecodingParams)
    window_overlap_tokens: int = 128


@dataclass(frozen=True, slots=True)
class RatingRequest:
    """All items of one target, rated together so they share the material's KV cache."""

    instructions: str
    material: str
    items: tuple[ItemPrompt, ...]
    material_name: str = "material"
    options: RatingOptions = field(default_factory=RatingOptions)

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError("A rating request needs at least one item.")
        codes = [item.code for item in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"Item codes must be distinct, got {codes}.")
        if not self.material.strip():
            raise ValueError("The material to rate is empty.")


def scale_from_definition(raw: Mapping[str, Any]) -> Scale:
    """A scale from its document form: ``points`` (value/label) or ``min``/``max``/``anchors``.

    Anchors may be a list of ``{value, label}`` or a mapping ``{value: label}``.
    """
    if raw.get("points"):
        return LikertScale(tuple((int(p["value"]), str(p["label"])) for p in raw["points"]))
    anchors = raw.get("anchors") or []
    if isinstance(anchors, Mapping):
        pairs = [(int(value), str(label)) for value, label in anchors.items()]
    else:
        pairs = [(int(a["value"]), str(a["label"])) for a in anchors]
    return NumericScale(int(raw["min"]), int(raw["max"]), tuple(sorted(pairs)))


def request_from_definition(
    document: Mapping[str, Any],
    *,
    material: str,
    options: RatingOptions | None = None,
) -> RatingRequest:
    """A request for one target from an instrument document (as parsed from YAML).

    Items use ``llm_text`` (falling back to ``text``); instructions use ``instructions.llm``
    (falling back to ``instructions.human``); rationales follow ``llm_rationale`` unless
    ``options`` is given.
    """
    scales = document.get("scales", {})
    items = []
    for raw in document["items"]:
        if raw.get("raters", "all") == "human":
            continue
        scale = raw.get("scale", document.get("default_scale"))
        if isinstance(scale, str):
            scale = scales[scale]
        if scale is None:
            raise ValueError(f"Item {raw['code']!r} has no scale.")
        items.append(ItemPrompt(raw["code"], raw.get("llm_text", raw["text"]),
                                scale_from_definition(scale)))
    instructions = document.get("instructions", {})
    return RatingRequest(
        instructions=instructions.get("llm") or instructions.get("human", ""),
        material=material,
        items=tuple(items),
        material_name=document.get("material", "material"),
        options=options or RatingOptions(rationale=bool(document.get("llm_rationale", False))),
    )


def request_from_spec(
    spec: Any,
    *,
    material: str,
    material_name: str = "material",
    item_codes: Sequence[str] | None = None,
    options: RatingOptions | None = None,
) -> RatingRequest:
    """A request from a typed instrument view (``instruments.definition.spec.InstrumentSpec``).

    Read by attribute, so this package needs no import of the instruments app:
    ``spec.llm_instructions``, ``spec.llm_rationale``, and per item ``code``, ``llm_text`` and
    ``scale`` (``points``/``anchors`` of objects with ``value`` and ``label``, ``min``, ``max``).
    Items answered by human raters only (``raters: human``) are left out.
    """
    wanted = set(item_codes) if item_codes is not None else None
    items = tuple(
        ItemPrompt(item.code, item.llm_text, _scale_from_spec(item.scale))
        for item in spec.items
        if (wanted is None or item.code in wanted) and getattr(item, "raters", "all") != "human"
    )
    return RatingRequest(
        instructions=spec.llm_instructions,
        material=material,
        items=items,
        material_name=material_name,
        options=options or RatingOptions(rationale=bool(spec.llm_rationale)),
    )


def _scale_from_spec(scale: Any) -> Scale:
    if scale.points:
        return LikertScale(tuple((p.value, p.label) for p in scale.points))
    return NumericScale(scale.min, scale.max, tuple((a.value, a.label) for a in scale.anchors))
