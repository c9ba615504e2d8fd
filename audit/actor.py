"""Who acts: the value an interface (view, API view, command, admin action) hands to a service,
so the service can record the audit event in the same transaction as its change.

Interfaces build an ``Actor`` and never write events themselves (an import-linter contract
keeps ``audit.services`` out of them)."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user: object | None = None  # an authenticated user, or None (a command, a worker, anonymous)
    via: str = "command"  # web, api, admin, command
    request_id: str = ""
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> "Actor":
        """The signed-in user of ``request``, the client's address and the request id: the
        proxy's (nginx ``$request_id`` as X-Request-ID, believed only from one of
        ``ANCHOR_TRUSTED_PROXIES``) or one made here, shared by every event of the request."""
        from common.sign_in import client_address, from_trusted_proxy

        if not hasattr(request, "_audit_request_id"):
            given = request.headers.get("X-Request-ID", "").strip()[:64] if from_trusted_proxy(request) else ""
            request._audit_request_id = given or uuid.uuid4().hex
        user = getattr(request, "user", None)
        return cls(user=user if user is not None and user.is_authenticated else None, via=_via(request.path),
                   request_id=request._audit_request_id, ip=client_address(request) or None)

    @classmethod
    def command(cls, user=None) -> "Actor":
        """A management command, run by ``user`` when one is named."""
        return cls(user=user if user is not None and user.is_authenticated else None, via="command")


def _via(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web"
