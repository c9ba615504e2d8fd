"""A study's literature corpus over the API: list (paginated) and bulk upload (atomic); a
scoring job's pipeline artefacts (what each stage produced, per rating)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ratings.api.common import TABLE_PARSERS, ErrorListOutput, ErrorOutput, rejected_response, table_row_stream
from audit.actor import Actor
from ratings.api.studies import study_for
from ratings.selectors import scoring_jobs_for_user
from ratings.tabular import ImportRejected

from .selectors import artefacts_for_job, artefacts_of, literature_for_study
from .services import artefacts_exported, literature_import


class PaperOutput(serializers.Serializer):
    id = serializers.CharField(source="external_id")
    title = serializers.CharField()
    abstract = serializers.CharField()
    date = serializers.CharField()
    year = serializers.IntegerField()
    venue = serializers.CharField()


class LiteratureImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class LiteratureListUploadApi(ListAPIView):
    """GET lists the study's literature corpus; POST adds papers (a JSON array, `text/csv` or
    `application/jsonl` with `id,title,abstract,date,venue`; `date` is YYYY, YYYY-MM or
    YYYY-MM-DD, and `year` is accepted instead): one bad row rejects them all, each named with
    its line, and nothing is stored."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (common/upload_limit.py)

    serializer_class = PaperOutput
    parser_classes = TABLE_PARSERS

    def get_queryset(self):
        return literature_for_study(study=study_for(self.request, self.kwargs["slug"]))

    @extend_schema(responses={200: PaperOutput(many=True), 404: ErrorOutput})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request={"application/json": PaperOutput(many=True), "text/csv": str, "application/jsonl": str},
                   responses={201: LiteratureImportOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        try:
            rows, _ = table_row_stream(request.data, required=("id", "title", "abstract"))
            result = literature_import(study=study, rows=rows)
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(LiteratureImportOutput(result).data, status=status.HTTP_201_CREATED)


class StageOutput(serializers.Serializer):
    stage = serializers.CharField()
    position = serializers.IntegerField()
    tokens_evaluated = serializers.IntegerField()
    gate = serializers.DictField()
    data = serializers.DictField()


class RatingArtefactsOutput(serializers.Serializer):
    rating = serializers.IntegerField()
    target = serializers.CharField()
    instrument = serializers.CharField()
    rater = serializers.CharField()
    stages = StageOutput(many=True)


class ScoringJobArtefactsApi(ListAPIView):
    """The stage artefacts of a pipeline job's ratings (claims and their gate, the papers
    retrieved per claim with their abstracts and what was excluded, each comparison with its
    cited passages and contradiction flag, the judgement's summary and consistency), one entry
    per rating, paginated; `?target=ID` for one target. Another user's job is a 404; a scale
    instrument's job, or one whose material was deleted, has none."""

    serializer_class = RatingArtefactsOutput

    def get_queryset(self):
        job = get_object_or_404(scoring_jobs_for_user(user=self.request.user), pk=self.kwargs["job_id"])
        artefacts_exported(actor=Actor.from_request(self.request), job=job)
        ratings = artefacts_for_job(job=job)
        target = self.request.query_params.get("target")
        return ratings.filter(target__external_id=target) if target else ratings

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [{"rating": r.pk, "target": r.target.external_id, "instrument": str(r.instrument_version),
                 "rater": r.rater.name,
                 "stages": [{"stage": a.stage, "position": a.position, "tokens_evaluated": a.tokens_evaluated,
                             "gate": a.gate, "data": a.data} for a in artefacts_of(r)]} for r in page]
        return self.get_paginated_response(RatingArtefactsOutput(rows, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("target", str, description="one target's external id")],
                   responses={200: RatingArtefactsOutput(many=True), 404: ErrorOutput})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
