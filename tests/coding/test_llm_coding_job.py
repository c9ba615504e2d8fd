"""A scoring job on a coding instrument: the segment coder on the real bundled model codes a
target's transcript and its codes are stored as the job's rating, with provenance."""

import os

import pytest

from ratings.llm import model_sha256
from ratings.llm.coding_prompt import CODING_PROMPT_VERSION
from ratings.models import Rating, ScoringJob, Target
from ratings.services import targets_import
from ratings.services.scoring import ScoringError, llm_rater_get_or_create, score_target, scoring_job_start
from ratings.tabular import read_rows


@pytest.fixture(scope="module")
def backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=2048, n_threads=int(os.environ.get("ANCHOR_LLM_THREADS", "2")))


class _Unused:
    """A backend that must not be asked: a stored target is never scored again."""

    def __getattr__(self, name):
        raise AssertionError(f"the model was used again ({name})")


@pytest.fixture
def job(coded_study, mi_coding, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return scoring_job_start(study=coded_study, version=mi_coding, rater=llm_rater_get_or_create(name="llm-coder"))


def test_a_job_codes_every_applicable_segment_and_stores_the_codes_with_provenance(job, coded_study, backend):
    assert job.total == 2 and job.status == "queued"
    target = Target.objects.get(study=coded_study, external_id="S1")
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    rating = Rating.objects.get(scoring_job=job, target=target)
    assert (rating.source, rating.status, rating.rater.name) == ("llm", "submitted", "llm-coder")
    codes = {(c.segment.external_id, c.code_set): c for c in rating.segment_codes.select_related("segment")}
    # The narrator's line (u5) is not coded: no code set applies to its speaker.
    assert sorted(codes) == [("u1", "therapist_behaviour"), ("u2", "client_talk"),
                             ("u3", "therapist_behaviour"), ("u4", "client_talk")]
    spec = job.instrument_version.spec
    for (_, code_set), row in codes.items():
        assert list(row.distribution) == list(spec.code_set(code_set).values)
        assert sum(row.distribution.values()) == pytest.approx(1.0, abs=1e-9)
        assert row.code == max(row.distribution, key=row.distribution.get)
    provenance = rating.provenance
    assert provenance["model_sha256"] == model_sha256(backend.model.settings.path)
    assert provenance["prompt_template_version"].startswith(CODING_PROMPT_VERSION + "+chat:")
    assert provenance["instrument_version_hash"] == job.instrument_version.content_hash
    assert provenance["window"]["restarts"] == 0 and provenance["segments_dropped"] == {}
    assert provenance["tokens_evaluated"] > provenance["transcript_tokens"] > 0
    job.refresh_from_db()
    assert (job.completed, job.failed, job.status) == (1, 0, "running")

    score_target(job_id=job.pk, target_id=target.pk, backend=_Unused())  # redelivered: a no-op
    assert Rating.objects.filter(target=target).count() == 1
    assert rating.segment_codes.count() == 4
    assert ScoringJob.objects.get(pk=job.pk).completed == 1


def test_a_target_without_segments_is_a_permanent_failure(job, coded_study):
    targets_import(study=coded_study, rows=read_rows("id,text\nS9,No segments here.\n", "csv"), fmt="csv")
    target = Target.objects.get(study=coded_study, external_id="S9")
    with pytest.raises(ScoringError, match="S9 has no segments"):
        score_target(job_id=job.pk, target_id=target.pk, backend=_Unused())
