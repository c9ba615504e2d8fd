"""Report runs: computed in the request for a small study, by a worker for a large one, cached
until a rating changes. The real worker is in tests/integration/test_report_worker.py."""

import pytest
from rest_framework.test import APIClient

from ratings.models import ItemScore
from reports import build
from reports.models import ReportRun
from reports.services import report_run_compute

URL = "/api/v1/studies/demo-engagement/report/"


@pytest.fixture
def api(demo_study, settings):
    settings.ANCHOR_REPORT_N_BOOT = 50
    client = APIClient()
    client.force_authenticate(demo_study[0].created_by)
    return client


def test_small_report_computed_at_once_cached_and_recomputed_when_a_rating_changes(api):
    first = api.get(URL)
    assert first.status_code == 200 and ReportRun.objects.get().status == ReportRun.Status.DONE
    again = api.get(URL)
    assert again.json()["generated_at"] == first.json()["generated_at"]  # the cached report
    assert ReportRun.objects.count() == 1

    score = ItemScore.objects.filter(rating__rater__name="demo-rater-a").order_by("pk").first()
    score.score = 1.0 if score.score != 1.0 else 5.0
    score.save()
    changed = api.get(URL)
    assert changed.status_code == 200 and changed.json()["generated_at"] != first.json()["generated_at"]
    assert ReportRun.objects.count() == 1  # the stale run is gone



def test_declaring_the_rating_design_recomputes_the_cached_report(api, demo_study):
    from ratings.services import study_set_rating_design

    first = api.get(URL).json()
    assert first["rating_design"]["source"] == "inferred"
    study_set_rating_design(study=demo_study[0], design="one-way")
    changed = api.get(URL).json()
    assert changed["generated_at"] != first["generated_at"]
    assert changed["rating_design"]["source"] == "declared" and changed["rating_design"]["design"] == "one-way"


def test_every_cluster_variant_is_computed_by_a_worker_and_an_unknown_field_is_refused(
        api, django_capture_on_commit_callbacks):
    """A new ``?cluster=`` value would recompute the report in the request (seconds each): it
    goes to the worker like a large report, and a field no target has starts nothing."""
    assert api.get(URL).status_code == 200  # the study's own report: small, computed at once
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        variant = api.get(URL + "?cluster=patient")
    assert variant.status_code == 202 and variant.json()["options"]["cluster_field"] == "patient"
    assert len(callbacks) == 1 and ReportRun.objects.count() == 2
    report_run_compute(run_id=variant.json()["id"])  # what the worker does
    done = api.get(URL + "?cluster=patient")
    assert done.status_code == 200 and done.json()["cluster_field"] == "patient"
    unknown = api.get(URL + "?cluster=no-such-field")
    assert unknown.status_code == 400 and "no-such-field" in unknown.json()["detail"]
    assert ReportRun.objects.count() == 2


def test_large_report_answers_202_with_progress_until_the_worker_is_done(api, client, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.ANCHOR_REPORT_INLINE_MAX_SCORES = 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pending = api.get(URL)
    assert pending.status_code == 202 and len(callbacks) == 1  # one task enqueued on commit
    body = pending.json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["url"].startswith("/api/v1/report-runs/")
    client.force_login(api.handler._force_user)
    page = client.get("/studies/demo-engagement/report/")
    assert page.status_code == 202 and b'http-equiv="refresh"' in page.content and b"<progress" in page.content
    assert ReportRun.objects.count() == 1  # asking again does not start a second computation

    seen = []
    original = build.SECTIONS[0]
    build.SECTIONS[0] = (original[0], lambda *a: seen.append(ReportRun.objects.get().progress) or original[1](*a))
    try:
        report_run_compute(run_id=body["id"])  # what the worker does
        report_run_compute(run_id=body["id"])  # a redelivered task: nothing to do
    finally:
        build.SECTIONS[0] = original
    assert seen == [0.0]
    status = api.get(body["url"]).json()
    assert status["status"] == "done" and status["progress"] == 1.0 and status["section"] == "done"
    done = api.get(URL)
    assert done.status_code == 200 and done.json()["study"] == "demo-engagement"
    assert b"1. Human panel reliability" in client.get("/studies/demo-engagement/report/").content

    stranger = APIClient()
    from django.contrib.auth import get_user_model
    stranger.force_authenticate(get_user_model().objects.create_user(username="nosy"))
    assert stranger.get(body["url"]).status_code == 404


def test_a_failed_computation_is_shown_with_its_reason_and_started_again(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("reports.services.study_report", broken)
    failed = api.get(URL)
    assert failed.status_code == 500 and "RuntimeError: the disk is full" in failed.json()["error"]
    monkeypatch.undo()
    assert api.get(URL).status_code == 200 and ReportRun.objects.get().status == ReportRun.Status.DONE


def test_a_run_queued_for_long_is_enqueued_again(api, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    settings.ANCHOR_REPORT_INLINE_MAX_SCORES = 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api.get(URL)
        api.get(URL)
    assert len(callbacks) == 1  # a fresh queued run is not enqueued twice
    ReportRun.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api.get(URL).status_code == 202
    assert len(callbacks) == 1 and ReportRun.objects.count() == 1
