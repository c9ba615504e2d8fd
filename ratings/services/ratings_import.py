"""Importing human ratings in long format: ``target_id, rater_id, item, score``.

An optional ``instrument`` column (``slug`` or ``slug@version``) or the ``instrument``
argument says which instrument the scores belong to; otherwise the study's only instrument.
Raters named in the file are created as human raters. An empty score is a missing answer.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audit.actor import Actor
from audit.services import audit_record
from instruments.models import InstrumentVersion
from instruments.selectors import instrument_version_get
from ratings.models import ItemScore, Rater, Rating, Study
from ratings.tabular import ImportRejected, Row, RowError

from .studies import study_use_instrument

RATER_NAME = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")
RatingKey = tuple[str, str, int]  # rater name, target id, instrument version pk


@dataclass(frozen=True, slots=True)
class RatingsImportResult:
    created: int
    updated: int
    unchanged: int
    item_scores: int


class _VersionResolver:
    """Which instrument version a row's scores belong to, looked up once per reference."""

    def __init__(self, study: Study, default: str | None):
        self.study, self.default, self.cache = study, default, {}

    def resolve(self, reference: str | None) -> InstrumentVersion:
        reference = (reference or "").strip() or self.default
        if reference not in self.cache:
            self.cache[reference] = self._lookup(reference)
        return self.cache[reference]

    def _lookup(self, reference: str | None) -> InstrumentVersion:
        if reference:
            try:
                return instrument_version_get(reference=reference)
            except InstrumentVersion.DoesNotExist:
                raise ValueError(f"no published instrument {reference!r}") from None
        used = list(self.study.instrument_versions.all()[:2])
        if len(used) == 1:
            return used[0]
        if not used:
            raise ValueError("the study uses no instrument yet: add an `instrument` column or option")
        raise ValueError("the study uses several instruments: add an `instrument` column or option")


def _score(value) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"score {value!r} is not a number")
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"score {value!r} is not a number") from None
    if not math.isfinite(score):
        raise ValueError(f"score {value!r} is not a finite number")
    return score


def _parse(rows: list[Row], study: Study, resolver: _VersionResolver):
    """Group valid rows by rating; collect every bad row."""
    known_targets = set(study.targets.values_list("external_id", flat=True))
    groups: dict[RatingKey, dict[str, float]] = defaultdict(dict)
    first_line: dict[RatingKey, int] = {}
    seen: dict[tuple, int] = {}
    versions: dict[int, InstrumentVersion] = {}
    errors: list[RowError] = []
    for row in rows:
        v = row.values
        try:
            target_id, rater = str(v.get("target_id", "")).strip(), str(v.get("rater_id", "")).strip()
            item_code = str(v.get("item", "")).strip()
            if target_id not in known_targets:
                raise ValueError(f"target {target_id!r} is not in study {study.slug}")
            if not RATER_NAME.match(rater):
                raise ValueError(f"rater_id {rater!r} must be 1-100 letters, digits, '-' or '_'")
            version = resolver.resolve(v.get("instrument"))
            try:
                item = version.spec.item(item_code)
            except KeyError:
                raise ValueError(f"item {item_code!r} is not in {version}") from None
            score = _score(v.get("score"))
            if score is not None and not item.scale.admits(score):
                raise ValueError(f"score {v.get('score')!r} is not a point of {item_code!r}'s scale "
                                 f"{list(item.scale.values) if item.scale.is_points else f'{item.scale.min}..{item.scale.max}'}")
        except ValueError as exc:
            errors.append(RowError(row.line, str(exc)))
            continue
        cell = (rater, target_id, version.pk, item_code)
        if cell in seen:
            errors.append(RowError(row.line, f"{rater} on {target_id}, item {item_code}, repeats line {seen[cell]}"))
            continue
        seen[cell] = row.line
        key = (rater, target_id, version.pk)
        versions[version.pk] = version
        first_line.setdefault(key, row.line)
        if score is not None:
            groups[key][item_code] = score
    return groups, first_line, versions, errors


@transaction.atomic
def ratings_import(*, study: Study, rows: list[Row], instrument: str | None = None, actor: Actor | None = None,
                   file_name: str = "") -> RatingsImportResult:
    """Import every row as one transaction, or raise ``ImportRejected`` naming each bad row.

    One rating per (rater, target, instrument version), created or, if an earlier import made
    it, brought to the file's scores; re-importing the same file changes nothing. Ratings made
    in a form or by an LLM are never overwritten by a file.
    """
    groups, first_line, versions, errors = _parse(rows, study, _VersionResolver(study, instrument))
    raters = {r.name: r for r in Rater.objects.filter(name__in={k[0] for k in first_line})}
    errors += [RowError(first_line[k], f"rater {k[0]!r} is an LLM rater; files import human ratings")
               for k in first_line if k[0] in raters and raters[k[0]].kind != Rater.Kind.HUMAN]
    targets = {t.external_id: t for t in study.targets.filter(external_id__in={k[1] for k in first_line})}
    existing = {
        (r.rater.name, r.target.external_id, r.instrument_version_id): r
        for r in Rating.objects.select_related("rater", "target").prefetch_related("item_scores__item")
        .filter(target__study=study, rater__name__in={k[0] for k in first_line})
    }
    errors += [RowError(first_line[k], f"{k[0]} already rated {k[1]} in a {existing[k].source}; "
                        "a file does not overwrite it") for k in first_line
               if k in existing and existing[k].source != Rating.Source.IMPORT]
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))

    for name in {k[0] for k in first_line} - set(raters):
        raters[name] = Rater.objects.create(name=name, kind=Rater.Kind.HUMAN)
    for version in versions.values():
        study_use_instrument(study=study, version=version)
    items = {pk: {i.code: i for i in version.items.all()} for pk, version in versions.items()}
    now = timezone.now()
    to_score: list[tuple[Rating, RatingKey]] = []
    new_ratings: list[Rating] = []
    unchanged = 0
    for key in first_line:
        rating = existing.get(key)
        if rating is None:
            rating = Rating(rater=raters[key[0]], target=targets[key[1]], instrument_version=versions[key[2]],
                            source=Rating.Source.IMPORT, status=Rating.Status.SUBMITTED, submitted_at=now)
            new_ratings.append(rating)
        elif {s.item.code: s.score for s in rating.item_scores.all()} == groups.get(key, {}):
            unchanged += 1
            continue
        to_score.append((rating, key))
    updated = [rating for rating, _ in to_score if rating.pk is not None]
    ItemScore.objects.filter(rating__in=updated).delete()
    Rating.objects.filter(pk__in=[r.pk for r in updated]).update(updated_at=now)
    Rating.objects.bulk_create(new_ratings, batch_size=2000)
    scores = [ItemScore(rating=rating, item=items[key[2]][code], score=value)
              for rating, key in to_score for code, value in groups.get(key, {}).items()]
    ItemScore.objects.bulk_create(scores, batch_size=5000)
    if actor is not None:
        audit_record(actor=actor, action="create", object_type="ratings", study=study,
                     detail={**({"file": file_name} if file_name else {}), "created": len(new_ratings),
                             "updated": len(updated)})
    return RatingsImportResult(created=len(new_ratings), updated=len(updated), unchanged=unchanged,
                               item_scores=len(scores))
