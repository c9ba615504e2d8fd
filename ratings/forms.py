"""Forms of the study manager pages; they only parse input, services do the work."""

from django import forms

from instruments.models import InstrumentVersion
from ratings.llm.perturbations import KINDS as PERTURBATIONS


def _versions():
    return InstrumentVersion.objects.select_related("instrument").order_by("instrument__slug", "-published_at")


class StudyCreateForm(forms.Form):
    slug = forms.SlugField(max_length=64, help_text="short name used in URLs and commands")
    title = forms.CharField(max_length=300)
    instruments = forms.ModelMultipleChoiceField(queryset=_versions(), widget=forms.CheckboxSelectMultiple)
    targets = forms.FileField(required=False, help_text="CSV or JSONL: id, text, criterion:NAME, metadata")


class TargetsUploadForm(forms.Form):
    targets = forms.FileField(help_text="CSV or JSONL: id, text, criterion:NAME, metadata")


class RaterInviteForm(forms.Form):
    username = forms.SlugField(max_length=100)


class AssignmentDesignForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=_versions())
    raters = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    per_target = forms.IntegerField(min_value=1, initial=2, label="raters per target")
    overlap = forms.IntegerField(min_value=0, initial=0, label="targets rated by every rater")
    seed = forms.IntegerField(min_value=0, initial=0)

    def __init__(self, *args, study, rater_names, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = study.instrument_versions.select_related("instrument")
        self.fields["raters"].choices = [(name, name) for name in rater_names]


class ScoringStartForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=_versions())
    perturbation = forms.ChoiceField(
        required=False, label="perturbation (robustness run)",
        choices=[("", "none: score the material as it is")] + [(k, k.replace("_", " ")) for k in PERTURBATIONS])
    seed = forms.IntegerField(min_value=0, initial=0, required=False)
    edits = forms.FileField(required=False, help_text="for edit content: CSV or JSONL with id, text")
    paraphrases = forms.FileField(required=False, help_text="for paraphrase items (optional): CSV or JSONL "
                                                            "with item, text")

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = study.instrument_versions.select_related("instrument")  # pipelines too
