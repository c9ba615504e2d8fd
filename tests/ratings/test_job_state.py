"""The job state machine in the database: task rows, leases, the outbox and the reconciler.

The broker is replaced here by a recorder (or one that refuses, as a broker that is down
does); tests/deploy/test_job_faults.py runs the same code against real brokers, workers and
PostgreSQL with the faults injected for real.
"""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

import ratings.llm_settings
from ratings.models import Rating, ScoringJob, ScoringTask, WorkerHeartbeat
from ratings.services import study_get_or_create, targets_import
from ratings.services.jobs import scoring_task_claim, scoring_tasks_enqueue_due
from ratings.services.reconciler import jobs_reconcile
from ratings.services.scoring import llm_rater_get_or_create, scoring_job_start
from ratings.tabular import read_rows
from ratings.tasks import PERMANENT_ERRORS, score_target_task

from .fake_llm import FakeBackend, LlmPermanentError


class Broker:
    """Stands in for ``score_target_task.apply_async``: records messages, or refuses them."""

    def __init__(self):
        self.sent: list[tuple[int, int]] = []
        self.down = False

    def apply_async(self, args, **kwargs):
        if self.down:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.sent.append(tuple(args))


@pytest.fixture
def broker(monkeypatch):
    broker = Broker()
    monkeypatch.setattr(score_target_task, "apply_async", broker.apply_async)
    return broker


@pytest.fixture
def study(engagement):
    study, _ = study_get_or_create(slug="s")
    rows = read_rows("id,text\nT1,Client: I did my homework.\nT2,Client: No.\nT3,Client: Maybe later.\n", "csv")
    targets_import(study=study, rows=rows, fmt="csv")
    return study


@pytest.fixture
def start(study, engagement, broker, django_capture_on_commit_callbacks):
    def start_job():
        with django_capture_on_commit_callbacks(execute=True):
            return scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-t"))
    return start_job


def _tasks(job):
    return list(ScoringTask.objects.filter(job=job).order_by("target_id"))


def _live_worker(queues=("llm",), broker_error=""):
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(hostname="w@test", defaults={
        "queues": list(queues), "pid": 1, "started_at": now, "last_seen": now, "broker_error": broker_error})


def _age(job, seconds):
    """Pretend the job and its tasks last moved ``seconds`` ago."""
    then = timezone.now() - timedelta(seconds=seconds)
    ScoringTask.objects.filter(job=job).update(updated_at=then, enqueued_at=then)
    ScoringJob.objects.filter(pk=job.pk).update(created_at=then)


def test_a_job_and_its_tasks_are_written_together_and_handed_over_after_commit(start, broker):
    job = start()
    tasks = _tasks(job)
    assert [t.state for t in tasks] == ["queued"] * 3 and all(t.enqueued_at for t in tasks)
    assert sorted(broker.sent) == sorted((job.pk, t.target_id) for t in tasks)


def test_a_broker_that_is_down_delays_the_work_and_loses_none(start, broker):
    broker.down = True
    job = start()  # answers: the job exists, its work waits in the database
    job.refresh_from_db()
    assert "the broker refused" in job.stalled_reason and "Connection refused" in job.stalled_reason
    assert all(t.enqueued_at is None for t in _tasks(job)) and broker.sent == []
    report = jobs_reconcile()
    assert report.enqueued == 0 and "Connection refused" in report.broker_error
    broker.down = False
    report = jobs_reconcile()
    assert report.enqueued == 3 and len(broker.sent) == 3
    job.refresh_from_db()
    assert job.stalled_reason == ""


def test_a_duplicate_message_finds_the_lease_held_and_does_nothing(start):
    job = start()
    target_id = _tasks(job)[0].target_id
    assert scoring_task_claim(job_id=job.pk, target_id=target_id, worker="a:1") is not None
    assert scoring_task_claim(job_id=job.pk, target_id=target_id, worker="b:2") is None
    assert scoring_task_claim(job_id=job.pk, target_id=target_id, worker="a:1") is not None  # its own retry
    job.refresh_from_db()
    assert job.status == "running" and job.started_at is not None


