"""The project's Celery app with a slow fake model, for fault tests where the model is not the
point (the deployment and scale-out tests use the bundled model): each target takes
``SECONDS_PER_TARGET``, long enough to kill or cut off a worker in the middle of one.

    celery -A tests.deploy.fake_model_worker worker -Q llm ...
"""

import time

import django

from config.celery import app

django.setup()

import ratings.llm_settings  # noqa: E402 - models need the app registry
from tests.ratings.fake_llm import FakeBackend  # noqa: E402

SECONDS_PER_TARGET = 2.0


class SlowFakeBackend(FakeBackend):
    def rate(self, request, *, progress=None):
        time.sleep(SECONDS_PER_TARGET)
        return super().rate(request, progress=progress)


ratings.llm_settings.backend_for_rater = lambda rater: SlowFakeBackend()

__all__ = ["app"]
