"""Scoring a subset of a study's papers with the pipeline instrument, from each interface a
manager has (the `score` command, the manager page's scoring form, the API): only the chosen
papers are rated, each through every stage; a paper whose every claim the gate drops is
recorded as failed with the reason and has no rating.

Tasks run through Celery's eager mode (the real task code, inline) on the scripted backend;
its claims quote one sentence of each demo paper, so the claims gate keeps exactly the claim
of the paper being rated (the others quote sentences that are not in it).
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from config.celery import app
from novelty.models import PipelineArtefact
from ratings.models import Rating, ScoringJob

from .fakes import ScriptedBackend

CLAIMS = {
    "P1": {"claim": "sparse attention over tidal constituents", "kind": "method",
           "source_sentence": "The model attends only to the dominant tidal constituents of the gauge record."},
    "P2": {"claim": "ultrasonic detection of moth wing beats", "kind": "method",
           "source_sentence": "Ultrasonic recorders detect moth wing beats and classify twenty species."},
    "P3": {"claim": "a kinetic model of Maillard browning", "kind": "method",
           "source_sentence": "A kinetic model of Maillard browning is fitted to croissant images."},
}


def _backend(papers):
    return ScriptedBackend(claims=[CLAIMS[p] for p in papers], comparison=lambda prompt: {
        "label": "anticipated", "anticipated_by": ["L03"] if "[L03]" in prompt else [],
        "explanation": "The closest retrieved paper."})


@pytest.fixture
def eager(monkeypatch):
    """Celery tasks run inline; the worker's backend answers with the claims of ``papers``."""
    papers = ["P1", "P2", "P3"]
    monkeypatch.setattr("ratings.llm_settings.backend_for_rater", lambda rater: _backend(papers))
    app.conf.task_always_eager = True
    yield papers
    app.conf.task_always_eager = False


def _rated(job) -> list[str]:
    return sorted(Rating.objects.filter(scoring_job=job).values_list("target__external_id", flat=True))


def _stages(job) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for target, stage in (PipelineArtefact.objects.filter(rating__scoring_job=job).order_by("position")
                          .values_list("rating__target__external_id", "stage")):
        found.setdefault(target, []).append(stage)
    return found


EVERY_STAGE = ["claims", "related_work", "comparison", "judgement"]


def test_the_score_command_rates_only_the_listed_papers(novelty_study, eager, write_file, capsys,
                                                       django_capture_on_commit_callbacks):
    path = write_file("papers.txt", "P1\nP3\n")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("score", "novelty-s", "--instrument", "novelty-assessment", "--rater", "llm-novelty",
                     "--targets", str(path))
    assert "scores 2 targets (a subset of 3) of novelty-s" in capsys.readouterr().out
    job = ScoringJob.objects.get()
    assert (job.total, job.completed, job.failed, job.status) == (2, 2, 0, "done")
    assert _rated(job) == ["P1", "P3"]
    assert _stages(job) == {"P1": EVERY_STAGE, "P3": EVERY_STAGE}


def test_the_managers_form_lists_the_pipeline_and_scores_a_subset(novelty_study, novelty_version, eager, client,
                                                                   django_user_model,
                                                                   django_capture_on_commit_callbacks):
    from ratings.services.studies import study_use_instrument

    manager = django_user_model.objects.create_user(username="pc-chair")
    manager.user_permissions.add(Permission.objects.get(codename="add_study"))
    novelty_study.managers.add(manager)
    study_use_instrument(study=novelty_study, version=novelty_version)
    client.force_login(manager)
    page = client.get("/manage/novelty-s/").content.decode()
    scoring_form = page[page.index('id="scoring-instrument"'):]
    assert f'<option value="{novelty_version.pk}"' in scoring_form[:scoring_form.index("</select>")]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/novelty-s/", {"action": "score", "instrument": novelty_version.pk, "seed": 0,
                                                      "subset": SimpleUploadedFile("papers.txt", b"P2\n")})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ScoringJob.objects.get()
    assert _rated(job) == ["P2"] and _stages(job) == {"P2": EVERY_STAGE}


def test_the_api_scores_a_subset_and_a_paper_the_gate_empties_fails_with_the_reason(
        novelty_study, eager, django_user_model, django_capture_on_commit_callbacks):
    owner = django_user_model.objects.create_user(username="owner")
    novelty_study.managers.add(owner)
    api = APIClient()
    api.force_authenticate(owner)
    eager[:] = ["P1", "P3"]  # no claim quotes P2: the gate drops both for it
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/studies/novelty-s/scoring-jobs/",
                            {"instrument": "novelty-assessment", "target_ids": ["P1", "P2"]}, format="json")
    assert response.status_code == 202, response.content
    body = api.get(response.json()["url"]).json()
    assert (body["total"], body["completed"], body["failed"]) == (2, 1, 1)
    [error] = body["errors"]
    assert error["target"] == "P2"
    assert "every claim was dropped by the claims gate (2 of 2 generated: 2 source sentence not found" in error["error"]
    job = ScoringJob.objects.get(pk=body["id"])
    assert _rated(job) == ["P1"]  # P2 has no rating: a missing value, never a default score

    assert body["artefacts_url"] == f"/api/v1/jobs/{job.pk}/artefacts/"  # the job links its stage outputs
    artefacts = api.get(body["artefacts_url"]).json()
    assert [r["target"] for r in artefacts["results"]] == ["P1"]
    stages = {s["stage"]: s for s in artefacts["results"][0]["stages"]}
    [comparison] = stages["comparison"]["data"]["comparisons"]
    assert comparison["anticipated_by"] == ["L03"] and comparison["contradiction"] is None
