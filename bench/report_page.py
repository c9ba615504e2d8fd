"""The report page: a cached view against computing the report, and a report over many raters.

    python bench/report_page.py [--quick]

Sets up a throwaway SQLite database under a temporary folder. Part 1 (page): the demo study
(14 targets, two human raters) plus an LLM rater with distributions; the first request to the
report page computes the report and renders its page (tables and plots) once; later requests
serve the cached page. The ratio is a cached view's time over the first request's; the page's
size and its number of plots are printed. Part 2 (many raters): a one-way study with 1,000
human raters, 3 ratings per target (1,000 targets; ``--quick``: 300 raters and targets) and one
LLM rater; the seconds of ``study_report`` and of rendering its page, and the vectorised scale
scores against the per-rating loop they replace (same numbers, max difference printed). The
machine may be shared: the report's CPU seconds are printed beside its wall-clock seconds.
The last line is one JSON object.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def setup() -> None:
    var = Path(tempfile.mkdtemp(prefix="anchor-bench-report-"))
    os.environ.update(ANCHOR_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="config.settings", ALLOWED_HOSTS="testserver")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_instrument", "--builtin", verbosity=0)


def add_llm(study, version, name: str, rng) -> None:
    """An LLM rater with an expected score and a distribution for every item of every target."""
    from ratings.models import ItemScore, Rater, Rating

    rater = Rater.objects.create(name=name, kind=Rater.Kind.LLM, model_path="bench.gguf", model_sha256="0" * 64)
    items = list(version.items.all())
    targets = list(study.targets.all())
    ratings = Rating.objects.bulk_create(Rating(rater=rater, target=t, instrument_version=version,
                                                source=Rating.Source.LLM) for t in targets)
    scores = []
    for rating in ratings:
        for item in items:
            p = rng.dirichlet(np.ones(5))
            expected = float(p @ np.arange(1, 6))
            scores.append(ItemScore(rating=rating, item=item, score=float(np.argmax(p) + 1), expected_score=expected,
                                    distribution={str(v): float(q) for v, q in zip(range(1, 6), p)}))
    ItemScore.objects.bulk_create(scores, batch_size=2000)


def page_part(repeats: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from instruments.selectors import instrument_version_get
    from ratings.models import Study
    from ratings.services.demo import DEMO_INSTRUMENT, DEMO_STUDY, demo_setup

    demo_setup()
    study = Study.objects.get(slug=DEMO_STUDY)
    version = instrument_version_get(reference=DEMO_INSTRUMENT)
    add_llm(study, version, "llm-bench", np.random.default_rng(1))
    user = get_user_model().objects.create_user(username="bench", password="x" * 16, is_staff=True)
    client = Client()
    client.force_login(user)
    url = f"/studies/{study.slug}/report/"
    start = time.perf_counter()
    first = client.get(url)
    computed = time.perf_counter() - start
    assert first.status_code == 200, first.status_code
    cached = []
    for _ in range(repeats):
        start = time.perf_counter()
        again = client.get(url)
        cached.append(time.perf_counter() - start)
        assert again.status_code == 200
    return {"first_view_s": computed, "cached_view_s": statistics.median(cached),
            "cached_over_first": statistics.median(cached) / computed,
            "page_bytes": len(first.content), "plots": first.content.count(b"<svg")}


def many_raters_part(n_raters: int) -> dict:
    from instruments.selectors import instrument_version_get
    from ratings.models import ItemScore, Rater, Rating
    from ratings.services import study_get_or_create, study_use_instrument, targets_import
    from ratings.tabular import Row
    from reports import frames
    from reports.build import study_report
    from reports.render import render_html

    rng = np.random.default_rng(7)
    version = instrument_version_get(reference="therapy-engagement")
    study, _ = study_get_or_create(slug="many-raters")
    study_use_instrument(study=study, version=version)
    n_targets = n_raters
    targets_import(study=study, fmt="jsonl", rows=[Row(i + 1, {"id": f"T{i:05d}", "text": f"session {i}",
                                                              "criteria": {"outcome": float(rng.normal())}})
                                                   for i in range(n_targets)])
    raters = Rater.objects.bulk_create(Rater(name=f"r{j:05d}", kind=Rater.Kind.HUMAN) for j in range(n_raters))
    targets = list(study.targets.order_by("external_id"))
    items = list(version.items.all())
    truth = rng.normal(size=n_targets)
    ratings, values = [], []
    for i, target in enumerate(targets):  # rater j rates targets j, j+1, j+2: 3 per target, 3 per rater
        for step in range(3):
            ratings.append(Rating(rater=raters[(i - step) % n_raters], target=target, instrument_version=version,
                                  source=Rating.Source.IMPORT))
            values.append(np.clip(np.rint(3 + truth[i] + rng.normal(0, 0.9, len(items))), 1, 5))
    ratings = Rating.objects.bulk_create(ratings, batch_size=2000)
    ItemScore.objects.bulk_create((ItemScore(rating=r, item=item, score=float(v[k]))
                                   for r, v in zip(ratings, values) for k, item in enumerate(items)), batch_size=5000)
    add_llm(study, version, "llm-many", rng)

    start, cpu = time.perf_counter(), time.process_time()
    report = study_report(study, instrument_version=version, n_boot=200)
    report_s, report_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    html = render_html(report)
    render_s = time.perf_counter() - start

    item_frame = frames.item_scores_frame(study, instrument_version=version)
    start = time.perf_counter()
    fast = frames.scale_scores_frame(item_frame, spec=version.spec)
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    slow = frames.scale_scores_frame_reference(item_frame, spec=version.spec)
    slow_s = time.perf_counter() - start
    diff = float(np.nanmax(np.abs(fast["score"].to_numpy() - slow["score"].to_numpy())))
    return {"raters": n_raters, "targets": n_targets, "human_ratings": len(ratings),
            "item_scores": ItemScore.objects.filter(rating__target__study=study).count(),
            "design": report["rating_design"]["design"], "report_s": report_s, "report_cpu_s": report_cpu_s, "render_s": render_s,
            "json_bytes": len(json.dumps(report)), "page_bytes": len(html),
            "scale_scores_vectorised_s": fast_s, "scale_scores_loop_s": slow_s,
            "scale_scores_speedup": slow_s / fast_s, "scale_scores_max_diff": diff}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="300 raters instead of 1,000; 3 cached views")
    args = parser.parse_args()
    setup()
    page = page_part(3 if args.quick else 10)
    print(f"report page: first view (computes) {page['first_view_s']:.2f} s, cached view "
          f"{page['cached_view_s'] * 1000:.0f} ms (ratio {page['cached_over_first']:.4f}); "
          f"{page['page_bytes'] / 1024:.0f} KiB, {page['plots']} plots")
    many = many_raters_part(300 if args.quick else 1000)
    print(f"many raters: {many['raters']} raters, {many['targets']} targets, {many['human_ratings']} human ratings "
          f"({many['design']}): report {many['report_s']:.2f} s (CPU {many['report_cpu_s']:.2f} s), page render {many['render_s']:.2f} s, "
          f"JSON {many['json_bytes'] / 1e6:.2f} MB, page {many['page_bytes'] / 1024:.0f} KiB")
    print(f"scale scores: vectorised {many['scale_scores_vectorised_s']:.3f} s, per-rating loop "
          f"{many['scale_scores_loop_s']:.3f} s ({many['scale_scores_speedup']:.1f}x), max difference "
          f"{many['scale_scores_max_diff']:.1e}")
    print(json.dumps({"quick": args.quick, "page": page, "many_raters": many}))


if __name__ == "__main__":
    main()
