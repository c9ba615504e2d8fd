"""Roles: a rater cannot create studies anywhere; the manager and API client roles can."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from ratings.models import Study


@pytest.mark.parametrize("role", [None, "study-managers", "api-clients"])
def test_creating_studies_and_batches_needs_a_role(db, django_user_model, engagement, role, client):
    user = django_user_model.objects.create_user(username="u", password="pw")
    if role:
        call_command("grant_role", "u", role, stdout=open("/dev/null", "w"))
    api = APIClient()
    api.force_authenticate(user)
    created = api.post("/api/v1/studies/", {"slug": "s1"}, format="json")
    batch = api.post("/api/v1/batches/", {"instrument": "therapy-engagement", "items": [{"id": "a", "text": "b"}]},
                     format="json")
    client.force_login(user)
    page = client.get("/manage/")
    if role is None:
        assert (created.status_code, batch.status_code, page.status_code) == (403, 403, 403)
        assert not Study.objects.exists()
    else:
        assert (created.status_code, batch.status_code, page.status_code) == (201, 202, 200)
    assert api.get("/api/v1/studies/").status_code == 200  # reading needs only an account
