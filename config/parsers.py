"""The API's JSON parser: DRF's, with a body nested too deeply for Python (``[[[[...``) answered
as a 400 like any other malformed JSON instead of a RecursionError (a 500)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
