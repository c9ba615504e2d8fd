"""Reads of the novelty app: the corpus as retrieval records, and what a reviewer is shown."""

from ratings.models import Rating

from .models import LiteraturePaper, PipelineArtefact


def pipeline_review(*, target, version) -> dict | None:
    """The latest pipeline run on ``target`` with ``version``, for a human reviewer.

    Claims (kind, source sentence), the papers retrieved per claim with scores, each claim's
    comparison label and cited ids, and the judgement summary; never the LLM's item scores
    (they live on the rating's item scores, which this does not read). None if no run exists.
    """
    rating = (Rating.objects.filter(target=target, instrument_version=version, source=Rating.Source.LLM,
                                    pipeline_artefacts__isnull=False)
              .order_by("-submitted_at", "-pk").first())
    if rating is None:
        return None
    stages = {a.stage: a for a in PipelineArtefact.objects.filter(rating=rating)}
    if set(stages) != {"claims", "related_work", "comparison", "judgement"}:
        return None
    papers = {row["claim_index"]: row["papers"] for row in stages["related_work"].data["per_claim"]}
    comparisons = {row["claim_index"]: row for row in stages["comparison"].data["comparisons"]}
    claims = [{**claim, "papers": papers.get(claim["index"], []), "comparison": comparisons.get(claim["index"], {})}
              for claim in stages["claims"].data["claims"]]
    related = stages["related_work"].data
    return {"claims": claims, "summary": stages["judgement"].data.get("summary", ""),
            "claims_gate": stages["claims"].gate, "citations_gate": stages["comparison"].gate,
            "excluded": [{"reason": reason, **row} for reason, row in related.get("excluded", {}).items()
                         if row.get("count")],
            "submission_date": related.get("submission_date"),
            "consistency": stages["judgement"].data.get("consistency", {})}


def artefacts_for_job(*, job):
    """The ratings of ``job`` that have stage artefacts, in target order (the caller has scoped
    the job to its user; ``artefacts_of`` reads each one's stages)."""
    ids = PipelineArtefact.objects.filter(rating__scoring_job=job).values("rating_id")
    return (Rating.objects.filter(pk__in=ids).select_related("target", "rater", "instrument_version__instrument")
            .order_by("target__external_id"))


def artefacts_of(rating) -> list:
    return list(PipelineArtefact.objects.filter(rating=rating).order_by("position"))


def literature_for_study(*, study):
    """The study's corpus (the caller has already scoped the study to its user)."""
    return LiteraturePaper.objects.filter(study=study).order_by("external_id")
