"""Scoring a study with an LLM rater: jobs, one idempotent unit of work per target.

A job has one task row per target (``jobs.py``: the database owns the work) and hands one
Celery message per target to the broker after its commit. ``score_target`` is safe to run any number of
times for the same (job, target): a redelivered message finds the rating already stored for
this job and returns without calling the model, and the store re-checks that under the job's
row lock, so a crash between scoring and storing loses nothing and duplicates nothing.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from audit.actor import Actor
from audit.services import audit_record
from instruments.models import InstrumentVersion
from ratings.llm import (
    PROMPT_VERSION, CodingResult, DecodingParams, LlmBackend, TargetRating, default_model_path, model_sha256,
    request_from_spec,
)
from ratings.encryption import perturbation_decrypted
from ratings.llm.perturbations import apply_perturbation
from ratings.models import ItemScore, Rater, Rating, ScoringJob, ScoringTask, Study, Target

from .coding import coding_rating_save
from .coding_scoring import code_target, coding_provenance, segment_code_inputs
from .jobs import (
    lease_holder_gone, scoring_task_mark, scoring_task_progress_recorder, scoring_tasks_create,
    scoring_tasks_enqueue_on_commit,
)
from .pipelines import PipelineOutcome, pipeline_runner_for
from .studies import study_use_instrument

MAX_ERROR_LENGTH = 2000
logger = logging.getLogger("ratings.jobs")


class ScoringError(ValueError):
    """A scoring request that cannot be carried out as asked (the message says why)."""


def llm_rater_get_or_create(*, name: str | None = None, model_path: str | None = None) -> Rater:
    """The LLM rater for a model file, created on first use with its provenance fields.

    A name stands for one configuration: reusing a name with another model, prompt template or
    decoding is refused, so a rater's ratings always come from one configuration.
    """
    model_path = model_path or settings.ANCHOR_LLM_MODEL
    path = Path(model_path).expanduser().resolve() if model_path else default_model_path()
    if not path.is_file():
        raise ScoringError(f"no model file at {path}")
    config = {"model_path": str(path), "model_sha256": model_sha256(path),
              "prompt_template_version": PROMPT_VERSION, "decoding": DecodingParams().as_dict(), "perturbation": {}}
    name = name or ("llm-" + slugify(path.stem))[:100]
    rater, created = Rater.objects.get_or_create(name=name, study=None, defaults={"kind": Rater.Kind.LLM, **config})
    if created:
        return rater
    if rater.kind != Rater.Kind.LLM:
        raise ScoringError(f"rater {name!r} is a human rater; choose another --rater name")
    current = {key: getattr(rater, key) for key in config}
    if current != config:
        changed = ", ".join(key for key in config if current[key] != config[key])
        raise ScoringError(f"LLM rater {name!r} exists with a different {changed}; choose another --rater name")
    return rater


@transaction.atomic
def scoring_job_start(*, study: Study, version: InstrumentVersion, rater: Rater, created_by=None,
                      subset: dict | None = None, actor: Actor | None = None,
                      audit_detail: dict | None = None) -> ScoringJob:
    """Create a job over every target of ``study`` (or the ``subset`` that `subset_choose`
    made) with its task rows, and hand the tasks to the broker after the commit (``jobs.py``).
    With an ``actor`` the audit event is part of the same transaction."""
    if rater.kind != Rater.Kind.LLM:
        raise ScoringError(f"rater {rater.name!r} is not an LLM rater")
    if version.kind == InstrumentVersion.Kind.PIPELINE and pipeline_runner_for(version.spec) is None:
        raise ScoringError(f"{version} is a {version.kind} instrument that no installed pipeline runner handles")
    if version.kind != InstrumentVersion.Kind.SCALE and rater.perturbation:
        raise ScoringError("robustness runs perturb scale instruments; a pipeline cannot be perturbed")
    if study.material_deleted_at is not None:
        raise ScoringError(f"the material of study {study.slug} was deleted; there is nothing to score")
    if study.raters.filter(name=rater.name).exists():
        raise ScoringError(f"study {study.slug} has an imported rater named {rater.name!r}; "
                           "choose another --rater name")
    target_ids = list(job_targets(study, rater, subset).order_by("pk").values_list("pk", flat=True))
    study_use_instrument(study=study, version=version)
    job = ScoringJob.objects.create(
        study=study, instrument_version=version, rater=rater, total=len(target_ids), created_by=created_by,
        subset=subset,
        status=ScoringJob.Status.QUEUED if target_ids else ScoringJob.Status.DONE,
        finished_at=None if target_ids else timezone.now(),
    )
    scoring_tasks_create(job=job, target_ids=target_ids)
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="job", object_id=job.pk, study=study,
                     detail={"rater": rater.name, "instrument": str(version), "targets": len(target_ids),
                             **(audit_detail or {})})
    scoring_tasks_enqueue_on_commit(job_id=job.pk)
    return job


def score_target(*, job_id: int, target_id: int, backend: LlmBackend | None = None) -> None:
    """Rate every item of one target for a job (on a coding instrument: code every applicable
    segment, the transcript read once) and store the rating (idempotent, see module)."""
    job = ScoringJob.objects.select_related("rater", "instrument_version").get(pk=job_id)
    if job.status == ScoringJob.Status.CANCELLED or _already_stored(job_id, target_id):
        return
    ScoringJob.objects.filter(pk=job_id, status=ScoringJob.Status.QUEUED).update(
        status=ScoringJob.Status.RUNNING, started_at=timezone.now())
    target = Target.objects.get(pk=target_id, study_id=job.study_id)
    if backend is None:
        from ratings.llm_settings import backend_for_rater

        backend = backend_for_rater(job.rater)
    version = job.instrument_version
    # The worker's task row says which item (segment) it is on (the job page's "item 4 of 10").
    progress = scoring_task_progress_recorder(job_id=job_id, target_id=target_id)
    if version.kind == InstrumentVersion.Kind.CODING:
        if not target.segments.exists():
            raise ScoringError(f"target {target.external_id} has no segments to code")
        result = code_target(target=target, version=version, backend=backend, progress=progress)
        _store_codes(job_id=job_id, target=target, result=result)
        return
    if version.kind == InstrumentVersion.Kind.PIPELINE:
        runner = pipeline_runner_for(version.spec)
        if runner is None:
            raise ScoringError(f"no installed pipeline runner handles {version}")
        outcome = runner.run(target=target, version=version, backend=backend)
    else:
        material_name = version.definition.get("material") or "material"
        request = request_from_spec(version.spec, material=target.text, material_name=material_name)
        if job.rater.perturbation:  # a robustness run: rate the perturbed request
            request = apply_perturbation(request, perturbation_decrypted(job.rater.perturbation),
                                         target=target.external_id)
        outcome = PipelineOutcome(backend.rate(request, progress=progress))
    _store(job_id=job_id, target=target, result=outcome.rating, outcome=outcome)


def job_targets(study: Study, rater: Rater, subset: dict | None = None):
    """The targets a job of ``rater`` scores: all of the study's (or the job's ``subset``), and,
    for a content-edit robustness rater, of those the ones it has an edited text for."""
    edits = (rater.perturbation or {}).get("edits")
    targets = study.targets.filter(external_id__in=list(edits)) if edits is not None else study.targets.all()
    return targets.filter(pk__in=subset["target_pks"]) if subset else targets


def _already_stored(job_id: int, target_id: int) -> bool:
    return Rating.objects.filter(scoring_job_id=job_id, target_id=target_id).exists()


def _clip(value: float, low: int, high: int) -> float:
    # Renormalised probabilities can put an expected score a rounding error past the scale.
    return min(max(value, float(low)), float(high))


def _provenance(job: ScoringJob, result: TargetRating) -> dict:
    return {
        **result.provenance.to_dict(),
        "instrument_version_hash": job.instrument_version.content_hash,
        "windows": [w.to_dict() for w in result.windows],
        "tokens_evaluated": result.tokens_evaluated,
        "material_tokens": result.material_tokens,
        "label_mass": {i.code: i.label_mass for i in result.items},
        "window_distributions": {i.code: [{str(k): p for k, p in d.items()} for d in i.window_distributions]
                                 for i in result.items if len(i.window_distributions) > 1},
    }


@transaction.atomic
def _store(*, job_id: int, target: Target, result: TargetRating, outcome: PipelineOutcome | None = None) -> None:
    job = ScoringJob.objects.select_for_update().select_related("instrument_version").get(pk=job_id)
    if job.status == ScoringJob.Status.CANCELLED or _already_stored(job_id, target.pk):
        return
    now = timezone.now()
    rating, _ = Rating.objects.update_or_create(
        rater_id=job.rater_id, target=target, instrument_version=job.instrument_version,
        defaults={"source": Rating.Source.LLM, "status": Rating.Status.SUBMITTED, "scoring_job": job,
                  "provenance": {**_provenance(job, result), **(outcome.provenance if outcome else {})},
                  "submitted_at": now,
                  "seconds_spent": result.elapsed_s},
    )
    rating.item_scores.all().delete()  # a rerun by a later job replaces the earlier scores
    items = {item.code: item for item in job.instrument_version.items.all()}
    ItemScore.objects.bulk_create(
        ItemScore(rating=rating, item=items[s.code], score=s.mode,
                  expected_score=_clip(s.expected, items[s.code].scale_min, items[s.code].scale_max),
                  distribution={str(k): p for k, p in s.distribution.items()}, rationale=s.rationale or "")
        for s in result.items
    )
    if outcome is not None:
        outcome.store(rating)
    scoring_task_mark(job_id=job_id, target_id=target.pk, state="done")
    ScoringJob.objects.filter(pk=job_id).update(completed=F("completed") + 1)
    _finish_if_complete(job_id)


@transaction.atomic
def _store_codes(*, job_id: int, target: Target, result: CodingResult) -> None:
    """The coder's codes as the job's rating of the target, under the job's row lock (the same
    re-check as ``_store``: a redelivered task or a cancelled job stores nothing)."""
    job = ScoringJob.objects.select_for_update().select_related("instrument_version", "rater").get(pk=job_id)
    if job.status == ScoringJob.Status.CANCELLED or _already_stored(job_id, target.pk):
        return
    coding_rating_save(rater=job.rater, target=target, instrument_version=job.instrument_version,
                       codes=segment_code_inputs(result), source=Rating.Source.LLM, submit=True, scoring_job=job,
                       provenance=coding_provenance(job, result), seconds_spent=result.elapsed_s)
    scoring_task_mark(job_id=job_id, target_id=target.pk, state="done")
    ScoringJob.objects.filter(pk=job_id).update(completed=F("completed") + 1)
    _finish_if_complete(job_id)


@transaction.atomic
def scoring_job_record_failure(*, job_id: int, target_id: int, error: str) -> None:
    """Record that a target could not be scored; its rating stays missing, never a default.
    Recording the same target twice counts it once."""
    job = ScoringJob.objects.select_for_update().get(pk=job_id)
    if any(e.get("target_id") == target_id for e in job.errors) or _already_stored(job_id, target_id):
        return
    external_id = Target.objects.filter(pk=target_id).values_list("external_id", flat=True).first()
    job.errors = [*job.errors, {"target_id": target_id, "target": external_id, "error": error[:MAX_ERROR_LENGTH]}]
    job.failed += 1
    job.save(update_fields=["errors", "failed"])
    scoring_task_mark(job_id=job_id, target_id=target_id, state="failed", error=error[:MAX_ERROR_LENGTH])
    logger.error("job %s: target %s (%s) failed: %s", job_id, external_id, target_id, error[:MAX_ERROR_LENGTH])
    _finish_if_complete(job_id)


def _finish_if_complete(job_id: int) -> None:
    job = ScoringJob.objects.get(pk=job_id)
    if job.completed + job.failed < job.total or job.status == ScoringJob.Status.CANCELLED:
        return
    job.status = ScoringJob.Status.FAILED if job.completed == 0 and job.total else ScoringJob.Status.DONE
    job.finished_at = timezone.now()
    job.stalled_reason, job.stalled_since = "", None
    job.save(update_fields=["status", "finished_at", "stalled_reason", "stalled_since"])


def scoring_job_resume(*, job: ScoringJob) -> int:
    """Hand to the broker again every target of an unfinished job that has neither a rating
    nor an error (and is not held by a live worker). The reconciler does this by itself for
    expired leases and lost messages; this is the operator's lever. Returns the number due."""
    if job.status not in (ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING):
        return 0
    from .jobs import scoring_tasks_enqueue_due

    with transaction.atomic():
        done = set(Rating.objects.filter(scoring_job=job).values_list("target_id", flat=True))
        done |= {e["target_id"] for e in job.errors}
        all_ids = list(job_targets(job.study, job.rater, job.subset).order_by("pk").values_list("pk", flat=True))
        scoring_tasks_create(job=job, target_ids=[pk for pk in all_ids if pk not in done])  # older jobs
        tasks = ScoringTask.objects.filter(job=job).exclude(target_id__in=done)
        for task in tasks.filter(state=ScoringTask.State.RUNNING):
            if task.lease_until < timezone.now() or lease_holder_gone(task.worker):
                ScoringTask.objects.filter(pk=task.pk, state=ScoringTask.State.RUNNING).update(
                    state=ScoringTask.State.QUEUED, lease_until=None)
        count = tasks.filter(state=ScoringTask.State.QUEUED).update(enqueued_at=None)
    scoring_tasks_enqueue_due(job_ids=[job.pk])
    return count


@transaction.atomic
def scoring_job_cancel(*, job: ScoringJob, actor: Actor | None = None) -> ScoringJob:
    """Stop a job: tasks not yet run return without scoring; stored ratings are kept."""
    updated = ScoringJob.objects.filter(pk=job.pk, status__in=[ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING])
    updated.update(status=ScoringJob.Status.CANCELLED, finished_at=timezone.now(), stalled_reason="",
                   stalled_since=None)
    job.refresh_from_db()
    if actor is not None:
        audit_record(actor=actor, action="change", object_type="job", object_id=job.pk, study=job.study,
                     detail={"status": job.status})
    return job
