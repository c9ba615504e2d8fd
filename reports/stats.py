"""Small adapters from report frames to psychometrics calls; every figure keeps n, CI, method.

A statistic that cannot be computed is recorded as the library's ValueError sentence
(``{"error": ...}``), never as a number.
"""

import math
from collections.abc import Callable
from itertools import combinations

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


def jsonable(value):
    """Plain JSON types throughout: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
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


def design(matrix: pd.DataFrame) -> dict:
    """n targets and raters behind a targets x raters matrix and whether it is fully crossed."""
    rated = matrix.notna()
    complete = bool(rated.all().all())
    return {"n_targets": int(rated.any(axis=1).sum()), "n_raters": int(rated.any(axis=0).sum()),
            "n_ratings": int(rated.to_numpy().sum()),
            "design": "fully crossed (every rater rated every target)" if complete
            else "not fully crossed (some raters did not rate some targets; "
                 "ICC from Henderson III variance components)"}


def icc_forms(matrix: pd.DataFrame) -> dict:
    """All six ICC forms, keyed by name, with the design stated."""
    result = attempt(lambda: pm.icc_matrix(matrix.to_numpy(dtype=float)))
    if "error" in result:
        return {**design(matrix), **result}
    forms = {form["name"]: form for form in result["forms"]}
    return {**design(matrix), "forms": forms, "method": result["method"]}


def pairwise_kappa(matrix: pd.DataFrame, *, categories, weights: str) -> list[dict]:
    """Weighted Cohen's kappa for every pair of raters (columns)."""
    pairs = []
    for a, b in combinations(matrix.columns, 2):
        entry = attempt(lambda: pm.cohen_kappa(matrix[a], matrix[b], categories=categories,
                                               weights=weights))
        pairs.append({"rater_a": str(a), "rater_b": str(b), **entry})
    return pairs


def agreement(x: pd.Series, y: pd.Series, *, n_boot: int = 0) -> dict:
    """Agreement of measurement x (e.g. an LLM) with y (e.g. the mean human) on shared targets:
    ICC(A,1) (ICC2), Pearson, Spearman, MAE and Bland-Altman (bias = mean of x - y)."""
    both = pd.concat({"x": x, "y": y}, axis=1).dropna()
    pair = both.rename(columns={"x": "measure", "y": "reference"})
    icc = attempt(lambda: pm.icc_matrix(pair.to_numpy(dtype=float)))
    return {
        "n": int(len(both)),
        "ICC2": icc["forms"][1] if "forms" in icc else icc,
        "pearson_r": attempt(lambda: pm.pearson_r(both["x"], both["y"])),
        "spearman_rho": attempt(lambda: pm.spearman_rho(both["x"], both["y"])),
        "mean_absolute_error": attempt(lambda: pm.mean_absolute_error(both["x"], both["y"])),
        "bland_altman": attempt(lambda: pm.bland_altman(both["x"], both["y"])),
    }


def pair_icc2(x: pd.Series, y: pd.Series) -> dict:
    """ICC(A,1) of two raters on the targets both rated."""
    both = pd.concat({"a": x, "b": y}, axis=1).dropna()
    result = attempt(lambda: pm.icc_matrix(both.to_numpy(dtype=float)))
    return result["forms"][1] if "forms" in result else result


def correlation_with_ci(x: pd.Series, y: pd.Series, *, clusters=None, n_boot: int,
                        seed: int) -> dict:
    """Pearson's r with its Fisher interval and, when clusters are given, a cluster-bootstrap
    (percentile) interval that resamples whole clusters."""
    both = pd.concat({"x": x, "y": y, "c": clusters if clusters is not None else
                      pd.Series(index=x.index, dtype=object)}, axis=1).dropna(subset=["x", "y"])
    out = {"pearson_r": attempt(lambda: pm.pearson_r(both["x"], both["y"]))}
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
