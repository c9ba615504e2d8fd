"""The work of a scoring job as database state: one ``ScoringTask`` per target.

The database owns the work and the broker is only a wake-up. A task row is written in the
same transaction as its job; handing it to the broker happens after the commit and is
recorded (``enqueued_at``), so a broker that is down delays the work and never loses it: the
reconciler (``reconciler.py``) hands over what is due. A worker *claims* a task before it
scores: the claim takes a lease that the worker renews while it works; a lease that runs out
(the worker died) makes the task due again. A message delivered twice finds the task done or
leased and does nothing, so duplicates from the broker, the reconciler or ``--resume`` cost a
database query each and never a second rating.
"""

import logging
import math
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ratings.models import ScoringJob, ScoringTask

logger = logging.getLogger("ratings.jobs")

ACTIVE = (ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING)
State = ScoringTask.State


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    enqueued: int
    error: str = ""  # the broker's failure, when it refused a message (the rest wait for the next pass)


def lease_holder_gone(worker: str) -> bool:
    """True when the worker named ``worker`` (``name@host:pid``) ran on this host and its process
    is gone: its lease need not be waited out (a worker restarted by ``make run`` or systemd
    takes its dead predecessor's target at once). Elsewhere only the lease's end tells."""
    node, _, pid = worker.rpartition(":")
    host = node.rpartition("@")[2]
    if not pid.isdigit() or host not in (socket.gethostname(), socket.gethostname().split(".")[0]):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def score_queue() -> str:
    """The broker queue scoring tasks go to (``CELERY_TASK_ROUTES``)."""
    route = getattr(settings, "CELERY_TASK_ROUTES", {}).get("ratings.score_target", {})
    return route.get("queue", getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))


def lease_seconds() -> int:
    return settings.ANCHOR_JOB_LEASE_SECONDS


def scoring_tasks_create(*, job: ScoringJob, target_ids: Iterable[int]) -> int:
    """The task rows of a new job, all due (not yet handed to the broker). Runs in the job's
    transaction: a job and its work exist together or not at all."""
    tasks = [ScoringTask(job=job, target_id=pk) for pk in target_ids]
    ScoringTask.objects.bulk_create(tasks, batch_size=1000, ignore_conflicts=True)
    return len(tasks)


def scoring_tasks_enqueue_due(*, job_ids: Iterable[int] | None = None, chunk: int = 500) -> EnqueueResult:
    """Hand every due task (queued, not handed over) of the active jobs to the broker and
    record that it was. Stops at the first message the broker refuses and returns its error;
    those tasks stay due. Safe to run concurrently: rows being handed over by another caller
    are skipped (``skip_locked``), and a message sent twice is harmless (see module)."""
    from ratings.tasks import score_target_task

    sent = 0
    due = ScoringTask.objects.filter(state=State.QUEUED, enqueued_at__isnull=True, job__status__in=ACTIVE)
    if job_ids is not None:
        due = due.filter(job_id__in=list(job_ids))
    while True:
        with transaction.atomic():
            rows = list(due.select_for_update(skip_locked=True, of=("self",))
                        .order_by("job_id", "target_id").values_list("pk", "job_id", "target_id")[:chunk])
            if not rows:
                return EnqueueResult(sent)
            handed = []
            error = ""
            for pk, job_id, target_id in rows:
                try:
                    score_target_task.apply_async((job_id, target_id))
                except Exception as exc:  # noqa: BLE001 - any broker failure: the task stays due
                    error = f"{type(exc).__name__}: {exc}"
                    break
                handed.append(pk)
            ScoringTask.objects.filter(pk__in=handed).update(enqueued_at=timezone.now())
            sent += len(handed)
        if error:
            logger.error("the broker refused a scoring task (%d handed over, the rest wait for the "
                         "reconciler): %s", sent, error)
            ScoringJob.objects.filter(pk__in={job_id for _, job_id, _ in rows}, status__in=ACTIVE).update(
                stalled_reason=broker_down_reason(error), stalled_since=timezone.now())
            return EnqueueResult(sent, error)


def broker_down_reason(error: str) -> str:
    return (f"the broker refused the job's tasks ({error}); they are kept in the database and "
            "handed over as soon as the broker answers again")


def scoring_tasks_enqueue_on_commit(*, job_id: int) -> None:
    """After the current transaction commits, hand the job's due tasks to the broker. A broker
    failure is logged and shown on the job, never raised into the request that made the job."""

    def flush() -> None:
        try:
            scoring_tasks_enqueue_due(job_ids=[job_id])
        except Exception:  # noqa: BLE001 - e.g. the database went away: the reconciler retries
            logger.exception("handing job %s to the broker failed; the reconciler will retry", job_id)

    transaction.on_commit(flush)


