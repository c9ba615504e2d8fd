"""A large report computed by a real Celery worker: progress is written while it runs, the
result is cached, and changing one rating makes a new computation.

The study is the demo (two human raters); ``ANCHOR_REPORT_INLINE_MAX_SCORES=0`` makes every
report "large", so the page, the API and this test all go through the worker.
"""

import json

import pytest

from .test_scoring_worker import manage, start_worker, stop

pytestmark = pytest.mark.slow

# Runs in `manage.py shell`: ask for the report, poll the run until it is done, print what was seen.
ASK_AND_WAIT = """
import json, time
from ratings.models import Study
from reports.models import ReportRun
from reports.selectors import report_instrument_version
from reports.services import report_options, report_run_get_or_start
study = Study.objects.get(slug="demo-engagement")
run = report_run_get_or_start(study=study, version=report_instrument_version(study),
                              options=report_options(n_boot=2000))  # long enough to be seen mid-way
first = run.status
seen = []
deadline = time.monotonic() + 600
while run.status not in ("done", "failed") and time.monotonic() < deadline:
    time.sleep(0.05)
    run.refresh_from_db()
    seen.append([run.progress, run.section])
print(json.dumps({"id": run.pk, "first": first, "status": run.status, "seen": seen, "error": run.error,
                  "icc2": run.result and run.result["human_reliability"]["scales"]["total"]["icc"]["forms"]["ICC2"],
                  "runs": ReportRun.objects.count()}))
"""

CHANGE_ONE_SCORE = """
from ratings.models import ItemScore
score = ItemScore.objects.filter(rating__rater__name="demo-rater-a", item__code="participation").order_by("pk").first()
score.score = 1.0 if score.score != 1.0 else 5.0
score.save()
"""


def ask(env):
    return json.loads(manage(env, "shell", "-c", ASK_AND_WAIT, timeout=700).strip().splitlines()[-1])


def test_report_computed_by_a_worker_cached_and_recomputed_when_a_rating_changes(isolated_env, tmp_path):
    env = isolated_env | {"ANCHOR_REPORT_INLINE_MAX_SCORES": "0"}
    manage(env, "migrate", "--noinput")
    manage(env, "setup_demo")
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        first = ask(env)
        assert first["first"] == "queued" and first["status"] == "done", first["error"]
        fractions = [p for p, _ in first["seen"]]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
        assert any(0 < p < 1 for p in fractions), "no progress seen between queued and done"
        assert {s for _, s in first["seen"]} >= {"done"}

        cached = ask(env)  # unchanged ratings: the same run, answered at once
        assert cached["id"] == first["id"] and cached["first"] == "done" and cached["seen"] == []

        manage(env, "shell", "-c", CHANGE_ONE_SCORE)
        changed = ask(env)
        assert changed["id"] != first["id"] and changed["first"] == "queued" and changed["status"] == "done"
        assert changed["icc2"]["estimate"] != first["icc2"]["estimate"]
        assert changed["runs"] == 1  # the stale run was dropped once the new one was done
    finally:
        stop(worker)
