"""A demo study with two human raters and one (fake) LLM rater, one LLM target failed."""

import pytest

from instruments.selectors import instrument_version_get
from ratings.models import Study
from ratings.services.demo import DEMO_INSTRUMENT, DEMO_STUDY, demo_setup
from ratings.services.scoring import (llm_rater_get_or_create, score_target, scoring_job_record_failure,
                                      scoring_job_start)
from tests.ratings.fake_llm import FakeBackend, LlmPermanentError

FAILING_TARGET = "S03"


@pytest.fixture
def demo_study(db, django_user_model, django_capture_on_commit_callbacks):
    demo_setup()
    study = Study.objects.get(slug=DEMO_STUDY)
    study.created_by = django_user_model.objects.create_user(username="creator", password="pw")
    study.save(update_fields=["created_by"])
    version = instrument_version_get(reference=DEMO_INSTRUMENT)
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-fake"))
    failing = study.targets.get(external_id=FAILING_TARGET)
    backend = FakeBackend(fail_on={failing.text[:400]: LlmPermanentError})
    for target in study.targets.order_by("external_id"):
        try:
            score_target(job_id=job.pk, target_id=target.pk, backend=backend)
        except LlmPermanentError as error:  # what the Celery task does with a permanent error
            scoring_job_record_failure(job_id=job.pk, target_id=target.pk, error=str(error))
    return study, version
