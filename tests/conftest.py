"""Fixtures shared by the Django tests."""

from pathlib import Path

import pytest

from instruments.selectors import builtin_definition_files, instrument_version_get
from instruments.services import instrument_load

BUILTIN = {path.stem: path for path in builtin_definition_files()}


@pytest.fixture
def builtin_text():
    """The text of a built-in definition by slug."""
    return lambda slug: BUILTIN[slug].read_text(encoding="utf-8")


@pytest.fixture
def engagement(db):
    """The therapy-engagement instrument, published."""
    instrument_load(text=BUILTIN["therapy-engagement"].read_text(encoding="utf-8"))
    return instrument_version_get(reference="therapy-engagement")


@pytest.fixture
def write_file(tmp_path):
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness buys nothing in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _audit_log_emptied_before_flush(request):
    """Transactional tests end with a flush (DELETE on SQLite), which the audit log's append-only
    trigger refuses; empty the log with the triggers suspended first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or \
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if transactional:
        request.getfixturevalue("transactional_db")
    yield
    if transactional:
        from audit.models import AuditEvent
        from audit.triggers import triggers_suspended

        if AuditEvent.objects.exists():
            with triggers_suspended():
                AuditEvent.objects.all().delete()
