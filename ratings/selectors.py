"""Reads for the ratings app, always scoped to who asks."""

from typing import Literal

from django.db.models import QuerySet

from instruments.definition.scoring import subscale_scores

from .models import Assignment, Rating, ScoringJob


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


def rating_scale_scores(rating: Rating, *, basis: Literal["score", "expected"] = "score") -> dict[str, float | None]:
    """The rating's subscale scores under the instrument's rules (reverse keys, means or sums).

    ``basis="score"`` uses each item's chosen point (a human's answer, an LLM's mode);
    ``"expected"`` uses an LLM's probability-weighted expected scores (falling back to the
    point where an item has none, as for a human), so both are scored by the same rules.
    """
    values = {}
    for item_score in rating.item_scores.select_related("item"):
        expected = item_score.expected_score if basis == "expected" else None
        values[item_score.item.code] = item_score.score if expected is None else expected
    return subscale_scores(rating.instrument_version.spec, values)


def assignments_for_rater(*, user) -> QuerySet[Assignment]:
    """The signed-in rater's own assignments; nobody else's are ever in this queryset."""
    return (Assignment.objects.filter(rater__user=user, rater__kind="human")
            .select_related("target__study", "instrument_version__instrument", "rater")
            .order_by("target__study__slug", "target__external_id"))


def assignment_answers(assignment: Assignment) -> tuple[Rating | None, dict[str, int]]:
    """This rater's own rating of the assignment (draft or submitted) and its answers so far."""
    rating = Rating.objects.filter(rater=assignment.rater, target=assignment.target,
                                   instrument_version=assignment.instrument_version).first()
    if rating is None:
        return None, {}
    return rating, {s.item.code: int(s.score) for s in rating.item_scores.select_related("item")}


def studies_for_manager(*, user):
    """Studies a manager may run: staff see all, other managers the studies they created."""
    from .models import Study

    studies = Study.objects.prefetch_related("instrument_versions__instrument")
    return studies if user.is_staff else studies.filter(created_by=user)


def human_raters_with_accounts():
    """Human raters who can sign in and fill in forms (the ones a design can assign)."""
    from .models import Rater

    return Rater.objects.filter(kind=Rater.Kind.HUMAN, user__isnull=False).select_related("user")
