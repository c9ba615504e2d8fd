"""Settings for Anchor, read from the environment with embedded defaults.

The defaults run everything on one machine with no server to install: SQLite and a
filesystem Celery broker under ``var/``. Production sets ``DATABASE_URL`` (PostgreSQL),
``CELERY_BROKER_URL`` (Redis), ``SECRET_KEY``, ``ALLOWED_HOSTS`` and leaves ``DEBUG`` off.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

VAR_DIR = Path(env("ANCHOR_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The fallback key only exists so a fresh checkout runs; every deployment sets SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="anchor-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "instruments",
    "ratings",
    "reports",
    "novelty",
    "scaledev",
    "audit",
]

MIDDLEWARE = [
    "config.upload_limit.UploadSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An invited rater replaces the one-time password before any other page (ratings/accounts.py).
    "ratings.accounts.PasswordChangeRequiredMiddleware",
    # request.htmx for the pages' small progressive enhancements (target search, job progress).
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A lost database connection answers 503 with a sentence, not a bare 500.
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",  # Studies / Audit links in the header
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'anchor.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A web process and a worker write concurrently; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    # Take the write lock when a transaction begins: a deferred transaction that reads and then
    # writes cannot wait for the lock and fails at once with "database is locked" (seen with
    # concurrent API batch submissions).
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after ANCHOR_SESSION_SECONDS (default 8 hours) and, unless turned off, when the
# browser closes. Sign-in attempts are limited (config/login_limit.py).
SESSION_COOKIE_AGE = env.int("ANCHOR_SESSION_SECONDS", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("ANCHOR_SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
ANCHOR_LOGIN_MAX_FAILURES = env.int("ANCHOR_LOGIN_MAX_FAILURES", default=5)
ANCHOR_LOGIN_LOCKOUT_SECONDS = env.int("ANCHOR_LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# The login limiter's counts live in the cache: per process by default, shared through Redis
# (ANCHOR_CACHE_URL=redis://HOST:6379/1) when several web processes serve.
_CACHE_URL = env("ANCHOR_CACHE_URL", default="")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
          if _CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))

# Production behind nginx's TLS (deploy/README.md): secure cookies, HSTS, HTTPS redirects, and
# static files from STATIC_ROOT served by WhiteNoise inside gunicorn.
ANCHOR_PRODUCTION = env.bool("ANCHOR_PRODUCTION", default=False)
if ANCHOR_PRODUCTION:
    from config.production import production_settings

    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")

    globals().update(production_settings(env, debug=DEBUG, secret_key=SECRET_KEY))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "ratings:queue"
LOGOUT_REDIRECT_URL = "home"

REST_FRAMEWORK = {
    # Token first: an unauthenticated request gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_PARSER_CLASSES": ["config.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Anchor API",
    "DESCRIPTION": ("Human-anchored evaluation instruments: instruments, studies, targets, ratings and "
                    "batch scoring by the local LLM. Authenticate with `Authorization: Token KEY`."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Material at rest: comma-separated Fernet keys, the first encrypts, all decrypt (ratings/encryption.py).
# Unset: a key derived from SECRET_KEY, and `check --deploy` reports an error.
ANCHOR_ENCRYPTION_KEYS = env.list("ANCHOR_ENCRYPTION_KEYS", default=[])

# Bulk uploads carry up to 100,000 rows in one request body.
ANCHOR_MAX_UPLOAD_BYTES = env.int("ANCHOR_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = ANCHOR_MAX_UPLOAD_BYTES  # every body, any format: config/upload_limit.py

# Celery. The default broker is kombu's filesystem transport, so a laptop needs no server;
# production points CELERY_BROKER_URL at Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task taken by a worker that dies (kill -9, power loss) goes back to the queue once this
    # many seconds have passed; keep it longer than the longest task (a long transcript on a big
    # model), or a slow task is delivered twice (harmless, tasks are idempotent, but wasted work).
    # Each worker looks for such tasks every 10 s (kombu's default looks every 100 s).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("ANCHOR_BROKER_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": 10, "unacked_restore_throttle": 1}
# Wait for the broker at start and after it restarts, without giving up.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'results'}")
if CELERY_RESULT_BACKEND.startswith("file://"):
    (VAR_DIR / "results").mkdir(parents=True, exist_ok=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Scoring goes to its own queue, so machines with a model can serve it and others not.
CELERY_TASK_ROUTES = {"ratings.score_target": {"queue": "llm"}}

# The local LLM. Weights always load from a local file; the default is the small bundled model.
ANCHOR_LLM_MODEL = env("ANCHOR_LLM_MODEL", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
# "llama_cpp" runs the model in each worker process; "http" asks an OpenAI-compatible server on
# the local network (a llama.cpp server or vLLM) at ANCHOR_LLM_BASE_URL.
ANCHOR_LLM_BACKEND = env("ANCHOR_LLM_BACKEND", default="llama_cpp")
ANCHOR_LLM_BASE_URL = env("ANCHOR_LLM_BASE_URL", default="")
ANCHOR_LLM_N_CTX = env.int("ANCHOR_LLM_N_CTX", default=4096)
ANCHOR_LLM_THREADS = env.int("ANCHOR_LLM_THREADS", default=2)
ANCHOR_LLM_MAX_RETRIES = env.int("ANCHOR_LLM_MAX_RETRIES", default=3)

# Reports: bootstrap resamples, and the size (item scores) up to which a report is computed in
# the request; larger ones go to a Celery worker (default queue) and are cached until the ratings change.
ANCHOR_REPORT_N_BOOT = env.int("ANCHOR_REPORT_N_BOOT", default=1000)
ANCHOR_REPORT_INLINE_MAX_SCORES = env.int("ANCHOR_REPORT_INLINE_MAX_SCORES", default=5000)
