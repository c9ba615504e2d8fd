"""A study's submitted item scores read from the database into numpy arrays, without a Python
object per score.

The database's cursor makes a Python object of every value it returns (about a microsecond a
row), which at 5,000,000 item scores is most of a report's time. So the common score, a whole
number on the instrument's scale with no expected score or distribution (a human's answer), is
read packed: the rating, the item and the score as one integer
``((rating - r0) * n_items + item - i0) * n_points + score - low``, aggregated into one text of
comma-separated integers per chunk of ratings (``group_concat`` / ``string_agg``) and parsed by
numpy in C. Integers are exact in text on every database. The other scores (fractional or out of
range, an LLM's expected score and distribution) come through the cursor row by row, exactly as
stored; so does every score on a database without such an aggregate.
"""

import json
from dataclasses import dataclass

import numpy as np
from django.db import connection

from ratings.models import ItemScore, Rating

# ``+r.instrument_version_id``: no index on the version (every study's ratings of it), so SQLite
# goes from the study's targets to their ratings
_AGGREGATE = {"sqlite": "group_concat({}, ',')", "postgresql": "string_agg(({})::text, ',')"}
# no cast in the test itself: PostgreSQL may evaluate a WHERE's terms in any order
_PLAIN = ("s.expected_score IS NULL AND s.distribution IS NULL AND s.score = round(s.score) "
          "AND s.score BETWEEN {low} AND {high} AND s.item_id BETWEEN {i0} AND {i1}")


@dataclass(frozen=True)
class ScoreArrays:
    """One entry per submitted item score, in no particular order: the rating's target and
    rater ids, the item id, the score, the expected score (NaN where none) and the distribution
    (None where none; decoded JSON otherwise)."""

    target_id: np.ndarray
    rater_id: np.ndarray
    item_id: np.ndarray
    score: np.ndarray
    expected: np.ndarray
    distribution: np.ndarray


def read_score_arrays(study, *, instrument_version, item_ids: list[int], score_range: tuple[int, int],
                      chunk: int = 1_000_000) -> ScoreArrays:
    """The submitted item scores of ``study`` on ``instrument_version`` (``item_ids``: its
    items; ``score_range``: the lowest and highest point of their scales), ``chunk`` scores at
    most per aggregated text. The ratings are read first, then their scores: a rating submitted
    in between (its scores seen, the rating not) starts the read again; no transaction is held,
    so a writer never waits for a report."""
    for _ in range(3):
        ratings = _ratings(study, instrument_version)
        rating_of, item_id, values, expected, distribution = _scores(
            study, instrument_version, ratings[0], item_ids, score_range, chunk)
        where = positions(ratings[0], rating_of)
        del rating_of
        if (where >= 0).all():
            return ScoreArrays(target_id=ratings[1][where], rater_id=ratings[2][where], item_id=item_id,
                               score=values, expected=expected, distribution=distribution)
    raise RuntimeError("The study's ratings kept changing while the report read them; try again.")


def positions(pks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each id's position in ``pks`` (distinct), -1 where it is not there."""
    if not len(ids) or not len(pks):
        return np.full(len(ids), -1, dtype=np.int64)
    low, high = int(pks.min()), int(pks.max())
    if high - low < 4 * len(pks) + 1024:  # a study's ids are dense: a table, no search
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[pks - low] = np.arange(len(pks))
        inside = (ids >= low) & (ids <= high)
        return np.where(inside, table[np.where(inside, ids - low, 0)], -1)
    by_pk = np.argsort(pks)
    found = by_pk[np.minimum(np.searchsorted(pks, ids, sorter=by_pk), len(pks) - 1)]
    return np.where(pks[found] == ids, found, -1)


def _tables() -> tuple[str, str, str]:
    target = Rating._meta.get_field("target").related_model._meta.db_table
    return Rating._meta.db_table, ItemScore._meta.db_table, target


def _ratings(study, version) -> list[np.ndarray]:
    """(rating id, target id, rater id) of every submitted rating, three int64 arrays sorted by id."""
    rating, _, target = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.id, r.target_id, r.rater_id FROM {rating} r JOIN {target} t ON r.target_id = t.id "
                       f"WHERE t.study_id = %s AND +r.instrument_version_id = %s AND r.status = %s",
                       [study.pk, version.pk, Rating.Status.SUBMITTED])
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    rows = rows[np.argsort(rows[:, 0])]  # sorted here: an ORDER BY can make SQLite scan every rating
    return [np.ascontiguousarray(rows[:, j]) for j in range(3)]


def _scores(study, version, rating_ids: np.ndarray, item_ids: list[int], score_range, chunk: int) -> tuple:
    rating, score, target = _tables()
    sql = (f"FROM {score} s JOIN {rating} r ON s.rating_id = r.id JOIN {target} t ON r.target_id = t.id "
           f"WHERE t.study_id = %s AND +r.instrument_version_id = %s AND r.status = %s")
    params = [study.pk, version.pk, Rating.Status.SUBMITTED]
    aggregate = _AGGREGATE.get(connection.vendor)
    low, high = (int(v) for v in score_range)
    i0, i1 = (min(item_ids), max(item_ids)) if item_ids else (0, -1)
    n_points, n_items = high - low + 1, i1 - i0 + 1
    packs = (aggregate and len(rating_ids) and n_points > 0 and n_items > 0
             and (int(rating_ids[-1]) - int(rating_ids[0]) + 1) * n_items * n_points < 2 ** 62)
    if not packs:
        return _row_by_row(f"SELECT s.rating_id, s.item_id, s.score, s.expected_score, s.distribution {sql}", params)
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
                           f"{sql} AND r.id BETWEEN %s AND %s", [*params, int(rating_ids[first]), int(last)])
            text, n_all = cursor.fetchone()
            texts.append(np.fromstring(text, dtype=np.int64, sep=",") if text else np.empty(0, dtype=np.int64))
            others += int(n_all) - len(texts[-1])
    rest = _row_by_row(f"SELECT s.rating_id, s.item_id, s.score, s.expected_score, s.distribution "
                       f"{sql} AND NOT ({plain})", params) if others else None
    return _unpacked(texts, rest, r0=r0, i0=i0, low=low, n_items=n_items, n_points=n_points)


def _unpacked(texts: list[np.ndarray], rest: tuple | None, *, r0, i0, low, n_items, n_points) -> tuple:
    """(rating ids, item ids, scores, expected scores, distributions) of the packed plain
    scores followed by the ``rest`` read row by row, unpacked in place (no copy per column)."""
    codes = np.concatenate(texts) if texts else np.empty(0, dtype=np.int64)
    texts.clear()
    n_plain, n = len(codes), len(codes) + (len(rest[0]) if rest else 0)
    scores, items = np.empty(n), np.empty(n, dtype=np.int64)
    np.add(codes % n_points, low, out=scores[:n_plain], casting="unsafe")
    codes //= n_points
    np.add(codes % n_items, i0, out=items[:n_plain])
    codes //= n_items
    codes += r0
    expected, distribution = np.full(n, np.nan), np.full(n, None, dtype=object)
    if rest:
        codes = np.concatenate([codes, rest[0]])
        items[n_plain:], scores[n_plain:], expected[n_plain:], distribution[n_plain:] = rest[1:]
    return codes, items, scores, expected, distribution


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
