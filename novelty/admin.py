"""Admin: the literature corpus (editable) and pipeline artefacts (read-only, they are provenance)."""

from django.contrib import admin

from .models import LiteraturePaper, PipelineArtefact


@admin.register(LiteraturePaper)
class LiteraturePaperAdmin(admin.ModelAdmin):
    list_display = ["external_id", "study", "date", "title", "venue"]
    list_filter = ["study", "year"]
    search_fields = ["external_id", "title", "abstract"]


@admin.register(PipelineArtefact)
class PipelineArtefactAdmin(admin.ModelAdmin):
    list_display = ["rating", "stage", "tokens_evaluated"]
    list_filter = ["stage"]
    readonly_fields = ["rating", "stage", "position", "data", "tokens_evaluated", "gate"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
