"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

from config import fsbroker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

fsbroker.install()  # filesystem:// is the development broker that fails loudly (config/fsbroker.py)

app = Celery("anchor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker's own duties (model check at start, heartbeat, leases): ratings/worker.py.
import ratings.worker  # noqa: E402,F401 - connects Celery's worker signals
