"""A study rated on a simulated 40-item pool through the LLM scoring path.

`SimulatedPoolBackend` stands in for the model: its distribution for each item puts nearly
all mass on the value `simulate_pool` drew for that target, so the ratings stored by the real
scoring service have a known structure (the first 8 items load .7-.8 on a factor that
correlates .5 with the criterion; 32 noise items; 300 sessions nested in 60 patients).
"""

import pytest

from instruments.services import instrument_publish
from psychometrics.scale_development.simulate import simulate_pool
from ratings.llm import ItemScore, TargetRating
from ratings.models import Study
from ratings.services import study_get_or_create, targets_import
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
from ratings.tabular import read_rows
from tests.ratings.fake_llm import FakeBackend

N_ITEMS, N_TRUE = 40, 8
POOL_REVERSED = "item_08"     # reverse-worded and marked `reverse: true` in the pool
UNMARKED_REVERSED = "item_07"  # reverse-worded but not marked: the rule must key it


def pool_document(n_items: int = N_ITEMS, slug: str = "engagement-pool") -> dict:
    return {
        "slug": slug, "title": "Engagement item pool", "version": "1.0.0", "kind": "scale", "pool": True,
        "description": "Candidate engagement items.", "material": "session transcript",
        "scales": {"extent5": {"level": "ordinal", "points": [
            {"value": v, "label": label} for v, label in
            enumerate(["Not at all", "Slightly", "Moderately", "Considerably", "Very much"], start=1)]}},
        "default_scale": "extent5",
        "items": [{"code": f"item_{i + 1:02d}", "text": f"Candidate statement {i + 1}.",
                   **({"reverse": True} if f"item_{i + 1:02d}" == POOL_REVERSED else {})}
                  for i in range(n_items)],
    }


class SimulatedPoolBackend(FakeBackend):
    """Scores each target with the values simulated for it (by its text)."""

    def __init__(self, values: dict[str, dict[str, float]]):
        super().__init__()
        self.values = values

    def rate(self, request, *, progress=None) -> TargetRating:
        self.calls.append(request.material)
        row = self.values[request.material]
        items = []
        for item in request.items:
            value = int(row[item.code])
            distribution = {v: (0.96 if v == value else 0.01) for v in item.scale.values}
            items.append(ItemScore(code=item.code, distribution=distribution,
                                   expected=sum(v * p for v, p in distribution.items()), mode=value,
                                   label_mass=0.95, tokens_evaluated=3))
        return TargetRating(items=tuple(items), windows=(), tokens_evaluated=10, material_tokens=5,
                            provenance=self.provenance())


@pytest.fixture
def pool_study(db, django_capture_on_commit_callbacks):
    """(study, pool version, true item codes): 300 sessions of 60 patients, LLM-rated on the pool."""
    items, criteria, clusters, true = simulate_pool(n_targets=300, n_clusters=60, n_items=N_ITEMS,
                                                    n_true=N_TRUE, n_reversed=2, points=5, seed=4)
    version = instrument_publish(document=pool_document()).version
    study, _ = study_get_or_create(slug="pool-study")
    lines = ["id,text,patient,criterion:motivation"]
    values = {}
    for i in range(len(items)):
        text = f"Session {i:03d} transcript."
        values[text] = items.iloc[i].to_dict()
        lines.append(f"S{i:03d},{text},{clusters[i]},{float(criteria['criterion'].iloc[i])!r}")
    targets_import(study=study, rows=read_rows("\n".join(lines) + "\n", "csv"), fmt="csv")
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-pool"))
    backend = SimulatedPoolBackend(values)
    for target in study.targets.order_by("pk"):
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    return Study.objects.get(pk=study.pk), version, true
