"""Progress within a target: the worker records the items it has read on the target's task row
(at most every ANCHOR_JOB_PROGRESS_SECONDS), and the job page and the job API show it while the
target is being scored ("target 1 of 3 (T1), item 5 of 10"), with the elapsed time and an estimate.
The worker path is the real one (the Celery task run eagerly: claim, lease, score, store); the model
is the fake one here and the bundled one in the slow test."""

import re

import pytest

import ratings.llm_settings
from ratings.models import ScoringTask
from ratings.services import study_get_or_create, targets_import
from ratings.services.jobs import scoring_task_claim
from ratings.services.scoring import llm_rater_get_or_create, scoring_job_start
from ratings.tabular import read_rows
from ratings.tasks import score_target_task

from .fake_llm import FakeBackend

TARGETS = "id,text\nT1,Client: I did my homework.\nT2,Client: No.\nT3,Client: Maybe later.\n"


@pytest.fixture
def job(engagement, django_capture_on_commit_callbacks):
    study, _ = study_get_or_create(slug="s")
    targets_import(study=study, rows=read_rows(TARGETS, "csv"), fmt="csv")
    with django_capture_on_commit_callbacks(execute=False):  # no broker: the test runs the task itself
        return scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-t"))


def _score_watching(job, backend_class, monkeypatch, admin_client, after_items):
    """Run the job's first target through the Celery task; while the backend reads item
    ``after_items``, fetch the job page and the API."""
    seen = {}

    def look(request, done):
        if done == after_items:
            seen["page"] = admin_client.get(f"/jobs/{job.pk}/").content.decode()
            seen["api"] = admin_client.get(f"/api/v1/jobs/{job.pk}/").json()
            seen["row"] = ScoringTask.objects.filter(job=job, state="running").values(
                "items_done", "items_total").first()

    backend = backend_class(on_item=look)
    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater", lambda rater: backend)
    first = ScoringTask.objects.filter(job=job).order_by("target_id").first()
    score_target_task.apply(args=(job.pk, first.target_id))
    return seen


def test_the_page_and_the_api_show_the_item_being_scored(job, settings, monkeypatch, admin_client):
    settings.ANCHOR_JOB_PROGRESS_SECONDS = 0  # record every item
    seen = _score_watching(job, FakeBackend, monkeypatch, admin_client, after_items=4)
    assert seen["row"] == {"items_done": 4, "items_total": 10}
    running = seen["api"]["running"]
    assert [(r["target"], r["items_done"], r["items_total"]) for r in running] == [("T1", 4, 10)]
    assert running[0]["started_at"] and running[0]["progress_at"]
    assert seen["api"]["progress"] == pytest.approx(0.4 / 3)  # no target finished, 4 of 10 items of one of 3
    assert seen["api"]["elapsed_s"] >= 0 and seen["api"]["estimate_s"] is not None
    page = seen["page"]
    assert re.search(r'<dd id="current"><span class="current-target">target 1 of 3 \(T1\), item 5 of 10, '
                     r'running for \d+ s</span></dd>', page)
    assert 'value="0.400"' in page  # the bar moves within the target
    assert re.search(r'<dd id="estimate">\d+', page)  # an estimate after the first item, not "after ..."
    done = admin_client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert done["completed"] == 1 and done["running"] == [] and done["progress"] == pytest.approx(1 / 3)


def test_progress_is_written_at_most_every_few_seconds_not_per_item(job, settings, monkeypatch, admin_client):
    settings.ANCHOR_JOB_PROGRESS_SECONDS = 3600
    seen = _score_watching(job, FakeBackend, monkeypatch, admin_client, after_items=9)
    assert seen["row"] == {"items_done": 0, "items_total": 10}  # only the first report (how many items) written
    assert "target 1 of 3 (T1), item 1 of 10" in seen["page"]


def test_a_new_attempt_starts_its_count_again(job, admin_client):
    task = ScoringTask.objects.filter(job=job).order_by("target_id").first()
    ScoringTask.objects.filter(pk=task.pk).update(items_done=7, items_total=10)  # a crashed attempt's count
    claimed = scoring_task_claim(job_id=job.pk, target_id=task.target_id, worker="w@host:1")
    assert (claimed.items_done, claimed.items_total, claimed.progress_at) == (0, 0, None) and claimed.started_at
    page = admin_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "target 1 of 3 (T1), reading the material, running for" in page
    assert "No worker is listening" not in page  # a worker holds a target: no heartbeat needed to say so


@pytest.mark.slow
def test_the_bundled_model_reports_its_items_and_the_api_shows_them(job, settings, monkeypatch, admin_client):
    """The real backend's reports go through the worker's recorder to the task row and the API."""
    settings.ANCHOR_JOB_PROGRESS_SECONDS = 0
    real = ratings.llm_settings.backend_for_rater(job.rater)  # the bundled model
    seen = []

    class Watched:
        kind = real.kind

        def provenance(self, decoding=None):
            return real.provenance(decoding)

        def rate(self, request, *, progress=None):
            def report(done, total):
                progress(done, total)
                if done in (0, 3):
                    api = admin_client.get(f"/api/v1/jobs/{job.pk}/").json()
                    seen.append([(r["items_done"], r["items_total"]) for r in api["running"]])
            return real.rate(request, progress=report)

    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater", lambda rater: Watched())
    first = ScoringTask.objects.filter(job=job).order_by("target_id").first()
    score_target_task.apply(args=(job.pk, first.target_id))
    assert seen == [[(0, 10)], [(3, 10)]]
    job.refresh_from_db()
    assert job.completed == 1
