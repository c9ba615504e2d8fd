"""Batch scoring over the API: 202 and a job, idempotent retries, progress, results, cancel.

No worker runs here: the tasks a batch enqueues on commit are captured, and targets are scored
with the fake backend through the same service a worker calls.
"""

import pytest

from ratings.models import Batch, Rating, ScoringJob, Study
from ratings.services.scoring import score_target, scoring_job_record_failure
from tests.ratings.fake_llm import FakeBackend

ITEMS = [{"id": f"S{n}", "text": f"Client: session {n} went {'well' * n}.", "metadata": {"n": n}} for n in range(1, 6)]


@pytest.fixture
def post_batch(api, engagement, django_capture_on_commit_callbacks):
    def post(client=api, key=None, items=ITEMS, instrument="therapy-engagement"):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post("/api/v1/batches/", {"instrument": instrument, "items": items},
                                   format="json", **headers)
        post.callbacks = callbacks
        return response

    return post


def _score_all(job: ScoringJob, *, fail: str | None = None) -> None:
    for target in job.study.targets.order_by("pk"):
        if target.external_id == fail:
            scoring_job_record_failure(job_id=job.pk, target_id=target.pk, error="LlmPermanentError: refused")
        else:
            score_target(job_id=job.pk, target_id=target.pk, backend=FakeBackend())


def test_a_batch_is_202_with_the_job_url_and_its_own_study(post_batch, api, alice):
    response = post_batch()
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/v1/jobs/{body['id']}/"
    assert (body["status"], body["total"], body["completed"], body["progress"]) == ("queued", 5, 0, 0.0)
    assert len(post_batch.callbacks) == 1  # the tasks are enqueued once the batch is committed
    job = ScoringJob.objects.get(pk=body["id"])
    assert job.created_by == alice and job.rater.kind == "llm"
    assert job.study.created_by == alice and list(job.study.managers.all()) == [alice]
    assert sorted(job.study.targets.values_list("external_id", flat=True)) == [f"S{n}" for n in range(1, 6)]
    assert job.study.targets.get(external_id="S2").metadata == {"n": 2}
    assert api.get(body["url"]).json()["status"] == "queued"


def test_the_same_idempotency_key_returns_the_same_job(post_batch, bob_api):
    first, second = post_batch(key="abc-1"), post_batch(key="abc-1")
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"] and second["Idempotent-Replayed"] == "true"
    assert len(post_batch.callbacks) == 0  # a retry enqueues nothing
    assert ScoringJob.objects.count() == Batch.objects.count() == 1 and Study.objects.count() == 1
    other = post_batch(key="abc-2")
    assert other.json()["id"] != first.json()["id"]
    bobs = post_batch(client=bob_api, key="abc-1")  # keys are per user
    assert bobs.status_code == 202 and bobs.json()["id"] not in (first.json()["id"], other.json()["id"])
    assert post_batch().json()["id"] != post_batch().json()["id"]  # no key: a new job each time


def test_the_key_is_unique_per_user_in_the_database(post_batch, alice):
    from django.db import IntegrityError, transaction

    job = ScoringJob.objects.get(pk=post_batch(key="k").json()["id"])
    other = ScoringJob.objects.get(pk=post_batch().json()["id"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.filter(job=other).update(idempotency_key="k")
    assert Batch.objects.get(idempotency_key="k").job == job


def test_progress_errors_and_paginated_results(post_batch, api):
    body = post_batch().json()
    job = ScoringJob.objects.get(pk=body["id"])
    _score_all(job, fail="S3")
    status = api.get(body["url"]).json()
    assert (status["status"], status["completed"], status["failed"], status["progress"]) == ("done", 4, 1, 1.0)
    assert status["errors"] == [{"target_id": job.study.targets.get(external_id="S3").pk, "target": "S3",
                                 "error": "LlmPermanentError: refused"}]
    results = api.get(status["results_url"] + "?page_size=15").json()
    assert results["count"] == 40 and len(results["results"]) == 15 and results["next"]
    first = results["results"][0]
    assert first["target"] == "S1" and first["instrument"] == str(job.instrument_version)
    assert sum(first["distribution"].values()) == pytest.approx(1.0)
    assert first["expected_score"] == pytest.approx(sum(int(k) * p for k, p in first["distribution"].items()))
    assert first["provenance"]["instrument_version_hash"] == job.instrument_version.content_hash
    last = api.get(status["results_url"] + "?page_size=15&page=3").json()
    assert len(last["results"]) == 10 and last["next"] is None
    assert "S3" not in {r["target"] for r in results["results"] + last["results"]}


def test_cancel_stops_the_job_and_keeps_what_was_scored(post_batch, api):
    body = post_batch().json()
    job = ScoringJob.objects.get(pk=body["id"])
    first = job.study.targets.order_by("pk").first()
    score_target(job_id=job.pk, target_id=first.pk, backend=FakeBackend())
    cancelled = api.post(f"/api/v1/jobs/{job.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    backend = FakeBackend()
    for target in job.study.targets.order_by("pk")[1:]:
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    assert backend.calls == [] and Rating.objects.filter(scoring_job=job).count() == 1
    assert api.post(f"/api/v1/jobs/{job.pk}/cancel/").json()["status"] == "cancelled"  # idempotent


@pytest.mark.parametrize(("payload", "field"), [
    pytest.param({"items": ITEMS}, "instrument", id="no-instrument"),
    pytest.param({"instrument": "therapy-engagement"}, "items", id="no-items"),
    pytest.param({"instrument": "therapy-engagement", "items": []}, "items", id="empty"),
    pytest.param({"instrument": "therapy-engagement", "items": [{"id": "x"}]}, "items[0].text", id="no-text"),
    pytest.param({"instrument": "therapy-engagement", "items": [{"id": "x", "text": "t", "metadata": 3}]},
                 "items[0].metadata", id="bad-metadata"),
])
def test_invalid_batches_are_400_naming_the_field(api, engagement, payload, field):
    response = api.post("/api/v1/batches/", payload, format="json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert not ScoringJob.objects.exists() and not Study.objects.exists()


def test_unknown_instrument_and_repeated_ids_store_nothing(post_batch):
    unknown = post_batch(instrument="ghost")
    assert unknown.status_code == 404 and "ghost" in unknown.json()["detail"]
    repeated = post_batch(items=[{"id": "a", "text": "x"}, {"id": "a", "text": "y"}])
    assert repeated.status_code == 400 and repeated.json()["errors"] == [{"line": 2, "reason": "id 'a' repeats line 1"}]
    assert not ScoringJob.objects.exists() and not Study.objects.exists() and not Batch.objects.exists()


def test_a_racing_retry_that_misses_the_first_lookup_still_gets_the_same_job(post_batch, monkeypatch):
    from ratings.services import batches

    first = post_batch(key="race").json()
    real_existing, calls = batches._existing, []

    def missed_once(owner, key):  # the other request has not committed yet when this one looks
        calls.append(key)
        return None if len(calls) == 1 else real_existing(owner, key)

    monkeypatch.setattr(batches, "_existing", missed_once)
    second = post_batch(key="race")
    assert second.status_code == 202 and second.json()["id"] == first["id"] and len(calls) == 2
    assert ScoringJob.objects.count() == Study.objects.count() == 1  # the loser's writes rolled back
    assert len(post_batch.callbacks) == 0  # and its tasks were never enqueued
