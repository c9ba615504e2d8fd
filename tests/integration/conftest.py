"""Helpers for tests that start real processes (the dev server, Celery workers)."""

import os
import socket
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float) -> int:
    """The first HTTP status ``url`` answers with, polling until ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def port_is_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def isolated_env(tmp_path):
    """An environment whose database, broker and results live in a fresh ``var`` folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_"))}
    env.update(ANCHOR_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    return env
