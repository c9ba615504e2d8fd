"""The production stack on loopback for tests: fresh PostgreSQL databases, gunicorn, Celery
workers and a private Redis, each a real process started the way deploy/ starts it."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/test")
HOST = "anchor.test"
SECRET_KEY = "tests-only-0f3c9a7e5b1d4c2a8e6f0b9d7c5a3e1f2d4b6a8c0e9f7d5b3a1c2e4f6a8b0d"
ENCRYPTION_KEYS = "pS0P2lRFPl7NOjgDqFSlgxQn0aOGYF9uDwI1xPEzqqA="  # a Fernet key, for material at rest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_execute(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def query(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql, params).fetchall()


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def base_env(var_dir: Path, **extra: str) -> dict:
    """A production environment: ANCHOR_PRODUCTION on, nothing inherited from the caller's
    database, broker or debug settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "CELERY_", "ANCHOR_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                                "DJANGO_ALLOW_ASYNC_UNSAFE"))}  # the last: set by the browser tests
    env.update(ANCHOR_PRODUCTION="1", SECRET_KEY=SECRET_KEY, ALLOWED_HOSTS=f"{HOST},127.0.0.1",
               ANCHOR_ENCRYPTION_KEYS=ENCRYPTION_KEYS,
               ANCHOR_VAR_DIR=str(var_dir), STATIC_ROOT=str(var_dir / "static"), PYTHONUNBUFFERED="1",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    env.update(extra)
    return env


def migrated_template(var_dir: Path) -> str:
    """A database migrated once, with the built-in instruments loaded: the template of the
    fresh databases (``CREATE DATABASE ... TEMPLATE`` copies it in a fraction of a second)."""
    name = f"anchor_tpl_{uuid.uuid4().hex[:10]}"
    admin_execute(f'CREATE DATABASE "{name}"')
    env = base_env(var_dir, DATABASE_URL=database_url(name))
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_instrument", "--builtin")
    return name


@contextmanager
def fresh_database(template: str):
    name = f"anchor_t_{uuid.uuid4().hex[:10]}"
    admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield database_url(name)
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_database(name: str) -> None:
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 120) -> None:
    """Signal the process group; a warm shutdown finishes the current task, so allow for it."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def worker_command(queue: str, name: str, app: str = "config") -> list[str]:
    """The worker of deploy/systemd: solo pool for the model queue, prefork for the rest.
    ``app="tests.deploy.fake_model_worker"`` swaps the model for a slow fake."""
    pool = ["--pool=solo", "--concurrency=1"] if queue == "llm" else ["--pool=prefork", "--concurrency=2"]
    return [str(BIN / "celery"), "-A", app, "worker", "-Q", queue, *pool, "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--loglevel=INFO"]


def gunicorn_command(port: int) -> list[str]:
    return [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "config.wsgi"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def http(base: str, method: str, path: str, *, token: str | None = None, body=None, content_type=None,
         headers: dict | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
    """One request as nginx forwards it (HTTPS said in X-Forwarded-Proto); any status returns,
    redirects are not followed."""
    all_headers = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Token {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers["Content-Type"] = content_type or "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.3, *, alive=()):
    """Poll ``predicate`` until it is true; fail at the timeout or as soon as a process in
    ``alive`` has exited (a crashed worker would otherwise cost the whole timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for process in alive:
            assert process.poll() is None, f"{process.args[:4]} exited with {process.returncode} before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def wait_for_port(port: int, timeout: float = 60) -> None:
    def is_open():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    wait_for(is_open, timeout, f"port {port}")


@contextmanager
def private_redis(directory: Path, port: int | None = None):
    """A redis-server of the test's own, with an append-only file (so a restart keeps its
    queues, as deploy/README.md configures production): the machine's Redis is never restarted."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
               "--dir", str(directory), "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    holder = {"process": None}

    def launch():
        holder["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, 30)

    def restart():
        holder["process"].terminate()  # redis-server's shutdown: flush the AOF, exit
        holder["process"].wait(timeout=30)
        launch()

    launch()
    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        holder["process"].terminate()
        holder["process"].wait(timeout=30)
