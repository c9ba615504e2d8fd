"""Every URL of the project, walked from the URLconf: who may reach it.

A new route fails ``test_every_route_is_classified`` until it is added to ``ROUTES``, so no
endpoint escapes these checks: unauthenticated access is refused, another user's object answers
404 exactly like a missing one (IDOR), and every POST from a browser session needs the CSRF token.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ratings.models import Rater
from ratings.services import assignments_create, study_get_or_create, study_use_instrument, targets_import
from ratings.services.roles import user_grant_role
from ratings.services.scoring import llm_rater_get_or_create, scoring_job_start
from ratings.tabular import read_rows
from reports.services import report_options, report_run_get_or_start

PUBLIC, PAGE, API, ADMIN = "public", "page", "api", "admin"
SECRET_SLUG, SECRET_TEXT = "alices-secret", "ALICE-SECRET-TRANSCRIPT"

# Route (as the URLconf spells it) -> (access, the owner's GET status).
# Admin routes are all ADMIN (staff only, administrators see everything there) and not listed.
ROUTES = {
    "": (PUBLIC, 200),
    "accounts/login/": (PUBLIC, 200),
    "accounts/logout/": (PUBLIC, 405),  # POST only
    "accounts/password_change/": (PAGE, 200),
    "api/schema/": (PUBLIC, 200),  # the API's shape, no data
    "api/docs/": (PUBLIC, 200),
    "api/v1/instruments/": (API, 200),
    "api/v1/instruments/<str:reference>/": (API, 200),  # instruments are shared by every study
    "api/v1/studies/": (API, 200),
    "api/v1/studies/<slug:slug>/": (API, 200),
    "api/v1/studies/<slug:slug>/targets/": (API, 200),
    "api/v1/studies/<slug:slug>/ratings/": (API, 200),
    "api/v1/studies/<slug:slug>/codes/": (API, 200),
    "api/v1/studies/<slug:slug>/segments/": (API, 405),  # POST only
    "api/v1/studies/<slug:slug>/report/": (API, 200),
    "api/v1/studies/<slug:slug>/literature/": (API, 200),
    "api/v1/studies/<slug:slug>/robustness-runs/": (API, 405),  # POST only
    "api/v1/studies/<slug:slug>/scoring-jobs/": (API, 200),
    "api/v1/studies/<slug:slug>/sampling-plans/": (API, 200),
    "api/v1/report-runs/<int:run_id>/": (API, 200),
    "api/v1/studies/<slug:slug>/scale-development/": (API, 405),  # POST only
    "manage/<slug:slug>/scale-development/": (PAGE, 200),
    "api/v1/batches/": (API, 405),
    "api/v1/jobs/<int:job_id>/": (API, 200),
    "api/v1/jobs/<int:job_id>/results/": (API, 200),
    "api/v1/jobs/<int:job_id>/artefacts/": (API, 200),  # the novelty pipeline's stage outputs
    "api/v1/jobs/<int:job_id>/cancel/": (API, 405),
    "jobs/<int:job_id>/": (PAGE, 200),
    "jobs/<int:job_id>/cancel/": (PAGE, 405),  # POST only
    "rate/": (PAGE, 200),
    "manage/": (PAGE, 200),
    "manage/<slug:slug>/": (PAGE, 200),
    "manage/<slug:slug>/sampling/": (PAGE, 200),
    "manage/<slug:slug>/ratings/": (PAGE, 200),
    "manage/<slug:slug>/ratings/<int:rating_id>/reopen/": (PAGE, 405),  # POST only
    "rate/<int:assignment_id>/": (PAGE, 200),
    "rate/<int:assignment_id>/draft/": (PAGE, 405),
    "studies/<slug:slug>/report/": (PAGE, 200),
    "studies/<slug:slug>/report/tables.zip": (PAGE, 200),
    "audit/": (PAGE, 403),  # administrators only
    "audit/export/": (PAGE, 403),
}
OBJECT_KWARGS = {"slug", "job_id", "assignment_id", "run_id"}  # owned by someone: another user gets 404


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


ALL_ROUTES = sorted(set(_walk(get_resolver().url_patterns)))
APP_ROUTES = [r for r in ALL_ROUTES if not r.startswith("admin/")]
ADMIN_ROUTES = [r for r in ALL_ROUTES if r.startswith("admin/")]


def _kwargs(route: str) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))


def _url(route: str, values: dict) -> str:
    if "(?P<app_label>" in route:
        return "/admin/ratings/"
    if "(?P<url>" in route:
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), route)


@pytest.fixture
def world(db, django_user_model, engagement, django_capture_on_commit_callbacks):
    """Alice manages a study; Carol rates in it; Bob manages his own study and rates in it."""
    users = {name: django_user_model.objects.create_user(username=name, password="pw")
             for name in ("alice", "bob", "carol")}
    user_grant_role(user=users["alice"], role="study-managers")
    user_grant_role(user=users["bob"], role="study-managers")
    studies = {}
    for owner, slug, text in (("alice", SECRET_SLUG, SECRET_TEXT), ("bob", "bobs", "Client: fine.")):
        study, _ = study_get_or_create(slug=slug, title=slug, created_by=users[owner])
        study_use_instrument(study=study, version=engagement)
        targets_import(study=study, rows=read_rows(f"id,text\nT1,{text}\n", "csv"), fmt="csv")
        studies[owner] = study
    carol = Rater.objects.create(name="carol", kind=Rater.Kind.HUMAN, user=users["carol"])
    bobr = Rater.objects.create(name="bob", kind=Rater.Kind.HUMAN, user=users["bob"])
    assignments_create(rater=carol, targets=studies["alice"].targets.all(), version=engagement)
    assignments_create(rater=bobr, targets=studies["bob"].targets.all(), version=engagement)
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=studies["alice"], version=engagement,
                                rater=llm_rater_get_or_create(name="llm-test"), created_by=users["alice"])
    run = report_run_get_or_start(study=studies["alice"], version=engagement, options=report_options(),
                                  created_by=users["alice"])
    values = {"slug": SECRET_SLUG, "job_id": job.pk, "run_id": run.pk, "assignment_id": carol.assignments.get().pk,
              "reference": "therapy-engagement", "object_id": 1, "rating_id": 1, "content_type_id": 1, "id": 1}
    return users, values


def _client(user=None, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def _owner(users, route):
    return users["carol"] if route.startswith("rate/<") else users["alice"]


def test_every_route_is_classified():
    unclassified = [r for r in APP_ROUTES if r not in ROUTES]
    assert not unclassified, f"classify these routes in ROUTES: {unclassified}"
    assert not [r for r in ROUTES if r not in APP_ROUTES], "ROUTES names routes that no longer exist"
    assert len(ADMIN_ROUTES) > 50  # the admin is walked as well


@pytest.mark.parametrize("route", [r for r in APP_ROUTES if ROUTES.get(r, (PUBLIC,))[0] != PUBLIC])
def test_unauthenticated_access_is_refused(world, route):
    users, values = world
    url, access = _url(route, values), ROUTES[route][0]
    for method in ("get", "post"):
        response = getattr(_client(), method)(url)
        if access == API:
            assert response.status_code in (401, 403), (method, url, response.status_code)
        else:
            assert response.status_code == 302 and response.url.startswith("/accounts/login/"), (method, url)
        assert SECRET_TEXT not in response.content.decode()


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_the_admin_is_for_administrators_only(world, route):
    users, values = world
    url = _url(route, values)
    if route in ("admin/login/", "admin/logout/"):
        return  # signing in and out; the CSRF test covers their POSTs
    for client in (_client(), _client(users["alice"])):  # anonymous, and a study manager
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), (url, response.status_code)


@pytest.mark.parametrize("route", [r for r in APP_ROUTES if _kwargs(r) & OBJECT_KWARGS])
def test_another_users_object_is_404(world, route):
    users, values = world
    url = _url(route, values)
    missing = _url(route, {**values, "slug": "no-such-study", "job_id": 999999, "assignment_id": 999999,
                                   "run_id": 999999})
    bob, statuses = _client(users["bob"]), set()
    for method in ("get", "post"):
        response, absent = getattr(bob, method)(url), getattr(bob, method)(missing)
        # 405 for a method the route does not serve, the same for a missing object: nothing revealed
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert (response.status_code, response.content) == (absent.status_code, absent.content)
        assert SECRET_TEXT not in response.content.decode() and SECRET_SLUG not in response.content.decode()
        statuses.add(response.status_code)
    assert 404 in statuses
    owner = _owner(users, route)
    assert _client(owner).get(url).status_code == ROUTES[route][1], url  # the owner does reach it


@pytest.mark.parametrize("route", [r for r in APP_ROUTES if not _kwargs(r) & OBJECT_KWARGS])
def test_lists_never_show_another_users_objects(world, route):
    users, values = world
    response = _client(users["bob"]).get(_url(route, values))
    assert response.status_code in (200, 403, 405), (route, response.status_code)
    assert SECRET_TEXT not in response.content.decode() and SECRET_SLUG not in response.content.decode()
    assert _client(users["alice"]).get(_url(route, values)).status_code in (ROUTES[route][1], 403)


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_a_browser_post_needs_the_csrf_token(world, route, django_user_model):
    users, values = world
    admin = django_user_model.objects.create_superuser(username="root", password="pw")
    user = admin if route.startswith("admin/") else _owner(users, route)
    response = _client(user, csrf=True).post(_url(route, values), {"action": "upload"})
    assert response.status_code == 403, (route, response.status_code)
