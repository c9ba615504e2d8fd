"""The settings that ``ANCHOR_PRODUCTION=1`` adds: Anchor behind nginx terminating TLS.

``config/settings.py`` merges what :func:`production_settings` returns. With these,
``manage.py check --deploy`` is clean (a test asserts it). See deploy/README.md.
"""

import environ
from django.core.exceptions import ImproperlyConfigured

# The development default and the placeholder of deploy/anchor.env.example.
UNSET_KEY_PREFIXES = ("anchor-insecure-", "change-me")
ONE_YEAR = 365 * 24 * 3600


def production_settings(env: environ.Env, *, debug: bool, secret_key: str) -> dict:
    """The production settings, after refusing the two mistakes that would leak data:
    ``DEBUG`` on (tracebacks with transcripts in them) and the development ``SECRET_KEY``
    (forgeable sessions)."""
    if debug:
        raise ImproperlyConfigured("ANCHOR_PRODUCTION is set: turn DEBUG off")
    if secret_key.startswith(UNSET_KEY_PREFIXES):
        raise ImproperlyConfigured("ANCHOR_PRODUCTION is set: set SECRET_KEY (e.g. python -c "
                                   "'import secrets; print(secrets.token_urlsafe(50))')")
    return {
        # nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx/anchor.conf);
        # gunicorn listens on loopback only, so nobody else can send that header.
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": env.int("ANCHOR_HSTS_SECONDS", default=ONE_YEAR),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        # Preloading is the domain owner's promise to browser vendors, not the software's:
        # the header omits it, and the check that asks for it is silenced.
        "SECURE_HSTS_PRELOAD": False,
        "SILENCED_SYSTEM_CHECKS": ["security.W021"],
        # Hashed, compressed copies made by collectstatic; WhiteNoise serves them with
        # far-future cache headers.
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    }
