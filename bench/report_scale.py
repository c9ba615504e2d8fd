"""The report and the ratings import at scale: 10,000 and 100,000 targets x 5 raters x 10 items.

    python bench/report_scale.py [--targets 10000 100000] [--database-url postgres://...]
                                 [--chunk 500000] [--profile] [--var-dir DIR --reuse]
                                 [--replicate] [--build-only] [--skip-command]

Builds each study through the real imports (`targets_import`, then `ratings_import` of CSV text
read by `read_rows`, ``--chunk`` rows per import: one request may carry 500,000 rows), then:

- imports: seconds per import and per 100,000 rows, and an unchanged re-upload of the last
  chunk (every rating must come back ``unchanged``), and a 100,000-row file into a new study;
- the report in process, by phase: read (`item_scores_frame_and_codes`, `targets_frame`), frames
  (`scale_scores_frame`), statistics (the rest of `study_report`), render (`render_json`);
- ``manage.py report STUDY --format json`` end to end in a child process, its wall seconds and
  peak resident memory (the child's ``ru_maxrss``).

The machine may be shared: every time is also printed as a ratio to a fixed CPU baseline
(sorting 2,000,000 floats and a 1,000,000-step Python loop, median of three, measured in the
same run), and at 10,000 targets the straightforward frames (model-free ORM ``values_list`` and
the per-rating scoring loop) are timed beside the vectorised ones. SQLite by default, in a
temporary folder (``--var-dir`` names one to keep); ``--database-url`` uses that database (it is
flushed first). ``--reuse`` keeps the database and a study already built at a scale (its imports
are not timed again, the 100,000-row import is): 100,000 targets take minutes to import.
``--replicate`` makes each larger study of copies of the first (``INSERT ... SELECT``, for a busy
machine); ``--build-only`` builds and stops. The
report's phases also print the process's peak resident memory in each (``VmHWM``, reset between
phases through ``/proc/self/clear_refs``). Each scale prints a JSON line as it finishes
(``"partial": true``); the last line is one JSON object of the run.
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_RATERS, INSTRUMENT = 5, "therapy-engagement"


def baseline_s() -> float:
    """A fixed CPU workload: the yardstick every time is divided by."""
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        np.sort(np.random.default_rng(0).random(2_000_000))
        total = 0
        for i in range(1_000_000):
            total += i
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def setup(database_url: str | None, *, var_dir: str | None = None, reuse: bool = False) -> dict:
    var = Path(var_dir) if var_dir else Path(tempfile.mkdtemp(prefix="anchor-bench-scale-"))
    var.mkdir(parents=True, exist_ok=True)
    env = {"ANCHOR_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings", "ALLOWED_HOSTS": "testserver"}
    os.environ.update(env)
    if database_url:
        os.environ["DATABASE_URL"] = env["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if database_url and not reuse:
        call_command("flush", interactive=False, verbosity=0)
    call_command("load_instrument", "--builtin", verbosity=0)
    return env


def ratings_csv(n_targets: int, start: int, stop: int, truth: np.ndarray, codes: list[str], seed: int) -> str:
    """Rows ``start..stop`` (row = target-major, then rater, then item) of the study's ratings."""
    rng = np.random.default_rng(seed)
    per_target = N_RATERS * len(codes)
    rows = np.arange(start, stop)
    target, rest = np.divmod(rows, per_target)
    rater, item = np.divmod(rest, len(codes))
    scores = np.clip(np.rint(3 + truth[target] + rng.normal(0, 0.9, len(rows))), 1, 5).astype(int)
    lines = ["target_id,rater_id,item,score"]
    lines += [f"T{t:06d},r{r},{codes[i]},{s}" for t, r, i, s in zip(target.tolist(), rater.tolist(), item.tolist(),
                                                                     scores.tolist())]
    return "\n".join(lines) + "\n"


def reused(n_targets: int):
    """The study of an earlier run at this scale, when complete; None when there is none."""
    from instruments.selectors import instrument_version_get
    from ratings.models import ItemScore, Study

    version = instrument_version_get(reference=INSTRUMENT)
    study = Study.objects.filter(slug=f"scale-{n_targets}").first()
    if study is None:
        return None
    expected = n_targets * N_RATERS * len(version.spec.items)
    stored = ItemScore.objects.filter(rating__target__study=study).count()
    if stored == 0 and not study.targets.exists():  # a build stopped before its first import
        return None
    if stored != expected:
        raise SystemExit(f"study {study.slug} holds {stored} of {expected} item scores (an interrupted build): "
                         "run without --reuse")
    return {"study": study, "version": version, "reused": True, "rating_rows": stored}


