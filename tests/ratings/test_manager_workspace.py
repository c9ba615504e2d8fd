"""The manager's workspace: the study page's steps, the rater pool per manager, invitations whose
one-time password is shown once and replaced at first sign-in, instrument uploads, reopening, jobs."""

import re
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from ratings.models import Assignment, Rater, Rating, ScoringJob, Study
from ratings.services.rating_forms import rating_submit
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start

from .fake_llm import FakeBackend

TARGETS = b"id,text,criterion:motivation\nT1,Client: yes.,4\nT2,Client: no.,2\nT3,Client: maybe.,3\nT4,Client: ok.,5\n"
ANSWERS = {"participation": 4, "disclosure": 3, "emotional_involvement": 3, "collaboration": 4, "goal_agreement": 4,
           "task_agreement": 3, "change_talk": 2, "motivation": 4, "between_session_effort": 2, "resistance": 1}


def _manager(django_user_model, name):
    user = django_user_model.objects.create_user(username=name, password="pw")
    user.user_permissions.add(Permission.objects.get(codename="add_study"))
    return user


@pytest.fixture
def mia(django_user_model, engagement):
    return _manager(django_user_model, "mia")


@pytest.fixture
def pilot(mia, client, engagement):
    client.force_login(mia)
    client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                             "targets": SimpleUploadedFile("t.csv", TARGETS)})
    return Study.objects.get(slug="pilot")


def _invite(client, name, slug="pilot"):
    response = client.post(f"/manage/{slug}/", {"action": "invite", "name": name})
    page = response.content.decode()
    username = re.search(r'<code id="invited-username">([^<]+)</code>', page)[1]
    password = re.search(r'<code id="invited-password">([^<]+)</code>', page)[1]
    return response, username, password


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for key, value in attrs if key == "id"]


def test_the_study_page_has_no_duplicate_element_ids(pilot, client, engagement):
    """Regression: the design and scoring forms both rendered id_instrument and id_seed, so a
    label of one form focused the other's field."""
    _, ann, _ = _invite(client, "ann")
    _, ben, _ = _invite(client, "ben")
    page = client.post("/manage/pilot/", {"action": "preview", "instrument": engagement.pk, "raters": [ann, ben],
                                          "per_target": 1, "overlap": 1, "seed": 0}).content.decode()
    parser = _Ids()
    parser.feed(page)
    duplicates = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    assert duplicates == [] and "design-instrument" in parser.ids and "scoring-instrument" in parser.ids
    labels = re.findall(r'<label for="([^"]+)"', page)
    assert labels and all(target in parser.ids for target in labels)  # every label names a field that exists


def test_the_study_page_shows_the_steps_in_the_order_of_the_work(pilot, client, engagement):
    page = client.get("/manage/pilot/").content.decode()
    positions = [page.index(f'id="step-{step}"') for step in
                 ("material", "instruments", "raters", "design", "scoring", "report")]
    assert positions == sorted(positions)
    text = " ".join(page.split())
    assert "4 targets." in text and "1 instrument: therapy-engagement@1.0.0." in text
    # one instrument: preselected in both forms, no "---------"
    assert re.search(r'<option value="%d" selected>' % engagement.pk, page) and "---------" not in page
    assert 'id="nav-studies"' in page


def test_target_list_is_searchable_and_paginated(pilot, client, settings):
    page = client.get("/manage/pilot/?q=T3").content.decode()
    assert "<td>T3</td>" in page and "<td>T1</td>" not in page and "criterion" not in page.split("T3</td>")[1][:20]
    partial = client.get("/manage/pilot/?part=targets&q=T", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="target-list">') and "<td>T4</td>" in partial
    rows = "id,text\n" + "".join(f"X{i:02d},Client: {i}.\n" for i in range(30))
    client.post("/manage/pilot/", {"action": "upload", "targets": SimpleUploadedFile("more.csv", rows.encode())})
    first = client.get("/manage/pilot/").content.decode()
    assert "page 1 of 2" in first and "Targets 1–20 of 34" in first


def test_invitation_shows_the_password_once_and_never_in_a_cookie(pilot, client, django_user_model):
    django_user_model.objects.create_user(username="ann", password="someone-elses-1")  # an existing account
    response, username, password = _invite(client, "ann")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert re.fullmatch(r"ann-[0-9a-f]{4}", username)  # the same answer as for a fresh name: nothing revealed
    assert "taken" not in response.content.decode()
    assert all(password not in morsel.value for morsel in response.cookies.values())
    assert all(password not in morsel.value for morsel in client.cookies.values())
    assert password not in client.get("/manage/pilot/").content.decode()  # once only
    rater = Rater.objects.get(name=username)
    assert rater.invited_by.username == "mia" and rater.password_change_required and rater.user.check_password(password)


def test_an_invited_rater_must_choose_a_password_at_first_sign_in(pilot, client):
    _, username, password = _invite(client, "ann")
    client.logout()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302
    response = client.get("/rate/")
    assert response.status_code == 302 and response.url == "/accounts/password_change/?first=1"
    assert client.get("/api/v1/studies/").status_code == 403
    page = client.get(response.url).content.decode()
    assert "You signed in with a one-time password" in page
    new = "violet-harbour-42"
    response = client.post("/accounts/password_change/", {"old_password": password, "new_password1": new,
                                                          "new_password2": new})
    assert response.status_code == 302
    assert client.get("/rate/").status_code == 200
    rater = Rater.objects.get(name=username)
    assert not rater.password_change_required and rater.user.check_password(new)


def test_the_rater_pool_is_per_manager(pilot, client, django_user_model, engagement):
    _, ann, _ = _invite(client, "ann")
    other = _manager(django_user_model, "otto")
    client.force_login(other)
    client.post("/manage/", {"slug": "second", "title": "Second", "instruments": [engagement.pk],
                             "targets": SimpleUploadedFile("t.csv", TARGETS)})
    page = client.get("/manage/second/").content.decode()
    assert ann not in page
    response = client.post("/manage/second/", {"action": "commit", "instrument": engagement.pk, "raters": [ann],
                                               "per_target": 1, "overlap": 0, "seed": 0})
    assert "is not one of the available choices" in response.content.decode()
    assert not Assignment.objects.filter(target__study__slug="second").exists()
    _, own, _ = _invite(client, "olga", slug="second")
    assert own in client.get("/manage/second/").content.decode()


def test_sign_in_lands_a_manager_on_the_studies_and_a_rater_on_the_queue(pilot, client, django_user_model):
    client.logout()
    response = client.post("/accounts/login/", {"username": "mia", "password": "pw"})
    assert response.url == "/manage/"
    django_user_model.objects.create_user(username="rita", password="rita-pass-123")
    client.logout()
    assert client.post("/accounts/login/", {"username": "rita", "password": "rita-pass-123"}).url == "/rate/"


def test_a_rater_on_a_manager_page_gets_the_styled_403(db, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="rita"))
    response = client.get("/manage/")
    page = response.content.decode()
    assert response.status_code == 403 and "This page is not for your account" in page
    assert "anchor.css" in page and 'id="nav-studies"' not in page


