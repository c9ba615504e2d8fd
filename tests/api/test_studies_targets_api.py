"""Studies and targets over the API: create, list, filter, paginate, bulk upload (atomic)."""

import json

import pytest

from ratings.models import Study, Target


def test_create_list_retrieve_a_study(api, alice, bob_api, db):
    response = api.post("/api/v1/studies/", {"slug": "mine", "title": "Mine", "description": "d"}, format="json")
    assert response.status_code == 201 and response.json()["slug"] == "mine"
    study = Study.objects.get(slug="mine")
    assert study.created_by == alice and list(study.managers.all()) == [alice] and study.description == "d"
    assert [s["slug"] for s in api.get("/api/v1/studies/").json()["results"]] == ["mine"]
    assert api.get("/api/v1/studies/mine/").json()["targets"] == 0
    taken = bob_api.post("/api/v1/studies/", {"slug": "mine"}, format="json")
    # 409, and the same sentence whether the slug is another manager's study or reserved (no existence leak)
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "slug"
    invalid = api.post("/api/v1/studies/", {"slug": "not a slug!"}, format="json")
    assert invalid.status_code == 400 and invalid.json()["detail"]


def test_studies_are_paginated(api, alice, db):
    from ratings.services import study_get_or_create

    for n in range(7):
        study_get_or_create(slug=f"s{n}", created_by=alice)
    first = api.get("/api/v1/studies/?page_size=3").json()
    assert first["count"] == 7 and len(first["results"]) == 3 and first["next"] and first["previous"] is None
    last = api.get("/api/v1/studies/?page_size=3&page=3").json()
    assert [s["slug"] for s in last["results"]] == ["s6"] and last["next"] is None
    assert api.get("/api/v1/studies/?page=9").status_code == 404


def test_targets_list_filter_and_paginate(api, study):
    listed = api.get("/api/v1/studies/alices/targets/?page_size=2").json()
    assert listed["count"] == 3 and [t["id"] for t in listed["results"]] == ["T1", "T2"]
    assert listed["results"][0]["criteria"] == {"change": 2.0}
    page2 = api.get(listed["next"]).json()
    assert [t["id"] for t in page2["results"]] == ["T3"]
    only = api.get("/api/v1/studies/alices/targets/?id=T2").json()
    assert [t["id"] for t in only["results"]] == ["T2"] and only["results"][0]["text"] == "Client: No."
    assert api.get("/api/v1/studies/alices/targets/?id=nope").json()["count"] == 0


@pytest.mark.parametrize(("content_type", "body"), [
    pytest.param("application/json", json.dumps([{"id": "A", "text": "a", "metadata": {"site": "x"}},
                                                 {"id": "B", "text": "b", "criteria": {"change": 1}}]), id="json"),
    pytest.param("text/csv", "id,text,site,criterion:change\nA,a,x,\nB,b,,1\n", id="csv"),
    pytest.param("application/jsonl", '{"id": "A", "text": "a", "metadata": {"site": "x"}}\n'
                                      '{"id": "B", "text": "b", "criteria": {"change": 1}}\n', id="jsonl"),
    pytest.param("application/x-ndjson", '{"id": "A", "text": "a", "site": "x"}\n'
                                         '{"id": "B", "text": "b", "criteria": {"change": 1}}\n', id="ndjson"),
])
def test_bulk_upload_in_each_format(api, study, content_type, body):
    response = api.generic("POST", "/api/v1/studies/alices/targets/", body, content_type=content_type)
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    a, b = Target.objects.get(study=study, external_id="A"), Target.objects.get(study=study, external_id="B")
    assert a.metadata == {"site": "x"} and b.criteria == {"change": 1.0}
    again = api.generic("POST", "/api/v1/studies/alices/targets/", body, content_type=content_type)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}


@pytest.mark.parametrize(("content_type", "body", "errors"), [
    pytest.param("text/csv", "id,text\nA,a\n,b\nC,\nA,again\n",
                 [(3, "`id` is missing"), (4, "`text` is missing"), (5, "repeats line 2")], id="csv-rows"),
    pytest.param("text/csv", "id,txt\nA,a\n", [(1, "lacks column(s) text")], id="csv-header"),
    pytest.param("application/jsonl", '{"id": "A", "text": "a"}\nnot json\n[1]\n',
                 [(2, "not valid JSON"), (3, "must be a JSON object")], id="jsonl"),
    pytest.param("application/json", json.dumps([{"id": "A", "text": "a"}, 5, {"id": "B"}]),
                 [(2, "must be a JSON object")], id="json-element"),
    pytest.param("application/json", json.dumps([{"id": "A", "text": "a"}, {"id": "B"}]),
                 [(2, "`text` is missing")], id="json-row"),
    pytest.param("application/json", json.dumps({"id": "A"}), [(0, "JSON array")], id="json-object"),
    pytest.param("application/json", json.dumps([{"id": "T1", "text": "changed"}]),
                 [(1, "already exists with different text")], id="changed-text"),
])
def test_bad_rows_are_400_with_line_numbers_and_nothing_is_stored(api, study, content_type, body, errors):
    before = list(Target.objects.filter(study=study).values_list("external_id", "text"))
    response = api.generic("POST", "/api/v1/studies/alices/targets/", body, content_type=content_type)
    assert response.status_code == 400, response.content
    got = response.json()["errors"]
    assert [e["line"] for e in got] == [line for line, _ in errors]
    for error, (_, reason) in zip(got, errors, strict=True):
        assert reason in error["reason"]
    assert list(Target.objects.filter(study=study).values_list("external_id", "text")) == before


def test_an_unsupported_body_type_is_415(api, study):
    response = api.generic("POST", "/api/v1/studies/alices/targets/", "x", content_type="application/xml")
    assert response.status_code == 415 and response.json()["detail"]


@pytest.mark.slow  # its speed is the benches (bench/upload_memory.py, bench/report_scale.py)'s to measure: no timing assertion here
def test_upload_of_100000_rows_in_one_request(api, study):
    body = "id,text,criterion:change\n" + "".join(f"B{n:06d},Client: session {n}.,{n % 7}\n" for n in range(100_000))
    response = api.generic("POST", "/api/v1/studies/alices/targets/", body, content_type="text/csv")
    assert response.status_code == 201, response.content[:500]
    assert response.json()["created"] == 100_000 and Target.objects.filter(study=study).count() == 100_003
    page = api.get("/api/v1/studies/alices/targets/?page=1000").json()
    assert page["count"] == 100_003 and len(page["results"]) == 100


def test_more_than_100000_rows_are_refused_whole(api, study):
    rows = [{"id": f"X{n}", "text": "t"} for n in range(100_001)]
    response = api.post("/api/v1/studies/alices/targets/", rows, format="json")
    assert response.status_code == 400 and "at most 100000" in response.json()["errors"][0]["reason"]
    assert Target.objects.filter(study=study).count() == 3
