"""The audit log in the admin: read only (the database refuses changes anyway)."""

from django.contrib import admin

from common.admin_base import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "action", "object_type", "object_id", "study", "via", "ip"]
    list_filter = ["action", "object_type", "via"]
    search_fields = ["username", "study", "object_id", "request_id"]
    date_hierarchy = "at"
