"""The audit log: who viewed, exported, changed or deleted what, and when.

Append-only in the database (triggers refuse UPDATE and DELETE, see migration 0002), so the
log cannot be edited even by code with database access. Users, studies and objects are kept
as plain values, not foreign keys: deleting a user or a study must neither cascade into the
log nor try to update it.
"""

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view"
        EXPORT = "export"
        CREATE = "create"
        CHANGE = "change"
        DELETE = "delete"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True, help_text="empty: a command or a worker")
    action = models.CharField(max_length=8, choices=Action.choices)
    object_type = models.CharField(max_length=32, help_text="material, ratings, report, study, job, audit")
    object_id = models.CharField(max_length=200, blank=True)
    study = models.CharField(max_length=64, blank=True, db_index=True, help_text="the study's slug")
    detail = models.JSONField(default=dict, blank=True)
    via = models.CharField(max_length=16, help_text="web, api, admin or command")
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type} {self.object_id}"
