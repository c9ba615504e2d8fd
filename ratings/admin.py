"""Admin for studies, targets, raters, assignments, ratings and scoring jobs.

Ratings and scoring jobs are records of what happened: the admin shows them and does not edit
them (a manager reopens a rating through the rating service, not by editing rows).
"""

from django.contrib import admin

from audit.actor import Actor

from .models import Assignment, ItemScore, Rater, Rating, ScoringJob, Study, Target
from .services.access import material_viewed
from .services.rating_forms import rating_reopen


class TargetInline(admin.TabularInline):
    model = Target
    fields = ["external_id", "metadata", "criteria"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "rating_design", "created_at"]
    search_fields = ["slug", "title"]
    filter_horizontal = ["instrument_versions", "managers"]
    inlines = [TargetInline]
    # The design changes the report's coefficients: it changes through its service (study page,
    # API, set_rating_design), which records who changed it in the audit log.
    readonly_fields = ["rating_design"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["external_id", "study", "created_at"]
    list_filter = ["study"]
    search_fields = ["external_id"]
    readonly_fields = ["study", "external_id", "text"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        target = self.get_object(request, object_id)
        if target is not None:
            material_viewed(actor=Actor.from_request(request), study=target.study, object_id=target.external_id)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Rater)
class RaterAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "study", "user", "model_path", "prompt_template_version"]
    list_filter = ["kind", "study"]
    search_fields = ["name"]
    list_select_related = ["study", "user"]
    raw_id_fields = ["target"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["target", "rater", "instrument_version", "status", "created_at"]
    list_filter = ["status", "target__study", "rater"]
    list_select_related = ["target__study", "rater", "instrument_version__instrument"]


class ItemScoreInline(admin.TabularInline):
    model = ItemScore
    fields = ["item", "score", "expected_score", "distribution", "rationale"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["target", "rater", "instrument_version", "source", "status", "updated_at"]
    list_filter = ["source", "status", "target__study", "rater"]
    list_select_related = ["target__study", "rater", "instrument_version__instrument"]
    readonly_fields = ["rater", "target", "instrument_version", "source", "status", "scoring_job",
                       "provenance", "seconds_spent", "submitted_at", "created_at", "updated_at"]
    inlines = [ItemScoreInline]
    actions = ["reopen"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reopen the selected submitted form ratings for editing")
    def reopen(self, request, queryset):
        submitted = queryset.filter(source=Rating.Source.FORM, status=Rating.Status.SUBMITTED)
        actor = Actor.from_request(request)
        reopened = [rating_reopen(rating=r, actor=actor) for r in submitted.select_related("target__study")]
        self.message_user(request, f"{len(reopened)} rating(s) reopened")


@admin.register(ScoringJob)
class ScoringJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "study", "rater", "instrument_version", "status", "completed", "failed", "total",
                    "created_at"]
    list_filter = ["status", "study"]
    readonly_fields = ["study", "instrument_version", "rater", "status", "total", "completed", "failed",
                       "errors", "created_by", "created_at", "started_at", "finished_at"]

    def has_add_permission(self, request):
        return False
