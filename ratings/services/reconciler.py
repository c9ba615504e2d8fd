"""The reconciler: one pass brings every unfinished job's broker state in line with its
database state (``jobs.py``). Run periodically by Celery beat in production
(``ratings.reconcile_jobs``), by ``make run``'s loop in development, and once by
``manage.py reconcile_jobs``; every run is the same function, and passes may overlap.

One pass, for the active jobs:

1. a running task whose lease ran out (its worker died, hung past the time limit, lost its
   database) is queued again and due, or failed with the reason after
   ``ANCHOR_TASK_MAX_ATTEMPTS`` lost attempts;
2. due tasks (never handed to the broker, or whose message is presumed lost) are handed over;
3. a job whose tasks have all ended is finished (done, or failed when nothing was scored);
4. a job with waiting work that nobody takes is marked *stalled* with the reason (no live
   worker on its queue, the broker refuses messages, or workers are alive and idle, in which
   case the messages are sent again); the mark is cleared as soon as the job moves.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ratings.models import ScoringJob, ScoringTask, WorkerHeartbeat

from .jobs import (
    ACTIVE, State, lease_holder_gone, score_queue, scoring_task_counts, scoring_tasks_enqueue_due, scoring_tasks_requeue,
)
from .scoring import _finish_if_complete, scoring_job_record_failure

logger = logging.getLogger("ratings.jobs")


@dataclass(slots=True)
class ReconcileReport:
    leases_expired: int = 0
    failed: int = 0
    enqueued: int = 0
    finished: list[int] = field(default_factory=list)
    stalled: dict[int, str] = field(default_factory=dict)
    broker_error: str = ""

    def summary(self) -> str:
        stalled = "; ".join(f"job {pk} stalled: {reason}" for pk, reason in self.stalled.items())
        return (f"{self.leases_expired} leases expired, {self.failed} targets failed, {self.enqueued} tasks "
                f"handed to the broker, {len(self.finished)} jobs finished"
                + (f"; {stalled}" if stalled else ""))


def live_workers(*, queue: str | None, now=None) -> list[WorkerHeartbeat]:
    """Workers that reported in the last three heartbeats and take ``queue`` (None: any queue)."""
    now = now or timezone.now()
    since = now - timedelta(seconds=3 * settings.ANCHOR_WORKER_HEARTBEAT_SECONDS)
    return [w for w in WorkerHeartbeat.objects.filter(last_seen__gte=since) if queue is None or queue in w.queues]


def jobs_reconcile(*, now=None) -> ReconcileReport:
    """One pass over the unfinished jobs (see module). Idempotent; safe beside another pass."""
    now = now or timezone.now()
    report = ReconcileReport()
    _expire_leases(now, report)
    result = scoring_tasks_enqueue_due()
    report.enqueued, report.broker_error = result.enqueued, result.error
    for job in ScoringJob.objects.filter(status__in=ACTIVE).order_by("pk"):
        counts = scoring_task_counts(job)
        if counts[State.QUEUED] == 0 and counts[State.RUNNING] == 0:
            if sum(counts.values()):  # every task ended: finish (a job without task rows is older code's)
                _finish_if_complete(job.pk)
                report.finished.append(job.pk)
            continue
        reason = _stall_reason(job, counts, now, report.broker_error)
        if reason:
            report.stalled[job.pk] = reason
        _set_stalled(job, reason, now)
    if report.leases_expired or report.failed or report.stalled:
        logger.warning("reconcile_jobs: %s", report.summary())
    return report


def _expire_leases(now, report: ReconcileReport) -> None:
    max_attempts = settings.ANCHOR_TASK_MAX_ATTEMPTS
    with transaction.atomic():
        running = (ScoringTask.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(state=State.RUNNING, job__status__in=ACTIVE))
        for task in running:
            if task.lease_until >= now and not lease_holder_gone(task.worker):
                continue
            what = (f"the worker {task.worker or '?'} stopped while scoring it ("
                    + ("its process is gone" if task.lease_until >= now else
                       f"its lease ran out at {task.lease_until:%Y-%m-%d %H:%M:%S} UTC")
                    + ": killed, out of memory, past the time limit or cut off from the database)")
            report.leases_expired += 1
            if task.attempts >= max_attempts:
                report.failed += 1
                last = f"; last error: {task.error}" if task.error else ""
                scoring_job_record_failure(job_id=task.job_id, target_id=task.target_id,
                                           error=f"gave up after {task.attempts} attempts: {what}{last}")
                continue
            task.state, task.lease_until, task.enqueued_at = State.QUEUED, None, None
            task.error = what
            task.save(update_fields=["state", "lease_until", "enqueued_at", "error", "updated_at"])
    if report.leases_expired:
        logger.warning("reconcile_jobs: %d expired leases, tasks queued again", report.leases_expired)


def _stall_reason(job: ScoringJob, counts: dict, now, broker_error: str) -> str:
    stall_after = timedelta(seconds=settings.ANCHOR_STALL_AFTER_SECONDS)
    tasks = ScoringTask.objects.filter(job=job)
    if broker_error and tasks.filter(state=State.QUEUED, enqueued_at__isnull=True).exists():
        return (f"the broker refused the job's tasks ({broker_error}); they are kept in the database and handed "
                "over as soon as the broker answers again")
    last_move = tasks.aggregate(last=Max("updated_at"))["last"] or job.created_at
    if counts[State.RUNNING] or now - max(last_move, job.created_at) < stall_after:
        return ""
    queue = score_queue()
    workers = live_workers(queue=queue, now=now)
    if not workers:
        return (f"no worker takes the {queue!r} queue: {counts[State.QUEUED]} targets wait. Start one "
                f"(`celery -A config worker -Q {queue}`; `make run` starts one)")
    busy = ScoringTask.objects.filter(job__status__in=ACTIVE, updated_at__gte=now - stall_after).exists()
    if busy:
        return ""  # the queue's workers are working on other jobs' targets
    requeued = scoring_tasks_requeue(job=job, older_than=now - stall_after)
    if requeued:
        scoring_tasks_enqueue_due(job_ids=[job.pk])
    reported = "; ".join(f"{w.hostname}: {w.broker_error}" for w in workers if w.broker_error)
    return (f"{len(workers)} worker(s) take the {queue!r} queue but none has started a target for "
            f"{int(stall_after.total_seconds())} s; its {requeued} waiting messages were sent again"
            + (f" (the workers report: {reported})" if reported else ""))


def _set_stalled(job: ScoringJob, reason: str, now) -> None:
    if reason == job.stalled_reason:
        return
    ScoringJob.objects.filter(pk=job.pk, status__in=ACTIVE).update(
        stalled_reason=reason, stalled_since=(job.stalled_since or now) if reason else None)
