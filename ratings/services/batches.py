"""Batches submitted through the API: a study of their own, its targets and one scoring job."""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from audit.actor import Actor
from audit.services import audit_record
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.models import Batch, ScoringJob
from ratings.tabular import ImportRejected, Row, RowError

from .jobs import scoring_tasks_enqueue_due
from .scoring import ScoringError, llm_rater_get_or_create, scoring_job_start
from .studies import study_get_or_create
from .targets import targets_import


class UnknownInstrument(ScoringError):
    """No published instrument has the reference the batch names."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    job: ScoringJob
    created: bool


def batch_create(*, owner, instrument: str, items: list[dict], idempotency_key: str | None = None,
                 actor: Actor | None = None) -> BatchResult:
    """Create a study owned by ``owner`` with ``items`` as its targets and start the default LLM
    rater on it, with the audit event, in one transaction; the tasks are handed to the broker
    after the commit (a broker that is down delays them: they wait in the database).

    With an idempotency key, a retry returns the first batch's job (``created`` False): the key
    is unique per owner in the database, so two racing requests cannot both create a job. A
    retry also hands over the job's tasks that are still waiting, so the job it returns runs.
    """
    if idempotency_key:
        existing = _existing(owner, idempotency_key)
        if existing is not None:
            return _replayed(existing)
    try:
        return BatchResult(_create(owner=owner, instrument=instrument, items=items,
                                   idempotency_key=idempotency_key or None, actor=actor), created=True)
    except IntegrityError:
        existing = _existing(owner, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replayed(existing)


def _replayed(job: ScoringJob) -> BatchResult:
    scoring_tasks_enqueue_due(job_ids=[job.pk])
    job.refresh_from_db()
    return BatchResult(job, created=False)


def _existing(owner, key: str) -> ScoringJob | None:
    batch = Batch.objects.select_related("job").filter(owner=owner, idempotency_key=key).first()
    return batch.job if batch else None


@transaction.atomic
def _create(*, owner, instrument: str, items: list[dict], idempotency_key: str | None,
            actor: Actor | None) -> ScoringJob:
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
    batch = Batch.objects.create(owner=owner, idempotency_key=idempotency_key, job=job)
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="batch", object_id=batch.pk, study=study,
                     detail={"job": job.pk, "targets": job.total, "instrument": str(version),
                             "idempotency_key": bool(idempotency_key)})
    return job
