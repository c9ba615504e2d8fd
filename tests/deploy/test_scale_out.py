"""Scale-out as deploy/README.md writes it down: workers on other hosts against the same Redis
and PostgreSQL, each consuming its own queue, the model served by an OpenAI-compatible server
(the bundled model under llama_cpp.server) through the HTTP backend. Two worker processes with
separate var folders stand for two hosts; each job is processed by the right one."""

import json
import re
import sys
import urllib.request

import pytest
from celery import Celery

from ratings.llm import default_model_path

from .stack import (base_env, free_port, fresh_database, manage, private_redis, query, start, stop, wait_for,
                    worker_command)

pytestmark = pytest.mark.slow


@pytest.fixture
def model_server(tmp_path):
    port = free_port()
    server = start([sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
                    "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
                    "--seed", "0"], {}, tmp_path / "llama-server.log")
    url = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return urllib.request.urlopen(url + "/v1/models", timeout=2).status == 200  # loopback only
        except OSError:
            return False
    try:
        wait_for(answers, 120, "llama_cpp.server", alive=[server])
        yield url
    finally:
        stop(server)


def tasks(log_text: str, name: str) -> list[str]:
    return re.findall(rf"Task {re.escape(name)}\[[0-9a-f-]+\] succeeded", log_text)


def test_two_hosts_with_separate_queues_each_process_their_own_jobs(pg_template, model_server, tmp_path):
    with fresh_database(pg_template) as db_url, private_redis(tmp_path / "redis") as (redis_url, _):
        shared = {"DATABASE_URL": db_url, "CELERY_BROKER_URL": redis_url,
                  "CELERY_RESULT_BACKEND": redis_url.replace("/0", "/1")}
        # Host A has no model at all; host B scores through the model server.
        host_a = base_env(tmp_path / "host-a", ANCHOR_LLM_MODEL=str(tmp_path / "no-such-model.gguf"), **shared)
        host_b = base_env(tmp_path / "host-b", ANCHOR_LLM_BACKEND="http", ANCHOR_LLM_BASE_URL=model_server,
                          **shared)
        targets = tmp_path / "targets.jsonl"
        targets.write_text(json.dumps({"id": "T1", "text": "Therapist: How was the week?\n"
                                       "Client: I did the exercises every day and I want to keep going."}) + "\n")
        manage(host_a, "import_targets", "s", str(targets))
        workers = {"a": start(worker_command("default", "host-a"), host_a, tmp_path / "host-a.log"),
                   "b": start(worker_command("llm", "host-b"), host_b, tmp_path / "host-b.log")}
        try:
            client = Celery(broker=shared["CELERY_BROKER_URL"], backend=shared["CELERY_RESULT_BACKEND"])
            assert client.send_task("anchor.ping", queue="default").get(timeout=120) == "pong"
            manage(host_b, "score", "s", "--instrument", "therapy-engagement", "--rater", "llm-farm")
            wait_for(lambda: query(db_url, "SELECT status FROM ratings_scoringjob") == [("done",)], 600,
                     "the scoring job", alive=list(workers.values()))
        finally:
            for worker in workers.values():
                stop(worker)
            assert query(db_url, "SELECT provenance->>'backend', (SELECT count(*) FROM ratings_itemscore) "
                             "FROM ratings_rating") == [("http", 10)]
    log_a, log_b = (tmp_path / "host-a.log").read_text(), (tmp_path / "host-b.log").read_text()
    assert len(tasks(log_a, "anchor.ping")) == 1 and tasks(log_a, "ratings.score_target") == []
    assert len(tasks(log_b, "ratings.score_target")) == 1 and tasks(log_b, "anchor.ping") == []
