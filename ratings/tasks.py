"""Celery tasks of the ratings app. Tasks are thin: they claim, call a service and return.

The database owns the work (ratings/services/jobs.py): a task first claims its target's lease,
so a duplicate message (a broker redelivery, the reconciler, ``--resume``) finds the target
done or held and returns. What the task cannot finish stays in the database, where the
reconciler finds it: nothing is acknowledged away.
"""

import logging
import os

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from ratings.llm import LlmPermanentError, LlmTransientError
from ratings.services.jobs import scoring_task_claim, scoring_task_release
from ratings.services.scoring import ScoringError, score_target, scoring_job_record_failure

logger = logging.getLogger("ratings.jobs")

# Failures that repeat identically on a retry and belong to the target or the setup (a model
# that cannot rate it, an instrument it cannot answer): recorded as the target's failure at once.
# A bare ValueError or LookupError is a bug in our code, not a fact about the target.
PERMANENT_ERRORS = (LlmPermanentError, ScoringError)
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_MAX_RETRIES = 20  # about a quarter of an hour of backoff, capped at a minute each


@shared_task(name="anchor.ping")
def ping_task() -> str:
    """Answer "pong": proves a worker takes tasks from the broker and stores results."""
    return "pong"


@shared_task(name="ratings.reconcile_jobs", ignore_result=True)
def reconcile_jobs_task() -> str:
    """One reconciler pass (Celery beat sends it every ``ANCHOR_RECONCILE_SECONDS``)."""
    from ratings.services.reconciler import jobs_reconcile

    return jobs_reconcile().summary()


def _backoff(retries: int, transient_llm: bool) -> int:
    return min(60, 2 ** retries * (5 if transient_llm else 1))


@shared_task(name="ratings.score_target", bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None, soft_time_limit=settings.ANCHOR_TASK_SOFT_TIME_LIMIT,
             time_limit=settings.ANCHOR_TASK_TIME_LIMIT)
def score_target_task(self, job_id: int, target_id: int) -> None:
    """Score one target for a job. Safe to deliver any number of times (see module).

    A failure of the target (permanent LLM error, over the soft time limit) is recorded as its
    failure with the reason. A busy model server is retried with backoff up to
    ``ANCHOR_LLM_MAX_RETRIES`` times, then recorded. A lost database is retried the same way and
    then left to the lease. Any other exception is a bug: it is logged with its traceback, the
    attempt counts as lost, and the target is tried again until ``ANCHOR_TASK_MAX_ATTEMPTS``.
    """
    from ratings.worker import lease_kept, soft_time_limit

    worker = f"{self.request.hostname or 'local'}:{os.getpid()}"  # one process runs one task at a time
    try:
        task = scoring_task_claim(job_id=job_id, target_id=target_id, worker=worker)
    except DATABASE_ERRORS as exc:
        _retry_or_leave(self, exc, job_id, target_id)
        return
    if task is None:
        return
    try:
        with lease_kept(task_id=task.pk, worker=worker), soft_time_limit(settings.ANCHOR_TASK_SOFT_TIME_LIMIT):
            score_target(job_id=job_id, target_id=target_id)
    except PERMANENT_ERRORS as exc:
        scoring_job_record_failure(job_id=job_id, target_id=target_id, error=f"{type(exc).__name__}: {exc}")
    except SoftTimeLimitExceeded:
        scoring_job_record_failure(job_id=job_id, target_id=target_id,
                                   error=f"took longer than the time limit of {settings.ANCHOR_TASK_SOFT_TIME_LIMIT} s")
    except DATABASE_ERRORS as exc:
        _retry_or_leave(self, exc, job_id, target_id)
    except LlmTransientError as exc:
        if self.request.retries >= settings.ANCHOR_LLM_MAX_RETRIES:
            scoring_job_record_failure(job_id=job_id, target_id=target_id,
                                       error=f"{type(exc).__name__} after {self.request.retries} retries: {exc}")
            return
        scoring_task_release(task_id=task.pk, worker=worker, error=str(exc), enqueued=True, attempt_lost=False)
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries, True)) from exc
    except Exception as exc:
        logger.exception("job %s target %s: internal error (a bug, not the target's fault)", job_id, target_id)
        scoring_task_release(task_id=task.pk, worker=worker, enqueued=False, attempt_lost=True,
                             error=f"internal error (a bug; see the worker log): {type(exc).__name__}: {exc}")
        raise


def _retry_or_leave(task, exc: Exception, job_id: int, target_id: int) -> None:
    """The database is unreachable: retry with backoff; past the limit, log and leave the
    target to its lease (the reconciler queues it again once the database is back)."""
    if task.request.retries >= DATABASE_MAX_RETRIES:
        logger.error("job %s target %s: the database stayed unreachable over %s retries (%s); the reconciler "
                     "queues it again when its lease runs out", job_id, target_id, task.request.retries, exc)
        return
    raise task.retry(exc=exc, countdown=_backoff(task.request.retries, False)) from exc
