"""How LLM coding jobs store and report: a later job replaces the rater's earlier codes of a target
(as a scale job replaces its scores), all or nothing, and a redelivery of the same job changes
nothing; while it codes, the worker records the segments coded on the target's task row.

The bookkeeping tests give ``score_target`` a coder's result built here (what is stored does not
depend on the model); the progress tests run the segment coder on the real bundled model."""

import os
import re

import pytest

import ratings.services.scoring as scoring_module
from ratings.llm import CodingProvenance, CodingResult, CodingWindow, SegmentCode
from ratings.models import Rating, ScoringJob, ScoringTask, SegmentCode as StoredCode, Target
from ratings.services.coding import SegmentCodeInput, coding_rating_save
from ratings.services.jobs import scoring_task_claim
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start

# S1's coded segments (u5, the narrator's, has no code set) and two codings of them.
CODED = [("u1", "therapist_behaviour"), ("u2", "client_talk"), ("u3", "therapist_behaviour"),
         ("u4", "client_talk")]
FIRST = {"therapist_behaviour": "reflection", "client_talk": "change"}
SECOND = {"therapist_behaviour": "question", "client_talk": "sustain"}


def _result(version, chosen: dict[str, str]) -> CodingResult:
    """A coder's result for S1 that picks ``chosen[code_set]`` with probability 0.7."""
    spec = version.spec
    codes = []
    for index, (segment, code_set) in enumerate(CODED):
        values = list(spec.code_set(code_set).values)
        rest = 0.3 / (len(values) - 1)
        distribution = {v: (0.7 if v == chosen[code_set] else rest) for v in values}
        codes.append(SegmentCode(segment_id=segment, segment_index=index, code_set=code_set,
                                 distribution=distribution, code=chosen[code_set], label_mass=0.9,
                                 tokens_evaluated=5, context_start=0))
    window = CodingWindow(policy="test", budget_tokens=100, keep_tokens=50, restarts=0,
                          segments_windowed=0, max_segments_dropped=0)
    provenance = CodingProvenance(backend="test", model="test.gguf", model_sha256="0" * 64,
                                  prompt_template_version="test", n_ctx=2048, runtime="test", window=window)
    return CodingResult(codes=tuple(codes), tokens_evaluated=40, transcript_tokens=20, provenance=provenance)


class _Unused:
    """A backend that must not be asked."""

    def __getattr__(self, name):
        raise AssertionError(f"the model was used ({name})")


@pytest.fixture
def start_job(coded_study, mi_coding, django_capture_on_commit_callbacks):
    def start():
        with django_capture_on_commit_callbacks(execute=False):
            return scoring_job_start(study=coded_study, version=mi_coding,
                                     rater=llm_rater_get_or_create(name="llm-coder"))
    return start


@pytest.fixture
def coder(monkeypatch):
    """``score_target`` codes with the result set here instead of running the model."""
    chosen = {}
    monkeypatch.setattr(scoring_module, "code_target",
                        lambda *, target, version, backend, progress=None: _result(version, chosen["codes"]))
    return chosen


def _stored(target) -> dict[tuple[str, str], str]:
    rows = StoredCode.objects.filter(rating__target=target).select_related("segment")
    return {(row.segment.external_id, row.code_set): row.code for row in rows}


def _s1(study):
    return Target.objects.get(study=study, external_id="S1")


def test_a_later_job_replaces_the_codes_a_redelivery_does_not(start_job, coded_study, coder):
    target = _s1(coded_study)
    first = start_job()
    coder["codes"] = FIRST
    score_target(job_id=first.pk, target_id=target.pk, backend=_Unused())
    assert _stored(target) == {key: FIRST[key[1]] for key in CODED}

    second = start_job()
    coder["codes"] = SECOND
    score_target(job_id=second.pk, target_id=target.pk, backend=_Unused())
    rating = Rating.objects.get(target=target)  # still one rating of the rater, now the second job's
    assert rating.scoring_job_id == second.pk and rating.status == "submitted"
    assert _stored(target) == {key: SECOND[key[1]] for key in CODED}
    assert StoredCode.objects.filter(rating__target=target).count() == len(CODED)
    assert ScoringJob.objects.get(pk=second.pk).completed == 1
    assert ScoringTask.objects.get(job=second, target=target).state == "done"

    coder["codes"] = FIRST  # a redelivered message of the second job: nothing changes
    score_target(job_id=second.pk, target_id=target.pk, backend=_Unused())
    assert _stored(target) == {key: SECOND[key[1]] for key in CODED}
    assert ScoringJob.objects.get(pk=second.pk).completed == 1


