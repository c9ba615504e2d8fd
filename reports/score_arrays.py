"""A study's submitted item scores read from the database into numpy arrays, without a Python
object per score or per rating.

The database's cursor makes a Python object of every value it returns (about a microsecond a
row), which at 5,000,000 item scores is most of a report's time. So the ratings' ids, targets
and raters come as texts of comma-separated integers (``group_concat`` / ``string_agg``), and the
common score, a whole number on the instrument's scale with no expected score or distribution
(a human's answer), is read packed: the rating, the item and the score as one integer
``((rating - r0) * n_items + item - i0) * n_points + score - low``, aggregated into one text per
chunk of ratings and parsed by numpy in C. Integers are exact in text on every database. The
other scores (fractional or out of range, an LLM's expected score and distribution) come through
the cursor row by row, exactly as stored; so does everything on a database without such an
aggregate.

The scores are read by their rating's id range alone (no join: the rating id is in the score's
own index), and a score whose rating is not one of the ratings read first (another study's, a
draft, or one submitted since) is left out: the report is of the ratings submitted when the read
began. No transaction is held, so a writer never waits for a report.
"""

import json
from dataclasses import dataclass

import numpy as np
from django.db import connection

from ratings.models import ItemScore, Rating

_AGGREGATE = {"sqlite": "group_concat({}, ',')", "postgresql": "string_agg(({})::text, ',')"}
# no cast in the test itself: PostgreSQL may evaluate a WHERE's terms in any order
_PLAIN = ("s.expected_score IS NULL AND s.distribution IS NULL AND s.score = round(s.score) "
          "AND s.score BETWEEN {low} AND {high} AND s.item_id BETWEEN {i0} AND {i1}")


@dataclass(frozen=True)
class ScoreArrays:
    """The submitted ratings, one entry each, sorted by id (``rating_id``, ``target_id``,
    ``rater_id``), and their item scores, one entry each in no particular order: ``rating`` (the
    position of the score's rating in the ratings), ``item_id``, ``score``, ``expected`` (NaN
    where none) and ``distribution`` (None where none; decoded JSON otherwise). ``expected`` and
    ``distribution`` are None when no score has one (every score plain)."""

    rating_id: np.ndarray
    target_id: np.ndarray
    rater_id: np.ndarray
    rating: np.ndarray
    item_id: np.ndarray
    score: np.ndarray
    expected: np.ndarray | None
    distribution: np.ndarray | None


def read_score_arrays(study, *, instrument_version, item_ids: list[int], score_range: tuple[int, int],
                      chunk: int = 1_000_000) -> ScoreArrays:
    """The submitted item scores of ``study`` on ``instrument_version`` (``item_ids``: its
    items; ``score_range``: the lowest and highest point of their scales), ``chunk`` scores at
    most per aggregated text: the ratings first, then the scores of those ratings."""
    rating_id, target_id, rater_id = _ratings(study, instrument_version)
    rating, item_id, score, expected, distribution = _scores(study, instrument_version, rating_id, item_ids,
                                                             score_range, chunk)
    return ScoreArrays(rating_id=rating_id, target_id=target_id, rater_id=rater_id, rating=rating,
                       item_id=item_id, score=score, expected=expected, distribution=distribution)


def positions(pks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each id's position in ``pks`` (distinct), -1 where it is not there."""
    if not len(ids) or not len(pks):
        return np.full(len(ids), -1, dtype=np.int64)
    low, high = int(pks.min()), int(pks.max())
    if high - low < 4 * len(pks) + 1024:  # a study's ids are dense: a table, no search
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[pks - low] = np.arange(len(pks))
        if int(ids.min()) >= low and int(ids.max()) <= high:  # all inside: no masks
            return table[ids - low]
        inside = (ids >= low) & (ids <= high)
        return np.where(inside, table[np.where(inside, ids - low, 0)], -1)
    by_pk = np.argsort(pks)
    found = by_pk[np.minimum(np.searchsorted(pks, ids, sorter=by_pk), len(pks) - 1)]
    return np.where(pks[found] == ids, found, -1)


def _tables() -> tuple[str, str, str]:
    target = Rating._meta.get_field("target").related_model._meta.db_table
    return Rating._meta.db_table, ItemScore._meta.db_table, target


def _of_study(study, version, status: str, *, scores: bool = False) -> tuple[str, list]:
    """FROM and WHERE of the study's ratings of ``version`` with ``status`` (``scores``: of their
    item scores ``s``), and their parameters."""
    rating, score, target = _tables()
    # ``+r.instrument_version_id`` on SQLite: no index on the version (every study's ratings of
    # it), so SQLite goes from the study's targets to their ratings; PostgreSQL's planner, which
    # counts rows, would misjudge the expression and pick nested loops over a hash join
    version_column = "+r.instrument_version_id" if connection.vendor == "sqlite" else "r.instrument_version_id"
    ratings = f"{score} s JOIN {rating} r ON s.rating_id = r.id" if scores else f"{rating} r"
    return (f"FROM {ratings} JOIN {target} t ON r.target_id = t.id "
            f"WHERE t.study_id = %s AND {version_column} = %s AND r.status = %s"), [study.pk, version.pk, status]


def ratings_count(study, *, instrument_version, status: str) -> int:
    """How many of the study's ratings of ``instrument_version`` have ``status``."""
    sql, params = _of_study(study, instrument_version, status)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {sql}", params)
        return int(cursor.fetchone()[0])


def _ratings(study, version) -> list[np.ndarray]:
    """(rating id, target id, rater id) of every submitted rating, three int64 arrays sorted by id."""
    sql, params = _of_study(study, version, Rating.Status.SUBMITTED)
    aggregate = _AGGREGATE.get(connection.vendor)
    with connection.cursor() as cursor:
        if aggregate:  # three aggregates of one scan (no NULLs): the same rows in the same order
            cursor.execute(f"SELECT {', '.join(aggregate.format(f'r.{c}') for c in ('id', 'target_id', 'rater_id'))} "
                           f"{sql}", params)
            rows = np.stack([np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64)
                             for text in cursor.fetchone()], axis=1)
        else:
            cursor.execute(f"SELECT r.id, r.target_id, r.rater_id {sql}", params)
            rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    rows = rows[np.argsort(rows[:, 0])]  # sorted here: an ORDER BY can make SQLite scan every rating
    return [np.ascontiguousarray(rows[:, j]) for j in range(3)]


