"""Batches submitted through the API: a study of their own, its targets and one scoring job."""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.models import Batch, ScoringJob
from ratings.tabular import ImportRejected, Row, RowError

from .scoring import ScoringError, llm_rater_get_or_create, scoring_job_start
from .studies import study_get_or_create
from .targets import targets_import


class UnknownInstrument(ScoringError):
    """No published instrument has the reference the batch names."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    job: ScoringJob
    created: bool


def batch_create(*, owner, instrument: str, items: list[dict], idempotency_key: str | None = None) -> BatchResult:
    """Create a study owned by ``owner`` with ``items`` as its targets and start the default LLM
    rater on it; the tasks are enqueued on commit.

    With an idempotency key, a retry returns the first batch's job (``created`` False): the key
    is unique per owner in the database, so two racing requests cannot both create a job.
    """
    if idempotency_key:
        existing = _existing(owner, idempotency_key)
        if existing is not None:
            return BatchResult(existing, created=False)
    try:
        return BatchResult(_create(owner=owner, instrument=instrument, items=items,
                                   idempotency_key=idempotency_key or None), created=True)
    except IntegrityError:
        existing = _existing(owner, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return BatchResult(existing, created=False)


def _existing(owner, key: str) -> ScoringJob | None:
    batch = Batch.objects.select_related("job").filter(owner=owner, idempotency_key=key).first()
    return batch.job if batch else None


@transaction.atomic
def _create(*, owner, instrument: str, items: list[dict], idempotency_key: str | None) -> ScoringJob:
    try:
        version = instrument_version_get(reference=instrument)
    except InstrumentVersion.DoesNotExist:
        raise UnknownInstrument(f"no published instrument {instrument!r}") from None
    if version.kind != InstrumentVersion.Kind.SCALE:
        raise ScoringError(f"{version} is a {version.kind} instrument; the LLM rater scores scale instruments")
    if not items:
        raise ImportRejected([RowError(0, "the batch has no items")])
    study, _ = study_get_or_create(slug=f"batch-{uuid.uuid4().hex[:16]}", title=f"API batch ({version})",
                                   created_by=owner)
    rows = [Row(number, dict(item)) for number, item in enumerate(items, start=1)]
    targets_import(study=study, rows=rows, fmt="jsonl")
    job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(), created_by=owner)
    Batch.objects.create(owner=owner, idempotency_key=idempotency_key, job=job)
    return job
