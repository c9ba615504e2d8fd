"""Tokens, sessions, and the rule that another user's study, target or job is a 404, never a 403."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ratings.models import ScoringJob
from ratings.selectors import scoring_jobs_for_user, studies_for_user
from ratings.services import study_get_or_create
from ratings.services.scoring import llm_rater_get_or_create, scoring_job_start


@pytest.fixture
def job(study, engagement, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-test"),
                                 created_by=alice)


def test_create_api_token_prints_one_token_per_user(alice, capsys):
    call_command("create_api_token", "alice")
    key = capsys.readouterr().out.strip()
    assert key == Token.objects.get(user=alice).key and len(key) == 40
    call_command("create_api_token", "alice")
    assert capsys.readouterr().out.strip() == key
    call_command("create_api_token", "alice", "--rotate")
    assert capsys.readouterr().out.strip() not in ("", key)
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("create_api_token", "nobody")


def test_a_token_authenticates_and_no_credentials_are_401(alice, study):
    assert APIClient().get("/api/v1/studies/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert bad.get("/api/v1/studies/").status_code == 401
    call_command("create_api_token", "alice", stdout=open("/dev/null", "w"))
    good = APIClient()
    good.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=alice).key}")
    assert [s["slug"] for s in good.get("/api/v1/studies/").json()["results"]] == ["alices"]


def test_a_browser_session_works_too(alice, study, client):
    client.force_login(alice)
    assert client.get("/api/v1/studies/alices/").status_code == 200


def test_studies_for_user_creator_manager_staff(alice, bob, study, django_user_model):
    other, _ = study_get_or_create(slug="bobs", created_by=bob)
    orphan, _ = study_get_or_create(slug="orphan")
    assert set(studies_for_user(user=alice)) == {study}
    assert set(studies_for_user(user=bob)) == {other}
    orphan.managers.add(alice)
    assert set(studies_for_user(user=alice)) == {study, orphan}
    assert study.managers.get() == alice  # the creator manages the study
    root = django_user_model.objects.create_superuser(username="root", password="pw")
    assert set(studies_for_user(user=root)) == {study, other, orphan}


def test_a_manager_sees_the_jobs_of_the_study(job, bob):
    assert not scoring_jobs_for_user(user=bob).exists()
    job.study.managers.add(bob)
    assert list(scoring_jobs_for_user(user=bob)) == [job]


@pytest.mark.parametrize(("method", "url", "body"), [
    pytest.param("get", "/api/v1/studies/alices/", None, id="study"),
    pytest.param("get", "/api/v1/studies/alices/targets/", None, id="targets"),
    pytest.param("get", "/api/v1/studies/alices/targets/?id=T1", None, id="target-by-id"),
    pytest.param("post", "/api/v1/studies/alices/targets/", [{"id": "X", "text": "x"}], id="upload-targets"),
    pytest.param("get", "/api/v1/studies/alices/ratings/", None, id="export"),
    pytest.param("get", "/api/v1/studies/alices/ratings/?format=csv", None, id="export-csv"),
    pytest.param("post", "/api/v1/studies/alices/ratings/",
                 [{"target_id": "T1", "rater_id": "r", "item": "participation", "score": 3}], id="import-ratings"),
    pytest.param("get", "/api/v1/jobs/{job}/", None, id="job"),
    pytest.param("get", "/api/v1/jobs/{job}/results/", None, id="job-results"),
    pytest.param("post", "/api/v1/jobs/{job}/cancel/", None, id="cancel-job"),
])
def test_another_users_objects_are_404_not_403(method, url, body, job, api, bob_api, staff_api):
    url = url.format(job=job.pk)
    response = getattr(bob_api, method)(url, body, format="json")
    assert response.status_code == 404, response.content
    assert "alices" not in response.content.decode() and "T1" not in response.content.decode()
    assert bob_api.get("/api/v1/studies/").json()["results"] == []
    job.refresh_from_db()
    assert job.status == ScoringJob.Status.QUEUED and job.study.targets.count() == 3  # nothing changed
    assert getattr(api, method)(url, body, format="json").status_code in (200, 201)
    assert staff_api.get(url.replace("cancel/", "")).status_code == 200


def test_a_missing_object_looks_the_same_as_a_hidden_one(bob_api, study, job):
    hidden, missing = bob_api.get("/api/v1/studies/alices/"), bob_api.get("/api/v1/studies/nope/")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert bob_api.get(f"/api/v1/jobs/{job.pk}/").json() == bob_api.get("/api/v1/jobs/999999/").json()


def test_an_unrouted_api_url_is_a_json_404_and_a_page_stays_html(api, client, db):
    response = api.get("/api/v1/jobs/not-a-number/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_manager_reads_the_study_and_its_jobs_through_the_api(job, bob, bob_api):
    job.study.managers.add(bob)
    assert bob_api.get("/api/v1/studies/alices/").status_code == 200
    assert bob_api.get(f"/api/v1/jobs/{job.pk}/").json()["total"] == 3
    assert [t["id"] for t in bob_api.get("/api/v1/studies/alices/targets/").json()["results"]] == ["T1", "T2", "T3"]
