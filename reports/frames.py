"""Selectors that turn a study's submitted ratings into tidy pandas frames.

Only submitted ratings count: a draft is not a rating yet, and a failed LLM rating was never
stored, so it is missing data, never a score.
"""

import json
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Q

from instruments.definition.scoring import subscale_scores
from ratings.models import Rater, Rating, ScoringJob, Study

from .score_arrays import positions, ratings_count, read_score_arrays

ITEM_COLUMNS = ["target", "rater", "rater_kind", "item", "score", "expected_score", "distribution"]
SCALE_COLUMNS = ["target", "rater", "rater_kind", "scale", "basis", "score"]
_STR = pd.Series(["a"]).dtype  # the dtype pandas gives a column of strings


def _submitted(study: Study, version):
    return Rating.objects.filter(target__study=study, instrument_version=version,
                                 status=Rating.Status.SUBMITTED)


@dataclass(frozen=True)
class ItemCodes:
    """An `item_scores_frame`'s rows as integer codes (int32, one per row): ``target``, ``rater``
    and ``item``, positions in ``targets`` (every target of the study, Python's order of external
    ids), ``raters`` (name order; ``kinds`` their kinds) and ``items`` (instrument order). For
    grouping and comparing without touching the frame's strings."""

    target: np.ndarray
    rater: np.ndarray
    item: np.ndarray
    targets: np.ndarray
    raters: np.ndarray
    kinds: np.ndarray
    items: np.ndarray


def item_scores_frame(study: Study, *, instrument_version, chunk: int = 1_000_000) -> pd.DataFrame:
    """Long frame, one row per submitted item score: target, rater, rater_kind, item, score,
    expected_score (NaN for humans), distribution (None for humans), ordered by target external id,
    rater name (Python's string order on every database) and item position.

    Read into numpy arrays of ids (`read_score_arrays`: no Python object per score), never as
    model instances; the names come from the study's targets, raters and items (each name one
    shared string), so memory grows by a few dozen bytes per score."""
    return item_scores_frame_and_codes(study, instrument_version=instrument_version, chunk=chunk)[0]


def item_scores_frame_and_codes(study: Study, *, instrument_version,
                                chunk: int = 1_000_000) -> tuple[pd.DataFrame, ItemCodes]:
    """`item_scores_frame` and its rows' `ItemCodes`."""
    items = {pk: (code, position) for pk, code, position in
             instrument_version.items.values_list("pk", "code", "position")}
    scales = [item.scale for item in instrument_version.spec.items]
    scores = read_score_arrays(study, instrument_version=instrument_version, item_ids=sorted(items),
                               score_range=(min((s.min for s in scales), default=0),
                                            max((s.max for s in scales), default=0)), chunk=chunk)
    target_pks, target_names = _sorted_names(_fetched(study.targets.values_list("pk", "external_id")))
    scored = np.zeros(len(scores.rating_id), dtype=bool)  # the ratings with a score (the raters seen)
    scored[scores.rating] = True
    raters = {pk: (name, kind) for pk, name, kind in
              Rater.objects.filter(pk__in=np.unique(scores.rater_id[scored]).tolist()).values_list("pk", "name", "kind")}
    rater_pks, rater_names = _sorted_names((pk, name) for pk, (name, _) in raters.items())
    item_pks, item_codes = _sorted_names(((pk, code) for pk, (code, _) in items.items()),
                                         key=lambda pair: items[pair[0]][1])
    kinds = np.array([raters[int(pk)][1] for pk in rater_pks], dtype=object)
    # codes per rating (a rating has one target and one rater), then per score through its rating
    rating_target = positions(target_pks, scores.target_id).astype(np.int32)
    rating_rater = positions(rater_pks, scores.rater_id).astype(np.int32)
    item = positions(item_pks, scores.item_id).astype(np.int32)
    order = _frame_order(scores.rating, item, rating_target, rating_rater, len(rater_pks), len(item_pks))
    n = len(order)
    columns = {
        "score": scores.score[order],
        # every score plain (a human's answer): no expected score or distribution to reorder
        "expected_score": np.full(n, np.nan) if scores.expected is None else scores.expected[order],
        # a Series of dtype object: pandas does not look at 5,000,000 values for strings
        "distribution": pd.Series(np.full(n, None, dtype=object) if scores.distribution is None
                                  else scores.distribution[order], dtype=object, copy=False),
    }
    rating = scores.rating[order]
    del scores  # the unordered arrays and the ids: only the codes are kept
    target, rater, item = rating_target[rating], rating_rater[rating], item[order]
    del rating, order
    frame = pd.DataFrame({"target": _names_of(target_names, target), "rater": _names_of(rater_names, rater),
                          "rater_kind": _names_of(kinds, rater), "item": _names_of(item_codes, item), **columns},
                         columns=ITEM_COLUMNS, copy=False)
    return frame, ItemCodes(target=target, rater=rater, item=item, targets=target_names, raters=rater_names,
                            kinds=kinds, items=item_codes)


