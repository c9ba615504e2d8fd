"""k targets for human rating, chosen by LLM uncertainty, with every inclusion probability kept.

The candidates are the targets an LLM rater scored that no human has rated yet; each gets a
probability that grows with the LLM's uncertainty (the variance of its stored distributions,
summed over items), the targets are drawn independently with those probabilities, and every
drawn target is assigned to each chosen human rater. The plan stores every candidate's
probability (already human-rated targets with 1), so the report can weight the human ratings
by 1/probability and the prediction-powered estimates stay valid.
"""

from collections import defaultdict

from django.db import transaction

from audit.actor import Actor
from audit.services import audit_record
from instruments.models import InstrumentVersion
from psychometrics.stand_in import distribution_uncertainty, plan_sampling
from ratings.models import Assignment, ItemScore, Rater, Rating, SamplingPlan, Study


class SamplingPlanError(ValueError):
    """The plan cannot be made (no distributions, a budget larger than the candidates)."""


def _uncertainties(*, study: Study, version: InstrumentVersion, llm_rater: Rater) -> dict[int, float]:
    """Target pk -> sum over items of the variance of the LLM's distribution."""
    total: dict[int, float] = defaultdict(float)
    rows = (ItemScore.objects.filter(rating__target__study=study, rating__instrument_version=version,
                                     rating__rater=llm_rater, rating__status=Rating.Status.SUBMITTED,
                                     distribution__isnull=False)
            .values_list("rating__target_id", "distribution"))
    for target_id, distribution in rows:
        value = distribution_uncertainty(distribution)
        if value == value:  # not NaN
            total[target_id] += value
    return dict(total)


@transaction.atomic
def sampling_plan_create(*, study: Study, version: InstrumentVersion, llm_rater: Rater,
                         human_raters: list[Rater], budget: int, mix: float = 0.3, seed: int = 0,
                         created_by=None, actor: Actor | None = None) -> SamplingPlan:
    """Draw about ``budget`` targets (Poisson sampling: ``budget`` on average) and assign each to
    every rater in ``human_raters``; returns the stored plan. Existing assignments are kept and
    get the target's probability."""
    if not human_raters:
        raise SamplingPlanError("choose at least one human rater to rate the drawn targets")
    uncertainty = _uncertainties(study=study, version=version, llm_rater=llm_rater)
    if not uncertainty:
        raise SamplingPlanError(f"{llm_rater.name} stored no score distributions for this instrument in "
                                "this study, so its uncertainty is unknown")
    human_rated = set(Rating.objects.filter(target__study=study, instrument_version=version,
                                            rater__kind=Rater.Kind.HUMAN, status=Rating.Status.SUBMITTED)
                      .values_list("target_id", flat=True))
    scored = dict(Rating.objects.filter(target__study=study, instrument_version=version, rater=llm_rater,
                                        status=Rating.Status.SUBMITTED)
                  .values_list("target_id", "target__external_id"))
    candidates = sorted(t for t in scored if t not in human_rated)
    if not 1 <= budget <= len(candidates):
        raise SamplingPlanError(f"the number of targets must be between 1 and the {len(candidates)} targets "
                                f"{llm_rater.name} scored that no human has rated")
    plan = plan_sampling([uncertainty.get(t, float("nan")) for t in candidates], budget, seed=seed, mix=mix)
    probabilities = {scored[t]: 1.0 for t in scored if t in human_rated}
    probabilities.update({scored[t]: p for t, p in zip(candidates, plan.probabilities, strict=True)})
    drawn = [candidates[i] for i in plan.selected]
    record = SamplingPlan(study=study, instrument_version=version, llm_rater=llm_rater, budget=budget,
                          mix=mix, seed=seed, probabilities=probabilities,
                          selected=[scored[t] for t in drawn], method=plan.method, created_by=created_by)
    record.full_clean()
    record.save()
    chance = dict(zip(candidates, plan.probabilities, strict=True))
    existing = {(a.rater_id, a.target_id): a for a in Assignment.objects.filter(
        instrument_version=version, target_id__in=drawn, rater__in=human_raters)}
    new = []
    for target_id in drawn:
        for rater in human_raters:
            current = existing.get((rater.pk, target_id))
            if current is None:
                new.append(Assignment(rater=rater, target_id=target_id, instrument_version=version,
                                      inclusion_probability=chance[target_id]))
            else:
                current.inclusion_probability = chance[target_id]
                current.save(update_fields=["inclusion_probability"])
    Assignment.objects.bulk_create(new)
    if actor is not None:  # in the same transaction as the plan and its assignments
        audit_record(actor=actor, action="create", object_type="sampling_plan", object_id=record.pk, study=study,
                     detail={"budget": budget, "drawn": len(record.selected)})
    return record
