"""Ratings over the API: import human ratings (long format), export a study's ratings."""

import csv
import io
import json

import pytest

from ratings.models import ItemScore, Rating
from ratings.services.scoring import llm_rater_get_or_create, score_target, scoring_job_start
from tests.ratings.fake_llm import FakeBackend

LONG_CSV = ("target_id,rater_id,item,score\n"
            "T1,ann,participation,4\nT1,ann,disclosure,\nT2,ann,participation,2\nT1,ben,participation,5\n")


def _import(api, body, content_type="text/csv", query=""):
    return api.generic("POST", f"/api/v1/studies/alices/ratings/{query}", body, content_type=content_type)


def test_import_long_format_csv_then_again_changes_nothing(api, study):
    response = _import(api, LONG_CSV, query="?instrument=therapy-engagement")
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "item_scores": 3, "raters_created": 2,
                               "rating_design": ""}
    assert _import(api, LONG_CSV, query="?instrument=therapy-engagement").json()["unchanged"] == 3


def test_a_ratings_body_may_carry_more_rows_than_other_tables(api, study, monkeypatch):
    """Ratings CSV bodies take up to MAX_RATING_ROWS (500,000; here 4) rows, past MAX_ROWS (here 2)."""
    monkeypatch.setattr("ratings.api.common.MAX_ROWS", 2)
    monkeypatch.setattr("ratings.api.ratings_io.RatingsApi.max_rows", 4)  # MAX_RATING_ROWS
    response = _import(api, LONG_CSV, query="?instrument=therapy-engagement")
    assert response.status_code == 201 and response.json()["item_scores"] == 3, response.content
    refused = _import(api, LONG_CSV + "T2,ben,participation,3\n", query="?instrument=therapy-engagement")
    assert refused.status_code == 400 and "at most 4" in refused.json()["errors"][0]["reason"]


def test_import_json_array_and_jsonl(api, study):
    rows = [{"target_id": "T1", "rater_id": "ann", "item": "participation", "score": 4,
             "instrument": "therapy-engagement"}]
    assert api.post("/api/v1/studies/alices/ratings/", rows, format="json").status_code == 201
    line = json.dumps({**rows[0], "rater_id": "ben"}) + "\n"
    assert _import(api, line, content_type="application/jsonl").json()["created"] == 1
    assert Rating.objects.filter(target__study=study).count() == 2


def test_bad_rating_rows_are_400_with_lines_and_nothing_is_stored(api, study):
    body = ("target_id,rater_id,item,score,instrument\nT1,ann,participation,4,therapy-engagement\n"
            "T9,ann,participation,4,therapy-engagement\nT1,ann,disclosure,6,therapy-engagement\n"
            "T1,ann,nope,1,therapy-engagement\n")
    response = _import(api, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["line"] for e in errors] == [3, 4, 5]
    assert "not in study" in errors[0]["reason"] and "not a point" in errors[1]["reason"]
    assert not Rating.objects.exists()


@pytest.fixture
def rated(api, study, engagement, django_capture_on_commit_callbacks):
    """Alice's study with human ratings and an LLM rating of T1."""
    _import(api, LONG_CSV, query="?instrument=therapy-engagement")
    with django_capture_on_commit_callbacks(execute=False):
        job = scoring_job_start(study=study, version=engagement, rater=llm_rater_get_or_create(name="llm-test"))
    score_target(job_id=job.pk, target_id=study.targets.get(external_id="T1").pk, backend=FakeBackend())
    return study


def test_export_json_has_scores_distributions_and_provenance(api, rated):
    rows = api.get("/api/v1/studies/alices/ratings/").json()
    assert len(rows) == ItemScore.objects.count() == 3 + 10
    human = next(r for r in rows if r["rater"] == "ann" and r["target"] == "T1")
    assert (human["item"], human["score"], human["expected_score"], human["distribution"]) == ("participation", 4.0, None, None)
    llm = [r for r in rows if r["rater"] == "llm-test"]
    assert len(llm) == 10 and all(r["rater_kind"] == "llm" and r["source"] == "llm" for r in llm)
    assert sum(llm[0]["distribution"].values()) == pytest.approx(1.0)
    assert llm[0]["provenance"]["model_sha256"] == "0" * 64
    assert llm[0]["instrument"].startswith("therapy-engagement@")


@pytest.mark.parametrize("how", [{"path": "?format=csv"}, {"path": "", "HTTP_ACCEPT": "text/csv"}], ids=["query", "accept"])
def test_export_csv(api, rated, how):
    how = dict(how)
    response = api.get("/api/v1/studies/alices/ratings/" + how.pop("path"), **how)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 13
    llm = next(r for r in rows if r["rater"] == "llm-test")
    assert sum(json.loads(llm["distribution"]).values()) == pytest.approx(1.0)
    assert json.loads(llm["provenance"])["backend"] == "fake"
    assert next(r for r in rows if r["rater"] == "ann")["expected_score"] == ""


def test_export_jsonl(api, rated):
    response = api.get("/api/v1/studies/alices/ratings/?format=jsonl")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/jsonl")
    rows = [json.loads(line) for line in response.content.decode().splitlines()]
    assert len(rows) == 13 and {r["rater"] for r in rows} == {"ann", "ben", "llm-test"}


def test_export_of_a_study_without_ratings_is_empty(api, study):
    assert api.get("/api/v1/studies/alices/ratings/").json() == []
    assert api.get("/api/v1/studies/alices/ratings/?format=csv").content.decode().startswith("target,rater,")
