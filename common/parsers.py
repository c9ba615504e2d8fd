"""The API's JSON parser: DRF's, made incremental and bounded (``common/json_bounded.py``).

A body nested deeper than 64 levels, an array of more than ``MAX_ARRAY_LENGTH`` elements or
broken JSON answers 400 naming the top-level element (as ``line``, the way JSON Lines count),
without building more than the bound and without recursion (no ``RecursionError``, no 500).
"""

from rest_framework import renderers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from common.json_bounded import MAX_DEPTH, JsonBoundsError, load_bounded

# The most rows one upload takes (targets, ratings, batch items): the API refuses more.
MAX_ARRAY_LENGTH = 100_000


class BodyRejected(ParseError):
    """A 400 whose ``errors`` list (``{line, reason}``) the exception handler passes on."""

    def __init__(self, detail: str, errors: list[dict]):
        super().__init__(detail)
        self.errors = errors


class SafeJSONParser(BaseParser):
    # Not a subclass of DRF's JSONParser: DRF reads those parsers' bodies whole into memory
    # (``request.body``) before parsing; this one gets the request stream.
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return load_bounded(stream, max_depth=MAX_DEPTH, max_length=MAX_ARRAY_LENGTH)
        except JsonBoundsError as exc:
            raise BodyRejected(f"JSON parse error - {exc}", [{"line": exc.element, "reason": str(exc)}]) from None
