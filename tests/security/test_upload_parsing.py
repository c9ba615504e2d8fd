"""Uploads are parsed as they are read: reading stops at the row limit, nesting is checked
without recursion, and a record that spans lines is named by its number and id."""

import io
import json
import tracemalloc

import pytest
from rest_framework.test import APIClient

from common.json_bounded import JsonBoundsError, iter_array, load_bounded
from ratings.models import Study, Target
from ratings.services import study_get_or_create, targets_import
from ratings.services.roles import user_grant_role
from ratings.tabular import ImportRejected, Row, read_rows, read_table


class CountingStream(io.RawIOBase):
    """A body of ``header`` then ``row`` repeated ``n`` times, made as it is read; counts bytes read."""

    def __init__(self, header: bytes, row: bytes, n: int, footer: bytes = b""):
        self.parts, self.n, self.read_bytes = [header], n, 0
        self.row, self.footer, self.buffer = row, footer, b""

    def readable(self):
        return True

    def readinto(self, target):
        while len(self.buffer) < len(target) and (self.n or self.footer):
            if self.n:
                self.buffer += (self.parts.pop() if self.parts else b"") + self.row * min(self.n, 1000)
                self.n -= min(self.n, 1000)
            else:
                self.buffer, self.footer = self.buffer + self.footer, b""
        chunk, self.buffer = self.buffer[:len(target)], self.buffer[len(target):]
        target[:len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


@pytest.fixture
def api(db, engagement, django_user_model):
    owner = django_user_model.objects.create_user(username="owner", password="pw")
    user_grant_role(user=owner, role="study-managers")
    study_get_or_create(slug="up", created_by=owner)
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.mark.parametrize("fmt, header, row", [
    pytest.param("csv", b"id,text\n", b"T,x\n", id="csv"),
    pytest.param("jsonl", b"", b'{"id": "T", "text": "x"}\n', id="jsonl"),
])
def test_reading_stops_at_the_row_limit(fmt, header, row):
    stream = CountingStream(header, row, 901_234)
    with pytest.raises(ImportRejected, match="more than 1000 rows; one request takes at most 1000"):
        read_table(stream, fmt, max_rows=1000)
    assert stream.read_bytes < 200_000 < 901_234 * len(row)  # a few blocks, not the whole body


def test_a_json_array_stops_at_its_limit_and_at_the_depth_limit():
    stream = CountingStream(b"[", b"{},", 3_000_000, b"{}]")
    with pytest.raises(JsonBoundsError, match="more than 100000 elements") as caught:
        load_bounded(stream, max_length=100_000)
    assert caught.value.element == 100_001 and stream.read_bytes < 1_000_000 < 9_000_000
    with pytest.raises(JsonBoundsError, match="nested too deeply") as caught:
        load_bounded(io.BytesIO(b'[{"a": 1}, ' + b"[" * 5_000_000), max_depth=64)
    assert caught.value.element == 2
    assert load_bounded(io.BytesIO(b'[1, {"a": [2.5, null, true]}, "x"]')) == [1, {"a": [2.5, None, True]}, "x"]


class TranscriptArray(io.RawIOBase):
    """``[{"id": ..., "text": 9,000 characters}, ...]`` of ``n`` elements, made as it is read."""

    def __init__(self, n: int):
        self.n, self.made, self.buffer = n, 0, b"["

    def readable(self):
        return True

    def readinto(self, target):
        while len(self.buffer) < len(target) and self.made < self.n:
            self.made += 1
            self.buffer += (b"," if self.made > 1 else b"") + json.dumps({"id": f"T{self.made}", "text": "x" * 9_000}).encode()
            if self.made == self.n:
                self.buffer += b"]"
        chunk, self.buffer = self.buffer[:len(target)], self.buffer[len(target):]
        target[:len(chunk)] = chunk
        return len(chunk)


def test_a_json_array_of_long_strings_is_parsed_in_bounded_memory():
    """ijson's own pure-Python lexer keeps appending to one buffer while its reads end inside
    strings (the whole body, here 8 MB); ours keeps the token being read."""
    tracemalloc.start()
    try:
        n = sum(1 for _ in iter_array(io.BufferedReader(TranscriptArray(900))))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 900 and peak < 1_000_000 < 900 * 9_000


def test_rows_are_stored_as_they_are_read_and_a_late_bad_row_stores_nothing(api):
    study = Study.objects.get(slug="up")

    def rows():  # many chunks of targets, then an id that repeats the first
        yield from (Row(n, {"id": f"T{n}", "text": "x" * 1000}) for n in range(1, 2001))
        yield Row(2001, {"id": "T1", "text": "y"})

    with pytest.raises(ImportRejected) as caught:
        targets_import(study=study, rows=rows(), fmt="jsonl")
    assert [str(e) for e in caught.value.errors] == ["line 2001: id 'T1' repeats line 1"]
    assert not Target.objects.exists()
    body = [{"id": f"T{n}", "text": "x" * 1000} for n in range(1, 1501)] + [{"id": "T9", "text": "\u0000"}]
    response = api.post("/api/v1/studies/up/targets/", body, format="json")
    assert response.status_code == 400 and response.json()["errors"] == [
        {"line": 1501, "reason": "contains a NUL character (\\x00)"}]
    assert not Target.objects.exists()
    response = api.post("/api/v1/studies/up/targets/", body[:-1], format="json")
    assert response.status_code == 201 and response.json()["created"] == 1500 == Target.objects.count()


@pytest.mark.parametrize("depth", [400, 650, 900])
def test_json_nested_400_to_900_deep_is_a_400_with_its_line(api, depth):
    nested = "[" * depth + "]" * depth
    row = '{"id": "T1", "text": "fine"}'
    deep = f'{{"id": "T2", "text": "x", "metadata": {{"k": {nested}}}}}'
    for content_type, body, line in (
        ("application/json", f"[{row}, {deep}]", 2),
        ("application/jsonl", f"{row}\n{row[:-1]}, \"more\": 1}}\n{deep}\n", 3),
    ):
        response = APIClient.post(api, "/api/v1/studies/up/targets/", body, content_type=content_type)
        assert response.status_code == 400, response.content[:300]
        errors = response.json()["errors"]
        assert [e["line"] for e in errors] == [line] and "nested too deeply" in errors[0]["reason"]
    response = api.post("/api/v1/batches/", {"instrument": "therapy-engagement", "items": [
        {"id": "T1", "text": "x"}, {"id": "T2", "text": "y", "metadata": json.loads(f'{{"k": {nested}}}')}]},
        format="json")
    assert response.status_code == 400 and "nested too deeply" in json.dumps(response.json())
    assert not Target.objects.exists()


def test_a_csv_record_that_spans_lines_is_named_by_record_and_id(api):
    transcript = "Client: I came back.\nTherapist: Tell me more.\n" * 6  # 12 lines in one field
    body = ("id,text,criterion:change\n"
            f'T01,"{transcript}",1\n'
            f'T02,"{transcript}",2\n'
            f'T03,"{transcript}",high\n')
    with pytest.raises(ImportRejected) as caught:
        targets_import(study=Study.objects.get(slug="up"), rows=read_rows(body, "csv"), fmt="csv")
    [error] = caught.value.errors
    assert str(error) == "record 3, id T03, lines 28-40: criterion 'change' must be a number, not 'high'"
    response = api.generic("POST", "/api/v1/studies/up/targets/", body, content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"line": 28, "record": 3, "id": "T03",
                                          "reason": "criterion 'change' must be a number, not 'high'"}]
    # Field-count problems too, and a file of one-line records keeps its plain line numbers.
    with pytest.raises(ImportRejected) as caught:
        read_rows(f'id,text\nT01,"{transcript}"\nT02,x,extra\n', "csv")
    assert [str(e) for e in caught.value.errors] == ["record 2, id T02, line 15: more fields than the header's 2"]
    with pytest.raises(ImportRejected) as caught:
        read_rows("id,text\nT01,x\nT02,x,extra\n", "csv")
    assert [str(e) for e in caught.value.errors] == ["line 3: more fields than the header's 2"]


def test_a_body_over_the_small_limit_is_refused_outside_the_upload_endpoints(client, db, settings):
    """The sign-in form is not an upload endpoint: a 3 MB POST is refused before it is read."""
    body = "username=x&password=" + "y" * 3_000_000
    response = client.generic("POST", "/accounts/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "ANCHOR_MAX_REQUEST_BYTES" in response.content.decode()
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440 < settings.ANCHOR_MAX_UPLOAD_BYTES
