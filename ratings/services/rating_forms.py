"""A human rater filling in an instrument: drafts, submission, and a manager reopening it."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from audit.actor import Actor
from audit.services import audit_record
from ratings.models import Assignment, ItemScore, Rating

from .pipelines import pipeline_review_context


@dataclass
class RatingFormError(ValueError):
    """What stops a submission, per item code (e.g. a required item left unanswered)."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{code}: {message}" for code, message in self.errors.items())


# Time on the form, as the form's script reports it, is kept between 0 and this (a day): a
# draft saying "1e309" (infinite) or years would make the study's time-on-form meaningless.
MAX_SECONDS_ON_FORM = 24 * 3600.0


def bounded_seconds(value) -> float | None:
    """``value`` as seconds on the form, within [0, MAX_SECONDS_ON_FORM]; None if not a finite number."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_SECONDS_ON_FORM)


class RatingLocked(ValueError):
    """The rating was submitted; only a manager reopening it makes it editable again."""


def _clean(assignment: Assignment, answers: Mapping[str, object]) -> tuple[dict[str, int], dict[str, str]]:
    spec = assignment.instrument_version.spec
    values, errors = {}, {}
    for item in spec.items:
        raw = answers.get(item.code)
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            errors[item.code] = f"{raw!r} is not a point of this scale"
            continue
        if not item.scale.admits(value):
            errors[item.code] = f"{value} is not a point of this scale"
        else:
            values[item.code] = value
    unknown = set(answers) - set(spec.item_codes)
    for code in sorted(unknown):
        errors[code] = "not an item of this instrument"
    return values, errors


def _save(assignment: Assignment, values: dict[str, int], seconds_spent: float | None) -> Rating:
    rating, _ = Rating.objects.select_for_update().get_or_create(
        rater=assignment.rater, target=assignment.target, instrument_version=assignment.instrument_version,
        defaults={"source": Rating.Source.FORM, "status": Rating.Status.DRAFT},
    )
    if rating.status == Rating.Status.SUBMITTED:
        raise RatingLocked("this rating was submitted and is locked")
    items = {i.code: i for i in assignment.instrument_version.items.all()}
    current = {s.item.code: s for s in rating.item_scores.select_related("item")}
    for code, score in current.items():
        if code not in values:
            score.delete()
    for code, value in values.items():
        if code in current:
            if current[code].score != value:
                ItemScore.objects.filter(pk=current[code].pk).update(score=value)
        else:
            ItemScore.objects.create(rating=rating, item=items[code], score=value)
    seconds_spent = bounded_seconds(seconds_spent)
    if seconds_spent is not None:
        previous = bounded_seconds(rating.seconds_spent) or 0.0
        rating.seconds_spent = max(seconds_spent, previous)
    rating.save()
    return rating


@transaction.atomic
def rating_draft_save(*, assignment: Assignment, answers: Mapping[str, object],
                      seconds_spent: float | None = None) -> Rating:
    """Store the answers so far as a draft (invalid answers are left out, never guessed)."""
    values, _ = _clean(assignment, answers)
    rating = _save(assignment, values, seconds_spent)
    if assignment.status == Assignment.Status.PENDING:
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.IN_PROGRESS)
    return rating


def items_waived(assignment: Assignment) -> frozenset[str]:
    """Human-only items of a pipeline instrument that may be left blank for this target: they
    ask about the pipeline's output (e.g. "does its reasoning align with yours?"), which does not
    exist while the pipeline has not run on it."""
    version = assignment.instrument_version
    if version.kind != "pipeline":
        return frozenset()
    review = pipeline_review_context(target=assignment.target, version=version)
    if review is not None and review.get("data") is not None:
        return frozenset()
    return frozenset(item.code for item in version.spec.items if item.raters == "human")


@transaction.atomic
def rating_submit(*, assignment: Assignment, answers: Mapping[str, object],
                  seconds_spent: float | None = None, actor: Actor | None = None) -> Rating:
    """Submit and lock the rating; ``RatingFormError`` names every item that stops it. The
    audit event is written in the same transaction: it exists if and only if the rating does."""
    values, errors = _clean(assignment, answers)
    waived = items_waived(assignment)
    for item in assignment.instrument_version.spec.items:
        if item.required and item.for_humans and item.code not in waived and item.code not in values \
                and item.code not in errors:
            errors[item.code] = "This item is required: choose one of the points."
    if errors:
        raise RatingFormError(errors)
    rating = _save(assignment, values, seconds_spent)
    rating.status, rating.submitted_at = Rating.Status.SUBMITTED, timezone.now()
    rating.save(update_fields=["status", "submitted_at", "updated_at"])
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.SUBMITTED)
    if actor is not None:
        audit_record(actor=actor, action="change", object_type="rating", object_id=rating.pk,
                     study=assignment.target.study, detail={"target": assignment.target.external_id,
                                                            "status": "submitted"})
    return rating


@transaction.atomic
def rating_reopen(*, rating: Rating, actor: Actor | None = None) -> Rating:
    """A manager makes a submitted rating editable again (its answers are kept as a draft)."""
    rating.status, rating.submitted_at = Rating.Status.DRAFT, None
    rating.save(update_fields=["status", "submitted_at", "updated_at"])
    Assignment.objects.filter(rater=rating.rater, target=rating.target,
                              instrument_version=rating.instrument_version).update(
        status=Assignment.Status.IN_PROGRESS)
    if actor is not None:
        audit_record(actor=actor, action="change", object_type="rating", object_id=rating.pk,
                     study=rating.target.study, detail={"status": "reopened"})
    return rating
