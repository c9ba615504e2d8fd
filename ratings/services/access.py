"""Reads that are recorded: material shown, ratings exported. The interfaces that serve them
call these (never the audit log itself), so every side effect of a request lives in services."""

from audit.actor import Actor
from audit.services import access_record


def material_viewed(*, actor: Actor, study, object_id: object, detail: dict | None = None) -> None:
    """Someone was shown the text of target(s) ``object_id`` of ``study``."""
    access_record(actor=actor, action="view", object_type="material", object_id=object_id, study=study,
                  detail=detail)


def ratings_exported(*, actor: Actor, study, object_id: object = "", detail: dict | None = None) -> None:
    """Someone downloaded ratings of ``study`` (a study's export, a job's results)."""
    access_record(actor=actor, action="export", object_type="ratings", object_id=object_id, study=study,
                  detail=detail)
