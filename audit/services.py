"""Recording audit events: one helper, called by the views, API views and commands that show,
export, change or delete material, ratings and reports."""

import uuid

from config.sign_in import client_address, from_trusted_proxy

from .models import AuditEvent

Action = AuditEvent.Action


def _request_id(request) -> str:
    """The proxy's request id (nginx ``$request_id`` as X-Request-ID), believed only from one of
    ``ANCHOR_TRUSTED_PROXIES``; else one made here. Kept on the request so every event of one
    request shares it."""
    if not hasattr(request, "_audit_request_id"):
        given = request.headers.get("X-Request-ID", "").strip()[:64] if from_trusted_proxy(request) else ""
        request._audit_request_id = given or uuid.uuid4().hex
    return request._audit_request_id


def _via(request) -> str:
    if request.path.startswith("/api/"):
        return "api"
    if request.path.startswith("/admin/"):
        return "admin"
    return "web"


def audit_record(*, action: str, object_type: str, object_id: object = "", study=None, request=None,
                 user=None, detail: dict | None = None) -> AuditEvent:
    """Append one event. ``request`` gives the user, address and request id; without one (a
    command) ``user`` may name who ran it. ``study`` is a Study or its slug.

    Runs inside the caller's transaction when there is one, so a change that is rolled back
    leaves no event claiming it happened."""
    if request is not None:
        user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        action=Action(action), object_type=object_type, object_id=str(object_id)[:200],
        study=getattr(study, "slug", study) or "", detail=detail or {},
        user_id=user.pk if user else None, username=user.get_username() if user else "",
        via=_via(request) if request is not None else "command",
        request_id=_request_id(request) if request is not None else "",
        ip=(client_address(request) or None) if request is not None else None,
    )
