"""The rating design is data: declared at creation and later, by command, manager page and API."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from ratings.models import Study
from ratings.services import StudyDesignError, study_get_or_create, study_set_rating_design


def test_command_declares_changes_and_clears_the_design(db, capsys):
    study, _ = study_get_or_create(slug="s")
    assert study.rating_design == ""
    call_command("set_rating_design", "s", "one-way")
    assert "s: rating design undeclared -> one-way" in capsys.readouterr().out
    call_command("set_rating_design", "s", "crossed")
    assert Study.objects.get(slug="s").rating_design == "crossed"
    call_command("set_rating_design", "s", "none")
    assert Study.objects.get(slug="s").rating_design == ""
    events = AuditEvent.objects.filter(object_type="study", action="change").order_by("id")
    assert [e.detail["rating_design"] for e in events] == ["one-way", "crossed", ""]
    with pytest.raises(CommandError, match="no study 'nope'"):
        call_command("set_rating_design", "nope", "crossed")
    with pytest.raises(CommandError):
        call_command("set_rating_design", "s", "nested")


def test_service_refuses_an_unknown_design(db):
    study, _ = study_get_or_create(slug="s", rating_design="crossed")
    assert study.rating_design == "crossed"
    with pytest.raises(StudyDesignError, match="'two-way' is not one of crossed, one-way"):
        study_set_rating_design(study=study, design="two-way")
    with pytest.raises(StudyDesignError):
        study_get_or_create(slug="t", rating_design="two-way")
    assert Study.objects.get(slug="s").rating_design == "crossed" and not Study.objects.filter(slug="t").exists()


def test_the_admin_shows_the_design_and_leaves_its_change_to_the_audited_service(db, admin_client):
    study, _ = study_get_or_create(slug="s", rating_design="crossed")
    page = admin_client.get(f"/admin/ratings/study/{study.pk}/change/")
    assert page.status_code == 200 and 'name="rating_design"' not in page.content.decode()
    form = {"slug": "s", "title": "S", "rating_design": "one-way", "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0"}
    admin_client.post(f"/admin/ratings/study/{study.pk}/change/", form)
    assert Study.objects.get(pk=study.pk).rating_design == "crossed"


@pytest.fixture
def manager(django_user_model, engagement):
    user = django_user_model.objects.create_user(username="mia", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="add_study"))
    return user


def test_manager_pages_declare_the_design(manager, client, engagement):
    client.force_login(manager)
    response = client.post("/manage/", {"slug": "pilot", "title": "Pilot", "instruments": [engagement.pk],
                                        "rating_design": "one-way"})
    assert response.status_code == 302
    assert Study.objects.get(slug="pilot").rating_design == "one-way"
    page = client.get("/manage/pilot/")
    assert b'id="rating-design"' in page.content and b'value="one-way" selected' in page.content
    response = client.post("/manage/pilot/", {"action": "rating_design", "rating_design": "crossed"})
    assert response.status_code == 302 and Study.objects.get(slug="pilot").rating_design == "crossed"
    client.post("/manage/pilot/", {"action": "rating_design", "rating_design": ""})
    assert Study.objects.get(slug="pilot").rating_design == ""
    assert client.post("/manage/pilot/", {"action": "rating_design", "rating_design": "x"}).status_code == 200
    assert Study.objects.get(slug="pilot").rating_design == ""
