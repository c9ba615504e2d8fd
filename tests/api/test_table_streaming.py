"""The ratings, codes and segments endpoints hand the body's rows to the import as they are read
(never a list of the whole body), record the body's SHA-256 once it is read, and a bad row late in
the stream still rejects the whole body with nothing stored."""

import hashlib
import json

import pytest

import ratings.api.codes_io
import ratings.api.ratings_io
from ratings.models import Rating, SegmentCode
from ratings.services.codes_import import codes_import
from ratings.tabular import ImportRejected, Row
from tests.coding.conftest import coded_study, mi_coding  # noqa: F401 (the coded transcripts)

RATINGS = "target_id,rater_id,item,score\nT1,ann,participation,4\nT2,ann,participation,2\nT1,ben,participation,5\n"
CODES = "target_id,segment_id,rater_id,code_set,code\nS1,u1,ann,therapist_behaviour,question\n" \
        "S1,u2,ann,client_talk,change\n"


def _post(api, path, body, content_type="text/csv", query=""):
    return api.generic("POST", f"{path}{query}", body, content_type=content_type)


def _spy(monkeypatch, module, name):
    """Wrap the module's import service, recording what kind of rows it is given."""
    real, seen = getattr(module, name), []

    def spy(*, rows, **kwargs):
        seen.append(isinstance(rows, (list, tuple)))
        return real(rows=rows, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


@pytest.mark.parametrize("content_type", ["text/csv", "application/json"])
def test_ratings_rows_reach_the_import_as_a_stream(api, study, monkeypatch, content_type):
    seen = _spy(monkeypatch, ratings.api.ratings_io, "ratings_import")
    if content_type == "text/csv":
        body = RATINGS
    else:
        lines = RATINGS.splitlines()
        body = json.dumps([dict(zip(lines[0].split(","), line.split(","))) for line in lines[1:]])
    response = _post(api, "/api/v1/studies/alices/ratings/", body, content_type, "?instrument=therapy-engagement")
    assert response.status_code == 201, response.content
    assert response.json()["item_scores"] == 3
    assert seen == [False]  # an iterator, not the body as a list


@pytest.fixture
def alices_coded(coded_study, alice):
    coded_study.managers.add(alice)
    return coded_study


def test_codes_rows_reach_the_import_as_a_stream(api, alices_coded, monkeypatch):
    seen = _spy(monkeypatch, ratings.api.codes_io, "codes_import")
    response = _post(api, "/api/v1/studies/mi/codes/", CODES)
    assert response.status_code == 201 and response.json()["segment_codes"] == 2, response.content
    assert seen == [False]


def test_a_json_array_is_hashed_in_its_canonical_form_once_read(api, study):
    """The same rows sent with other spacing and key order give the same hash: SHA-256 of
    ``json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``."""
    rows = [{"target_id": "T1", "rater_id": "judge", "item": "participation", "score": 3.5, "model": "modèle-1"},
            {"target_id": "T2", "rater_id": "judge", "item": "participation", "score": 2, "model": "modèle-1"}]
    expected = hashlib.sha256(json.dumps(rows, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False).encode("utf-8")).hexdigest()
    spaced = "[\n " + ",\n ".join(json.dumps(dict(reversed(list(r.items()))), indent=1) for r in rows) + "\n]"
    query = "?instrument=therapy-engagement&rater_kind=llm"
    response = _post(api, "/api/v1/studies/alices/ratings/", spaced.encode(), "application/json", query)
    assert response.status_code == 201, response.content
    hashes = {r.provenance["file_sha256"] for r in Rating.objects.filter(target__study=study)}
    assert hashes == {expected}


def test_a_jsonl_body_is_hashed_as_its_bytes(api, study):
    body = "".join(json.dumps({"target_id": t, "rater_id": "ann", "item": "participation", "score": 3}) + "\n"
                   for t in ("T1", "T2")).encode()
    response = _post(api, "/api/v1/studies/alices/ratings/", body, "application/jsonl",
                     "?instrument=therapy-engagement&file_name=r.jsonl")
    assert response.status_code == 201, response.content
    provenance = Rating.objects.filter(target__study=study).first().provenance
    assert provenance == {"imported": True, "file_name": "r.jsonl", "file_sha256": hashlib.sha256(body).hexdigest()}


def test_a_bad_row_at_the_end_of_the_stream_stores_nothing(api, study):
    body = RATINGS + "T3,ann,participation,bad\x00value\n"
    response = _post(api, "/api/v1/studies/alices/ratings/", body, query="?instrument=therapy-engagement")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 5, "reason": "contains a NUL character (\\x00)"}]
    assert not Rating.objects.filter(target__study=study).exists()


def test_the_codes_import_still_refuses_nul_in_rows_it_is_given(alices_coded):
    """Rows from a caller (not a reader that checked them) are checked as they are read."""
    good = {"target_id": "S1", "segment_id": "u1", "rater_id": "ann", "code_set": "therapist_behaviour",
            "code": "question"}
    rows = [Row(1, good), Row(2, {**good, "segment_id": "u2", "code_set": "client_talk", "code": "chan\x00ge"})]
    with pytest.raises(ImportRejected) as rejected:
        codes_import(study=alices_coded, rows=iter(rows))
    assert [str(e) for e in rejected.value.errors] == ["line 2: contains a NUL character (\\x00)"]
    assert not SegmentCode.objects.exists()