def _frame_order(rating: np.ndarray, item: np.ndarray, rating_target: np.ndarray, rating_rater: np.ndarray,
                 n_raters: int, n_items: int) -> np.ndarray:
    """The scores' order the ORM gave (target external id, rater name, item position; Python's
    string order): ratings ranked by (target, rater), then each score at its rating's rank and
    item, one slot per (rating, item) when that is dense (a rating has each item once), else a sort."""
    ranked = np.argsort(rating_target.astype(np.int64) * max(n_raters, 1) + rating_rater, kind="stable")
    rank = np.empty(len(ranked), dtype=np.int64)
    rank[ranked] = np.arange(len(ranked))
    key = rank[rating]
    del rank, ranked
    key *= max(n_items, 1)
    key += item
    n_slots = (int(key.max()) + 1) if len(key) else 0
    if n_slots <= 4 * len(key) + 1024:
        slot = np.full(n_slots, -1, dtype=np.int64)
        slot[key] = np.arange(len(key))
        order = slot[slot >= 0]
        if len(order) == len(key):  # every (rating, item) once: the slots are the order
            return order
    return np.argsort(key, kind="stable")


def _fetched(query) -> list[tuple]:
    """A ``values_list`` query's rows through the raw cursor in one fetch (no ORM iteration)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _sorted_names(pairs, key=itemgetter(1)) -> tuple[np.ndarray, np.ndarray]:
    """(pk, name) pairs -> pks and names as arrays, in ``key`` order (default: Python's order of
    the names)."""
    pairs = sorted(pairs, key=key)
    names = np.empty(len(pairs), dtype=object)
    names[:] = [pair[1] for pair in pairs]
    return np.fromiter(map(itemgetter(0), pairs), dtype=np.int64, count=len(pairs)), names


def _names_of(names: np.ndarray, codes: np.ndarray):
    """``names[codes]`` as the column pandas would make of those strings (its ``str`` dtype), the
    names converted once rather than every row checked."""
    if not len(codes):
        return names[codes]
    return pd.array(names, dtype=_STR).take(codes)


@dataclass(frozen=True)
class ScaleScores:
    """`scale_scores_frame` as arrays: one row per rating (target, rater, kind), as codes
    (``target`` into ``targets``, ``rater`` into ``raters``, ``kind`` into ``kinds``), and
    ``score`` (bases x scales x ratings: ``bases`` mode then expected, ``scales`` the subscales
    in instrument order; one contiguous array per basis and scale). The frame's row of rating g,
    basis b and scale s is ``(g * len(bases) + b) * len(scales) + s``."""

    target: np.ndarray
    rater: np.ndarray
    kind: np.ndarray
    targets: np.ndarray
    raters: np.ndarray
    kinds: np.ndarray
    scales: tuple[str, ...]
    bases: tuple[str, ...]
    score: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The long frame (`scale_scores_frame`)."""
        if not len(self.target) or not self.scales:
            return pd.DataFrame({c: pd.Series(dtype=float if c == "score" else object) for c in SCALE_COLUMNS})
        per_rating = len(self.bases) * len(self.scales)
        names = {"target": (self.targets, self.target), "rater": (self.raters, self.rater),
                 "rater_kind": (self.kinds, self.kind)}
        return pd.DataFrame({
            **{column: np.repeat(np.asarray(uniques, dtype=object)[codes], per_rating)
               for column, (uniques, codes) in names.items()},
            "scale": np.tile(np.array(self.scales * len(self.bases), dtype=object), len(self.target)),
            "basis": np.tile(np.repeat(np.array(self.bases, dtype=object), len(self.scales)), len(self.target)),
            "score": self.score.transpose(2, 0, 1).reshape(-1)}, columns=SCALE_COLUMNS)


