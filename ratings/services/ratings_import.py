"""Importing ratings in long format: ``target_id, rater_id, item, score``.

An optional ``instrument`` column (``slug`` or ``slug@version``) or the ``instrument``
argument says which instrument the scores belong to; otherwise the study's only instrument.
An empty score is a missing answer.

Raters are the study's own: the ids in a file name raters of this study, so ``R1`` in two
studies is two raters. With ``rater_ids="per-target"`` the ids are labels per target (a
paper's ``AnonReviewer1``): every (target, label) is its own rater, which makes the design
one-way. A rater is human unless the row's ``rater_kind`` column or the ``rater_kind``
argument says ``llm``: an outside judge, whose score may be any number in the scale's range,
with an optional ``model`` and ``distribution`` (see `judge_scores`; the raters, as for the
codes import, in `import_raters`).
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.db import connection, transaction
from django.utils import timezone

from audit.actor import Actor
from audit.services import audit_record
from instruments.models import InstrumentVersion
from ratings.models import ItemScore, Rater, Rating, Study
from ratings.tabular import ImportRejected, Row, RowError

from .import_instruments import InstrumentResolver
from .import_raters import (ImportSource, RaterSeen, cell_text, import_provenance, rater_note, rater_of,
                            raters_create, raters_existing)
from .judge_scores import RATER_KINDS, CellScore, human_score, llm_score
from .studies import study_set_rating_design, study_use_instrument

RatingKey = tuple[str, str, int]  # rater name in the study, target id, instrument version pk
RaterIds = Literal["study", "per-target"]


@dataclass(frozen=True, slots=True)
class RatingsImportResult:
    created: int
    updated: int
    unchanged: int
    item_scores: int
    raters_created: int = 0
    rating_design: str = ""


@dataclass(slots=True)
class _Parsed:
    groups: dict[RatingKey, dict[str, CellScore]] = field(default_factory=lambda: defaultdict(dict))
    first_line: dict[RatingKey, int] = field(default_factory=dict)
    raters: dict[str, RaterSeen] = field(default_factory=dict)
    versions: dict[int, InstrumentVersion] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def _cell(v: dict, kind: str, item) -> CellScore | None:
    if kind == "llm":
        return llm_score(v.get("score"), v.get("distribution"), item_code=item.code, scale=item.scale)
    if cell_text(v, "distribution"):
        raise ValueError("distribution is given for a human rater; set rater_kind llm for an outside judge")
    return human_score(v.get("score"), item_code=item.code, scale=item.scale)


def _item_of(cache: dict, version: InstrumentVersion, code: str):
    key = (version.pk, code)
    if key not in cache:
        try:
            cache[key] = version.spec.item(code)
        except KeyError:
            raise ValueError(f"item {code!r} is not in {version}") from None
    return cache[key]


class _Memo:
    """Answers a file repeats on every row (a rater's name and kind, a human's score on an item),
    worked out once: only successes are kept, so every bad row still raises its own error."""

    def __init__(self, *, default_kind: str, default_model: str, per_target: bool):
        self.options = {"default_kind": default_kind, "default_model": default_model, "per_target": per_target}
        self.raters: dict[tuple, tuple[str, str, str]] = {}
        self.cells: dict[tuple, CellScore | None] = {}

    def rater(self, v: dict) -> tuple[str, str, str]:
        key = (*(_plain(v.get(k)) for k in ("rater_id", "rater_kind", "model")),
               _plain(v.get("target_id")) if self.options["per_target"] else None)
        if _NO_MEMO in key:
            return rater_of(v, **self.options)
        if key not in self.raters:
            self.raters[key] = rater_of(v, **self.options)
        return self.raters[key]

    def cell(self, v: dict, kind: str, version: InstrumentVersion, item) -> CellScore | None:
        score = v.get("score")
        if kind != "human" or cell_text(v, "distribution") or type(score) not in (str, int, float):
            return _cell(v, kind, item)
        key = (version.pk, item.code, type(score), score)
        if key not in self.cells:
            self.cells[key] = _cell(v, kind, item)
        return self.cells[key]


_NO_MEMO = object()


def _plain(value):
    """A cell's value as a memo key: a string or None (absent); anything else is not memoised."""
    return value if value is None or type(value) is str else _NO_MEMO


