"""Read a definition document from YAML or JSON text, refusing duplicate keys.

PyYAML keeps the last of two equal keys without a word; a definition that says the same
thing twice is ambiguous, so it is refused like any other problem.
"""

import json

import yaml

from .problems import DefinitionError, Problem


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def parse_document(text: str, *, fmt: str = "yaml") -> dict:
    """Parse ``text`` (``fmt`` "yaml" or "json") into a dict, or raise ``DefinitionError``."""
    try:
        if fmt == "json":
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise DefinitionError([Problem(f"line {exc.lineno}", f"not valid JSON: {exc.msg}")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([Problem(where, f"not valid YAML: {reason}")]) from exc
    if not isinstance(document, dict):
        raise DefinitionError([Problem("", "a definition must be a mapping (slug: ..., title: ...)")])
    return document
