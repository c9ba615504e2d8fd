"""The study report as JSON: ``GET /api/v1/studies/SLUG/report/`` (same numbers as the page).

A small study's report is computed at once (200); a large one by a worker: the answer is 202
with the run's URL, ``GET /api/v1/report-runs/ID/`` shows its progress, and the report URL
answers 200 with the cached report once it is done, until the ratings change.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor

from .models import ReportRun
from .selectors import report_instrument_version, report_runs_for_user, report_study_for_user
from .services import ReportOptionError, report_options, report_run_get_or_start, report_viewed


def run_output(run: ReportRun) -> dict:
    return {"id": run.pk, "url": reverse("api-report-run", args=[run.pk]), "study": run.study.slug,
            "instrument": str(run.instrument_version), "options": run.options, "status": run.status,
            "progress": run.progress, "section": run.section, "error": run.error or None,
            "report_url": reverse("api-study-report", args=[run.study.slug]),
            "created_at": run.created_at, "finished_at": run.finished_at}


class StudyReportApi(APIView):
    """The study's reliability and validity report; another user's study answers 404."""

    @extend_schema(
        parameters=[OpenApiParameter("instrument", str, description="slug or slug@version, when several"),
                    OpenApiParameter("cluster", str, description="metadata field for the cluster bootstrap")],
        responses={200: {"type": "object"}, 202: {"type": "object"}, 400: {"type": "object"},
                   404: {"type": "object"}},
    )
    def get(self, request: Request, slug: str) -> Response:
        study = report_study_for_user(user=request.user, slug=slug)
        try:
            version = report_instrument_version(study, request.query_params.get("instrument"))
        except ValueError as exc:
            return Response({"detail": str(exc), "errors": []}, status=status.HTTP_400_BAD_REQUEST)
        try:
            run = report_run_get_or_start(study=study, version=version, created_by=request.user,
                                          options=report_options(cluster_field=request.query_params.get("cluster")))
        except ReportOptionError as exc:
            return Response({"detail": str(exc), "errors": []}, status=status.HTTP_400_BAD_REQUEST)
        if run.status == ReportRun.Status.DONE:
            report_viewed(actor=Actor.from_request(request), study=study, detail={"instrument": str(version)})
            return Response(run.result)
        code = status.HTTP_500_INTERNAL_SERVER_ERROR if run.status == ReportRun.Status.FAILED else status.HTTP_202_ACCEPTED
        return Response(run_output(run), status=code)


class ReportRunApi(APIView):
    """A report computation's status and progress; another user's run answers 404."""

    @extend_schema(responses={200: {"type": "object"}, 404: {"type": "object"}})
    def get(self, request: Request, run_id: int) -> Response:
        return Response(run_output(get_object_or_404(report_runs_for_user(user=request.user), pk=run_id)))
