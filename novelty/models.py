"""A study's literature corpus and the intermediate artefacts of each pipeline run.

Artefacts belong to the LLM rating they led to (deleted with it, replaced when a later job
re-scores the target), so every stored score can be traced back through the judgement, the
comparisons and the retrieved papers to the claims read from the paper.
"""

from django.db import models
from django.db.models import Q

from ratings.models import Rating, Study


class LiteraturePaper(models.Model):
    """One paper of the related-work corpus a study's submissions are compared with."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="literature")
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=1000)
    abstract = models.TextField()
    year = models.PositiveIntegerField()
    venue = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "external_id"], name="unique_paper_per_study"),
        ]

    def __str__(self) -> str:
        return f"{self.study.slug}/{self.external_id}"


class PipelineArtefact(models.Model):
    """The output of one stage for one rating: its data, the tokens it cost and its gate."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="pipeline_artefacts")
    stage = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField()
    data = models.JSONField()
    tokens_evaluated = models.PositiveIntegerField(default=0)
    gate = models.JSONField(default=dict, blank=True,
                            help_text='{"name": ..., "kept": n, "dropped": n, "dropped_items": [...]}')

    class Meta:
        ordering = ["rating", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "stage"], name="unique_artefact_per_stage"),
            models.CheckConstraint(condition=~Q(stage=""), name="artefact_stage_named"),
        ]

    def __str__(self) -> str:
        return f"{self.rating_id}:{self.stage}"
