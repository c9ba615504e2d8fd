"""A target's ordered segments (utterances), the units a coding instrument codes.

Segments come with the targets (``segments: [{id, speaker, text}]`` on a JSONL line) or on their
own (``import_segments``: CSV ``target_id, segment_id, speaker, text``, a target's segments in
file order). A target's segments are stored once: importing the same segments again changes
nothing, and different segments for a target that has some are refused, because codes refer to
them (give changed material a new target id).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from audit.actor import Actor
from audit.services import audit_record
from ratings.fields import content_sha256
from ratings.models import Segment, Study, Target
from ratings.tabular import ImportRejected, Row, RowError, nul_rejected

MAX_ID_LENGTH = 200
MAX_SPEAKER_LENGTH = 100


@dataclass(frozen=True, slots=True)
class SegmentData:
    line: int
    external_id: str
    speaker: str
    text: str


@dataclass(frozen=True, slots=True)
class SegmentsImportResult:
    targets: int  # targets whose segments were stored by this import
    segments: int
    unchanged: int  # targets whose segments were already stored, identical


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_segment(values: dict, line: int) -> SegmentData:
    """One segment from ``{id | segment_id, speaker, text}``; ``ValueError`` names what is wrong."""
    raw_id = values.get("segment_id", values.get("id"))
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise ValueError("a segment's id is missing or empty")
    external_id = str(raw_id).strip()
    if len(external_id) > MAX_ID_LENGTH:
        raise ValueError(f"segment id {external_id[:20]!r}... is longer than {MAX_ID_LENGTH} characters")
    speaker, text = _text(values.get("speaker")), values.get("text")
    if not speaker or len(speaker) > MAX_SPEAKER_LENGTH:
        raise ValueError(f"segment {external_id!r}: `speaker` must be 1-{MAX_SPEAKER_LENGTH} characters")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"segment {external_id!r}: `text` is missing or empty")
    return SegmentData(line, external_id, speaker, text)


def parse_segment_list(raw, line: int) -> list[SegmentData]:
    """A JSONL target's ``segments`` array, checked (ids unique within the target)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        raise ValueError("`segments` must be a non-empty list of {id, speaker, text} objects")
    segments = [parse_segment(s, line) for s in raw]
    ids = [s.external_id for s in segments]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"segment id(s) {', '.join(map(repr, repeated))} repeat within the target")
    return segments


def transcript_text(segments: list[SegmentData]) -> str:
    """The target text of a transcript given only as segments: one ``speaker: text`` per line."""
    return "\n".join(f"{s.speaker}: {s.text.strip()}" for s in segments)


def segments_store(targets: dict[str, Target], segments: dict[str, list[SegmentData]]) -> tuple[int, int, int]:
    """Store each target's segments (a target id -> its segments in order); returns (targets
    stored, segments stored, targets unchanged). ``ImportRejected`` if a target already has
    different segments. Called inside the importing service's transaction."""
    stored: dict[int, list] = {}
    for external_id, speaker, sha, target_id in (Segment.objects.filter(target__in=[t.pk for t in targets.values()])
                                                 .order_by("target", "position")
                                                 .values_list("external_id", "speaker", "text_sha256", "target")):
        stored.setdefault(target_id, []).append((external_id, speaker, sha))
    errors, new, n_targets, unchanged = [], [], 0, 0
    for target_external, items in segments.items():
        target = targets[target_external]
        wanted = [(s.external_id, s.speaker, content_sha256(s.text)) for s in items]
        if target.pk in stored:
            if stored[target.pk] == wanted:
                unchanged += 1
            else:
                errors.append(RowError(items[0].line, f"target {target_external!r} already has different segments; "
                                                      "codes refer to them, so give changed material a new id"))
            continue
        n_targets += 1
        new += [Segment(target=target, external_id=s.external_id, position=i, speaker=s.speaker, text=s.text)
                for i, s in enumerate(items)]
    if errors:
        raise ImportRejected(errors)
    Segment.objects.bulk_create(new, batch_size=2000)
    return n_targets, len(new), unchanged


def _group_rows(study: Study, rows: Iterable[Row]) -> dict[str, list[SegmentData]]:
    known = set(study.targets.values_list("external_id", flat=True))
    grouped: dict[str, list[SegmentData]] = {}
    first_line: dict[tuple[str, str], int] = {}
    errors = []
    for row in rows:
        target_id = _text(row.values.get("target_id"))
        try:
            if target_id not in known:
                raise ValueError(f"target {target_id!r} is not in study {study.slug}; import the targets first")
            segment = parse_segment({k: v for k, v in row.values.items() if k != "id"}, row.line)
        except ValueError as exc:
            errors.append(RowError(row.line, str(exc)))
            continue
        key = (target_id, segment.external_id)
        if key in first_line:
            errors.append(RowError(row.line, f"segment {segment.external_id!r} of target {target_id!r} repeats "
                                             f"line {first_line[key]}"))
            continue
        first_line[key] = row.line
        grouped.setdefault(target_id, []).append(segment)
    if errors:
        raise ImportRejected(errors)
    return grouped


@transaction.atomic
def segments_import(*, study: Study, rows: Iterable[Row], actor: Actor | None = None,
                    file_name: str = "") -> SegmentsImportResult:
    """Store the segments of the study's targets from long rows (``target_id, segment_id, speaker,
    text``; a target's rows in order), in one transaction; ``ImportRejected`` names every bad row.
    Re-importing the same file changes nothing."""
    if study.material_deleted_at is not None:
        raise ImportRejected([RowError(0, f"the material of study {study.slug} was deleted on request; "
                                          "it takes no new material")])
    rows = nul_rejected(rows)  # checked as they are read: the rows may be a stream, read once
    grouped = _group_rows(study, rows)
    targets = {t.external_id: t for t in study.targets.filter(external_id__in=list(grouped)).defer("text")}
    n_targets, n_segments, unchanged = segments_store(targets, grouped)
    if actor is not None and n_targets:
        audit_record(actor=actor, action="create", object_type="material", study=study,
                     detail={**({"file": file_name} if file_name else {}), "segments": n_segments,
                             "targets": n_targets})
    return SegmentsImportResult(targets=n_targets, segments=n_segments, unchanged=unchanged)
