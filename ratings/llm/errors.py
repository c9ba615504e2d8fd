"""Errors raised by the LLM rater.

The Celery task retries on ``LlmTransientError`` (a server that is starting, overloaded or
briefly unreachable) and records any other ``LlmError`` as the target's failure: retrying a
missing model file or an instrument the model cannot answer would fail the same way again.
"""


class LlmError(Exception):
    """Base class of every error the LLM rater raises on purpose."""


class LlmTransientError(LlmError):
    """The call may succeed if repeated later (connection refused, timeout, HTTP 429/5xx)."""


class LlmPermanentError(LlmError):
    """Repeating the call cannot help (bad model path, rejected request, unusable output)."""
