"""Fast correlation helpers on targets x items arrays with missing values (NaN).

Complete data (the usual case for LLM ratings) take a plain matrix product; missing cells
fall back to pairwise-complete estimates, as ``psych`` and ``pandas`` compute them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..consistency import _cov


def covariance(x: np.ndarray) -> np.ndarray:
    """Item covariance matrix, pairwise-complete when cells are missing."""
    return _cov(x, not np.isnan(x).any())[0]


def to_correlation(c: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(c))
    with np.errstate(invalid="ignore", divide="ignore"):
        return c / np.outer(d, d)


def corr_with(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of every column of ``x`` with the vector ``y``, pairwise-complete.

    NaN where fewer than three rows have both values or either side is constant.
    """
    mask = ~(np.isnan(x) | np.isnan(y)[:, None])
    n = mask.sum(axis=0).astype(float)
    xs = np.where(mask, x, 0.0)
    ys = np.where(mask, y[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xs.sum(axis=0) / n, ys.sum(axis=0) / n
        dx = np.where(mask, xs - mx, 0.0)
        dy = np.where(mask, ys - my, 0.0)
        r = (dx * dy).sum(axis=0) / np.sqrt((dx ** 2).sum(axis=0) * (dy ** 2).sum(axis=0))
    r[n < 3] = np.nan
    return r


def as_criteria(criteria, n_rows: int) -> tuple[np.ndarray, list[str]]:
    """A rows x criteria float array and the criterion names from a Series, DataFrame,
    mapping of name -> values, or None (no criteria)."""
    if criteria is None:
        return np.empty((n_rows, 0)), []
    if isinstance(criteria, pd.Series):
        criteria = criteria.to_frame(name=str(criteria.name or "criterion"))
    if isinstance(criteria, dict):
        criteria = pd.DataFrame(criteria)
    if not isinstance(criteria, pd.DataFrame):
        raise ValueError("criteria must be a pandas DataFrame (one column per criterion), a Series "
                         "or a mapping of name to values.")
    if len(criteria) != n_rows:
        raise ValueError(f"criteria have {len(criteria)} rows but the item matrix has {n_rows}; "
                         "give one criterion row per target, in the same order.")
    bad = [c for c in criteria.columns if not pd.api.types.is_numeric_dtype(criteria[c])]
    if bad:
        raise ValueError(f"criterion column(s) {bad} are not numeric.")
    return criteria.to_numpy(dtype=float, na_value=np.nan), [str(c) for c in criteria.columns]
