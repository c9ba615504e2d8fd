"""Scoring a subset of a study's targets: a list of ids or a seeded sample, from the command, the
API and the manager page; following a job with --watch; the hint when no worker listens.

Tasks run through Celery in eager mode (the real task code, inline) on the fake backend; the
integration tests run the same path with a real worker and the bundled model.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from config.celery import app
from ratings.models import Rating, ScoringJob
from ratings.services import study_get_or_create, targets_import
from ratings.services.scoring import llm_rater_get_or_create, scoring_job_resume, scoring_job_start
from ratings.services.subsets import SubsetError, subset_choose
from ratings.tabular import read_rows
from ratings.worker_status import WORKER_COMMAND, worker_hint

from .fake_llm import FakeBackend

IDS = [f"T{n:02d}" for n in range(1, 13)]


@pytest.fixture
def study(engagement):
    study, _ = study_get_or_create(slug="s")
    rows = read_rows("id,text\n" + "".join(f"{i},Client: session {i}.\n" for i in IDS), "csv")
    targets_import(study=study, rows=rows, fmt="csv")
    return study


@pytest.fixture
def eager(monkeypatch):
    """Tasks run inline through Celery's eager mode, scored by the fake backend."""
    monkeypatch.setattr("ratings.llm_settings.backend_for_rater", lambda rater: FakeBackend())
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _scored(job) -> list[str]:
    return sorted(Rating.objects.filter(scoring_job=job).values_list("target__external_id", flat=True))


def test_score_targets_file_enqueues_only_the_chosen_targets(study, eager, write_file, capsys,
                                                             django_capture_on_commit_callbacks):
    path = write_file("ids.txt", "T03\nT07\n\nT11\n")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("score", "s", "--instrument", "therapy-engagement", "--rater", "llm-t", "--targets", str(path))
    assert "scores 3 targets (a subset of 12) of s" in capsys.readouterr().out
    job = ScoringJob.objects.get()
    assert (job.total, job.completed, job.status) == (3, 3, "done")
    assert _scored(job) == ["T03", "T07", "T11"]
    assert job.subset["sample"] is None and len(job.subset["target_pks"]) == 3


def test_a_csv_with_an_id_column_works_too(study, eager, write_file, django_capture_on_commit_callbacks):
    path = write_file("pick.csv", "id,note\nT02,x\nT05,y\n")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("score", "s", "--instrument", "therapy-engagement", "--rater", "llm-t", "--targets", str(path))
    assert _scored(ScoringJob.objects.get()) == ["T02", "T05"]


def test_unknown_ids_are_refused_and_named(study, write_file):
    path = write_file("ids.txt", "T01\nT99\nnope\n")
    with pytest.raises(CommandError, match=r"2 target id\(s\) not in study s: 'T99', 'nope'"):
        call_command("score", "s", "--instrument", "therapy-engagement", "--rater", "llm-t", "--targets", str(path))
    assert not ScoringJob.objects.exists()


def test_a_seeded_sample_is_reproducible_and_only_it_is_scored(study, eager, capsys,
                                                               django_capture_on_commit_callbacks):
    first = subset_choose(study=study, sample=4, seed=7)
    assert first == subset_choose(study=study, sample=4, seed=7)
    assert first != subset_choose(study=study, sample=4, seed=8)
    assert first["sample"] == {"n": 4, "seed": 7}
    with django_capture_on_commit_callbacks(execute=True):
        call_command("score", "s", "--instrument", "therapy-engagement", "--rater", "llm-t", "--sample", "4",
                     "--seed", "7")
    job = ScoringJob.objects.get()
    assert job.total == 4 and sorted(Rating.objects.filter(scoring_job=job).values_list("target_id", flat=True)) == \
        first["target_pks"]
    with pytest.raises(CommandError, match="a sample of 13 from 12 targets is not possible"):
        call_command("score", "s", "--instrument", "therapy-engagement", "--rater", "llm-t", "--sample", "13")


def test_a_sample_of_listed_ids_draws_from_the_list(study):
    chosen = subset_choose(study=study, target_ids=["T01", "T02", "T03"], sample=2, seed=1)
    pks = dict(study.targets.values_list("pk", "external_id"))
    assert len(chosen["target_pks"]) == 2 and {pks[p] for p in chosen["target_pks"]} <= {"T01", "T02", "T03"}
    with pytest.raises(SubsetError, match="the list of targets is empty"):
        subset_choose(study=study, target_ids=["  "])


