"""Settings for Anchor, read from the environment with embedded defaults.

The defaults run everything on one machine with no server to install: SQLite and a
filesystem Celery broker under ``var/``. Production sets ``DATABASE_URL`` (PostgreSQL),
``CELERY_BROKER_URL`` (Redis), ``SECRET_KEY``, ``ALLOWED_HOSTS`` and leaves ``DEBUG`` off.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

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
    # Swagger UI's files from the package, so /api/docs/ loads nothing from another origin.
    "drf_spectacular_sidecar",
    "csp",
    "django_htmx",
    "instruments",
    "ratings",
    "reports",
    "novelty",
    "scaledev",
    "audit",
    # Sign-in throttling (common/sign_in.py).
    "axes",
]

MIDDLEWARE = [
    "common.upload_limit.UploadSizeLimitMiddleware",
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
    # Content-Security-Policy (below), and no caching of pages that may show material.
    "csp.middleware.CSPMiddleware",
    "config.middleware.PrivateResponsesMiddleware",
    # A lost database connection answers 503 with a sentence, not a bare 500.
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into a 429.
    "axes.middleware.AxesMiddleware",
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
# browser closes. Sign-in attempts are throttled by django-axes (common/sign_in.py).
SESSION_COOKIE_AGE = env.int("ANCHOR_SESSION_SECONDS", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("ANCHOR_SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
ANCHOR_LOGIN_MAX_FAILURES = env.int("ANCHOR_LOGIN_MAX_FAILURES", default=5)
ANCHOR_LOGIN_LOCKOUT_SECONDS = env.int("ANCHOR_LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# Addresses (or networks) of the reverse proxies whose X-Forwarded-For and X-Request-ID are
# believed; gunicorn listens on loopback, so nginx on the same host is 127.0.0.1.
ANCHOR_TRUSTED_PROXIES = env.list("ANCHOR_TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
AUTHENTICATION_BACKENDS = ["common.sign_in.ThrottledSignInBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "common.sign_in.failure_limit"
AXES_COOLOFF_TIME = "common.sign_in.cool_off"
AXES_USERNAME_CALLABLE = "common.sign_in.axes_username"
AXES_CLIENT_IP_CALLABLE = "common.sign_in.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "common.sign_in.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]
# axes warns about a per-process cache; on a laptop that is fine, and in production
# `check --deploy` refuses it (anchor.E002).
SILENCED_SYSTEM_CHECKS = ["axes.W001"]
# The throttle's counts live in the cache: per process by default (a laptop); production must
# share them between web processes through Redis (ANCHOR_CACHE_URL=redis://HOST:6379/2), and
# `check --deploy` fails without it.
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
    "DEFAULT_PAGINATION_CLASS": "common.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_PARSER_CLASSES": ["common.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api_errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Anchor API",
    "DESCRIPTION": ("Human-anchored evaluation instruments: instruments, studies, targets, ratings and "
                    "batch scoring by the local LLM. Authenticate with `Authorization: Token KEY`."),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.schema.add_error_responses"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# Content-Security-Policy (django-csp): scripts only from Anchor's own files or with the
# request's nonce, nothing from another origin, no plugins, no framing. Styles may be inline:
# the report's matplotlib SVGs carry style attributes and <style> elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Material at rest: comma-separated Fernet keys, the first encrypts, all decrypt (ratings/encryption.py).
# Unset: a key derived from SECRET_KEY, and `check --deploy` reports an error.
ANCHOR_ENCRYPTION_KEYS = env.list("ANCHOR_ENCRYPTION_KEYS", default=[])

# Bulk uploads carry up to 100,000 rows in one request body, and only the upload endpoints take
# such a body; every other request takes Django's 2.5 MB (common/upload_limit.py).
ANCHOR_MAX_UPLOAD_BYTES = env.int("ANCHOR_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ANCHOR_MAX_REQUEST_BYTES", default=2_621_440)

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
    # many seconds have passed. The database owns the work (a task's lease, the reconciler), so
    # this can be short: a slow task delivered twice finds its lease held and does nothing.
    # Each worker looks for such tasks every 10 s (kombu's default looks every 100 s).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("ANCHOR_BROKER_VISIBILITY_TIMEOUT", default=300),
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

# Scoring jobs (ratings/services/jobs.py, reconciler.py). A worker holds a lease on the target it
# scores and renews it every third of the lease; a lease that runs out (the worker died) sends
# the target back to the queue, after ANCHOR_TASK_MAX_ATTEMPTS lost attempts it fails with the
# reason. The reconciler runs every ANCHOR_RECONCILE_SECONDS (Celery beat; make run's loop) and
# marks a job stalled when its waiting work has not moved for ANCHOR_STALL_AFTER_SECONDS.
ANCHOR_JOB_LEASE_SECONDS = env.int("ANCHOR_JOB_LEASE_SECONDS", default=60)
# A worker records how many items of its target it has read (the job page's "item 4 of 10") at
# most this often: one UPDATE of the task row, never one per token.
ANCHOR_JOB_PROGRESS_SECONDS = env.float("ANCHOR_JOB_PROGRESS_SECONDS", default=1.0)
ANCHOR_TASK_MAX_ATTEMPTS = env.int("ANCHOR_TASK_MAX_ATTEMPTS", default=3)
ANCHOR_RECONCILE_SECONDS = env.int("ANCHOR_RECONCILE_SECONDS", default=15)
ANCHOR_STALL_AFTER_SECONDS = env.int("ANCHOR_STALL_AFTER_SECONDS", default=60)
ANCHOR_WORKER_HEARTBEAT_SECONDS = env.int("ANCHOR_WORKER_HEARTBEAT_SECONDS", default=10)
# One target's time limits: past the soft limit the target fails with that reason; past the hard
# limit the worker process is replaced (prefork) or stops renewing its lease (solo pool).
ANCHOR_TASK_SOFT_TIME_LIMIT = env.int("ANCHOR_TASK_SOFT_TIME_LIMIT", default=1800)
ANCHOR_TASK_TIME_LIMIT = env.int("ANCHOR_TASK_TIME_LIMIT", default=1860)
CELERY_BEAT_SCHEDULE = {
    "reconcile-jobs": {"task": "ratings.reconcile_jobs", "schedule": float(ANCHOR_RECONCILE_SECONDS),
                       "options": {"queue": "default", "expires": float(ANCHOR_RECONCILE_SECONDS)}},
}
# A web request that hands work to a broker that is down gives up after about a second (the
# work waits in the database for the reconciler) instead of hanging the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3,
                                    "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# The local LLM. Weights always load from a local file; the default is the small bundled model.
ANCHOR_LLM_MODEL = env("ANCHOR_LLM_MODEL", default="")
# When set, a scoring worker refuses to start unless its model file has this SHA-256.
ANCHOR_LLM_MODEL_SHA256 = env("ANCHOR_LLM_MODEL_SHA256", default="")

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
# "auto": the cores free when the worker loads its model (ratings/llm/threads.py), or a number.
ANCHOR_LLM_THREADS = env("ANCHOR_LLM_THREADS", default="auto")
ANCHOR_LLM_MAX_RETRIES = env.int("ANCHOR_LLM_MAX_RETRIES", default=3)
# Novelty pipeline: where each study corpus's BM25 index is saved (default: VAR_DIR/novelty-index).
ANCHOR_NOVELTY_INDEX_DIR = env("ANCHOR_NOVELTY_INDEX_DIR", default="")

# Reports: bootstrap resamples, and the size (item scores) up to which a report is computed in
# the request; larger ones go to a Celery worker (default queue) and are cached until the ratings change.
ANCHOR_REPORT_N_BOOT = env.int("ANCHOR_REPORT_N_BOOT", default=1000)
ANCHOR_REPORT_INLINE_MAX_SCORES = env.int("ANCHOR_REPORT_INLINE_MAX_SCORES", default=5000)