def _parse(rows: Iterable[Row], study: Study, resolver: InstrumentResolver, *, default_kind: str, default_model: str,
           per_target: bool) -> _Parsed:
    """Group valid rows by rating; collect every bad row."""
    known_targets = set(study.targets.values_list("external_id", flat=True))
    parsed, seen_cells, items = _Parsed(), {}, {}
    memo = _Memo(default_kind=default_kind, default_model=default_model, per_target=per_target)
    for row in rows:
        v = row.values
        try:
            target_id, item_code = cell_text(v, "target_id"), cell_text(v, "item")
            if target_id not in known_targets:
                raise ValueError(f"target {target_id!r} is not in study {study.slug}")
            name, kind, model = memo.rater(v)
            rater_note(parsed.raters, name, kind, model, row.line, target_id if per_target else None)
            version = resolver.resolve(v.get("instrument"))
            cell = memo.cell(v, kind, version, _item_of(items, version, item_code))
        except ValueError as exc:
            parsed.errors.append(RowError(row.line, str(exc)))
            continue
        key = (name, target_id, version.pk)
        cell_key = (name, target_id, version.pk, item_code)
        if cell_key in seen_cells:
            parsed.errors.append(RowError(row.line, f"{name} on {target_id}, item {item_code}, repeats line "
                                                    f"{seen_cells[cell_key]}"))
            continue
        seen_cells[cell_key] = row.line
        parsed.versions[version.pk] = version
        parsed.first_line.setdefault(key, row.line)
        if cell is not None:
            parsed.groups[key][item_code] = cell
    return parsed


def _declare_one_way(study: Study) -> None:
    if study.rating_design == Study.RatingDesign.CROSSED:
        raise ImportRejected([RowError(0, f"study {study.slug} is declared crossed (the same raters rate the "
                                          "targets), but per-target rater ids make every rater rate one target "
                                          "(one-way); declare the design one-way or import study-wide ids")])
    if study.rating_design != Study.RatingDesign.ONE_WAY:
        study_set_rating_design(study=study, design=Study.RatingDesign.ONE_WAY)


@transaction.atomic
def ratings_import(*, study: Study, rows: Iterable[Row], instrument: str | None = None,
                   rater_kind: str = "human", model: str = "", rater_ids: RaterIds = "study",
                   source: ImportSource = ImportSource(), actor: Actor | None = None) -> RatingsImportResult:
    """Import every row as one transaction, or raise ``ImportRejected`` naming each bad row.

    One rating per (rater, target, instrument version), created or, if an earlier import made
    it, brought to the file's numbers; re-importing the same file changes nothing. Ratings made
    in a form or by Anchor's LLM are never overwritten by a file. ``rater_ids="per-target"``
    declares the study one-way (refused if it is declared crossed).
    """
    if rater_kind not in RATER_KINDS:
        raise ImportRejected([RowError(0, f"rater kind {rater_kind!r} must be human or llm")])
    if rater_ids not in ("study", "per-target"):
        raise ImportRejected([RowError(0, f"rater ids {rater_ids!r} must be study or per-target")])
    if rater_ids == "per-target":
        _declare_one_way(study)
    parsed = _parse(rows, study, InstrumentResolver(study, instrument), default_kind=rater_kind,
                    default_model=model.strip(), per_target=rater_ids == "per-target")
    if model.strip() and not any(seen.kind == "llm" for seen in parsed.raters.values()):
        parsed.errors.append(RowError(0, "a model is named, but no row is an LLM rater (rater kind llm)"))
    raters, rater_errors = raters_existing(study, parsed.raters)
    errors = parsed.errors + rater_errors
    targets = _target_pks(study, parsed)
    existing = _existing_ratings(raters, targets)
    errors += [RowError(line, f"{k[0]} already rated {k[1]} in a {existing[k].source}; a file does not "
                              "overwrite it") for k, line in parsed.first_line.items()
               if k in existing and existing[k].source != Rating.Source.IMPORT]
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    new_raters = raters_create(study, parsed.raters, raters)
    return _write(study, parsed, raters, targets, existing, source, raters_created=new_raters, actor=actor,
                  audit_detail={"rater_kind": rater_kind, "rater_ids": rater_ids})


