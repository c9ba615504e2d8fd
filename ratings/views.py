"""Web pages of the ratings app."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .selectors import scoring_job_progress, scoring_jobs_for_user


@login_required
def scoring_job_detail(request, job_id: int):
    """A job's live progress; the page polls the API, so both always show the same numbers."""
    job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
    return render(request, "ratings/scoring_job.html", {"job": scoring_job_progress(job)})