def _scores(study, version, rating_ids: np.ndarray, item_ids: list[int], score_range, chunk: int) -> tuple:
    """(rating positions, item ids, scores, expected scores, distributions) of the ratings'
    scores (`ScoreArrays`)."""
    _, score, _ = _tables()
    joined, params = _of_study(study, version, Rating.Status.SUBMITTED, scores=True)
    columns = "SELECT s.rating_id, s.item_id, s.score, s.expected_score, s.distribution"
    aggregate = _AGGREGATE.get(connection.vendor)
    low, high = (int(v) for v in score_range)
    i0, i1 = (min(item_ids), max(item_ids)) if item_ids else (0, -1)
    n_points, n_items = high - low + 1, i1 - i0 + 1
    packs = (aggregate and len(rating_ids) and n_points > 0 and n_items > 0
             and (int(rating_ids[-1]) - int(rating_ids[0]) + 1) * n_items * n_points < 2 ** 62)
    if not packs:
        return _of_ratings(rating_ids, _row_by_row(f"{columns} {joined}", params))
    plain = _PLAIN.format(low=low, high=high, i0=i0, i1=i1)
    r0 = int(rating_ids[0])
    packed = f"((s.rating_id - {r0}) * {n_items} + s.item_id - {i0}) * {n_points} + CAST(s.score AS bigint) - {low}"
    if connection.vendor == "sqlite":
        packed = packed.replace("bigint", "INTEGER")
    texts, others = [], 0
    step = max(1, chunk // max(n_items, 1))
    with connection.cursor() as cursor:
        for first in range(0, len(rating_ids), step):
            last = rating_ids[min(first + step, len(rating_ids)) - 1]
            cursor.execute(f"SELECT {aggregate.format(f'CASE WHEN {plain} THEN {packed} END')}, count(*) "
                           f"FROM {score} s WHERE s.rating_id BETWEEN %s AND %s", [int(rating_ids[first]), int(last)])
            text, n_all = cursor.fetchone()
            texts.append(np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64))
            others += int(n_all) - len(texts[-1])
    rest = _row_by_row(f"{columns} {joined} AND NOT ({plain})", params) if others else None
    return _unpacked(texts, rating_ids, _of_ratings(rating_ids, rest) if rest else None,
                     r0=r0, i0=i0, low=low, n_items=n_items, n_points=n_points)


def _unpacked(texts: list[np.ndarray], rating_ids: np.ndarray, rest: tuple | None, *, r0, i0, low, n_items,
              n_points) -> tuple:
    """The packed plain scores of the ratings ``rating_ids`` (others' dropped) followed by the
    ``rest`` read row by row: (rating positions, item ids, scores, expected, distributions)."""
    codes = np.concatenate(texts) if texts else np.empty(0, dtype=np.int64)
    texts.clear()
    score = codes % n_points
    codes //= n_points
    item = codes % n_items
    codes //= n_items
    codes += r0
    where = positions(rating_ids, codes)
    del codes
    kept = where >= 0
    if not kept.all():  # another study's scores or a draft's in the id range
        where, score, item = where[kept], score[kept], item[kept]
    del kept
    score = score.astype(float)
    score += low
    item += i0
    if not rest:
        return where, item, score, None, None
    n_plain = len(where)
    expected, distribution = np.full(n_plain, np.nan), np.full(n_plain, None, dtype=object)
    return tuple(np.concatenate([a, b]) for a, b in zip((where, item, score, expected, distribution), rest))


def _of_ratings(rating_ids: np.ndarray, rows: tuple) -> tuple:
    """Row-by-row scores with their rating ids replaced by positions, scores of other ratings dropped."""
    where = positions(rating_ids, rows[0])
    kept = where >= 0
    return where[kept], *(column[kept] for column in rows[1:])


def _row_by_row(sql: str, params: list, chunk: int = 100_000) -> tuple:
    columns: list[list] = [[] for _ in range(5)]
    dtypes = [np.int64, np.int64, float, float, object]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            for j, values in enumerate(zip(*rows)):
                columns[j].append(np.array(values, dtype=dtypes[j]))
    rating_ids, item_ids, scores, expected, distribution = (
        np.concatenate(c) if c else np.empty(0, dtype=dtype) for c, dtype in zip(columns, dtypes))
    return rating_ids, item_ids, scores, expected, _decoded(distribution)


def _decoded(values: np.ndarray) -> np.ndarray:
    """JSON text (SQLite, and PostgreSQL through Django's raw cursor) decoded; None stays None."""
    out = np.empty(len(values), dtype=object)
    out[:] = [json.loads(v) if isinstance(v, (str, bytes)) else v for v in values]
    return out
