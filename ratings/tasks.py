"""Celery tasks of the ratings app. Tasks are thin: they call a service and return."""

from celery import shared_task
from django.conf import settings

from ratings.llm import LlmPermanentError, LlmTransientError
from ratings.services.scoring import ScoringError, score_target, scoring_job_record_failure

# Failures that repeat identically on a retry: record them at once.
PERMANENT_ERRORS = (LlmPermanentError, ScoringError, ValueError, LookupError)


@shared_task(name="anchor.ping")
def ping_task() -> str:
    """Answer "pong": proves a worker takes tasks from the broker and stores results."""
    return "pong"


@shared_task(name="ratings.score_target", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def score_target_task(self, job_id: int, target_id: int) -> None:
    """Score one target for a job. Safe to redeliver: ``score_target`` is idempotent.

    A transient failure (a busy model server, a locked database) is retried with backoff up to
    ``ANCHOR_LLM_MAX_RETRIES`` times; then, or at once for a permanent failure, the target is
    recorded as failed in the job, and its rating stays missing.
    """
    try:
        score_target(job_id=job_id, target_id=target_id)
    except PERMANENT_ERRORS as exc:
        scoring_job_record_failure(job_id=job_id, target_id=target_id, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - anything else may pass: retry, bounded
        if self.request.retries >= settings.ANCHOR_LLM_MAX_RETRIES:
            scoring_job_record_failure(job_id=job_id, target_id=target_id,
                                       error=f"{type(exc).__name__} after {self.request.retries} retries: {exc}")
            return
        retry_in = 2 ** self.request.retries * (5 if isinstance(exc, LlmTransientError) else 1)
        raise self.retry(exc=exc, countdown=retry_in) from exc
