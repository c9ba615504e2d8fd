"""Importing a study's targets (material to rate) from CSV or JSONL rows.

Columns: ``id``, ``text``; a column ``criterion:NAME`` is a numeric outcome criterion; any
other column is metadata. JSONL lines carry ``id``, ``text`` and optionally ``metadata`` and
``criteria`` objects (other keys are metadata too), and ``segments`` (``[{id, speaker, text}]``,
the ordered utterances a coding instrument codes; with segments, ``text`` may be left out and is
then the transcript ``speaker: text`` line by line).
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction

from audit.actor import Actor
from audit.services import audit_record
from ratings.fields import content_sha256
from ratings.models import Study, Target
from ratings.tabular import ImportRejected, Row, RowError, TableFormat, value_problem

from .segments import SegmentData, parse_segment_list, segments_store, transcript_text

CRITERION_PREFIX = "criterion:"
MAX_ID_LENGTH = 200


@dataclass(frozen=True, slots=True)
class TargetsImportResult:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class _TargetData:
    line: int
    external_id: str
    text: str
    metadata: dict
    criteria: dict
    segments: list[SegmentData] | None = None


def _number(value, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"criterion {name!r} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"criterion {name!r} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"criterion {name!r} must be finite, not {value!r}")
    return number


def _from_csv(values: dict) -> tuple[object, object, dict, dict]:
    metadata, criteria = {}, {}
    for column, value in values.items():
        if column in ("id", "text"):
            continue
        if column.startswith(CRITERION_PREFIX):
            criteria[column[len(CRITERION_PREFIX):]] = value
        elif value != "":
            metadata[column] = value
    return values.get("id"), values.get("text"), metadata, criteria


def _from_jsonl(values: dict) -> tuple[object, object, dict, dict]:
    metadata = values.get("metadata", {})
    criteria = values.get("criteria", {})
    if not isinstance(metadata, dict) or not isinstance(criteria, dict):
        raise ValueError("`metadata` and `criteria` must be JSON objects")
    extra = {k: v for k, v in values.items() if k not in ("id", "text", "metadata", "criteria", "segments")}
    return values.get("id"), values.get("text"), {**extra, **metadata}, criteria


def _parse(row: Row, fmt: TableFormat) -> _TargetData:
    raw_id, text, metadata, raw_criteria = (_from_csv if fmt == "csv" else _from_jsonl)(row.values)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise ValueError("`id` is missing or empty")
    external_id = str(raw_id).strip()
    if len(external_id) > MAX_ID_LENGTH:
        raise ValueError(f"`id` is longer than {MAX_ID_LENGTH} characters")
    segments = None
    if fmt == "jsonl" and row.values.get("segments") is not None:
        try:
            segments = parse_segment_list(row.values["segments"], row.line)
        except ValueError as exc:
            raise ValueError(f"target {external_id!r}: {exc}") from None
        if text is None:
            text = transcript_text(segments)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"target {external_id!r}: `text` is missing or empty")
    criteria = {}
    for name, value in raw_criteria.items():
        if not name.strip():
            raise ValueError("a criterion has an empty name")
        number = _number(value, name)
        if number is not None:
            criteria[name] = number
    return _TargetData(row.line, external_id, text, metadata, criteria, segments)


# Rows are validated and stored a chunk at a time, so an upload holds one chunk of targets (and
# their ciphertext) besides the ids seen so far, never the whole file's rows.
CHUNK_CHARS = 64 * 1024
CHUNK_ROWS = 500


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk, chars = [], 0
    for row in rows:
        chunk.append(row)
        text = row.values.get("text")
        chars += len(text) if isinstance(text, str) else 0
        if chars >= CHUNK_CHARS or len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _validate(rows: list[Row], fmt: TableFormat, first_line: dict[str, int], errors: list[RowError]) -> list[_TargetData]:
    """The chunk's targets; a bad row (or an id an earlier row has) goes to ``errors`` instead."""
    parsed = []
    for row in rows:
        problem = value_problem(row.values)  # rows that did not come through ``iter_table``
        if problem:
            errors.append(RowError(row.line, problem))
            continue
        try:
            data = _parse(row, fmt)
        except ValueError as exc:
            errors.append(RowError(row.line, str(exc)))
            continue
        if data.external_id in first_line:
            errors.append(RowError(row.line, f"id {data.external_id!r} repeats line {first_line[data.external_id]}"))
            continue
        first_line[data.external_id] = int(row.line)
        parsed.append(data)
    return parsed


def _store(study: Study, parsed: list[_TargetData], errors: list[RowError]) -> tuple[int, int]:
    """Create the chunk's new targets and update the known ones, unless a row of the file was bad
    (known ids with new text are added to ``errors``); returns (created, updated)."""
    # The stored text is encrypted: compare content hashes, and never decrypt the known targets.
    existing = {t.external_id: t for t in study.targets.filter(external_id__in=[d.external_id for d in parsed])
                .defer("text")}
    errors += [
        RowError(d.line, f"target {d.external_id!r} already exists with different text; ratings refer "
                         "to its text, so give changed material a new id")
        for d in parsed if d.external_id in existing and existing[d.external_id].text_sha256 != content_sha256(d.text)
    ]
    if errors:
        return 0, 0
    new = [Target(study=study, external_id=d.external_id, text=d.text, metadata=d.metadata,
                  criteria=d.criteria) for d in parsed if d.external_id not in existing]
    changed = []
    for d in parsed:
        target = existing.get(d.external_id)
        if target is not None and (target.metadata, target.criteria) != (d.metadata, d.criteria):
            target.metadata, target.criteria = d.metadata, d.criteria
            changed.append(target)
    Target.objects.bulk_create(new, batch_size=2000)
    Target.objects.bulk_update(changed, ["metadata", "criteria"], batch_size=2000)
    with_segments = {d.external_id: d.segments for d in parsed if d.segments}
    if with_segments:
        segments_store({t.external_id: t for t in study.targets.filter(external_id__in=list(with_segments))
                        .defer("text")}, with_segments)
    return len(new), len(changed)


@transaction.atomic
def targets_import(*, study: Study, rows: Iterable[Row], fmt: TableFormat, actor: Actor | None = None,
                   file_name: str = "") -> TargetsImportResult:
    """Add the rows' targets to ``study`` in one transaction; ``ImportRejected`` if any row is bad.
    With an ``actor``, the audit event is part of that transaction (a service that imports as a
    step of its own change, like a batch, records its own event instead).

    ``rows`` may be an iterator that reads the upload as it goes (``ratings.tabular.iter_table``):
    they are checked and stored a chunk at a time; after the first bad row nothing more is stored,
    every bad row is still named, and the transaction rolls back what was stored.
    Re-importing the same rows changes nothing. A known id with new metadata or criteria is
    updated; a known id with different text is refused, because ratings refer to that text.
    """
    if study.material_deleted_at is not None:
        raise ImportRejected([RowError(0, f"the material of study {study.slug} was deleted on request "
                                          f"({study.material_deleted_at:%Y-%m-%d}); it takes no new material")])
    first_line: dict[str, int] = {}
    errors: list[RowError] = []
    created = updated = 0
    for chunk in _chunks(rows):
        chunk_created, chunk_updated = _store(study, _validate(chunk, fmt, first_line, errors), errors)
        created, updated = created + chunk_created, updated + chunk_updated
        del chunk  # the next chunk is read with this one gone
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: int(e.line)))
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="material", study=study,
                     detail={**({"file": file_name} if file_name else {}), "created": created, "updated": updated})
    return TargetsImportResult(created=created, updated=updated, unchanged=len(first_line) - created - updated)
