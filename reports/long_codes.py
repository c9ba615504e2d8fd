"""A long report frame's targets, raters and groups as integer codes, computed once.

The report takes many subsets of the same long frames (one item's human scores, one scale's
expected scores) and lays each out as a targets x raters matrix. Doing it with pandas means a
string comparison per row per subset and a pivot per measure; here the frame's target and rater
names are factorized once (sorted, as a pivot sorts them), the subsets are positions from one
groupby, and a matrix is one array assignment. Each function gives exactly the frame the pandas
expression named in its docstring gives.
"""

import numpy as np
import pandas as pd


class LongCodes:
    """Integer codes (sorted names) of a long frame's ``target`` and ``rater`` columns, and the
    positions of its rows by group."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.t_codes, self.t_names = factorize_runs(frame["target"])
        self.r_codes, self.r_names = factorize_runs(frame["rater"])

    def positions(self, keys: list[str]) -> dict[tuple, np.ndarray]:
        """Row positions (ascending) of every group of ``keys``, keyed by the group's values:
        ``frame.groupby(keys).indices``."""
        if self.frame.empty:
            return {}
        group = np.zeros(len(self.frame), dtype=np.int64)
        names = []
        for key in keys:
            codes, uniques = factorize_runs(self.frame[key])
            group = np.where((group < 0) | (codes < 0), -1, group * len(uniques) + codes)
            names.append(uniques)
        present, inverse = np.unique(group, return_inverse=True)
        order = np.argsort(inverse.astype(np.int16 if len(present) < 2 ** 15 else np.int64), kind="stable")
        split = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(present)))[:-1])
        out = {}
        for value, rows in zip(present, split):
            if value < 0:  # a missing key: no group, as groupby drops it
                continue
            key = []
            for uniques in reversed(names):
                value, code = divmod(value, len(uniques))
                key.append(uniques[code])
            out[tuple(reversed(key))] = rows
        return out

    def wide(self, rows: np.ndarray, values: np.ndarray) -> pd.DataFrame:
        """targets x raters of the rows at ``rows`` (``values`` one per row of the frame):
        ``frames.wide(frame.iloc[rows], index="target", columns="rater")``, the first value of a
        repeated (target, rater) kept, NaN where missing."""
        if not len(rows):
            return pd.DataFrame()
        t, t_names = _present(self.t_codes[rows], len(self.t_names))
        r, r_names = _present(self.r_codes[rows], len(self.r_names))
        cell, value = t * len(r_names) + r, values[rows]
        first = _first(cell, len(t_names) * len(r_names))
        x = np.full(len(t_names) * len(r_names), np.nan)
        x[cell[first]] = value[first]
        return pd.DataFrame(x.reshape(len(t_names), len(r_names)),
                            index=pd.Index(self.t_names[t_names], name="target"),
                            columns=pd.Index(self.r_names[r_names], name="rater"))

    def by_target_and_rater(self, groups: dict[str, np.ndarray], values: np.ndarray, *,
                            name: str) -> pd.DataFrame:
        """(target, rater) x group, from the rows at ``groups[g]`` for each column g (``values``
        one per row of the frame): ``frame.pivot_table(index=["target", "rater"], columns=name,
        values=VALUE, aggfunc="first")`` over those rows, the first non-missing value of a cell,
        rows and columns without any value dropped, both sorted."""
        kept = {g: rows[~np.isnan(values[rows])] for g, rows in groups.items()}
        names = sorted(g for g, rows in kept.items() if len(rows))
        if not names:
            return pd.DataFrame()
        rows = np.concatenate([kept[g] for g in names])
        column = np.repeat(np.arange(len(names)), [len(kept[g]) for g in names])
        n_r = len(self.r_names)
        pair, pairs = _present(self.t_codes[rows].astype(np.int64) * n_r + self.r_codes[rows],
                               len(self.t_names) * n_r)
        cell = pair * len(names) + column
        first = _first(cell, len(pairs) * len(names))
        x = np.full(len(pairs) * len(names), np.nan)
        x[cell[first]] = values[rows[first]]
        index = pd.MultiIndex.from_arrays([self.t_names[pairs // n_r], self.r_names[pairs % n_r]],
                                          names=["target", "rater"])
        return pd.DataFrame(x.reshape(len(pairs), len(names)), index=index,
                            columns=pd.Index(names, name=name))


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


def _present(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes renumbered over the values present (in code order), and the present codes."""
    present = np.bincount(codes, minlength=n) > 0
    renumber = np.cumsum(present) - 1
    return renumber[codes], np.flatnonzero(present)


def _first(cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Positions of the first occurrence of each cell (every position when none repeats)."""
    if len(cell) == 0 or np.bincount(cell, minlength=n_cells).max() <= 1:
        return np.arange(len(cell))
    return np.sort(np.unique(cell, return_index=True)[1])
