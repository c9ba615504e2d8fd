"""The pipeline through the scoring service with a scripted backend: stages, gates, stored
artefacts, provenance, and idempotency (a redelivered task changes nothing)."""

import pytest

from novelty.models import PipelineArtefact
from ratings.models import Rating, ScoringJob, Target
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start

from .fakes import ScriptedBackend

P1_SENTENCE = "The model attends only to the dominant tidal constituents of the gauge record."
CLAIMS = [
    {"claim": "attention over tidal constituents", "kind": "method", "source_sentence": P1_SENTENCE},
    {"claim": "a global gauge dataset", "kind": "dataset", "source_sentence": "We release every gauge on Earth."},
]


def _cite(prompt):
    return {"label": "anticipated", "anticipated_by": ["L03", "L10", "L77"], "explanation": "L03 did it."}


@pytest.fixture
def job(novelty_study, novelty_version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return scoring_job_start(study=novelty_study, version=novelty_version,
                                 rater=llm_rater_get_or_create(name="llm-novelty"))


def test_one_target_through_every_stage(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    backend = ScriptedBackend(claims=CLAIMS, comparison=_cite)
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)

    rating = Rating.objects.get(scoring_job=job, target=target)
    stages = {a.stage: a for a in PipelineArtefact.objects.filter(rating=rating)}
    assert list(stages) == ["claims", "related_work", "comparison", "judgement"]
    claims = stages["claims"]
    assert [c["claim"] for c in claims.data["claims"]] == ["attention over tidal constituents"]
    assert (claims.gate["kept"], claims.gate["dropped"]) == (1, 1)
    papers = stages["related_work"].data["per_claim"][0]["papers"]
    assert papers[0]["id"] == "L03" and papers[0]["score"] > 0
    assert stages["related_work"].data["excluded_after_submission"] == ["L10"]
    assert "L10" not in {p["id"] for p in papers}
    comparison = stages["comparison"].data["comparisons"][0]
    assert comparison["anticipated_by"] == ["L03"]  # L10 (not retrieved) and L77 (unknown) dropped
    assert (stages["comparison"].gate["kept"], stages["comparison"].gate["dropped"]) == (1, 2)
    assert stages["judgement"].data["summary"] == "A summary citing L03."
    assert "L03" in stages["judgement"].data["material"]

    # The schema offers only the retrieved ids and the paper's own sentences to cite.
    comparison_schema = backend.schemas[1]
    assert comparison_schema["properties"]["anticipated_by"]["items"]["enum"] == [p["id"] for p in papers]
    quotes = backend.schemas[0]["properties"]["claims"]["items"]["properties"]["source_sentence"]["enum"]
    assert P1_SENTENCE in quotes

    scores = {s.item.code: s for s in rating.item_scores.select_related("item")}
    assert set(scores) == {"novelty", "conclusion"}  # reasoning_aligned is for humans only
    assert 1 <= scores["novelty"].expected_score <= 5 and scores["conclusion"].score in (1, 2, 3)
    pipeline = rating.provenance["pipeline"]
    assert pipeline["gates"]["claims"] == {"name": "source_sentence_in_input", "kept": 1, "dropped": 1}
    assert rating.provenance["tokens_evaluated"] == sum(a.tokens_evaluated for a in stages.values())
    assert rating.provenance["instrument_version_hash"] == job.instrument_version.content_hash


def test_redelivery_changes_nothing(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, comparison=_cite))
    before = list(PipelineArtefact.objects.order_by("pk").values_list("pk", "stage", "data"))
    again = ScriptedBackend(claims=CLAIMS, comparison=_cite)
    score_target(job_id=job.pk, target_id=target.pk, backend=again)
    assert again.prompts == [] and again.calls == []  # the model is not called twice
    assert list(PipelineArtefact.objects.order_by("pk").values_list("pk", "stage", "data")) == before
    assert ScoringJob.objects.get(pk=job.pk).completed == 1


def test_crash_between_run_and_store_loses_nothing(job, novelty_study, monkeypatch):
    from novelty import runner

    target = Target.objects.get(study=novelty_study, external_id="P1")

    def crash(rating, result):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(runner, "artefacts_store", crash)
    with pytest.raises(RuntimeError):
        score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS))
    assert not Rating.objects.filter(target=target).exists()  # rating and artefacts: one transaction
    monkeypatch.undo()
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS))
    assert PipelineArtefact.objects.filter(rating__target=target).count() == 4


def test_a_later_job_replaces_the_artefacts(job, novelty_study, novelty_version, django_capture_on_commit_callbacks):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, summary="first"))
    with django_capture_on_commit_callbacks(execute=False):
        later = scoring_job_start(study=novelty_study, version=novelty_version, rater=job.rater)
    score_target(job_id=later.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, summary="second"))
    judgement = PipelineArtefact.objects.get(rating__target=target, stage="judgement")
    assert judgement.data["summary"] == "second"
    assert PipelineArtefact.objects.filter(rating__target=target).count() == 4


def test_no_claim_passes_the_gate(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P2")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS))
    artefacts = {a.stage: a for a in PipelineArtefact.objects.filter(rating__target=target)}
    assert artefacts["claims"].gate["dropped"] == 2 and artefacts["claims"].data["claims"] == []
    assert artefacts["comparison"].data["comparisons"] == []
    assert "(no claim passed the gate)" in artefacts["judgement"].data["material"]


def test_deleting_the_material_deletes_the_artefacts_and_keeps_the_rating(job, novelty_study):
    from ratings.services.material_deletion import study_material_delete

    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, comparison=_cite))
    assert PipelineArtefact.objects.filter(rating__target=target).count() == 4

    study_material_delete(study=novelty_study)

    assert not PipelineArtefact.objects.filter(rating__target__study=novelty_study).exists()
    rating = Rating.objects.get(scoring_job=job, target=target)
    assert rating.item_scores.count() == 2  # the scores stay for the report
