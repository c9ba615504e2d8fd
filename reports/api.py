"""The study report as JSON: ``GET /api/v1/studies/SLUG/report/`` (same numbers as the page)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_record

from .build import study_report
from .selectors import report_instrument_version, report_study_for_user


class StudyReportApi(APIView):
    """The study's reliability and validity report; another user's study answers 404."""

    @extend_schema(
        parameters=[OpenApiParameter("instrument", str, description="slug or slug@version, when several"),
                    OpenApiParameter("cluster", str, description="metadata field for the cluster bootstrap")],
        responses={200: {"type": "object"}, 400: {"type": "object"}, 404: {"type": "object"}},
    )
    def get(self, request: Request, slug: str) -> Response:
        study = report_study_for_user(user=request.user, slug=slug)
        try:
            version = report_instrument_version(study, request.query_params.get("instrument"))
        except ValueError as exc:
            return Response({"detail": str(exc), "errors": []}, status=status.HTTP_400_BAD_REQUEST)
        audit_record(request=request, action="view", object_type="report", study=study,
                     detail={"instrument": str(version)})
        return Response(study_report(study, instrument_version=version,
                                     cluster_field=request.query_params.get("cluster") or None))
