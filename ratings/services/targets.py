"""Importing a study's targets (material to rate) from CSV or JSONL rows.

Columns: ``id``, ``text``; a column ``criterion:NAME`` is a numeric outcome criterion; any
other column is metadata. JSONL lines carry ``id``, ``text`` and optionally ``metadata`` and
``criteria`` objects (other keys are metadata too), and ``segments`` (``[{id, speaker, text}]``,
the ordered utterances a coding instrument codes; with segments, ``text`` may be left out and is
then the transcript ``speaker: text`` line by line).
"""

import math
from dataclasses import dataclass

from django.db import transaction

from audit.actor import Actor
from audit.services import audit_record
from ratings.fields import content_sha256
from ratings.models import Study, Target
from ratings.tabular import ImportRejected, Row, RowError, TableFormat, reject_nul

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


def _validate(rows: list[Row], fmt: TableFormat) -> list[_TargetData]:
    parsed, errors, first_line = [], [], {}
    for row in rows:
        try:
            data = _parse(row, fmt)
        except ValueError as exc:
            errors.append(RowError(row.line, str(exc)))
            continue
        if data.external_id in first_line:
            errors.append(RowError(row.line, f"id {data.external_id!r} repeats line {first_line[data.external_id]}"))
            continue
        first_line[data.external_id] = row.line
        parsed.append(data)
    if errors:
        raise ImportRejected(errors)
    return parsed


@transaction.atomic
def targets_import(*, study: Study, rows: list[Row], fmt: TableFormat, actor: Actor | None = None,
                   file_name: str = "") -> TargetsImportResult:
    """Add the rows' targets to ``study`` in one transaction; ``ImportRejected`` if any row is bad.
    With an ``actor``, the audit event is part of that transaction (a service that imports as a
    step of its own change, like a batch, records its own event instead).

    Re-importing the same rows changes nothing. A known id with new metadata or criteria is
    updated; a known id with different text is refused, because ratings refer to that text.
    """
    if study.material_deleted_at is not None:
        raise ImportRejected([RowError(0, f"the material of study {study.slug} was deleted on request "
                                          f"({study.material_deleted_at:%Y-%m-%d}); it takes no new material")])
    reject_nul(rows)
    parsed = _validate(rows, fmt)
    # The stored text is encrypted: compare content hashes, and never decrypt the known targets.
    existing = {t.external_id: t for t in study.targets.filter(external_id__in=[d.external_id for d in parsed])
                .defer("text")}
    errors = [
        RowError(d.line, f"target {d.external_id!r} already exists with different text; ratings refer "
                         "to its text, so give changed material a new id")
        for d in parsed if d.external_id in existing and existing[d.external_id].text_sha256 != content_sha256(d.text)
    ]
    if errors:
        raise ImportRejected(errors)
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
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="material", study=study,
                     detail={**({"file": file_name} if file_name else {}), "created": len(new),
                             "updated": len(changed)})
    return TargetsImportResult(created=len(new), updated=len(changed),
                               unchanged=len(parsed) - len(new) - len(changed))
