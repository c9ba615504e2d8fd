import json
from pathlib import Path

import pytest

from instruments.services import instrument_load
from novelty.services import literature_import
from ratings.services import study_get_or_create, targets_import
from ratings.tabular import read_rows

DEMO = Path(__file__).resolve().parents[2] / "novelty" / "demo"


@pytest.fixture
def demo_rows():
    return {name: [json.loads(line) for line in (DEMO / f"{name}.jsonl").read_text().splitlines() if line]
            for name in ("literature", "submissions")}


@pytest.fixture
def novelty_version(db, builtin_text):
    return instrument_load(text=builtin_text("novelty-assessment")).version


@pytest.fixture
def novelty_study(db, novelty_version):
    study, _ = study_get_or_create(slug="novelty-s")
    targets_import(study=study, rows=read_rows((DEMO / "submissions.jsonl").read_text(), "jsonl"), fmt="jsonl")
    literature_import(study=study, rows=read_rows((DEMO / "literature.jsonl").read_text(), "jsonl"))
    return study


@pytest.fixture(autouse=True)
def _index_dir(settings, tmp_path):
    """Each test's retrieval indexes in its own folder, and none left in memory from another test."""
    from novelty.index_store import cache_clear

    settings.ANCHOR_NOVELTY_INDEX_DIR = str(tmp_path / "novelty-index")
    cache_clear()
    yield
    cache_clear()
