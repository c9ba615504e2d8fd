"""With CELERY_BROKER_URL pointing at Redis, the worker takes its tasks from Redis."""

import os
import subprocess

import pytest
import redis
from celery import Celery

from .conftest import PYTHON, REPO

pytestmark = pytest.mark.slow
# make test starts a Redis of its own and names it here (scripts/test_services.py).
REDIS_URL = os.environ.get("ANCHOR_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/") + "/14"


def test_worker_on_a_redis_broker_answers_a_task(isolated_env):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = isolated_env | {"CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL}
    worker = subprocess.Popen(
        [str(PYTHON), "-m", "celery", "-A", "config", "worker", "--concurrency=1", "-Q", "default",
         "-n", "redis-test@%h", "--without-gossip", "--without-mingle"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        app = Celery(broker=REDIS_URL, backend=REDIS_URL)
        result = app.send_task("anchor.ping", queue="default")
        assert result.get(timeout=120) == "pong"
    finally:
        worker.terminate()
        output = worker.communicate(timeout=60)[0]
    assert REDIS_URL in output
    client.flushdb()
