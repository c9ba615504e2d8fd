"""Web pages of the ratings app."""

import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audit.actor import Actor

from .models import Assignment, Rating
from .selectors import assignment_answers, assignments_for_rater, scoring_job_progress, scoring_jobs_for_user
from .services.access import material_viewed
from .services.pipelines import pipeline_review_context
from .services.rating_forms import RatingFormError, RatingLocked, rating_draft_save, rating_submit


@login_required
def scoring_job_detail(request, job_id: int):
    """A job's live progress; the page polls the API, so both always show the same numbers."""
    job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
    return render(request, "ratings/scoring_job.html", {"job": scoring_job_progress(job)})


@login_required
def rater_queue(request):
    """The signed-in rater's assignments: to do, in progress and done, with progress per study."""
    assignments = list(assignments_for_rater(user=request.user))
    by_status = {status: [a for a in assignments if a.status == status] for status, _ in Assignment.Status.choices}
    done = len(by_status[Assignment.Status.SUBMITTED])
    return render(request, "ratings/queue.html", {
        "todo": by_status[Assignment.Status.PENDING], "in_progress": by_status[Assignment.Status.IN_PROGRESS],
        "done": by_status[Assignment.Status.SUBMITTED], "total": len(assignments), "done_count": done,
    })


def _posted_answers(data) -> dict[str, str]:
    return {key[len("item-"):]: value for key, value in data.items() if key.startswith("item-")}


def _seconds(value) -> float | None:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


@login_required
def rating_form(request, assignment_id: int):
    """Fill in one assignment. Another rater's assignment answers 404 (the queryset is scoped)."""
    assignment = get_object_or_404(assignments_for_rater(user=request.user), pk=assignment_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers = _posted_answers(request.POST)
        try:
            rating_submit(assignment=assignment, answers=answers, seconds_spent=_seconds(request.POST.get("seconds")),
                          actor=Actor.from_request(request))
            return redirect("ratings:queue")
        except RatingFormError as exc:
            errors = exc.errors
            rating_draft_save(assignment=assignment, answers=answers, seconds_spent=_seconds(request.POST.get("seconds")))
        except RatingLocked:
            errors = {"": "This rating was submitted and is locked; a study manager can reopen it."}
    rating, answers = assignment_answers(assignment)
    spec = assignment.instrument_version.spec
    items = [{"item": item, "answer": answers.get(item.code), "error": errors.get(item.code)} for item in spec.items
             if item.for_humans]
    material_viewed(actor=Actor.from_request(request), study=assignment.target.study,
                    object_id=assignment.target.external_id)
    return render(request, "ratings/rating_form.html", {
        "assignment": assignment, "spec": spec, "items": items, "turns": transcript_turns(assignment.target.text),
        "locked": rating is not None and rating.status == Rating.Status.SUBMITTED,
        "seconds_before": (rating.seconds_spent or 0) if rating else 0, "form_error": errors.get(""),
        "pipeline_review": pipeline_review_context(target=assignment.target, version=assignment.instrument_version),
    }, status=400 if errors else 200)


@login_required
@require_POST
def rating_autosave(request, assignment_id: int):
    """Save a draft from the form's script: JSON ``{"answers": {...}, "seconds": n}``."""
    assignment = get_object_or_404(assignments_for_rater(user=request.user), pk=assignment_id)
    try:
        payload = json.loads(request.body)
        answers = payload.get("answers", {})
        if not isinstance(answers, dict):
            raise ValueError
    except (ValueError, AttributeError):
        return JsonResponse({"error": "expected a JSON object with `answers`"}, status=400)
    try:
        rating = rating_draft_save(assignment=assignment, answers=answers, seconds_spent=_seconds(payload.get("seconds")))
    except RatingLocked as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    return JsonResponse({"saved_at": rating.updated_at.isoformat(), "answered": rating.item_scores.count()})


def transcript_turns(text: str) -> list[tuple[str, str]]:
    """Speaker turns (``Speaker: words``) for display; a line without a speaker continues the text."""
    turns = []
    for line in text.splitlines():
        speaker, sep, words = line.partition(":")
        if sep and 0 < len(speaker) <= 30 and speaker.strip() and " " not in speaker.strip()[:1]:
            turns.append((speaker.strip(), words.strip()))
        elif line.strip():
            turns.append(("", line.strip()))
    return turns
