"""Recording audit events. Only services call ``audit_record``: each records the event of the
change it makes inside that change's transaction (the event exists if and only if the change
does), or the event of a read it serves (a view of material, an export)."""

from .actor import Actor
from .models import AuditEvent

Action = AuditEvent.Action


def audit_record(*, action: str, object_type: str, object_id: object = "", study=None, actor: Actor | None = None,
                 request=None, user=None, detail: dict | None = None) -> AuditEvent:
    """Append one event by ``actor`` (or, for older callers, the actor of ``request``, else a
    command run by ``user``). ``study`` is a Study or its slug.

    Runs inside the caller's transaction when there is one, so a change that is rolled back
    leaves no event claiming it happened."""
    if actor is None:
        actor = Actor.from_request(request) if request is not None else Actor.command(user)
    user = actor.user
    return AuditEvent.objects.create(
        action=Action(action), object_type=object_type, object_id=str(object_id)[:200],
        study=getattr(study, "slug", study) or "", detail=detail or {},
        user_id=user.pk if user else None, username=user.get_username() if user else "",
        via=actor.via, request_id=actor.request_id, ip=actor.ip,
    )


def audit_log_viewed(*, actor: Actor, filters: dict) -> None:
    """Reading the log is itself recorded, so who looked at who looked is on record too."""
    audit_record(actor=actor, action="view", object_type="audit", detail=filters)


def audit_log_exported(*, actor: Actor, filters: dict, fmt: str) -> None:
    audit_record(actor=actor, action="export", object_type="audit", detail={**filters, "format": fmt})


def access_record(*, actor: Actor, action: str, object_type: str, object_id: object = "", study=None,
                  detail: dict | None = None) -> None:
    """Record a read a service serves (``view`` or ``export`` of material, ratings, a report):
    the services of each app call this for the reads their interfaces show."""
    if action not in (Action.VIEW, Action.EXPORT):
        raise ValueError(f"access_record records reads; a {action!r} is recorded by the service that makes it")
    audit_record(actor=actor, action=action, object_type=object_type, object_id=object_id, study=study,
                 detail=detail)
