"""One small pool scored by the real bundled model through the scoring service: a pool (with a
0-100 item beside Likert items) needs no special path, and its ratings feed the item analysis."""

import pytest

from instruments.services import instrument_publish
from ratings.services import study_get_or_create, targets_import
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
from ratings.tabular import read_rows
from reports.item_matrix import item_matrix
from psychometrics.scale_development import item_analysis

from .conftest import pool_document

SESSIONS = [
    "Client: I did the exercise every day and I want to keep going.",
    "Client: I don't know. I didn't do anything this week.",
    "Client: It helped a bit. I tried twice and wrote down how I felt.",
    "Client: Why should I? This is pointless.",
]


@pytest.fixture(scope="module")
def backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=1024, n_threads=2)


def test_the_real_model_rates_a_pool_and_the_item_analysis_reads_it(db, backend, django_capture_on_commit_callbacks):
    document = pool_document(n_items=4, slug="tiny-pool")
    document["items"] = [
        {"code": "effort", "text": "The client put effort into the work between sessions."},
        {"code": "plans", "text": "The client made concrete plans for change."},
        {"code": "hope", "text": "The client sounded hopeful."},
        {"code": "engagement_pct", "text": "How engaged was the client, from 0 (not at all) to 100 (fully)?",
         "scale": {"level": "interval", "min": 0, "max": 100,
                   "anchors": [{"value": 0, "label": "Not at all"}, {"value": 100, "label": "Fully"}]}},
    ]
    version = instrument_publish(document=document).version
    study, _ = study_get_or_create(slug="tiny")
    rows = "id,text,criterion:motivation\n" + "".join(
        f"S{i},\"{text}\",{float(i % 3)}\n" for i, text in enumerate(SESSIONS))
    targets_import(study=study, rows=read_rows(rows, "csv"), fmt="csv")
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-real"))
    for target in study.targets.order_by("pk"):
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    matrix = item_matrix(study, instrument_version=version)
    assert matrix.rater == "llm-real" and matrix.items.shape == (4, 4)
    assert matrix.items.notna().all().all()
    assert matrix.items["engagement_pct"].between(0, 100).all()
    assert matrix.items[["effort", "plans", "hope"]].stack().between(1, 5).all()
    table = item_analysis(matrix.items, matrix.criteria, bounds=matrix.bounds, answers=matrix.answers)
    assert list(table.index) == ["effort", "plans", "hope", "engagement_pct"]
    assert (table["n"] == 4).all() and "r:motivation" in table.columns
