"""Batch scoring: post texts and an instrument, get a job to follow."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from ratings.services.batches import UnknownInstrument, batch_create
from ratings.services.scoring import ScoringError
from ratings.tabular import ImportRejected

from .common import MAX_ROWS, CreatesStudies, ErrorListOutput, ErrorOutput, rejected_response
from .jobs import ScoringJobOutput, job_output


class BatchItemSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=200)
    text = serializers.CharField(trim_whitespace=False)
    metadata = serializers.DictField(required=False, default=dict)


INSTRUMENT_REFERENCE = r"^[a-z0-9][a-z0-9-]{0,63}(@[0-9A-Za-z.+-]{1,64})?$"


class BatchInput(serializers.Serializer):
    instrument = serializers.RegexField(INSTRUMENT_REFERENCE, max_length=129,
                                        help_text="`slug` (latest version) or `slug@version`")
    items = BatchItemSerializer(many=True, allow_empty=False, min_length=1, max_length=MAX_ROWS)


class BatchCreateApi(APIView):
    """Rate a batch of texts with the local LLM: 202 and the job to follow.

    The same `Idempotency-Key` (per user) returns the first request's job instead of a second one."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (common/upload_limit.py)

    permission_classes = [CreatesStudies]

    @extend_schema(
        request=BatchInput,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                     description="a client-chosen key; a retry with it returns the same job")],
        responses={202: ScoringJobOutput, 400: ErrorListOutput, 401: ErrorOutput, 403: ErrorOutput,
                   404: ErrorOutput},
    )
    def post(self, request: Request) -> Response:
        data = BatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:255] or None
        try:
            result = batch_create(owner=request.user, idempotency_key=key, actor=Actor.from_request(request),
                                  **data.validated_data)
        except UnknownInstrument as exc:  # a well-formed reference to nothing: like a missing object
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
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
