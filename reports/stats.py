"""Small adapters from report frames to psychometrics calls; every figure keeps n, CI, method.

A statistic that cannot be computed is recorded as the library's ValueError sentence
(``{"error": ...}``), never as a number.
"""

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

import psychometrics as pm


def attempt(compute: Callable[[], object]) -> dict:
    """``compute().to_dict()``, or ``{"error": sentence}`` when the statistic is undefined here."""
    try:
        result = compute()
    except np.linalg.LinAlgError as error:
        return {"error": f"The matrix this statistic needs cannot be inverted ({error}); "
                         "too few observations or perfectly dependent items."}
    except ValueError as error:
        return {"error": str(error)}
    return result.to_dict() if hasattr(result, "to_dict") else result


_PLAIN = {float, int, str, bool, type(None)}
_INFINITIES = (math.inf, -math.inf)


def _finite_python_numbers(values) -> bool:
    """Whether ``values`` are Python floats, ints and bools, with at least one float, all finite:
    their sum is then a finite Python float (a NaN or infinity makes it non-finite, a string or
    None raises, a numpy scalar makes it a numpy one)."""
    try:
        total = sum(values)
    except (TypeError, OverflowError):  # not numbers; an int too large for a float
        return False
    return type(total) is float and math.isfinite(total)


def jsonable(value):
    """Plain JSON types throughout: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if _finite_python_numbers(value):  # a long list of scores: one pass in C
            return list(value)
        kinds = set(map(type, value))
        if kinds <= _PLAIN:  # a list of Python numbers or strings: one pass, no call per value
            return [v if v == v and v not in _INFINITIES else None for v in value] if float in kinds else list(value)
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def long_from_wide(matrix: pd.DataFrame) -> pd.DataFrame:
    """targets x raters -> long (target, rater, score), missing cells dropped."""
    long = matrix.rename_axis(index="target", columns="rater").stack(future_stack=True)
    return long.rename("score").reset_index().dropna(subset=["score"])


def clip_interval(figure: dict, low: float, high: float) -> dict:
    """The figure with its interval limited to [low, high] (the parameter's range), the
    clipping named in its method; a point estimate outside the range is left as computed and
    flagged with ``out_of_range``."""
    if "error" in figure or figure.get("estimate") is None:
        return figure
    out = dict(figure)
    clipped = []
    for key, words in (("ci_low", "lower"), ("ci_high", "upper")):
        value = out.get(key)
        if value is None:
            continue
        inside = min(max(value, low), high)  # a limit beyond either end goes to that end
        if inside != value:
            out[key] = inside
            clipped.append(f"{words} limit {value:.3f} set to {inside:g}")
    if clipped:
        out["method"] = (f"{out.get('method', '')}; interval clipped to the range [{low:g}, {high:g}] "
                         f"({', '.join(clipped)})")
    if not low <= out["estimate"] <= high:
        out["out_of_range"] = f"{out['estimate']:.3f} lies outside the possible range [{low:g}, {high:g}]."
    return out


NEGATIVE_ICC = ("A negative estimate: the between-target variance is estimated below zero (targets differ "
                "less than ratings of the same target do); the ICC is a variance ratio in [0, 1], so read it "
                "as no reliability.")


def icc_bounds(form: dict) -> dict:
    """An ICC form with its interval limited to [0, 1], the range of the variance ratio it
    estimates (the clipping named in its method), and a negative estimate explained."""
    out = clip_interval(form, 0.0, 1.0)
    if out.get("estimate") is not None and out["estimate"] < 0:
        out["out_of_range"] = NEGATIVE_ICC
    return out


def agreement(x: pd.Series, y: pd.Series, *, n_boot: int = 0) -> dict:
    """Agreement of measurement x (e.g. an LLM) with y (e.g. the mean human) on shared targets:
    ICC(A,1) (ICC2), Pearson, Spearman, MAE and Bland-Altman (bias = mean of x - y)."""
    both = pd.concat({"x": x, "y": y}, axis=1).dropna()
    pair = both.rename(columns={"x": "measure", "y": "reference"})
    icc = attempt(lambda: pm.icc_matrix(pair.to_numpy(dtype=float)))
    return {
        "n": int(len(both)),
        "ICC2": icc_bounds(icc["forms"][1]) if "forms" in icc else icc,
        "pearson_r": attempt(lambda: pm.pearson_r(both["x"], both["y"])),
        "spearman_rho": attempt(lambda: pm.spearman_rho(both["x"], both["y"])),
        "mean_absolute_error": attempt(lambda: pm.mean_absolute_error(both["x"], both["y"])),
        "bland_altman": attempt(lambda: pm.bland_altman(both["x"], both["y"])),
    }


def pair_icc2(x: pd.Series, y: pd.Series) -> dict:
    """ICC(A,1) of two raters on the targets both rated."""
    both = pd.concat({"a": x, "b": y}, axis=1).dropna()
    result = attempt(lambda: pm.icc_matrix(both.to_numpy(dtype=float)))
    return icc_bounds(result["forms"][1]) if "forms" in result else result


def complete_pairs(x: pd.Series, y: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The (x, y) pairs with both values, as arrays: ``pd.concat([x, y], axis=1).dropna()``'s
    columns, for two float Series on the same index object (``y = y.reindex(x.index)``), whose
    alignment then compares no target names; None for any other pair of Series."""
    if not (y.index.is_(x.index) and x.dtype == np.float64 and y.dtype == np.float64):
        return None
    xv, yv = x.to_numpy(), y.to_numpy()
    keep = ~(np.isnan(xv) | np.isnan(yv))
    return (xv, yv) if keep.all() else (xv[keep], yv[keep])


def correlation_with_ci(x: pd.Series, y: pd.Series, *, clusters=None, n_boot: int,
                        seed: int) -> dict:
    """Pearson's r with its Fisher interval and, when clusters are given, a cluster-bootstrap
    (percentile) interval that resamples whole clusters."""
    pairs = complete_pairs(x, y) if clusters is None else None
    if pairs is not None:
        return {"pearson_r": attempt(lambda: pm.pearson_r(*pairs))}
    both = pd.concat({"x": x, "y": y, "c": clusters if clusters is not None else
                      pd.Series(index=x.index, dtype=object)}, axis=1).dropna(subset=["x", "y"])
    # arrays, not Series: numpy's probe of a Series for its array interface is a lookup in its
    # index (a hash table of every target name built per Series)
    out = {"pearson_r": attempt(lambda: pm.pearson_r(both["x"].to_numpy(), both["y"].to_numpy()))}
    if clusters is not None:
        if both["c"].isna().any():
            out["cluster_bootstrap"] = {"error": "Some targets have no value for the cluster "
                                                 "field, so they cannot be resampled by cluster."}
        else:
            values = both[["x", "y"]].to_numpy(dtype=float)
            out["cluster_bootstrap"] = attempt(lambda: pm.bootstrap_ci(
                values, lambda v: float(np.corrcoef(v[:, 0], v[:, 1])[0, 1]), n_boot=n_boot,
                method="percentile", seed=seed, clusters=both["c"].astype(str).to_numpy()))
            out["n_clusters"] = int(both["c"].nunique())
    return out
