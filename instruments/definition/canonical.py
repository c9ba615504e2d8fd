"""The canonical form of a definition: its content hash and its export.

Two documents that say the same thing have the same hash whatever their key order or
format (YAML or JSON). Export writes keys in the order the schema lists them, so an
exported definition reads like a hand-written one and loads back to the same hash.
"""

import hashlib
import json

import yaml

from .schema import INSTRUMENT


def canonical_json(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(document: dict) -> str:
    """SHA-256 of the canonical JSON: the identity of a published version's content."""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def _ordered(value, schema: dict | None):
    schema = schema or {}
    if isinstance(value, dict):
        if "properties" in schema or "else" in schema:
            props = schema.get("properties") or schema.get("else", {}).get("properties", {})
            keys = [k for k in props if k in value] + sorted(k for k in value if k not in props)
            return {k: _ordered(value[k], _subschema(props.get(k), value[k])) for k in keys}
        extra = schema.get("additionalProperties")
        return {k: _ordered(v, extra if isinstance(extra, dict) else None) for k, v in value.items()}
    if isinstance(value, list):
        return [_ordered(v, _subschema(schema.get("items"), v)) for v in value]
    return value


def _subschema(schema: dict | None, value) -> dict | None:
    """Follow ``if/then/else`` branches (used for "a name or an inline object")."""
    if schema and "if" in schema and isinstance(value, dict):
        return schema.get("else")
    return schema


def ordered(document: dict) -> dict:
    """The document with keys in schema order (unknown keys last, sorted)."""
    return _ordered(document, INSTRUMENT)


def to_yaml(document: dict) -> str:
    return yaml.safe_dump(ordered(document), sort_keys=False, allow_unicode=True, width=100)


def to_json(document: dict) -> str:
    return json.dumps(ordered(document), indent=2, ensure_ascii=False) + "\n"
