"""The whole pipeline on the real bundled model (SmolLM2-135M) over the fictional corpus.

One submission with one claim and two papers per claim, because CPU is scarce: what is checked
is structure, grounding and bookkeeping, not the small model's judgement.
"""

import pytest

from novelty.models import PipelineArtefact
from ratings.llm import model_sha256
from ratings.models import Rating, ScoringJob, Target
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start


@pytest.fixture(scope="module")
def real_backend():
    from ratings.llm.llama_cpp_backend import LlamaCppBackend

    return LlamaCppBackend(n_ctx=2048, n_threads=2)


def test_pipeline_on_the_bundled_model(novelty_study, novelty_version, real_backend, settings,
                                       django_capture_on_commit_callbacks):
    settings.ANCHOR_NOVELTY_LIMITS = {"max_claims": 1, "top_k": 2}
    rater = llm_rater_get_or_create(name="llm-smol")
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=novelty_study, version=novelty_version, rater=rater)
    target = Target.objects.get(study=novelty_study, external_id="P1")
    score_target(job_id=job.pk, target_id=target.pk, backend=real_backend)

    rating = Rating.objects.get(scoring_job=job, target=target)
    artefacts = {a.stage: a for a in PipelineArtefact.objects.filter(rating=rating)}
    assert list(artefacts) == ["claims", "related_work", "comparison", "judgement"]
    claims = artefacts["claims"]
    assert claims.gate["kept"] + claims.gate["dropped"] == len(claims.data["generated"]) == 1
    for claim in claims.data["claims"]:  # every kept claim quotes the paper
        assert claim["kind"] in {"method", "problem", "dataset", "result", "analysis"}
        assert claim["source_sentence"] in target.text + target.metadata["title"]
    related = artefacts["related_work"].data
    assert related["excluded_after_submission"] == ["L10"]
    for row in related["per_claim"]:
        assert 1 <= len(row["papers"]) <= 2 and "L10" not in {p["id"] for p in row["papers"]}
    retrieved = {row["claim_index"]: {p["id"] for p in row["papers"]} for row in related["per_claim"]}
    for comparison in artefacts["comparison"].data["comparisons"]:
        assert comparison["label"] in {"novel", "partially anticipated", "anticipated"}
        assert set(comparison["anticipated_by"]) <= retrieved[comparison["claim_index"]]
    assert isinstance(artefacts["judgement"].data["summary"], str)
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
