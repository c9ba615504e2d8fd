"""The audit log: events recorded where material, ratings and reports are viewed, exported or
changed; append-only in the database; read only in the admin; a page and exports for admins."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import audit_record
from ratings.models import Rater
from ratings.services import assignments_create, study_get_or_create, study_use_instrument, targets_import
from ratings.services.roles import user_grant_role
from ratings.tabular import read_rows


@pytest.fixture
def study(db, engagement, django_user_model):
    owner = django_user_model.objects.create_user(username="owner", password="pw")
    user_grant_role(user=owner, role="study-managers")
    study, _ = study_get_or_create(slug="audited", created_by=owner)
    study_use_instrument(study=study, version=engagement)
    targets_import(study=study, rows=read_rows("id,text\nT1,Client: hello.\nT2,Client: bye.\n", "csv"), fmt="csv")
    return study


def _events():
    return list(AuditEvent.objects.order_by("id").values_list("username", "action", "object_type", "study"))


def test_api_reads_and_writes_are_recorded_with_user_address_and_request_id(study):
    api = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3")  # through nginx
    api.force_authenticate(study.created_by)
    api.get("/api/v1/studies/audited/targets/", HTTP_X_REQUEST_ID="req-42")
    api.get("/api/v1/studies/audited/ratings/?format=csv")
    api.post("/api/v1/studies/audited/ratings/?instrument=therapy-engagement",
             [{"target_id": "T1", "rater_id": "r1", "item": "participation", "score": 3}], format="json")
    api.post("/api/v1/studies/audited/targets/", [{"id": "T3", "text": "Client: new."}], format="json")
    api.post("/api/v1/studies/audited/targets/", [{"id": "T4", "text": ""}], format="json")  # refused: no event
    assert _events() == [("owner", "view", "material", "audited"), ("owner", "export", "ratings", "audited"),
                         ("owner", "create", "ratings", "audited"), ("owner", "create", "material", "audited")]
    first = AuditEvent.objects.order_by("id").first()
    assert (first.ip, first.request_id, first.via, first.object_id) == ("10.1.2.3", "req-42", "api", "T1,T2")
    assert AuditEvent.objects.filter(action="export").get().detail == {"item_scores": 0, "format": "csv"}


def test_a_request_id_and_a_forwarded_address_are_believed_only_from_the_proxy(study, settings):
    settings.ANCHOR_TRUSTED_PROXIES = ["127.0.0.1"]
    api = APIClient(REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="10.9.9.9")  # not through nginx
    api.force_authenticate(study.created_by)
    api.get("/api/v1/studies/audited/targets/", HTTP_X_REQUEST_ID="forged-id")
    event = AuditEvent.objects.get()
    assert event.ip == "198.51.100.4" and event.request_id != "forged-id" and len(event.request_id) == 32


def test_a_rater_viewing_and_submitting_a_form_is_recorded(study, engagement, client, django_user_model):
    user = django_user_model.objects.create_user(username="rita", password="pw")
    rater = Rater.objects.create(name="rita", kind=Rater.Kind.HUMAN, user=user)
    assignments_create(rater=rater, targets=study.targets.filter(external_id="T1"), version=engagement)
    client.force_login(user)
    url = f"/rate/{rater.assignments.get().pk}/"
    client.get(url)
    answers = {f"item-{item.code}": "3" for item in engagement.spec.items}
    assert client.post(url, answers).status_code == 302
    assert _events() == [("rita", "view", "material", "audited"), ("rita", "change", "rating", "audited")]
    first = AuditEvent.objects.order_by("id").first()
    assert (first.object_id, first.via) == ("T1", "web")


def test_commands_are_recorded_without_a_user(study, write_file, tmp_path):
    call_command("import_ratings", "audited", str(write_file("r.csv", "target_id,rater_id,item,score\n"
                                                                     "T1,r1,participation,3\nT2,r1,participation,4\n")),
                 "--instrument", "therapy-engagement", stdout=io.StringIO())
    call_command("report", "audited", "--format", "csv", "--n-boot", "10", "--output", str(tmp_path / "r.csv"),
                 stderr=io.StringIO())
    assert _events() == [("", "create", "ratings", "audited"), ("", "export", "report", "audited")]
    assert {e.via for e in AuditEvent.objects.all()} == {"command"}


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_an_event(db):
    event = audit_record(action="view", object_type="material", object_id="T1", study="s")
    for statement in ("UPDATE audit_auditevent SET username = 'mallory'", "DELETE FROM audit_auditevent"):
        with pytest.raises((IntegrityError, DatabaseError), match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    with pytest.raises((IntegrityError, DatabaseError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(object_id="T2")
    with pytest.raises((IntegrityError, DatabaseError), match="append-only"), transaction.atomic():
        event.delete()
    assert list(AuditEvent.objects.values_list("object_id", flat=True)) == ["T1"]
    audit_record(action="view", object_type="material", object_id="T2", study="s")  # appending still works
    assert AuditEvent.objects.count() == 2


def test_the_admin_shows_the_log_read_only(study, client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="pw")
    client.force_login(root)
    event = audit_record(action="view", object_type="material", object_id="T1", study="audited")
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="object_id"' not in page.content  # no editable field
    target = study.targets.get(external_id="T1")
    client.get(f"/admin/ratings/target/{target.pk}/change/")
    assert AuditEvent.objects.filter(via="admin", action="view", object_type="material", object_id="T1").exists()


def test_the_page_and_exports_are_for_administrators(study, client, django_user_model):
    client.force_login(study.created_by)
    assert client.get("/audit/").status_code == 403 and client.get("/audit/export/").status_code == 403
    audit_record(action="view", object_type="material", object_id="=T1", study="audited")
    audit_record(action="export", object_type="report", study="other")
    client.force_login(django_user_model.objects.create_superuser(username="root", password="pw"))
    page = client.get("/audit/?study=audited")
    assert page.status_code == 200 and "=T1" in page.content.decode() and "other" not in page.content.decode()
    rows = list(csv.DictReader(io.StringIO(client.get("/audit/export/?format=csv&study=audited").content.decode())))
    assert [(r["action"], r["object_id"], r["study"]) for r in rows] == [("view", "'=T1", "audited")]
    lines = client.get("/audit/export/?format=jsonl&action=export").content.decode().splitlines()
    assert [json.loads(line)["object_type"] for line in lines] == ["report", "audit", "audit"]  # the exports too
    assert AuditEvent.objects.filter(object_type="audit", username="root").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_end_after_recording_events():
    # The teardown (flush) would be refused by the triggers; conftest empties the log first.
    audit_record(action="view", object_type="material", object_id="T1", study="s")
    assert AuditEvent.objects.count() == 1


def test_the_audit_app_depends_on_no_other_app():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"^\s*(from|import)\s+(ratings|reports|instruments)\b", re.MULTILINE)
    assert [str(p) for p in (root / "audit").rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))] == []


def test_reopening_a_rating_in_the_admin_is_recorded(study, engagement, client, django_user_model):
    from ratings.models import Rating
    from ratings.services.rating_forms import rating_submit

    user = django_user_model.objects.create_user(username="rita", password="pw")
    rater = Rater.objects.create(name="rita", kind=Rater.Kind.HUMAN, user=user)
    assignments_create(rater=rater, targets=study.targets.filter(external_id="T1"), version=engagement)
    rating = rating_submit(assignment=rater.assignments.get(),
                           answers={item.code: "3" for item in engagement.spec.items}, seconds_spent=5)
    client.force_login(django_user_model.objects.create_superuser(username="root", password="pw"))
    response = client.post("/admin/ratings/rating/", {"action": "reopen", "_selected_action": [rating.pk]})
    assert response.status_code == 302
    rating.refresh_from_db()
    assert rating.status == Rating.Status.DRAFT
    assert _events()[-1] == ("root", "change", "rating", "audited")


def test_a_batch_post_is_recorded_with_its_job(study, django_user_model, django_capture_on_commit_callbacks):
    client_user = django_user_model.objects.create_user(username="client", password="pw")
    user_grant_role(user=client_user, role="api-clients")
    api = APIClient()
    api.force_authenticate(client_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post("/api/v1/batches/", {"instrument": "therapy-engagement",
                                                 "items": [{"id": "a", "text": "Client: hi."}]}, format="json")
    assert response.status_code == 202
    event = AuditEvent.objects.get(object_type="batch")
    assert (event.username, event.action, event.via) == ("client", "create", "api")
    assert event.detail["job"] == response.json()["id"] and event.detail["targets"] == 1


def test_a_change_whose_audit_event_cannot_be_written_is_not_stored(study, engagement, django_user_model,
                                                                    monkeypatch):
    """The event is written in the change's transaction: no change without its event."""
    from audit.actor import Actor
    from ratings.models import Assignment, Rating
    from ratings.services.rating_forms import rating_submit

    rater_user = django_user_model.objects.create_user(username="rater", password="pw")
    rater = Rater.objects.create(name="r1", kind="human", user=rater_user)
    assignments_create(rater=rater, targets=study.targets.filter(external_id="T1"), version=engagement)
    assignment = Assignment.objects.get(rater=rater)
    answers = {item.code: "3" for item in engagement.spec.items if item.for_humans}

    def connection_lost(**kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(AuditEvent.objects, "create", connection_lost)
    with pytest.raises(DatabaseError):
        rating_submit(assignment=assignment, answers=answers, actor=Actor(user=rater_user, via="web"))
    assert not Rating.objects.filter(rater=rater).exists()
    monkeypatch.undo()
    rating_submit(assignment=assignment, answers=answers, actor=Actor(user=rater_user, via="web"))
    assert Rating.objects.filter(rater=rater).count() == 1 and AuditEvent.objects.filter(object_type="rating").count() == 1
