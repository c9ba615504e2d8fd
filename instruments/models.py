"""Instruments and their published versions.

A version's definition never changes once published (the content hash is its identity);
a changed definition is published as a new version, and ratings point to the exact
version they were made with.
"""

from functools import cached_property

from django.core.exceptions import ValidationError
from django.db import models

from .definition import InstrumentSpec, build_spec


class Instrument(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class InstrumentVersion(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale"
        PIPELINE = "pipeline"
        CODING = "coding"

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=300)
    definition = models.JSONField()
    content_hash = models.CharField(max_length=64, unique=True)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instrument__slug", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="unique_instrument_version"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.slug}@{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("a published instrument version is immutable; publish a new version")
        super().save(*args, **kwargs)

    @cached_property
    def spec(self) -> InstrumentSpec:
        return build_spec(self.definition)


class Item(models.Model):
    """One item of a version, kept as a row so scores can reference it and be range-checked."""

    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="items")
    code = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    text = models.TextField()
    scale_min = models.IntegerField()
    scale_max = models.IntegerField()
    level = models.CharField(max_length=16)
    reverse = models.BooleanField(default=False)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["instrument_version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["instrument_version", "code"], name="unique_item_code"),
            models.CheckConstraint(condition=models.Q(scale_min__lt=models.F("scale_max")),
                                   name="item_scale_min_below_max"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_version}:{self.code}"
