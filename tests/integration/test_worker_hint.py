"""With real processes: `score --wait` says when no worker listens to the scoring queue (none
running, then one serving only `default`), a worker on `default,llm` then scores only the chosen
subset, and `score --watch` follows the finished job without enqueueing anything."""

import json
import os
import sqlite3
import subprocess
import time

import pytest

from .conftest import PYTHON, REPO
from .test_scoring_worker import TARGETS, manage, stop

pytestmark = pytest.mark.slow


def _worker(env, log_path, queues):
    log = open(log_path, "a")
    return subprocess.Popen([str(PYTHON), "-m", "celery", "-A", "config", "worker", "-Q", queues, "--concurrency=1",
                             "-n", f"hint-{queues.replace(',', '-')}@%h", "--without-gossip", "--without-mingle"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(path, text, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return path.read_text()
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not seen in {path} within {timeout} s: {path.read_text() if path.exists() else ''}")


def test_no_worker_hint_then_a_worker_scores_only_the_subset(isolated_env, tmp_path):
    env = {**isolated_env, "OMP_WAIT_POLICY": "PASSIVE", "ANCHOR_LLM_THREADS": "1"}
    (tmp_path / "targets.jsonl").write_text(TARGETS)
    (tmp_path / "ids.txt").write_text("T2\n")
    manage(env, "migrate", "--noinput")
    manage(env, "load_instrument", "--builtin")
    manage(env, "import_targets", "s", str(tmp_path / "targets.jsonl"))
    out, err = tmp_path / "score.out", tmp_path / "score.err"
    score = subprocess.Popen([str(PYTHON), "manage.py", "score", "s", "--instrument", "therapy-engagement",
                              "--rater", "llm-small", "--targets", str(tmp_path / "ids.txt"), "--wait", "--poll", "0.5"],
                             cwd=REPO, env=env, stdout=open(out, "w"), stderr=open(err, "w"), start_new_session=True)
    workers = []
    try:
        hint = _wait_for(err, "No worker is listening to queue 'llm'", 60)
        assert "no worker has reported a heartbeat" in hint and "celery -A config worker -Q default,llm" in hint
        workers.append(_worker(env, tmp_path / "worker.log", "default"))  # the mistake the hint is for
        _wait_for(err, "1 live worker(s), none serving queue 'llm'", 120)
        stop(workers.pop())
        workers.append(_worker(env, tmp_path / "worker.log", "default,llm"))
        assert score.wait(timeout=900) == 0, out.read_text() + err.read_text()
    finally:
        for worker in workers:
            stop(worker)
        if score.poll() is None:
            os.killpg(score.pid, 9)
    assert "scores 1 targets (a subset of 4) of s" in out.read_text()
    assert "1/1 (1 scored, 0 failed) done" in out.read_text()
    with sqlite3.connect(tmp_path / "var" / "anchor.sqlite3") as db:
        scored = db.execute("SELECT t.external_id, j.id, j.subset FROM ratings_rating r JOIN ratings_target t "
                            "ON t.id = r.target_id JOIN ratings_scoringjob j ON j.id = r.scoring_job_id").fetchall()
    assert [row[0] for row in scored] == ["T2"] and json.loads(scored[0][2])["sample"] is None
    watched = manage(env, "score", "s", "--watch", str(scored[0][1]))
    assert "1/1 (1 scored, 0 failed) done" in watched
    with sqlite3.connect(tmp_path / "var" / "anchor.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM ratings_rating").fetchone() == (1,)
