"""The parameters of a scale-development request, shared by the API and the manager page."""

from rest_framework import serializers

from psychometrics.scale_development import SelectionRule


class DevelopmentInput(serializers.Serializer):
    pool = serializers.CharField(help_text="the pool instrument: slug or slug@version")
    rater = serializers.CharField(required=False, allow_blank=True, help_text="default: the only LLM rater")
    criterion = serializers.CharField(required=False, allow_blank=True)
    cluster = serializers.CharField(required=False, allow_blank=True, help_text="metadata field, e.g. patient")
    k = serializers.IntegerField(required=False, allow_null=True, min_value=2, help_text="default: chosen")
    choose_k = serializers.ChoiceField(["max_validity", "omega_target"], default="max_validity")
    k_min = serializers.IntegerField(default=3, min_value=2)
    k_max = serializers.IntegerField(default=20, min_value=2)
    omega_target = serializers.FloatField(default=0.9, min_value=0, max_value=1)
    rank_by = serializers.ChoiceField(["loading", "item_total"], default="loading")
    min_criterion_r = serializers.FloatField(default=0.0, min_value=0, max_value=1)
    direction = serializers.ChoiceField(["any", "positive", "negative"], default="any")
    max_missing = serializers.FloatField(default=0.2, min_value=0, max_value=1)
    max_floor_ceiling = serializers.FloatField(default=1.0, min_value=0, max_value=1)
    folds = serializers.IntegerField(default=3, min_value=2, max_value=10)
    repeats = serializers.IntegerField(default=20, min_value=1, max_value=200)
    boots = serializers.IntegerField(default=200, min_value=1, max_value=2000)
    seed = serializers.IntegerField(default=0)

    def rule(self) -> SelectionRule:
        """The validated data as a rule; ``ValueError`` with a sentence for a contradictory one."""
        d = self.validated_data
        return SelectionRule(k=d.get("k"), criterion=d.get("criterion") or None, rank_by=d["rank_by"],
                             min_abs_criterion_r=d["min_criterion_r"], criterion_direction=d["direction"],
                             max_missing_share=d["max_missing"], max_floor_ceiling_share=d["max_floor_ceiling"],
                             choose_k=d["choose_k"], k_min=d["k_min"], k_max=d["k_max"],
                             omega_target=d["omega_target"])

    def compute_options(self) -> dict:
        d = self.validated_data
        return {"rater": d.get("rater") or None, "cluster_field": d.get("cluster") or None, "seed": d["seed"],
                "n_folds": d["folds"], "n_repeats": d["repeats"], "n_boot": d["boots"]}


class PublishInput(DevelopmentInput):
    publish = serializers.BooleanField(default=False)
    slug = serializers.SlugField(required=False, allow_blank=True, max_length=64)
    version = serializers.CharField(required=False, default="1.0.0")
    title = serializers.CharField(required=False, allow_blank=True)
