"""Reads for the ratings app, always scoped to who asks."""

from django.db.models import QuerySet

from .models import ScoringJob


def scoring_jobs_for_user(*, user) -> QuerySet[ScoringJob]:
    """The jobs ``user`` may see: staff see all, anyone else the jobs they started."""
    jobs = ScoringJob.objects.select_related("study", "rater", "instrument_version__instrument")
    if user.is_staff:
        return jobs
    return jobs.filter(created_by=user)


def scoring_job_progress(job: ScoringJob) -> dict:
    """The job's progress as the web page and the API show it."""
    finished = job.completed + job.failed
    return {
        "id": job.pk,
        "study": job.study.slug,
        "instrument": str(job.instrument_version),
        "rater": job.rater.name,
        "status": job.status,
        "total": job.total,
        "completed": job.completed,
        "failed": job.failed,
        "progress": finished / job.total if job.total else 1.0,
        "errors": job.errors,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
