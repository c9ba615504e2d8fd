"""The steps of a study page: each step's context, status line and POST actions.

``page_context`` builds the forms of every step, ``add_summaries`` the status lines and lists,
and ``ACTIONS`` maps a form's ``action`` button to its handler. A handler returns a redirect
when it is done, or None after putting a bound form with errors (or a result to show once, like
an invited rater's password) into the context; ``context["status"]`` sets the answer's status.
"""

from pathlib import Path

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect

from audit.actor import Actor
from instruments.definition import DefinitionError
from instruments.services import instrument_load

from .forms import (
    AssignmentDesignForm, InstrumentAddForm, InstrumentUploadForm, RaterInviteForm, RatingDesignForm,
    ScoringStartForm, TargetsUploadForm,
)
from .models import Assignment, Rating, ScoringJob
from .selectors import raters_for_manager, study_targets_page
from .services import StudyDesignError, study_set_rating_design, study_use_instrument, targets_import
from .services.assignment_design import assignments_commit, plan_assignments
from .services.material_deletion import study_material_delete
from .services.raters import RaterInviteError, rater_invite
from .services.robustness import edits_from_rows, paraphrases_from_rows, robustness_job_start
from .services.scoring import ScoringError, llm_rater_get_or_create, scoring_job_start
from .services.subsets import subset_choose, target_ids_from_text
from .tabular import ImportRejected, format_for, iter_table, read_table

STEPS = ("material", "instruments", "raters", "design", "scoring", "report")


def _back(study, step: str):
    response = redirect("ratings:manage-study", slug=study.slug)
    response["Location"] += f"#step-{step}"
    return response


def import_upload(request, study, upload) -> tuple[str | None, list]:
    """Import an uploaded targets file; returns a summary or the row errors."""
    try:
        fmt = format_for(Path(upload.name))
        rows = iter_table(upload, fmt, required=("id", "text"), name=upload.name)  # stored as it is read
        result = targets_import(study=study, rows=rows, fmt=fmt, actor=Actor.from_request(request),
                                file_name=upload.name)
    except ImportRejected as exc:
        return None, [str(e) for e in exc.errors]
    return f"{result.created} targets created, {result.updated} updated, {result.unchanged} unchanged", []


def page_context(request, study) -> dict:
    rater_names = [r.name for r in raters_for_manager(user=request.user)]
    return {
        "study": study, "steps": STEPS, "rater_names": rater_names,
        "upload": TargetsUploadForm(), "instrument_upload": InstrumentUploadForm(),
        "instrument_add": InstrumentAddForm(study=study), "invite": RaterInviteForm(),
        "design": AssignmentDesignForm(study=study, rater_names=rater_names),
        "scoring": ScoringStartForm(study=study), "row_errors": [],
        "rating_design": RatingDesignForm(initial={"rating_design": study.rating_design}), "definition_problems": [], "plan": None,
        "target_query": request.GET.get("q", "").strip(),
        "targets_page": study_targets_page(study=study, query=request.GET.get("q", "").strip(),
                                           page=request.GET.get("page", 1)),
    }


def add_summaries(request, study, context) -> None:
    """Each step's status line and the lists it shows."""
    assignments = Assignment.objects.filter(target__study=study)
    counts: dict[str, dict[str, int]] = {}
    for rater, status in assignments.values_list("rater__name", "status"):
        counts.setdefault(rater, {"pending": 0, "in_progress": 0, "submitted": 0})[status] += 1
    pool = raters_for_manager(user=request.user).annotate(
        n_assigned=Count("assignments", filter=Q(assignments__target__study=study)))
    ratings = Rating.objects.filter(target__study=study, status=Rating.Status.SUBMITTED)
    context.update({
        "n_targets": study.targets.count(),
        "versions": list(study.instrument_versions.select_related("instrument")),
        "pool": list(pool),
        "assignment_counts": sorted(counts.items()),
        "n_assignments": sum(sum(c.values()) for c in counts.values()),
        "n_assignments_done": sum(c["submitted"] for c in counts.values()),
        "jobs": list(ScoringJob.objects.filter(study=study).select_related("rater", "instrument_version")[:10]),
        "n_human_ratings": ratings.filter(source=Rating.Source.FORM).count(),
        "n_llm_ratings": ratings.filter(source=Rating.Source.LLM).count(),
    })


def _upload(request, study, context):
    form = TargetsUploadForm(request.POST, request.FILES)
    if form.is_valid():
        summary, errors = import_upload(request, study, form.cleaned_data["targets"])
        if not errors:
            messages.success(request, summary)
            return _back(study, "material")
        context["row_errors"] = errors
    context["upload"] = form
    return None


