"""The bridge from Django settings to the LLM package: which backend a rater scores with.

Everything else in the ratings app asks this module for a backend and never imports llama_cpp.
"""

from django.conf import settings

from ratings.llm import LlmBackend, get_backend
from ratings.models import Rater


def backend_for_rater(rater: Rater) -> LlmBackend:
    """The backend configured in settings, on the rater's model file.

    The in-process backend keeps one loaded model per worker process and model settings, so
    calling this for every task costs nothing after the first (``ANCHOR_LLM_THREADS=auto`` is
    resolved once per process, so it names the same loaded model every time).
    """
    return get_backend(
        settings.ANCHOR_LLM_BACKEND,
        model_path=rater.model_path or None,
        base_url=settings.ANCHOR_LLM_BASE_URL or None,
        n_ctx=settings.ANCHOR_LLM_N_CTX,
        n_threads=settings.ANCHOR_LLM_THREADS,
        seed=rater.decoding.get("seed", 0),
    )
