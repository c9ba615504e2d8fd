"""BM25 retrieval of prior work from a study's literature corpus (no Django).

The corpus is indexed once with ``bm25s`` (Lu, 2024; Robertson & Zaragoza, 2009, BM25 with
k1=1.5, b=0.75) over each paper's title and abstract, English stop words removed; the index
can be saved and loaded, so one index serves every submission of a study. What a submission
may see is decided on the results, never by rebuilding the index:

- **prior work only**: a paper is kept when its date is strictly earlier than the submission's
  at the finest precision both dates have (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``): a paper of
  2016 is not before a submission of 2016-11 (the same year may be concurrent), one of 2016-10
  is; a paper of the same day is not;
- **never the submission itself**: the same id, the same normalised title, or a near duplicate
  of its abstract (Jaccard similarity of word 3-shingles >= ``NEAR_DUPLICATE_THRESHOLD``,
  Broder 1997; candidates are the ``NEAR_DUPLICATE_CANDIDATES`` best BM25 matches of the
  abstract, where a near duplicate always ranks), whatever its date.

Every excluded paper is counted under its reason. Results are deterministic: equal scores are
ordered by paper id, and zero scores (no shared term) are not returned.

References: Robertson, S., & Zaragoza, H. (2009). The probabilistic relevance framework:
BM25 and beyond. Foundations and Trends in Information Retrieval, 3(4), 333-389.
Lu, X. H. (2024). BM25S: Orders of magnitude faster lexical search via eager sparse scoring.
arXiv:2407.03618. Broder, A. Z. (1997). On the resemblance and containment of documents.
Compression and Complexity of Sequences, 21-29.
"""

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse

METHOD = "BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over title + abstract, English stop words"
NEAR_DUPLICATE_THRESHOLD = 0.5
NEAR_DUPLICATE_CANDIDATES = 20
SHINGLE = 3
INDEX_FORMAT = 1
LISTED_IDS = 200  # excluded ids listed per reason (all are counted)

REASONS = {
    "same_id": "the submission itself (same id)",
    "same_title": "the submission itself (same normalised title)",
    "near_duplicate": f"a near duplicate of the submission's abstract (word {SHINGLE}-shingle Jaccard "
                      f">= {NEAR_DUPLICATE_THRESHOLD})",
    "not_earlier": "not strictly earlier than the submission (at the finest precision both dates have)",
}
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces; punctuation and accents ignored."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


@dataclass(frozen=True, slots=True)
class PaperDate:
    """A date known to the year, the month or the day (``month``/``day`` 0 when unknown)."""

    year: int
    month: int = 0
    day: int = 0

    @property
    def precision(self) -> int:
        return 3 if self.day else 2 if self.month else 1

    def key(self, precision: int) -> int:
        return self.year * 10_000 + (self.month * 100 if precision >= 2 else 0) + (self.day if precision >= 3 else 0)

    def __str__(self) -> str:
        return "-".join([f"{self.year:04d}", f"{self.month:02d}", f"{self.day:02d}"][:self.precision])


def parse_date(value: object) -> PaperDate:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a year may be an int); ``ValueError`` otherwise.

    >>> str(parse_date("2016-11")), parse_date(2017).precision
    ('2016-11', 1)
    """
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    match = _DATE.match(text)
    if not match:
        raise ValueError(f"a date is YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    year, month, day = (int(g) if g else 0 for g in match.groups())
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar date") from None
    if year < 1000:
        raise ValueError(f"{value!r}: the year has four digits")
    return PaperDate(year, month, day)


def strictly_earlier(paper: PaperDate, submission: PaperDate) -> bool:
    """Whether ``paper`` is strictly earlier than ``submission`` at the finest precision both have.

    >>> strictly_earlier(parse_date("2016"), parse_date("2016-11-04"))
    False
    >>> strictly_earlier(parse_date("2016-10"), parse_date("2016-11-04"))
    True
    """
    precision = min(paper.precision, submission.precision)
    return paper.key(precision) < submission.key(precision)


@dataclass(frozen=True, slots=True)
class Paper:
    id: str
    title: str
    abstract: str
    date: str
    venue: str = ""

    @property
    def year(self) -> int:
        return parse_date(self.date).year

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date, "venue": self.venue,
                "abstract": self.abstract}


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    score: float

    def to_dict(self) -> dict:
        return {**self.paper.to_dict(), "score": self.score}


def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    words = normalise(text).split()
    if len(words) < size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + size]) for i in range(len(words) - size + 1))


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the word shingles of two texts (0 when either has none)."""
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def _bm25s():
    """The ``bm25s`` module, imported when an index is built or read: it loads numba (about half
    a second), which every process that loads Django's apps would pay otherwise."""
    import bm25s

    return bm25s


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    return _bm25s().tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)


