"""Writes for studies, targets, raters, assignments and ratings (one transaction each)."""

from .assignments import assignments_create
from .ratings_import import RatingsImportResult, ratings_import
from .studies import study_get_or_create, study_use_instrument
from .targets import TargetsImportResult, targets_import

__all__ = [
    "RatingsImportResult", "TargetsImportResult", "assignments_create", "ratings_import",
    "study_get_or_create", "study_use_instrument", "targets_import",
]
