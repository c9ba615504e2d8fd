"""The production stack on loopback, started the way deploy/ starts it: gunicorn serving the WSGI
app with ANCHOR_PRODUCTION settings, a Celery worker on the llm queue with the bundled model,
Redis, and a fresh PostgreSQL database. Requests arrive as nginx forwards them (HTTPS said in
X-Forwarded-Proto); the REST API is used with token auth."""

import json
import re
import signal
import threading
import time

import psycopg
import pytest

from .stack import (base_env, free_port, fresh_database, gunicorn_command, http, manage, private_redis, query,
                    start, stop, wait_for, wait_for_port, worker_command)

pytestmark = pytest.mark.slow

ITEMS = [
    {"id": "s1", "text": "Therapist: How was the week?\nClient: I did the exercises and I want to keep going."},
    {"id": "s2", "text": "Therapist: Did you try the diary?\nClient: No. I don't see the point of any of this."},
]


@pytest.fixture(scope="module")
def stack(pg_template, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stack")
    with fresh_database(pg_template) as db_url, private_redis(tmp / "redis") as (redis_url, _):
        env = base_env(tmp / "var", DATABASE_URL=db_url, CELERY_BROKER_URL=redis_url,
                       CELERY_RESULT_BACKEND=redis_url.replace("/0", "/1"))
        manage(env, "collectstatic", "--noinput", "-v", "0")
        manage(env, "shell", "-c", "from django.contrib.auth.models import User; "
                                   "User.objects.create_user('ops', password='ops-password-9f2c')")
        manage(env, "grant_role", "ops", "api-clients")  # batches create studies
        token = manage(env, "create_api_token", "ops").strip()
        port = free_port()
        web = start(gunicorn_command(port), env, tmp / "gunicorn.log")
        worker = start(worker_command("llm", "llm-1"), env, tmp / "worker.log")
        try:
            wait_for_port(port)
            yield {"base": f"http://127.0.0.1:{port}", "token": token, "db": db_url, "web": web, "worker": worker,
                   "tmp": tmp}
        finally:
            stop(worker, signal.SIGKILL)  # nothing left to finish; a warm stop would wait for a target
            stop(web)


def test_a_scoring_job_and_its_report_through_gunicorn_and_a_worker(stack):
    base, token = stack["base"], stack["token"]
    status, _, body = http(base, "POST", "/api/v1/batches/", token=token,
                           body={"instrument": "therapy-engagement", "items": ITEMS},
                           headers={"Idempotency-Key": "stack-1"})
    assert status == 202, body
    job = json.loads(body)

    def finished():
        answer = json.loads(http(base, "GET", job["url"], token=token)[2])
        return answer if answer["status"] in {"done", "failed", "cancelled"} else None
    final = wait_for(finished, 900, "the scoring job", interval=1, alive=[stack["web"], stack["worker"]])
    assert (final["status"], final["completed"], final["failed"]) == ("done", 2, 0)

    status, _, body = http(base, "GET", f"{job['url']}results/?page_size=100", token=token)
    results = json.loads(body)
    assert status == 200 and results["count"] == 2 * 10
    status, _, body = http(base, "GET", f"/api/v1/studies/{job['study']}/report/", token=token, timeout=300)
    assert status == 200, body[:500]
    report = json.loads(body)
    assert report["study"] == job["study"]
    assert "llm-" in body.decode()  # the LLM rater's section


def test_https_only_hsts_secure_cookies_and_static_files_without_django_dev_server(stack):
    base = stack["base"]
    status, headers, _ = http(base, "GET", "/accounts/login/", headers={"X-Forwarded-Proto": "http"})
    assert status == 301 and headers["Location"] == "https://anchor.test/accounts/login/"
    status, headers, page = http(base, "GET", "/accounts/login/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert re.search(r"csrftoken=[^;]+;.*Secure", headers["Set-Cookie"])
    # Hashed names from collectstatic, served by WhiteNoise with far-future caching.
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.decode())[1]
    status, headers, css = http(base, "GET", stylesheet)
    assert status == 200 and len(css) > 100
    assert "max-age=315360000" in headers["Cache-Control"] and "immutable" in headers["Cache-Control"]
    assert http(base, "GET", "/static/no-such-file.css")[0] == 404


def test_a_database_connection_dropped_mid_request_answers_503_and_stores_nothing(stack):
    """The batch request creates its study, then blocks on a lock this test holds on the targets
    table; its database backend is terminated there. The study it had inserted must be gone."""
    base, token, db_url = stack["base"], stack["token"], stack["db"]
    studies_before = query(db_url, "SELECT count(*) FROM ratings_study")
    answer = {}

    def submit():
        answer["response"] = http(base, "POST", "/api/v1/batches/", token=token,
                                  body={"instrument": "therapy-engagement", "items": ITEMS},
                                  headers={"Idempotency-Key": "dropped-1"})

    with psycopg.connect(db_url) as locker:
        locker.execute("LOCK TABLE ratings_target IN ACCESS EXCLUSIVE MODE")
        request = threading.Thread(target=submit)
        request.start()
        waiting = wait_for(lambda: query(db_url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                                 "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"),
                           60, "the request to wait for the lock")
        assert query(db_url, "SELECT pg_terminate_backend(%s)", (waiting[0][0],)) == [(True,)]
        request.join(60)
        locker.rollback()
    status, headers, body = answer["response"]
    assert status == 503, body[:500]
    assert headers["Retry-After"] == "5"
    assert "database connection was lost" in json.loads(body)["detail"]
    assert query(db_url, "SELECT count(*) FROM ratings_study") == studies_before  # the study insert was undone
    assert query(db_url, "SELECT count(*) FROM ratings_batch WHERE idempotency_key = 'dropped-1'") == [(0,)]

    # The same request again, on a new connection: stored once.
    time.sleep(0.1)
    status, _, body = http(base, "POST", "/api/v1/batches/", token=token,
                           body={"instrument": "therapy-engagement", "items": ITEMS},
                           headers={"Idempotency-Key": "dropped-1"})
    assert status == 202, body[:500]
    assert query(db_url, "SELECT count(*) FROM ratings_batch WHERE idempotency_key = 'dropped-1'") == [(1,)]
    assert http(base, "POST", f"{json.loads(body)['url']}cancel/", token=token)[0] == 200  # spare the worker
