"""Storing one coder's codes of one target (a coding form's draft or submission, an LLM coder's
result): a rating of the coding instrument with one `SegmentCode` per coded (segment, code set)."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from instruments.models import InstrumentVersion
from ratings.models import Rater, Rating, ScoringJob, Segment, SegmentCode, Target


class CodingError(ValueError):
    """Codes that cannot be stored; the message names the segment and why."""


@dataclass(frozen=True, slots=True)
class SegmentCodeInput:
    """One code: the segment (its id in the target), the code set and the code; an LLM's
    ``distribution`` over the set's codes."""

    segment_id: str
    code_set: str
    code: str
    distribution: dict[str, float] | None = None


def applicable_segments(target: Target, version: InstrumentVersion) -> list[tuple[Segment, tuple]]:
    """The target's segments in order, each with the code sets that apply to its speaker (segments
    no code set applies to are left out: nothing is asked of them, and nothing is missing)."""
    spec = version.spec
    out = []
    for segment in target.segments.order_by("position"):
        code_sets = spec.code_sets_for(segment.speaker)
        if code_sets:
            out.append((segment, code_sets))
    return out


def _checked(target: Target, version: InstrumentVersion, codes: Sequence[SegmentCodeInput]) -> list[SegmentCode]:
    spec = version.spec
    segments = {s.external_id: s for s in target.segments.all()}
    rows, seen = [], set()
    for entry in codes:
        segment = segments.get(entry.segment_id)
        if segment is None:
            raise CodingError(f"segment {entry.segment_id!r} is not a segment of target {target.external_id!r}")
        try:
            code_set = spec.code_set(entry.code_set)
        except KeyError:
            raise CodingError(f"code set {entry.code_set!r} is not in {version}") from None
        if not code_set.applies_to(segment.speaker):
            raise CodingError(f"code set {code_set.code!r} does not apply to segment {segment.external_id!r} "
                              f"(speaker {segment.speaker!r})")
        if code_set.get(entry.code) is None:
            raise CodingError(f"code {entry.code!r} is not in code set {code_set.code!r}")
        if (segment.pk, code_set.code) in seen:
            raise CodingError(f"segment {segment.external_id!r} is coded twice in {code_set.code!r}")
        seen.add((segment.pk, code_set.code))
        rows.append(SegmentCode(segment=segment, code_set=code_set.code, code=entry.code,
                                distribution=entry.distribution))
    return rows


@transaction.atomic
def coding_rating_save(*, rater: Rater, target: Target, instrument_version: InstrumentVersion,
                       codes: Sequence[SegmentCodeInput], source: str, submit: bool = True,
                       scoring_job: ScoringJob | None = None, provenance: dict | None = None,
                       seconds_spent: float | None = None) -> Rating:
    """Create or replace ``rater``'s codes of ``target`` (a draft, or submitted with ``submit``).
    ``CodingError`` names a bad code. Idempotent, and all or nothing (one transaction):

    - a form's (no ``scoring_job``) submitted rating is never changed and is returned as it is,
      so a double-clicked submit stores nothing twice;
    - an LLM job's codes replace the rater's earlier codes of the target unless that job stored
      them: a rerun by a later job replaces, as a scale job's rating does
      (``scoring._store``), and a redelivered task of the same job finds its rating and returns.
    """
    if instrument_version.kind != InstrumentVersion.Kind.CODING:
        raise CodingError(f"{instrument_version} is not a coding instrument")
    rating = (Rating.objects.select_for_update()
              .filter(rater=rater, target=target, instrument_version=instrument_version).first())
    if rating is not None and rating.status == Rating.Status.SUBMITTED and (
            scoring_job is None or rating.scoring_job_id == scoring_job.pk):
        return rating
    rows = _checked(target, instrument_version, codes)
    now = timezone.now()
    if rating is None:
        rating = Rating(rater=rater, target=target, instrument_version=instrument_version)
    rating.source = source
    rating.status = Rating.Status.SUBMITTED if submit else Rating.Status.DRAFT
    rating.submitted_at = now if submit else None
    rating.scoring_job = scoring_job
    rating.provenance = provenance or {}
    rating.seconds_spent = seconds_spent
    rating.full_clean()
    rating.save()
    SegmentCode.objects.filter(rating=rating).delete()
    for row in rows:
        row.rating = rating
    SegmentCode.objects.bulk_create(rows)
    return rating
