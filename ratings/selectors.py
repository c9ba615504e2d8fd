"""Reads for the ratings app, always scoped to who asks."""

from typing import Literal

from django.db.models import Q, QuerySet
from django.utils import timezone

from instruments.definition.scoring import subscale_scores
from instruments.models import InstrumentVersion

from .models import Assignment, ItemScore, Rating, ScoringJob, ScoringTask, SegmentCode, Study, Target


def _sees_everything(user) -> bool:
    return bool(user.is_staff or user.is_superuser)


def studies_for_user(*, user) -> QuerySet[Study]:
    """The studies ``user`` may see: staff and superusers all, anyone else the studies they
    created or manage. Every read of a study goes through here, so another user's is a 404."""
    if not user.is_authenticated:
        return Study.objects.none()
    if _sees_everything(user):
        return Study.objects.all()
    managed = Study.managers.through.objects.filter(user_id=user.pk).values("study_id")
    return Study.objects.filter(Q(created_by=user) | Q(pk__in=managed))


def targets_for_user(*, user, study: Study | None = None) -> QuerySet[Target]:
    """Targets of the studies ``user`` may see (of one of them if ``study`` is given)."""
    targets = Target.objects.filter(study__in=studies_for_user(user=user)).select_related("study")
    return targets if study is None else targets.filter(study=study)


def scoring_jobs_for_user(*, user) -> QuerySet[ScoringJob]:
    """The jobs ``user`` may see: staff see all, anyone else the jobs they started or the jobs
    on studies they may see."""
    jobs = ScoringJob.objects.select_related("study", "rater", "instrument_version__instrument")
    if not user.is_authenticated:
        return jobs.none()
    if _sees_everything(user):
        return jobs
    return jobs.filter(Q(created_by=user) | Q(study__in=studies_for_user(user=user)))


def study_item_scores(*, study: Study) -> QuerySet[ItemScore]:
    """Every item score of ``study``'s ratings, with what an export names beside it."""
    return (ItemScore.objects.filter(rating__target__study=study)
            .select_related("rating__rater", "rating__target", "rating__instrument_version__instrument", "item")
            .order_by("rating__target__external_id", "rating__rater__name", "rating__instrument_version_id",
                      "item__position"))


def study_segment_codes(*, study: Study) -> QuerySet[SegmentCode]:
    """Every segment code of ``study``'s ratings of coding instruments, in transcript order."""
    return (SegmentCode.objects.filter(rating__target__study=study)
            .select_related("rating__rater", "rating__target", "rating__instrument_version__instrument", "segment")
            .order_by("rating__target__external_id", "rating__rater__name", "rating__instrument_version_id",
                      "segment__position", "code_set"))


def segment_code_row(code: SegmentCode) -> dict:
    """One segment code as the codes export shows it (the import's columns, and more)."""
    rating = code.rating
    return {
        "target_id": rating.target.external_id,
        "segment_id": code.segment.external_id,
        "position": code.segment.position,
        "speaker": code.segment.speaker,
        "rater_id": rating.rater.name,
        "rater_kind": rating.rater.kind,
        "instrument": str(rating.instrument_version),
        "instrument_version_hash": rating.instrument_version.content_hash,
        "code_set": code.code_set,
        "code": code.code,
        "distribution": code.distribution,
        "status": rating.status,
        "source": rating.source,
        "provenance": rating.provenance,
    }


def scoring_job_item_scores(*, job: ScoringJob) -> QuerySet[ItemScore]:
    """The item scores a job stored, in target order."""
    return (ItemScore.objects.filter(rating__scoring_job=job)
            .select_related("rating__rater", "rating__target", "rating__instrument_version__instrument", "item")
            .order_by("rating__target_id", "item__position"))


def item_score_row(score: ItemScore) -> dict:
    """One item score as exports and job results show it."""
    rating = score.rating
    return {
        "target": rating.target.external_id,
        "rater": rating.rater.name,
        "rater_kind": rating.rater.kind,
        "instrument": str(rating.instrument_version),
        "instrument_version_hash": rating.instrument_version.content_hash,
        "item": score.item.code,
        "score": score.score,
        "expected_score": score.expected_score,
        "distribution": score.distribution,
        "source": rating.source,
        "provenance": rating.provenance,
    }