def _instrument_upload(request, study, context):
    """Publish an uploaded definition (or find it published) and use it in the study; every
    problem of a refused definition is listed with its path, as ``load_instrument`` lists them."""
    form = InstrumentUploadForm(request.POST, request.FILES)
    context["instrument_upload"] = form
    if not form.is_valid():
        return None
    upload = form.cleaned_data["definition"]
    fmt = "json" if upload.name.lower().endswith(".json") else "yaml"
    try:
        result = instrument_load(text=upload.read().decode("utf-8"), fmt=fmt)
    except UnicodeDecodeError:
        form.add_error("definition", f"{upload.name} is not UTF-8 text")
        return None
    except DefinitionError as exc:
        context["definition_problems"] = [str(p) for p in exc.problems]
        form.add_error("definition", f"{upload.name}: nothing stored; {len(exc.problems)} problem(s) below")
        return None
    study_use_instrument(study=study, version=result.version, actor=Actor.from_request(request),
                         detail={"file": upload.name, "created": result.created})
    state = "published" if result.created else "already published, unchanged"
    messages.success(request, f"{result.version} ({result.version.content_hash[:12]}): {state}; the study uses it.")
    return _back(study, "instruments")


def _instrument_add(request, study, context):
    form = InstrumentAddForm(request.POST, study=study)
    context["instrument_add"] = form
    if not form.is_valid():
        return None
    study_use_instrument(study=study, version=form.cleaned_data["version"], actor=Actor.from_request(request))
    messages.success(request, f"The study uses {form.cleaned_data['version']}.")
    return _back(study, "instruments")


def _invite(request, study, context):
    form = RaterInviteForm(request.POST)
    context["invite"] = form
    if not form.is_valid():
        return None
    try:
        rater, password = rater_invite(name=form.cleaned_data["name"], invited_by=request.user,
                                       actor=Actor.from_request(request), study=study)
    except RaterInviteError as exc:
        form.add_error("name", str(exc))
        return None
    # Shown in this response only (never in a cookie or the session): a reload does not show it again.
    context.update(invited={"username": rater.name, "password": password}, invite=RaterInviteForm(),
                   status=200)
    context["rater_names"].append(rater.name)
    context["design"] = AssignmentDesignForm(study=study, rater_names=context["rater_names"])
    return None


def _design(request, study, context):
    form = AssignmentDesignForm(request.POST, study=study, rater_names=context["rater_names"])
    context["design"] = form
    if not form.is_valid():
        return None
    data = form.cleaned_data
    targets = list(study.targets.order_by("pk").values_list("pk", "external_id"))
    try:
        plan = plan_assignments(target_ids=[pk for pk, _ in targets], rater_names=data["raters"],
                                per_target=data["per_target"], overlap=data["overlap"], seed=data["seed"])
    except ValueError as exc:
        form.add_error(None, str(exc))
        return None
    if request.POST["action"] == "commit":
        created = assignments_commit(plan=plan, version=data["instrument"])
        messages.success(request, f"{created} assignments created")
        return _back(study, "design")
    names = dict(targets)
    per_rater = [[names[t] for t, chosen in zip(plan.target_ids, plan.pairs, strict=True) if r in chosen]
                 for r in range(len(plan.rater_names))]
    shared = {names[t] for t, chosen in zip(plan.target_ids, plan.pairs, strict=True)
              if len(chosen) == len(plan.rater_names) and len(chosen) > 1}
    context["plan"] = {"names": plan.rater_names, "rows": list(zip(plan.rater_names, plan.shared(), strict=True)),
                       "load": plan.load(), "targets": list(zip(plan.rater_names, per_rater, strict=True)),
                       "shared": sorted(shared)}
    context["status"] = 200
    return None


def _delete_material(request, study, context):
    """Delete the material on request; the manager confirms by typing the study's slug."""
    if request.POST.get("confirm_slug", "").strip() != study.slug:
        context["delete_error"] = "type the study's slug to confirm"
        return None
    n = study_material_delete(study=study, actor=Actor.from_request(request))
    messages.success(request, f"The text and metadata of {n} targets were deleted; ratings and the report remain.")
    return _back(study, "material")


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


def _subset(study, data) -> dict | None:
    """The targets the manager chose (a file of ids, a sample, both, or neither: all)."""
    upload = data.get("subset")
    ids = target_ids_from_text(upload.read().decode("utf-8")) if upload else None
    return subset_choose(study=study, target_ids=ids, sample=data.get("sample"), seed=data.get("seed") or 0)


def _score(request, study, context):
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


def _rating_design(request, study, context):
    form = RatingDesignForm(request.POST)
    context["rating_design"] = form
    if not form.is_valid():
        return None
    try:
        study_set_rating_design(study=study, design=form.cleaned_data["rating_design"],
                                actor=Actor.from_request(request))
    except StudyDesignError as exc:
        form.add_error("rating_design", str(exc))
        return None
    messages.success(request, f"Rating design: {study.rating_design or 'undeclared (inferred by the report)'}.")
    return _back(study, "design")


ACTIONS = {
    "upload": _upload, "delete_material": _delete_material,
    "instrument_upload": _instrument_upload, "instrument_add": _instrument_add,
    "invite": _invite, "preview": _design, "commit": _design, "score": _score, "rating_design": _rating_design,
}
