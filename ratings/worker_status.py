"""Is any Celery worker taking a job's tasks? A hint for the job page, the API and `score --wait`.

Asked with a broadcast (``inspect().active_queues()``) that waits ``ANSWER_SECONDS`` for replies,
cached for ``CACHE_SECONDS`` so a page polled every second does not ask every second. When the
broker cannot be asked (unreachable, or a transport without broadcast) there is no hint: saying
nothing beats a wrong warning.
"""

import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

ANSWER_SECONDS = 1.0
CACHE_SECONDS = 15
CACHE_KEY = "anchor:worker-queues"
WORKER_COMMAND = "celery -A config worker -Q default,llm --concurrency=1"


def scoring_queue() -> str:
    """The queue scoring tasks go to (``CELERY_TASK_ROUTES``)."""
    route = getattr(settings, "CELERY_TASK_ROUTES", {}).get("ratings.score_target", {})
    return route.get("queue") or getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")


def _quiet_hostname_warning(record: logging.LogRecord) -> bool:
    # kombu warns on every cloned connection of a broker URL without a host (filesystem://);
    # in `score --wait` that line would read like a problem when it is none.
    return not record.getMessage().startswith("No hostname was supplied")


logging.getLogger("kombu.connection").addFilter(_quiet_hostname_warning)


def _ask(timeout: float) -> dict[str, list[str]] | None:
    from config.celery import app

    try:
        with app.connection_for_read() as connection:
            if "fanout" not in connection.transport.implements.exchange_type:
                return None
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception as exc:  # noqa: BLE001 - any broker trouble means "cannot tell"
        log.info("cannot ask the workers which queues they serve: %s", exc)
        return None
    queues: dict[str, list[str]] = {}
    for worker, served in replies.items():
        for queue in served or []:
            queues.setdefault(queue.get("name", ""), []).append(worker)
    return {name: sorted(workers) for name, workers in queues.items()} | {"": sorted(replies)}


def listening_workers(*, timeout: float = ANSWER_SECONDS) -> dict[str, list[str]] | None:
    """Queue name -> the workers that serve it, and ``""`` -> every worker that answered;
    None when the workers cannot be asked. Cached for ``CACHE_SECONDS``."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        cached = {"queues": _ask(timeout)}
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    return cached["queues"]


def worker_hint(job) -> str | None:
    """A sentence when no worker is listening to the queue of ``job``'s tasks, else None.

    Only for a queued job that has not started: once a target is scored, a worker took it."""
    if job.status != "queued" or job.completed or job.failed or not job.total:
        return None
    workers = listening_workers()
    if workers is None:
        return None
    queue = scoring_queue()
    if workers.get(queue):
        return None
    answered = workers.get("", [])
    who = (f"{len(answered)} worker(s) answered, none serving queue {queue!r}" if answered
           else f"no Celery worker answered within {ANSWER_SECONDS:g} s; one busy with a task in "
                "--pool=solo cannot answer")
    return (f"No worker is listening to queue {queue!r} ({who}): the job's tasks wait there until one does. "
            f"Start a worker that serves every queue: {WORKER_COMMAND}")
