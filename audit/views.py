"""The audit log for administrators: a page (newest first, filterable) and a CSV or JSONL export.

Reading the log is itself recorded, so who looked at who looked is on record too."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from common.csv_safe import csv_text

from .models import AuditEvent
from .selectors import EXPORT_COLUMNS, audit_event_row, audit_events, audit_log_readable_by
from .actor import Actor
from .services import audit_log_exported, audit_log_viewed


def _filters(request) -> dict:
    return {key: request.GET.get(key, "").strip() for key in ("study", "username", "action")}


def _require_reader(request):
    if not audit_log_readable_by(request.user):
        raise PermissionDenied("administrators only")


@login_required
def audit_log_page(request):
    _require_reader(request)
    filters = _filters(request)
    page = Paginator(audit_events(**filters), 100).get_page(request.GET.get("page"))
    audit_log_viewed(actor=Actor.from_request(request), filters=filters)
    return render(request, "audit/log.html", {"page": page, "filters": filters,
                                              "actions": AuditEvent.Action.values})


@login_required
def audit_log_export(request):
    _require_reader(request)
    filters = _filters(request)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "jsonl"):
        return HttpResponse("format must be csv or jsonl", status=400, content_type="text/plain")
    audit_log_exported(actor=Actor.from_request(request), filters=filters, fmt=fmt)
    rows = (audit_event_row(e) for e in audit_events(**filters).order_by("at", "id").iterator(2000))
    if fmt == "csv":
        body, content_type = csv_text(rows, EXPORT_COLUMNS), "text/csv"
    else:
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        content_type = "application/jsonl"
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log.{fmt}"'
    return response
