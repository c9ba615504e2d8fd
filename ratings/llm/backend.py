"""The one interface the rest of Anchor uses to talk to a model."""

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .request import DecodingParams, RatingRequest
from .results import Provenance, StructuredResult, TargetRating

# Called by ``rate`` after each item it reads, with (items read, items to read) of the target:
# with a material cut in several windows every window reads every item, so ``total`` is
# items x windows. Cheap to call; the caller decides what to record (ratings/services/scoring.py
# writes it on the target's task row at most every ``ANCHOR_JOB_PROGRESS_SECONDS``).
ItemProgress = Callable[[int, int], None]


@runtime_checkable
class LlmBackend(Protocol):
    """A model that rates material and writes structured output.

    Implementations raise ``LlmTransientError`` for failures worth retrying and
    ``LlmPermanentError`` for the rest.
    """

    kind: str

    def rate(self, request: RatingRequest, *, progress: ItemProgress | None = None) -> TargetRating:
        """Score every item of one target, reading the material once per window; ``progress``
        is told after each item (see ``ItemProgress``)."""
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
