"""What the API modules share: body parsers for uploaded tables, the row-error response."""

import hashlib
import io
import json
from dataclasses import dataclass

from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from common.api_errors import ErrorListOutput, ErrorOutput  # noqa: F401 (re-exported)
from common.parsers import MAX_ARRAY_LENGTH, SafeJSONParser
from ratings.tabular import ImportRejected, Row, RowError, read_table, reject_nul

MAX_ROWS = MAX_ARRAY_LENGTH
# A ratings row is one item score (a few dozen bytes), so a CSV or JSON Lines body of ratings may
# carry more rows; ANCHOR_MAX_UPLOAD_BYTES still bounds the body. A JSON array stays at MAX_ROWS.
MAX_RATING_ROWS = 500_000


@dataclass(frozen=True, slots=True)
class RawTable:
    """A CSV or JSON Lines body, not read yet: ``table_rows`` parses it from the request's
    stream as it arrives and stops at ``MAX_ROWS``, so the body is never held whole as text."""

    fmt: str
    stream: object


class HashingSource:
    """A body stream that hashes what is read from it, so an import can record the SHA-256 of
    the bytes it parsed without holding them (``body_sha256``)."""

    def __init__(self, source) -> None:
        self.source = source
        self.sha256 = hashlib.sha256()

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
        return RawTable(self.fmt, HashingSource(stream if stream is not None else io.BytesIO(b"")))


class CsvParser(_TextParser):
    media_type = "text/csv"
    fmt = "csv"


class JsonLinesParser(_TextParser):
    media_type = "application/jsonl"
    fmt = "jsonl"


class NdjsonParser(JsonLinesParser):
    media_type = "application/x-ndjson"


TABLE_PARSERS = [SafeJSONParser, CsvParser, JsonLinesParser, NdjsonParser]


def table_rows(data, *, required: tuple[str, ...] = (), max_rows: int | None = None) -> tuple[list[Row], str]:
    """Rows from a parsed body: a JSON array of objects, CSV text or JSON Lines text.

    A JSON array's element N is line N, the way JSON Lines count; ``ImportRejected`` if the body
    cannot be read as a table or has more than ``max_rows`` (default ``MAX_ROWS``) rows."""
    max_rows = max_rows or MAX_ROWS
    if isinstance(data, RawTable):
        rows, fmt = read_table(data.stream, data.fmt, required=required, max_rows=max_rows), data.fmt
    elif isinstance(data, list):
        bad = [RowError(n, "each element must be a JSON object") for n, v in enumerate(data, 1) if not isinstance(v, dict)]
        if bad:
            raise ImportRejected(bad)
        if not data:
            raise ImportRejected([RowError(0, "the array has no rows")])
        rows, fmt = [Row(n, v) for n, v in enumerate(data, start=1)], "jsonl"
        reject_nul(rows)
    else:
        raise ImportRejected([RowError(0, "send a JSON array of objects, text/csv or application/jsonl")])
    if len(rows) > max_rows:
        raise ImportRejected([RowError(0, f"{len(rows)} rows; one request takes at most {max_rows}")])
    return rows, fmt


def body_sha256(data) -> str:
    """SHA-256 of an uploaded table, after ``table_rows``: of the bytes sent (CSV, JSON Lines), or of a JSON array's
    canonical form (sorted keys, no spaces), so the same rows give the same hash."""
    if isinstance(data, RawTable):  # read by now: table_rows parsed it whole
        return data.stream.sha256.hexdigest()
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def field_error_response(field: str, message: str) -> Response:
    """400 naming the field that is wrong, in the shape of every other API error."""
    return Response({"detail": message, "errors": [{"field": field, "message": message}]},
                    status=status.HTTP_400_BAD_REQUEST)


def rejected_response(exc: ImportRejected) -> Response:
    return Response({"detail": "rejected, nothing stored", "errors": [e.as_dict() for e in exc.errors]},
                    status=status.HTTP_400_BAD_REQUEST)
