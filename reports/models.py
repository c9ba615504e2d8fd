"""Cached report computations: one row per study, instrument version, options and ratings state.

A report is valid for as long as the ratings it was computed from are unchanged; the
``fingerprint`` summarises them (`reports.selectors.ratings_fingerprint`), so a changed rating
makes a new row and the old one is never read again.
"""

from django.conf import settings
from django.db import models

from instruments.models import InstrumentVersion
from ratings.models import Study


class ReportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="report_runs")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="+")
    options = models.JSONField(default=dict, help_text="cluster_field, seed, n_boot")
    options_key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, help_text="of the ratings, targets and jobs it was computed from")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    section = models.CharField(max_length=64, blank=True, help_text="the section being computed")
    result = models.JSONField(null=True, blank=True)
    html = models.TextField(blank=True, help_text="the rendered page (tables and plots), rendered once with the "
                                                  "result so that a view does not draw the plots again")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["study", "instrument_version", "options_key", "fingerprint"],
                                    name="unique_report_run_per_state"),
            models.CheckConstraint(condition=models.Q(progress__gte=0, progress__lte=1),
                                   name="report_run_progress_in_unit_interval"),
        ]

    def __str__(self) -> str:
        return f"report run {self.pk} of {self.study} ({self.status})"
