"""Writes of the reports app: report runs, computed inline or by a Celery worker, and cached.

A run is keyed by study, instrument version, options and the ratings' fingerprint
(unique in the database), so asking twice for the same report finds the same run, and a
changed rating makes a new one. Computing is idempotent: a redelivered task finds the run
done and returns.
"""

import hashlib
import json
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ratings.models import ItemScore, SegmentCode

from .build import DEFAULT_N_BOOT, study_report
from .models import ReportRun
from .selectors import ratings_fingerprint

DEFAULT_INLINE_MAX_SCORES = 5000
REQUEUE_AFTER = timedelta(minutes=10)


def report_options(*, cluster_field: str | None = None, seed: int = 0, n_boot: int | None = None) -> dict:
    """The options a report depends on, with the bootstrap default resolved from settings."""
    return {"cluster_field": cluster_field or None, "seed": int(seed),
            "n_boot": int(n_boot or getattr(settings, "ANCHOR_REPORT_N_BOOT", DEFAULT_N_BOOT))}


def _options_key(options: dict) -> str:
    return hashlib.sha256(json.dumps(options, sort_keys=True).encode("utf-8")).hexdigest()


class ReportOptionError(ValueError):
    """An option the study cannot have (a cluster field that no target carries)."""


def _check_cluster_field(study, cluster_field: str | None) -> None:
    if cluster_field is None:
        return
    fields = {key for metadata in study.targets.values_list("metadata", flat=True) for key in (metadata or {})}
    if cluster_field not in fields:
        shown = ", ".join(sorted(fields)[:20]) or "none"
        raise ReportOptionError(f"no target of the study has a metadata field {cluster_field!r} to cluster on "
                                f"(fields: {shown})")


def _inline(study, version, options: dict) -> bool:
    """Whether to compute in the request: the study's own report when small. Every variant
    (``?cluster=``) is computed by a worker, like a large report, so asking for many variants
    queues work instead of holding a web process for seconds each."""
    return options.get("cluster_field") is None and _small_enough_inline(study, version)


def _small_enough_inline(study, version) -> bool:
    limit = getattr(settings, "ANCHOR_REPORT_INLINE_MAX_SCORES", DEFAULT_INLINE_MAX_SCORES)
    scores = ItemScore.objects.filter(rating__target__study=study, rating__instrument_version=version).count()
    if version.kind == "coding":  # its ratings hold segment codes
        scores += SegmentCode.objects.filter(rating__target__study=study, rating__instrument_version=version).count()
    return scores <= limit


def report_run_get_or_start(*, study, version, options: dict, created_by=None) -> ReportRun:
    """The report run for the current ratings: the cached one, or a new one, computed here when
    the study is small (``ANCHOR_REPORT_INLINE_MAX_SCORES`` item scores, default 5,000) and
    otherwise by a Celery task enqueued on commit. A failed run is started again, and a run
    still queued after ten minutes is enqueued again (computing is idempotent). A variant with a
    cluster field is always computed by a worker; an unknown field raises ``ReportOptionError``."""
    _check_cluster_field(study, options.get("cluster_field"))
    key = dict(study=study, instrument_version=version, options_key=_options_key(options),
               fingerprint=ratings_fingerprint(study, version))
    run = ReportRun.objects.filter(**key).first()
    if run is None:
        try:
            with transaction.atomic():
                run = ReportRun.objects.create(**key, options=options, created_by=created_by)
        except IntegrityError:  # a concurrent request created it first
            return ReportRun.objects.get(**key)
    elif run.status == ReportRun.Status.FAILED:
        ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.QUEUED, error="", progress=0.0)
        run.refresh_from_db()
    elif run.status == ReportRun.Status.QUEUED and timezone.now() - run.created_at > REQUEUE_AFTER:
        pass  # its message may be lost (a broker without unacked copies): enqueue again, harmlessly
    else:
        return run
    if _inline(study, version, options):
        report_run_compute(run_id=run.pk)
        run.refresh_from_db()
        return run
    from .tasks import report_run_task

    transaction.on_commit(lambda: report_run_task.delay(run.pk))
    return run


def report_run_html(result: dict) -> str:
    """The report page of a result, with a placeholder where each view puts its CSV link."""
    from .render import TABLES_URL, render_html

    return render_html(result, tables_url=TABLES_URL)


def report_run_page(*, run: ReportRun, tables_url: str) -> str:
    """The cached page of a finished run with its CSV link; a run cached before pages were
    kept is rendered once and stored."""
    from django.utils.html import escape

    from .render import TABLES_URL

    html = run.html
    if not html:
        html = report_run_html(run.result)
        ReportRun.objects.filter(pk=run.pk).update(html=html)
    return html.replace(TABLES_URL, escape(tables_url))


def report_run_compute(*, run_id: int) -> None:
    """Compute a run's report, writing progress per section; idempotent (a done run returns).
    A failure is stored on the run (status failed, the error) rather than raised."""
    run = ReportRun.objects.select_related("study", "instrument_version").get(pk=run_id)
    if run.status == ReportRun.Status.DONE:
        return
    ReportRun.objects.filter(pk=run_id).update(status=ReportRun.Status.RUNNING, started_at=timezone.now())

    def progress(done: int, total: int, section: str) -> None:
        ReportRun.objects.filter(pk=run_id).update(progress=done / total, section=section)

    try:
        result = study_report(run.study, instrument_version=run.instrument_version, progress=progress,
                              **run.options)
    except Exception as exc:  # noqa: BLE001 - any failure ends the run with its reason
        ReportRun.objects.filter(pk=run_id).update(
            status=ReportRun.Status.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000])
        return
    progress(1, 1, "rendering")
    html = report_run_html(result)
    with transaction.atomic():
        ReportRun.objects.filter(pk=run_id).update(status=ReportRun.Status.DONE, result=result, html=html,
                                                   progress=1.0, section="done", finished_at=timezone.now())
        # older states of the same report are never read again
        ReportRun.objects.filter(study=run.study, instrument_version=run.instrument_version,
                                 options_key=run.options_key).exclude(pk=run_id).exclude(
            status__in=[ReportRun.Status.QUEUED, ReportRun.Status.RUNNING]).delete()


def report_viewed(*, actor, study, detail: dict) -> None:
    """Someone was shown a study's report (recorded in the audit log)."""
    from audit.services import access_record

    access_record(actor=actor, action="view", object_type="report", study=study, detail=detail)


def report_exported(*, actor, study, detail: dict) -> None:
    """Someone downloaded a study's report or its tables (recorded in the audit log)."""
    from audit.services import access_record

    access_record(actor=actor, action="export", object_type="report", study=study, detail=detail)
