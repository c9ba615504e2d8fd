"""A robustness run on the real bundled model: two demo sessions scored as they are, with the
speaker labels renamed and with the client's engagement edited out; the report compares them."""

import pytest

from instruments.selectors import instrument_version_get
from ratings.models import Rater, Study
from ratings.services.demo import DEMO_INSTRUMENT, DEMO_STUDY, demo_setup
from ratings.services.robustness import robustness_job_start
from ratings.services.scoring import job_targets, llm_rater_get_or_create, score_target, scoring_job_start
from reports.build import study_report

KEEP = ["S01", "S02"]
DISENGAGED = ("Therapist: How has the week been?\nClient: Fine.\nTherapist: What would you like to work on?\n"
              "Client: Nothing. I don't want to be here.\nTherapist: Could we try a small task for next week?\n"
              "Client: No.")


def _run(job, backend):
    for target in job_targets(job.study, job.rater).order_by("external_id"):
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_renamed_speakers_and_an_edit_on_the_bundled_model(backend, django_capture_on_commit_callbacks):
    demo_setup()
    study = Study.objects.get(slug=DEMO_STUDY)
    study.targets.exclude(external_id__in=KEEP).delete()  # CPU is scarce: two sessions
    version = instrument_version_get(reference=DEMO_INSTRUMENT)
    base = llm_rater_get_or_create(name="llm-real")
    with django_capture_on_commit_callbacks(execute=False):
        jobs = [scoring_job_start(study=study, version=version, rater=base),
                robustness_job_start(study=study, version=version, kind="rename_speakers", base=base),
                robustness_job_start(study=study, version=version, kind="edit_content", base=base,
                                     edits={t: DISENGAGED for t in KEEP})]
    for job in jobs:
        assert _run(job, backend).completed == len(KEEP)
    renamed, edited = jobs[1].rater, jobs[2].rater
    assert renamed.perturbation["kind"] == "rename_speakers" and renamed.model_sha256 == base.model_sha256

    runs = study_report(study, instrument_version=version, n_boot=50)["robustness"]["runs"]
    speakers = runs[renamed.name]["measures"]["total"]
    edit = runs[edited.name]["measures"]["total"]
    assert speakers["n"] == edit["n"] == len(KEEP)
    # Therapist/Client -> Counsellor/Patient changes the prompt, so the small model's scores move
    # (a little); the edit replaces an engaged session with a refusal: the scores move more.
    assert speakers["mean_absolute_shift"]["estimate"] > 0
    assert edit["mean_absolute_shift"]["estimate"] > speakers["mean_absolute_shift"]["estimate"]
    assert Rater.objects.filter(perturbation__kind="edit_content").count() == 1
