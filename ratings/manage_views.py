"""Study manager pages: create a study, upload targets, invite raters, design assignments,
start LLM scoring. Managers hold the ``ratings.add_study`` permission; raters get 403."""

from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from audit.actor import Actor
from config.upload_limit import large_uploads

from .forms import (
    AssignmentDesignForm, RaterInviteForm, RatingDesignForm, ScoringStartForm, StudyCreateForm, TargetsUploadForm,
)
from .models import Assignment, ScoringJob
from .selectors import human_raters_with_accounts, studies_for_manager
from .services import StudyDesignError, study_get_or_create, study_set_rating_design, study_use_instrument, targets_import
from .services.assignment_design import assignments_commit, plan_assignments
from .services.material_deletion import study_material_delete
from .services.studies import SLUG_NOT_AVAILABLE, study_slug_available
from .services.raters import RaterInviteError, rater_invite
from .services.robustness import edits_from_rows, paraphrases_from_rows, robustness_job_start
from .services.scoring import ScoringError, llm_rater_get_or_create, scoring_job_start
from .services.subsets import subset_choose, target_ids_from_text
from .tabular import ImportRejected, format_for, read_table


def manager_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm("ratings.add_study"):
            raise PermissionDenied("study managers only")
        return view(request, *args, **kwargs)

    return wrapped


def _import_upload(request, study, upload) -> tuple[str | None, list]:
    """Import an uploaded targets file; returns a summary or the row errors."""
    try:
        fmt = format_for(Path(upload.name))
        rows = read_table(upload, fmt, required=("id", "text"), name=upload.name)  # read as it is parsed
        result = targets_import(study=study, rows=rows, fmt=fmt, actor=Actor.from_request(request),
                                file_name=upload.name)
    except ImportRejected as exc:
        return None, [str(e) for e in exc.errors]
    return f"{result.created} targets created, {result.updated} updated, {result.unchanged} unchanged", []


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
                    summary, row_errors = _import_upload(request, study, form.cleaned_data["targets"])
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
    raters = [r.name for r in human_raters_with_accounts()]
    context = {"study": study, "upload": TargetsUploadForm(), "invite": RaterInviteForm(),
               "design": AssignmentDesignForm(study=study, rater_names=raters),
               "scoring": ScoringStartForm(study=study), "row_errors": [], "plan": None,
               "rating_design": RatingDesignForm(initial={"rating_design": study.rating_design})}
    action = request.POST.get("action")
    if request.method == "POST":
        handler = {"upload": _upload, "invite": _invite, "preview": _design, "commit": _design,
                   "score": _score, "delete_material": _delete_material,
                   "rating_design": _rating_design}.get(action)
        if handler is None:
            raise PermissionDenied("unknown action")
        response = handler(request, study, raters, context)
        if response is not None:
            return response
    context.update(_summary(study))
    return render(request, "ratings/manage/study_detail.html", context)


def _summary(study) -> dict:
    assignments = Assignment.objects.filter(target__study=study)
    counts = {}
    for rater, status in assignments.values_list("rater__name", "status"):
        counts.setdefault(rater, {"pending": 0, "in_progress": 0, "submitted": 0})[status] += 1
    return {"n_targets": study.targets.count(), "assignment_counts": sorted(counts.items()),
            "jobs": ScoringJob.objects.filter(study=study).select_related("rater")[:10]}


def _upload(request, study, raters, context):
    form = TargetsUploadForm(request.POST, request.FILES)
    if form.is_valid():
        summary, errors = _import_upload(request, study, form.cleaned_data["targets"])
        if not errors:
            messages.success(request, summary)
            return redirect("ratings:manage-study", slug=study.slug)
        context["row_errors"] = errors
    context["upload"] = form
    return None


def _invite(request, study, raters, context):
    form = RaterInviteForm(request.POST)
    if form.is_valid():
        try:
            rater, password = rater_invite(username=form.cleaned_data["username"])
        except RaterInviteError as exc:
            form.add_error("username", str(exc))
        else:
            messages.success(request, f"Rater {rater.name} can sign in with the password {password} "
                                      "(shown once: pass it on now).")
            return redirect("ratings:manage-study", slug=study.slug)
    context["invite"] = form
    return None


