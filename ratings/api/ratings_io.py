"""A study's ratings: import ratings in long format (humans and outside judges), export every item score."""

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from common.csv_safe import csv_text
from ratings.selectors import item_score_row, study_item_scores
from ratings.services import ratings_import
from ratings.services.access import ratings_exported
from ratings.services.import_raters import ImportSource
from ratings.tabular import ImportRejected

from .common import (MAX_RATING_ROWS, TABLE_PARSERS, ErrorListOutput, ErrorOutput, body_sha256, rejected_response,
                     table_rows)
from .jobs import ItemScoreOutput
from .studies import study_for

EXPORT_COLUMNS = list(ItemScoreOutput().fields)


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, list):  # an error body
            data = [data]
        columns = EXPORT_COLUMNS if not data or "item" in data[0] else list(data[0])
        return csv_text(data, columns).encode("utf-8")


class JsonLinesRenderer(BaseRenderer):
    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


class RatingImportRow(serializers.Serializer):
    target_id = serializers.CharField()
    rater_id = serializers.CharField()
    item = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="a scale point; an LLM rater's: any number in "
                                                              "the scale's range (its expected score)")
    instrument = serializers.CharField(required=False)
    rater_kind = serializers.ChoiceField(choices=["human", "llm"], required=False)
    model = serializers.CharField(required=False, help_text="an LLM rater's model")
    distribution = serializers.DictField(child=serializers.FloatField(), required=False,
                                         help_text="an LLM rater's probability per scale point, summing to 1")


class RatingsImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    item_scores = serializers.IntegerField()
    raters_created = serializers.IntegerField()
    rating_design = serializers.CharField()


class RatingsApi(APIView):
    """GET exports every item score of the study's ratings (JSON, `?format=csv` or `?format=jsonl`,
    or the Accept header), LLM distributions and provenance included. POST imports ratings in long
    format (`target_id,rater_id,item,score[,instrument,rater_kind,model,distribution]`), atomically;
    rater ids are the study's own."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (common/upload_limit.py)

    parser_classes = TABLE_PARSERS
    renderer_classes = [JSONRenderer, CsvRenderer, JsonLinesRenderer]

    @extend_schema(responses={200: ItemScoreOutput(many=True), 404: ErrorOutput})
    def get(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        rows = [item_score_row(score) for score in study_item_scores(study=study).iterator(2000)]
        ratings_exported(actor=Actor.from_request(request), study=study,
                         detail={"item_scores": len(rows), "format": request.accepted_renderer.format})
        return Response(rows)

    @extend_schema(
        parameters=[
            OpenApiParameter("instrument", str, description="`slug` or `slug@version` when the "
                             "rows name none and the study uses several instruments"),
            OpenApiParameter("rater_kind", str, enum=["human", "llm"],
                             description="kind of the raters unless a row's `rater_kind` says otherwise "
                                         "(default human); llm: outside judges"),
            OpenApiParameter("model", str, description="the outside judges' model, unless a `model` column names it"),
            OpenApiParameter("rater_ids", str, enum=["study", "per-target"],
                             description="per-target: ids are labels per target, each (target, label) its own "
                                         "rater; declares the study one-way"),
            OpenApiParameter("file_name", str, description="the file's name, kept in the ratings' provenance"),
        ],
        request={"application/json": RatingImportRow(many=True), "text/csv": str, "application/jsonl": str},
        responses={201: RatingsImportOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        try:
            rows, _ = table_rows(request.data, required=("target_id", "rater_id", "item", "score"),
                                 max_rows=MAX_RATING_ROWS)
            params = request.query_params
            result = ratings_import(
                study=study, rows=rows, instrument=params.get("instrument"),
                rater_kind=params.get("rater_kind", "human"), model=params.get("model", ""),
                rater_ids=params.get("rater_ids", "study"),
                source=ImportSource(file_name=params.get("file_name", "")[:300], file_sha256=body_sha256(request.data)),
                actor=Actor.from_request(request))
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(RatingsImportOutput(result).data, status=status.HTTP_201_CREATED)
