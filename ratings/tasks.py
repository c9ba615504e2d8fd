"""Celery tasks of the ratings app. Tasks are thin: they call a service and return."""

from celery import shared_task


@shared_task(name="anchor.ping")
def ping_task() -> str:
    """Answer "pong": proves a worker takes tasks from the broker and stores results."""
    return "pong"
