"""Reads for reports, scoped to who asks."""

import hashlib
import json

from django.http import Http404

from instruments.models import InstrumentVersion
from ratings.models import Study
from ratings.selectors import studies_for_user


def reportable_studies(*, user):
    """Studies whose report ``user`` may read: the ones ``studies_for_user`` shows them."""
    return studies_for_user(user=user)


def report_instrument_version(study: Study, reference: str | None = None) -> InstrumentVersion:
    """The study's instrument version named by ``reference`` (``slug`` or ``slug@version``),
    or its only one; ``ValueError`` with a sentence when that is ambiguous or unknown."""
    versions = list(study.instrument_versions.select_related("instrument").order_by("-published_at"))
    if reference:
        slug, _, version = reference.partition("@")
        versions = [v for v in versions if v.instrument.slug == slug and version in ("", v.version)]
        if not versions:
            raise ValueError(f"The study does not use an instrument {reference!r}.")
        return versions[0]
    if not versions:
        raise ValueError("The study uses no instrument yet.")
    if len({v.instrument.slug for v in versions}) > 1:
        raise ValueError("The study uses several instruments: name one (--instrument SLUG).")
    return versions[0]


def report_study_for_user(*, user, slug: str) -> Study:
    """The study, if ``user`` may read its report; otherwise 404, as if it did not exist."""
    study = reportable_studies(user=user).filter(slug=slug).first()
    if study is None:
        raise Http404("No such study.")
    return study


def ratings_fingerprint(study: Study, version: InstrumentVersion) -> str:
    """A hash of everything a report of ``study`` reads, cheap to compute: the ratings (count,
    statuses, last change), their item scores (count, sums), the targets' criteria and metadata,
    and the scoring jobs' failures. Any change to a rating, score, criterion or failed target
    changes the fingerprint, and so invalidates a cached report."""
    from django.db.models import Count, Max, Q, Sum

    from ratings.models import ItemScore, Rating, ScoringJob

    from .build import REPORT_VERSION

    ratings = Rating.objects.filter(target__study=study, instrument_version=version)
    state = {
        "report_version": REPORT_VERSION,
        "ratings": ratings.aggregate(n=Count("pk"), submitted=Count("pk", filter=Q(status="submitted")),
                                     last=Max("updated_at"), ids=Sum("pk")),
        "scores": ItemScore.objects.filter(rating__in=ratings).aggregate(
            n=Count("pk"), ids=Sum("pk"), score=Sum("score"), expected=Sum("expected_score")),
        "jobs": ScoringJob.objects.filter(study=study, instrument_version=version).aggregate(
            n=Count("pk"), failed=Sum("failed"), completed=Sum("completed")),
        "targets": list(study.targets.order_by("pk").values_list("external_id", "criteria", "metadata")),
    }
    if version.kind == "coding":  # a coding instrument's ratings hold segment codes, not item scores
        from ratings.models import Segment, SegmentCode

        state["codes"] = SegmentCode.objects.filter(rating__in=ratings).aggregate(n=Count("pk"), ids=Sum("pk"))
        state["segments"] = Segment.objects.filter(target__study=study).aggregate(n=Count("pk"), ids=Sum("pk"))
    text = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def report_runs_for_user(*, user):
    """Report runs of the studies ``user`` may read."""
    from .models import ReportRun

    return ReportRun.objects.filter(study__in=reportable_studies(user=user)).select_related(
        "study", "instrument_version")
