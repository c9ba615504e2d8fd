"""Sampling plans over the API: k targets for human rating, chosen by LLM uncertainty (issue 15)."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.models import Rater, SamplingPlan
from ratings.selectors import raters_for_manager
from ratings.services.sampling_plans import SamplingPlanError, sampling_plan_create

from .common import CreatesStudies, ErrorListOutput, ErrorOutput, field_error_response
from .studies import study_for


class SamplingPlanInput(serializers.Serializer):
    instrument = serializers.CharField(max_length=200, help_text="`slug` (latest version) or `slug@version`")
    llm_rater = serializers.SlugField(help_text="the LLM rater whose uncertainty decides")
    human_raters = serializers.ListField(child=serializers.SlugField(), min_length=1, max_length=100)
    budget = serializers.IntegerField(min_value=1, help_text="k: targets drawn on average")
    mix = serializers.FloatField(min_value=0, max_value=1, default=0.3)
    seed = serializers.IntegerField(min_value=0, default=0)


class SamplingPlanOutput(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument_version.__str__")
    llm_rater = serializers.CharField(source="llm_rater.name")

    class Meta:
        model = SamplingPlan
        fields = ["id", "instrument", "llm_rater", "budget", "mix", "seed", "method", "selected",
                  "probabilities", "created_at"]


class SamplingPlanApi(APIView):
    """GET: the study's sampling plans (newest first). POST: draw about k targets by the LLM
    rater's uncertainty, assign each to the human raters and record every inclusion probability."""

    permission_classes = [CreatesStudies]

    @extend_schema(responses={200: SamplingPlanOutput(many=True), 404: ErrorOutput})
    def get(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        return Response(SamplingPlanOutput(SamplingPlan.objects.filter(study=study), many=True).data)

    @extend_schema(request=SamplingPlanInput, responses={201: SamplingPlanOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        data = SamplingPlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            version = instrument_version_get(reference=values["instrument"])
        except InstrumentVersion.DoesNotExist:
            return field_error_response("instrument", f"no published instrument {values['instrument']!r}")
        if not study.instrument_versions.filter(pk=version.pk).exists():
            return field_error_response("instrument", f"the study does not use {version}")
        llm = (Rater.objects.filter(name=values["llm_rater"], kind=Rater.Kind.LLM)
               .filter(Q(study=study) | Q(study__isnull=True)).order_by("study_id").first())
        if llm is None:
            return field_error_response("llm_rater", f"no LLM rater {values['llm_rater']!r}")
        humans = list(raters_for_manager(user=request.user).filter(name__in=values["human_raters"]))
        missing = sorted(set(values["human_raters"]) - {h.name for h in humans})
        if missing:
            return field_error_response("human_raters", f"no human rater with an account named {', '.join(missing)}")
        try:
            plan = sampling_plan_create(study=study, version=version, llm_rater=llm, human_raters=humans,
                                        budget=values["budget"], mix=values["mix"], seed=values["seed"],
                                        created_by=request.user, actor=Actor.from_request(request))
        except SamplingPlanError as exc:
            return field_error_response("budget" if "between" in str(exc) else "llm_rater", str(exc))
        return Response(SamplingPlanOutput(plan).data, status=status.HTTP_201_CREATED)
