"""A synthetic study with known truth for the stand-in section: targets in clusters (patients),
human raters with noise, LLM raters with a bias and noise, and one imported outside judge
(a ``kind="llm"`` rater whose ratings are ``source="import"``, as issue 14b imports them).

Used by the tests and by ``bench/stand_in.py --section``; bulk-creates rows, so 1,000 targets
take seconds.
"""

import numpy as np

from instruments.selectors import instrument_version_get
from ratings.models import ItemScore, Rater, Rating, Study, Target
from ratings.services.demo import DEMO_INSTRUMENT, demo_setup


def _distribution(center: np.ndarray, spread: float) -> list[dict]:
    points = np.arange(1, 6)
    logits = -((points[None, :] - center[:, None]) ** 2) / (2 * spread ** 2)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return [{str(k): float(v) for k, v in zip(points, row, strict=True)} for row in p]


def synthetic_study(*, slug="stand-in-synthetic", n_targets=120, n_humans=3, n_llms=2, human_share=1.0,
                    seed=0, imported_judge=True) -> tuple[Study, object]:
    """Return (study, instrument version). Humans rate a random ``human_share`` of targets;
    every LLM rater rates every target; the last LLM rater is an imported judge when asked."""
    demo_setup()
    version = instrument_version_get(reference=DEMO_INSTRUMENT)
    rng = np.random.default_rng(seed)
    study = Study.objects.create(slug=slug, title="Synthetic stand-in study")
    study.instrument_versions.add(version)
    clusters = np.arange(n_targets) // 4
    latent = rng.normal(0, 0.6, size=clusters.max() + 1)[clusters] + rng.normal(0, 0.8, size=n_targets)
    targets = Target.objects.bulk_create([
        Target(study=study, external_id=f"T{i:04d}", text=f"Synthetic session {i}.",
               metadata={"patient": f"P{clusters[i]:03d}"},
               criteria={"outcome": float(0.5 * latent[i] + rng.normal(0, 0.8))})
        for i in range(n_targets)])
    items = list(version.items.order_by("position"))
    rated = rng.random(n_targets) < human_share
    raters = [Rater.objects.create(name=f"{slug}-human-{j}", kind=Rater.Kind.HUMAN) for j in range(n_humans)]
    llms = [Rater.objects.create(name=f"{slug}-llm-{j}", kind=Rater.Kind.LLM) for j in range(n_llms)]
    ratings, scores = [], []
    for rater in raters:
        for i in np.flatnonzero(rated):
            ratings.append(Rating(rater=rater, target=targets[i], instrument_version=version,
                                  source=Rating.Source.IMPORT))
    for j, rater in enumerate(llms):
        imported = imported_judge and j == n_llms - 1
        for target in targets:
            ratings.append(Rating(rater=rater, target=target, instrument_version=version,
                                  source=Rating.Source.IMPORT if imported else Rating.Source.LLM,
                                  provenance={"imported": True, "file_name": "judge.csv", "file_sha256": "0" * 64,
                                              "model": "outside-judge"} if imported else {}))
    Rating.objects.bulk_create(ratings)
    by_key = {(r.rater_id, r.target_id): r for r in Rating.objects.filter(target__study=study)}
    for item in items:
        sign = -1 if item.reverse else 1
        base = 3 + sign * latent
        for rater in raters:
            answers = np.clip(np.rint(base + rng.normal(0, 0.6, size=n_targets)), 1, 5)
            for i in np.flatnonzero(rated):
                scores.append(ItemScore(rating=by_key[(rater.pk, targets[i].pk)], item=item, score=float(answers[i])))
        for j, rater in enumerate(llms):
            center = np.clip(base + 0.4 + rng.normal(0, 0.4 + 0.5 * j, size=n_targets), 1, 5)
            dists = _distribution(center, 0.6 + 0.2 * rng.random())
            for i, target in enumerate(targets):
                dist = dists[i]
                expected = sum(int(k) * p for k, p in dist.items())
                imported = imported_judge and j == n_llms - 1
                scores.append(ItemScore(rating=by_key[(rater.pk, target.pk)], item=item,
                                        score=float(round(expected) if imported else max(dist, key=dist.get)),
                                        expected_score=float(expected),
                                        distribution=None if imported else dist))
    ItemScore.objects.bulk_create(scores, batch_size=5000)
    return study, version