def test_administrators_see_the_audit_link(db, admin_client):
    assert 'id="nav-audit"' in admin_client.get("/rate/").content.decode()


def test_an_instrument_definition_is_uploaded_and_its_problems_listed(pilot, client, builtin_text):
    doc = yaml.safe_load(builtin_text("therapy-engagement"))
    doc.update(slug="pilot-engagement", title="Pilot engagement", version="0.1.0")
    upload = SimpleUploadedFile("pilot.yaml", yaml.safe_dump(doc).encode())
    response = client.post("/manage/pilot/", {"action": "instrument_upload", "definition": upload}, follow=True)
    assert "pilot-engagement@0.1.0" in response.content.decode()
    assert pilot.instrument_versions.filter(instrument__slug="pilot-engagement").exists()
    doc["items"][1]["code"] = doc["items"][0]["code"]
    del doc["title"]
    bad = SimpleUploadedFile("bad.json", yaml.safe_dump(doc).encode().replace(b"0.1.0", b"0.2.0"))
    page = client.post("/manage/pilot/", {"action": "instrument_upload", "definition": bad}).content.decode()
    problems = re.findall(r"<li><code>([^<]+)</code></li>", page)
    assert len(problems) >= 1 and "nothing stored" in page
    assert not pilot.instrument_versions.filter(version="0.2.0").exists()


def test_a_manager_reopens_a_submitted_rating_from_the_web(pilot, client, engagement):
    _, ann, _ = _invite(client, "ann")
    client.post("/manage/pilot/", {"action": "commit", "instrument": engagement.pk, "raters": [ann],
                                   "per_target": 1, "overlap": 0, "seed": 0})
    assignment = Assignment.objects.filter(rater__name=ann).first()
    rating = rating_submit(assignment=assignment, answers=ANSWERS)
    page = client.get("/manage/pilot/ratings/").content.decode()
    assert f"/manage/pilot/ratings/{rating.pk}/reopen/" in page
    response = client.post(f"/manage/pilot/ratings/{rating.pk}/reopen/", follow=True)
    assert "is reopened and back in the rater&#x27;s queue" in response.content.decode()
    rating.refresh_from_db()
    assignment.refresh_from_db()
    assert rating.status == Rating.Status.DRAFT and assignment.status == Assignment.Status.IN_PROGRESS
    assert AuditEvent.objects.filter(object_type="rating", detail__status="reopened").count() == 1


def test_the_job_page_is_in_the_frame_with_times_a_cancel_button_and_a_way_back(pilot, client, engagement,
                                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=pilot, version=engagement, rater=llm_rater_get_or_create(name="llm-fake"),
                                created_by=None)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'class="top"' in page and "anchor.css" in page  # the site's header and stylesheet
    assert 'href="/manage/pilot/#step-scoring"' in page and 'id="cancel-job"' in page
    assert "not started yet" in page and "after the first item is scored" in page
    assert 'hx-trigger="every 2s"' in page  # polls while the job runs
    score_target(job_id=job.pk, target_id=pilot.targets.order_by("pk").first().pk, backend=FakeBackend())
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert '<span id="finished">1</span> of 4' in page and 'id="estimate"' in page
    assert "target 2 of 4 waits for a worker (the last one finished" in page  # no worker holds one
    response = client.post(f"/jobs/{job.pk}/cancel/", follow=True)
    job.refresh_from_db()
    assert job.status == ScoringJob.Status.CANCELLED and "is cancelled" in response.content.decode()
    page = response.content.decode()
    assert 'id="cancel-job"' not in page and 'hx-trigger="every 2s"' not in page