def scale_scores_frame(items: pd.DataFrame, *, spec, codes: ItemCodes | None = None) -> pd.DataFrame:
    """Long frame of scale scores per rater and target, on the ``mode`` basis (the chosen point)
    and the ``expected`` basis (an LLM's expected score; a human's answer, which has none),
    scored by the instrument's rules (`subscale_scores`, here vectorised over all ratings:
    keyed items, the mean of the answered ones, prorated sums, None below ``min_answered``).
    ``items`` is `item_scores_frame`; rows are sorted by target, rater and kind, then basis
    (mode first) and subscale in instrument order: `scale_score_arrays` laid out long."""
    return scale_score_arrays(items, spec=spec, codes=codes).frame()


def scale_score_arrays(items: pd.DataFrame, *, spec, codes: ItemCodes | None = None) -> ScaleScores:
    """The scale scores of `scale_scores_frame` as `ScaleScores`.

    One pass: each (target, rater, kind) is a row and each item a column of a numpy matrix per
    basis, and every subscale is a masked mean over its columns. ``codes``: the frame's
    `ItemCodes`, which spare factorizing its strings."""
    keys = ["target", "rater", "rater_kind"]
    scales = tuple(s.code for s in spec.subscales)
    if items.empty or not scales:
        empty = np.empty(0, dtype=np.int64)
        return ScaleScores(empty, empty, empty, np.empty(0, dtype=object), np.empty(0, dtype=object),
                           np.empty(0, dtype=object), scales, BASES, np.empty((len(BASES), len(scales), 0)))
    if codes is None:
        key_codes, key_uniques = zip(*(pd.factorize(items[k], sort=True) for k in keys))
        item_codes, item_uniques = pd.factorize(items["item"])
    else:  # a rater has one kind: (target, rater) sorts as (target, rater, kind)
        key_codes, key_uniques = (codes.target, codes.rater), (codes.targets, codes.raters)
        item_codes, item_uniques = codes.item, codes.items
    group = np.zeros(len(items), dtype=np.int64)
    for key, uniques in zip(key_codes, key_uniques):
        group = group * len(uniques) + key
    groups, row = _runs_or_unique(group)
    column = {code: j for j, code in enumerate(item_uniques)}
    score = items["score"].to_numpy(dtype=float)
    expected = items["expected_score"].to_numpy(dtype=float)
    no_expected = np.isnan(expected)
    # without any expected score (humans only) the expected basis is the mode basis
    bases = [score] if no_expected.all() else [score, np.where(no_expected, score, expected)]
    out = np.empty((len(BASES), len(scales), len(groups)))
    dense = _dense(row, item_codes, len(groups), len(item_uniques))
    for b, values in enumerate(bases):
        out[b] = _basis_scores(spec, values, (row, item_codes) if not dense else None, len(groups), column)
    if len(bases) == 1:
        out[1] = out[0]
    target, rater, kind, kinds = _rating_codes(groups, key_uniques, codes)
    return ScaleScores(target=target, rater=rater, kind=kind, targets=np.asarray(key_uniques[0], dtype=object),
                       raters=np.asarray(key_uniques[1], dtype=object), kinds=kinds, scales=scales, bases=BASES,
                       score=out)


BASES = ("mode", "expected")


def _rating_codes(groups: np.ndarray, key_uniques, codes: ItemCodes | None):
    """Each rating's target, rater and kind code, and the kinds' names, from its group number."""
    group_codes = []
    for uniques in reversed(key_uniques):
        group_codes.append(groups % len(uniques))
        groups = groups // len(uniques)
    if codes is None:
        kind, rater, target = group_codes
        return target, rater, kind, np.asarray(key_uniques[2], dtype=object)
    rater, target = group_codes
    kind_of_rater, kinds = pd.factorize(codes.kinds, sort=True)
    return target, rater, kind_of_rater[rater], np.asarray(kinds, dtype=object)


def _basis_scores(spec, values: np.ndarray, cells: tuple[np.ndarray, np.ndarray] | None, n_groups: int,
                  column: dict) -> np.ndarray:
    """Every subscale's score (scales x ratings) on one basis: ``values`` one per item score,
    at ``cells`` (rating, item column), or, when None, rating by rating in column order."""
    if cells is None:  # every rating answers every item, in item order: the values are the matrix
        matrix = values.reshape(n_groups, len(column))
    else:
        matrix = np.full((n_groups, len(column)), np.nan)
        matrix[cells] = values
    seen = ~np.isnan(matrix)
    keyed = np.where(seen, matrix, 0.0)
    for code, j in column.items():
        item = spec.item(code)
        if item.reverse:
            keyed[:, j] = np.where(seen[:, j], _keyed_column(item, matrix[:, j]), 0.0)
    return np.stack([_subscale_score(subscale, keyed, seen, column) for subscale in spec.subscales])


