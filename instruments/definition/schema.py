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

FIGURES = {"type": "object", "additionalProperties": {"type": ["number", "null"]}}

# How a short scale was derived from an item pool (written by scale development, never by
# hand): the pool's exact version, the study and rater whose ratings were used, the rule and
# resampling settings, and the apparent, cross-validated and optimism-corrected figures.
DERIVATION = {
    "type": "object",
    "properties": {
        "method": TEXT,
        "pool": {
            "type": "object",
            "properties": {"slug": TEXT, "version": TEXT,
                           "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
            "required": ["slug", "version", "content_hash"],
            "additionalProperties": False,
        },
        "study": TEXT,
        "rater": TEXT,
        "n_targets": {"type": "integer", "minimum": 0},
        "n_clusters": {"type": "integer", "minimum": 0},
        "cluster_field": {"type": ["string", "null"]},
        "criteria": {"type": "array", "items": TEXT},
        "rule": {"type": "object"},
        "k": {"type": "integer", "minimum": 2},
        "k_chosen_by": TEXT,
        "seed": {"type": "integer"},
        "n_folds": {"type": "integer", "minimum": 2},
        "n_repeats": {"type": "integer", "minimum": 1},
        "n_boot": {"type": "integer", "minimum": 1},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"code": CODE, "key": {"enum": [1, -1]},
                               "selection_frequency": {"type": "number"}},
                "required": ["code", "key"],
                "additionalProperties": False,
            },
            "minItems": 2,
        },
        "apparent": FIGURES,
        "cross_validated": FIGURES,
        "optimism": FIGURES,
        "corrected": FIGURES,
        "cfa_one_factor": FIGURES,
    },
    "required": ["method", "pool", "study", "rater", "rule", "k", "seed", "n_folds", "n_repeats",
                 "n_boot", "items", "apparent", "cross_validated", "optimism", "corrected"],
    "additionalProperties": False,
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
        "pool": {"type": "boolean"},
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
        "derivation": DERIVATION,
    },
    "required": ["slug", "title", "version", "kind", "description", "items"],
    "additionalProperties": False,
    "if": {"properties": {"kind": {"const": "pipeline"}}},
    "then": {"required": ["stages"]},
}
