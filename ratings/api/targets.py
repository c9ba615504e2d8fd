"""A study's targets: list (filter by external id, paginated) and bulk upload (atomic)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from audit.actor import Actor
from ratings.selectors import targets_for_user
from ratings.services import targets_import
from ratings.services.access import material_viewed
from ratings.tabular import ImportRejected

from .common import TABLE_PARSERS, ErrorListOutput, ErrorOutput, rejected_response, table_row_stream
from .studies import study_for


class TargetOutput(serializers.Serializer):
    id = serializers.CharField(source="external_id")
    text = serializers.CharField()
    metadata = serializers.DictField()
    criteria = serializers.DictField(child=serializers.FloatField())
    created_at = serializers.DateTimeField()


class TargetUploadRow(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()
    metadata = serializers.DictField(required=False)
    criteria = serializers.DictField(child=serializers.FloatField(), required=False)


class ImportResultOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class TargetListUploadApi(ListAPIView):
    """GET lists a study's targets; POST adds up to 100,000 at once (a JSON array, `text/csv` with
    `id,text,criterion:NAME,...` columns or `application/jsonl`): one bad row rejects them all,
    each bad row named with its line, and nothing is stored."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (common/upload_limit.py)

    serializer_class = TargetOutput
    parser_classes = TABLE_PARSERS

    def get_queryset(self):
        study = study_for(self.request, self.kwargs["slug"])
        targets = targets_for_user(user=self.request.user, study=study).order_by("external_id")
        external_id = self.request.query_params.get("id")
        return targets.filter(external_id=external_id) if external_id is not None else targets

    @extend_schema(parameters=[OpenApiParameter("id", str, description="only the target with this id")],
                   responses={200: TargetOutput(many=True), 404: ErrorOutput})
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        shown = [row["id"] for row in response.data.get("results", [])]
        material_viewed(actor=Actor.from_request(request), study=kwargs["slug"], object_id=",".join(shown)[:200],
                        detail={"targets": len(shown)})
        return response

    @extend_schema(request={"application/json": TargetUploadRow(many=True), "text/csv": str,
                            "application/jsonl": str},
                   responses={201: ImportResultOutput, 400: ErrorListOutput, 404: ErrorOutput})
    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        try:
            rows, fmt = table_row_stream(request.data, required=("id", "text"))  # stored as read
            result = targets_import(study=study, rows=rows, fmt=fmt, actor=Actor.from_request(request))
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(ImportResultOutput(result).data, status=status.HTTP_201_CREATED)