def _write(study, parsed: _Parsed, raters, targets: dict[str, int], existing: "dict[RatingKey, _Stored]",
           source: ImportSource, *, raters_created: int, actor: Actor | None = None, audit_detail: dict | None = None):
    """Create the new ratings, rewrite the changed ones; an unchanged rating (same content hash)
    is not touched, so re-importing a file writes nothing."""
    for version in parsed.versions.values():
        study_use_instrument(study=study, version=version)
    items = {pk: dict(version.items.values_list("code", "pk")) for pk, version in parsed.versions.items()}
    now = timezone.now()
    new, updated, unchanged = [], [], 0
    hashes = {key: _content_sha256(parsed.raters[key[0]], parsed.groups.get(key, {})) for key in parsed.first_line}
    _fill_missing_hashes(existing, parsed)
    for key in parsed.first_line:
        stored = existing.get(key)
        if stored is None:
            new.append(key)
        elif stored.scores_hash == hashes[key]:
            unchanged += 1
        else:
            updated.append(Rating(pk=stored.pk, provenance=import_provenance(parsed.raters[key[0]], source),
                                  scores_hash=hashes[key], updated_at=now))
    for chunk in _chunks([r.pk for r in updated]):
        ItemScore.objects.filter(rating_id__in=chunk).delete()
    Rating.objects.bulk_update(updated, ["provenance", "scores_hash", "updated_at"], batch_size=2000)
    _ratings_insert(new, parsed, raters, targets, hashes, source, now)
    pks = {key: s.pk for key, s in _existing_ratings(raters, {k[1]: targets[k[1]] for k in new}).items()} if new else {}
    pks.update({key: existing[key].pk for key in parsed.first_line if key in existing})
    rescored = new + [key for key in parsed.first_line if key in existing and existing[key].scores_hash != hashes[key]]
    n_scores = _item_scores_insert(
        (pks[key], items[key[2]][code], cell) for key in rescored for code, cell in parsed.groups.get(key, {}).items())
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="ratings", study=study,
                     detail={**({"file": source.file_name} if source.file_name else {}), "created": len(new),
                             "updated": len(updated), **(audit_detail or {})})
    return RatingsImportResult(created=len(new), updated=len(updated), unchanged=unchanged,
                               item_scores=n_scores, raters_created=raters_created,
                               rating_design=study.rating_design)


# --- diffing in the database ---------------------------------------------------------------

_IN_CHUNK = 900  # ids per IN (...) list: within every backend's limit on query parameters


@dataclass(slots=True)
class _Stored:
    """An existing rating of a (rater, target, version) the file names: its id, source, and the
    hash of its numbers (None for one imported before hashes were kept: computed on demand)."""

    pk: int
    source: str
    scores_hash: str | None
    model: str


