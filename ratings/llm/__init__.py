"""The local LLM rater: everything that talks to a model. No Django, no Celery.

Importing this package does not load llama.cpp; a backend does, when it is created.
"""

from .backend import ItemProgress, LlmBackend
from .coding import Code, CodeSet, CodingRequest, coding_request_from_definition
from .coding_results import CodingProvenance, CodingResult, CodingWindow, SegmentCode
from .errors import LlmError, LlmPermanentError, LlmTransientError
from .factory import get_backend
from .model_files import default_model_path, model_sha256
from .prompt import PROMPT_VERSION
from .request import (
    DecodingParams,
    ItemPrompt,
    LikertScale,
    NumericScale,
    RatingOptions,
    RatingRequest,
    request_from_definition,
    request_from_spec,
    scale_from_definition,
)
from .results import ItemScore, Provenance, StructuredResult, TargetRating, WindowInfo
from .windows import WINDOW_POLICY

__all__ = [
    "PROMPT_VERSION", "WINDOW_POLICY", "Code", "CodeSet", "CodingProvenance", "CodingRequest",
    "CodingResult", "CodingWindow", "DecodingParams", "ItemProgress", "ItemPrompt", "ItemScore",
    "LikertScale", "LlmBackend", "LlmError", "LlmPermanentError", "LlmTransientError",
    "NumericScale", "Provenance", "RatingOptions", "RatingRequest", "SegmentCode", "StructuredResult",
    "TargetRating", "WindowInfo", "coding_request_from_definition", "default_model_path",
    "get_backend", "model_sha256",
    "request_from_definition", "request_from_spec", "scale_from_definition",
]
