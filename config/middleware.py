"""Middleware of the project as a whole."""

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
ROLLED_BACK = ("The database connection was lost while answering this request; nothing was stored (an "
               "unfinished change was rolled back). Try again in a few seconds.")
UNKNOWN = ("The database connection was lost while this request's change was being committed, so it may "
           "have been stored: retry is safe (a repeated submission or upload is stored once, and a batch "
           "sent again with the same Idempotency-Key returns the same job). Try again in a few seconds.")
WRITES = ("insert", "update", "delete")


class _CommitTracker:
    """Notes, for one request, whether a change may have reached the database: a write outside
    a transaction (committed at once), or a statement run after the transaction that wrote had
    ended (it committed, unless the view caught its error: then "may have been stored" is still
    true, and the retry still safe). A commit that fails half-way is found by its traceback."""

    def __init__(self) -> None:
        self.committed = False
        self._writing_block = None  # the outermost atomic block that wrote, while it may be open

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        block = id(db.atomic_blocks[0]) if db.in_atomic_block and db.atomic_blocks else None
        if self._writing_block is not None and block != self._writing_block:
            self.committed = True  # the writing transaction ended and the request went on
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and sql.lstrip()[:6].lower() in WRITES:
            if block is None:
                self.committed = True
            else:
                self._writing_block = block
        return result


def _failed_in_commit(exception: BaseException) -> bool:
    """True when the error was raised by COMMIT itself: the server may have committed before the
    connection broke, and we cannot know."""
    tb = exception.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name in ("commit", "_commit") and "django/db/backends" in code.co_filename.replace("\\", "/"):
            return True
        tb = tb.tb_next
    return False


class DatabaseUnavailableMiddleware:
    """Answer 503 with a sentence that says what is known when the database connection fails
    mid-request: "rolled back" only when no change of the request can have been stored, "may
    have been stored: retry is safe" when a commit's outcome is unknown or a commit had already
    succeeded.

    Every write runs in one transaction, and PostgreSQL rolls back the transaction of a
    connection that dies, so a half-made change is never stored. Django replaces the broken
    connection at the end of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tracker = request._db_commit_tracker = _CommitTracker()
        with connection.execute_wrapper(tracker):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        tracker = getattr(request, "_db_commit_tracker", None)
        unknown = _failed_in_commit(exception) or bool(tracker and tracker.committed)
        logger.error("database unavailable during %s %s (%s)", request.method, request.path,
                     "the change may have been stored" if unknown else "rolled back", exc_info=exception)
        message = UNKNOWN if unknown else ROLLED_BACK
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message, "stored": "unknown" if unknown else "no"}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


MESSAGE = ROLLED_BACK  # the earlier name


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
