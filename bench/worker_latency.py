"""Time from enqueue to the first stored score on a warm Celery worker.

    python bench/worker_latency.py [--quick]

Sets up a throwaway database and filesystem broker under a temporary folder, starts one real
worker with the bundled model, warms it with one job (the model loads once per worker
process), then starts a second job and measures the seconds from ``scoring_job_start`` to the
first rating in the database, and to the last. The baseline in the same run is the in-process
backend rating the same target directly, so the ratio is the overhead of the queue and the
database. The last line is one JSON object.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = ("Therapist: How did the week go with the breathing exercise?\n"
        "Client: I did it four times. It helped on the train, less at work. I want to keep going.\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="two targets instead of six")
    args = parser.parse_args()
    n_targets = 2 if args.quick else 6
    var = Path(tempfile.mkdtemp(prefix="anchor-bench-"))
    os.environ.update(ANCHOR_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="config.settings")
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        os.environ.pop(key, None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from instruments.selectors import instrument_version_get
    from ratings.llm_settings import backend_for_rater
    from ratings.llm import request_from_spec
    from ratings.models import Rating
    from ratings.services import study_get_or_create, targets_import
    from ratings.services.scoring import llm_rater_get_or_create, scoring_job_start
    from ratings.tabular import Row

    call_command("migrate", verbosity=0)
    call_command("load_instrument", "--builtin", verbosity=0)
    study, _ = study_get_or_create(slug="bench")
    targets_import(study=study, fmt="jsonl",
                   rows=[Row(i + 1, {"id": f"T{i}", "text": TEXT + f"Client: Session note {i}.\n"})
                         for i in range(n_targets)])
    version = instrument_version_get(reference="therapy-engagement")
    rater = llm_rater_get_or_create(name="llm-bench")

    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,llm",
                               "--concurrency=1", "-n", "bench@%h", "--loglevel=WARNING"],
                              cwd=ROOT, env=os.environ.copy(), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def run_job() -> tuple[float, float]:
            started = time.perf_counter()
            job = scoring_job_start(study=study, version=version, rater=rater)
            first = None
            while True:
                stored = Rating.objects.filter(scoring_job=job).count()
                if stored and first is None:
                    first = time.perf_counter() - started
                if stored == n_targets:
                    return first, time.perf_counter() - started
                time.sleep(0.05)

        run_job()  # warms the worker: the model loads here
        first_score_s, job_s = run_job()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=120)

    backend = backend_for_rater(rater)
    request = request_from_spec(version.spec, material=TEXT + "Client: Session note 0.\n")
    backend.rate(request)
    started = time.perf_counter()
    backend.rate(request)
    direct_s = time.perf_counter() - started

    print(f"{'measure':<36}{'seconds':>10}")
    print(f"{'in-process rating of one target':<36}{direct_s:>10.3f}")
    print(f"{'enqueue -> first stored score':<36}{first_score_s:>10.3f}")
    print(f"{f'enqueue -> all {n_targets} targets stored':<36}{job_s:>10.3f}")
    print(f"overhead of queue + database on the first score: {first_score_s / direct_s:.2f}x the direct call")
    print(json.dumps({"n_targets": n_targets, "direct_rating_s": direct_s, "first_score_s": first_score_s,
                      "job_s": job_s, "first_score_ratio_to_direct": first_score_s / direct_s}))


if __name__ == "__main__":
    main()
