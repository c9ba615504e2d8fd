"""REST endpoints of the ratings app (under /api/v1/), one module per resource."""

from .batches import BatchCreateApi
from .codes_io import CodesApi
from .jobs import ScoringJobCancelApi, ScoringJobDetailApi, ScoringJobResultsApi
from .ratings_io import RatingsApi
from .robustness import RobustnessRunApi
from .sampling_plans import SamplingPlanApi
from .studies import StudyDetailApi, StudyListCreateApi
from .study_jobs import StudyScoringJobsApi
from .targets import TargetListUploadApi

__all__ = [
    "BatchCreateApi", "CodesApi", "RatingsApi", "RobustnessRunApi", "SamplingPlanApi", "ScoringJobCancelApi", "ScoringJobDetailApi",
    "ScoringJobResultsApi", "StudyDetailApi", "StudyListCreateApi", "StudyScoringJobsApi", "TargetListUploadApi",
]