def test_an_expired_lease_is_queued_again_then_failed_with_the_reason(start, broker, settings):
    settings.ANCHOR_TASK_MAX_ATTEMPTS = 2
    job = start()
    target_id = _tasks(job)[0].target_id
    for attempt in (1, 2):
        task = scoring_task_claim(job_id=job.pk, target_id=target_id, worker=f"dead:{attempt}")
        ScoringTask.objects.filter(pk=task.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        report = jobs_reconcile()
        assert report.leases_expired == 1
    task = ScoringTask.objects.get(pk=task.pk)
    assert task.state == "failed" and "gave up after 2 attempts" in task.error and "dead:2" in task.error
    job.refresh_from_db()
    assert job.failed == 1 and "stopped while scoring it" in job.errors[0]["error"]
    assert broker.sent.count((job.pk, target_id)) == 2  # the first send, the one after the first expiry


def test_the_reconciler_finishes_a_job_whose_tasks_have_ended(start, monkeypatch):
    job = start()
    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater", lambda rater: FakeBackend())
    for task in _tasks(job):
        ScoringTask.objects.filter(pk=task.pk).update(state="done")  # as if counted by older code
    ScoringJob.objects.filter(pk=job.pk).update(completed=3)
    assert jobs_reconcile().finished == [job.pk]
    job.refresh_from_db()
    assert job.status == "done" and job.finished_at is not None


def test_a_job_nobody_takes_is_stalled_with_the_reason_and_the_mark_goes_when_it_moves(start):
    job = start()
    _age(job, 600)
    jobs_reconcile()
    job.refresh_from_db()
    assert job.stalled_reason.startswith("no worker takes the 'llm' queue: 3 targets wait")
    scoring_task_claim(job_id=job.pk, target_id=_tasks(job)[0].target_id, worker="w@test:1")
    job.refresh_from_db()
    assert job.stalled_reason == "" and job.stalled_since is None


def test_idle_live_workers_get_the_messages_again_with_what_they_report(start, broker):
    job = start()
    _live_worker(broker_error="the filesystem broker cannot take message x (Read-only file system)")
    _age(job, 600)
    sent_before = len(broker.sent)
    jobs_reconcile()
    job.refresh_from_db()
    assert "none has started a target" in job.stalled_reason and "Read-only file system" in job.stalled_reason
    assert len(broker.sent) == sent_before + 3


def test_a_worker_busy_elsewhere_does_not_stall_a_waiting_job(start):
    job = start()
    _live_worker()
    _age(job, 600)
    other = start()  # moved just now
    scoring_task_claim(job_id=other.pk, target_id=_tasks(other)[0].target_id, worker="w@test:1")
    jobs_reconcile()
    job.refresh_from_db()
    assert job.stalled_reason == ""


def _run_task(job, target_id):
    """The Celery task as a worker runs it (eagerly, in this process)."""
    return score_target_task.apply(args=(job.pk, target_id))


def test_a_programming_error_is_not_recorded_as_the_targets_failure(start, monkeypatch, caplog):
    class Buggy(FakeBackend):
        def rate(self, request, *, progress=None):
            raise KeyError("a bug in our code")

    assert not any(issubclass(e, (ValueError, LookupError)) and e.__module__ == "builtins" for e in PERMANENT_ERRORS)
    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater", lambda rater: Buggy())
    job = start()
    task = _tasks(job)[0]
    with caplog.at_level(logging.ERROR, logger="ratings.jobs"):
        result = _run_task(job, task.target_id)
    assert result.failed()  # the worker log says the task failed, not "succeeded"
    task.refresh_from_db()
    job.refresh_from_db()
    assert job.failed == 0 and job.errors == []
    assert task.state == "queued" and task.enqueued_at is None and task.attempts == 1
    assert task.error.startswith("internal error (a bug; see the worker log): KeyError")
    assert "internal error" in caplog.text


def test_a_failed_target_is_recorded_and_logged_at_error(start, monkeypatch, caplog):
    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater",
                        lambda rater: FakeBackend(fail_on={"No.": LlmPermanentError}))
    job = start()
    with caplog.at_level(logging.ERROR, logger="ratings.jobs"):
        for task in _tasks(job):
            _run_task(job, task.target_id)
    job.refresh_from_db()
    assert (job.completed, job.failed, job.status) == (2, 1, "done")
    assert [t.state for t in _tasks(job)] == ["done", "failed", "done"]
    assert "T2" in caplog.text and "the fake model refuses" in caplog.text
    assert Rating.objects.filter(scoring_job=job).count() == 2