def build(n_targets: int, chunk: int) -> dict:
    from instruments.selectors import instrument_version_get
    from ratings.services import study_get_or_create, study_use_instrument, targets_import
    from ratings.services.ratings_import import ratings_import
    from ratings.tabular import Row, read_rows

    version = instrument_version_get(reference=INSTRUMENT)
    codes = [item.code for item in version.spec.items]
    study, _ = study_get_or_create(slug=f"scale-{n_targets}")
    study_use_instrument(study=study, version=version)
    rng = np.random.default_rng(n_targets)
    truth = rng.normal(0, 1, n_targets)
    outcome = truth + rng.normal(0, 0.5, n_targets)
    start = time.perf_counter()
    targets_import(study=study, fmt="jsonl", rows=[Row(i + 1, {"id": f"T{i:06d}", "text": f"session {i}",
                                                              "criteria": {"outcome": float(outcome[i])}})
                                                   for i in range(n_targets)])
    targets_s = time.perf_counter() - start
    total = n_targets * N_RATERS * len(codes)
    imports, text = [], ""
    for first in range(0, total, chunk):
        text = ratings_csv(n_targets, first, min(first + chunk, total), truth, codes, seed=first)
        start, cpu = time.perf_counter(), time.process_time()
        result = ratings_import(study=study, rows=read_rows(text, "csv"), instrument=INSTRUMENT)
        imports.append({"rows": min(first + chunk, total) - first, "s": time.perf_counter() - start,
                        "cpu_s": time.process_time() - cpu, "created": result.created})
    start, cpu = time.perf_counter(), time.process_time()
    again = ratings_import(study=study, rows=read_rows(text, "csv"), instrument=INSTRUMENT)
    reimport_s, reimport_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    assert again.created == again.updated == 0 and again.unchanged == imports[-1]["created"], again
    rows = sum(i["rows"] for i in imports)
    seconds = sum(i["s"] for i in imports)
    return {"study": study, "version": version, "targets_import_s": targets_s, "imports": imports,
            "rating_rows": rows, "import_s_per_100k_rows": seconds / rows * 100_000,
            "import_cpu_s_per_100k_rows": sum(i["cpu_s"] for i in imports) / rows * 100_000,
            "reimport_rows": imports[-1]["rows"], "reimport_s": reimport_s, "reimport_cpu_s": reimport_cpu_s,
            "reimport_s_per_100k_rows": reimport_s / imports[-1]["rows"] * 100_000}


