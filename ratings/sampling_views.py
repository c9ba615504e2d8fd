"""Manager page: "k targets for human rating, chosen by LLM uncertainty" (issue 15).

Self-contained (its own form, view and template) so the manager workspace can link to it
wherever assignments are designed."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from audit.actor import Actor

from .manage_views import manager_required
from .models import Rater, Rating, SamplingPlan
from .selectors import raters_for_manager, studies_for_manager
from .services.sampling_plans import SamplingPlanError, sampling_plan_create


def llm_raters_of(study):
    """LLM raters with submitted ratings in ``study`` (Anchor's own and imported judges)."""
    ids = Rating.objects.filter(target__study=study, rater__kind=Rater.Kind.LLM,
                                status=Rating.Status.SUBMITTED).values("rater_id")
    return Rater.objects.filter(pk__in=ids).order_by("name")


class SamplingPlanForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=None)
    llm_rater = forms.ModelChoiceField(queryset=None, label="LLM rater whose uncertainty decides")
    human_raters = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple,
                                                  label="human raters who rate each drawn target")
    budget = forms.IntegerField(min_value=1, initial=20, label="k: targets to draw (on average)")
    mix = forms.FloatField(min_value=0, max_value=1, initial=0.3,
                           label="share of the uniform design mixed in (robustness)")
    seed = forms.IntegerField(min_value=0, initial=0)

    def __init__(self, *args, study, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = study.instrument_versions.select_related("instrument")
        self.fields["llm_rater"].queryset = llm_raters_of(study)
        self.fields["human_raters"].queryset = raters_for_manager(user=user).order_by("name")


@manager_required
def sampling_plan_page(request, slug: str):
    study = get_object_or_404(studies_for_manager(user=request.user), slug=slug)
    form = SamplingPlanForm(request.POST or None, study=study, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = sampling_plan_create(study=study, version=data["instrument"], llm_rater=data["llm_rater"],
                                        human_raters=list(data["human_raters"]), budget=data["budget"],
                                        mix=data["mix"], seed=data["seed"], created_by=request.user,
                                        actor=Actor.from_request(request))
        except SamplingPlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{len(plan.selected)} targets drawn and assigned to "
                                      f"{len(data['human_raters'])} rater(s); inclusion probabilities recorded.")
            return redirect("ratings:manage-study-sampling", slug=study.slug)
    plans = SamplingPlan.objects.filter(study=study).select_related("llm_rater", "instrument_version")[:10]
    return render(request, "ratings/manage/sampling_plan.html", {"study": study, "form": form, "plans": plans},
                  status=400 if request.method == "POST" else 200)
