"""Probabilities of multi-token answers, read on a shared prefix (pure; no model here).

An answer such as "42" can take several tokens. Its probability is the product of its tokens'
conditional probabilities. The answers are arranged in a trie, so every shared start ("4" of
40..49) is evaluated once: a 0-100 scale costs one model step per inner node (about a dozen
single-token steps with a digit-by-digit tokenizer), not one per number.

When an answer is also the start of a longer one ("1" and "10"), its probability is the
probability of its tokens times the probability that the answer stops there, i.e. that the next
token does not continue it (``continues`` marks tokens beginning with a letter or digit). An
answer that starts no other admissible answer is not followed by a stop check: the mass of
inadmissible longer strings ("110") stays with it, which saves one step per leaf.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class _Node:
    value: int | None = None
    children: dict[object, "_Node"] = field(default_factory=dict)


def _build_trie(sequences: Mapping[int, Sequence[object]]) -> _Node:
    root = _Node()
    for value, keys in sequences.items():
        if not keys:
            raise ValueError(f"The answer for value {value} has no tokens.")
        node = root
        for key in keys:
            node = node.children.setdefault(key, _Node())
        if node.value is not None:
            raise ValueError(f"Values {node.value} and {value} have the same tokens.")
        node.value = value
    return root


def _log_stop(logprobs: np.ndarray, continues: np.ndarray) -> float:
    p_continue = float(np.sum(np.exp(logprobs[continues])))
    return math.log(max(1.0 - p_continue, 1e-300))


def score_token_sequences(
    sequences: Mapping[int, Sequence[int]],
    logprobs_after: Callable[[tuple[int, ...]], np.ndarray],
    continues: np.ndarray,
) -> tuple[dict[int, float], int]:
    """Log-probability of each value's token sequence, and the number of model steps taken.

    ``logprobs_after(path)`` returns log-probabilities over the vocabulary for the token that
    follows the prompt plus ``path`` (``path == ()`` is the answer position).
    """
    root = _build_trie(sequences)
    result: dict[int, float] = {}
    steps = 0

    def visit(node: _Node, path: tuple[int, ...], logp: float) -> None:
        nonlocal steps
        logprobs = logprobs_after(path)
        steps += 1
        if node.value is not None:
            result[node.value] = logp + _log_stop(logprobs, continues)
        for key, child in node.children.items():
            child_logp = logp + float(logprobs[int(key)])
            if child.children:
                visit(child, path + (int(key),), child_logp)
            else:
                result[child.value] = child_logp  # type: ignore[index]

    visit(root, (), 0.0)
    return result, steps


def score_text_answers(
    answers: Mapping[int, str],
    top_logprobs_after: Callable[[str], Mapping[str, float]],
) -> tuple[dict[int, float], int]:
    """Like ``score_token_sequences`` when only the top alternatives are visible (HTTP APIs).

    ``top_logprobs_after(text)`` returns ``{token text: log-probability}`` for the token that
    follows the prompt plus ``text``. An answer whose tokens are not among the top alternatives
    gets no probability; the stop check counts only visible continuing tokens.
    """
    by_text = {text: value for value, text in answers.items()}
    prefixes = {text[:i] for text in by_text for i in range(1, len(text))}
    result: dict[int, float] = {}
    steps = 0

    def visit(text: str, logp: float) -> None:
        nonlocal steps
        top = top_logprobs_after(text)
        steps += 1
        if text in by_text:
            p_continue = sum(math.exp(lp) for tok, lp in top.items() if tok[:1].isalnum())
            value = by_text[text]
            stop = logp + math.log(max(1.0 - p_continue, 1e-300))
            result[value] = float(np.logaddexp(result.get(value, -math.inf), stop))
        for token, token_logp in top.items():
            extended = text + token
            if not token or extended == text:
                continue
            if extended in prefixes:
                visit(extended, logp + token_logp)
            elif extended in by_text:
                value = by_text[extended]
                result[value] = float(np.logaddexp(result.get(value, -math.inf),
                                                   logp + token_logp))

    visit("", 0.0)
    return result, steps
