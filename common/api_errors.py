"""One error shape for the whole REST API, and its OpenAPI description.

Every error body has a `detail` sentence. A 400 also lists every problem in `errors`: an
upload's rows as `{line, reason}`, an instrument definition's as `{path, message}`, a
request's fields as `{field, message}`.
"""

from django.http import JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

ErrorOutput = inline_serializer("Error", {"detail": serializers.CharField()})
ErrorListOutput = inline_serializer("ErrorList", {
    "detail": serializers.CharField(),
    "errors": serializers.ListField(
        child=serializers.DictField(),
        help_text="each problem: {line, reason} for uploaded rows, {path, message} for an instrument "
                  "definition, {field, message} for a request's fields"),
})


def _join(path: str, key) -> str:
    if key == api_settings.NON_FIELD_ERRORS_KEY:
        return path
    if isinstance(key, int) or str(key).isdigit():  # a list's errors, keyed by index
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _flatten(data, path: str = "") -> list[dict]:
    if isinstance(data, dict):
        return [e for key, value in data.items()
                for e in _flatten(value, _join(path, key))]
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
    elif response is not None and response.status_code == 400 and isinstance(response.data, dict):
        # e.g. a body that is not JSON; common.parsers names the element where it broke
        response.data.setdefault("errors", list(getattr(exc, "errors", [])))
    return response


def not_found(request, exception=None):
    """A 404 outside any view (an URL no route matches): JSON under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return django_server_error(request)