def _design(request, study, raters, context):
    form = AssignmentDesignForm(request.POST, study=study, rater_names=raters)
    context["design"] = form
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        plan = plan_assignments(target_ids=list(study.targets.order_by("pk").values_list("pk", flat=True)),
                                rater_names=data["raters"], per_target=data["per_target"],
                                overlap=data["overlap"], seed=data["seed"])
    except ValueError as exc:
        form.add_error(None, str(exc))
        return None
    if request.POST["action"] == "commit":
        try:
            created = assignments_commit(plan=plan, version=data["instrument"])
        except ValueError as exc:
            form.add_error(None, str(exc))
            return None
        messages.success(request, f"{created} assignments created")
        return redirect("ratings:manage-study", slug=study.slug)
    context["plan"] = {"names": plan.rater_names, "rows": list(zip(plan.rater_names, plan.shared(), strict=True)),
                       "load": plan.load()}
    return None


def _rating_design(request, study, raters, context):
    form = RatingDesignForm(request.POST)
    context["rating_design"] = form
    if not form.is_valid():
        return None
    try:
        previous = study_set_rating_design(study=study, design=form.cleaned_data["rating_design"],
                                           actor=Actor.from_request(request))
    except StudyDesignError as exc:
        form.add_error("rating_design", str(exc))
        return None
    messages.success(request, f"Rating design: {study.rating_design or 'undeclared (inferred by the report)'}.")
    return redirect("ratings:manage-study", slug=study.slug)


def _subset(study, data) -> dict | None:
    """The targets the manager chose (a file of ids, a sample, both, or neither: all)."""
    upload = data.get("subset")
    ids = target_ids_from_text(upload.read().decode("utf-8")) if upload else None
    return subset_choose(study=study, target_ids=ids, sample=data.get("sample"), seed=data.get("seed") or 0)


def _delete_material(request, study, raters, context):
    """Delete the material on request; the manager confirms by typing the study's slug."""
    if request.POST.get("confirm_slug", "").strip() != study.slug:
        context["delete_error"] = "type the study's slug to confirm"
        return None
    n = study_material_delete(study=study, actor=Actor.from_request(request))
    messages.success(request, f"The text and metadata of {n} targets were deleted; ratings and the report remain.")
    return redirect("ratings:manage-study", slug=study.slug)


def _start_perturbed(request, study, data):
    """A robustness run of the default LLM rater; files are parsed before anything is written."""
    version = data["instrument"]

    def rows(upload, required):
        return read_table(upload, format_for(Path(upload.name)), required=required, name=upload.name)

    edits = edits_from_rows(study=study, rows=rows(data["edits"], ("id", "text"))) if data["edits"] else None
    paraphrases = (paraphrases_from_rows(version=version, rows=rows(data["paraphrases"], ("item", "text")))
                   if data["paraphrases"] else None)
    return robustness_job_start(study=study, version=version, kind=data["perturbation"], seed=data["seed"] or 0,
                                paraphrases=paraphrases, edits=edits, created_by=request.user,
                                subset=_subset(study, data), actor=Actor.from_request(request))


def _score(request, study, raters, context):
    form = ScoringStartForm(request.POST, request.FILES, study=study)
    if form.is_valid():
        try:
            if form.cleaned_data["perturbation"]:
                job = _start_perturbed(request, study, form.cleaned_data)
            else:
                job = scoring_job_start(study=study, version=form.cleaned_data["instrument"],
                                        rater=llm_rater_get_or_create(), created_by=request.user,
                                        subset=_subset(study, form.cleaned_data),
                                        actor=Actor.from_request(request))
        except ImportRejected as exc:
            context["row_errors"] = [str(e) for e in exc.errors]
            form.add_error(None, "the file was rejected; see the rows below")
        except (ScoringError, UnicodeDecodeError) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("ratings:scoring-job", job_id=job.pk)
    context["scoring"] = form
    return None
