"""A study's literature corpus and the intermediate artefacts of each pipeline run.

Artefacts belong to the LLM rating they led to (deleted with it, replaced when a later job
re-scores the target), so every stored score can be traced back through the judgement, the
comparisons and the retrieved papers to the claims read from the paper.
"""

import hashlib
import json

from django.db import models
from django.db.models import Q

from ratings.models import Rating, Study

from .fields import EncryptedJSONField


def paper_sha256(*, external_id: str, title: str, abstract: str, date: str) -> str:
    """What the retrieval index depends on, hashed: a changed paper changes the corpus fingerprint."""
    return hashlib.sha256(json.dumps([external_id, title, abstract, date]).encode("utf-8")).hexdigest()


class LiteraturePaper(models.Model):
    """One paper of the prior-literature corpus a study's submissions are compared with."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="literature")
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=1000)
    abstract = models.TextField()
    date = models.CharField(max_length=10, help_text="YYYY, YYYY-MM or YYYY-MM-DD (publication or submission)")
    year = models.PositiveIntegerField(help_text="the year of `date`")
    venue = models.CharField(max_length=300, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "external_id"], name="unique_paper_per_study"),
        ]

    def __str__(self) -> str:
        return f"{self.study.slug}/{self.external_id}"

    def save(self, *args, **kwargs):
        self.year = int(self.date[:4]) if self.date[:4].isdigit() else self.year
        self.content_sha256 = paper_sha256(external_id=self.external_id, title=self.title, abstract=self.abstract,
                                           date=self.date)
        super().save(*args, **kwargs)


class PipelineArtefact(models.Model):
    """The output of one stage for one rating: its data, the tokens it cost and its gate.

    ``data`` and ``gate`` quote the material (claims, source sentences, the abstract), so they
    are encrypted at rest like target texts, and deleted with the study's material."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="pipeline_artefacts")
    stage = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField()
    data = EncryptedJSONField(help_text="encrypted at rest (ANCHOR_ENCRYPTION_KEYS)")
    tokens_evaluated = models.PositiveIntegerField(default=0)
    gate = EncryptedJSONField(default=dict, blank=True,
                              help_text='{"name": ..., "checks": [...], "kept": n, "dropped": n, '
                                        '"dropped_by_reason": {...}, "dropped_items": [...]} (encrypted)')

    class Meta:
        ordering = ["rating", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "stage"], name="unique_artefact_per_stage"),
            models.CheckConstraint(condition=~Q(stage=""), name="artefact_stage_named"),
        ]

    def __str__(self) -> str:
        return f"{self.rating_id}:{self.stage}"
