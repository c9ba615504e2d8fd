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

# A coding instrument (kind ``coding``) codes a target's segments (utterances) instead of rating
# the whole target: each code set is one nominal question asked of the segments of the speakers
# it names (all speakers when ``speakers`` is absent), with the codebook its coders read.
CODE_ENTRY = {
    "type": "object",
    "properties": {"code": CODE, "label": TEXT, "description": TEXT,
                   "examples": {"type": "array", "items": TEXT}},
    "required": ["code", "label"],
    "additionalProperties": False,
}
CODE_SET = {
    "type": "object",
    "properties": {
        "code": CODE,
        "title": TEXT,
        "speakers": {"type": "array", "items": TEXT, "minItems": 1},
        "question": TEXT,
        "llm_question": TEXT,
        # At most nine codes: a coder picks one with a single digit key.
        "codes": {"type": "array", "items": CODE_ENTRY, "minItems": 2, "maxItems": 9},
    },
    "required": ["code", "question", "codes"],
    "additionalProperties": False,
}
CODE_SELECTION = {  # {code_set: [codes]}: the segments coded with any of these codes
    "type": "object",
    "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
    "additionalProperties": {"type": "array", "items": CODE, "minItems": 1},
    "minProperties": 1,
}
SUMMARY = {
    "type": "object",
    "properties": {
        "code": CODE,
        "label": TEXT,
        "description": TEXT,
        "ratio": {"type": "object",
                  "properties": {"numerator": CODE_SELECTION, "denominator": CODE_SELECTION},
                  "required": ["numerator", "denominator"], "additionalProperties": False},
        "count": CODE_SELECTION,
    },
    "required": ["code"],
    "additionalProperties": False,
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
        "kind": {"enum": ["scale", "pipeline", "coding"]},
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
        "code_sets": {"type": "array", "items": CODE_SET, "minItems": 1},
        "summaries": {"type": "array", "items": SUMMARY},
        "derivation": DERIVATION,
    },
    "required": ["slug", "title", "version", "kind", "description"],
    "additionalProperties": False,
    # A scale or pipeline rates a whole target with items; a coding instrument codes its segments.
    "if": {"properties": {"kind": {"const": "coding"}}},
    "then": {"required": ["code_sets"]},
    "else": {"required": ["items"],
             "if": {"properties": {"kind": {"const": "pipeline"}}},
             "then": {"required": ["stages"]}},
}
