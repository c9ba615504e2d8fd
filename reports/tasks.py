"""Celery tasks of the reports app; thin, over an idempotent service."""

from celery import shared_task

from .services import report_run_compute


@shared_task(name="reports.compute_report", acks_late=True, reject_on_worker_lost=True)
def report_run_task(run_id: int) -> None:
    """Compute one report run. Safe to redeliver: a run already done is left as it is."""
    report_run_compute(run_id=run_id)
