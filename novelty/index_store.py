"""One BM25 index per study corpus, built once and reused.

The index is keyed by the corpus fingerprint (SHA-256 over every paper's id and content hash),
kept in memory per process and saved under ``ANCHOR_NOVELTY_INDEX_DIR`` (default
``var/novelty-index/``), so a worker builds it once per corpus, every later submission (and
every other worker) loads it, and any change to the corpus (a paper added, edited or removed)
changes the key and rebuilds it. Older indexes of the study are removed after a rebuild.
The saved files hold the corpus's vocabulary, normalised titles and dates (public literature),
never a submission's text.
"""

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from .models import LiteraturePaper
from .retrieval import Corpus, Index, Paper

_CACHE: dict[int, tuple[str, Index]] = {}
_LOCK = threading.Lock()


def index_dir() -> Path:
    default = Path(settings.VAR_DIR) / "novelty-index"
    return Path(getattr(settings, "ANCHOR_NOVELTY_INDEX_DIR", "") or default)


def corpus_fingerprint(*, study_id: int) -> str:
    digest = hashlib.sha256()
    for external_id, sha in (LiteraturePaper.objects.filter(study_id=study_id).order_by("external_id")
                             .values_list("external_id", "content_sha256").iterator(chunk_size=5000)):
        digest.update(f"{external_id}\x1f{sha}\x1e".encode())
    return digest.hexdigest()


def _papers(queryset) -> list[Paper]:
    return [Paper(id=p.external_id, title=p.title, abstract=p.abstract, date=p.date, venue=p.venue)
            for p in queryset.iterator(chunk_size=5000)]


def _fetch(study_id: int):
    def fetch(ids: Sequence[str]) -> dict[str, Paper]:
        rows = LiteraturePaper.objects.filter(study_id=study_id, external_id__in=list(ids))
        return {p.id: p for p in _papers(rows)}
    return fetch


def _load_or_build(study_id: int, fingerprint: str) -> Index:
    study_dir = index_dir() / f"study-{study_id}"
    path = study_dir / fingerprint
    if (path / "papers.json").is_file():
        return Index.load(path)
    index = Index.build(_papers(LiteraturePaper.objects.filter(study_id=study_id)))
    study_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=study_dir, prefix=".building-"))
    index.save(staging)
    try:
        staging.rename(path)  # atomic; another worker may have won the race, then use theirs
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    for old in study_dir.iterdir():
        if old.name != path.name and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)
    return index


def study_corpus(*, study_id: int) -> Corpus:
    """The study's corpus for retrieval: its index (from memory, disk, or built now) and a
    fetch of papers by id from the database."""
    fingerprint = corpus_fingerprint(study_id=study_id)
    with _LOCK:
        cached = _CACHE.get(study_id)
        if cached is None or cached[0] != fingerprint:
            _CACHE[study_id] = (fingerprint, _load_or_build(study_id, fingerprint))
        index = _CACHE[study_id][1]
    return Corpus(index, _fetch(study_id), fingerprint=fingerprint)


def cache_clear() -> None:
    """Forget the in-memory indexes (tests; the saved ones stay)."""
    with _LOCK:
        _CACHE.clear()