def test_the_soft_time_limit_fails_the_target_with_that_reason(start, monkeypatch, settings):
    import time

    class Slow(FakeBackend):
        def rate(self, request, *, progress=None):
            time.sleep(5)
            return super().rate(request, progress=progress)

    settings.ANCHOR_TASK_SOFT_TIME_LIMIT = 1
    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater", lambda rater: Slow())
    job = start()
    _run_task(job, _tasks(job)[0].target_id)
    job.refresh_from_db()
    assert job.errors[0]["error"] == "took longer than the time limit of 1 s"


def test_resume_makes_waiting_targets_due_and_hands_them_over(start, broker):
    job = start()
    broker.sent.clear()
    call_command("score", "s", "--resume", str(job.pk))
    assert len(broker.sent) == 3


def test_reconcile_jobs_command_runs_one_pass(start, capsys):
    start()
    call_command("reconcile_jobs")
    assert "leases expired" in capsys.readouterr().out


def test_scoring_tasks_enqueue_due_ignores_ended_jobs(start, broker):
    job = start()
    ScoringTask.objects.filter(job=job).update(enqueued_at=None)
    ScoringJob.objects.filter(pk=job.pk).update(status="cancelled")
    assert scoring_tasks_enqueue_due().enqueued == 0


def test_the_job_page_and_api_say_when_no_worker_takes_the_queue(start, client, django_user_model):
    job = start()
    admin = django_user_model.objects.create_superuser(username="boss", password="pw-long-enough")
    client.force_login(admin)
    body = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["targets"] == {"queued": 3, "running": 0, "done": 0, "failed": 0}
    assert body["worker_hint"].startswith("No worker is listening to queue 'llm'") and not body["stalled"]
    assert "No worker is listening to queue &#x27;llm&#x27;" in client.get(f"/jobs/{job.pk}/").content.decode()
    _live_worker()
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["worker_hint"] == ""
    _age(job, 600)
    WorkerHeartbeat.objects.all().delete()
    jobs_reconcile()
    body = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["stalled"] and body["stalled_reason"].startswith("no worker takes the 'llm' queue")


def test_a_lease_of_a_dead_process_on_this_host_need_not_be_waited_out():
    import os
    import socket
    import subprocess
    import sys

    from ratings.services.jobs import lease_holder_gone

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    assert lease_holder_gone(f"anchor@{host}:{finished.stdout.strip()}")
    assert not lease_holder_gone(f"anchor@{host}:{os.getpid()}")
    assert not lease_holder_gone(f"anchor@another-host:{finished.stdout.strip()}")  # only its lease tells


def test_celery_beat_runs_the_same_reconciler_pass(settings, start, broker):
    from config.celery import app
    from ratings.tasks import reconcile_jobs_task

    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-jobs"]
    assert app.tasks[entry["task"]].name == reconcile_jobs_task.name and entry["options"]["queue"] == "default"
    assert entry["schedule"] == settings.ANCHOR_RECONCILE_SECONDS
    job = start()
    ScoringTask.objects.filter(job=job).update(enqueued_at=None)
    assert "3 tasks handed to the broker" in reconcile_jobs_task.apply().get()
