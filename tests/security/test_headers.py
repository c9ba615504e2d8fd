"""Response headers: a Content-Security-Policy on every page, no caching of pages that show
material, and API docs that load nothing from another origin."""

import re

import pytest

from ratings.models import Assignment, Rater
from ratings.services import assignments_create, study_get_or_create, study_use_instrument, targets_import
from ratings.services.roles import user_grant_role
from ratings.tabular import read_rows


@pytest.fixture
def rater_client(db, engagement, client, django_user_model):
    user = django_user_model.objects.create_user(username="rita", password="pw")
    user_grant_role(user=user, role="study-managers")
    study, _ = study_get_or_create(slug="hdr", created_by=user)
    study_use_instrument(study=study, version=engagement)
    targets_import(study=study, rows=read_rows("id,text\nT1,Client: hello.\n", "csv"), fmt="csv")
    rater = Rater.objects.create(name="rita", kind="human", user=user)
    assignments_create(rater=rater, targets=study.targets.all(), version=engagement)
    client.force_login(user)
    return client, Assignment.objects.get()


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_have_a_content_security_policy_without_inline_scripts_or_other_origins(rater_client):
    client, assignment = rater_client
    for url in ("/", f"/rate/{assignment.pk}/", "/manage/hdr/", "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _csp(response)
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert not [v for values in policy.values() for v in values if v.startswith(("http:", "https:", "*"))]


def test_pages_that_show_material_are_not_cached(rater_client, settings):
    settings.ANCHOR_REPORT_N_BOOT = 20
    client, assignment = rater_client
    for url in (f"/rate/{assignment.pk}/", "/api/v1/studies/hdr/targets/", "/manage/hdr/",
                "/api/v1/studies/hdr/ratings/", "/studies/hdr/report/"):
        response = client.get(url)
        assert response.status_code in (200, 202), url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url


def test_the_api_docs_load_nothing_from_another_origin(client, db):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html), html
    script_url = re.search(r"""<script src="([^"]*script[^"]*)">""", html)[1].replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    # A CDN host, not the letters: the page's CSRF token and CSP nonce are random text.
    cdn = re.compile(r"//[\w.-]*cdn[\w.-]*\.[a-z]{2,}|cdn\.jsdelivr|unpkg\.com|cdnjs", re.IGNORECASE)
    assert not cdn.search(html) and not cdn.search(script.content.decode())
    for asset in re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html):
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
