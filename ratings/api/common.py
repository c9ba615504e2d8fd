"""What the API modules share: body parsers for uploaded tables, the row-error response."""

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from common.api_errors import ErrorListOutput, ErrorOutput  # noqa: F401 (re-exported)
from common.parsers import MAX_ARRAY_LENGTH, SafeJSONParser
from ratings.tabular import ImportRejected, Row, RowError, iter_table, reject_nul

MAX_ROWS = MAX_ARRAY_LENGTH
# A ratings row is one item score (a few dozen bytes), so a CSV or JSON Lines body of ratings may
# carry more rows; ANCHOR_MAX_UPLOAD_BYTES still bounds the body. A JSON array stays at MAX_ROWS.
MAX_RATING_ROWS = 500_000


@dataclass(frozen=True, slots=True)
class RawTable:
    """A table body, not read yet: a JSON array, CSV or JSON Lines. ``table_rows`` and
    ``table_row_stream`` parse it from the request's stream as it arrives and stop at
    ``MAX_ROWS``, so the body is never held whole, as text or as parsed rows."""

    fmt: str  # json, csv or jsonl
    stream: object
    sha256: object = field(default_factory=hashlib.sha256)  # of the body, once it is read (``body_sha256``)


class HashingSource:
    """A body stream that hashes what is read from it, so an import can record the SHA-256 of
    the bytes it parsed without holding them (``body_sha256``)."""

    def __init__(self, source, sha256=None) -> None:
        self.source = source
        self.sha256 = sha256 if sha256 is not None else hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha256.update(data)
        return data


class CreatesStudies(BasePermission):
    """Reading needs an account; creating a study (or a batch, which is one) needs the study
    manager's or API client's ``ratings.add_study``, the same as the manager pages."""

    message = "creating studies needs the study manager or API client role"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.has_perm("ratings.add_study")


class _TextParser(BaseParser):
    fmt = ""

    def parse(self, stream, media_type=None, parser_context=None):
        sha256 = hashlib.sha256()
        return RawTable(self.fmt, HashingSource(stream if stream is not None else io.BytesIO(b""), sha256), sha256)


class JsonTableParser(SafeJSONParser):
    """A JSON array for the upload endpoints: its elements are parsed one at a time as the rows
    are stored (``common.json_bounded.iter_array``), with the same bounds as ``SafeJSONParser``."""

    def parse(self, stream, media_type=None, parser_context=None):
        return RawTable("json", stream if stream is not None else io.BytesIO(b""))


class CsvParser(_TextParser):
    media_type = "text/csv"
    fmt = "csv"


class JsonLinesParser(_TextParser):
    media_type = "application/jsonl"
    fmt = "jsonl"


class NdjsonParser(JsonLinesParser):
    media_type = "application/x-ndjson"


TABLE_PARSERS = [JsonTableParser, CsvParser, JsonLinesParser, NdjsonParser]


def table_row_stream(data, *, required: tuple[str, ...] = (), max_rows: int | None = None,
                     hashed: bool = False) -> tuple[Iterable[Row], str]:
    """Rows from a parsed body, handed on as they are read: a JSON array of objects, CSV text or
    JSON Lines text, and the format the services read them in (a JSON array's element N is
    line N, the way JSON Lines count). ``ImportRejected``, while or after the rows are read, if
    the body cannot be read as a table, has a bad row or more than ``max_rows`` rows (default
    ``MAX_ROWS``; a JSON array never more than ``MAX_ROWS``). With ``hashed``, ``body_sha256``
    gives the body's hash once the rows are read."""
    if isinstance(data, RawTable):
        limit = MAX_ROWS if data.fmt == "json" else (max_rows or MAX_ROWS)
        rows = iter_table(data.stream, data.fmt, required=required, max_rows=limit)
        if hashed and data.fmt == "json":
            rows = _canonically_hashed(rows, data.sha256)
        return rows, "jsonl" if data.fmt == "json" else data.fmt
    if isinstance(data, list):  # a JSON body parsed whole (a test, or a caller with SafeJSONParser)
        bad = [RowError(n, "each element must be a JSON object") for n, v in enumerate(data, 1) if not isinstance(v, dict)]
        if bad:
            raise ImportRejected(bad)
        if not data:
            raise ImportRejected([RowError(0, "the array has no rows")])
        if len(data) > MAX_ROWS:
            raise ImportRejected([RowError(0, f"{len(data)} rows; one request takes at most {MAX_ROWS}")])
        rows = [Row(n, v) for n, v in enumerate(data, start=1)]
        reject_nul(rows)
        return rows, "jsonl"
    raise ImportRejected([RowError(0, "send a JSON array of objects, text/csv or application/jsonl")])


def table_rows(data, *, required: tuple[str, ...] = (), max_rows: int | None = None) -> tuple[list[Row], str]:
    """All rows of ``table_row_stream``, as a list (for imports that need them all at once)."""
    rows, fmt = table_row_stream(data, required=required, max_rows=max_rows, hashed=True)
    return list(rows), fmt


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _canonically_hashed(rows: Iterable[Row], sha256) -> Iterator[Row]:
    """The rows, hashing the array of their values in ``_canonical`` form as they pass (the
    hash of ``_canonical([row.values, ...])``, never the whole array in memory)."""
    sha256.update(b"[")
    for n, row in enumerate(rows):
        sha256.update(b"," + _canonical(row.values) if n else _canonical(row.values))
        yield row
    sha256.update(b"]")


def body_sha256(data) -> str:
    """SHA-256 of an uploaded table, once its rows are read (``table_rows``, or ``table_row_stream``
    with ``hashed``): of the bytes sent (CSV, JSON Lines), or of a JSON array's canonical form
    (sorted keys, no spaces), so the same rows give the same hash."""
    if isinstance(data, RawTable):  # read by now
        return data.sha256.hexdigest()
    return hashlib.sha256(_canonical(data)).hexdigest()


def field_error_response(field: str, message: str) -> Response:
    """400 naming the field that is wrong, in the shape of every other API error."""
    return Response({"detail": message, "errors": [{"field": field, "message": message}]},
                    status=status.HTTP_400_BAD_REQUEST)


def rejected_response(exc: ImportRejected) -> Response:
    return Response({"detail": "rejected, nothing stored", "errors": [e.as_dict() for e in exc.errors]},
                    status=status.HTTP_400_BAD_REQUEST)
