"""The instrument definition format: parse, validate, view, hash and export.

Pure Python (no Django): ``validate_definition`` returns every problem at once, so a user
fixes a file in one pass.
"""

from .canonical import content_hash, to_json, to_yaml
from .checks import schema_problems, semantic_problems
from .parsing import parse_document
from .problems import DefinitionError, Problem
from .schema import INSTRUMENT as SCHEMA
from .coding_spec import Code, CodeSet, Summary, normalise_speaker
from .spec import InstrumentSpec, Item, Scale, ScalePoint, Stage, Subscale, build_spec


def validate_definition(document: dict) -> list[Problem]:
    """Every problem with ``document``; an empty list means it can be published."""
    problems = schema_problems(document)
    try:
        problems += semantic_problems(document)
    except (KeyError, TypeError, AttributeError, ValueError):
        # The document's shape is wrong in a way the schema problems already name; the
        # semantic checks cannot read it, so those are the whole list.
        if not problems:
            raise
    return problems


def load_definition(text: str, *, fmt: str = "yaml") -> dict:
    """Parse and validate; raise ``DefinitionError`` listing every problem."""
    document = parse_document(text, fmt=fmt)
    problems = validate_definition(document)
    if problems:
        raise DefinitionError(problems)
    return document


__all__ = [
    "SCHEMA", "Code", "CodeSet", "DefinitionError", "InstrumentSpec", "Item", "Problem", "Scale", "ScalePoint",
    "Stage", "Subscale", "Summary", "build_spec", "content_hash", "load_definition", "parse_document",
    "normalise_speaker", "to_json", "to_yaml", "validate_definition",
]
