"""The whole pipeline on the real bundled model (SmolLM2-135M) over the fictional corpus.

One submission with one claim and two papers per claim, because CPU is scarce: what is checked
is structure, grounding and bookkeeping, not the small model's judgement.
"""

import os

import pytest

from novelty.models import PipelineArtefact
from novelty.pipeline import NoveltyPipelineError
from ratings.llm import model_sha256
from ratings.models import Rating, ScoringJob, Target
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start


@pytest.fixture(scope="module")
def real_backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=2048, n_threads=int(os.environ.get("ANCHOR_LLM_THREADS", "2")))


class ScriptedClaims:
    """The real model for every stage but the claims, which are scripted (one good claim), so
    the later stages run on the real model even when its own claims fail the gate."""

    def __init__(self, real, claims):
        self.real, self.claims = real, claims

    def __getattr__(self, name):
        return getattr(self.real, name)

    def generate_structured(self, *, schema, **kwargs):
        if "claims" in schema.get("properties", {}):
            from ratings.llm import StructuredResult
            return StructuredResult(value={"claims": self.claims}, text="", tokens_evaluated=1,
                                    provenance=self.real.provenance())
        return self.real.generate_structured(schema=schema, **kwargs)


@pytest.fixture
def job(novelty_study, novelty_version, settings, django_capture_on_commit_callbacks):
    settings.ANCHOR_NOVELTY_LIMITS = {"max_claims": 1, "top_k": 2}
    with django_capture_on_commit_callbacks(execute=False):
        return scoring_job_start(study=novelty_study, version=novelty_version,
                                 rater=llm_rater_get_or_create(name="llm-smol"))


def test_the_bundled_models_own_claims_go_through_the_gate(job, novelty_study, real_backend):
    """SmolLM2-135M's claims are mostly noise ("CaiM", "1.1.1.1"): the gate must catch them and the
    paper then fails with the reason; a claim that passes goes through every stage."""
    target = Target.objects.get(study=novelty_study, external_id="P1")
    try:
        score_target(job_id=job.pk, target_id=target.pk, backend=real_backend)
    except NoveltyPipelineError as exc:  # noqa: PT017 - either outcome is checked
        assert "every claim was dropped by the claims gate (1 of 1 generated" in str(exc)
        assert not Rating.objects.filter(target=target).exists()
    else:
        _check_stored(job, target, real_backend)


def test_every_later_stage_on_the_bundled_model(job, novelty_study, novelty_version, real_backend):
    target = Target.objects.get(study=novelty_study, external_id="P1")
    backend = ScriptedClaims(real_backend, [{
        "claim": "sparse attention over the dominant tidal constituents", "kind": "method",
        "source_sentence": "The model attends only to the dominant tidal constituents of the gauge record."}])
    score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    _check_stored(job, target, real_backend)


def _check_stored(job, target, real_backend):
    novelty_version = job.instrument_version
    rating = Rating.objects.get(scoring_job=job, target=target)
    artefacts = {a.stage: a for a in PipelineArtefact.objects.filter(rating=rating)}
    assert list(artefacts) == ["claims", "related_work", "comparison", "judgement"]
    claims = artefacts["claims"]
    assert claims.gate["kept"] + claims.gate["dropped"] == len(claims.data["generated"]) == 1
    for claim in claims.data["claims"]:  # every kept claim quotes the abstract, never the title
        assert claim["kind"] in {"method", "problem", "dataset", "result", "analysis"}
        assert claim["source_sentence"] in target.text
    related = artefacts["related_work"].data
    assert related["excluded"]["not_earlier"]["ids"] == ["L10"]
    for row in related["per_claim"]:
        assert 1 <= len(row["papers"]) <= 2 and "L10" not in {p["id"] for p in row["papers"]}
    retrieved = {row["claim_index"]: {p["id"] for p in row["papers"]} for row in related["per_claim"]}
    for comparison in artefacts["comparison"].data["comparisons"]:
        assert comparison["label"] in {"novel", "partially anticipated", "anticipated"}
        assert set(comparison["anticipated_by"]) <= retrieved[comparison["claim_index"]]
    assert isinstance(artefacts["judgement"].data["summary"], str)
    consistency = artefacts["judgement"].data["consistency"]
    assert consistency == rating.provenance["pipeline"]["consistency"]
    assert consistency["conclusion"] in {"not novel", "incremental", "novel"}
    assert all(a.tokens_evaluated > 0 for s, a in artefacts.items() if s != "related_work")

    scores = {s.item.code: s for s in rating.item_scores.select_related("item")}
    assert set(scores) == {"novelty", "conclusion"}
    assert 1 <= scores["novelty"].expected_score <= 5 and scores["novelty"].score in {1, 2, 3, 4, 5}
    assert scores["conclusion"].score in {1, 2, 3}
    assert sum(scores["novelty"].distribution.values()) == pytest.approx(1.0, abs=1e-6)
    provenance = rating.provenance
    assert provenance["model_sha256"] == model_sha256(real_backend.model.settings.path)
    assert provenance["instrument_version_hash"] == novelty_version.content_hash
    assert provenance["tokens_evaluated"] == sum(a.tokens_evaluated for a in artefacts.values())
    assert provenance["pipeline"]["tokens_by_stage"]["claims"] == claims.tokens_evaluated

    # Redelivery: nothing runs, nothing changes.
    before = [(a.pk, a.data) for a in PipelineArtefact.objects.filter(rating=rating).order_by("pk")]
    score_target(job_id=job.pk, target_id=target.pk, backend=real_backend)
    assert [(a.pk, a.data) for a in PipelineArtefact.objects.filter(rating=rating).order_by("pk")] == before
    assert ScoringJob.objects.get(pk=job.pk).completed == 1
