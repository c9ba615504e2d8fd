"""LLM scoring jobs: one task per target, idempotent storage, failures recorded as missing data.

These tests use a fake backend for the bookkeeping; tests/integration/test_scoring_worker.py
runs the same path through a real Celery worker and the real bundled model.
"""

import pytest
from django.core.management import CommandError, call_command

from ratings.models import ItemScore, Rater, Rating, ScoringJob, Target
from ratings.services import study_get_or_create, targets_import
from ratings.services import scoring as scoring_services
from ratings.services.scoring import (
    ScoringError, llm_rater_get_or_create, score_target, scoring_job_cancel, scoring_job_record_failure,
    scoring_job_start,
)
from ratings.tabular import read_rows

from .fake_llm import FakeBackend, LlmPermanentError


@pytest.fixture
def study(engagement):
    study, _ = study_get_or_create(slug="s")
    rows = read_rows("id,text\nT1,Client: I did my homework.\nT2,Client: No.\nT3,Client: Maybe later.\n", "csv")
    targets_import(study=study, rows=rows, fmt="csv")
    return study


@pytest.fixture
def job(study, engagement, django_capture_on_commit_callbacks):
    rater = llm_rater_get_or_create(name="llm-test")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = scoring_job_start(study=study, version=engagement, rater=rater)
    assert len(callbacks) == 1  # the tasks are enqueued only once the job is committed
    return job


def _targets(study):
    return list(Target.objects.filter(study=study).order_by("pk"))


def test_a_job_covers_every_target_of_the_study(job, study):
    assert job.total == 3 and job.status == "queued"
    assert job.rater.kind == "llm" and len(job.rater.model_sha256) == 64
    assert job.rater.prompt_template_version


def test_scoring_stores_distribution_expected_score_and_mode(job, study):
    target = _targets(study)[0]
    score_target(job_id=job.pk, target_id=target.pk, backend=FakeBackend())
    rating = Rating.objects.get(scoring_job=job, target=target)
    assert rating.source == "llm" and rating.provenance["instrument_version_hash"] == job.instrument_version.content_hash
    scores = {s.item.code: s for s in rating.item_scores.all()}
    assert len(scores) == 10
    first = scores["participation"]
    assert sum(first.distribution.values()) == pytest.approx(1.0)
    assert first.expected_score == pytest.approx(sum(int(k) * p for k, p in first.distribution.items()))
    assert first.score == int(max(first.distribution, key=first.distribution.get))  # the mode
    job.refresh_from_db()
    assert (job.completed, job.failed, job.status) == (1, 0, "running")


def test_a_redelivered_task_neither_calls_the_model_nor_writes_twice(job, study):
    backend, target = FakeBackend(), _targets(study)[0]
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    assert len(backend.calls) == 1
    assert Rating.objects.filter(target=target).count() == 1
    job.refresh_from_db()
    assert job.completed == 1


def test_a_crash_between_scoring_and_storing_loses_nothing(job, study, monkeypatch):
    backend, target = FakeBackend(), _targets(study)[0]
    real_store = scoring_services._store

    def crash(**kwargs):
        raise SystemExit("worker killed after scoring, before storing")

    monkeypatch.setattr(scoring_services, "_store", crash)
    with pytest.raises(SystemExit):
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    assert not Rating.objects.exists()
    monkeypatch.setattr(scoring_services, "_store", real_store)
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)  # the redelivered message
    assert Rating.objects.filter(target=target).count() == 1 and ItemScore.objects.count() == 10
    job.refresh_from_db()
    assert job.completed == 1


def test_a_failed_target_is_missing_data_and_the_job_lists_it(job, study):
    backend = FakeBackend(fail_on={"No.": LlmPermanentError})
    first, second, third = _targets(study)
    score_target(job_id=job.pk, target_id=first.pk, backend=backend)
    with pytest.raises(LlmPermanentError):
        score_target(job_id=job.pk, target_id=second.pk, backend=backend)
    scoring_job_record_failure(job_id=job.pk, target_id=second.pk, error="LlmPermanentError: refused")
    scoring_job_record_failure(job_id=job.pk, target_id=second.pk, error="LlmPermanentError: refused")
    score_target(job_id=job.pk, target_id=third.pk, backend=backend)
    job.refresh_from_db()
    assert (job.completed, job.failed, job.status) == (2, 1, "done")
    assert job.errors == [{"target_id": second.pk, "target": "T2", "error": "LlmPermanentError: refused"}]
    assert not Rating.objects.filter(target=second).exists()
    assert job.finished_at is not None


