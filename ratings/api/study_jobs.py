"""Scoring an existing study's targets over the API: all of them, a list of ids, or a sample."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.selectors import scoring_jobs_for_user
from ratings.services.scoring import ScoringError, llm_rater_get_or_create, scoring_job_start
from ratings.services.subsets import SubsetError, subset_choose

from .common import MAX_ROWS, ErrorListOutput, ErrorOutput, field_error_response
from .jobs import ScoringJobOutput, job_output
from .studies import study_for


class StudyScoringJobInput(serializers.Serializer):
    instrument = serializers.CharField(max_length=200, help_text="`slug` (latest version) or `slug@version`")
    target_ids = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                       allow_empty=False, max_length=MAX_ROWS,
                                       help_text="score only these targets (their ids in the study)")
    sample = serializers.IntegerField(min_value=1, required=False,
                                      help_text="score a random sample of this many targets (of `target_ids` "
                                                "if given)")
    seed = serializers.IntegerField(min_value=0, default=0, help_text="seed of the sample")


class StudyScoringJobsApi(APIView):
    """GET lists the study's scoring jobs; POST scores its targets with the default LLM rater
    (every target, `target_ids`, or a `sample` drawn with `seed`): 202 and the job to follow."""

    @extend_schema(responses={200: ScoringJobOutput(many=True), 404: ErrorOutput})
    def get(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        return Response([job_output(job) for job in scoring_jobs_for_user(user=request.user).filter(study=study)])

    @extend_schema(request=StudyScoringJobInput,
                   responses={202: ScoringJobOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        data = StudyScoringJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            version = instrument_version_get(reference=values["instrument"])
        except InstrumentVersion.DoesNotExist:
            return field_error_response("instrument", f"no published instrument {values['instrument']!r}")
        try:
            subset = subset_choose(study=study, target_ids=values.get("target_ids"), sample=values.get("sample"),
                                   seed=values["seed"])
        except SubsetError as exc:
            return field_error_response(exc.field, str(exc))
        try:
            job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(),
                                    created_by=request.user, subset=subset, actor=Actor.from_request(request),
                                    audit_detail={"sample": (subset or {}).get("sample")})
        except ScoringError as exc:
            return field_error_response("instrument", str(exc))
        body = job_output(job)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})
