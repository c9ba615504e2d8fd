"""Faults an operator meets, injected for real, with the reconciler running as deploy/ and
`make run` run it: every job ends by itself, within a bounded time, with every target rated
exactly once or failed with a reason; no `--resume`.

- a worker killed with SIGKILL mid-job (Redis, default visibility timeout and lease);
- the broker down when a batch is submitted (the job is stored and its retry returns a job that runs);
- the database stopped for 30 s mid-job (a PostgreSQL cluster of the test's own);
- a full and a read-only broker folder on the development defaults (a real tmpfs; root only);
- the connection killed at COMMIT (the audit event exists if and only if the change does).

The workers score with a slow fake model (tests/deploy/fake_model_worker.py): the model is
not the point here, and the bundled one runs through the same worker in test_stack.py.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from .stack import (PYTHON, base_env, free_port, fresh_database, gunicorn_command, http, manage, query, start, stop,
                    wait_for, wait_for_port, worker_command)
from .test_worker_faults import FAKE, PER_KEY, TEXTS

pytestmark = pytest.mark.slow

JOBS = "SELECT completed, failed, status, stalled_reason FROM ratings_scoringjob ORDER BY id"
HOLDING = ("SELECT (SELECT completed >= 1 FROM ratings_scoringjob ORDER BY id LIMIT 1), "
           "(SELECT count(*) FROM ratings_scoringtask WHERE state = 'running')")
FAST = {"ANCHOR_RECONCILE_SECONDS": "2", "ANCHOR_STALL_AFTER_SECONDS": "5", "ANCHOR_WORKER_HEARTBEAT_SECONDS": "2"}
BOUND = 240  # seconds: lease (60) + reconciler period + scoring five targets on a loaded machine


def reconciler(env, log):
    return start([PYTHON, "manage.py", "reconcile_jobs",
                  "--loop", env.get("ANCHOR_RECONCILE_SECONDS", "2")], env, log)


def exactly_once(rows) -> bool:
    return len(rows) == len(TEXTS) and all(count == 1 and items == 10 for *_, count, items in rows)


def write_targets(tmp_path) -> Path:
    path = tmp_path / "targets.jsonl"
    path.write_text("".join(json.dumps({"id": f"T{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    return path


@contextmanager
def redis_server(directory: Path, port: int):
    """A redis-server the test can stop and start again on the same port."""
    directory.mkdir(parents=True, exist_ok=True)
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
               "--dir", str(directory), "--appendonly", "yes", "--save", ""]
    holder = {}

    def up():
        holder["p"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, 30)

    def down():
        holder["p"].terminate()
        holder["p"].wait(timeout=30)

    up()
    try:
        yield up, down
    finally:
        if holder["p"].poll() is None:
            down()


@contextmanager
def scoring_stack(pg_template, tmp_path, **extra):
    """A fresh database with the five targets, a Redis the test can stop, the reconciler loop;
    the worker is the test's to start."""
    port = free_port()
    with fresh_database(pg_template) as db_url, redis_server(tmp_path / "redis", port) as (up, down):
        redis_url = f"redis://127.0.0.1:{port}/0"
        env = base_env(tmp_path / "var", DATABASE_URL=db_url, CELERY_BROKER_URL=redis_url,
                       CELERY_RESULT_BACKEND=redis_url.replace("/0", "/1"), **{**FAST, **extra})
        manage(env, "import_targets", "s", str(write_targets(tmp_path)))
        loop = reconciler(env, tmp_path / "reconciler.log")
        try:
            yield {"env": env, "db": db_url, "redis_up": up, "redis_down": down}
        finally:
            stop(loop)


