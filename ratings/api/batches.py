"""Batch scoring: post texts and an instrument, get a job to follow."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from ratings.services.batches import batch_create
from ratings.services.scoring import ScoringError
from ratings.tabular import ImportRejected

from .common import MAX_ROWS, CreatesStudies, ErrorListOutput, ErrorOutput, rejected_response
from .jobs import ScoringJobOutput, job_output


class BatchItemSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=200)
    text = serializers.CharField(trim_whitespace=False)
    metadata = serializers.DictField(required=False, default=dict)


class BatchInput(serializers.Serializer):
    instrument = serializers.CharField(max_length=200, help_text="`slug` (latest version) or `slug@version`")
    items = BatchItemSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)


class BatchCreateApi(APIView):
    """Rate a batch of texts with the local LLM: 202 and the job to follow.

    The same `Idempotency-Key` (per user) returns the first request's job instead of a second one."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (config/upload_limit.py)

    permission_classes = [CreatesStudies]

    @extend_schema(
        request=BatchInput,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                     description="a client-chosen key; a retry with it returns the same job")],
        responses={202: ScoringJobOutput, 400: ErrorListOutput, 401: ErrorOutput, 403: ErrorOutput},
    )
    def post(self, request: Request) -> Response:
        data = BatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:255] or None
        try:
            result = batch_create(owner=request.user, idempotency_key=key, actor=Actor.from_request(request),
                                  **data.validated_data)
        except ScoringError as exc:
            return Response({"detail": str(exc), "errors": [{"field": "instrument", "message": str(exc)}]},
                            status=status.HTTP_400_BAD_REQUEST)
        except ImportRejected as exc:
            return rejected_response(exc)
        body = job_output(result.job)
        headers = {"Location": body["url"]}
        if not result.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)