@transaction.atomic
def scoring_task_claim(*, job_id: int, target_id: int, worker: str) -> ScoringTask | None:
    """Take the lease of one task before scoring it; None when there is nothing to do (the
    task is done or failed, another live worker holds it, the job ended or was cancelled).

    A job from before task rows existed gets its row here (every target of such a job was
    handed to the broker by the old code)."""
    job = ScoringJob.objects.filter(pk=job_id).only("status").first()
    if job is None or job.status not in ACTIVE:
        return None
    task, _ = ScoringTask.objects.select_for_update().get_or_create(
        job_id=job_id, target_id=target_id, defaults={"enqueued_at": timezone.now()})
    now = timezone.now()
    if task.state in (State.DONE, State.FAILED):
        return None
    if task.state == State.RUNNING and task.lease_until > now and task.worker != worker \
            and not lease_holder_gone(task.worker):
        return None  # another live worker has it (a duplicate message); its lease says so
    task.state, task.lease_until, task.worker = State.RUNNING, now + timedelta(seconds=lease_seconds()), worker
    task.attempts += 1
    task.started_at, task.items_done, task.items_total, task.progress_at = now, 0, 0, None  # this attempt's
    task.save(update_fields=["state", "lease_until", "worker", "attempts", "started_at", "items_done",
                             "items_total", "progress_at", "updated_at"])
    ScoringJob.objects.filter(pk=job_id, status=ScoringJob.Status.QUEUED).update(
        status=ScoringJob.Status.RUNNING, started_at=now)
    ScoringJob.objects.filter(pk=job_id).exclude(stalled_reason="").update(stalled_reason="", stalled_since=None)
    return task


def scoring_task_renew(*, task_id: int, worker: str) -> bool:
    """Extend the lease of a task this worker holds; False when it no longer holds it."""
    until = timezone.now() + timedelta(seconds=lease_seconds())
    return bool(ScoringTask.objects.filter(pk=task_id, state=State.RUNNING, worker=worker)
                .update(lease_until=until, updated_at=timezone.now()))


def scoring_task_progress_recorder(*, job_id: int, target_id: int,
                                   min_seconds: float | None = None) -> Callable[[int, int], None]:
    """A callback for the LLM backend (``ratings.llm.ItemProgress``) that records on the
    target's running task how many of its items are read: one UPDATE at most every
    ``min_seconds`` (``ANCHOR_JOB_PROGRESS_SECONDS``), and the first report always (it says how
    many items there are). Progress is advisory: a failed write is logged, never raised into the
    scoring."""
    min_seconds = settings.ANCHOR_JOB_PROGRESS_SECONDS if min_seconds is None else min_seconds
    last = {"at": -math.inf}

    def record(done: int, total: int) -> None:
        now = time.monotonic()
        if done and now - last["at"] < min_seconds:
            return
        last["at"] = now
        try:
            ScoringTask.objects.filter(job_id=job_id, target_id=target_id, state=State.RUNNING).update(
                items_done=done, items_total=total, progress_at=timezone.now())
        except DatabaseError as exc:
            logger.warning("job %s target %s: progress not recorded: %s", job_id, target_id, exc)

    return record


def scoring_task_release(*, task_id: int, worker: str, error: str, enqueued: bool, attempt_lost: bool) -> None:
    """Give a task back to the queue: ``enqueued`` when a message for it is already with the
    broker (Celery's retry), else it is due and the reconciler hands it over. ``attempt_lost``:
    the attempt counts towards ``ANCHOR_TASK_MAX_ATTEMPTS`` (a crash, not a busy model server)."""
    ScoringTask.objects.filter(pk=task_id, state=State.RUNNING, worker=worker).update(
        state=State.QUEUED, lease_until=None, error=error[:2000],
        attempts=F("attempts") if attempt_lost else F("attempts") - 1,
        enqueued_at=timezone.now() if enqueued else None, updated_at=timezone.now())


def scoring_task_mark(*, job_id: int, target_id: int, state: str, error: str = "") -> None:
    """Record a task's end in the caller's transaction (the rating's or the failure's)."""
    ScoringTask.objects.filter(job_id=job_id, target_id=target_id).update(
        state=state, lease_until=None, error=error, updated_at=timezone.now())


def scoring_tasks_requeue(*, job: ScoringJob, older_than=None) -> int:
    """Make the job's queued tasks due again (their messages may be lost); returns how many."""
    tasks = ScoringTask.objects.filter(job=job, state=State.QUEUED)
    if older_than is not None:
        tasks = tasks.filter(Q(enqueued_at__lt=older_than) | Q(enqueued_at__isnull=True))
    return tasks.update(enqueued_at=None)


def scoring_task_counts(job: ScoringJob) -> dict[str, int]:
    """How many of the job's tasks are in each state."""
    counts = dict.fromkeys(State.values, 0)
    for state, n in ScoringTask.objects.filter(job=job).values_list("state").annotate(n=Count("pk")):
        counts[state] = n
    return counts
