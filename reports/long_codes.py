"""A long report frame's targets, raters and groups as integer codes, computed once.

The report takes many subsets of the same long frames (one item's human scores, one scale's
expected scores) and lays each out as a targets x raters matrix. Doing it with pandas means a
string comparison per row per subset and a pivot per measure; here every row carries a target
and a rater code into sorted names (as a pivot sorts them), the subsets are positions from one
counting sort, and a matrix is one array assignment. The codes come from the read
(`frames.ItemCodes`, `frames.ScaleScores`: no string hashed) or, for a frame without them, from
factorizing its columns once. Each function gives exactly the frame the pandas expression
named in its docstring gives.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

Key = tuple[np.ndarray, Sequence]
"""A grouping key: one integer code per row (-1: missing) and the names the codes index."""


class LongCodes:
    """Integer codes (into sorted, distinct names) of a long frame's targets and raters, one per
    row: ``t_codes`` into ``t_names``, ``r_codes`` into ``r_names``."""

    def __init__(self, t_codes: np.ndarray, t_names: pd.Index, r_codes: np.ndarray, r_names: pd.Index):
        self.t_codes, self.t_names, self.r_codes, self.r_names = t_codes, t_names, r_codes, r_names

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> "LongCodes":
        """The codes of ``frame``'s ``target`` and ``rater`` columns: ``pd.factorize(column,
        sort=True)``."""
        return cls(*factorize_runs(frame["target"]), *factorize_runs(frame["rater"]))

    @classmethod
    def of_codes(cls, target: np.ndarray, targets: Sequence, rater: np.ndarray, raters: Sequence) -> "LongCodes":
        """The codes of rows given as positions in name arrays (any order, repeats allowed, names
        not in any row left out): the same codes as factorizing the rows' names, without hashing
        a string per row."""
        return cls(*canonical_codes(target, targets), *canonical_codes(rater, raters))

    def wide(self, rows: np.ndarray, values: np.ndarray) -> pd.DataFrame:
        """targets x raters of the rows at ``rows`` (``values`` one per row of the frame):
        ``frames.wide(frame.iloc[rows], index="target", columns="rater")``, the first value of a
        repeated (target, rater) kept, NaN where missing."""
        if not len(rows):
            return pd.DataFrame()
        t, t_names = present_codes(self.t_codes[rows], len(self.t_names))
        r, r_names = present_codes(self.r_codes[rows], len(self.r_names))
        cell, value = t.astype(np.int64) * len(r_names) + r, values[rows]
        first = _first(cell, len(t_names) * len(r_names))
        x = np.full(len(t_names) * len(r_names), np.nan)
        if len(first) == len(cell):  # no (target, rater) repeated: every row is its cell's first
            x[cell] = value
        else:
            x[cell[first]] = value[first]
        return pd.DataFrame(x.reshape(len(t_names), len(r_names)),
                            index=pd.Index(_names(self.t_names, t_names), name="target"),
                            columns=pd.Index(_names(self.r_names, r_names), name="rater"))

    def by_target_and_rater(self, groups: dict[str, np.ndarray], values: np.ndarray, *,
                            name: str) -> pd.DataFrame:
        """(target, rater) x group, from the rows at ``groups[g]`` for each column g (``values``
        one per row of the frame): ``frame.pivot_table(index=["target", "rater"], columns=name,
        values=VALUE, aggfunc="first")`` over those rows, the first non-missing value of a cell,
        rows and columns without any value dropped, both sorted."""
        kept = {g: _scored_values(rows, values) for g, rows in groups.items()}  # (rows, their values)
        names = sorted(g for g, (rows, _) in kept.items() if len(rows))
        if not names:
            return pd.DataFrame()
        n_r = len(self.r_names)
        if sum(len(rows) for rows, _ in kept.values()) * 4 > len(self.t_codes):  # most rows: one pass
            every = self._cells(slice(None))
            cells = {g: every[kept[g][0]] for g in names}
        else:
            cells = {g: self._cells(kept[g][0]) for g in names}
        used = np.zeros(len(self.t_names) * n_r, dtype=bool)
        for g in names:
            used[cells[g]] = True
        pairs = np.flatnonzero(used)
        renumber = None if len(pairs) == len(used) else np.cumsum(used, dtype=np.int64) - 1
        # filled one group (row of x) at a time, contiguously; the frame takes x.T without a copy
        x = np.full((len(names), len(pairs)), np.nan)
        for j, g in enumerate(names):
            pair = cells[g] if renumber is None else renumber[cells[g]]
            first = _first(pair, len(pairs))
            if len(first) == len(pair):  # no repeated cell: every row is its cell's first
                x[j, pair] = kept[g][1]
            else:
                x[j, pair[first]] = kept[g][1][first]
        (t_level, t_codes), (r_level, r_codes) = (_levels(pairs // n_r, self.t_names, "target"),
                                                  _levels(pairs % n_r, self.r_names, "rater"))
        index = pd.MultiIndex(levels=[t_level, r_level], codes=[t_codes, r_codes], names=["target", "rater"],
                              verify_integrity=False)
        return pd.DataFrame(x.T, index=index, columns=pd.Index(names, name=name))

    def _cells(self, rows: np.ndarray | slice) -> np.ndarray:
        """The (target, rater) cell of each row at ``rows``: target code x raters + rater code,
        in 32 bits when every cell number fits (half the memory traffic of 64)."""
        n_r = len(self.r_names)
        dtype = np.int32 if len(self.t_names) * n_r < 2 ** 31 else np.int64
        cell = self.t_codes[rows].astype(dtype, copy=isinstance(rows, slice))  # a slice is a view
        cell *= n_r  # in place, on the copy
        cell += self.r_codes[rows]
        return cell


def _levels(codes: np.ndarray, names: pd.Index, name: str) -> tuple[pd.Index, np.ndarray]:
    """A MultiIndex level of the names ``codes`` use (sorted, as ``from_arrays`` makes it) and
    the codes into it."""
    renumbered, present = present_codes(codes, len(names))
    return pd.Index(names[present], name=name), renumbered


def group_positions(keys: list[Key]) -> dict[tuple, np.ndarray]:
    """Row positions (ascending) of every group of ``keys`` (rows with a missing key in none),
    keyed by the group's names: ``frame.groupby(columns).indices`` when the keys are the
    columns' codes. One counting sort of the rows by their group."""
    if not keys or not len(keys[0][0]):
        return {}
    sizes = [len(names) for _, names in keys]
    n_groups = int(np.prod(sizes, dtype=np.int64))
    dtype = np.int16 if n_groups < 2 ** 15 else np.int64  # a stable sort of 16-bit keys is a radix sort
    group = np.zeros(len(keys[0][0]), dtype=dtype)
    missing = None
    for (codes, _), size in zip(keys, sizes):
        group *= size
        group += codes.astype(dtype, copy=False)
        if codes.min() < 0:
            missing = (codes < 0) if missing is None else (missing | (codes < 0))
    if missing is not None:
        group[missing] = -1
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group[group >= 0] if missing is not None else group, minlength=n_groups)
    start = 0 if missing is None else int(missing.sum())
    out = {}
    for value in np.flatnonzero(counts):
        key, rest = [], int(value)
        for (_, names), size in zip(reversed(keys), reversed(sizes)):
            rest, code = divmod(rest, size)
            key.append(names[code])
        out[tuple(reversed(key))] = order[start:start + counts[value]]
        start += counts[value]
    return out


