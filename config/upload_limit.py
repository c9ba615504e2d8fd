"""One size limit for every request body: web form uploads, API uploads in any format.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count a multipart form's files, and a body
that Django REST framework streams into a parser (``text/csv``) is not counted either; this
middleware refuses any body whose declared length exceeds ``ANCHOR_MAX_UPLOAD_BYTES`` with 413
before anything reads it. (nginx's ``client_max_body_size`` refuses it even earlier.)
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.ANCHOR_MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            message = f"the request body is {length:,} bytes; uploads take at most {limit:,} (ANCHOR_MAX_UPLOAD_BYTES)"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "errors": [{"line": 0, "reason": message}]}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