class Index:
    """A BM25 index over a whole corpus, with each paper's id, normalised title and date.

    Papers are held in id order, so ties in score resolve by id whatever the input order.
    """

    def __init__(self, *, ids: Sequence[str], titles: Sequence[str], dates: np.ndarray, bm25):
        self.ids = list(ids)
        self.titles = list(titles)
        self.dates = dates  # int64 rows (key at year, key at month, key at day, precision)
        self._bm25 = bm25
        self._rows = None
        self._position = {paper_id: i for i, paper_id in enumerate(self.ids)}
        self._by_title: dict[str, list[int]] = {}
        for i, title in enumerate(self.titles):
            self._by_title.setdefault(title, []).append(i)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, papers: Sequence[Paper]) -> "Index":
        papers = sorted(papers, key=lambda p: p.id)
        dates = [parse_date(p.date) for p in papers]
        array = np.array([[d.key(1), d.key(2), d.key(3), d.precision] for d in dates], dtype=np.int64)
        bm25 = None
        if papers:
            tokens = _bm25s().tokenize([f"{p.title}. {p.abstract}" for p in papers], stopwords="en", return_ids=True,
                                    show_progress=False)
            if any(tokens.vocab):  # a corpus without one indexable word matches nothing
                bm25 = _bm25s().BM25(k1=1.5, b=0.75)
                bm25.index(tokens, show_progress=False)
        return cls(ids=[p.id for p in papers], titles=[normalise(p.title) for p in papers],
                   dates=array.reshape(-1, 4), bm25=bm25)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(directory / "bm25"), show_progress=False)
        np.save(directory / "dates.npy", self.dates)
        (directory / "papers.json").write_text(json.dumps(
            {"format": INDEX_FORMAT, "ids": self.ids, "titles": self.titles}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "Index":
        meta = json.loads((directory / "papers.json").read_text(encoding="utf-8"))
        if meta.get("format") != INDEX_FORMAT:
            raise ValueError(f"{directory}: index format {meta.get('format')!r}, expected {INDEX_FORMAT}")
        bm25 = _bm25s().BM25.load(str(directory / "bm25"), show_progress=False) if (directory / "bm25").is_dir() else None
        return cls(ids=meta["ids"], titles=meta["titles"], dates=np.load(directory / "dates.npy"), bm25=bm25)

    def earlier_than(self, date: PaperDate) -> np.ndarray:
        """A mask of the papers strictly earlier than ``date`` (see ``strictly_earlier``)."""
        precision = np.minimum(self.dates[:, 3], date.precision)
        paper_key = np.choose(precision - 1, [self.dates[:, 0], self.dates[:, 1], self.dates[:, 2]])
        submission_key = np.array([date.key(1), date.key(2), date.key(3)], dtype=np.int64)[precision - 1]
        return paper_key < submission_key

    def positions(self, *, paper_id: str | None = None, title: str | None = None) -> list[int]:
        if paper_id is not None:
            return [self._position[paper_id]] if paper_id in self._position else []
        return list(self._by_title.get(normalise(title or ""), [])) if normalise(title or "") else []

    def scores(self, query: str) -> np.ndarray:
        """BM25 of ``query`` for every paper (a term repeated in the query counts again)."""
        if self._bm25 is None:
            return np.zeros(len(self.ids))
        vocab = self._bm25.vocab_dict
        token_ids = [vocab[t] for t in _tokens([query])[0] if t in vocab]
        if not token_ids:
            return np.zeros(len(self.ids))
        # bm25s keeps one row of per-paper scores per term; the query's score is the sum of its
        # terms' rows (sparse rows times their counts: ~5x faster than summing postings in numpy).
        terms, counts = np.unique(np.array(token_ids, dtype=np.int64), return_counts=True)
        return np.asarray(self._term_rows()[terms].T @ counts.astype(np.float32), dtype=np.float64).ravel()

    def _term_rows(self):
        if self._rows is None:
            scores = self._bm25.scores
            self._rows = scipy.sparse.csr_matrix((scores["data"], scores["indices"], scores["indptr"]),
                                                 shape=(len(scores["indptr"]) - 1, len(self.ids)))
        return self._rows

    def top(self, query: str, *, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (id, score) pairs among the ``allowed`` papers, best first; ties by id."""
        if k < 1 or not self.ids:
            return []
        scores = self.scores(query)  # a fresh array: masked in place
        if allowed is not None:
            scores[~allowed] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if candidates.size > k:
            kth = np.partition(scores[candidates], candidates.size - k)[candidates.size - k]
            candidates = candidates[scores[candidates] >= kth]
        order = np.lexsort((candidates, -scores[candidates]))
        return [(self.ids[i], float(scores[i])) for i in candidates[order][:k]]


@dataclass(frozen=True, slots=True)
class Exclusions:
    """What one submission may not see: a mask over the index, and each excluded paper's reason."""

    allowed: np.ndarray
    by_reason: dict[str, list[str]]
    similarity: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {reason: {"description": REASONS[reason], "count": len(ids), "ids": ids[:LISTED_IDS],
                         **({"similarity": {i: self.similarity[i] for i in ids[:LISTED_IDS]}}
                            if reason == "near_duplicate" else {})}
                for reason, ids in self.by_reason.items()}


Fetch = Callable[[Sequence[str]], Mapping[str, Paper]]


class Corpus:
    """An index and a way to fetch the papers it returns (a dict here, the database in the app)."""

    def __init__(self, index: Index, fetch: Fetch, *, fingerprint: str = ""):
        self.index = index
        self.fetch = fetch
        self.fingerprint = fingerprint

    @classmethod
    def of(cls, papers: Sequence[Paper]) -> "Corpus":
        by_id = {p.id: p for p in papers}
        return cls(Index.build(papers), lambda ids: {i: by_id[i] for i in ids if i in by_id})

    def __len__(self) -> int:
        return len(self.index)

    def exclusions(self, *, submission_id: str, title: str, abstract: str, date: PaperDate | None) -> Exclusions:
        """The papers ``submission`` may not see, each under the first reason that applies."""
        index, n = self.index, len(self.index)
        codes = {reason: code for code, reason in enumerate(REASONS, start=1)}
        reason_of = np.zeros(n, dtype=np.int8)  # 0: allowed, else the code of the first reason
        similarity: dict[str, float] = {}
        for i in index.positions(paper_id=submission_id):
            reason_of[i] = codes["same_id"]
        for i in index.positions(title=title):
            reason_of[i] = reason_of[i] or codes["same_title"]
        candidates = [paper_id for paper_id, _ in index.top(abstract, k=NEAR_DUPLICATE_CANDIDATES)]
        for paper_id, paper in self.fetch(candidates).items():
            value = jaccard(abstract, paper.abstract)
            i = index.positions(paper_id=paper_id)[0]
            if value >= NEAR_DUPLICATE_THRESHOLD and not reason_of[i]:
                reason_of[i], similarity[paper_id] = codes["near_duplicate"], value
        if n and date is not None:
            reason_of[~index.earlier_than(date) & (reason_of == 0)] = codes["not_earlier"]
        by_reason = {reason: [index.ids[i] for i in np.flatnonzero(reason_of == code)]
                     for reason, code in codes.items()}
        return Exclusions(allowed=reason_of == 0, by_reason=by_reason, similarity=similarity)

    def search(self, query: str, *, k: int, exclusions: Exclusions) -> list[Hit]:
        """The ``k`` best papers for ``query`` that ``exclusions`` allows, best first."""
        ranked = self.index.top(query, k=k, allowed=exclusions.allowed)
        papers = self.fetch([paper_id for paper_id, _ in ranked])
        return [Hit(papers[paper_id], score) for paper_id, score in ranked]
