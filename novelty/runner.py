"""The novelty pipeline as a ratings pipeline runner: reads the target and the study's corpus,
runs the stages, and hands back the judgement scores with a ``store`` that saves the artefacts
inside the rating's transaction (so a redelivered task, which finds the rating stored, never
runs or stores anything twice)."""

from django.conf import settings

from ratings.services.pipelines import PipelineOutcome

from .index_store import study_corpus
from .models import PipelineArtefact
from .pipeline import Limits, PipelineResult, Submission, run_pipeline
from .selectors import pipeline_review

STAGE_CODES = ("claims", "related_work", "comparison", "judgement")


def submission_date(metadata: dict) -> str | None:
    """The submission's date from the target's metadata: ``date`` (YYYY, YYYY-MM or
    YYYY-MM-DD), else ``year``; None when neither is given (the pipeline then refuses)."""
    for key in ("date", "year"):
        text = str(metadata.get(key) or "").strip()
        if text:
            return text
    return None


def submission_from_target(target) -> Submission:
    meta = target.metadata or {}
    return Submission(id=target.external_id, title=str(meta.get("title", "")), abstract=target.text,
                      introduction=str(meta.get("introduction", "")), date=submission_date(meta))


def limits_from_settings() -> Limits:
    """Optional overrides (``ANCHOR_NOVELTY_LIMITS``, a dict of ``Limits`` fields)."""
    return Limits(**getattr(settings, "ANCHOR_NOVELTY_LIMITS", {}))


def artefacts_store(rating, result: PipelineResult) -> None:
    """Replace the rating's artefacts with this run's (called inside the rating's transaction)."""
    PipelineArtefact.objects.filter(rating=rating).delete()
    PipelineArtefact.objects.bulk_create(
        PipelineArtefact(rating=rating, stage=s.stage, position=i, data=s.data,
                         tokens_evaluated=s.tokens_evaluated, gate=s.gate)
        for i, s in enumerate(result.stages))


class NoveltyRunner:
    name = "novelty"
    review_template = "novelty/_pipeline_review.html"

    def handles(self, spec) -> bool:
        return spec.kind == "pipeline" and tuple(s.code for s in spec.stages) == STAGE_CODES

    def run(self, *, target, version, backend) -> PipelineOutcome:
        corpus = study_corpus(study_id=target.study_id)
        result = run_pipeline(spec=version.spec, submission=submission_from_target(target), corpus=corpus,
                              backend=backend, limits=limits_from_settings())
        return PipelineOutcome(rating=result.rating, provenance=result.provenance(),
                               store=lambda rating: artefacts_store(rating, result))

    def review_context(self, *, target, version) -> dict | None:
        return pipeline_review(target=target, version=version)
