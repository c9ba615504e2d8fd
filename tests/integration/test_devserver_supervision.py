"""`make run`'s supervisor (config/devserver.py): a worker that dies is started again and says
so, and the web server keeps serving meanwhile."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from .conftest import PYTHON, REPO, free_port, wait_for_http

pytestmark = pytest.mark.slow


def _worker_pids(db_path) -> set[int]:
    try:
        with sqlite3.connect(db_path) as db:
            return {pid for (pid,) in db.execute("SELECT pid FROM ratings_workerheartbeat")}
    except sqlite3.OperationalError:
        return set()


def test_a_dead_worker_is_restarted_and_the_web_keeps_serving(isolated_env, tmp_path):
    env = isolated_env | {"ANCHOR_PORT": str(free_port()), "ANCHOR_WORKER_HEARTBEAT_SECONDS": "1",
                          "ANCHOR_LLM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    subprocess.run([str(PYTHON), "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True, timeout=300)
    db_path = tmp_path / "var" / "anchor.sqlite3"
    log_path = tmp_path / "devserver.log"
    with log_path.open("w") as log:
        run = subprocess.Popen([str(PYTHON), "-m", "config.devserver"], cwd=REPO, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{env['ANCHOR_PORT']}/"
        assert wait_for_http(url, timeout=300) == 200
        deadline = time.monotonic() + 300
        while not _worker_pids(db_path):
            assert time.monotonic() < deadline, "the worker never reported in"
            time.sleep(0.5)
        (first,) = _worker_pids(db_path)
        os.kill(first, signal.SIGKILL)
        assert wait_for_http(url, timeout=30) == 200  # the web keeps serving
        deadline = time.monotonic() + 300
        while not (_worker_pids(db_path) - {first}):
            assert time.monotonic() < deadline, "the worker was not started again"
            assert run.poll() is None, "the dev server stopped"
            time.sleep(0.5)
        assert wait_for_http(url, timeout=30) == 200
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
    output = log_path.read_text()
    assert "the worker process exited with" in output and "starting the worker again (restart 1)" in output
