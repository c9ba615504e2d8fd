"""A study with two coded transcripts' segments and the mi-coding instrument."""

import json

import pytest
from django.core.management import call_command

from instruments.selectors import instrument_version_get
from instruments.services import instrument_load
from ratings.models import Study
from ratings.services import study_use_instrument

TRANSCRIPTS = [
    {"id": "S1", "criteria": {"outcome": 3}, "segments": [
        {"id": "u1", "speaker": "Therapist", "text": "What brings you here today?"},
        {"id": "u2", "speaker": "Client", "text": "I want to stop smoking."},
        {"id": "u3", "speaker": "Therapist", "text": "You have decided it is time."},
        {"id": "u4", "speaker": "Client", "text": "But it helps me relax."},
        {"id": "u5", "speaker": "Narrator", "text": "(pause)"},
    ]},
    {"id": "S2", "criteria": {"outcome": 1}, "segments": [
        {"id": "u1", "speaker": "therapist", "text": "How was the week?"},
        {"id": "u2", "speaker": "client", "text": "Fine, nothing new."},
    ]},
]


@pytest.fixture
def mi_coding(db, builtin_text):
    instrument_load(text=builtin_text("mi-coding"))
    return instrument_version_get(reference="mi-coding")


@pytest.fixture
def coded_study(mi_coding, write_file):
    lines = "".join(json.dumps(t) + "\n" for t in TRANSCRIPTS)
    call_command("import_targets", "mi", str(write_file("t.jsonl", lines)))
    study = Study.objects.get(slug="mi")
    study_use_instrument(study=study, version=mi_coding)
    return study


from tests.api.conftest import alice, api, bob, bob_api  # noqa: E402,F401 (the API's users and clients)
