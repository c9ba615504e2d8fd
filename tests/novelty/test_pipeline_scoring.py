"""The pipeline through the scoring service with a scripted backend: stages, gates, stored
artefacts, provenance, and idempotency (a redelivered task changes nothing)."""

import json

import pytest

from novelty.models import PipelineArtefact
from novelty.pipeline import NoveltyPipelineError
from novelty.services import literature_import
from ratings.tabular import read_rows
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
    excluded = stages["related_work"].data["excluded"]
    assert excluded["not_earlier"]["ids"] == ["L10"] and excluded["not_earlier"]["count"] == 1
    assert stages["related_work"].data["submission_date"] == "2025"
    assert "L10" not in {p["id"] for p in papers}
    assert papers[0]["abstract"].startswith("We propose a sparse attention transformer")
    comparison = stages["comparison"].data["comparisons"][0]
    assert comparison["anticipated_by"] == ["L03"]  # L10 (not retrieved) and L77 (unknown) dropped
    assert comparison["cited_passages"][0]["id"] == "L03"
    assert "tidal constituents" in comparison["cited_passages"][0]["passage"]
    assert comparison["contradiction"] is None
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
    assert pipeline["gates"]["claims"] == {"name": "claims_gate", "kept": 1, "dropped": 1, "dropped_by_reason": {
        "source sentence not found in the paper": 1}}
    assert pipeline["consistency"]["any"] is False
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


def test_a_paper_whose_every_claim_is_dropped_is_not_rated(job, novelty_study):
    from ratings.tasks import PERMANENT_ERRORS

    target = Target.objects.get(study=novelty_study, external_id="P2")
    with pytest.raises(NoveltyPipelineError, match="every claim was dropped by the claims gate") as caught:
        score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS))
    assert "2 source sentence not found in the paper" in str(caught.value)
    assert isinstance(caught.value, PERMANENT_ERRORS)  # the task records it as the target's failure
    assert not Rating.objects.filter(target=target).exists()  # a missing value, never a default score


def test_a_submission_without_a_date_is_not_rated(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    Target.objects.filter(pk=target.pk).update(metadata={"title": target.metadata["title"]})
    with pytest.raises(NoveltyPipelineError, match="has no `date`"):
        score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS))


TITLE = "TideFormer: sparse attention for week-ahead sea-level forecasting"
DEGENERATE = [
    {"claim": "sparse attention over tidal constituents", "kind": "method", "source_sentence": P1_SENTENCE},
    {"claim": "Sparse attention over tidal constituents.", "kind": "method", "source_sentence": P1_SENTENCE},
    {"claim": "week-ahead forecasting", "kind": "result", "source_sentence": TITLE},
    {"claim": "a moth survey", "kind": "dataset", "source_sentence": P1_SENTENCE},
    {"claim": "attention attention attention", "kind": "method", "source_sentence": P1_SENTENCE},
    {"claim": "", "kind": "method", "source_sentence": P1_SENTENCE},
    {"claim": "halves the error of recurrent networks", "kind": "result",
     "source_sentence": "It forecasts sea levels a week ahead and halves the error of recurrent networks."},
]


def test_degenerate_claims_are_dropped_and_each_distinct_claim_is_compared_once(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    backend = ScriptedBackend(claims=DEGENERATE, comparison=_cite)
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    artefacts = {a.stage: a for a in PipelineArtefact.objects.filter(rating__target=target)}
    gate = artefacts["claims"].gate
    assert [c["claim"] for c in artefacts["claims"].data["claims"]] == [DEGENERATE[0]["claim"], DEGENERATE[6]["claim"]]
    assert (gate["kept"], gate["dropped"]) == (2, 5)
    assert gate["dropped_by_reason"] == {
        "duplicate of a kept claim": 1, "source sentence is the title": 1,
        "claim text shares no content word with its source sentence": 1, "degenerate claim text": 1,
        "empty claim text": 1}
    comparison_prompts = [s for s in backend.schemas if "anticipated_by" in s.get("properties", {})]
    assert len(comparison_prompts) == 2  # once per distinct claim
    assert artefacts["related_work"].data["searches"] == 2
    # The title is not offered as a quote: it names the paper and claims nothing.
    quotes = backend.schemas[0]["properties"]["claims"]["items"]["properties"]["source_sentence"]["enum"]
    assert TITLE not in quotes


def test_contradictions_are_flagged_and_kept_in_the_provenance(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    claims = [DEGENERATE[0], DEGENERATE[6]]
    labels = iter([{"label": "novel", "anticipated_by": ["L03"], "explanation": "L03 did it, yet novel."},
                   {"label": "anticipated", "anticipated_by": [], "explanation": "Anticipated by nothing."}])
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(
        claims=claims, comparison=lambda prompt: next(labels), modes={"conclusion": 3}))
    comparisons = PipelineArtefact.objects.get(rating__target=target, stage="comparison").data["comparisons"]
    assert [c["contradiction"] for c in comparisons] == [
        "labelled novel but cites 1 anticipating paper(s)", "labelled anticipated but cites no paper"]
    consistency = Rating.objects.get(target=target).provenance["pipeline"]["consistency"]
    assert [f["claim_index"] for f in consistency["comparisons_contradicting_citations"]] == [0, 1]
    assert consistency["conclusion"] == "novel" and consistency["conclusion_contradicts_comparisons"] is None
    assert consistency["any"] is True


def test_a_novel_conclusion_over_all_anticipated_comparisons_is_flagged(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(
        claims=[DEGENERATE[0], DEGENERATE[6]], modes={"conclusion": 3},
        comparison=lambda prompt: {"label": "anticipated", "anticipated_by": ["L03"], "explanation": "L03."}))
    consistency = Rating.objects.get(target=target).provenance["pipeline"]["consistency"]
    assert consistency["comparisons_contradicting_citations"] == []
    assert consistency["conclusion_contradicts_comparisons"] == (
        "concluded novel although all 2 comparison(s) say anticipated")
    judgement = PipelineArtefact.objects.get(rating__target=target, stage="judgement")
    assert judgement.data["consistency"] == consistency


def test_the_submission_its_duplicate_and_a_concurrent_paper_are_never_retrieved(job, novelty_study):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    Target.objects.filter(pk=target.pk).update(metadata={**target.metadata, "date": "2025-05-20"})
    literature_import(study=novelty_study, rows=read_rows("\n".join(json.dumps(r) for r in [
        {"id": "P1", "title": TITLE, "abstract": target.text, "date": "2025-05"},
        {"id": "dup-1", "title": "Week-ahead sea levels", "abstract": target.text.replace("halves", "cuts"),
         "date": "2024-01-10"},
        {"id": "conc-1", "title": "Concurrent tidal attention", "date": "2025-05-20",
         "abstract": "A sparse attention transformer attends to the dominant tidal constituents of gauge records."},
        {"id": "early-1", "title": "Earlier tidal attention", "date": "2025-04",
         "abstract": "A sparse attention transformer attends to the dominant tidal constituents of gauge records."},
    ]), "jsonl"))
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=[DEGENERATE[0]]))
    related = PipelineArtefact.objects.get(rating__target=target, stage="related_work").data
    retrieved = {p["id"] for row in related["per_claim"] for p in row["papers"]}
    assert not retrieved & {"P1", "dup-1", "conc-1", "L10"}
    assert "early-1" in retrieved  # a month earlier: prior work
    counts = {reason: row["count"] for reason, row in related["excluded"].items()}
    assert counts == {"same_id": 1, "same_title": 0, "near_duplicate": 1, "not_earlier": 2}
    assert related["excluded"]["not_earlier"]["ids"] == ["L10", "conc-1"]
    assert related["excluded_total"] == 4


