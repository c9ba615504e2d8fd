"""The README's first command: `make run` serves the site and a worker; Ctrl-C stops both."""

import os
import signal
import subprocess
import time

import pytest

from .conftest import PYTHON, REPO, free_port, port_is_open, wait_for_http

pytestmark = pytest.mark.slow


def test_make_run_serves_the_home_page_and_a_worker_that_answers(isolated_env, tmp_path):
    port = free_port()
    env = isolated_env | {"ANCHOR_PORT": str(port)}
    log = (tmp_path / "make-run.log").open("w")
    run = subprocess.Popen(["make", "run"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/", timeout=300) == 200
        # The web server answers before the worker has bound its broadcast queue (a cold start on
        # a fresh machine imports for a while), and a ping sent before that reaches nobody.
        deadline = time.monotonic() + 300
        while True:
            ping = subprocess.run([str(PYTHON), "-m", "celery", "-A", "config", "inspect", "ping", "--timeout", "10"],
                                  cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
            if ping.returncode == 0 or time.monotonic() > deadline or run.poll() is not None:
                break
        assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr
        task = subprocess.run(
            [str(PYTHON), "-c", "import django; django.setup(); from ratings.tasks import ping_task;"
                                "print(ping_task.delay().get(timeout=60))"],
            cwd=REPO, env=env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True, text=True, timeout=120)
        assert task.stdout.strip() == "pong", task.stderr
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        run.wait(timeout=180)  # the worker finishes its shutdown first; 60 s was exceeded once on an idle machine
        deadline = time.monotonic() + 30
        while port_is_open(port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not port_is_open(port)
        leftovers = subprocess.run(["pgrep", "-f", f"ANCHOR_VAR_DIR={env['ANCHOR_VAR_DIR']}"],
                                   capture_output=True)
        assert leftovers.returncode == 1  # no process left behind
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "make-run.log").read_text()
    assert "demo account: admin / anchor-admin" in output
    assert "Ctrl-C stops them" in output
