"""A pipeline job's stage artefacts over the REST API: what each stage produced, scoped like
every other read (another user's job is a 404), filterable by target, gone with the material."""

import json
from pathlib import Path

import pytest

from instruments.services import instrument_load
from novelty.services import literature_import
from ratings.models import Target
from ratings.services import targets_import
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
from ratings.tabular import read_rows
from tests.novelty.fakes import ScriptedBackend

DEMO = Path(__file__).resolve().parents[2] / "novelty" / "demo"
SOURCE = "The model attends only to the dominant tidal constituents of the gauge record."


@pytest.fixture
def job(study, builtin_text, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.ANCHOR_NOVELTY_INDEX_DIR = str(tmp_path)
    version = instrument_load(text=builtin_text("novelty-assessment")).version
    targets_import(study=study, rows=read_rows((DEMO / "submissions.jsonl").read_text(), "jsonl"), fmt="jsonl")
    literature_import(study=study, rows=read_rows((DEMO / "literature.jsonl").read_text(), "jsonl"))
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=version, rater=llm_rater_get_or_create(name="llm-novelty"),
                                created_by=study.created_by)
    for external_id in ("P1", "P3"):
        target = Target.objects.get(study=study, external_id=external_id)
        claims = [{"claim": "sparse attention over tidal constituents", "kind": "method", "source_sentence": SOURCE}
                  if external_id == "P1" else
                  {"claim": "a kinetic model of Maillard browning", "kind": "method",
                   "source_sentence": "A kinetic model of Maillard browning is fitted to croissant images."}]
        score_target(job_id=job.pk, target_id=target.pk, backend=ScriptedBackend(
            claims=claims, comparison=lambda prompt: {"label": "anticipated", "anticipated_by": ["L03"],
                                                      "explanation": "L03."}))
    return job


def test_the_owner_reads_every_stage_of_every_rating(api, job):
    body = api.get(f"/api/v1/jobs/{job.pk}/artefacts/").json()
    assert body["count"] == 2
    first = body["results"][0]
    assert (first["target"], first["instrument"], first["rater"]) == ("P1", "novelty-assessment@1.1.0", "llm-novelty")
    stages = {s["stage"]: s for s in first["stages"]}
    assert list(stages) == ["claims", "related_work", "comparison", "judgement"]
    assert stages["claims"]["data"]["claims"][0]["source_sentence"] == SOURCE
    assert stages["claims"]["gate"]["kept"] == 1 and stages["claims"]["gate"]["checks"]
    paper = stages["related_work"]["data"]["per_claim"][0]["papers"][0]
    assert paper["id"] == "L03" and "tidal constituents" in paper["abstract"]
    assert stages["related_work"]["data"]["excluded"]["not_earlier"]["ids"] == ["L10"]
    comparison = stages["comparison"]["data"]["comparisons"][0]
    assert comparison["cited_passages"][0]["id"] == "L03"
    assert "consistency" in stages["judgement"]["data"]
    json.dumps(body)  # plain JSON


def test_one_target_and_the_scoping(api, bob_api, job):
    only = api.get(f"/api/v1/jobs/{job.pk}/artefacts/?target=P3").json()
    assert [r["target"] for r in only["results"]] == ["P3"]
    assert bob_api.get(f"/api/v1/jobs/{job.pk}/artefacts/").status_code == 404
    assert api.get("/api/v1/jobs/999999/artefacts/").status_code == 404


def test_the_artefacts_go_with_the_material(api, job, study):
    from ratings.services.material_deletion import study_material_delete

    study_material_delete(study=study)
    assert api.get(f"/api/v1/jobs/{job.pk}/artefacts/").json()["count"] == 0
