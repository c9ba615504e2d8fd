"""Web pages of the ratings app."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from audit.actor import Actor

from .models import Assignment, Rating
from .selectors import (
    assignment_answers, assignments_for_rater, next_assignment_for_rater, scoring_job_page, scoring_jobs_for_user,
)
from .services.access import material_viewed
from .services.coding_forms import coding_cells, coding_draft_save, coding_submit
from .services.pipelines import pipeline_review_context
from .services.rating_forms import RatingFormError, RatingLocked, items_waived, rating_draft_save, rating_submit


@login_required
def scoring_job_detail(request, job_id: int):
    """A job's live progress, in the site's frame. The page re-renders its progress block every
    two seconds (htmx) from ``scoring_job_page`` (the same numbers the API shows)."""
    job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
    manages = request.user.has_perm("ratings.add_study")
    study_url = reverse("ratings:manage-study", args=[job.study.slug]) if manages else ""
    try:
        report_url = reverse("reports:study-report", args=[job.study.slug]) if manages else ""
    except NoReverseMatch:  # the reports app is optional
        report_url = ""
    page = scoring_job_page(job, now=timezone.now())
    return render(request, "ratings/scoring_job.html", {
        "job": page, "study_url": study_url, "report_url": report_url, "can_cancel": manages and page["active"],
    })


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


def _after_submit(request, assignment):
    """Confirm the submission; "Submit & next" opens the rater's next assignment still to do."""
    following = next_assignment_for_rater(user=request.user, after=assignment) if "next" in request.POST else None
    note = f"Rating of {assignment.target.external_id} submitted."
    if following is not None:
        messages.success(request, f"{note} Next: {following.target.external_id}.")
        return redirect("ratings:rating-form", assignment_id=following.pk)
    if "next" in request.POST:
        note += " That was the last one waiting for you."
    messages.success(request, note)
    return redirect("ratings:queue")


@login_required
def rating_form(request, assignment_id: int):
    """Fill in one assignment. Another rater's assignment answers 404 (the queryset is scoped)."""
    assignment = get_object_or_404(assignments_for_rater(user=request.user), pk=assignment_id)
    if assignment.instrument_version.kind == "coding":
        return _coding_form(request, assignment)
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers = _posted_answers(request.POST)
        seconds = _seconds(request.POST.get("seconds"))
        try:
            rating_submit(assignment=assignment, answers=answers, seconds_spent=seconds,
                          actor=Actor.from_request(request))
            return _after_submit(request, assignment)
        except RatingFormError as exc:
            errors = exc.errors
            try:  # keep what was answered; a rating submitted meanwhile (another tab) stays as it is
                rating_draft_save(assignment=assignment, answers=answers, seconds_spent=seconds)
            except RatingLocked:
                errors = {"": LOCKED_MESSAGE}
        except RatingLocked:
            errors = {"": LOCKED_MESSAGE}
    return _render_form(request, assignment, errors)


def _coding_form(request, assignment):
    """The coding form: the same keyboard script and POST shape as the rating form, one cell
    per (applicable utterance, code set)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers, seconds = _posted_answers(request.POST), _seconds(request.POST.get("seconds"))
        try:
            coding_submit(assignment=assignment, answers=answers, seconds_spent=seconds,
                          actor=Actor.from_request(request))
            return _after_submit(request, assignment)
        except RatingFormError as exc:
            errors = exc.errors
            try:
                coding_draft_save(assignment=assignment, answers=answers, seconds_spent=seconds)
            except (RatingLocked, RatingFormError):
                pass
        except RatingLocked:
            errors = {"": LOCKED_MESSAGE}
    rating, cells, segments = coding_cells(assignment)
    by_segment: dict[int, list] = {}
    for number, cell in enumerate(cells, start=1):
        by_segment.setdefault(cell.segment.pk, []).append((number, cell, errors.get(cell.key)))
    material_viewed(actor=Actor.from_request(request), study=assignment.target.study,
                    object_id=assignment.target.external_id)
    response = render(request, "ratings/coding_form.html", {
        "assignment": assignment, "spec": assignment.instrument_version.spec,
        "turns": [(segment, by_segment.get(segment.pk, [])) for segment in segments], "n_cells": len(cells),
        "n_answered": sum(1 for c in cells if c.answer is not None),
        "missing": [(n, c) for n, c in enumerate(cells, start=1) if c.key in errors],
        "locked": rating is not None and rating.status == Rating.Status.SUBMITTED,
        "seconds_before": (rating.seconds_spent or 0) if rating else 0, "form_error": errors.get(""),
        "has_next": next_assignment_for_rater(user=request.user, after=assignment) is not None,
    }, status=400 if errors else 200)
    add_never_cache_headers(response)
    return response


LOCKED_MESSAGE = "This rating was submitted (perhaps in another tab) and is locked; a study manager can reopen it."


def _render_form(request, assignment, errors):
    rating, answers = assignment_answers(assignment)
    spec = assignment.instrument_version.spec
    waived = items_waived(assignment)
    items = [{"item": item, "answer": answers.get(item.code), "error": errors.get(item.code),
              "required": item.required and item.code not in waived, "waived": item.code in waived}
             for item in spec.items if item.for_humans]
    missing = [(n, row) for n, row in enumerate(items, start=1) if row["error"]]
    material_viewed(actor=Actor.from_request(request), study=assignment.target.study,
                    object_id=assignment.target.external_id)
    response = render(request, "ratings/rating_form.html", {
        "assignment": assignment, "spec": spec, "items": items, "turns": transcript_turns(assignment.target.text),
        "locked": rating is not None and rating.status == Rating.Status.SUBMITTED,
        "n_answered": sum(1 for row in items if row["answer"] is not None), "missing": missing,
        "seconds_before": (rating.seconds_spent or 0) if rating else 0, "form_error": errors.get(""),
        "pipeline_review": pipeline_review_context(target=assignment.target, version=assignment.instrument_version),
        "has_next": next_assignment_for_rater(user=request.user, after=assignment) is not None,
    }, status=400 if errors else 200)
    add_never_cache_headers(response)  # the material is not kept in any cache
    return response


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
    seconds = _seconds(payload.get("seconds"))
    try:
        if assignment.instrument_version.kind == "coding":
            rating = coding_draft_save(assignment=assignment, answers=answers, seconds_spent=seconds)
            return JsonResponse({"saved_at": rating.updated_at.isoformat(), "answered": rating.segment_codes.count()})
        rating = rating_draft_save(assignment=assignment, answers=answers, seconds_spent=seconds)
    except RatingLocked as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except RatingFormError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
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
