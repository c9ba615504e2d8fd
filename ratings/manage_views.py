"""Study manager pages: the study list, and a study page laid out as the steps of the work
(material -> instruments -> raters -> assignment design -> LLM scoring -> report).

Managers hold the ``ratings.add_study`` permission; anyone else gets the styled 403. Each step
has a context builder and its POST actions in ``ratings/manage_steps.py`` and one template in
``ratings/manage/steps/``; other features add a form to a step by adding to those two places.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from audit.actor import Actor
from common.upload_limit import large_uploads

from . import manage_steps
from .forms import StudyCreateForm
from .models import Rating
from .selectors import scoring_jobs_for_user, studies_for_manager, study_human_ratings
from .services import study_get_or_create, study_use_instrument
from .services.rating_forms import rating_reopen
from .services.scoring import scoring_job_cancel
from .services.studies import SLUG_NOT_AVAILABLE, study_slug_available


def manager_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm("ratings.add_study"):
            raise PermissionDenied("study managers only")
        return view(request, *args, **kwargs)

    return wrapped


@large_uploads
@manager_required
def study_list(request):
    form = StudyCreateForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            available = study_slug_available(slug=form.cleaned_data["slug"])
            study, created = (study_get_or_create(slug=form.cleaned_data["slug"], title=form.cleaned_data["title"],
                                                  rating_design=form.cleaned_data["rating_design"],
                                                  created_by=request.user) if available else (None, False))
            if not created:
                form.add_error("slug", SLUG_NOT_AVAILABLE)
            else:
                for version in form.cleaned_data["instruments"]:
                    study_use_instrument(study=study, version=version)
                summary = None
                if form.cleaned_data["targets"]:
                    summary, row_errors = manage_steps.import_upload(request, study, form.cleaned_data["targets"])
                if row_errors:
                    transaction.set_rollback(True)  # nothing half-created: no study without its targets
                else:
                    if summary:
                        messages.success(request, summary)
                    return redirect("ratings:manage-study", slug=study.slug)
    return render(request, "ratings/manage/study_list.html", {
        "studies": studies_for_manager(user=request.user), "form": form, "row_errors": row_errors,
    }, status=400 if request.method == "POST" else 200)


@large_uploads
@manager_required
def study_detail(request, slug: str):
    study = get_object_or_404(studies_for_manager(user=request.user), slug=slug)
    context = manage_steps.page_context(request, study)
    if request.htmx and request.GET.get("part") == "targets":  # the target list's search and pages
        return render(request, "ratings/manage/steps/_target_list.html", context)
    status = 200
    if request.method == "POST":
        handler = manage_steps.ACTIONS.get(request.POST.get("action"))
        if handler is None:
            raise PermissionDenied("unknown action")
        response = handler(request, study, context)
        if response is not None:
            return response
        status = context.get("status", 200)
    manage_steps.add_summaries(request, study, context)
    response = render(request, "ratings/manage/study_detail.html", context, status=status)
    if context.get("invited"):
        add_never_cache_headers(response)  # the one-time password is in this page only
    return response


@manager_required
def study_ratings(request, slug: str):
    """The study's form ratings with a reopen button for each submitted one."""
    study = get_object_or_404(studies_for_manager(user=request.user), slug=slug)
    from django.core.paginator import Paginator

    query = request.GET.get("q", "").strip()
    page = Paginator(study_human_ratings(study=study, query=query), 25).get_page(request.GET.get("page"))
    return render(request, "ratings/manage/study_ratings.html", {"study": study, "page": page, "q": query})


@manager_required
@require_POST
def study_rating_reopen(request, slug: str, rating_id: int):
    """Reopen a submitted form rating: it goes back to its rater's queue as a draft."""
    study = get_object_or_404(studies_for_manager(user=request.user), slug=slug)
    rating = get_object_or_404(study_human_ratings(study=study), pk=rating_id)
    if rating.status == Rating.Status.SUBMITTED:
        rating_reopen(rating=rating, actor=Actor.from_request(request))
        messages.success(request, f"The rating of {rating.target.external_id} by {rating.rater.name} is reopened "
                                  "and back in the rater's queue.")
    return redirect("ratings:manage-study-ratings", slug=study.slug)


@login_required
@require_POST
def scoring_job_cancel_view(request, job_id: int):
    """Cancel a queued or running job from its page (stored ratings are kept)."""
    job = get_object_or_404(scoring_jobs_for_user(user=request.user), pk=job_id)
    if not request.user.has_perm("ratings.add_study"):
        raise PermissionDenied("study managers only")
    scoring_job_cancel(job=job, actor=Actor.from_request(request))
    messages.success(request, f"Job {job.pk} is cancelled; the ratings stored so far are kept.")
    return redirect("ratings:scoring-job", job_id=job.pk)
