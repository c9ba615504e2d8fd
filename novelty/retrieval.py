"""BM25 retrieval of related work from a study's literature corpus (no Django).

The corpus is indexed with ``bm25s`` (Lu, 2024; Robertson & Zaragoza, 2009, BM25 with
k1=1.5, b=0.75) over each paper's title and abstract, English stop words removed. Papers
dated after the submission are left out of the index, so they can never be returned.
Results are deterministic: equal scores are ordered by paper id, and zero scores (no shared
term) are not returned.

References: Robertson, S., & Zaragoza, H. (2009). The probabilistic relevance framework:
BM25 and beyond. Foundations and Trends in Information Retrieval, 3(4), 333-389.
Lu, X. H. (2024). BM25S: Orders of magnitude faster lexical search via eager sparse scoring.
arXiv:2407.03618.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s

METHOD = "BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over title + abstract, English stop words"


@dataclass(frozen=True, slots=True)
class Paper:
    id: str
    title: str
    abstract: str
    year: int
    venue: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    score: float

    def to_dict(self) -> dict:
        return {"id": self.paper.id, "title": self.paper.title, "year": self.paper.year,
                "venue": self.paper.venue, "score": self.score}


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    return bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)


class Index:
    """An index over the papers eligible for one submission."""

    def __init__(self, papers: Sequence[Paper], *, before_year: int | None = None):
        eligible = [p for p in papers if before_year is None or p.year <= before_year]
        self.papers = sorted(eligible, key=lambda p: p.id)
        self.excluded = sorted(p.id for p in papers if p not in eligible)
        self._bm25 = None
        if self.papers:
            self._bm25 = bm25s.BM25(k1=1.5, b=0.75)
            self._bm25.index(_tokens([f"{p.title}. {p.abstract}" for p in self.papers]), show_progress=False)

    def search(self, query: str, *, k: int) -> list[Hit]:
        """The top ``k`` papers for ``query`` with their BM25 scores (best first)."""
        if self._bm25 is None or k < 1:
            return []
        terms = _tokens([query])[0]
        if not terms:
            return []
        scores = self._bm25.get_scores(terms)
        ranked = sorted((-float(s), p.id, i) for i, (p, s) in enumerate(zip(self.papers, scores)) if s > 0)
        return [Hit(self.papers[i], -neg) for neg, _, i in ranked[:k]]