def _dense(row: np.ndarray, item: np.ndarray, n_groups: int, n_items: int) -> bool:
    """Whether the rows are rating by rating, each with one row per item in code order."""
    if len(row) != n_groups * n_items:
        return False
    return bool((item.reshape(n_groups, n_items) == np.arange(n_items)).all()
                and (row.reshape(n_groups, n_items) == np.arange(n_groups)[:, None]).all())


def _runs_or_unique(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(group, return_inverse=True)``; for a sorted ``group`` (the read's order) from
    its runs, without a sort."""
    if len(group) and (group[1:] >= group[:-1]).all():
        start = np.empty(len(group), dtype=bool)
        start[0], start[1:] = True, group[1:] != group[:-1]
        return group[start], np.cumsum(start) - 1
    groups, row = np.unique(group, return_inverse=True)
    return groups, row.reshape(-1)


def _subscale_score(subscale, keyed: np.ndarray, seen: np.ndarray, column: dict) -> np.ndarray:
    """One subscale's score of every rating: ``keyed`` the keyed answers (0 where ``seen`` is
    False), one column per item."""
    present = [column[c] for c in subscale.items if c in column]
    if not present:
        return np.full(len(keyed), np.nan)
    # summed left to right in the subscale's item order, as `subscale_scores` does, so the sums are
    # the same floats (a pairwise sum can differ in the last bit, which breaks ties in ranks);
    # adding the 0 of an unanswered item leaves a sum unchanged
    total = keyed[:, present[0]].copy()
    for j in present[1:]:
        total += keyed[:, j]
    answered = seen[:, present].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / answered
    score = mean if subscale.method == "mean" else mean * len(subscale.items)
    return np.where(answered >= max(subscale.min_answered, 1), score, np.nan)


def _keyed_column(item, column):
    return item.scale.min + item.scale.max - column if item.reverse else column


def scale_scores_frame_reference(items: pd.DataFrame, *, spec) -> pd.DataFrame:
    """The per-rating loop `scale_scores_frame` replaces (kept to test that both agree)."""
    rows = []
    for (target, rater, kind), group in items.groupby(["target", "rater", "rater_kind"], sort=True):
        modes = dict(zip(group["item"], group["score"]))
        expected = {code: (e if pd.notna(e) else s) for code, s, e in
                    zip(group["item"], group["score"], group["expected_score"])}
        for basis, values in (("mode", modes), ("expected", expected)):
            for scale, value in subscale_scores(spec, values).items():
                rows.append((target, rater, kind, scale, basis, value))
    frame = pd.DataFrame(rows, columns=SCALE_COLUMNS)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    return frame


def targets_frame(study: Study, *, cluster_field: str | None = None) -> pd.DataFrame:
    """One row per target: ``target``, ``cluster`` (the metadata field, or None) and one
    ``criterion:NAME`` column per numeric outcome criterion stored on the study's targets
    (NaN where a target has none), in the order the names first appear."""
    names, criteria, metadata = _target_columns(study, with_metadata=bool(cluster_field))
    frame = {"target": names,
             "cluster": [(m or {}).get(cluster_field) for m in metadata] if cluster_field else [None] * len(names)}
    for name in dict.fromkeys(name for c in criteria if c for name in c):
        frame[f"criterion:{name}"] = pd.to_numeric(pd.Series([c.get(name) if c else None for c in criteria],
                                                             dtype=object), errors="coerce")
    return pd.DataFrame(frame)


def _target_columns(study: Study, *, with_metadata: bool) -> tuple[list, list, list]:
    """External ids, criteria and (if asked) metadata of the study's targets, as three lists in
    the database's external-id order, the JSON decoded in one call for all targets rather than
    one per value."""
    query = study.targets.order_by("external_id")
    rows = _fetched(query.values_list("external_id", "criteria", *(["metadata"] if with_metadata else [])))
    columns = [[row[j] for row in rows] for j in range(3 if with_metadata else 2)]
    del rows
    for j in range(1, len(columns)):
        if all(isinstance(v, str) or v is None for v in columns[j]):  # JSON text (SQLite, Django's raw cursor)
            columns[j] = json.loads("[" + ",".join(["null" if v is None else v for v in columns[j]]) + "]")
    return columns[0], columns[1], columns[2] if with_metadata else []


def _raters_seen_by(study: Study):
    """The raters whose names a study's frames can hold: the installation's and the study's own
    (an imported id is a label in its study: another study's ``R1`` is someone else)."""
    return Rater.objects.filter(Q(study__isnull=True) | Q(study=study))


def perturbations(study: Study, llm_raters: list[str]) -> dict[str, dict]:
    """Rater name -> perturbation configuration, for the LLM raters that are robustness runs."""
    return {name: config for name, config in _raters_seen_by(study).filter(name__in=llm_raters)
            .exclude(perturbation={}).values_list("name", "perturbation")}


def llm_provenance(study: Study, *, instrument_version, raters: list[str]) -> dict[str, dict]:
    """Where each LLM rater's ratings come from: ``imported`` (an outside judge's file: its
    name, SHA-256 and model, per file) or ``anchor`` (scored here: model file and its hash,
    prompt template version), with one line of text saying so."""
    imported: dict[str, list[dict]] = {}
    for name, file_name, sha, model in (
            _submitted(study, instrument_version).filter(rater__name__in=raters, source=Rating.Source.IMPORT)
            .values_list("rater__name", "provenance__file_name", "provenance__file_sha256", "provenance__model")
            .distinct().order_by("rater__name", "provenance__file_name")):
        imported.setdefault(name, []).append({"file_name": file_name or "", "file_sha256": sha or "",
                                              "model": model or ""})
    out = {}
    for name, path, sha, template in _raters_seen_by(study).filter(name__in=raters).values_list(
            "name", "model_path", "model_sha256", "prompt_template_version"):
        if name in imported:
            files = imported[name]
            text = "imported (" + "; ".join(map(_file_words, files)) + ")"
            out[name] = {"origin": "imported", "files": files, "text": text}
        else:
            out[name] = {"origin": "anchor", "model_path": path, "model_sha256": sha,
                         "prompt_template_version": template,
                         "text": f"scored by Anchor (model {path.rsplit('/', 1)[-1] or 'unnamed'}, sha256 "
                                 f"{sha[:12] or 'not recorded'}, prompt {template or 'not recorded'})"}
    return out


def _file_words(file: dict) -> str:
    words = f"{file['file_name'] or 'unnamed file'}, sha256 {file['file_sha256'][:12] or 'not recorded'}"
    return words + (f", model {file['model']}" if file["model"] else "")


def criterion_columns(targets: pd.DataFrame) -> list[str]:
    return sorted(c for c in targets.columns if c.startswith("criterion:"))


def wide(frame: pd.DataFrame, *, index: str, columns: str, values: str = "score") -> pd.DataFrame:
    """Pivot a long frame (one value per cell) into index x columns, NaN where missing."""
    cells = frame[[index, columns, values]].drop_duplicates([index, columns])
    wide = cells.set_index([index, columns])[values].unstack(columns).sort_index()
    return wide.astype(float) if not wide.empty else wide


def missing_counts(study: Study, *, instrument_version, items: pd.DataFrame,
                   answered: np.ndarray | None = None) -> dict:
    """Missing human answers (items left blank in submitted ratings), unsubmitted drafts,
    and failed LLM ratings (targets a scoring job recorded as failed). ``answered``, when the
    caller has it, is the number of distinct items of each submitted human rating."""
    codes = [item.code for item in instrument_version.spec.items if item.for_humans]
    if answered is None:
        humans = items[items["rater_kind"] == "human"]
        answered = humans.groupby(["target", "rater"])["item"].nunique().to_numpy()
    per_rating = pd.Series(answered, dtype=np.int64)
    drafts = ratings_count(study, instrument_version=instrument_version, status=Rating.Status.DRAFT)
    failed = {}
    for rater, errors in ScoringJob.objects.filter(study=study, instrument_version=instrument_version
                                                   ).values_list("rater__name", "errors"):
        failed.setdefault(rater, set()).update(e.get("target") or e.get("target_id") for e in errors)
    stored = set(map(tuple, items.loc[items["rater_kind"] == "llm", ["rater", "target"]]
                     .drop_duplicates().to_numpy())) if failed else set()
    failed_now = {rater: sorted(str(t) for t in targets if (rater, t) not in stored)
                  for rater, targets in failed.items()}
    return {
        "n_targets": study.targets.count(),
        "n_items": len(codes),
        "human_ratings_submitted": int(len(per_rating)),
        "human_missing_answers": int((len(codes) - per_rating).clip(lower=0).sum()),
        "human_drafts_not_submitted": drafts,
        "llm_failed_ratings": {r: len(t) for r, t in failed_now.items()},
        "llm_failed_targets": failed_now,
        "note": "failed LLM ratings and unanswered items are missing data, never a score",
    }


Basis = Literal["mode", "expected"]