def test_a_worker_killed_mid_job_with_the_default_settings_the_job_ends_by_itself(pg_template, tmp_path):
    with scoring_stack(pg_template, tmp_path) as s:  # default lease and visibility timeout
        env, db = s["env"], s["db"]
        worker = start(worker_command("llm", "llm-1", FAKE), env, tmp_path / "worker-1.log")
        try:
            manage(env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small")
            # Mid-job: one target rated and the worker holding the next (a target takes 2 s, so the
            # kill lands inside it; polling "completed >= 1" alone could fall between two targets).
            wait_for(lambda: query(db, HOLDING)[0] == (True, 1), 600, "a worker holding a target after the first",
                     interval=0.1, alive=[worker])
        finally:
            stop(worker, signal.SIGKILL)
        assert query(db, "SELECT count(*) FROM ratings_scoringtask WHERE state = 'running'") == [(1,)]
        worker = start(worker_command("llm", "llm-2", FAKE), env, tmp_path / "worker-2.log")
        try:
            started = time.monotonic()
            wait_for(lambda: query(db, JOBS)[0][2] == "done", BOUND, "the job to end by itself", alive=[worker])
            print(f"job ended {time.monotonic() - started:.1f} s after the new worker started")
        finally:
            stop(worker)
        assert query(db, JOBS)[0][:3] == (len(TEXTS), 0, "done")
        assert exactly_once(query(db, PER_KEY))


def test_the_broker_down_at_batch_submission_delays_the_job_and_its_retry_returns_it(pg_template, tmp_path):
    with scoring_stack(pg_template, tmp_path) as s:
        env, db = s["env"], s["db"]
        manage(env, "shell", "-c", "from django.contrib.auth.models import User; "
                                   "User.objects.create_user('ops', password='ops-password-9f2c')")
        manage(env, "grant_role", "ops", "api-clients")
        token = manage(env, "create_api_token", "ops").strip()
        port = free_port()
        web = start(gunicorn_command(port), env, tmp_path / "gunicorn.log")
        worker = None
        try:
            wait_for_port(port)
            base = f"http://127.0.0.1:{port}"
            body = {"instrument": "therapy-engagement", "items": [{"id": f"b{i}", "text": t} for i, t in enumerate(TEXTS)]}
            s["redis_down"]()
            status, _, first = http(base, "POST", "/api/v1/batches/", token=token, body=body,
                                    headers={"Idempotency-Key": "k-1"})
            assert status == 202, first[:500]  # stored: the work waits in the database
            job = json.loads(first)
            assert job["targets"]["queued"] == len(TEXTS)
            wait_for(lambda: "broker refused" in json.loads(http(base, "GET", job["url"], token=token)[2])
                     ["stalled_reason"], 60, "the job to say why it waits")
            status, headers, again = http(base, "POST", "/api/v1/batches/", token=token, body=body,
                                          headers={"Idempotency-Key": "k-1"})
            assert status == 202 and headers.get("Idempotent-Replayed") == "true"
            assert json.loads(again)["id"] == job["id"]
            s["redis_up"]()
            worker = start(worker_command("llm", "llm-1", FAKE), env, tmp_path / "worker.log")
            wait_for(lambda: json.loads(http(base, "GET", job["url"], token=token)[2])["status"] == "done", BOUND,
                     "the job to run once the broker is back", alive=[worker, web])
        finally:
            if worker is not None:
                stop(worker)
            stop(web)
        assert query(db, "SELECT count(*) FROM ratings_batch") == [(1,)]
        assert exactly_once(query(db, PER_KEY))
        assert query(db, "SELECT count(*) FROM audit_auditevent WHERE object_type = 'batch'") == [(1,)]


def test_the_database_stopped_mid_job_the_job_ends_by_itself(tmp_path):
    from scripts.test_services import Postgres, postgres_bin

    if not postgres_bin("initdb"):
        pytest.skip("initdb is not installed")
    root = Path(tempfile.mkdtemp(prefix="anchor-pg-"))  # the postgres user must reach it (tmp_path is root's)
    root.chmod(0o755)
    cluster = Postgres(root)
    url = cluster.start()
    try:
        admin = psycopg.connect(url, autocommit=True)
        admin.execute("CREATE DATABASE anchor")
        admin.close()
        db = url.rsplit("/", 1)[0] + "/anchor"
        port = free_port()
        with redis_server(tmp_path / "redis", port):
            redis_url = f"redis://127.0.0.1:{port}/0"
            env = base_env(tmp_path / "var", DATABASE_URL=db, CELERY_BROKER_URL=redis_url,
                           CELERY_RESULT_BACKEND=redis_url.replace("/0", "/1"), **FAST)
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "load_instrument", "--builtin")
            manage(env, "import_targets", "s", str(write_targets(tmp_path)))
            loop = reconciler(env, tmp_path / "reconciler.log")
            worker = start(worker_command("llm", "llm-1", FAKE), env, tmp_path / "worker.log")
            try:
                manage(env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small")
                wait_for(lambda: query(db, JOBS)[0][0] >= 1, 600, "the first rating", alive=[worker])
                cluster.stop("fast")
                time.sleep(30)  # each task's retries and the reconciler meet a database that is gone
                cluster.restart()
                wait_for(lambda: query(db, JOBS)[0][2] == "done", BOUND + 60, "the job to end by itself",
                         alive=[worker, loop])
            finally:
                stop(worker)
                stop(loop)
            assert query(db, JOBS)[0][:3] == (len(TEXTS), 0, "done")
            assert exactly_once(query(db, PER_KEY))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def dev_env(tmp_path) -> dict:
    """make run's defaults: SQLite and the filesystem broker under var/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "ANCHOR_",
                                                                    "DJANGO_ALLOW_ASYNC_UNSAFE"))}
    env.update(ANCHOR_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1", **FAST)
    return env


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_broker_folder_delays_the_job_loudly_and_loses_nothing(tmp_path, fault):
    env = dev_env(tmp_path)
    with tmpfs(tmp_path / "var" / "broker", "256k") as broker:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_instrument", "--builtin")
        manage(env, "import_targets", "s", str(write_targets(tmp_path)))
        (broker / "queue").mkdir(exist_ok=True)
        (broker / "queue" / "0000_empty.llm.msg").write_bytes(b"")  # what kombu's own transport left behind
        loop = reconciler(env, tmp_path / "reconciler.log")
        worker = start(worker_command("llm", "llm-1", FAKE), env, tmp_path / "worker.log")
        db = sqlite_query(tmp_path / "var" / "anchor.sqlite3")
        try:
            wait_for(lambda: db("SELECT count(*) FROM ratings_workerheartbeat")[0][0], 300, "the worker to report in",
                     alive=[worker])
            if fault == "full":
                fill(broker / "filler")
            else:
                subprocess.run(["mount", "-o", "remount,ro", str(broker)], check=True)
            manage(env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small")
            wait_for(lambda: "broker refused" in db(JOBS)[0][3], 120, "the job to say why it waits",
                     alive=[worker, loop])
            assert db(JOBS)[0][0] == 0
            if fault == "full":
                (broker / "filler").unlink()
            else:
                subprocess.run(["mount", "-o", "remount,rw", str(broker)], check=True)
            wait_for(lambda: db(JOBS)[0][2] == "done", BOUND, "the job to end by itself", alive=[worker, loop])
        finally:
            stop(worker)
            stop(loop)
        assert db(JOBS)[0][:3] == (len(TEXTS), 0, "done")
        assert exactly_once(db(PER_KEY))
        assert "set aside an unreadable message file 0000_empty.llm.msg" in (tmp_path / "worker.log").read_text()


def fill(path: Path) -> None:
    """Write until the filesystem is full."""
    with path.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 4096)
        except OSError:
            pass


def sqlite_query(path: Path):
    import sqlite3

    def run(sql):
        with sqlite3.connect(path, timeout=30) as connection:
            return connection.execute(sql).fetchall()
    return run


KILL_AT_COMMIT = """
CREATE TABLE fault_switch (armed boolean NOT NULL);
INSERT INTO fault_switch VALUES (false);
CREATE FUNCTION fault_kill_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT armed FROM fault_switch) AND random() < 0.5 THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER fault_kill_at_commit AFTER INSERT ON ratings_target
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fault_kill_at_commit();
"""


def test_a_connection_killed_at_commit_leaves_the_audit_event_iff_the_change(pg_template, tmp_path):
    """Half of the uploads have their connection killed by the server while it commits (a
    deferred trigger terminates its own backend): each upload is stored with its audit event or
    not at all, and the 503 never claims a rollback it cannot know of."""
    with fresh_database(pg_template) as db:
        env = base_env(tmp_path / "var", DATABASE_URL=db)
        manage(env, "shell", "-c", "from django.contrib.auth.models import User; "
                                   "User.objects.create_user('ops', password='ops-password-9f2c')")
        manage(env, "grant_role", "ops", "study-managers")
        token = manage(env, "create_api_token", "ops").strip()
        port = free_port()
        web = start(gunicorn_command(port), env, tmp_path / "gunicorn.log")
        try:
            wait_for_port(port)
            base = f"http://127.0.0.1:{port}"
            assert http(base, "POST", "/api/v1/studies/", token=token, body={"slug": "up", "title": "uploads"})[0] == 201
            with psycopg.connect(db, autocommit=True) as admin:
                admin.execute(KILL_AT_COMMIT)
                admin.execute("UPDATE fault_switch SET armed = true")
            answers = []
            for n in range(16):
                status, _, body = http(base, "POST", "/api/v1/studies/up/targets/", token=token,
                                       body=[{"id": f"u{n}", "text": f"Client: upload {n}."}])
                answers.append((n, status, json.loads(body) if body else {}))
        finally:
            stop(web)
        stored = {external_id for (external_id,) in query(db, "SELECT external_id FROM ratings_target")}
        events = query(db, "SELECT count(*) FROM audit_auditevent WHERE object_type = 'material' AND action = 'create'")
        assert events == [(len(stored),)]  # one event per stored upload, none for the others
        assert {s for _, s, _ in answers} <= {201, 503}
        killed = [(n, body) for n, s, body in answers if s == 503]
        assert killed and len(killed) < len(answers), answers  # both outcomes happened
        for n, body in killed:
            assert f"u{n}" not in stored or body["stored"] == "unknown"
            assert body["stored"] == "unknown", body  # killed during COMMIT: the outcome is not known here
        assert all(f"u{n}" in stored for n, s, _ in answers if s == 201)
