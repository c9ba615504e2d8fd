"""Choosing a backend from settings: the only constructor the rest of Anchor calls."""

from os import PathLike
from typing import Literal

from .backend import LlmBackend
from .errors import LlmPermanentError
from .threads import ThreadsSetting

BackendKind = Literal["llama_cpp", "http"]


def get_backend(
    kind: BackendKind = "llama_cpp",
    *,
    model_path: str | PathLike[str] | None = None,
    base_url: str | None = None,
    n_ctx: int = 4096,
    n_threads: ThreadsSetting = "auto",
    seed: int = 0,
    model: str | None = None,
    flavour: Literal["llama_cpp", "vllm"] = "llama_cpp",
    timeout_s: float = 120.0,
) -> LlmBackend:
    """A backend of ``kind``.

    ``llama_cpp``: the GGUF at ``model_path`` (default: the bundled SmolLM2-135M-Instruct),
    loaded once per process and settings, with ``n_threads`` CPU threads (``"auto"``: the cores
    free when it loads, ``threads.auto_threads``). ``http``: the OpenAI-compatible server at
    ``base_url``; ``model_path``, if given, is only hashed for provenance.
    """
    if kind == "llama_cpp":
        from .llama_cpp_backend import LlamaCppBackend

        return LlamaCppBackend(model_path, n_ctx=n_ctx, n_threads=n_threads, seed=seed)
    if kind == "http":
        from .http_backend import HttpBackend
        from .model_files import model_sha256

        if not base_url:
            raise LlmPermanentError("The http LLM backend needs a base_url.")
        return HttpBackend(base_url, model=model, n_ctx=n_ctx, flavour=flavour,
                           timeout_s=timeout_s,
                           model_sha256=model_sha256(model_path) if model_path else None)
    raise LlmPermanentError(f"Unknown LLM backend {kind!r}; use 'llama_cpp' or 'http'.")
