"""Faults on the Redis broker: a worker killed with SIGKILL mid-job, and Redis restarted mid-job.
Each job completes with exactly one rating per (target, rater, instrument version): none lost,
none duplicated. No `--resume`: the broker redelivers. The model is not the point here, so the
workers score with a slow fake (tests/deploy/fake_model_worker.py); the bundled model runs
through the same worker in test_stack.py and test_scale_out.py."""

import json
import re
import signal

import pytest

from .stack import (base_env, fresh_database, manage, private_redis, query, start, stop, wait_for,
                    worker_command)

pytestmark = pytest.mark.slow

TEXTS = [  # the fake takes 2 s for each
    "Therapist: How was the week?\nClient: I did the exercises every day and I want to keep going.",
    "Therapist: Did you try the diary?\nClient: No. I don't see the point of any of this.",
    "Therapist: What would you like to work on?\nClient: Sleeping better. I wrote down my bedtimes.",
    "Therapist: How are you feeling today?\nClient: Tired. Maybe we can talk about work, I guess.",
    "Therapist: Shall we look at the plan?\nClient: Yes, I brought my notes and two questions.",
]
FAKE = "tests.deploy.fake_model_worker"
JOB = "SELECT completed, failed, status FROM ratings_scoringjob"
PER_KEY = ("SELECT r.target_id, r.rater_id, r.instrument_version_id, count(*), "
           "(SELECT count(*) FROM ratings_itemscore s WHERE s.rating_id = min(r.id)) "
           "FROM ratings_rating r GROUP BY 1, 2, 3")


@pytest.fixture
def scoring_stack(pg_template, tmp_path):
    """A fresh database with five targets and a private Redis as the broker; a short visibility
    timeout so a lost task comes back within seconds instead of an hour."""
    with fresh_database(pg_template) as db_url, private_redis(tmp_path / "redis") as (redis_url, restart):
        env = base_env(tmp_path / "var", DATABASE_URL=db_url, CELERY_BROKER_URL=redis_url,
                       CELERY_RESULT_BACKEND=redis_url.replace("/0", "/1"), ANCHOR_BROKER_VISIBILITY_TIMEOUT="8")
        targets = tmp_path / "targets.jsonl"
        targets.write_text("".join(json.dumps({"id": f"T{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
        manage(env, "import_targets", "s", str(targets))
        yield env, db_url, restart


def assert_complete_and_exactly_once(db_url):
    assert query(db_url, JOB) == [(len(TEXTS), 0, "done")]
    per_key = query(db_url, PER_KEY)
    assert len(per_key) == len(TEXTS)
    assert all(count == 1 and items == 10 for *_, count, items in per_key)


def task_ids(log_text: str, event: str) -> list[str]:
    return re.findall(rf"Task ratings\.score_target\[([0-9a-f-]+)\] {event}", log_text)


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing_after_a_restart(scoring_stack, tmp_path):
    env, db_url, _ = scoring_stack
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    worker = start(worker_command("llm", "llm-1", FAKE), env, first_log)
    try:
        manage(env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small")
        wait_for(lambda: query(db_url, JOB)[0][0] >= 1, 600, "the first rating", alive=[worker])
    finally:
        stop(worker, signal.SIGKILL)  # mid-job: it had taken the next target from the queue
    completed_at_kill = query(db_url, JOB)[0][0]
    assert completed_at_kill < len(TEXTS)
    first = first_log.read_text()
    in_flight = set(task_ids(first, "received")) - set(task_ids(first, "succeeded"))
    assert in_flight, "the killed worker held no task: nothing was tested"

    worker = start(worker_command("llm", "llm-2", FAKE), env, second_log)
    try:
        wait_for(lambda: query(db_url, JOB)[0][2] == "done", 600, "the job to finish", alive=[worker])
    finally:
        stop(worker)
    assert_complete_and_exactly_once(db_url)
    assert in_flight <= set(task_ids(second_log.read_text(), "received"))  # redelivered, not resumed


def test_redis_restarted_mid_job_the_job_completes(scoring_stack, tmp_path):
    env, db_url, restart_redis = scoring_stack
    worker = start(worker_command("llm", "llm-1", FAKE), env, tmp_path / "worker.log")
    try:
        manage(env, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-small")
        wait_for(lambda: query(db_url, JOB)[0][0] >= 1, 600, "the first rating", alive=[worker])
        restart_redis()
        assert query(db_url, JOB)[0][0] < len(TEXTS)
        wait_for(lambda: query(db_url, JOB)[0][2] == "done", 600, "the job to finish", alive=[worker])
    finally:
        stop(worker)
    assert_complete_and_exactly_once(db_url)
    assert "Connection to broker lost" in (tmp_path / "worker.log").read_text()
