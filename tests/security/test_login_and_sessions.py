"""Password policy, login rate limiting and session expiry."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError

from ratings.services.raters import rater_invite


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(("password", "ok"), [
    pytest.param("short-pw-1", False, id="under-12"),
    pytest.param("password1234", False, id="common"),
    pytest.param("830291746152", False, id="numeric"),
    pytest.param("violet-harbour-42", True, id="long-enough"),
])
def test_password_policy(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_an_invited_raters_one_time_password_meets_the_policy(db):
    rater, password = rater_invite(name="rita")
    validate_password(password, user=rater.user)
    assert len(password) >= 12


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_attempt_after_n_failures_is_refused_even_with_the_right_password(db, client, settings,
                                                                               django_user_model, url):
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_superuser(username="root", password="violet-harbour-42", email="")
    django_user_model.objects.create_superuser(username="other", password="violet-harbour-42", email="")
    for _ in range(3):
        assert client.post(url, {"username": "root", "password": "wrong"}).status_code == 200
    refused = client.post(url, {"username": "root", "password": "violet-harbour-42"})
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert client.post(url, {"username": "ROOT ", "password": "violet-harbour-42"}).status_code == 429
    assert client.post(url, {"username": "other", "password": "violet-harbour-42"}).status_code == 302
    cache.clear()  # the lockout window has passed
    assert client.post(url, {"username": "root", "password": "violet-harbour-42"}).status_code == 302


def test_one_address_is_limited_across_user_names(db, client, settings):
    settings.ANCHOR_LOGIN_MAX_FAILURES = 2
    for n in range(8):  # four times the per-name limit, spread over names
        assert client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "u9", "password": "x"}).status_code == 429


def test_a_success_clears_the_count(db, client, settings, django_user_model):
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_user(username="rita", password="violet-harbour-42")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "rita", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "rita", "password": "violet-harbour-42"}).status_code == 302
    client.logout()
    for _ in range(2):
        assert client.post("/accounts/login/", {"username": "rita", "password": "wrong"}).status_code == 200


def test_sessions_expire(db, client, settings, django_user_model):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    django_user_model.objects.create_user(username="rita", password="violet-harbour-42")
    response = client.post("/accounts/login/", {"username": "rita", "password": "violet-harbour-42"})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = False
    response = client.post("/accounts/login/", {"username": "rita", "password": "violet-harbour-42"})
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 8 * 3600
