"""Middleware of the project as a whole."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = ("The database connection was lost while answering this request; an unfinished change "
           "was rolled back. Try again in a few seconds.")


class DatabaseUnavailableMiddleware:
    """Answer 503 with a sentence when the database connection fails mid-request.

    Every write runs in one transaction, and PostgreSQL rolls back the transaction of a
    connection that dies, so a half-made change is never stored and the request can be repeated.
    Django replaces the broken connection at the end of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable during %s %s", request.method, request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class PrivateResponsesMiddleware:
    """``Cache-Control: no-store`` (Django's ``never_cache`` headers) on every response to a
    signed-in request (a session or a token) that sets no caching of its own: the rating form,
    the report, the target lists and exports show material, and no page of a signed-in user
    belongs in a shared or browser cache. Static files (WhiteNoise, before this) keep theirs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        if signed_in and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
