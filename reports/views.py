"""The study report page: the cached report (the same HTML as the standalone file) or, while a
worker computes it, a progress page that refreshes itself; for staff or the study's managers."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from audit.actor import Actor

from .models import ReportRun
from .render import render_csv_zip
from .selectors import report_instrument_version, report_study_for_user
from .services import (
    ReportOptionError, report_exported, report_options, report_run_get_or_start, report_run_page, report_viewed,
)


def _run_for_request(request, slug):
    study = report_study_for_user(user=request.user, slug=slug)
    try:
        version = report_instrument_version(study, request.GET.get("instrument"))
    except ValueError as error:
        raise Http404(str(error)) from None
    options = report_options(cluster_field=request.GET.get("cluster"))
    try:
        return report_run_get_or_start(study=study, version=version, options=options, created_by=request.user)
    except ReportOptionError as error:
        raise Http404(str(error)) from None


@login_required
def study_report_page(request, slug):
    run = _run_for_request(request, slug)
    if run.status == ReportRun.Status.DONE:
        report_viewed(actor=Actor.from_request(request), study=run.study,
                      detail={"instrument": str(run.instrument_version)})
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return HttpResponse(report_run_page(run=run, tables_url=reverse("reports:study-report-tables",
                                                                        args=[slug]) + query))
    return render(request, "reports/report_progress.html", {"run": run, "percent": round(100 * run.progress)},
                  status=500 if run.status == ReportRun.Status.FAILED else 202)


@login_required
def study_report_tables(request, slug):
    """Every table of the (cached) report as CSV files in one zip; while the report is being
    computed, the report page (which shows progress)."""
    run = _run_for_request(request, slug)
    if run.status != ReportRun.Status.DONE:
        return redirect(reverse("reports:study-report", args=[slug]) + (f"?{request.GET.urlencode()}"
                                                                        if request.GET else ""))
    report_exported(actor=Actor.from_request(request), study=run.study,
                    detail={"instrument": str(run.instrument_version), "format": "csv-zip"})
    response = HttpResponse(render_csv_zip(run.result), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slug}-report-tables.zip"'
    return response
