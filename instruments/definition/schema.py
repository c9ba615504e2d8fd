"""The JSON Schema of an instrument definition (YAML or JSON).

The schema checks the shape of a document; ``checks.py`` checks what a schema cannot say
(references between parts, unique codes, point values inside a scale). The order of
``properties`` here is also the order in which an exported definition lists its keys.
"""

CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 64}
TEXT = {"type": "string", "minLength": 1}

SCALE = {
    "type": "object",
    "properties": {
        "level": {"enum": ["nominal", "ordinal", "interval", "ratio"]},
        "points": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {"value": {"type": "integer"}, "label": TEXT},
                "required": ["value", "label"],
                "additionalProperties": False,
            },
        },
        "min": {"type": "integer"},
        "max": {"type": "integer"},
        "anchors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"value": {"type": "integer"}, "label": TEXT},
                "required": ["value", "label"],
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

ITEM = {
    "type": "object",
    "properties": {
        "code": CODE,
        "text": TEXT,
        "llm_text": TEXT,
        "scale": {"if": {"type": "string"}, "then": CODE, "else": SCALE},
        "reverse": {"type": "boolean"},
        "required": {"type": "boolean"},
        "subscale": CODE,
        # Who answers the item: everyone (default), only human raters (e.g. "does the
        # pipeline's reasoning match yours?"), or only the LLM. The LLM request skips human items.
        "raters": {"enum": ["all", "human", "llm"]},
    },
    "required": ["code", "text"],
    "additionalProperties": False,
}

SUBSCALE = {
    "type": "object",
    "properties": {
        "code": CODE,
        "title": TEXT,
        "items": {
            "if": {"type": "string"},
            "then": {"const": "all"},
            "else": {"type": "array", "items": CODE, "minItems": 1},
        },
        "method": {"enum": ["mean", "sum"]},
        "min_answered": {"type": "integer", "minimum": 1},
    },
    "required": ["code", "title", "method"],
    "additionalProperties": False,
}

STAGE = {
    "type": "object",
    "properties": {
        "code": CODE,
        "title": TEXT,
        "type": {"enum": ["llm", "retrieval"]},
        "description": TEXT,
        "prompt": TEXT,
        "output_schema": {"type": "object"},
        "params": {"type": "object"},
    },
    "required": ["code", "title", "type"],
    "additionalProperties": False,
    "if": {"properties": {"type": {"const": "llm"}}},
    "then": {"required": ["prompt", "output_schema"]},
}

INSTRUMENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Anchor instrument definition",
    "type": "object",
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 64},
        "title": TEXT,
        "version": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.-]+)?$"},
        "kind": {"enum": ["scale", "pipeline"]},
        "description": TEXT,
        "citation": TEXT,
        "licence": TEXT,
        "material": TEXT,
        "instructions": {
            "type": "object",
            "properties": {"human": TEXT, "llm": TEXT},
            "additionalProperties": False,
        },
        "llm_rationale": {"type": "boolean"},
        "scales": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": SCALE,
            "minProperties": 1,
        },
        "default_scale": CODE,
        "stages": {"type": "array", "items": STAGE, "minItems": 1},
        "items": {"type": "array", "items": ITEM, "minItems": 1},
        "subscales": {"type": "array", "items": SUBSCALE},
    },
    "required": ["slug", "title", "version", "kind", "description", "items"],
    "additionalProperties": False,
    "if": {"properties": {"kind": {"const": "pipeline"}}},
    "then": {"required": ["stages"]},
}