def test_a_crash_while_storing_keeps_the_earlier_codes_whole(start_job, coded_study, coder, monkeypatch):
    target = _s1(coded_study)
    first = start_job()
    coder["codes"] = FIRST
    score_target(job_id=first.pk, target_id=target.pk, backend=_Unused())
    second = start_job()
    coder["codes"] = SECOND

    def crash(*args, **kwargs):  # after the earlier codes are deleted, before the new are written
        raise RuntimeError("worker lost")

    with monkeypatch.context() as patched:
        patched.setattr(StoredCode.objects, "bulk_create", crash)
        with pytest.raises(RuntimeError, match="worker lost"):
            score_target(job_id=second.pk, target_id=target.pk, backend=_Unused())
    assert _stored(target) == {key: FIRST[key[1]] for key in CODED}
    assert Rating.objects.get(target=target).scoring_job_id == first.pk
    assert ScoringJob.objects.get(pk=second.pk).completed == 0
    assert ScoringTask.objects.get(job=second, target=target).state == "queued"

    score_target(job_id=second.pk, target_id=target.pk, backend=_Unused())  # the task runs again
    assert _stored(target) == {key: SECOND[key[1]] for key in CODED}
    assert StoredCode.objects.filter(rating__target=target).count() == len(CODED)
    assert ScoringJob.objects.get(pk=second.pk).completed == 1


def test_a_submitted_coding_form_is_still_never_changed(coded_study, mi_coding):
    """The replacement is an LLM job's; a form's submitted codes are returned as they are."""
    from ratings.models import Rater

    target = _s1(coded_study)
    human = Rater.objects.create(name="cora", kind=Rater.Kind.HUMAN)
    kept = coding_rating_save(rater=human, target=target, instrument_version=mi_coding,
                              codes=[SegmentCodeInput("u1", "therapist_behaviour", "reflection")], source="form")
    again = coding_rating_save(rater=human, target=target, instrument_version=mi_coding,
                               codes=[SegmentCodeInput("u1", "therapist_behaviour", "question")], source="form")
    assert again.pk == kept.pk and _stored(target) == {("u1", "therapist_behaviour"): "reflection"}


@pytest.fixture(scope="module")
def backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=2048, n_threads=int(os.environ.get("ANCHOR_LLM_THREADS", "2")))


def test_the_coder_reports_each_coded_segment(coded_study, mi_coding, backend):
    from ratings.services.coding_scoring import code_target

    reports = []
    result = code_target(target=_s1(coded_study), version=mi_coding, backend=backend,
                         progress=lambda done, total: reports.append((done, total)))
    # Five segments, four with a code set (u5 is the narrator's): read all, count the four.
    assert reports == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert len(result.codes) == 4


def test_the_job_page_and_api_show_the_segment_being_coded(start_job, coded_study, backend, settings,
                                                           monkeypatch, admin_client):
    """The worker's recorder writes the coder's reports on the task row; the page names segments."""
    settings.ANCHOR_JOB_PROGRESS_SECONDS = 0  # record every segment
    job = start_job()
    target = _s1(coded_study)
    assert scoring_task_claim(job_id=job.pk, target_id=target.pk, worker="w@host:1") is not None
    real = scoring_module.scoring_task_progress_recorder
    seen = {}

    def watched(**kwargs):
        record = real(**kwargs)

        def report(done, total):
            record(done, total)
            if done == 2:
                seen["row"] = ScoringTask.objects.filter(job=job, target=target).values(
                    "items_done", "items_total").get()
                seen["api"] = admin_client.get(f"/api/v1/jobs/{job.pk}/").json()["running"]
                seen["page"] = admin_client.get(f"/jobs/{job.pk}/").content.decode()
        return report

    monkeypatch.setattr(scoring_module, "scoring_task_progress_recorder", watched)
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    assert seen["row"] == {"items_done": 2, "items_total": 4}
    assert [(r["target"], r["items_done"], r["items_total"]) for r in seen["api"]] == [("S1", 2, 4)]
    assert re.search(r"target 1 of 2 \(S1\), segment 3 of 4, running for \d+ s", seen["page"])
    assert ScoringJob.objects.get(pk=job.pk).completed == 1
