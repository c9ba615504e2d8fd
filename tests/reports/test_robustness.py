"""Section 6, robustness: perturbed runs against their base run.

Statistics on synthetic runs with known truth (stored directly); the bookkeeping (perturbed
raters, jobs, the score command, the report tables) with the fake backend. The real model is
exercised in tests/llm/test_llm_robustness.py.
"""

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from ratings.models import ItemScore, Rater, Rating, ScoringJob
from ratings.services import study_get_or_create, study_use_instrument, targets_import
from ratings.services.robustness import (paraphrases_for, perturbation_config, perturbed_rater_get_or_create,
                                         robustness_job_start)
from ratings.services.scoring import ScoringError, score_target
from ratings.tabular import read_rows
from reports.build import study_report
from reports.render import render_html
from tests.ratings.fake_llm import FakeBackend

N = 80


def _store(rater, study, version, values):
    items = {row.code: row for row in version.items.all()}
    for t, target in enumerate(study.targets.order_by("external_id")):
        rating = Rating.objects.create(rater=rater, target=target, instrument_version=version,
                                       source=Rating.Source.LLM, status=Rating.Status.SUBMITTED)
        ItemScore.objects.bulk_create(
            ItemScore(rating=rating, item=items[item.code], score=float(np.rint(values[t, i])),
                      expected_score=float(values[t, i])) for i, item in enumerate(version.spec.items))


@pytest.fixture
def synthetic_runs(engagement):
    """A base run (expected scores uniform on [2, 4]), a filler run = base + U(-0.5, 0.5) and a
    content-edit run = base - 0.9 + U(-0.1, 0.1), on 80 targets."""
    study, _ = study_get_or_create(slug="robust")
    study_use_instrument(study=study, version=engagement)
    rows = "id,text\n" + "".join(f"T{t:03d},session {t}\n" for t in range(N))
    targets_import(study=study, rows=read_rows(rows, "csv"), fmt="csv")
    rng = np.random.default_rng(3)
    n_items = len(engagement.spec.items)
    base_values = rng.uniform(2, 4, (N, n_items))
    base = Rater.objects.create(name="sim-base", kind=Rater.Kind.LLM)
    _store(base, study, engagement, base_values)
    filler = perturbed_rater_get_or_create(base=base, config={"kind": "insert_filler", "base_rater": "sim-base",
                                                              "seed": 0})
    _store(filler, study, engagement, base_values + rng.uniform(-0.5, 0.5, (N, n_items)))
    edit = perturbed_rater_get_or_create(base=base, config={
        "kind": "edit_content", "base_rater": "sim-base", "seed": 0,
        "edits": {f"T{t:03d}": "edited" for t in range(N)}})
    _store(edit, study, engagement, base_values - 0.9 + rng.uniform(-0.1, 0.1, (N, n_items)))
    return study, engagement, filler.name, edit.name


def _contains(figure, value):
    return figure["ci_low"] <= value <= figure["ci_high"]


def test_robustness_recovers_the_shift_it_was_built_with(synthetic_runs):
    study, version, filler, edit = synthetic_runs
    report = study_report(study, instrument_version=version, n_boot=50)
    assert report["raters"]["llm"] == ["sim-base"]  # perturbed runs are not "LLM raters" elsewhere
    assert set(report["llm_vs_human"]["llm"]) == {"sim-base"}  # the perturbed runs are not compared with humans
    runs = report["robustness"]["runs"]
    assert set(runs) == {filler, edit}

    # base b ~ U(2, 4), var 1/3; perturbed b + u, u ~ U(-1/2, 1/2), var 1/12:
    # E|u| = 1/4; r = sqrt((1/3) / (1/3 + 1/12)) = sqrt(0.8); ICC(A,1) = (1/3) / ((2/3 + 1/12) / 2) = 8/9.
    # Each 95% interval misses its truth 1 time in 20: of the ten items, at least eight must hold it
    # (P(fewer) < 0.012 per statistic when the intervals are right).
    truth = {"mean_absolute_shift": 0.25, "mean_shift": 0.0, "pearson_r": 0.8 ** 0.5, "ICC2": 8 / 9}
    items = [runs[filler]["measures"][item.code] for item in version.spec.items]
    assert {m["n"] for m in items} == {N}
    for statistic, value in truth.items():
        assert sum(_contains(m[statistic], value) for m in items) >= 8, statistic
    item = items[0]
    assert runs[filler]["expectation"] == "should not change the scores"

    moved = runs[edit]["measures"]["participation"]
    assert _contains(moved["mean_shift"], -0.9) and moved["mean_shift"]["ci_high"] < 0
    assert moved["mean_absolute_shift"]["ci_low"] > item["mean_absolute_shift"]["ci_high"]
    assert runs[edit]["expectation"].startswith("should change")
    assert runs[edit]["perturbation"]["n_edited_targets"] == N and "edits" not in runs[edit]["perturbation"]
    total = runs[edit]["measures"]["total"]
    assert total["n"] == N and total["mean_shift"]["method"] and total["ICC2"]["ci_low"] is not None

    html = render_html(report)
    assert "6. Robustness: insert_filler" in html and "6. Robustness: edit_content" in html
    assert "should change the scores" in html
    assert 'data-figure="Robustness: perturbed against base run"' in html


def test_a_perturbed_run_without_its_base_run_says_so(synthetic_runs):
    study, version, filler, _ = synthetic_runs
    Rating.objects.filter(rater__name="sim-base").delete()
    runs = study_report(study, instrument_version=version, n_boot=50)["robustness"]["runs"]
    assert runs[filler]["error"] == "The base rater 'sim-base' has no ratings in this study."


