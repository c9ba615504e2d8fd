"""A study's literature corpus over the API: list (paginated) and bulk upload (atomic)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ratings.api.common import TABLE_PARSERS, ErrorListOutput, ErrorOutput, rejected_response, table_rows
from ratings.api.studies import study_for
from ratings.tabular import ImportRejected

from .selectors import literature_for_study
from .services import literature_import


class PaperOutput(serializers.Serializer):
    id = serializers.CharField(source="external_id")
    title = serializers.CharField()
    abstract = serializers.CharField()
    year = serializers.IntegerField()
    venue = serializers.CharField()


class LiteratureImportOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class LiteratureListUploadApi(ListAPIView):
    """GET lists the study's literature corpus; POST adds papers (a JSON array, `text/csv` or
    `application/jsonl` with `id,title,abstract,year,venue`): one bad row rejects them all,
    each named with its line, and nothing is stored."""

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
            rows, _ = table_rows(request.data, required=("id", "title", "abstract"))
            result = literature_import(study=study, rows=rows)
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(LiteratureImportOutput(result).data, status=status.HTTP_201_CREATED)
