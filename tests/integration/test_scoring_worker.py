"""LLM scoring end to end: the `score` command, a real Celery worker, the bundled model.

Covers what only real processes show: the model loaded in a worker process, progress read
from the database while the worker writes, identical numbers from a fresh worker process,
and a worker killed mid-job losing and duplicating nothing once the job is resumed.
"""

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from .conftest import PYTHON, REPO

pytestmark = pytest.mark.slow

TARGETS = "\n".join(json.dumps({"id": f"T{i}", "text": text}) for i, text in enumerate([
    "Therapist: How was the week?\nClient: I did the exercises every day and I want to keep going.",
    "Therapist: Did you try the diary?\nClient: No. I don't see the point of any of this.",
    "Therapist: What would you like to work on?\nClient: Sleeping better. I wrote down my bedtimes.",
    "Therapist: How are you feeling today?\nClient: Tired. Maybe we can talk about work, I guess.",
])) + "\n"


def manage(env, *args, timeout=300):
    result = subprocess.run([str(PYTHON), "manage.py", *args], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start_worker(env, log_path):
    log = open(log_path, "a")
    return subprocess.Popen([str(PYTHON), "-m", "celery", "-A", "config", "worker", "-Q", "default,llm",
                             "--concurrency=1", "-n", "test@%h", "--without-gossip", "--without-mingle"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process, sig=signal.SIGTERM):
    """Stop a worker; a warm shutdown finishes its current task first, so allow for that."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def scores(db_path, job_id):
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT t.external_id, i.code, s.score, s.expected_score, s.distribution FROM ratings_itemscore s "
            "JOIN ratings_rating r ON r.id = s.rating_id JOIN ratings_target t ON t.id = r.target_id "
            "JOIN instruments_item i ON i.id = s.item_id WHERE r.scoring_job_id = ? ORDER BY 1, 2", (job_id,)
        ).fetchall()


@pytest.fixture
def scoring_env(isolated_env, tmp_path):
    (tmp_path / "targets.jsonl").write_text(TARGETS)
    manage(isolated_env, "migrate", "--noinput")
    manage(isolated_env, "load_instrument", "--builtin")
    manage(isolated_env, "import_targets", "s", str(tmp_path / "targets.jsonl"))
    return isolated_env


def test_score_wait_reports_progress_and_a_fresh_worker_gives_identical_numbers(scoring_env, tmp_path):
    db_path = tmp_path / "var" / "anchor.sqlite3"
    runs = []
    for run in range(2):
        worker = start_worker(scoring_env, tmp_path / "worker.log")
        try:
            out = manage(scoring_env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small",
                         "--wait", "--poll", "0.2", timeout=900)
        finally:
            stop(worker)
        assert out.splitlines()[-1].startswith("[##############################] 4/4 (4 scored, 0 failed) done")
        runs.append(scores(db_path, run + 1))
    first, second = runs
    assert len(first) == 4 * 10
    for _, _, score, expected, distribution in first:
        probabilities = json.loads(distribution)
        assert set(probabilities) == {"1", "2", "3", "4", "5"}
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-9)
        assert expected == pytest.approx(sum(int(k) * p for k, p in probabilities.items()), abs=1e-9)
        assert score == int(max(probabilities, key=probabilities.get))
    assert second == first  # a new worker process, the same model and settings: the same numbers


def test_a_killed_worker_loses_and_duplicates_nothing_once_the_job_is_resumed(scoring_env, tmp_path):
    db_path = tmp_path / "var" / "anchor.sqlite3"
    worker = start_worker(scoring_env, tmp_path / "worker.log")
    manage(scoring_env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small")
    deadline = time.monotonic() + 600
    with sqlite3.connect(db_path) as db:
        while db.execute("SELECT completed FROM ratings_scoringjob").fetchone()[0] < 1:
            assert time.monotonic() < deadline, "the worker scored nothing"
            time.sleep(0.2)
    stop(worker, signal.SIGKILL)  # dies mid-job, with a task taken from the queue
    worker = start_worker(scoring_env, tmp_path / "worker.log")
    try:
        manage(scoring_env, "score", "s", "--resume", "1", "--wait", "--poll", "0.2", timeout=900)
    finally:
        stop(worker)
    with sqlite3.connect(db_path) as db:
        completed, failed, status = db.execute("SELECT completed, failed, status FROM ratings_scoringjob").fetchone()
        per_target = db.execute("SELECT target_id, COUNT(*) FROM ratings_rating GROUP BY target_id").fetchall()
    assert (completed, failed, status) == (4, 0, "done")
    assert len(per_target) == 4 and all(count == 1 for _, count in per_target)
    assert len(scores(db_path, 1)) == 40