def _chunks(values: list, size: int = _IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _content_sha256(seen: RaterSeen, cells: dict[str, CellScore]) -> str:
    """SHA-256 of a rating's numbers (and an outside judge's model): equal exactly when a
    re-import would store the same item scores (floats by ``repr``, which round-trips)."""
    parts = [seen.model if seen.kind == "llm" else ""]
    for code in sorted(cells):
        cell = cells[code]
        dist = sorted(cell.distribution.items()) if cell.distribution else None
        parts.append(f"{code}\x1f{cell.score!r}\x1f{cell.expected!r}\x1f{dist!r}")
    return "sha256:" + hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def _target_pks(study: Study, parsed: _Parsed) -> dict[str, int]:
    wanted = sorted({key[1] for key in parsed.first_line} | {s.target_id for s in parsed.raters.values() if s.target_id})
    found = {}
    for chunk in _chunks(wanted):
        found.update(study.targets.filter(external_id__in=chunk).values_list("external_id", "pk"))
    return found


def _existing_ratings(raters: dict[str, Rater], targets: dict[str, int]) -> dict[RatingKey, _Stored]:
    """The ratings the file's raters already have of the file's targets, as keys and hashes:
    one row per rating, never its item scores."""
    if not raters:
        return {}
    names = {r.pk: name for name, r in raters.items()}
    external = {pk: eid for eid, pk in targets.items()}
    existing = {}
    for chunk in _chunks(sorted(external)):
        for pk, rater, target, version, source, sha, model in (
                Rating.objects.filter(rater_id__in=list(names), target_id__in=chunk)
                .values_list("pk", "rater_id", "target_id", "instrument_version_id", "source",
                             "scores_hash", "provenance__model")):
            existing[(names[rater], external[target], version)] = _Stored(pk, source, sha or None, model or "")
    return existing


def _fill_missing_hashes(existing: dict[RatingKey, _Stored], parsed: _Parsed) -> None:
    """Hashes of the file's imported ratings stored before hashes were kept, from their scores."""
    missing = {s.pk: (key, s) for key, s in existing.items()
               if s.scores_hash is None and s.source == Rating.Source.IMPORT and key in parsed.first_line}
    cells: dict[int, dict[str, CellScore]] = defaultdict(dict)
    for chunk in _chunks(sorted(missing)):
        for rating, code, score, expected, distribution in ItemScore.objects.filter(rating_id__in=chunk).values_list(
                "rating_id", "item__code", "score", "expected_score", "distribution"):
            cells[rating][code] = CellScore(score, expected, distribution)
    for pk, (key, stored) in missing.items():
        seen = parsed.raters[key[0]]
        stored.scores_hash = _content_sha256(RaterSeen(seen.kind, stored.model, 0, None), cells[pk])


def _rows_insert(model, names: tuple[str, ...], rows) -> int:
    """Insert value tuples (in the order of the field ``names``) with multi-row INSERTs: the rows
    were validated, and model instances would cost more than the insert itself."""
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    batch = max(1, min(1000, connection.ops.bulk_batch_size(fields, [None] * 1000)))
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    n, pending = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            pending.append(row)
            if len(pending) == batch:
                cursor.execute(head + ", ".join([one] * batch), [v for values in pending for v in values])
                n, pending = n + batch, []
        if pending:
            cursor.execute(head + ", ".join([one] * len(pending)), [v for values in pending for v in values])
            n += len(pending)
    return n


def _ratings_insert(keys: list[RatingKey], parsed: _Parsed, raters, targets, hashes, source: ImportSource, now):
    at = Rating._meta.get_field("created_at").get_db_prep_save(now, connection)
    provenance = Rating._meta.get_field("provenance")
    by_rater = {name: provenance.get_db_prep_save(import_provenance(seen, source), connection)
                for name, seen in parsed.raters.items()}
    _rows_insert(Rating, ("rater", "target", "instrument_version", "source", "status", "provenance", "scores_hash",
                          "created_at", "updated_at", "submitted_at"),
                 ((raters[k[0]].pk, targets[k[1]], k[2], Rating.Source.IMPORT, Rating.Status.SUBMITTED, by_rater[k[0]],
                   hashes[k], at, at, at) for k in keys))


def _item_scores_insert(scores) -> int:
    distribution = ItemScore._meta.get_field("distribution")
    return _rows_insert(ItemScore, ("rating", "item", "score", "expected_score", "distribution", "rationale"),
                        ((rating, item, cell.score, cell.expected,
                          distribution.get_db_prep_save(cell.distribution, connection), "")
                         for rating, item, cell in scores))
