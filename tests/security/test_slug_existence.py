"""Creating a study never tells whether another manager's study has that slug: a slug taken by
anyone, or reserved, gets one and the same answer, on the page and in the API."""

import pytest
from rest_framework.test import APIClient

from ratings.models import Study
from ratings.services import study_get_or_create
from ratings.services.roles import user_grant_role


@pytest.fixture
def managers(db, django_user_model):
    users = []
    for name in ("alice", "bob"):
        user = django_user_model.objects.create_user(username=name, password="pw")
        user_grant_role(user=user, role="study-managers")
        users.append(user)
    study_get_or_create(slug="alices-secret-trial", created_by=users[0])
    study_get_or_create(slug="bobs-own", created_by=users[1])
    return users


def test_the_api_answers_the_same_for_a_foreign_an_own_and_a_reserved_slug(managers):
    api = APIClient()
    api.force_authenticate(managers[1])
    answers = [api.post("/api/v1/studies/", {"slug": slug}, format="json")
               for slug in ("alices-secret-trial", "bobs-own", "batch-0123456789abcdef")]
    assert [a.status_code for a in answers] == [409, 409, 409]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert "exist" not in answers[0].content.decode()
    assert api.post("/api/v1/studies/", {"slug": "bobs-second"}, format="json").status_code == 201


def test_the_manager_page_answers_the_same_for_a_foreign_and_an_own_slug(managers, client, engagement):
    client.force_login(managers[1])
    pages = [client.post("/manage/", {"slug": slug, "title": "t", "instruments": [engagement.pk]})
             for slug in ("alices-secret-trial", "bobs-own")]
    assert [p.status_code for p in pages] == [400, 400]
    messages = [p.context["form"].errors["slug"] for p in pages]
    assert messages[0] == messages[1] and "exist" not in str(messages[0])
    assert Study.objects.get(slug="alices-secret-trial").managers.get().username == "alice"