def replicate(source, n_targets: int) -> dict:
    """A study of ``n_targets`` made of copies of ``source``'s targets (``R<k>-`` before each
    external id), raters, ratings and item scores, by ``INSERT ... SELECT`` in the database: the
    same data ``n_targets / len(source)`` times over, for when the machine is too busy to import
    millions of rows (the imports are timed at the smaller scale)."""
    from django.db import connection, transaction

    from ratings.models import ItemScore, Rater, Rating, Study, Target
    from ratings.services import study_get_or_create, study_use_instrument

    version = source["version"]
    small = source["study"]
    copies = n_targets // small.targets.count()
    study, _ = study_get_or_create(slug=f"scale-{n_targets}")
    study_use_instrument(study=study, version=version)
    start = time.perf_counter()

    def columns(model, *skip):
        return [f.column for f in model._meta.concrete_fields if f.column not in ("id", *skip)]

    rater_columns, target_columns = columns(Rater, "study_id"), columns(Target, "study_id", "external_id")
    rating_columns = columns(Rating, "rater_id", "target_id")
    score_columns = columns(ItemScore, "rating_id")
    rater, target = Rater._meta.db_table, Target._meta.db_table
    rating, score = Rating._meta.db_table, ItemScore._meta.db_table
    same = (f"JOIN {target} ot ON r.target_id = ot.id JOIN {target} nt ON nt.study_id = %s "
            f"AND nt.external_id = %s || ot.external_id JOIN {rater} ora ON r.rater_id = ora.id "
            f"JOIN {rater} nra ON nra.study_id = %s AND nra.name = ora.name")
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        cursor.execute(f"INSERT INTO {rater} (study_id, {', '.join(rater_columns)}) SELECT %s, "
                       f"{', '.join(rater_columns)} FROM {rater} WHERE study_id = %s AND name NOT IN "
                       f"(SELECT name FROM {rater} WHERE study_id = %s)", [study.pk, small.pk, study.pk])
    for k in range(copies):
        prefix = [study.pk, f"R{k}-", study.pk]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {target} (study_id, external_id, {', '.join(target_columns)}) SELECT %s, "
                           f"%s || external_id, {', '.join(target_columns)} FROM {target} WHERE study_id = %s",
                           [study.pk, f"R{k}-", small.pk])
            cursor.execute(f"INSERT INTO {rating} (rater_id, target_id, {', '.join(rating_columns)}) SELECT nra.id, "
                           f"nt.id, {', '.join('r.' + c for c in rating_columns)} FROM {rating} r {same} "
                           f"WHERE ot.study_id = %s", [*prefix, small.pk])
            if connection.vendor == "postgresql":  # plan the copy with the new rows counted
                cursor.execute(f"ANALYZE {target}; ANALYZE {rating}")
            cursor.execute(f"INSERT INTO {score} (rating_id, {', '.join(score_columns)}) SELECT nr.id, "
                           f"{', '.join('s.' + c for c in score_columns)} FROM {score} s JOIN {rating} r "
                           f"ON s.rating_id = r.id {same} JOIN {rating} nr ON nr.target_id = nt.id "
                           f"AND nr.rater_id = nra.id AND nr.instrument_version_id = r.instrument_version_id "
                           f"WHERE ot.study_id = %s", [*prefix, small.pk])
        print(f"  copy {k + 1} of {copies}: {time.perf_counter() - start:.0f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    stored = ItemScore.objects.filter(rating__target__study=study).count()
    return {"study": Study.objects.get(pk=study.pk), "version": version, "replicated_from": small.slug,
            "copies": copies, "replicate_s": time.perf_counter() - start, "rating_rows": stored}


def fresh_import_100k() -> dict:
    """A 100,000-row file into a study of 2,000 targets (what one API request usually is)."""
    from ratings.models import Study
    from ratings.services import study_get_or_create, study_use_instrument, targets_import
    from ratings.services.ratings_import import ratings_import
    from ratings.tabular import Row, read_rows
    from instruments.selectors import instrument_version_get

    version = instrument_version_get(reference=INSTRUMENT)
    codes = [item.code for item in version.spec.items]
    Study.objects.filter(slug="import-100k").delete()  # a reused database holds the last run's
    study, _ = study_get_or_create(slug="import-100k")
    study_use_instrument(study=study, version=version)
    n = 100_000 // (N_RATERS * len(codes))
    targets_import(study=study, fmt="jsonl", rows=[Row(i + 1, {"id": f"T{i:06d}", "text": f"s {i}"}) for i in range(n)])
    text = ratings_csv(n, 0, 100_000, np.zeros(n), codes, seed=1)
    start, cpu = time.perf_counter(), time.process_time()
    rows = read_rows(text, "csv")
    read_s = time.perf_counter() - start
    result = ratings_import(study=study, rows=rows, instrument=INSTRUMENT)
    import_s, import_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    again = ratings_import(study=study, rows=read_rows(text, "csv"), instrument=INSTRUMENT)
    reimport_s, reimport_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    assert again.unchanged == result.created and again.created == again.updated == 0
    return {"rows": 100_000, "read_s": read_s, "import_s": import_s, "import_cpu_s": import_cpu_s,
            "reimport_s": reimport_s, "reimport_cpu_s": reimport_cpu_s}


def peak_rss_mb(reset: bool = True) -> float:
    """This process's peak resident memory since the last reset (Linux ``VmHWM``), then reset."""
    with open("/proc/self/status") as status:
        peak = int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1)) / 1024
    if reset:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    return peak


