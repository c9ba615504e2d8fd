"""Login rate limiting: a small limiter in Django's cache, around every password login view.

After ``ANCHOR_LOGIN_MAX_FAILURES`` failed attempts for one user name (or four times as many from
one address, against password spraying) within ``ANCHOR_LOGIN_LOCKOUT_SECONDS``, further attempts
answer 429 without checking the password, until the window has passed. A successful login
clears the user name's count. Chosen over django-axes: two views to guard, no models or
middleware needed; with several web processes, point the cache at Redis (``ANCHOR_CACHE_URL``)
so they share the counts.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse


def _keys(request) -> list[tuple[str, int]]:
    limit = settings.ANCHOR_LOGIN_MAX_FAILURES
    username = request.POST.get("username", "").strip().lower()
    name = hashlib.sha256(username.encode("utf-8")).hexdigest()[:32]
    address = request.META.get("REMOTE_ADDR", "")
    return [(f"login-fail:user:{name}", limit), (f"login-fail:ip:{address}", 4 * limit)]


def login_locked(request) -> bool:
    return any(cache.get(key, 0) >= limit for key, limit in _keys(request))


def _record_failure(request) -> None:
    window = settings.ANCHOR_LOGIN_LOCKOUT_SECONDS
    for key, _ in _keys(request):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def rate_limited_login(view):
    """Wrap a login view (Django's or the admin's): a POST that re-renders the form (200) is a
    failure, a redirect is a success."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        if login_locked(request):
            minutes = max(1, settings.ANCHOR_LOGIN_LOCKOUT_SECONDS // 60)
            return HttpResponse(f"Too many failed sign-in attempts; try again in {minutes} minutes.",
                                status=429, content_type="text/plain; charset=utf-8")
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            _record_failure(request)
        elif response.status_code in (301, 302, 303):
            cache.delete(_keys(request)[0][0])
        return response

    return wrapped
