"""Turning constrained output into a value (shared by the backends)."""

import json

from .errors import LlmPermanentError
from .results import Provenance, StructuredResult


def parse_structured(text: str, finish_reason: str | None, tokens: int,
                     provenance: Provenance) -> StructuredResult:
    """The parsed JSON value; output cut off by ``max_tokens`` is an error, never a guess."""
    if finish_reason == "length":
        raise LlmPermanentError("The structured output did not finish within max_tokens.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LlmPermanentError(f"The structured output is not JSON: {exc}") from exc
    return StructuredResult(value=value, text=text, tokens_evaluated=tokens,
                            provenance=provenance)
