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


URLS = ["/accounts/login/", "/admin/login/"]


@pytest.mark.parametrize("url", URLS)
def test_the_attempt_after_n_failures_is_refused_even_with_the_right_password(db, client, settings,
                                                                               django_user_model, url):
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_superuser(username="root", password="violet-harbour-42", email="")
    django_user_model.objects.create_superuser(username="other", password="violet-harbour-42", email="")
    for n in range(3):
        assert client.post(url, {"username": "root", "password": "wrong"},
                           REMOTE_ADDR=f"10.0.0.{n}").status_code in (200, 429)
    refused = client.post(url, {"username": "root", "password": "violet-harbour-42"}, REMOTE_ADDR="10.0.1.1")
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert client.post(url, {"username": "ROOT ", "password": "violet-harbour-42"},
                       REMOTE_ADDR="10.0.1.2").status_code == 429
    assert client.post(url, {"username": "other", "password": "violet-harbour-42"},
                       REMOTE_ADDR="10.0.1.3").status_code == 302
    cache.clear()  # the lockout window has passed
    assert client.post(url, {"username": "root", "password": "violet-harbour-42"}).status_code == 302


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("variant", [
    pytest.param("ｍｇｒｂ", id="fullwidth"),
    pytest.param("𝐦𝐠𝐫𝐛", id="mathematical-bold"),
    pytest.param("MGRB", id="upper-case"),
])
def test_look_alike_names_share_the_count_of_the_name_django_signs_in(db, client, settings, django_user_model,
                                                                       url, variant):
    """Django signs ``ｍｇｒｂ`` in as ``mgrb`` (NFKC): after the failures for ``mgrb`` the variant
    with the right password is refused too, from another address."""
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    django_user_model.objects.create_superuser(username="mgrb", password="violet-harbour-42", email="")
    for n in range(3):
        client.post(url, {"username": "mgrb", "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{n}")
    refused = client.post(url, {"username": variant, "password": "violet-harbour-42"}, REMOTE_ADDR="10.0.2.1")
    assert refused.status_code == 429 and "_auth_user_id" not in client.session


def test_one_address_is_limited_across_user_names(db, client, settings):
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    for n in range(3):
        client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}, REMOTE_ADDR="10.0.0.9")
    assert client.post("/accounts/login/", {"username": "u9", "password": "x"},
                       REMOTE_ADDR="10.0.0.9").status_code == 429
    assert client.post("/accounts/login/", {"username": "u9", "password": "x"},
                       REMOTE_ADDR="10.0.0.10").status_code == 200


def test_behind_the_proxy_each_client_is_counted_by_its_own_address(db, client, settings, django_user_model):
    """``REMOTE_ADDR`` is the proxy for every client: failures of many clients (spread over names)
    lock out none of the others; the address nginx appends to X-Forwarded-For is the client's."""
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    settings.ANCHOR_TRUSTED_PROXIES = ["127.0.0.1"]
    django_user_model.objects.create_user(username="rita", password="violet-harbour-42")
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(30):
        client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}, **via_proxy,
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    ok = client.post("/accounts/login/", {"username": "rita", "password": "violet-harbour-42"}, **via_proxy,
                     HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert ok.status_code == 302
    client.logout()
    # One client behind the proxy is limited by its own address, whatever it writes in front of it.
    for n in range(3):
        client.post("/accounts/login/", {"username": f"v{n}", "password": "x"}, **via_proxy,
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.66")
    assert client.post("/accounts/login/", {"username": "v9", "password": "x"}, **via_proxy,
                       HTTP_X_FORWARDED_FOR="192.0.2.200, 198.51.100.66").status_code == 429


def test_a_forwarded_address_from_an_untrusted_sender_is_ignored(db, client, settings):
    settings.ANCHOR_LOGIN_MAX_FAILURES = 3
    settings.ANCHOR_TRUSTED_PROXIES = ["127.0.0.1"]
    for n in range(3):
        client.post("/accounts/login/", {"username": f"u{n}", "password": "x"}, REMOTE_ADDR="198.51.100.9",
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert client.post("/accounts/login/", {"username": "u8", "password": "x"}, REMOTE_ADDR="198.51.100.9",
                       HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


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
