"""Request body limits: large only where uploads go, small everywhere else.

The upload endpoints (views marked with :func:`large_uploads`, or API view classes with
``large_uploads = True``) take bodies up to ``ANCHOR_MAX_UPLOAD_BYTES`` (200 MB: 100,000 rows of
transcripts), and parse them as they are read (``ratings/tabular.py``, ``common/parsers.py``).
Every other request, the sign-in form included, takes at most ``DATA_UPLOAD_MAX_MEMORY_SIZE``
(``ANCHOR_MAX_REQUEST_BYTES``, 2.5 MB, Django's default). The declared length is refused with
413 before anything reads the body; nginx's ``client_max_body_size`` refuses the largest even
earlier. (Django's own check counts neither a multipart form's files nor a body that Django
REST framework streams into a parser, hence this middleware.)
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse


def large_uploads(view):
    """Mark a function view as an upload endpoint."""
    view.large_uploads = True
    return view


def _accepts_large_uploads(view_func) -> bool:
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    return bool(getattr(view_func, "large_uploads", False) or getattr(view_class, "large_uploads", False))


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The largest body of any endpoint, before the URL is resolved; the rest in process_view.
        refused = self._refuse(request, settings.ANCHOR_MAX_UPLOAD_BYTES, "ANCHOR_MAX_UPLOAD_BYTES")
        return refused or self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _accepts_large_uploads(view_func):
            return None
        return self._refuse(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "ANCHOR_MAX_REQUEST_BYTES")

    @staticmethod
    def _refuse(request, limit: int, setting: str):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= limit:
            return None
        message = f"the request body is {length:,} bytes; this address takes at most {limit:,} ({setting})"
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": [{"line": 0, "reason": message}]}, status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