def test_resume_enqueues_only_the_subsets_missing_targets(study, engagement, eager,
                                                          django_capture_on_commit_callbacks):
    subset = subset_choose(study=study, target_ids=["T01", "T02"])
    with django_capture_on_commit_callbacks(execute=False):  # the broker "lost" the messages
        job = scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-t"),
                                subset=subset)
    assert scoring_job_resume(job=job) == 2
    job.refresh_from_db()
    assert _scored(job) == ["T01", "T02"] and job.status == "done"


def test_watch_follows_a_job_without_enqueueing(study, engagement, eager, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-t"),
                                subset=subset_choose(study=study, target_ids=["T01"]))
    before = Rating.objects.count()
    call_command("score", "s", "--watch", str(job.pk))
    assert "1/1 (1 scored, 0 failed) done" in capsys.readouterr().out
    assert Rating.objects.count() == before and ScoringJob.objects.count() == 1
    with pytest.raises(CommandError, match="no scoring job 999 in study 's'"):
        call_command("score", "s", "--watch", "999")


def test_api_scores_a_subset_of_an_existing_study(study, eager, django_user_model, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    owner = django_user_model.objects.create_user(username="owner")
    study.managers.add(owner)
    client = APIClient()
    client.force_authenticate(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/studies/s/scoring-jobs/",
                               {"instrument": "therapy-engagement", "target_ids": ["T04", "T09"]}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["total"] == 2 and response["Location"] == body["url"] and len(body["subset"]["target_pks"]) == 2
    assert _scored(ScoringJob.objects.get(pk=body["id"])) == ["T04", "T09"]
    unknown = client.post("/api/v1/studies/s/scoring-jobs/", {"instrument": "therapy-engagement",
                                                             "target_ids": ["T04", "X1"]}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [{"field": "target_ids", "message": "1 target id(s) not in study s: 'X1'"}]
    sampled = client.post("/api/v1/studies/s/scoring-jobs/", {"instrument": "therapy-engagement", "sample": 3,
                                                             "seed": 2}, format="json")
    assert sampled.status_code == 202 and sampled.json()["subset"]["sample"] == {"n": 3, "seed": 2}
    listed = client.get("/api/v1/studies/s/scoring-jobs/").json()
    assert sorted(j["total"] for j in listed) == [2, 3]
    stranger = django_user_model.objects.create_user(username="stranger")
    client.force_authenticate(stranger)
    assert client.post("/api/v1/studies/s/scoring-jobs/", {"instrument": "therapy-engagement"},
                       format="json").status_code == 404


def test_manager_page_scores_a_subset(study, engagement, eager, client, django_user_model,
                                      django_capture_on_commit_callbacks):
    manager = django_user_model.objects.create_user(username="mia")
    manager.user_permissions.add(Permission.objects.get(codename="add_study"))
    study.managers.add(manager)
    study.instrument_versions.add(engagement)
    client.force_login(manager)
    assert b'name="subset"' in client.get("/manage/s/").content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/s/", {"action": "score", "instrument": engagement.pk, "seed": 0,
                                              "subset": SimpleUploadedFile("ids.txt", b"T01\nT12\n")})
    assert response.status_code == 302
    assert _scored(ScoringJob.objects.get()) == ["T01", "T12"]
    refused = client.post("/manage/s/", {"action": "score", "instrument": engagement.pk, "seed": 0,
                                         "subset": SimpleUploadedFile("ids.txt", b"T01\nT13\n")})
    assert refused.status_code == 200 and b"T13" in refused.content and ScoringJob.objects.count() == 1


def test_the_hint_says_when_no_worker_listens(study, engagement, django_capture_on_commit_callbacks):
    """No worker has reported a heartbeat in unit tests: the hint names the queue and the command."""
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-t"))
    hint = worker_hint(job)
    assert hint is not None and "No worker is listening to queue 'llm'" in hint and WORKER_COMMAND in hint
    job.status = "done"  # a finished job waits for nothing: no hint
    assert worker_hint(job) is None
