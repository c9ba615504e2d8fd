"""Multi-token answers on a shared prefix, against a fake model with known string odds."""

import math

import numpy as np
import pytest

from ratings.llm.candidates import score_text_answers, score_token_sequences

# A toy vocabulary: the digits are tokens 0-9, then an end marker and a word.
END, WORD = 10, 11
TEXT = [str(d) for d in range(10)] + ["", "a"]
CONTINUES = np.array([t[:1].isalnum() for t in TEXT])


class StringModel:
    """Next-token log-probabilities implied by fixed odds of whole answer strings."""

    def __init__(self, odds: dict[str, float]):
        total = sum(odds.values())
        self.p = {s: w / total for s, w in odds.items()}
        self.calls = 0

    def mass(self, prefix: str) -> float:
        return sum(p for s, p in self.p.items() if s.startswith(prefix))

    def next_probs(self, prefix: str) -> np.ndarray:
        self.calls += 1
        here = self.mass(prefix)
        probs = np.zeros(len(TEXT))
        for d in range(10):
            probs[d] = self.mass(prefix + str(d)) / here
        probs[END] = self.p.get(prefix, 0.0) / here
        with np.errstate(divide="ignore"):
            return np.log(probs)

    def by_tokens(self, path: tuple[int, ...]) -> np.ndarray:
        return self.next_probs("".join(TEXT[t] for t in path))

    def top(self, prefix: str) -> dict[str, float]:
        lp = self.next_probs(prefix)
        return {TEXT[i]: float(v) for i, v in enumerate(lp) if TEXT[i] and np.isfinite(v)}


def digits(n: int) -> tuple[int, ...]:
    return tuple(int(c) for c in str(n))


def test_single_token_answers_need_only_the_answer_position():
    model = StringModel({"1": 1, "2": 2, "3": 3, "4": 2, "5": 2})
    logmass, steps = score_token_sequences({v: digits(v) for v in range(1, 6)},
                                           model.by_tokens, CONTINUES)
    assert steps == 1 and model.calls == 1
    assert {v: math.exp(lp) for v, lp in logmass.items()} == pytest.approx(
        {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.2, 5: 0.2}, abs=1e-12)


def test_zero_to_hundred_costs_one_step_per_inner_node_and_is_exact():
    odds = {str(n): 1 + (n % 7) for n in range(101)}
    odds["110"] = 5  # inadmissible; its mass stays with "11"
    model = StringModel(odds)
    logmass, steps = score_token_sequences({n: digits(n) for n in range(101)},
                                           model.by_tokens, CONTINUES)
    assert steps == 11  # the answer position, "1".."9" and "10"
    probs = {n: math.exp(lp) for n, lp in logmass.items()}
    assert probs[1] == pytest.approx(model.p["1"], abs=1e-12)  # stops after "1"
    assert probs[10] == pytest.approx(model.p["10"], abs=1e-12)
    assert probs[100] == pytest.approx(model.p["100"], abs=1e-12)
    assert probs[11] == pytest.approx(model.p["11"] + model.p["110"], abs=1e-12)
    assert probs[42] == pytest.approx(model.p["42"], abs=1e-12)


def test_top_alternatives_give_the_same_answer_probabilities():
    odds = {str(n): 1 + (n % 5) for n in range(101)}
    model = StringModel(odds)
    by_tokens, _ = score_token_sequences({n: digits(n) for n in range(101)},
                                         model.by_tokens, CONTINUES)
    by_text, steps = score_text_answers({n: str(n) for n in range(101)}, model.top)
    assert steps == 11
    assert by_text == pytest.approx(by_tokens, abs=1e-9)


def test_an_answer_missing_from_the_top_alternatives_gets_no_mass():
    def top(prefix: str) -> dict[str, float]:
        return {"2": math.log(0.7), "x": math.log(0.3)} if prefix == "" else {}

    logmass, _ = score_text_answers({1: "1", 2: "2"}, top)
    assert logmass == {2: pytest.approx(math.log(0.7))}


def test_answers_with_equal_tokens_are_rejected():
    with pytest.raises(ValueError):
        score_token_sequences({1: (1,), 2: (1,)}, lambda path: np.zeros(12), CONTINUES)
