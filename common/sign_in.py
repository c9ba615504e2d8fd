"""Sign-in throttling with django-axes, and the client's real address behind the proxy.

django-axes counts failed sign-ins in the cache (``AxesCacheHandler``; production requires a
shared cache, ``check --deploy`` says so) and refuses further attempts with 429 once
``ANCHOR_LOGIN_MAX_FAILURES`` failures came for one user name or from one client address within
``ANCHOR_LOGIN_LOCKOUT_SECONDS``. The two callables below are what Anchor adds:

- the user name is counted the way Django compares it, after NFKC (``AbstractBaseUser.
  normalize_username``), so ``ｍｇｒｂ`` and ``𝐦𝐠𝐫𝐛`` are ``mgrb``; also stripped and casefolded,
  so ``MGRB `` shares the count, too;
- the client address is ``REMOTE_ADDR``, unless the request comes from one of
  ``ANCHOR_TRUSTED_PROXIES`` (nginx on the same host): then the right-most address of
  ``X-Forwarded-For`` that is not itself a trusted proxy (nginx appends the address it received
  the request from, so what a client wrote to the left of it is never believed).
"""

import ipaddress
import unicodedata
from datetime import timedelta
from functools import lru_cache

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpResponse


def normalised_username(username: str | None) -> str:
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def axes_username(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the normalised name from the credentials or the form."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username")
    return normalised_username(raw) if raw is not None else None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def from_trusted_proxy(request) -> bool:
    """Whether the request was sent by one of ``ANCHOR_TRUSTED_PROXIES`` (addresses or networks)."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    networks = _networks(tuple(getattr(settings, "ANCHOR_TRUSTED_PROXIES", ())))
    return remote is not None and any(remote in network for network in networks)


def client_address(request) -> str:
    """The client's address: see the module's docstring. Used by the throttle and the audit log."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not from_trusted_proxy(request):
        return remote
    networks = _networks(tuple(settings.ANCHOR_TRUSTED_PROXIES))
    hops = [_address(part) for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if hop is None:  # garbage from the client: nothing to its left can be trusted either
            break
        if not any(hop in network for network in networks):
            return str(hop)
    return remote


def axes_client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE."""
    return client_address(request)


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT, read at each attempt (so a test or a settings change takes effect)."""
    return settings.ANCHOR_LOGIN_MAX_FAILURES


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME."""
    return timedelta(seconds=settings.ANCHOR_LOGIN_LOCKOUT_SECONDS)


def lockout_response(request, response=None, credentials=None, *args, **kwargs) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a sentence, 429."""
    minutes = max(1, settings.ANCHOR_LOGIN_LOCKOUT_SECONDS // 60)
    return HttpResponse(f"Too many failed sign-in attempts; try again in {minutes} minutes.",
                        status=429, content_type="text/plain; charset=utf-8")


class ThrottledSignInBackend(AxesStandaloneBackend):
    """django-axes' check before the password is: ``AxesStandaloneBackend``, except that a call
    without a request (the test client's ``login``, a shell) is not a sign-in over HTTP and is
    passed on to the next backend instead of raising."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
