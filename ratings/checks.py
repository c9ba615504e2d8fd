"""System checks: a deployment must set its own encryption key for material at rest."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def encryption_key_configured(app_configs, **kwargs):
    if any(k.strip() for k in getattr(settings, "ANCHOR_ENCRYPTION_KEYS", [])):
        return []
    return [Error("ANCHOR_ENCRYPTION_KEYS is not set: target texts are encrypted with a key derived from "
                  "SECRET_KEY", hint="set ANCHOR_ENCRYPTION_KEYS to a Fernet key (README, Security)",
                  id="anchor.E001")]


@register(Tags.security, deploy=True)
def shared_cache_configured(app_configs, **kwargs):
    """The sign-in throttle counts failures in the cache: a per-process cache gives each gunicorn
    worker its own counts, reset whenever a worker recycles."""
    if not getattr(settings, "ANCHOR_PRODUCTION", False):
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.rsplit(".", 2)[-2] in ("locmem", "dummy"):
        return [Error(f"the default cache is {backend}: every web process counts failed sign-ins on its own",
                      hint="set ANCHOR_CACHE_URL=redis://127.0.0.1:6379/2 (deploy/anchor.env.example)",
                      id="anchor.E002")]
    return []


@register(Tags.security, deploy=True)
def no_demo_password_signs_in(app_configs, **kwargs):
    """A demo account whose public password still works (``setup_demo`` before production)."""
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError

    from ratings.services.demo import DEMO_ACCOUNTS

    users = get_user_model().objects
    try:
        found = {u.username: u for u in users.filter(username__in=[name for name, _ in DEMO_ACCOUNTS])}
    except DatabaseError:  # not migrated yet (no accounts at all) or not reachable: nothing to check here
        return []
    working = [name for name, password in DEMO_ACCOUNTS
               if name in found and found[name].is_active and found[name].check_password(password)]
    if not working:
        return []
    return [Error(f"demo account(s) {', '.join(working)} still sign in with the published demo password",
                  hint="delete them or set a new password: manage.py changepassword NAME", id="anchor.E003")]
