"""``ANCHOR_PRODUCTION=1``: the settings that ``manage.py check --deploy`` asks for, and refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "ANCHOR_PRODUCTION": "1",
    "SECRET_KEY": "kY3v9-7qT2xLr0Zb_eWm5JH1sNcD8uFgA4oPiV6yRtQjX2nMzKdEwS0hUlCa",
    "ALLOWED_HOSTS": "anchor.example.org",
    "DATABASE_URL": "postgres://anchor@127.0.0.1:5432/anchor",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    # A Fernet key, for the encryption of material at rest where the code reads it.
    "ANCHOR_ENCRYPTION_KEYS": "pS0P2lRFPl7NOjgDqFSlgxQn0aOGYF9uDwI1xPEzqqA=",
    # The sign-in throttle's counts, shared by every web process (nothing connects during the check).
    "ANCHOR_CACHE_URL": "redis://127.0.0.1:6379/9",
}


def manage(tmp_path, extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "SECRET_KEY",
                                                     "DJANGO_ALLOW_ASYNC_UNSAFE"}}  # set by the browser tests
    env.update(ANCHOR_VAR_DIR=str(tmp_path / "var"), **extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_deploy_is_clean_under_the_production_environment(tmp_path):
    result = manage(tmp_path, PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_the_production_switch_check_deploy_names_what_is_missing(tmp_path):
    extra = {k: v for k, v in PRODUCTION.items() if k != "ANCHOR_PRODUCTION"}
    result = manage(tmp_path, extra, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_the_production_settings_say_what_the_check_cannot_see(tmp_path):
    code = ("from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, "
            "s.STORAGES['staticfiles']['BACKEND'], "
            "s.MIDDLEWARE[s.MIDDLEWARE.index('django.middleware.security.SecurityMiddleware') + 1], "
            "s.CELERY_BROKER_TRANSPORT_OPTIONS)")
    result = manage(tmp_path, PRODUCTION | {"ANCHOR_BROKER_VISIBILITY_TIMEOUT": "7200"}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "('HTTP_X_FORWARDED_PROTO',", "'https')", "31536000", "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "whitenoise.middleware.WhiteNoiseMiddleware", "{'visibility_timeout':", "7200,",
        "'unacked_restore_interval':", "10,", "'unacked_restore_throttle':", "1}"]


@pytest.mark.parametrize("extra, message", [
    pytest.param({"DEBUG": "1"}, "turn DEBUG off", id="debug-on"),
    pytest.param({"SECRET_KEY": ""}, "set SECRET_KEY", id="development-key"),
    pytest.param({"SECRET_KEY": "change-me-to-a-long-random-string"}, "set SECRET_KEY", id="example-placeholder"),
])
def test_production_refuses_to_start_with_debug_or_the_development_key(tmp_path, extra, message):
    env = PRODUCTION | extra
    if not env["SECRET_KEY"]:
        del env["SECRET_KEY"]
    result = manage(tmp_path, env, "check")
    assert result.returncode != 0
    assert f"ImproperlyConfigured: ANCHOR_PRODUCTION is set: {message}" in result.stderr


def test_check_deploy_fails_without_a_shared_cache(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "ANCHOR_CACHE_URL"}
    result = manage(tmp_path, env, "check", "--deploy")
    assert result.returncode != 0
    assert "anchor.E002" in result.stderr and "counts failed sign-ins on its own" in result.stderr


def test_production_refuses_the_demo_accounts_and_check_deploy_fails_while_one_signs_in(tmp_path):
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path / 'anchor.sqlite3'}"}
    assert manage(tmp_path, sqlite, "migrate", "--noinput").returncode == 0
    result = manage(tmp_path, PRODUCTION | sqlite, "setup_demo")
    assert result.returncode == 0, result.stderr
    assert "no demo accounts: ANCHOR_PRODUCTION is set" in result.stdout and "anchor-admin" not in result.stdout
    code = "from django.contrib.auth.models import User; print(User.objects.count())"
    assert manage(tmp_path, PRODUCTION | sqlite, "shell", "-c", code).stdout.split()[-1] == "0"
    assert manage(tmp_path, PRODUCTION | sqlite, "check", "--deploy").returncode == 0
    # The demo made before production (make run, then the switch): check --deploy names the accounts.
    dev = sqlite | {"ANCHOR_ENCRYPTION_KEYS": PRODUCTION["ANCHOR_ENCRYPTION_KEYS"]}  # reads the same texts
    assert manage(tmp_path, dev, "setup_demo").returncode == 0
    result = manage(tmp_path, PRODUCTION | sqlite, "check", "--deploy")
    assert result.returncode != 0
    assert "anchor.E003" in result.stderr and "admin, rater" in result.stderr
    code = ("from django.contrib.auth.models import User; u = User.objects.get(username='admin'); "
            "u.set_password('a-new-long-password-42'); u.save(); User.objects.filter(username='rater').delete()")
    assert manage(tmp_path, dev, "shell", "-c", code).returncode == 0
    assert manage(tmp_path, PRODUCTION | sqlite, "check", "--deploy").returncode == 0
