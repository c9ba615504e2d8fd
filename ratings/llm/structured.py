"""Turning a JSON schema into a grammar, and constrained output into a value (shared by the backends).

The grammar and the parser must agree, or "output always parses" is false. llama-cpp-python's
schema converter (0.3.x) gets two things wrong: its string ``char`` rule admits raw control
characters (which strict JSON forbids inside strings), and it writes ``enum``/``const`` values
into grammar literals without escaping backslashes, so a value holding a newline (``\\n`` in
JSON) becomes a raw newline in the output. ``schema_grammar`` fixes both. The parser accepts
raw control characters anyway (``json.loads(strict=False)``: an OpenAI-compatible server may
use the unfixed converter) and then validates the value against the schema, so whatever a
backend returns is either a value of the schema or an ``LlmPermanentError`` that says why.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

import jsonschema

from .errors import LlmPermanentError
from .results import Provenance, StructuredResult

# A JSON string character: anything but a quote, a backslash or a control character, or an escape.
CHAR_RULE = r'char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'


def grammar_literal(text: str) -> str:
    """``text`` as a GBNF string literal (llama.cpp's escapes: backslash, quote, CR, LF, tab)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def schema_grammar(schema: Mapping[str, Any]) -> str:
    """The GBNF grammar of ``schema`` whose every output is strict JSON (see the module)."""
    from llama_cpp.llama_grammar import SchemaConverter

    class Converter(SchemaConverter):
        def _format_literal(self, literal: str) -> str:
            return grammar_literal(literal)

        def _generate_constant_rule(self, value: Any) -> str:
            return grammar_literal(json.dumps(value, ensure_ascii=False))

    converter = Converter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    converter.visit(converter.resolve_refs(json.loads(json.dumps(schema)), "stdin"), "")
    grammar = converter.format_grammar()
    return re.sub(r"^char ::= .*$", lambda _: CHAR_RULE, grammar, flags=re.MULTILINE)


def parse_structured(text: str, finish_reason: str | None, tokens: int, provenance: Provenance,
                     schema: Mapping[str, Any] | None = None) -> StructuredResult:
    """The parsed JSON value, checked against ``schema`` when given; output cut off by
    ``max_tokens``, or not JSON, or not of the schema, is an error, never a guess."""
    if finish_reason == "length":
        raise LlmPermanentError("The structured output did not finish within max_tokens.")
    try:
        value = json.loads(text, strict=False)  # raw control characters inside strings are data
    except json.JSONDecodeError as exc:
        raise LlmPermanentError(f"The structured output is not JSON: {exc}") from exc
    if schema is not None:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(dict(schema)).iter_errors(value))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "the top level"
            raise LlmPermanentError(f"The structured output does not match its schema at {where}: "
                                    f"{error.message[:300]}")
    return StructuredResult(value=value, text=text, tokens_evaluated=tokens, provenance=provenance)
