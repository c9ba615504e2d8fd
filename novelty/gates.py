"""The pipeline's gates: checks on generated output that drop what fails and count it.

A gate never repairs output. A claim whose source sentence is not in the paper, or a cited
paper id that retrieval did not return, is removed and recorded (with the reason) in the
stage's gate counts, so a reader can see how much the model invented.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# A source sentence matches when its normalised text is a substring of the normalised input,
# or when it is at least this similar (difflib ratio) to one of the input's sentences: a
# paraphrase that changes a word or two passes, a sentence that is not there does not.
FUZZY_THRESHOLD = 0.85
MIN_SOURCE_WORDS = 4

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces; punctuation and accents ignored."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


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

    def counts(self) -> dict:
        return {"name": self.name, "kept": len(self.kept), "dropped": len(self.dropped),
                "dropped_items": list(self.dropped)}


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


def claims_gate(claims: Iterable[dict], text: str, *, threshold: float = FUZZY_THRESHOLD) -> GateResult:
    """Keep the claims whose ``source_sentence`` exists in ``text`` (see ``source_in_input``)."""
    kept, dropped = [], []
    for claim in claims:
        ok, similarity = source_in_input(str(claim.get("source_sentence", "")), text, threshold=threshold)
        if ok:
            kept.append({**claim, "source_similarity": similarity})
        else:
            dropped.append({**claim, "reason": "source sentence not found in the paper",
                            "source_similarity": similarity})
    return GateResult("source_sentence_in_input", tuple(kept), tuple(dropped))


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
    return GateResult("cited_ids_retrieved", tuple(kept), tuple(dropped))
