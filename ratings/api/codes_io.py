"""A study's segment codes (coding instruments): import them in long format, export every code."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from audit.actor import Actor
from ratings.selectors import segment_code_row, study_segment_codes
from ratings.services.codes_import import REQUIRED_COLUMNS, codes_import
from ratings.services.segments import segments_import

from .common import ErrorListOutput, ErrorOutput
from .table_io import (ExportCsvRenderer, ImportCountsOutput, JsonLinesRenderer, TableApi, TableImportApi,
                       rater_import_options, rater_import_parameters)


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


class CodesCsvRenderer(ExportCsvRenderer):
    columns = list(SegmentCodeOutput().fields)
    marker = "code_set"


class CodesImportOutput(ImportCountsOutput):
    segment_codes = serializers.IntegerField()
    raters_created = serializers.IntegerField()


@extend_schema_view(
    get=extend_schema(responses={200: SegmentCodeOutput(many=True), 404: ErrorOutput}),
    post=extend_schema(
        parameters=rater_import_parameters(
            instrument="`slug` or `slug@version` when the rows name none and the study uses several coding "
                       "instruments",
            rater_kind="kind of the coders unless a row's `rater_kind` says otherwise"),
        request={"application/json": CodeImportRow(many=True), "text/csv": str, "application/jsonl": str},
        responses={201: CodesImportOutput, 400: ErrorListOutput, 404: ErrorOutput}))
class CodesApi(TableApi):
    """GET exports every segment code of the study's coding ratings, in transcript order (JSON,
    `?format=csv` or `?format=jsonl`). POST imports codes in long format
    (`target_id,segment_id,rater_id,code_set,code[,instrument,rater_kind,model,distribution]`),
    atomically; every bad row is named with its line and reason."""

    renderer_classes = [JSONRenderer, CodesCsvRenderer, JsonLinesRenderer]
    required_columns = REQUIRED_COLUMNS
    import_output = CodesImportOutput
    export_noun = "segment_codes"

    def export_rows(self, study):
        return (segment_code_row(code) for code in study_segment_codes(study=study).iterator(2000))

    def run_import(self, *, request, study, rows, source):
        return codes_import(study=study, rows=rows, source=source, **rater_import_options(request))


class SegmentImportRow(serializers.Serializer):
    target_id = serializers.CharField()
    segment_id = serializers.CharField()
    speaker = serializers.CharField()
    text = serializers.CharField()


class SegmentsImportOutput(serializers.Serializer):
    targets = serializers.IntegerField()
    segments = serializers.IntegerField()
    unchanged = serializers.IntegerField()


@extend_schema_view(post=extend_schema(
    request={"application/json": SegmentImportRow(many=True), "text/csv": str, "application/jsonl": str},
    responses={201: SegmentsImportOutput, 400: ErrorListOutput, 404: ErrorOutput}))
class SegmentsApi(TableImportApi):
    """POST stores the ordered segments (utterances) of the study's targets, long format
    (`target_id,segment_id,speaker,text`, a target's rows in order), atomically; a target's
    segments are stored once (the same again changes nothing, different ones are refused)."""

    required_columns = ("target_id", "segment_id", "speaker", "text")
    import_output = SegmentsImportOutput

    def run_import(self, *, request, study, rows, source):
        return segments_import(study=study, rows=rows, actor=Actor.from_request(request), file_name=source.file_name)
