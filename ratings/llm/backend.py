"""The one interface the rest of Anchor uses to talk to a model."""

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from .request import DecodingParams, RatingRequest
from .results import Provenance, StructuredResult, TargetRating


@runtime_checkable
class LlmBackend(Protocol):
    """A model that rates material and writes structured output.

    Implementations raise ``LlmTransientError`` for failures worth retrying and
    ``LlmPermanentError`` for the rest.
    """

    kind: str

    def rate(self, request: RatingRequest) -> TargetRating:
        """Score every item of one target, reading the material once per window."""
        ...

    def generate_structured(
        self,
        *,
        instructions: str,
        prompt: str,
        schema: Mapping[str, Any],
        max_tokens: int = 512,
        decoding: DecodingParams | None = None,
    ) -> StructuredResult:
        """Generate a JSON value that conforms to ``schema`` (constrained, so it always parses)."""
        ...

    def provenance(self, decoding: DecodingParams | None = None) -> Provenance:
        """What to store with results of this backend under these decoding parameters."""
        ...
