"""The study report page: the same HTML as the standalone file, for staff or the study's creator."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from audit.services import audit_record

from .build import study_report
from .render import render_html
from .selectors import report_instrument_version, report_study_for_user


@login_required
def study_report_page(request, slug):
    study = report_study_for_user(user=request.user, slug=slug)
    try:
        version = report_instrument_version(study, request.GET.get("instrument"))
    except ValueError as error:
        raise Http404(str(error)) from None
    report = study_report(study, instrument_version=version,
                          cluster_field=request.GET.get("cluster") or None)
    audit_record(request=request, action="view", object_type="report", study=study, detail={"instrument": str(version)})
    return HttpResponse(render_html(report))
