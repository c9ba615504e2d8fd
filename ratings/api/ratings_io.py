"""A study's ratings: import ratings in long format (humans and outside judges), export every item score."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from ratings.selectors import item_score_row, study_item_scores
from ratings.services import ratings_import

from .common import MAX_RATING_ROWS, ErrorListOutput, ErrorOutput
from .jobs import ItemScoreOutput
from .table_io import (ExportCsvRenderer, ImportCountsOutput, JsonLinesRenderer, TableApi, rater_import_options,
                       rater_import_parameters)


class CsvRenderer(ExportCsvRenderer):
    columns = list(ItemScoreOutput().fields)
    marker = "item"


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


class RatingsImportOutput(ImportCountsOutput):
    item_scores = serializers.IntegerField()
    raters_created = serializers.IntegerField()
    rating_design = serializers.CharField()


@extend_schema_view(
    get=extend_schema(responses={200: ItemScoreOutput(many=True), 404: ErrorOutput}),
    post=extend_schema(
        parameters=[
            *rater_import_parameters(
                instrument="`slug` or `slug@version` when the rows name none and the study uses several instruments",
                rater_kind="kind of the raters unless a row's `rater_kind` says otherwise (default human); "
                           "llm: outside judges"),
            OpenApiParameter("rater_ids", str, enum=["study", "per-target"],
                             description="per-target: ids are labels per target, each (target, label) its own "
                                         "rater; declares the study one-way"),
        ],
        request={"application/json": RatingImportRow(many=True), "text/csv": str, "application/jsonl": str},
        responses={201: RatingsImportOutput, 400: ErrorListOutput, 404: ErrorOutput}))
class RatingsApi(TableApi):
    """GET exports every item score of the study's ratings (JSON, `?format=csv` or `?format=jsonl`,
    or the Accept header), LLM distributions and provenance included. POST imports ratings in long
    format (`target_id,rater_id,item,score[,instrument,rater_kind,model,distribution]`), atomically;
    rater ids are the study's own."""

    renderer_classes = [JSONRenderer, CsvRenderer, JsonLinesRenderer]
    required_columns = ("target_id", "rater_id", "item", "score")
    max_rows = MAX_RATING_ROWS
    import_output = RatingsImportOutput
    export_noun = "item_scores"

    def export_rows(self, study):
        return (item_score_row(score) for score in study_item_scores(study=study).iterator(2000))

    def run_import(self, *, request, study, rows, source):
        return ratings_import(study=study, rows=rows, source=source,
                              rater_ids=request.query_params.get("rater_ids", "study"),
                              **rater_import_options(request))