def test_artefacts_are_encrypted_at_rest(job, novelty_study):
    from django.db import connection

    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, comparison=_cite))
    with connection.cursor() as cursor:
        cursor.execute("SELECT stage, data, gate FROM novelty_pipelineartefact")
        rows = cursor.fetchall()
    assert len(rows) == 4
    for stage, data, gate in rows:
        assert data.startswith("fernet:") and gate.startswith("fernet:"), stage
        assert "tidal" not in data.lower() and "tidal" not in gate.lower()
    judgement = PipelineArtefact.objects.get(rating__target=target, stage="judgement")
    assert target.text in judgement.data["material"]  # read back through the field


def test_the_index_is_built_once_reused_and_rebuilt_when_the_corpus_changes(novelty_study, settings):
    from pathlib import Path

    from novelty.index_store import cache_clear, corpus_fingerprint, study_corpus

    first = study_corpus(study_id=novelty_study.pk)
    study_dir = Path(settings.ANCHOR_NOVELTY_INDEX_DIR) / f"study-{novelty_study.pk}"
    saved = study_dir / first.fingerprint
    stamp = (saved / "papers.json").stat().st_mtime_ns
    cache_clear()  # a new worker process: loads the saved index, does not rebuild it
    again = study_corpus(study_id=novelty_study.pk)
    assert again.fingerprint == first.fingerprint and (saved / "papers.json").stat().st_mtime_ns == stamp
    assert again.index.ids == first.index.ids
    literature_import(study=novelty_study, rows=read_rows(json.dumps(
        {"id": "L11", "title": "Tidal constituents", "abstract": "Constituents of tides.", "date": "2020"}), "jsonl"))
    changed = study_corpus(study_id=novelty_study.pk)
    assert changed.fingerprint == corpus_fingerprint(study_id=novelty_study.pk) != first.fingerprint
    assert "L11" in changed.index.ids
    assert [p.name for p in study_dir.iterdir()] == [changed.fingerprint]  # the old index is gone


def test_the_managers_scoring_form_lists_pipeline_instruments(novelty_study, novelty_version):
    from ratings.forms import ScoringStartForm
    from ratings.services.studies import study_use_instrument

    study_use_instrument(study=novelty_study, version=novelty_version)
    assert novelty_version in ScoringStartForm(study=novelty_study).fields["instrument"].queryset


def test_deleting_the_material_deletes_the_artefacts_and_keeps_the_rating(job, novelty_study):
    from ratings.services.material_deletion import study_material_delete

    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, comparison=_cite))
    assert PipelineArtefact.objects.filter(rating__target=target).count() == 4

    study_material_delete(study=novelty_study)

    assert not PipelineArtefact.objects.filter(rating__target__study=novelty_study).exists()
    rating = Rating.objects.get(scoring_job=job, target=target)
    assert rating.item_scores.count() == 2  # the scores stay for the report


def test_key_rotation_reencrypts_the_artefacts(job, novelty_study, settings, capsys):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from ratings.encryption import derived_key

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    default = derived_key(settings.SECRET_KEY).decode()  # the fixtures' texts were stored with it
    settings.ANCHOR_ENCRYPTION_KEYS = [old, default]
    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(claims=CLAIMS, comparison=_cite))
    settings.ANCHOR_ENCRYPTION_KEYS = [new, old, default]
    call_command("rotate_encryption_key")
    assert "4 pipeline artefact(s) re-encrypted with the first key, 0 already current" in capsys.readouterr().out
    call_command("rotate_encryption_key")
    assert "0 pipeline artefact(s) re-encrypted with the first key, 4 already current" in capsys.readouterr().out
    settings.ANCHOR_ENCRYPTION_KEYS = [new]  # the old key can go
    assert PipelineArtefact.objects.get(rating__target=target, stage="judgement").data["summary"]
