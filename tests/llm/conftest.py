"""Fixtures for the LLM rater tests: the bundled model, loaded once for the session."""

from pathlib import Path

import pytest
import yaml

from ratings.llm.request import RatingRequest, request_from_definition

ENGAGEMENT = Path(__file__).resolve().parents[2] / "instruments/builtin/therapy-engagement.yaml"

# Fictional, written for these tests.
TRANSCRIPT = """Therapist: How did the week go with the breathing exercise?
Client: I did it four times. It helped on the train, less at work.
Therapist: What was different at work?
Client: People around me. I felt silly closing my eyes at my desk, so I stopped.
Therapist: Would a short walk outside work as a place to do it?
Client: Maybe. I could try it at lunch. I really want to stop feeling this tense all day.
Therapist: Let's plan that. When would you start?
Client: Monday. I will put it in my calendar now."""


@pytest.fixture(scope="session")
def engagement_document() -> dict:
    return yaml.safe_load(ENGAGEMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def engagement_request(engagement_document) -> RatingRequest:
    return request_from_definition(engagement_document, material=TRANSCRIPT)


@pytest.fixture(scope="session")
def backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=2048, n_threads=2)


@pytest.fixture(scope="session")
def engagement_rating(backend, engagement_request):
    """All ten items rated once; tests compare against it instead of rating again."""
    return backend.rate(engagement_request)