def column_keys(frame: pd.DataFrame, columns: list[str]) -> list[Key]:
    """The grouping keys of ``frame``'s columns (`factorize_runs`)."""
    return [factorize_runs(frame[column]) for column in columns]


def canonical_codes(codes: np.ndarray, names: Sequence) -> tuple[np.ndarray, pd.Index]:
    """Positions in ``names`` -> codes into the sorted distinct names the positions use: what
    ``pd.factorize(names[codes], sort=True)`` gives. ``codes`` itself when ``names`` are
    already distinct, sorted and all used (the read's usual case: no copy)."""
    names = np.asarray(names, dtype=object)
    used = np.bincount(codes, minlength=len(names)) > 0
    ascending = bool((names[:-1] < names[1:]).all())  # Python's comparison of each neighbour pair
    if ascending and used.all():
        return codes, pd.Index(names)
    present = np.flatnonzero(used)
    if ascending:
        distinct, inverse = names[present], np.arange(len(present))
    else:  # unsorted or repeated names: a repeated name is one target or rater, as in the frame
        distinct, inverse = np.unique(names[present], return_inverse=True)
    lookup = np.full(len(names), -1, dtype=codes.dtype)
    lookup[present] = inverse
    return lookup[codes], pd.Index(distinct)


def factorize_runs(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(column, sort=True)``, hashing one value per run of equal neighbours: a
    report frame is ordered by target and rater, so its names come in long runs."""
    values = column.to_numpy()
    if len(values) < 2:
        codes, uniques = pd.factorize(column, sort=True)
        return codes, pd.Index(uniques, dtype=column.dtype)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    if len(starts) * 4 > len(values):  # short runs: hashing every value is cheaper
        codes, uniques = pd.factorize(column, sort=True)
        return codes, pd.Index(uniques, dtype=column.dtype)
    head_codes, uniques = pd.factorize(values[starts], sort=True)
    return np.repeat(head_codes, np.diff(np.r_[starts, len(values)])), pd.Index(uniques, dtype=column.dtype)


def present_codes(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (0..n-1) renumbered over the values present (in code order), and the present codes:
    ``np.searchsorted(np.unique(codes), codes)`` and ``np.unique(codes)``, by counting."""
    present = np.bincount(codes, minlength=n) > 0
    if present.all():  # every value present: the codes are their own renumbering
        return codes, np.arange(n)
    renumber = np.cumsum(present) - 1
    return renumber[codes], np.flatnonzero(present)


def _names(names: pd.Index, present: np.ndarray) -> pd.Index:
    """``names[present]``, the names themselves when all are present."""
    return names if len(present) == len(names) else names[present]


def _scored(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The rows whose value is not missing."""
    missing = np.isnan(values[rows])
    return rows[~missing] if missing.any() else rows


def _scored_values(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_scored`'s rows and their values, the values taken once."""
    at = values[rows]
    missing = np.isnan(at)
    return (rows[~missing], at[~missing]) if missing.any() else (rows, at)


def _first(cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Positions of the first occurrence of each cell (every position when none repeats)."""
    if len(cell) == 0 or np.bincount(cell, minlength=n_cells).max() <= 1:
        return np.arange(len(cell))
    return np.sort(np.unique(cell, return_index=True)[1])
