"""Checks a definition's shape (JSON Schema) and what the schema cannot express."""

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from .coding_checks import coding_problems
from .problems import Problem, format_path
from .schema import INSTRUMENT

_VALIDATOR = Draft202012Validator(INSTRUMENT)


def schema_problems(document: dict) -> list[Problem]:
    """Every violation of the JSON Schema, deepest cause first for composite rules."""
    problems = []
    for error in sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.path))):
        cause = best_match(error.context) if error.context else error
        problems.append(Problem(format_path(cause.absolute_path), _short(cause.message)))
    return problems


def _short(message: str, limit: int = 240) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def semantic_problems(document: dict) -> list[Problem]:
    """References, uniqueness and ranges; run only on a document that passed the schema."""
    problems: list[Problem] = []
    scales = document.get("scales", {})
    for name, scale in scales.items():
        problems += _scale_problems(scale, f"scales.{name}")
    default = document.get("default_scale")
    if default is not None and default not in scales:
        problems.append(Problem("default_scale", f"names no scale in `scales`: {default!r}"))
    problems += _item_problems(document, scales)
    problems += _subscale_problems(document, scales)
    if document["kind"] == "scale" and "stages" in document:
        problems.append(Problem("stages", "only a pipeline instrument has stages"))
    problems += _stage_problems(document.get("stages", []))
    problems += _pool_problems(document)
    problems += coding_problems(document)
    return problems


def _pool_problems(document: dict) -> list[Problem]:
    """An item pool is a scale instrument of candidate items; a derived scale names its items."""
    problems = []
    if document.get("pool") and document["kind"] != "scale":
        problems.append(Problem("pool", "only a scale instrument can be an item pool"))
    if document.get("pool") and "derivation" in document:
        problems.append(Problem("derivation", "an item pool is not derived from another pool"))
    codes = {item["code"] for item in document.get("items", [])}
    for i, entry in enumerate(document.get("derivation", {}).get("items", [])):
        if entry["code"] not in codes:
            problems.append(Problem(f"derivation.items[{i}].code", f"names no item: {entry['code']!r}"))
    return problems


def _scale_problems(scale: dict, path: str) -> list[Problem]:
    has_points, has_range = "points" in scale, "min" in scale or "max" in scale
    if has_points == has_range:
        return [Problem(path, "a scale needs either `points` or `min` and `max`, not both")]
    if has_points:
        problems = []
        if "anchors" in scale:
            problems.append(Problem(f"{path}.anchors", "only a `min`/`max` scale has anchors"))
        values = [p["value"] for p in scale["points"]]
        if len(set(values)) != len(values):
            problems.append(Problem(f"{path}.points", f"point values repeat: {values}"))
        labels = [p["label"] for p in scale["points"]]
        if len(set(labels)) != len(labels):
            problems.append(Problem(f"{path}.points", "two points have the same label"))
        return problems
    if "min" not in scale or "max" not in scale:
        return [Problem(path, "a range scale needs both `min` and `max`")]
    if scale["min"] >= scale["max"]:
        return [Problem(path, f"min ({scale['min']}) must be below max ({scale['max']})")]
    problems = []
    if scale.get("level") == "nominal":
        problems.append(Problem(f"{path}.level", "a nominal scale lists its `points`"))
    for i, anchor in enumerate(scale.get("anchors", [])):
        if not scale["min"] <= anchor["value"] <= scale["max"]:
            problems.append(Problem(f"{path}.anchors[{i}]", f"value {anchor['value']} is outside min..max"))
    return problems


def resolve_item_scale(document: dict, item: dict) -> dict | None:
    """The scale an item uses (its own, a named one, or the default); None if it has none."""
    scale = item.get("scale", document.get("default_scale"))
    if isinstance(scale, str):
        return document.get("scales", {}).get(scale)
    return scale


def _item_problems(document: dict, scales: dict) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    subscale_codes = {s["code"] for s in document.get("subscales", [])}
    for i, item in enumerate(document.get("items", [])):
        path = f"items[{i}]"
        if item["code"] in seen:
            problems.append(Problem(f"{path}.code", f"item code {item['code']!r} is used twice"))
        seen.add(item["code"])
        named = item.get("scale", document.get("default_scale"))
        if named is None:
            problems.append(Problem(path, "no response scale: give `scale` or a top-level `default_scale`"))
        elif isinstance(named, str) and named not in scales:
            problems.append(Problem(f"{path}.scale", f"names no scale in `scales`: {named!r}"))
        elif isinstance(named, dict):
            problems += _scale_problems(named, f"{path}.scale")
        scale = resolve_item_scale(document, item)
        if item.get("reverse") and scale is not None and scale.get("level") == "nominal":
            problems.append(Problem(f"{path}.reverse", "a nominal item cannot be reverse-keyed"))
        if "subscale" in item and item["subscale"] not in subscale_codes:
            problems.append(Problem(f"{path}.subscale", f"names no subscale: {item['subscale']!r}"))
        if item.get("raters", "all") != "all" and "subscale" in item:
            problems.append(Problem(f"{path}.raters", "an item in a subscale must be answered by every rater"))
    if document.get("items") and all(item.get("raters") == "human" for item in document["items"]):
        problems.append(Problem("items", "every item is `raters: human`; the LLM would have nothing to rate"))
    return problems


def subscale_item_codes(document: dict, subscale: dict) -> list[str]:
    """The items a subscale scores: its explicit list, every item, or those naming it."""
    listed = subscale.get("items")
    if listed == "all":
        return [item["code"] for item in document["items"]]
    if listed is not None:
        return list(listed)
    return [item["code"] for item in document["items"] if item.get("subscale") == subscale["code"]]


def _subscale_problems(document: dict, scales: dict) -> list[Problem]:
    problems: list[Problem] = []
    items = {item["code"]: item for item in document.get("items", [])}
    seen: set[str] = set()
    for i, subscale in enumerate(document.get("subscales", [])):
        path = f"subscales[{i}]"
        if subscale["code"] in seen:
            problems.append(Problem(f"{path}.code", f"subscale code {subscale['code']!r} is used twice"))
        seen.add(subscale["code"])
        codes = subscale_item_codes(document, subscale)
        if not codes:
            problems.append(Problem(path, "no item belongs to this subscale"))
        for code in codes:
            if code not in items:
                problems.append(Problem(f"{path}.items", f"names no item: {code!r}"))
            elif (resolve_item_scale(document, items[code]) or {}).get("level") == "nominal":
                problems.append(Problem(f"{path}.items", f"{code!r} is nominal and cannot be averaged"))
        if isinstance(subscale.get("items"), list):
            for code, item in items.items():
                if item.get("subscale") == subscale["code"] and code not in codes:
                    problems.append(Problem(path, f"item {code!r} names this subscale but is not in its list"))
        if subscale.get("min_answered", 1) > max(len(codes), 1):
            problems.append(Problem(f"{path}.min_answered", f"exceeds the subscale's {len(codes)} items"))
    return problems


def _stage_problems(stages: list[dict]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, stage in enumerate(stages):
        if stage["code"] in seen:
            problems.append(Problem(f"stages[{i}].code", f"stage code {stage['code']!r} is used twice"))
        seen.add(stage["code"])
        if "output_schema" in stage:
            try:
                Draft202012Validator.check_schema(stage["output_schema"])
            except SchemaError as exc:
                problems.append(Problem(f"stages[{i}].output_schema", f"not a valid JSON Schema: {exc.message}"))
    return problems
