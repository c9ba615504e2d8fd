"""The pipeline's gates: checks on generated output that drop what fails and count it.

A gate never repairs output. A claim that is empty or degenerate, quotes a sentence that is
not in the paper (or quotes the title), shares no content word with the sentence it quotes,
or repeats an earlier claim, and a cited paper id that retrieval did not return, are removed
and recorded (with the reason) in the stage's gate counts, so a reader can see how much the
model invented, and every gate lists the checks it made.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .retrieval import normalise

# A source sentence matches when its normalised text is a substring of the normalised input,
# or when it is at least this similar (difflib ratio) to one of the input's sentences: a
# paraphrase that changes a word or two passes, a sentence that is not there does not.
FUZZY_THRESHOLD = 0.85
MIN_SOURCE_WORDS = 4
# Two claims are one when their normalised texts are equal or at least this similar (difflib).
DUPLICATE_THRESHOLD = 0.9
# Degenerate text: fewer distinct words than this share of its words (with at least
# DEGENERATE_MIN_WORDS words), the same word three times in a row, or one character repeated.
DEGENERATE_DISTINCT_SHARE = 0.5
DEGENERATE_MIN_WORDS = 4
# Function words (a short English list) and the words every paper uses of itself.
STOP_WORDS = frozenset("""
a about above across after again against all almost also although always among an and another any are
around as at be because been before being below between both but by can cannot could did do does doing
done down during each either else enough etc even ever every few for from further had has have having he
her here hers him his how however i if in into is it its itself just least less many may me might more
most much must my neither no nor not now of off often on once one only onto or other others otherwise our
ours out over own per perhaps rather same several she should since so some such than that the their them
themselves then there thereby therefore these they this those though through thus to together too toward
towards under until up upon us very via was we well were what when where whether which while who whom
whose why will with within without would yet you your paper papers work present presents presented
propose proposes proposed show shows shown introduce introduces introduced
""".split())

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as written (split after . ! or ? and whitespace)."""
    return [part.strip() for part in _SENTENCE_END.split(text or "") if part.strip()]


def sentences(text: str) -> list[str]:
    return [s for s in (normalise(part) for part in split_sentences(text)) if s]


@dataclass(frozen=True, slots=True)
class GateResult:
    """Items that passed, and those dropped with the reason."""

    name: str
    kept: tuple
    dropped: tuple[dict, ...] = field(default=())
    checks: tuple[str, ...] = field(default=())

    def counts(self) -> dict:
        by_reason: dict[str, int] = {}
        for item in self.dropped:
            reason = str(item.get("reason", "")).split(" (")[0]
            reason = "duplicate of a kept claim" if reason.startswith("duplicate of kept claim") else reason
            by_reason[reason] = by_reason.get(reason, 0) + 1
        return {"name": self.name, "checks": list(self.checks), "kept": len(self.kept),
                "dropped": len(self.dropped), "dropped_by_reason": by_reason, "dropped_items": list(self.dropped)}


def source_in_input(source: str, text: str, *, threshold: float = FUZZY_THRESHOLD) -> tuple[bool, float]:
    """Whether ``source`` quotes (or closely paraphrases) a sentence of ``text``; and the
    similarity found (1.0 for a normalised substring)."""
    needle = normalise(source)
    if len(needle.split()) < MIN_SOURCE_WORDS:
        return False, 0.0
    if needle in normalise(text):
        return True, 1.0
    best = max((SequenceMatcher(None, needle, s, autojunk=False).ratio() for s in sentences(text)),
               default=0.0)
    return best >= threshold, best


def content_words(text: str) -> set[str]:
    """The normalised words of ``text`` that are not English stop words."""
    return {w for w in normalise(text).split() if w not in STOP_WORDS and not w.isdigit()}


def degenerate(text: str) -> str | None:
    """Why ``text`` is empty or degenerate (repeated tokens), or None if it is neither."""
    words = normalise(text).split()
    if not words:
        return "empty claim text"
    if any(a == b == c for a, b, c in zip(words, words[1:], words[2:])):
        return "degenerate claim text (a word repeated three times in a row)"
    if len(words) >= DEGENERATE_MIN_WORDS and len(set(words)) < DEGENERATE_DISTINCT_SHARE * len(words):
        return f"degenerate claim text ({len(set(words))} distinct words in {len(words)})"
    if any(len(w) >= 4 and len(set(w)) == 1 for w in words):
        return "degenerate claim text (one character repeated)"
    if not content_words(text):
        return "claim text has no content word"
    return None


CLAIM_CHECKS = (
    "claim text is empty or degenerate (repeated tokens)",
    f"source sentence is in the paper (normalised, or difflib ratio >= {FUZZY_THRESHOLD})",
    "source sentence is not the paper's title",
    "claim text shares a content word with its source sentence",
    f"claim is not a duplicate of an earlier one (normalised text, or difflib ratio >= {DUPLICATE_THRESHOLD})",
)


def _duplicate_of(claim_text: str, kept: Sequence[dict]) -> int | None:
    needle = normalise(claim_text)
    for position, other in enumerate(kept):
        text = normalise(str(other.get("claim", "")))
        if text == needle or SequenceMatcher(None, needle, text, autojunk=False).ratio() >= DUPLICATE_THRESHOLD:
            return position
    return None


def _claim_problem(claim: dict, text: str, title: str, kept: Sequence[dict],
                   threshold: float) -> tuple[str | None, float]:
    claim_text, source = str(claim.get("claim", "")), str(claim.get("source_sentence", ""))
    problem = degenerate(claim_text)
    if problem:
        return problem, 0.0
    ok, similarity = source_in_input(source, text, threshold=threshold)
    if not ok:
        return "source sentence not found in the paper", similarity
    if title and normalise(source) == normalise(title):
        return "source sentence is the title", similarity
    if not content_words(claim_text) & content_words(source):
        return "claim text shares no content word with its source sentence", similarity
    duplicate = _duplicate_of(claim_text, kept)
    if duplicate is not None:
        return f"duplicate of kept claim {duplicate}", similarity
    return None, similarity


def claims_gate(claims: Iterable[dict], text: str, *, title: str = "",
                threshold: float = FUZZY_THRESHOLD) -> GateResult:
    """Keep the claims that pass every check of ``CLAIM_CHECKS`` (in that order); each dropped
    claim carries the first check it failed as its ``reason``."""
    kept, dropped = [], []
    for claim in claims:
        claim = dict(claim) if isinstance(claim, dict) else {"claim": str(claim)}
        problem, similarity = _claim_problem(claim, text, title, kept, threshold)
        if problem is None:
            kept.append({**claim, "source_similarity": similarity})
        else:
            dropped.append({**claim, "reason": problem, "source_similarity": similarity})
    return GateResult("claims_gate", tuple(kept), tuple(dropped), checks=CLAIM_CHECKS)


def citations_gate(cited: Sequence[str], retrieved: Iterable[str]) -> GateResult:
    """Keep the cited ids that are among the retrieved ones (each once, in citation order)."""
    allowed = set(retrieved)
    kept, dropped, seen = [], [], set()
    for paper_id in cited:
        paper_id = str(paper_id)
        if paper_id in allowed and paper_id not in seen:
            kept.append(paper_id)
            seen.add(paper_id)
        elif paper_id not in allowed:
            dropped.append({"id": paper_id, "reason": "not among the retrieved papers"})
    return GateResult("cited_ids_retrieved", tuple(kept), tuple(dropped),
                      checks=("every cited id is among the papers retrieved for the claim",))
