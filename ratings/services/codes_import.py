"""Importing segment codes in long format: ``target_id, segment_id, rater_id, code_set, code``.

One row is one rater's code of one segment in one code set of a coding instrument (the optional
``instrument`` column or argument, else the study's only coding instrument). The codes of one
rater on one target are one rating (one per rater, target and instrument version, as for scales),
so provenance, rater kinds and exports work as for item scores. Raters are the study's own, as in
`import_raters`; ``rater_kind`` ``llm`` marks an outside judge (with an optional ``model`` and a
``distribution`` over the set's codes).
"""

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from audit.actor import Actor
from audit.services import audit_record
from instruments.definition import CodeSet
from instruments.models import InstrumentVersion
from ratings.models import Rater, Rating, Segment, SegmentCode, Study
from ratings.tabular import ImportRejected, Row, RowError, nul_rejected

from .judge_scores import DISTRIBUTION_TOLERANCE, RATER_KINDS
from .import_instruments import InstrumentResolver
from .import_raters import (ImportSource, RaterSeen, cell_text, import_provenance, rater_note, rater_of,
                            raters_create, raters_existing)
from .studies import study_use_instrument

REQUIRED_COLUMNS = ("target_id", "segment_id", "rater_id", "code_set", "code")
CodeKey = tuple[str, str, int]  # rater name, target id, instrument version pk
Cell = tuple[str, dict | None]  # code, distribution


@dataclass(frozen=True, slots=True)
class CodesImportResult:
    created: int
    updated: int
    unchanged: int
    segment_codes: int
    raters_created: int = 0


@dataclass(slots=True)
class _Parsed:
    groups: dict[CodeKey, dict[tuple[str, str], Cell]] = field(default_factory=lambda: defaultdict(dict))
    first_line: dict[CodeKey, int] = field(default_factory=dict)
    raters: dict[str, RaterSeen] = field(default_factory=dict)
    versions: dict[int, InstrumentVersion] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


class _CodingResolver(InstrumentResolver):
    """As for ratings, but the default is the study's only coding instrument."""

    def lookup(self, reference):
        if reference:
            version = super().lookup(reference)
        else:
            coding = [v for v in self.study.instrument_versions.all() if v.kind == InstrumentVersion.Kind.CODING]
            if len(coding) != 1:
                raise ValueError("the study uses " + ("no coding instrument yet" if not coding else
                                                      "several coding instruments")
                                 + ": add an `instrument` column or option")
            version = coding[0]
        if version.kind != InstrumentVersion.Kind.CODING:
            raise ValueError(f"{version} is a {version.kind} instrument, not a coding one; import its "
                             "ratings with import_ratings")
        return version


def distribution_parse(value, code_set: CodeSet) -> dict[str, float] | None:
    """An outside judge's probability per code of the set (JSON object or its text), summing to 1."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("distribution is not a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError("distribution must be an object of code -> probability")
    unknown = sorted(set(value) - set(code_set.values))
    if unknown:
        raise ValueError(f"distribution names code(s) {unknown} not in code set {code_set.code!r}")
    probs = {}
    for code, p in value.items():
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p) or not 0 <= p <= 1:
            raise ValueError(f"distribution's probability of {code!r} must be a number in 0..1")
        probs[code] = float(p)
    if abs(sum(probs.values()) - 1) > DISTRIBUTION_TOLERANCE:
        raise ValueError(f"distribution sums to {sum(probs.values()):.4f}, not 1")
    return probs


def _cell(v: dict, kind: str, code_set: CodeSet, speaker: str) -> Cell:
    if not code_set.applies_to(speaker):
        raise ValueError(f"code set {code_set.code!r} does not apply to the segment's speaker {speaker!r} "
                         f"(it codes {', '.join(code_set.speakers)})")
    code = cell_text(v, "code")
    if code_set.get(code) is None:
        raise ValueError(f"code {code!r} is not in code set {code_set.code!r} ({', '.join(code_set.values)})")
    if kind != "llm" and cell_text(v, "distribution"):
        raise ValueError("distribution is given for a human rater; set rater_kind llm for an outside judge")
    return code, distribution_parse(v.get("distribution"), code_set) if kind == "llm" else None


def _segments_of(study: Study) -> dict[str, dict[str, str]]:
    """target id -> segment id -> speaker."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for target, segment, speaker in Segment.objects.filter(target__study=study).values_list(
            "target__external_id", "external_id", "speaker"):
        out[target][segment] = speaker
    return out


def _parse_row(v: dict, study: Study, segments, resolver, parsed: _Parsed, *, default_kind: str,
               default_model: str, line: int):
    target_id, segment_id = cell_text(v, "target_id"), cell_text(v, "segment_id")
    if target_id not in segments:
        raise ValueError(f"target {target_id!r} is not in study {study.slug} or has no segments")
    if segment_id not in segments[target_id]:
        raise ValueError(f"segment {segment_id!r} is not a segment of target {target_id!r}")
    name, kind, model = rater_of(v, default_kind=default_kind, default_model=default_model, per_target=False)
    rater_note(parsed.raters, name, kind, model, line, None)
    version = resolver.resolve(v.get("instrument"))
    try:
        code_set = version.spec.code_set(cell_text(v, "code_set"))
    except KeyError:
        raise ValueError(f"code set {cell_text(v, 'code_set')!r} is not in {version}") from None
    cell = _cell(v, kind, code_set, segments[target_id][segment_id])
    return (name, target_id, version), (segment_id, code_set.code), cell


