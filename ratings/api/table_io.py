"""What a study's table endpoints share (ratings, segment codes, segments): POST a long-format
table (a JSON array, CSV or JSON Lines) into one import service, answered 201 with its counts or
400 naming every bad row, nothing stored; GET the study's rows as JSON, CSV or JSON Lines, the
reading audited. A view says which columns, which service and which rows; the steps live here."""

import json
from collections.abc import Iterable

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actor import Actor
from common.csv_safe import csv_text
from ratings.models import Study
from ratings.services.access import ratings_exported
from ratings.services.import_raters import ImportSource
from ratings.tabular import ImportRejected, Row

from .common import TABLE_PARSERS, body_sha256, rejected_response, table_row_stream
from .studies import study_for


class ExportCsvRenderer(BaseRenderer):
    """``text/csv`` of export rows, ``columns`` in order; a body without the ``marker`` key (an
    error) is written with its own keys."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    columns: list[str] = []
    marker = ""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, list):  # an error body
            data = [data]
        columns = self.columns if not data or self.marker in data[0] else list(data[0])
        return csv_text(data, columns).encode("utf-8")


class JsonLinesRenderer(BaseRenderer):
    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


class ImportCountsOutput(serializers.Serializer):
    # What every import answers first; each adds what it stored. (No docstring: the schema
    # would show it for every import's output.)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


def rater_import_parameters(*, instrument: str, rater_kind: str) -> list[OpenApiParameter]:
    """The query parameters of an import of raters' rows (ratings, codes): the default
    instrument and rater kind (each import says when they apply), the outside judges' model and
    the file's name."""
    return [
        OpenApiParameter("instrument", str, description=instrument),
        OpenApiParameter("rater_kind", str, enum=["human", "llm"], description=rater_kind),
        OpenApiParameter("model", str, description="the outside judges' model, unless a `model` column names it"),
        OpenApiParameter("file_name", str, description="the file's name, kept in the ratings' provenance"),
    ]


def rater_import_options(request: Request) -> dict:
    """What ``rater_import_parameters`` say, read from the query, and who imports."""
    params = request.query_params
    return {"instrument": params.get("instrument"), "rater_kind": params.get("rater_kind", "human"),
            "model": params.get("model", ""), "actor": Actor.from_request(request)}


class TableImportApi(APIView):
    """POST: the body's rows (``required_columns``, at most ``max_rows``; default
    ``common.MAX_ROWS``) into ``run_import``, in one transaction of the service's. The rows are
    an iterator read once: a bad body raises ``ImportRejected`` while the service reads it, and
    the service's transaction rolls back."""

    large_uploads = True  # bodies up to ANCHOR_MAX_UPLOAD_BYTES (common/upload_limit.py)
    parser_classes = TABLE_PARSERS
    required_columns: tuple[str, ...] = ()
    max_rows: int | None = None
    import_output: type[serializers.Serializer]

    def run_import(self, *, request: Request, study: Study, rows: Iterable[Row], source: ImportSource):
        """Call the import service; its result is rendered with ``import_output``."""
        raise NotImplementedError

    def post(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        try:
            # Handed on as read, so the body is never held whole; its hash is known once it is read.
            rows, _ = table_row_stream(request.data, required=self.required_columns, max_rows=self.max_rows,
                                       hashed=True)
            source = ImportSource(file_name=request.query_params.get("file_name", "")[:300],
                                  file_sha256=lambda: body_sha256(request.data))
            result = self.run_import(request=request, study=study, rows=rows, source=source)
        except ImportRejected as exc:
            return rejected_response(exc)
        return Response(self.import_output(result).data, status=status.HTTP_201_CREATED)


class TableApi(TableImportApi):
    """Also GET: ``export_rows`` of the study, its reading audited as ``export_noun`` rows."""

    export_noun: str

    def export_rows(self, study: Study) -> Iterable[dict]:
        raise NotImplementedError

    def get(self, request: Request, slug: str) -> Response:
        study = study_for(request, slug)
        rows = list(self.export_rows(study))
        ratings_exported(actor=Actor.from_request(request), study=study,
                         detail={self.export_noun: len(rows), "format": request.accepted_renderer.format})
        return Response(rows)