@pytest.fixture
def base_run(demo_study, django_capture_on_commit_callbacks):
    study, version = demo_study
    return study, version, Rater.objects.get(name="llm-fake")


def _run(job, backend):
    for target in job.study.targets.filter(pk__in=_target_ids(job)):
        score_target(job_id=job.pk, target_id=target.pk, backend=backend)
    job.refresh_from_db()
    return job


def _target_ids(job):
    from ratings.services.scoring import job_targets

    return list(job_targets(job.study, job.rater).values_list("pk", flat=True))


def test_robustness_jobs_with_the_fake_backend(base_run, django_capture_on_commit_callbacks):
    study, version, base = base_run
    backend = FakeBackend()
    with django_capture_on_commit_callbacks(execute=False):
        shuffle = robustness_job_start(study=study, version=version, kind="shuffle_items", base=base)
        again = robustness_job_start(study=study, version=version, kind="shuffle_items", base=base)
        edit = robustness_job_start(study=study, version=version, kind="edit_content", base=base,
                                    edits={"S01": "Client: No.", "S02": "Client: No, nothing."})
    assert shuffle.rater == again.rater and shuffle.rater.name.startswith("llm-fake--shuffle-")
    assert shuffle.rater.perturbation == {"kind": "shuffle_items", "base_rater": "llm-fake", "seed": 0}
    assert shuffle.rater.model_sha256 == base.model_sha256 and shuffle.total == study.targets.count()
    assert edit.total == 2 and edit.rater != shuffle.rater
    _run(shuffle, backend)
    _run(edit, backend)
    assert edit.status == ScoringJob.Status.DONE and edit.completed == 2
    assert "Client: No." in backend.calls  # the model saw the edited text
    report = study_report(study, instrument_version=version, n_boot=50)
    runs = report["robustness"]["runs"]
    assert runs[edit.rater.name]["measures"]["total"]["n"] == 2
    # the fake model's answer depends on item position, so shuffling moves its scores
    assert runs[shuffle.rater.name]["measures"]["total"]["n"] == 13  # S03 failed in the base run
    assert runs[shuffle.rater.name]["measures"]["total"]["mean_absolute_shift"]["estimate"] > 0
    assert report["raters"]["llm"] == ["llm-fake"]


def test_paraphrases_default_to_the_human_wording_and_bad_requests_are_refused(base_run):
    study, version, base = base_run
    paraphrases = paraphrases_for(version, {"participation": "Did the client join in?"})
    assert paraphrases["participation"] == "Did the client join in?"
    assert paraphrases["disclosure"] == version.spec.item("disclosure").text
    with pytest.raises(ScoringError, match="unknown perturbation"):
        perturbation_config(kind="jumble", base=base)
    with pytest.raises(ScoringError, match="needs a file of edited texts"):
        perturbation_config(kind="edit_content", base=base)
    shuffled = perturbed_rater_get_or_create(base=base, config={"kind": "shuffle_items", "base_rater": base.name,
                                                                "seed": 0})
    with pytest.raises(ScoringError, match="not an unperturbed LLM rater"):
        perturbed_rater_get_or_create(base=shuffled, config={"kind": "shuffle_items", "seed": 0})


def test_score_command_starts_a_perturbed_run_and_rejects_bad_edit_files(base_run, write_file, settings,
                                                                           django_capture_on_commit_callbacks):
    study, version, base = base_run
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("score", study.slug, "--instrument", "therapy-engagement", "--rater", "llm-fake",
                     "--perturb", "insert_filler", "--seed", "2", stdout=out)
    assert "insert_filler of llm-fake" in out.getvalue()
    assert Rater.objects.get(name__startswith="llm-fake--filler-").perturbation["seed"] == 2
    bad = write_file("edits.csv", "id,text\nS01,edited\nNOPE,x\nS02,\n")
    with pytest.raises(CommandError) as error:
        call_command("score", study.slug, "--instrument", "therapy-engagement", "--rater", "llm-fake",
                     "--perturb", "edit_content", "--edits", str(bad))
    assert "line 3: 'NOPE' is not a target of the study" in str(error.value)
    assert "line 4: the text is empty" in str(error.value)
    assert not Rater.objects.filter(name__startswith="llm-fake--edit-").exists()  # nothing half-made


def test_robustness_run_over_the_api(base_run, django_user_model, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    study, version, _ = base_run
    client = APIClient()
    url = f"/api/v1/studies/{study.slug}/robustness-runs/"
    client.force_authenticate(django_user_model.objects.create_user(username="outsider"))
    assert client.post(url, {"instrument": "therapy-engagement", "perturbation": "shuffle_items"},
                       format="json").status_code == 404
    client.force_authenticate(study.created_by)
    bad = client.post(url, {"instrument": "therapy-engagement", "perturbation": "edit_content",
                            "edits": {"S01": "Client: no.", "ZZ": "x"}}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"] == [{"line": 2, "reason": "'ZZ' is not a target of the study"}]
    assert client.post(url, {"instrument": "therapy-engagement", "perturbation": "jumble"},
                       format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=False):
        started = client.post(url, {"instrument": "therapy-engagement", "perturbation": "edit_content",
                                    "edits": {"S01": "Client: no."}}, format="json")
    assert started.status_code == 202 and started.json()["total"] == 1
    assert started.json()["rater"].startswith("llm-") and "--edit-" in started.json()["rater"]
    from audit.models import AuditEvent  # the run is audited in its service's transaction, by its user

    event = AuditEvent.objects.get(object_type="job", object_id=str(started.json()["id"]))
    assert event.via == "api" and event.user_id == study.created_by.pk and event.detail["perturbation"] == "edit_content"