def _parse(rows: Iterable[Row], study: Study, resolver, *, default_kind: str, default_model: str) -> _Parsed:
    segments, parsed, seen = _segments_of(study), _Parsed(), {}
    for row in rows:
        try:
            (name, target_id, version), cell_key, cell = _parse_row(
                row.values, study, segments, resolver, parsed, default_kind=default_kind,
                default_model=default_model, line=row.line)
        except ValueError as exc:
            parsed.errors.append(RowError(row.line, str(exc)))
            continue
        key = (name, target_id, version.pk)
        if (key, cell_key) in seen:
            parsed.errors.append(RowError(row.line, f"{name} on {target_id}, segment {cell_key[0]}, code set "
                                                    f"{cell_key[1]}, repeats line {seen[(key, cell_key)]}"))
            continue
        seen[(key, cell_key)] = row.line
        parsed.versions[version.pk] = version
        parsed.first_line.setdefault(key, row.line)
        parsed.groups[key][cell_key] = cell
    return parsed


@transaction.atomic
def codes_import(*, study: Study, rows: Iterable[Row], instrument: str | None = None, rater_kind: str = "human",
                 model: str = "", source: ImportSource = ImportSource(),
                 actor: Actor | None = None) -> CodesImportResult:
    """Import every row as one transaction, or raise ``ImportRejected`` naming each bad row (unknown
    target or segment, code not in its set, code set not applying to the segment's speaker, a
    repeated cell). A file's rating of a (rater, target) is its whole set of codes: re-importing
    the same file changes nothing, a changed file replaces that rating's codes. Ratings made in a
    form or by Anchor's LLM are never overwritten."""
    if rater_kind not in RATER_KINDS:
        raise ImportRejected([RowError(0, f"rater kind {rater_kind!r} must be human or llm")])
    rows = nul_rejected(rows)  # checked as they are read: the rows may be a stream, read once
    parsed = _parse(rows, study, _CodingResolver(study, instrument), default_kind=rater_kind,
                    default_model=model.strip())
    raters, rater_errors = raters_existing(study, parsed.raters)
    existing = {(r.rater.name, r.target.external_id, r.instrument_version_id): r
                for r in Rating.objects.select_related("rater", "target")
                .prefetch_related("segment_codes__segment")
                .filter(target__study=study, rater__in=list(raters.values()),
                        instrument_version__in=list(parsed.versions))}
    errors = parsed.errors + rater_errors + [
        RowError(line, f"{k[0]} already coded {k[1]} in a {existing[k].source}; a file does not overwrite it")
        for k, line in parsed.first_line.items() if k in existing and existing[k].source != Rating.Source.IMPORT]
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    raters_created = raters_create(study, parsed.raters, raters)
    return _write(study, parsed, raters, existing, source, raters_created=raters_created, actor=actor)


def _stored(rating: Rating) -> dict[tuple[str, str], Cell]:
    return {(c.segment.external_id, c.code_set): (c.code, c.distribution) for c in rating.segment_codes.all()}


def _write(study: Study, parsed: _Parsed, raters: dict[str, Rater], existing: dict, source: ImportSource, *,
           raters_created: int, actor: Actor | None) -> CodesImportResult:
    for version in parsed.versions.values():
        study_use_instrument(study=study, version=version)
    segment_pks = {(t, s): pk for t, s, pk in Segment.objects.filter(target__study=study).values_list(
        "target__external_id", "external_id", "pk")}
    targets = {t.external_id: t for t in study.targets.filter(external_id__in={k[1] for k in parsed.first_line})
               .defer("text")}
    now = timezone.now()
    to_code, new, updated, unchanged = [], [], [], 0
    for key, cells in parsed.groups.items():
        seen, rating = parsed.raters[key[0]], existing.get(key)
        if rating is None:
            rating = Rating(rater=raters[key[0]], target=targets[key[1]], instrument_version=parsed.versions[key[2]],
                            source=Rating.Source.IMPORT, status=Rating.Status.SUBMITTED, submitted_at=now,
                            provenance=import_provenance(seen, source))
            new.append(rating)
        elif _stored(rating) == cells and (seen.kind != "llm" or rating.provenance.get("model", "") == seen.model):
            unchanged += 1
            continue
        else:
            rating.provenance, rating.updated_at = import_provenance(seen, source), now
            updated.append(rating)
        to_code.append((rating, key))
    SegmentCode.objects.filter(rating__in=updated).delete()
    Rating.objects.bulk_update(updated, ["provenance", "updated_at"], batch_size=2000)
    Rating.objects.bulk_create(new, batch_size=2000)
    codes = [SegmentCode(rating=rating, segment_id=segment_pks[(key[1], segment_id)], code_set=code_set, code=code,
                         distribution=distribution)
             for rating, key in to_code for (segment_id, code_set), (code, distribution) in parsed.groups[key].items()]
    SegmentCode.objects.bulk_create(codes, batch_size=5000)
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="ratings", study=study,
                     detail={**({"file": source.file_name} if source.file_name else {}), "codes": len(codes),
                             "created": len(new), "updated": len(updated)})
    return CodesImportResult(created=len(new), updated=len(updated), unchanged=unchanged, segment_codes=len(codes),
                             raters_created=raters_created)
