"""A bad model file is refused with llama.cpp's own reason, at load and by a worker at start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ratings.llm import LlmPermanentError, get_backend
from ratings.llm.model_files import default_model_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def truncated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / "truncated.gguf"
    with default_model_path().open("rb") as f:
        path.write_bytes(f.read(3_000_000))  # the header and vocabulary, not the weights
    return path


def test_a_truncated_file_is_refused_with_llama_cpps_reason(truncated):
    with pytest.raises(LlmPermanentError, match="data is not within the file bounds"):
        get_backend("llama_cpp", model_path=truncated, n_threads=1)


def test_a_file_that_is_no_model_is_refused_with_llama_cpps_reason(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_bytes(b"these are not the weights you are looking for\n" * 10)
    with pytest.raises(LlmPermanentError, match="invalid magic characters"):
        get_backend("llama_cpp", model_path=path, n_threads=1)


@pytest.mark.slow
def test_a_scoring_worker_with_a_bad_model_refuses_to_start(truncated, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_"))}
    env.update(ANCHOR_VAR_DIR=str(tmp_path / "var"), ANCHOR_LLM_MODEL=str(truncated), ANCHOR_LLM_THREADS="1",
               OMP_WAIT_POLICY="PASSIVE", PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True, timeout=300)
    worker = subprocess.run([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "llm", "--pool=solo",
                             "-n", "bad-model@%h", "--without-gossip", "--without-mingle"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode != 0
    assert "refusing to start" in worker.stderr and "data is not within the file bounds" in worker.stderr
