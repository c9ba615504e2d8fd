"""Read-only admin for instruments: published versions are immutable."""

from django.contrib import admin
from django.utils.html import format_html

from common.admin_base import ReadOnlyAdmin

from .definition import to_yaml
from .models import Instrument, InstrumentVersion, Item


class ItemInline(admin.TabularInline):
    model = Item
    fields = ["position", "code", "text", "scale_min", "scale_max", "level", "reverse", "required"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyAdmin):
    list_display = ["slug", "title", "created_at"]
    search_fields = ["slug", "title"]


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(ReadOnlyAdmin):
    list_display = ["instrument", "version", "kind", "title", "short_hash", "published_at"]
    list_filter = ["kind", "instrument"]
    readonly_fields = ["instrument", "version", "kind", "title", "content_hash", "published_at",
                       "definition_yaml"]
    exclude = ["definition"]
    inlines = [ItemInline]

    @admin.display(description="hash")
    def short_hash(self, obj):
        return obj.content_hash[:12]

    @admin.display(description="definition")
    def definition_yaml(self, obj):
        return format_html("<pre>{}</pre>", to_yaml(obj.definition))
