"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

import os

from ratings.llm.threads import keep_openmp_from_spinning

# Before anything loads llama.cpp (and its libgomp, which reads the wait policy once): idle
# OpenMP threads sleep instead of spinning on cores a worker shares (ratings/llm/threads.py).
keep_openmp_from_spinning()

from celery import Celery  # noqa: E402

from config import fsbroker  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

fsbroker.install()  # filesystem:// is the development broker that fails loudly (config/fsbroker.py)

app = Celery("anchor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker's own duties (model check at start, heartbeat, leases): ratings/worker.py.
import ratings.worker  # noqa: E402,F401 - connects Celery's worker signals