def test_a_rerun_by_a_new_job_replaces_the_scores_with_identical_ones(job, study, engagement):
    backend = FakeBackend()
    for target in _targets(study):
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    before = sorted(ItemScore.objects.values_list("rating__target_id", "item__code", "score", "expected_score"))
    again = scoring_job_start(study=study, version=engagement, rater=job.rater)
    for target in _targets(study):
        score_target(job_id=again.pk, target_id=target.pk, backend=backend)
    after = sorted(ItemScore.objects.values_list("rating__target_id", "item__code", "score", "expected_score"))
    assert after == before
    assert set(Rating.objects.values_list("scoring_job", flat=True)) == {again.pk}


def test_a_cancelled_job_scores_nothing_more(job, study):
    backend = FakeBackend()
    scoring_job_cancel(job=job)
    score_target(job_id=job.pk, target_id=_targets(study)[0].pk, backend=backend)
    assert backend.calls == [] and not Rating.objects.exists()
    assert ScoringJob.objects.get(pk=job.pk).status == "cancelled"


def test_a_rater_name_stands_for_one_configuration(db, tmp_path):
    llm_rater_get_or_create(name="llm-a")
    assert llm_rater_get_or_create(name="llm-a").name == "llm-a"
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF not really")
    with pytest.raises(ScoringError, match="exists with a different model_path, model_sha256"):
        llm_rater_get_or_create(name="llm-a", model_path=str(other))
    Rater.objects.create(name="alice", kind="human")
    with pytest.raises(ScoringError, match="is a human rater"):
        llm_rater_get_or_create(name="alice")
    with pytest.raises(ScoringError, match="no model file"):
        llm_rater_get_or_create(name="llm-b", model_path=str(tmp_path / "missing.gguf"))


def test_pipeline_instruments_without_a_runner_are_refused(study, builtin_text):
    from instruments.services import instrument_load

    text = (builtin_text("novelty-assessment").replace("slug: novelty-assessment", "slug: other-pipeline")
            .replace("code: judgement", "code: verdict"))
    other = instrument_load(text=text).version
    with pytest.raises(ScoringError, match="no installed pipeline runner handles"):
        scoring_job_start(study=study, version=other, rater=llm_rater_get_or_create(name="llm-test"))


def test_score_command_errors(study):
    with pytest.raises(CommandError, match="no study 'nope'"):
        call_command("score", "nope", "--instrument", "therapy-engagement")
    with pytest.raises(CommandError, match="no published instrument 'ghost'"):
        call_command("score", "s", "--instrument", "ghost")


def test_job_progress_page_and_api_show_the_same_numbers_to_its_owner_only(job, study, client, django_user_model):
    owner = django_user_model.objects.create_user(username="owner", password="pw")
    stranger = django_user_model.objects.create_user(username="stranger", password="pw")
    ScoringJob.objects.filter(pk=job.pk).update(created_by=owner)
    score_target(job_id=job.pk, target_id=_targets(study)[0].pk, backend=FakeBackend())
    scoring_job_record_failure(job_id=job.pk, target_id=_targets(study)[1].pk, error="LlmPermanentError: x")

    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 401  # not signed in (token auth asks for a token)
    client.force_login(stranger)
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    client.force_login(owner)
    data = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (data["total"], data["completed"], data["failed"], data["status"]) == (3, 1, 1, "running")
    assert data["progress"] == pytest.approx(2 / 3)
    assert data["errors"] == [{"target_id": _targets(study)[1].pk, "target": "T2", "error": "LlmPermanentError: x"}]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert '<span id="completed">1</span> scored' in page and "T2: LlmPermanentError: x" in page
    staff = django_user_model.objects.create_user(username="staff", is_staff=True)
    client.force_login(staff)
    assert client.get(f"/api/v1/jobs/{job.pk}/").status_code == 200


def test_scale_scores_apply_reverse_keys_to_modes_and_expected_scores_alike(job, study):
    from ratings.selectors import rating_scale_scores

    target = _targets(study)[0]
    score_target(job_id=job.pk, target_id=target.pk, backend=FakeBackend())
    rating = Rating.objects.get(target=target)
    items = {s.item.code: s for s in rating.item_scores.all()}
    for basis, field in (("score", "score"), ("expected", "expected_score")):
        keyed = {code: (6 - getattr(s, field) if code == "resistance" else getattr(s, field)) for code, s in items.items()}
        scores = rating_scale_scores(rating, basis=basis)
        assert scores["alliance"] == pytest.approx(
            sum(keyed[c] for c in ("collaboration", "goal_agreement", "task_agreement", "resistance")) / 4)
        assert scores["total"] == pytest.approx(sum(keyed.values()) / 10)
    assert rating_scale_scores(rating, basis="score") != rating_scale_scores(rating, basis="expected")


def test_scoring_tasks_are_routed_to_the_llm_queue():
    from config.celery import app

    assert app.amqp.router.route({}, "ratings.score_target")["queue"].name == "llm"
    assert app.amqp.router.route({}, "anchor.ping")["queue"].name == "default"