def report_phases(study, version, *, profile: bool) -> dict:
    """``study_report`` in process, its phases timed by wrapping the frame builders, and the
    peak resident memory within each phase (statistics: everything outside the frame builders)."""
    from reports import build as report_build
    from reports import frames
    from reports.render import render_json

    spent = {"read": 0.0, "frames": 0.0, "read_cpu": 0.0, "frames_cpu": 0.0}
    peak = {"read": 0.0, "frames": 0.0, "statistics": 0.0, "render": 0.0}

    active = []

    def timed(phase, function):
        def wrapper(*args, **kwargs):
            if active:  # called by another timed builder, which counts it
                return function(*args, **kwargs)
            active.append(phase)
            peak["statistics"] = max(peak["statistics"], peak_rss_mb())
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                active.pop()
                spent[phase] += time.perf_counter() - start
                spent[phase + "_cpu"] += time.process_time() - cpu
                peak[phase] = max(peak[phase], peak_rss_mb())
        return wrapper

    import psychometrics as pm
    from reports import consistency_section

    omega_spent = [0.0, 0.0]
    omega_original = consistency_section.pm.omega

    def omega_timed(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return omega_original(*args, **kwargs)
        finally:
            omega_spent[0] += time.perf_counter() - start
            omega_spent[1] += time.process_time() - cpu

    pm.omega = omega_timed
    phases = {"item_scores_frame": "read", "item_scores_frame_and_codes": "read", "targets_frame": "read",
              "scale_scores_frame": "frames", "scale_score_arrays": "frames"}
    originals = {name: getattr(frames, name) for name in phases}
    for name, phase in phases.items():
        setattr(frames, name, timed(phase, originals[name]))
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        peak_rss_mb()
        with open("/proc/self/status") as status:
            before_mb = int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024
        start, cpu = time.perf_counter(), time.process_time()
        report = report_build.study_report(study, instrument_version=version)
        report_s, report_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        peak["statistics"] = max(peak["statistics"], peak_rss_mb())
    finally:
        for name, function in originals.items():
            setattr(frames, name, function)
        pm.omega = omega_original
        if profiler:
            profiler.disable()
            import pstats

            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    start, cpu = time.perf_counter(), time.process_time()
    text = render_json(report)
    render_s, render_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    peak["render"] = peak_rss_mb()
    return {"report_s": report_s, "read_s": spent["read"], "frames_s": spent["frames"],
            "statistics_s": report_s - spent["read"] - spent["frames"], "render_s": render_s,
            "report_cpu_s": report_cpu_s, "read_cpu_s": spent["read_cpu"], "frames_cpu_s": spent["frames_cpu"],
            "statistics_cpu_s": report_cpu_s - spent["read_cpu"] - spent["frames_cpu"], "render_cpu_s": render_cpu_s,
            "json_bytes": len(text), "omega_s": omega_spent[0], "omega_cpu_s": omega_spent[1],
            "rss_before_mb": before_mb, **{f"{phase}_peak_mb": mb for phase, mb in peak.items()}}


def straightforward_frames(study, version) -> dict:
    """The frames the way they were computed before (ORM values_list, the per-rating loop)."""
    import pandas as pd

    from ratings.models import ItemScore, Rating
    from reports import frames

    start = time.perf_counter()
    rows = (ItemScore.objects.filter(rating__target__study=study, rating__instrument_version=version,
                                     rating__status=Rating.Status.SUBMITTED)
            .values_list("rating__target__external_id", "rating__rater__name", "rating__rater__kind",
                         "item__code", "score", "expected_score", "distribution"))
    items = pd.DataFrame(list(rows), columns=frames.ITEM_COLUMNS)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    frames.scale_scores_frame_reference(items, spec=version.spec)
    loop_s = time.perf_counter() - start
    start = time.perf_counter()
    fast_items = frames.item_scores_frame(study, instrument_version=version)
    fast_read_s = time.perf_counter() - start
    start = time.perf_counter()
    frames.scale_scores_frame(fast_items, spec=version.spec)
    fast_frames_s = time.perf_counter() - start
    return {"orm_read_s": read_s, "loop_frames_s": loop_s, "read_s": fast_read_s, "frames_s": fast_frames_s,
            "read_speedup": read_s / fast_read_s, "frames_speedup": loop_s / fast_frames_s}


def command(study, env: dict) -> dict:
    """``manage.py report`` in a child process: wall seconds and the child's peak memory."""
    out = Path(env["ANCHOR_VAR_DIR"]) / f"{study.slug}.json"
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "report", study.slug, "--format", "json", "--output", str(out)],
                   cwd=ROOT, env={**os.environ, **env}, check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    return {"command_s": seconds, "command_cpu_s": usage.ru_utime + usage.ru_stime - cpu, "command_peak_mb": peak / 1024,
            "peak_is_this_child": peak > before}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--chunk", type=int, default=500_000, help="rating rows per import")
    parser.add_argument("--profile", action="store_true", help="cProfile of the in-process report to stderr")
    parser.add_argument("--skip-command", action="store_true")
    parser.add_argument("--var-dir", help="the folder of the SQLite database and outputs (default: a new temporary one)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database and a complete study of an earlier run at each scale")
    parser.add_argument("--build-only", action="store_true", help="build the studies (for a later --reuse), no report")
    parser.add_argument("--replicate", action="store_true",
                        help="make each larger study of copies of the first one in the database, not by imports")
    args = parser.parse_args()
    env = setup(args.database_url, var_dir=args.var_dir, reuse=args.reuse)
    from django.db import connection

    built_first = None

    def build_or_reuse(n):
        nonlocal built_first
        built = (args.reuse and reused(n)) or (replicate(built_first, n) if args.replicate and built_first
                                                else build(n, args.chunk))
        built_first = built_first or dict(built)
        return built

    if args.build_only:
        for n in args.targets:
            built = build_or_reuse(n)
            print(json.dumps({k: v for k, v in built.items() if k not in ("study", "version")}), flush=True)
        return
    base = baseline_s()
    out = {"database": connection.vendor, "baseline_s": base, "load": os.getloadavg()[0],
           "fresh_import": fresh_import_100k(), "scales": []}
    fresh = out["fresh_import"]
    print(f"baseline {base:.3f} s; 100,000-row import {fresh['import_s']:.2f} s (CPU {fresh['import_cpu_s']:.2f} s; "
          f"read {fresh['read_s']:.2f} s), unchanged re-upload {fresh['reimport_s']:.2f} s "
          f"(CPU {fresh['reimport_cpu_s']:.2f} s)", flush=True)
    for n in args.targets:
        built = build_or_reuse(n)
        study, version = built.pop("study"), built.pop("version")
        entry = {"targets": n, **built}
        if built.get("reused") or built.get("replicated_from"):
            print(f"{n} targets: {built['rating_rows']} rating rows reused or replicated", flush=True)
        else:
            print(f"{n} targets: {built['rating_rows']} rating rows imported at {built['import_s_per_100k_rows']:.2f} "
                  f"s per 100k rows; unchanged re-upload of {built['reimport_rows']} rows {built['reimport_s']:.2f} s",
                  flush=True)
        if n <= 10_000:
            entry["straightforward"] = straightforward_frames(study, version)
        entry["phases"] = report_phases(study, version, profile=args.profile)
        p = entry["phases"]
        print(f"  report in process {p['report_s']:.2f} s (CPU {p['report_cpu_s']:.2f}): read {p['read_s']:.2f} "
              f"(CPU {p['read_cpu_s']:.2f}), frames {p['frames_s']:.2f} (CPU {p['frames_cpu_s']:.2f}), statistics "
              f"{p['statistics_s']:.2f} (CPU {p['statistics_cpu_s']:.2f}; omega {p['omega_cpu_s']:.2f}), render "
              f"{p['render_s']:.2f}; peak MB read {p['read_peak_mb']:.0f}, frames {p['frames_peak_mb']:.0f}, "
              f"statistics {p['statistics_peak_mb']:.0f}, render {p['render_peak_mb']:.0f} (before "
              f"{p['rss_before_mb']:.0f})", flush=True)
        if not args.skip_command:
            entry["command"] = command(study, env)
            print(f"  manage.py report {entry['command']['command_s']:.2f} s (CPU {entry['command']['command_cpu_s']:.2f} s), peak "
                  f"{entry['command']['command_peak_mb']:.0f} MB", flush=True)
        entry["over_baseline"] = {k: v / base for k, v in {**p, **entry.get("command", {})}.items()
                                  if k.endswith("_s")}
        out["scales"].append(entry)
        print(json.dumps({"partial": True, "database": out["database"], "baseline_s": base, "scale": entry}), flush=True)
    out["baseline_after_s"], out["load_after"] = baseline_s(), os.getloadavg()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
