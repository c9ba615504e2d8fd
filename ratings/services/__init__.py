"""Writes for studies, targets, raters, assignments and ratings (one transaction each)."""

from .assignments import assignments_create
from .ratings_import import RatingsImportResult, ratings_import
from .studies import StudyDesignError, study_get_or_create, study_set_rating_design, study_update, study_use_instrument
from .targets import TargetsImportResult, targets_import

__all__ = [
    "RatingsImportResult", "StudyDesignError", "TargetsImportResult", "assignments_create", "ratings_import",
    "study_get_or_create", "study_set_rating_design", "study_update", "study_use_instrument", "targets_import",
]
