"""The in-process Celery worker the browser tests follow jobs with: a job started after an
earlier test of the same run has published a message (on the configured filesystem broker)
still reaches it. Before the fixture reset the app's producer pool, such a job's tasks went to
the filesystem queue and the job page waited forever (CI: "#status never 'done'")."""

import time

import pytest

import ratings.llm_settings
from ratings.models import ScoringJob, ScoringTask
from ratings.services import study_get_or_create, targets_import
from ratings.services.scoring import llm_rater_get_or_create, scoring_job_start
from ratings.tabular import read_rows
from ratings.tasks import ping_task
from tests.ratings.fake_llm import FakeBackend

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def an_earlier_message():
    """What any earlier test whose commit hands work to the broker leaves behind: the app's
    producer pool, made for the configured broker (and the message in its queue, taken away)."""
    from config.celery import app

    from .conftest import broker_connections_reset

    result = ping_task.apply_async(queue="e2e-earlier-message")
    yield
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("e2e-earlier-message")
    broker_connections_reset(app)
    assert result.id


def test_a_job_started_after_an_earlier_message_reaches_the_in_process_worker(
        an_earlier_message, celery_worker_in_process, engagement, monkeypatch):
    monkeypatch.setattr(ratings.llm_settings, "backend_for_rater", lambda rater: FakeBackend())
    study, _ = study_get_or_create(slug="s")
    targets_import(study=study, rows=read_rows("id,text\nT1,Client: yes.\nT2,Client: no.\n", "csv"), fmt="csv")
    job = scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-t"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == ScoringJob.Status.DONE:
            break
        time.sleep(0.2)
    states = list(ScoringTask.objects.filter(job=job).values_list("state", flat=True))
    assert (job.status, job.completed, states) == (ScoringJob.Status.DONE, 2, ["done", "done"])
