"""The report of a study with many raters, against the same ratings from a few raters.

    python bench/report_raters.py [--quick] [--profile N]

Sets up a throwaway SQLite database under a temporary folder and builds two studies through the
real import path (`targets_import` and `ratings_import` on CSV text, as `manage.py
import_ratings` does) on the built-in therapy-engagement instrument (10 items, three subscales
and a total): 1,000 targets (``--quick``: 300), each rated by 3 humans, one common factor plus
noise, and one imported LLM judge with non-integer scores. The studies differ only in who gave
the ratings: in the *many-raters* study rater j rates targets j, j+1, j+2 (1,000 raters, 3
ratings each: peer-review style, undeclared design, inferred one-way); in the *baseline* study
the same scores come from a pool of 10 raters. The many-raters report's seconds are printed
with their ratio to the baseline's, measured in the same run (the machine may be shared; CPU
seconds beside wall-clock, and their ratio). A report that grows with the ratings, not with the square of the
raters, has a ratio near 1. ``--profile N`` prints the N most expensive functions (cProfile,
cumulative) of the many-raters report. The last line is one JSON object.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ITEM_NOISE_SD = 0.9


def setup() -> None:
    var = Path(tempfile.mkdtemp(prefix="anchor-bench-raters-"))
    os.environ.update(ANCHOR_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="config.settings")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_instrument", "--builtin", verbosity=0)


def build_study(slug: str, n_targets: int, rater_of) -> tuple[object, object, float]:
    """A study of ``n_targets`` targets, 3 human ratings each (``rater_of(target, step)`` names
    the rater), and one imported LLM judge; seconds spent importing."""
    from instruments.selectors import instrument_version_get
    from ratings.services import ratings_import, study_get_or_create, study_use_instrument, targets_import
    from ratings.tabular import read_rows

    rng = np.random.default_rng(7)  # same seed: both studies get the same scores
    version = instrument_version_get(reference="therapy-engagement")
    items = [item.code for item in version.spec.items]
    study, _ = study_get_or_create(slug=slug)
    study_use_instrument(study=study, version=version)
    truth = rng.normal(size=n_targets)
    start = time.perf_counter()
    targets = "id,text,outcome\n" + "".join(f"T{i:05d},session {i},{truth[i] + rng.normal():.4f}\n"
                                           for i in range(n_targets))
    targets_import(study=study, rows=read_rows(targets, "csv"), fmt="csv")
    lines = ["target_id,rater_id,item,score"]
    for i in range(n_targets):
        for step in range(3):
            scores = np.clip(np.rint(3 + truth[i] + rng.normal(0, ITEM_NOISE_SD, len(items))), 1, 5)
            lines += [f"T{i:05d},{rater_of(i, step)},{code},{int(s)}" for code, s in zip(items, scores)]
    ratings_import(study=study, rows=read_rows("\n".join(lines) + "\n", "csv"))
    judge = ["target_id,rater_id,item,score"] + [
        f"T{i:05d},judge,{code},{np.clip(3 + 0.8 * truth[i] + rng.normal(0, 0.6), 1, 5):.3f}"
        for i in range(n_targets) for code in items]
    ratings_import(study=study, rows=read_rows("\n".join(judge) + "\n", "csv"), rater_kind="llm", model="bench-judge")
    return study, version, time.perf_counter() - start


def time_report(study, version, profile: int = 0) -> dict:
    from reports.build import study_report

    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = study_report(study, instrument_version=version, n_boot=200)
    if profiler:
        profiler.disable()
    out = {"report_s": time.perf_counter() - start, "report_cpu_s": time.process_time() - cpu,
           "design": report["rating_design"]["design"], "raters": len(report["raters"]["human"]),
           "json_bytes": len(json.dumps(report)),
           "omega_hierarchical": _omega_h_words(report)}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(profile)
        out["profile"] = text.getvalue()
    return out


def _omega_h_words(report: dict) -> str:
    figure = report["internal_consistency"]["human"]["scales"]["total"].get("omega_hierarchical", {})
    if "error" in figure:
        return "not computed: " + figure["error"][:120]
    return f"{figure.get('omega_hierarchical')}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="300 targets instead of 1,000")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions of the report")
    args = parser.parse_args()
    setup()
    n = 300 if args.quick else 1000
    base_study, version, base_import_s = build_study("few-raters", n, lambda i, step: f"r{(i + step) % 10:02d}")
    many_study, _, many_import_s = build_study("many-raters", n, lambda i, step: f"r{(i - step) % n:05d}")
    base = time_report(base_study, version)
    many = time_report(many_study, version, args.profile)
    if args.profile:
        print(many.pop("profile"))
    ratio = many["report_s"] / base["report_s"]
    cpu_ratio = many["report_cpu_s"] / base["report_cpu_s"]
    print(f"baseline: {n} targets x 3 ratings from {base['raters']} raters ({base['design']}): report "
          f"{base['report_s']:.2f} s (CPU {base['report_cpu_s']:.2f} s), JSON {base['json_bytes'] / 1e6:.2f} MB")
    print(f"many raters: {n} targets x 3 ratings from {many['raters']} raters ({many['design']}): report "
          f"{many['report_s']:.2f} s (CPU {many['report_cpu_s']:.2f} s), JSON {many['json_bytes'] / 1e6:.2f} MB; "
          f"ratio to baseline {ratio:.2f} (CPU {cpu_ratio:.2f})")
    print(f"omega hierarchical of the total (one-factor data): {many['omega_hierarchical']}")
    print(json.dumps({"quick": args.quick, "targets": n, "ratings_per_target": 3,
                      "import_s": {"baseline": base_import_s, "many_raters": many_import_s},
                      "baseline": base, "many_raters": many, "many_over_baseline": ratio,
                      "many_over_baseline_cpu": cpu_ratio}))


if __name__ == "__main__":
    main()
