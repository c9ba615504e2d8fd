"""The report's statistics phase alone, on frames built in memory: 10,000 and 100,000 targets x
5 raters x 10 items (the therapy-engagement instrument, complete data, a crossed design).

    python bench/report_statistics.py [--targets 10000 100000] [--profile N] [--dump DIR]

`bench/report_scale.py` builds its studies through the real imports, which at 100,000 targets
takes many minutes; this bench skips the database read: `item_scores_frame_and_codes` and
`targets_frame` return frames (and the rows' integer codes) generated here (the same columns,
order and dtypes as the SQL read gives) and `study_report` runs on them as the command would.
Timed: the whole `study_report` (wall, and CPU as `report_cpu_s`), the scale scores
(`scale_score_arrays`, the frames phase), the final `jsonable`, and the statistics core (the
rest). Every time is also printed as a ratio to a fixed CPU baseline measured in the same
run (`report_scale.baseline_s`), since the machine may be shared. ``--profile N`` prints the N
most expensive functions (own time) of each run to stderr; ``--dump DIR`` writes each report
as JSON (to compare two checkouts' numbers), and the profile when one is taken. The last line
is one JSON object of the run.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report_scale import INSTRUMENT, N_RATERS, baseline_s  # noqa: E402


def setup():
    var = Path(tempfile.mkdtemp(prefix="anchor-bench-statistics-"))
    os.environ.update({"ANCHOR_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings",
                       "ALLOWED_HOSTS": "testserver"})
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_instrument", "--builtin", verbosity=0)


def synthetic_frames(n_targets: int, codes: list[str], seed: int = 0):
    """An `item_scores_frame` (ordered by target, rater, item position) and a `targets_frame`:
    every rater rates every item of every target, scores 1-5 around a target's true level."""
    import pandas as pd

    from reports.frames import ITEM_COLUMNS, ItemCodes

    rng = np.random.default_rng(seed)
    truth = rng.normal(0, 1, n_targets)
    n_items, per_target = len(codes), N_RATERS * len(codes)
    targets = np.array([f"T{i:06d}" for i in range(n_targets)], dtype=object)
    raters = np.array([f"r{r}" for r in range(N_RATERS)], dtype=object)
    rows = np.arange(n_targets * per_target)
    target, rest = np.divmod(rows, per_target)
    rater, item = np.divmod(rest, n_items)
    scores = np.clip(np.rint(3 + truth[target] + rng.normal(0, 0.9, len(rows))), 1, 5)
    items = pd.DataFrame({"target": targets[target], "rater": raters[rater],
                          "rater_kind": np.full(len(rows), "human", dtype=object),
                          "item": np.array(codes, dtype=object)[item], "score": scores,
                          "expected_score": np.full(len(rows), np.nan),
                          "distribution": np.full(len(rows), None, dtype=object)}, columns=ITEM_COLUMNS)
    outcome = truth + rng.normal(0, 0.5, n_targets)
    target_frame = pd.DataFrame({"target": targets, "cluster": np.full(n_targets, None, dtype=object),
                                 "criterion:outcome": outcome})
    item_codes = ItemCodes(target=target.astype(np.int32), rater=rater.astype(np.int32),
                           item=item.astype(np.int32), targets=targets, raters=raters,
                           kinds=np.full(N_RATERS, "human", dtype=object), items=np.array(codes, dtype=object))
    return items, item_codes, target_frame


def run(n_targets: int, *, profile: int, dump: Path | None) -> dict:
    from instruments.selectors import instrument_version_get
    from ratings.services import study_get_or_create, study_use_instrument
    from reports import build, frames

    version = instrument_version_get(reference=INSTRUMENT)
    study, _ = study_get_or_create(slug=f"statistics-{n_targets}")
    study_use_instrument(study=study, version=version)
    items, item_codes, targets = synthetic_frames(n_targets, [item.code for item in version.spec.items])
    spent = {"frames": 0.0, "jsonable": 0.0}

    active = []

    def timed(phase, function):
        def wrapper(*args, **kwargs):
            if active:  # called by another timed function, which counts it
                return function(*args, **kwargs)
            active.append(phase)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                active.pop()
                spent[phase] += time.perf_counter() - start
        return wrapper

    originals = {"item_scores_frame": frames.item_scores_frame, "targets_frame": frames.targets_frame,
                 "item_scores_frame_and_codes": frames.item_scores_frame_and_codes,
                 "scale_scores_frame": frames.scale_scores_frame, "scale_score_arrays": frames.scale_score_arrays}
    jsonable = build.jsonable
    frames.item_scores_frame = lambda *args, **kwargs: items
    frames.item_scores_frame_and_codes = lambda *args, **kwargs: (items, item_codes)
    frames.targets_frame = lambda *args, **kwargs: targets.copy()
    frames.scale_scores_frame = timed("frames", originals["scale_scores_frame"])
    frames.scale_score_arrays = timed("frames", originals["scale_score_arrays"])
    build.jsonable = timed("jsonable", jsonable)
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        report = build.study_report(study, instrument_version=version)
        report_s, report_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    finally:
        if profiler:
            profiler.disable()
        for name, function in originals.items():
            setattr(frames, name, function)
        build.jsonable = jsonable
    if profiler:
        import pstats

        if dump:
            profiler.dump_stats(str(dump / f"profile-{n_targets}.pstats"))
        print(f"--- {n_targets} targets: own time", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(profile)
        print(f"--- {n_targets} targets: cumulative", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(profile)
    if dump:
        report.pop("generated_at", None)
        (dump / f"report-{n_targets}.json").write_text(json.dumps(report))
    return {"targets": n_targets, "rating_rows": len(items), "report_s": report_s, "report_cpu_s": report_cpu_s,
            "frames_s": spent["frames"],
            "jsonable_s": spent["jsonable"],
            "statistics_s": report_s - spent["frames"],
            "statistics_core_s": report_s - spent["frames"] - spent["jsonable"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--profile", type=int, default=0, help="print the N most expensive functions")
    parser.add_argument("--dump", type=Path, default=None, help="write each report as JSON here")
    args = parser.parse_args()
    setup()
    base = baseline_s()
    out = {"baseline_s": base, "load": os.getloadavg()[0], "scales": []}
    for n in args.targets:
        entry = run(n, profile=args.profile, dump=args.dump)
        entry["over_baseline"] = {k: v / base for k, v in entry.items() if k.endswith("_s") and "cpu" not in k}
        print(f"{n} targets: report {entry['report_s']:.2f} s, frames {entry['frames_s']:.2f} s, jsonable "
              f"{entry['jsonable_s']:.2f} s, statistics core {entry['statistics_core_s']:.2f} s "
              f"({entry['over_baseline']['statistics_core_s']:.1f} x baseline {base:.3f} s)", flush=True)
        out["scales"].append(entry)
    out["baseline_after_s"], out["load_after"] = baseline_s(), os.getloadavg()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
