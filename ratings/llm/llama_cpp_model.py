"""The loaded llama.cpp model: one per process per (file, settings), and its low-level steps.

This module and ``llama_cpp_backend`` are the only ones that import ``llama_cpp``; they do so
lazily, so importing ``ratings.llm`` never loads the native library.
"""

import atexit
import contextlib
import ctypes
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import LlmPermanentError
from .prompt import CHATML, ChatTemplate, Segment, chat_template_from_jinja
from .scoring import log_softmax
from .threads import keep_openmp_from_spinning


@dataclass(frozen=True, slots=True)
class ModelSettings:
    path: Path
    n_ctx: int = 4096
    n_threads: int = 2
    n_batch: int = 512
    seed: int = 0


class LoadedModel:
    """A ``llama_cpp.Llama`` with the helpers the rater needs and a lock for exclusive use.

    ``evaluated`` counts every token run through the model since loading; callers take
    differences to cost a piece of work.
    """

    def __init__(self, settings: ModelSettings) -> None:
        keep_openmp_from_spinning()  # before libgomp loads with llama_cpp
        import llama_cpp

        self.settings = settings
        self.lock = threading.RLock()
        self.evaluated = 0
        try:
            with _llama_log_captured() as log:
                self.llm = llama_cpp.Llama(
                    model_path=str(settings.path), n_ctx=settings.n_ctx, n_batch=settings.n_batch,
                    n_threads=settings.n_threads, n_threads_batch=settings.n_threads,
                    seed=settings.seed, logits_all=False, n_gpu_layers=0, verbose=False)
        except (ValueError, RuntimeError) as exc:
            reason = "; ".join(log) or "llama.cpp gave no reason"
            raise LlmPermanentError(f"Could not load the model {settings.path}: {exc} (llama.cpp: {reason})") from exc
        self.runtime = f"llama-cpp-python {llama_cpp.__version__}"
        self.n_vocab = self.llm.n_vocab()
        self.template, self.bos_in_template = self._chat_template()
        self._vocab_text: list[str] | None = None
        self._continues: np.ndarray | None = None

    def _chat_template(self) -> tuple[ChatTemplate, bool]:
        source = self.llm.metadata.get("tokenizer.chat_template")
        bos = self.piece(self.llm.token_bos(), special=True)
        eos = self.piece(self.llm.token_eos(), special=True)
        if not source:
            return CHATML, False
        try:
            template = chat_template_from_jinja(source, bos_token=bos, eos_token=eos)
        except Exception:  # noqa: BLE001 - any template we cannot cut falls back to ChatML
            return ChatTemplate("chatml-fallback", *_chatml_pieces()), False
        return template, bool(bos) and template.system_start.startswith(bos)

    def piece(self, token: int, *, special: bool = False) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=special).decode("utf-8", errors="replace")

    def vocab_text(self) -> list[str]:
        """The text of every token (special tokens as empty strings), computed once."""
        if self._vocab_text is None:
            self._vocab_text = [self.piece(t) for t in range(self.n_vocab)]
        return self._vocab_text

    def continues_mask(self) -> np.ndarray:
        """Tokens that would extend an answer ending in a letter or digit (computed once)."""
        if self._continues is None:
            self._continues = np.array([t[:1].isalnum() for t in self.vocab_text()], dtype=bool)
        return self._continues

    def tokenize_segments(self, segments: Sequence[Segment], *, bos: bool = False) -> list[int]:
        tokens: list[int] = []
        if bos and self.llm._model.add_bos_token() and not self.bos_in_template:
            tokens.append(self.llm.token_bos())
        for text, is_template in segments:
            if text:
                tokens += self.llm.tokenize(text.encode("utf-8"), add_bos=False,
                                            special=is_template)
        return tokens

    def eval_at(self, n_past: int, tokens: Sequence[int]) -> np.ndarray:
        """Forget everything after ``n_past`` tokens, run ``tokens``, return next-token logprobs."""
        if not tokens:
            raise ValueError("eval_at needs at least one token")
        if n_past + len(tokens) > self.settings.n_ctx:
            raise LlmPermanentError(
                f"{n_past + len(tokens)} tokens do not fit the context of {self.settings.n_ctx}.")
        self.llm.n_tokens = n_past
        try:
            self.llm.eval(list(tokens))
        except RuntimeError as exc:  # llama_decode failed; the same input would fail again
            raise LlmPermanentError(f"llama.cpp could not evaluate the prompt: {exc}") from exc
        self.evaluated += len(tokens)
        return self.last_logprobs()

    def last_logprobs(self) -> np.ndarray:
        import llama_cpp

        pointer = llama_cpp.llama_get_logits_ith(self.llm._ctx.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        return log_softmax(logits)

    def is_end(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token))

    def complete(self, tokens: list[int], **kwargs: Any) -> dict[str, Any]:
        """``Llama.create_completion`` from a clean state (no reuse of an earlier prompt)."""
        self.llm.reset()
        result = self.llm.create_completion(prompt=tokens, **kwargs)
        usage = result.get("usage", {})
        self.evaluated += usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
        return result


def _chatml_pieces() -> tuple[str, str, str, str]:
    return (CHATML.system_start, CHATML.system_end_user_start,
            CHATML.user_end_assistant_start, CHATML.assistant_end_user_start)


_log_lock = threading.Lock()
_WARN, _ERROR, _CONT = 3, 4, 5  # ggml_log_level (ggml.h: none, debug, info, warn, error, cont)


@contextlib.contextmanager
def _llama_log_captured():
    """Collect llama.cpp's warning and error lines while loading (with ``verbose=False`` it
    prints nothing, and a bad file's reason, truncated or bad magic, would be lost)."""
    import llama_cpp
    import llama_cpp._logger as llama_logger

    lines: list[str] = []
    state = {"keep": False}

    def collect(level, text, user_data):
        keep = level in (_WARN, _ERROR) or (level == _CONT and state["keep"])
        state["keep"] = keep
        if keep:
            piece = text.decode("utf-8", errors="replace").strip()
            if piece:
                lines.append(piece)

    callback = llama_cpp.llama_log_callback(collect)
    with _log_lock:
        llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
        try:
            yield lines
        finally:
            llama_cpp.llama_log_set(llama_logger.llama_log_callback, ctypes.c_void_p(0))


_models: dict[ModelSettings, LoadedModel] = {}
_models_lock = threading.Lock()


def load_model(settings: ModelSettings) -> LoadedModel:
    """The process-wide model for these settings, loaded on first use and kept."""
    with _models_lock:
        model = _models.get(settings)
        if model is None:
            model = _models[settings] = LoadedModel(settings)
        return model


@atexit.register
def _close_models() -> None:
    # Free native memory while the interpreter still works (Llama.__del__ at exit fails).
    with _models_lock:
        for model in _models.values():
            model.llm.close()
        _models.clear()
