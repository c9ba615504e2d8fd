"""Deleting a study's material on request (a participant withdraws, a retention period ends).

Removes every target's text, its content hash and its metadata (which may identify a person),
the texts of its segments (utterances; their ids, order and speaker roles stay, with every code),
the LLM's free-text rationales (which may quote the material), and the edited material of the
study's content-edit robustness runs (``Rater.perturbation["edits"]``). Kept: the targets' ids and
numeric outcome criteria, the assignments, and every rating with its item scores, so the
study's report (reliability, agreement, validity) is still computed from the same numbers.
"""

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from audit.actor import Actor
from audit.services import audit_record
from ratings.models import ItemScore, Rater, Segment, Study, Target

# Sent inside the deleting transaction, so apps that keep their own copies of material (the
# novelty pipeline's artefacts quote the paper) delete them too, without ratings importing them.
study_material_deleted = Signal()  # kwargs: study


@transaction.atomic
def study_material_delete(*, study: Study, actor: Actor | None = None) -> int:
    """Blank the texts and metadata of ``study``'s targets; returns how many targets. On SQLite,
    ``secure_delete`` makes the database overwrite the freed bytes instead of leaving them in
    free pages of the file."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")
    study = Study.objects.select_for_update().get(pk=study.pk)
    n = Target.objects.filter(study=study).update(text="", text_sha256="", metadata={})
    Segment.objects.filter(target__study=study).update(text="", text_sha256="")
    ItemScore.objects.filter(rating__target__study=study).exclude(rationale="").update(rationale="")
    _delete_edited_material(study)
    study_material_deleted.send(sender=Study, study=study)
    study.material_deleted_at = timezone.now()
    study.save(update_fields=["material_deleted_at"])
    if actor is not None:
        audit_record(actor=actor, action="delete", object_type="material", study=study, detail={"targets": n})
    return n


def _delete_edited_material(study: Study) -> None:
    """Blank the edited texts of the content-edit raters that scored this study; the target ids
    stay (they say which targets the run scored, and the report counts them)."""
    ids = set(Rater.objects.filter(scoring_jobs__study=study, perturbation__has_key="edits")
              .values_list("pk", flat=True))
    for rater in Rater.objects.filter(pk__in=ids).select_for_update():
        edits = rater.perturbation.get("edits") or {}
        rater.perturbation = {**rater.perturbation, "edits": dict.fromkeys(edits, "")}
        rater.save(update_fields=["perturbation"])
