"""Is any worker taking a job's tasks? The hint the job page, the API and `score --wait` show.

Workers report a heartbeat to the database (``WorkerHeartbeat``, with the queues they serve);
a worker that has reported in the last three heartbeat periods and serves the scoring queue is
listening. No broadcast is needed, so a ``--pool=solo`` worker busy with a long target still
counts, and the hint never waits on the broker.
"""

from django.utils import timezone

from .models import ScoringTask
from .services.jobs import score_queue
from .services.reconciler import live_workers

WORKER_COMMAND = "celery -A config worker -Q default,llm --concurrency=1"


def scoring_queue() -> str:
    """The queue scoring tasks go to (``CELERY_TASK_ROUTES``)."""
    return score_queue()


def listening_workers(*, queue: str) -> list[str]:
    """The host names of the live workers that serve ``queue``."""
    return sorted(w.hostname for w in live_workers(queue=queue))


def worker_hint(job) -> str | None:
    """A sentence when no live worker serves the queue of ``job``'s tasks, else None.

    Only while the job is unfinished: once it is done, failed or cancelled there is nothing to
    wait for; and not while a worker holds one of its targets under a live lease (it is being
    scored, whatever the heartbeats say)."""
    if job.status not in ("queued", "running") or not job.total:
        return None
    if ScoringTask.objects.filter(job_id=job.pk, state=ScoringTask.State.RUNNING,
                                  lease_until__gt=timezone.now()).exists():
        return None
    queue = scoring_queue()
    if listening_workers(queue=queue):
        return None
    others = sorted(w.hostname for w in live_workers(queue=None))
    who = (f"{len(others)} live worker(s), none serving queue {queue!r}" if others
           else "no worker has reported a heartbeat recently")
    return (f"No worker is listening to queue {queue!r} ({who}): the job's tasks wait there until one does. "
            f"Start a worker that serves every queue: {WORKER_COMMAND}")
