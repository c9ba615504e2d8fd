"""Shared result base class and input validation helpers.

Every result is a frozen dataclass with ``estimate``, ``ci_low``, ``ci_high``, ``n`` and
``method``; ``to_dict()`` gives a JSON-ready dict (NaN and infinities become ``None``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.reset_index().to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


class ResultMixin:
    """Serialisation for the frozen result dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-serialisable dict (non-finite floats become None)."""
        return _jsonable(self)


def as_float_matrix(data: Any, *, what: str = "data") -> tuple[np.ndarray, list[str]]:
    """Return a 2-D float array (NaN for missing) and column names; reject non-numeric input."""
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        bad = [c for c in data.columns if not (pd.api.types.is_numeric_dtype(data[c])
                                              or data[c].isna().all())]
        if bad:
            raise ValueError(f"{what} must be numeric, but column(s) {bad} are not.")
        x = data.to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            x = np.asarray(data, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} must be numeric: {exc}.") from None
        if x.ndim != 2:
            raise ValueError(f"{what} must be two-dimensional, got {x.ndim} dimension(s).")
        names = [str(i) for i in range(x.shape[1])]
    if x.ndim != 2:
        raise ValueError(f"{what} must be two-dimensional.")
    if np.isinf(x).any():
        raise ValueError(f"{what} contains infinite values.")
    return x, names


_BLAS_CONTROLLER = None


def one_blas_thread():
    """A context in which BLAS runs on one thread (``threadpoolctl``, installed with
    scikit-learn; without it, no change). The products here are tall and thin (100,000 x 10
    items): one thread computes them in milliseconds, and OpenBLAS's threads add start-up
    and, on a busy machine, spin waiting for a core (10x the wall time measured on a loaded
    2-core machine). The controller is built once: building it costs milliseconds."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            return contextlib.nullcontext()
        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def factorize_sorted(values, *, sort_objects: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..m-1 (int64) and the distinct values, sorted: ``pd.factorize(values,
    sort=True)`` without its hash table for numbers. A bincount maps integers of a small range
    and a sort any other number: at 500,000 ratings the hash table was most of a pivot's cost.
    Other values go to pandas (unsorted when ``sort_objects`` is False)."""
    v = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values
    if isinstance(v, np.ndarray) and v.dtype.kind in "iu" and v.size:
        lo, hi = int(v.min()), int(v.max())
        if hi - lo <= 4 * v.size + 1024:
            shifted = (v - lo).astype(np.intp, copy=False)
            present = np.bincount(shifted, minlength=hi - lo + 1) > 0
            rank = np.cumsum(present, dtype=np.int64) - 1
            return rank[shifted], (np.nonzero(present)[0] + lo).astype(v.dtype)
    if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.size:
        # Scores are mostly whole numbers stored as floats: the integer path, when exact.
        with np.errstate(invalid="ignore"):
            whole = v.astype(np.int64)
        if (whole == v).all():
            codes, uniq = factorize_sorted(whole)
            return codes, uniq.astype(v.dtype)
    if isinstance(v, np.ndarray) and v.dtype.kind in "iufb":
        uniq, codes = np.unique(v, return_inverse=True)
        return codes.ravel().astype(np.int64, copy=False), uniq
    codes, uniq = pd.factorize(values, sort=sort_objects)
    return codes.astype(np.int64, copy=False), np.asarray(uniq)


def long_to_matrix(data: pd.DataFrame, *, target: str, rater: str, score: str,
                   numeric: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pivot a long (target, rater, score) frame to a targets x raters array (NaN = missing).

    Returns the matrix, the target labels and the rater labels. Duplicate (target, rater)
    pairs are an error: a rater rates a target once.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError("Long-format input must be a pandas DataFrame.")
    for col in (target, rater, score):
        if col not in data.columns:
            raise ValueError(f"Column {col!r} is not in the data (columns: {list(data.columns)}).")
    # Column arrays, not a DataFrame selection and dropna: those copy every column and
    # cost more than the pivot itself at 500,000 ratings.
    column = data[score]
    values = column.to_numpy()
    rated = ~pd.isna(values)
    # Numeric ids as arrays; others stay Series so a categorical keeps its categories' order.
    targets, raters = (data[c].to_numpy() if isinstance(data[c].dtype, np.dtype)
                       and data[c].dtype.kind in "iufb" else data[c] for c in (target, rater))
    if not rated.all():
        values, targets, raters = values[rated], targets[rated], raters[rated]
    if pd.isna(targets).any() or pd.isna(raters).any():
        raise ValueError("Target and rater identifiers must not be missing.")
    if numeric and not pd.api.types.is_numeric_dtype(column):
        raise ValueError(f"Scores in column {score!r} must be numeric.")
    t_codes, t_labels = factorize_sorted(targets)
    r_codes, r_labels = factorize_sorted(raters)
    n, k = len(t_labels), len(r_labels)
    flat = t_codes * max(k, 1) + r_codes
    if numeric:
        x = np.full(n * k, np.nan)
        x[flat] = np.asarray(values, dtype=float)
        # Every value is a number, so a cell written twice leaves fewer filled cells.
        duplicated = np.count_nonzero(~np.isnan(x)) < len(flat)
    else:
        duplicated = bool(len(flat)) and np.bincount(flat, minlength=n * k).max() > 1
        x = np.full(n * k, None, dtype=object)
        x[flat] = values
    if duplicated:
        raise ValueError("Some rater rated the same target more than once; "
                         "aggregate duplicates before computing agreement.")
    return x.reshape(n, k), np.asarray(t_labels), np.asarray(r_labels)


def check_level(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}.")


def check_conf(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}.")


def truncate(low: float, high: float, lowest: float, highest: float) -> tuple[float, float, str]:
    """An interval limited to a parameter's range, and the words to add to a result's method
    ("" when nothing was cut): a normal-theory interval can cross a bound the parameter cannot."""
    cut = []
    for name, value in (("lower", low), ("upper", high)):
        inside = min(max(value, lowest), highest)  # a limit beyond either end goes to that end
        if inside != value:
            cut.append(f"{name} limit {'raised' if inside > value else 'lowered'} to {inside:g}")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    words = (f"; interval truncated to the range [{lowest:g}, {highest:g}] ({', '.join(cut)})"
             if cut else "")
    return float(low), float(high), words
