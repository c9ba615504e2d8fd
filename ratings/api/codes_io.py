"""A study's segment codes (coding instruments): import them in long format, export every code."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from common.csv_safe import csv_text
from ratings.selectors import segment_code_row, study_segment_codes
from ratings.services.access import ratings_exported
from ratings.services.codes_import import REQUIRED_COLUMNS, codes_import
from ratings.services.import_raters import ImportSource
from ratings.services.segments import segments_import
from ratings.tabular import ImportRejected

from .common import TABLE_PARSERS, ErrorListOutput, ErrorOutput, body_sha256, rejected_response, table_rows
from .ratings_io import JsonLinesRenderer
from .studies import study_for


class CodeImportRow(serializers.Serializer):
    target_id = serializers.CharField()
    segment_id = serializers.CharField()
    rater_id = serializers.CharField()
    code_set = serializers.CharField()
    code = serializers.CharField()
    instrument = serializers.CharField(required=False)
    rater_kind = serializers.ChoiceField(choices=["human", "llm"], required=False)
    model = serializers.CharField(required=False, help_text="an outside judge's model")
    distribution = serializers.DictField(child=serializers.FloatField(), required=False,
                                         help_text="an outside judge's probability per code of the set")


class SegmentCodeOutput(serializers.Serializer):
    target_id = serializers.CharField()
    segment_id = serializers.CharField()
    position = serializers.IntegerField()
    speaker = serializers.CharField()
    rater_id = serializers.CharField()
    rater_kind = serializers.CharField()
    instrument = serializers.CharField()
    instrument_version_hash = serializers.CharField()
    code_set = serializers.CharField()
    code = serializers.CharField()
    distribution = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    status = serializers.CharField()
    source = serializers.CharField()
    provenance = serializers.DictField()


EXPORT_COLUMNS = list(SegmentCodeOutput().fields)


class CodesCsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, list):  # an error body
            data = [data]
        columns = EXPORT_COLUMNS if not data or "code_set" in data[0] else list(data[0])
        return csv_text(data, columns).encode("utf-8")


class CodesImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    segment_codes = serializers.IntegerField()
    raters_created = serializers.IntegerField()


class CodesApi(APIView):
    """GET exports every segment code of the study's coding ratings, in transcript order (JSON,
    `?format=csv` or `?format=jsonl`). POST imports codes in long format
    (`target_id,segment_id,rater_id,code_set,code[,instrument,rater_kind,model,distribution]`),
    atomically; every bad row is named with its line and reason."""

    large_uploads = True
    parser_classes = TABLE_PARSERS
    renderer_classes = [JSONRenderer, CodesCsvRenderer, JsonLinesRenderer]

    @extend_schema(responses={200: SegmentCodeOutput(many=True), 404: ErrorOutput})
    def get(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        rows = [segment_code_row(code) for code in study_segment_codes(study=study).iterator(2000)]
        ratings_exported(actor=Actor.from_request(request), study=study,
                         detail={"segment_codes": len(rows), "format": request.accepted_renderer.format})
        return Response(rows)

    @extend_schema(
        parameters=[
            OpenApiParameter("instrument", str, description="`slug` or `slug@version` when the rows name none and "
                                                            "the study uses several coding instruments"),
            OpenApiParameter("rater_kind", str, enum=["human", "llm"],
                             description="kind of the coders unless a row's `rater_kind` says otherwise"),
            OpenApiParameter("model", str, description="the outside judges' model, unless a `model` column names it"),
            OpenApiParameter("file_name", str, description="the file's name, kept in the ratings' provenance"),
        ],
        request={"application/json": CodeImportRow(many=True), "text/csv": str, "application/jsonl": str},
        responses={201: CodesImportOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        try:
            rows, _ = table_rows(request.data, required=REQUIRED_COLUMNS)
            params = request.query_params
            result = codes_import(
                study=study, rows=rows, instrument=params.get("instrument"),
                rater_kind=params.get("rater_kind", "human"), model=params.get("model", ""),
                source=ImportSource(file_name=params.get("file_name", "")[:300], file_sha256=body_sha256(request.data)),
                actor=Actor.from_request(request))
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(CodesImportOutput(result).data, status=status.HTTP_201_CREATED)


class SegmentImportRow(serializers.Serializer):
    target_id = serializers.CharField()
    segment_id = serializers.CharField()
    speaker = serializers.CharField()
    text = serializers.CharField()


class SegmentsImportOutput(serializers.Serializer):
    targets = serializers.IntegerField()
    segments = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class SegmentsApi(APIView):
    """POST stores the ordered segments (utterances) of the study's targets, long format
    (`target_id,segment_id,speaker,text`, a target's rows in order), atomically; a target's
    segments are stored once (the same again changes nothing, different ones are refused)."""

    large_uploads = True
    parser_classes = TABLE_PARSERS

    @extend_schema(request={"application/json": SegmentImportRow(many=True), "text/csv": str, "application/jsonl": str},
                   responses={201: SegmentsImportOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        try:
            rows, _ = table_rows(request.data, required=("target_id", "segment_id", "speaker", "text"))
            result = segments_import(study=study, rows=rows, actor=Actor.from_request(request),
                                     file_name=request.query_params.get("file_name", "")[:300])
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(SegmentsImportOutput(result).data, status=status.HTTP_201_CREATED)
