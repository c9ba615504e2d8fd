"""Forms of the study manager pages; they only parse input, services do the work."""

from django import forms

from instruments.models import InstrumentVersion
from ratings.llm.perturbations import KINDS as PERTURBATIONS


DESIGN_CHOICES = [("", "undeclared: the report infers it from the ratings"),
                  ("crossed", "crossed: the same raters rate the targets (gaps allowed)"),
                  ("one-way", "one-way: each target is rated by its own interchangeable raters")]


def _versions():
    return InstrumentVersion.objects.select_related("instrument").order_by("instrument__slug", "-published_at")


class StudyCreateForm(forms.Form):
    slug = forms.SlugField(max_length=64, help_text="short name used in URLs and commands")
    title = forms.CharField(max_length=300)
    instruments = forms.ModelMultipleChoiceField(queryset=_versions(), widget=forms.CheckboxSelectMultiple, required=False,
                                                 help_text="or upload a definition on the study page")
    targets = forms.FileField(required=False, help_text="CSV or JSONL: id, text, criterion:NAME, metadata")
    rating_design = forms.ChoiceField(choices=DESIGN_CHOICES, required=False)


class RatingDesignForm(forms.Form):
    rating_design = forms.ChoiceField(choices=DESIGN_CHOICES, required=False, label="rating design")


class TargetsUploadForm(forms.Form):
    targets = forms.FileField(help_text="CSV or JSONL: id, text, criterion:NAME, metadata")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "upload-%s")
        super().__init__(*args, **kwargs)


class RaterInviteForm(forms.Form):
    name = forms.SlugField(max_length=90, label="rater's name",
                           help_text="the sign-in name is this name with a short random suffix")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "invite-%s")
        super().__init__(*args, **kwargs)


class InstrumentUploadForm(forms.Form):
    definition = forms.FileField(label="definition file",
                                 help_text="YAML or JSON; an item pool is a definition with pool: true")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "instrument-upload-%s")
        super().__init__(*args, **kwargs)


class InstrumentAddForm(forms.Form):
    version = forms.ModelChoiceField(queryset=_versions(), label="published instrument")

    def __init__(self, *args, study, **kwargs):
        kwargs.setdefault("auto_id", "instrument-add-%s")
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = _versions().exclude(pk__in=study.instrument_versions.values("pk"))


def _only_choice_preselected(field) -> None:
    """A study with one instrument: preselect it instead of showing "---------"."""
    versions = list(field.queryset[:2])
    if len(versions) == 1:
        field.initial, field.empty_label = versions[0].pk, None


class AssignmentDesignForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=_versions())
    raters = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    per_target = forms.IntegerField(min_value=1, initial=2, label="raters per target")
    overlap = forms.IntegerField(min_value=0, initial=0, label="targets rated by every rater")
    seed = forms.IntegerField(min_value=0, initial=0)

    def __init__(self, *args, study, rater_names, **kwargs):
        kwargs.setdefault("auto_id", "design-%s")  # ids unique on the study page, beside the other forms
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = study.instrument_versions.select_related("instrument")
        _only_choice_preselected(self.fields["instrument"])
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
    subset = forms.FileField(required=False, label="only these targets",
                             help_text="optional: ids one per line, or a CSV with an id column")
    sample = forms.IntegerField(min_value=1, required=False, label="or a random sample of",
                                help_text="targets (drawn with the seed above)")

    def __init__(self, *args, study, **kwargs):
        kwargs.setdefault("auto_id", "scoring-%s")
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = study.instrument_versions.select_related("instrument")  # pipelines too
        _only_choice_preselected(self.fields["instrument"])
