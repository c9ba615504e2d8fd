"""The scale-development API endpoint and the manager page, through their URLs."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from instruments.models import InstrumentVersion

BODY = {"pool": "engagement-pool", "criterion": "motivation", "cluster": "patient", "k": 8,
        "repeats": 2, "boots": 5, "seed": 1}


@pytest.fixture
def owner(pool_study, django_user_model):
    study, _, _ = pool_study
    user = django_user_model.objects.create_user(username="owner", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="add_study"))
    study.managers.add(user)
    return user


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_runs_the_analysis_scoped_and_publishes_only_with_permission(pool_study, owner, django_user_model):
    study, pool, true = pool_study
    url = f"/api/v1/studies/{study.slug}/scale-development/"
    response = _api(owner).post(url, BODY, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert set(data["selected"]) == set(true) and data["pool_content_hash"] == pool.content_hash
    assert {row["item"] for row in data["item_analysis"]} == set(pool.spec.item_codes)
    assert set(data["corrected"]) == {"omega_total", "alpha", "r:motivation"}
    stranger = django_user_model.objects.create_user(username="stranger", password="pw")
    assert _api(stranger).post(url, BODY, format="json").status_code == 404
    assert _api(owner).post(url, {**BODY, "publish": True}, format="json").status_code == 403
    bad = _api(owner).post(url, {**BODY, "criterion": "effort"}, format="json")
    assert bad.status_code == 400 and "effort" in bad.json()["detail"]
    assert _api(owner).post(url, {**BODY, "folds": 1}, format="json").status_code == 400
    owner.user_permissions.add(Permission.objects.get(codename="add_instrumentversion"))
    owner = django_user_model.objects.get(pk=owner.pk)  # drop the cached permissions
    published = _api(owner).post(url, {**BODY, "publish": True, "slug": "eng-short"}, format="json")
    assert published.status_code == 200 and published.json()["published"]["instrument"] == "eng-short@1.0.0"
    derivation = InstrumentVersion.objects.get(instrument__slug="eng-short").definition["derivation"]
    assert derivation["pool"]["content_hash"] == pool.content_hash and derivation["study"] == study.slug


def test_the_manager_page_shows_the_analysis_and_publishes(pool_study, owner, client):
    study, pool, true = pool_study
    client.force_login(owner)
    url = f"/manage/{study.slug}/scale-development/"
    page = client.get(url)
    assert page.status_code == 200 and b"engagement-pool@1.0.0" in page.content
    query = {**BODY, "pool": "engagement-pool@1.0.0"}
    page = client.get(url, query)
    html = page.content.decode()
    assert 'id="item-analysis"' in html and 'id="figures"' in html
    assert all(code in html for code in true)
    assert client.post(url, {**query, "slug": "eng-page"}).status_code == 403  # no publish permission yet
    owner.user_permissions.add(Permission.objects.get(codename="add_instrumentversion"))
    response = client.post(url, {**query, "slug": "eng-page", "version": "1.0.0"}, follow=True)
    assert "Published eng-page@1.0.0" in response.content.decode()
    assert InstrumentVersion.objects.filter(instrument__slug="eng-page").count() == 1
    assert "not an item pool" not in client.get(url, {**query, "k": "99"}).content.decode()
    assert "exceeds the pool" in client.get(url, {**query, "k": "99"}).content.decode()
