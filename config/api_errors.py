"""One error shape for the whole REST API, and its OpenAPI description.

Every error body has a `detail` sentence. A 400 also lists every problem in `errors`: an
upload's rows as `{line, reason}`, an instrument definition's as `{path, message}`, a
request's fields as `{field, message}`.
"""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

ErrorOutput = inline_serializer("Error", {"detail": serializers.CharField()})
ErrorListOutput = inline_serializer("ErrorList", {
    "detail": serializers.CharField(),
    "errors": serializers.ListField(
        child=serializers.DictField(),
        help_text="each problem: {line, reason} for uploaded rows, {path, message} for an instrument "
                  "definition, {field, message} for a request's fields"),
})


def _flatten(data, path: str = "") -> list[dict]:
    if isinstance(data, dict):
        return [e for key, value in data.items()
                for e in _flatten(value, f"{path}.{key}" if path else str(key))]
    if isinstance(data, list):
        if all(not isinstance(v, (dict, list)) for v in data):
            return [{"field": path or "(body)", "message": str(v)} for v in data]
        return [e for n, value in enumerate(data) for e in _flatten(value, f"{path}[{n}]")]
    return [{"field": path or "(body)", "message": str(data)}]


def exception_handler(exc, context):
    """DRF's handler, with validation errors reshaped to `{detail, errors: [{field, message}]}`."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"detail": "the request is invalid", "errors": _flatten(exc.detail)}
    return response
