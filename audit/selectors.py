"""Reads of the audit log (for administrators only)."""

from django.db.models import QuerySet

from .models import AuditEvent

EXPORT_COLUMNS = ["at", "username", "user_id", "action", "object_type", "object_id", "study", "via",
                  "request_id", "ip", "detail"]


def audit_log_readable_by(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("audit.view_auditevent")))


def audit_events(*, study: str = "", username: str = "", action: str = "") -> QuerySet[AuditEvent]:
    """Events, newest first, filtered by study slug, user name and action when given."""
    events = AuditEvent.objects.all()
    if study:
        events = events.filter(study=study)
    if username:
        events = events.filter(username=username)
    if action:
        events = events.filter(action=action)
    return events


def audit_event_row(event: AuditEvent) -> dict:
    return {column: (event.at.isoformat() if column == "at" else getattr(event, column))
            for column in EXPORT_COLUMNS}