def scoring_job_workers(job: ScoringJob) -> dict:
    """Who can take the job's work: the queue its targets go to, the live workers on it, and a
    hint when there are none (``worker_status``; shown while the job waits)."""
    from .worker_status import listening_workers, scoring_queue, worker_hint

    queue = scoring_queue()
    return {"queue": queue, "workers": listening_workers(queue=queue), "hint": worker_hint(job) or ""}


def scoring_job_running_targets(job: ScoringJob) -> list[dict]:
    """The job's targets that workers hold now, oldest claim first, with how many of their items
    the worker has read (``items_total`` 0: it has not yet said; written at most every
    ``ANCHOR_JOB_PROGRESS_SECONDS``, ``ratings.services.jobs.scoring_task_progress_recorder``)."""
    rows = (ScoringTask.objects.filter(job=job, state=ScoringTask.State.RUNNING).order_by("started_at", "pk")
            .values("target_id", "target__external_id", "started_at", "items_done", "items_total", "progress_at"))
    return [{"target_id": row["target_id"], "target": row["target__external_id"], "started_at": row["started_at"],
             "items_done": row["items_done"], "items_total": row["items_total"], "progress_at": row["progress_at"]}
            for row in rows]


def scoring_job_progress(job: ScoringJob, *, now=None) -> dict:
    """The job's progress as the web page and the API show it: the counts, each target's state
    (queued, running, done, failed), the targets being scored with their items read, why it is
    stalled when it is, the time elapsed since it started and an estimate of the time left.

    ``progress`` counts a running target by the share of its items read, so it moves within a
    target. The estimate is ``elapsed * (1 - progress) / progress`` (none before the first item
    is read): the first item of a target also reads its material, so early in a target it runs
    high and settles as items are read."""
    from .services.jobs import scoring_task_counts

    now = now or timezone.now()
    finished = job.completed + job.failed
    active = job.status in (ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING)
    running = scoring_job_running_targets(job) if active else []
    partial = sum(min(r["items_done"] / r["items_total"], 1.0) for r in running if r["items_total"])
    share = min((finished + partial) / job.total, 1.0) if job.total else 1.0
    end = job.finished_at if job.finished_at else now
    elapsed = (end - (job.started_at or job.created_at)).total_seconds() if job.started_at or not active else None
    estimate = elapsed * (1 - share) / share if active and elapsed is not None and share > 0 else None
    return {
        "id": job.pk,
        "study": job.study.slug,
        "instrument": str(job.instrument_version),
        "rater": job.rater.name,
        "status": job.status,
        "total": job.total,
        "completed": job.completed,
        "failed": job.failed,
        "progress": share,
        "errors": job.errors,
        "targets": scoring_task_counts(job),
        "running": running,
        "elapsed_s": elapsed,
        "estimate_s": estimate,
        "stalled": bool(job.stalled_reason) and active,
        "stalled_reason": job.stalled_reason if active else "",
        "stalled_since": job.stalled_since if active else None,
        "worker_hint": scoring_job_workers(job)["hint"] if active else "",
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


def studies_for_manager(*, user) -> QuerySet[Study]:
    """Studies a manager may run: the ones ``studies_for_user`` lets them see."""
    return studies_for_user(user=user).prefetch_related("instrument_versions__instrument")


def human_raters_with_accounts():
    """Human raters who can sign in and fill in forms (the ones a design can assign)."""
    from .models import Rater

    return Rater.objects.filter(kind=Rater.Kind.HUMAN, user__isnull=False).select_related("user")


def raters_for_manager(*, user):
    """The human raters ``user`` may assign: the ones they invited and the ones already assigned
    in studies they manage; staff, every human rater with an account. Another manager's
    invitees are never offered, so they never see this manager's studies in their queue."""
    from .models import Rater

    raters = human_raters_with_accounts()
    if not user.is_authenticated:
        return raters.none()
    if _sees_everything(user):
        return raters
    in_studies = Assignment.objects.filter(target__study__in=studies_for_user(user=user)).values("rater_id")
    return raters.filter(Q(invited_by=user) | Q(pk__in=in_studies)).distinct()


def rater_needs_password_change(user) -> bool:
    """Whether ``user`` still signs in with an invitation's one-time password."""
    from .models import Rater

    return bool(user.is_authenticated and Rater.objects.filter(user=user, password_change_required=True).exists())


def study_targets_page(*, study: Study, query: str = "", page: int | str = 1, per_page: int = 20):
    """One page of the study's targets, those whose id contains ``query`` (texts are encrypted,
    so the search is on ids and nothing else)."""
    from django.core.paginator import Paginator

    targets = study.targets.order_by("external_id").only("pk", "external_id", "created_at", "criteria", "study_id")
    if query:
        targets = targets.filter(external_id__icontains=query)
    return Paginator(targets, per_page).get_page(page)


def study_human_ratings(*, study: Study, query: str = ""):
    """The study's form ratings (drafts and submitted), newest first, for a manager to reopen."""
    ratings = (Rating.objects.filter(target__study=study, source=Rating.Source.FORM)
               .select_related("rater", "target", "instrument_version__instrument")
               .order_by("-submitted_at", "-updated_at"))
    if query:
        ratings = ratings.filter(Q(target__external_id__icontains=query) | Q(rater__name__icontains=query))
    return ratings


def next_assignment_for_rater(*, user, after: Assignment) -> Assignment | None:
    """The rater's next assignment still to do (in queue order), other than ``after``."""
    return (assignments_for_rater(user=user).exclude(pk=after.pk)
            .exclude(status=Assignment.Status.SUBMITTED).first())


def _duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _running_text(position: int, total: int, target: dict, now, unit: str = "item") -> str:
    text = f"target {position} of {total} ({target['target']})"
    if target["items_total"]:
        text += f", {unit} {min(target['items_done'] + 1, target['items_total'])} of {target['items_total']}"
    else:
        text += ", reading the material"
    if target["started_at"]:
        text += f", running for {_duration_text((now - target['started_at']).total_seconds())}"
    return text


def scoring_job_page(job: ScoringJob, *, now) -> dict:
    """What the job page shows: the API's progress plus its texts: elapsed time, the estimate of
    the time left, and a line per target being scored ("target 2 of 3 (P2), item 4 of 10,
    running for 12 s"). Extend this dict to show more."""
    progress = scoring_job_progress(job, now=now)
    finished = job.completed + job.failed
    active = progress["status"] in (ScoringJob.Status.QUEUED, ScoringJob.Status.RUNNING)
    # A coding job's worker counts the segments it has coded where a scale job's counts items.
    unit = "segment" if job.instrument_version.kind == InstrumentVersion.Kind.CODING else "item"
    current = [_running_text(min(finished + n, job.total), job.total, target, now, unit)
               for n, target in enumerate(progress["running"], start=1)]
    if active and job.started_at and not current and progress["targets"][ScoringTask.State.QUEUED]:
        last = (Rating.objects.filter(scoring_job=job).order_by("-submitted_at")
                .values_list("submitted_at", flat=True).first())
        since = (now - max(filter(None, [last, job.started_at]))).total_seconds()
        current = [f"target {min(finished + 1, job.total)} of {job.total} waits for a worker "
                   f"(the last one finished {_duration_text(since)} ago)"]
    elapsed, estimate = progress["elapsed_s"], progress["estimate_s"]
    return {**progress, "finished": finished, "active": active,
            "bar_value": progress["progress"] * job.total,
            "elapsed_text": _duration_text(elapsed) if elapsed is not None else "not started yet",
            "estimate_text": _duration_text(estimate) if estimate is not None else "after the first item is scored",
            "current": current, "current_text": "; ".join(current)}
