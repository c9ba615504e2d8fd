"""The stand-in analysis of a long table (target, rater, rater_kind, score[, item]), without Django.

Used by ``python -m psychometrics stand-in FILE``: per LLM rater (``rater_kind == "llm"``) and
per item (or the one score), the human ceiling, the alt-test, the prediction-powered mean
(and its correlation with every ``criterion:NAME`` column), and the sentence.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .alt_test import DEFAULT_EPSILON, EPSILON_GUIDE, alt_test
from .human_ceiling import human_ceiling
from .ppi import ppi_mean
from .ppi_pearson import ppi_correlation
from .._base import one_blas_thread
from ._resample import resampling
from .verdict import verdict_sentence


def _attempt(compute):
    try:
        return compute().to_dict()
    except ValueError as error:
        return {"error": str(error)}


def _wide(rows: pd.DataFrame, target: str, rater: str, score: str, index) -> pd.DataFrame:
    if rows.duplicated([target, rater]).any():
        raise ValueError("Some rater scored the same target twice for one item; aggregate duplicates first.")
    return rows.pivot(index=target, columns=rater, values=score).reindex(index)


def stand_in_analysis(df: pd.DataFrame, *, target: str = "target", rater: str = "rater",
                      score: str = "score", kind: str = "rater_kind", item: str | None = None,
                      cluster: str | None = None, probability: str | None = None,
                      level: str = "interval", epsilon: float = DEFAULT_EPSILON, n_boot: int = 1000,
                      seed: int = 0) -> dict:
    """Stand-in verdicts from a long table; see the module docstring.

    ``level`` "nominal" uses the alt-test's accuracy alignment and the ceiling's agreement rate;
    anything else neg_rmse and ICC(A,1). ``cluster`` names a per-target column of clusters
    (cluster bootstrap, cluster-robust PPI); ``probability`` a per-target column of recorded
    inclusion probabilities (inverse-probability weighted PPI).

    Parameters
    ----------
    df : DataFrame
        One row per rating: target, rater, rater kind ("human" or "llm"), numeric score, and
        optionally the item, per-target cluster and inclusion-probability columns and
        ``criterion:NAME`` columns (per-target criteria for the PPI correlation).
    target, rater, score, kind, item, cluster, probability : str
        The column names (``item``, ``cluster``, ``probability`` optional).
    level : str
        "nominal", or any other level of measurement (interval scores).
    epsilon : float
        The alt-test's cost-benefit margin.
    n_boot : int
        Bootstrap resamples for the ceiling and the correlations (shared by all of them).
    seed : int
        Seed of the resampling.

    Returns
    -------
    dict
        ``settings`` and, under ``llm``, per LLM rater and item: ``human_ceiling``,
        ``alt_test``, ``ppi_mean`` and ``ppi_criteria`` (each a result's ``to_dict()``, or
        ``{"error": ...}``), the alt-test's ``winning_rate``, ``advantage_probability``,
        ``epsilon`` and ``passes``, and the ``sentence``.

    References
    ----------
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.
    Calderon, N., Reichart, R., & Dror, R. (2025). The alternative annotator test for
    LLM-as-a-judge: how to statistically justify replacing human annotators with LLMs.
    ACL 2025, arXiv:2501.10970.
    Angelopoulos, A. N., Bates, S., Fannjiang, C., Jordan, M. I., & Zrnic, T. (2023).
    Prediction-powered inference. Science, 382(6671), 669-674.
    Angelopoulos, A. N., Duchi, J. C., & Zrnic, T. (2023). PPI++: efficient prediction-powered
    inference. arXiv:2311.01453.
    Zrnic, T., & Candès, E. J. (2024). Active statistical inference. ICML, arXiv:2403.03208.
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

    Examples
    --------
    Three humans rate 40 of 60 targets with noise; the LLM rates all 60 without noise, 0.3
    too high: it agrees with the humans better than any of them and passes the alt-test.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(3, 1, size=60)
    >>> rows = [(t, f"h{j}", "human", truth[t] + rng.normal(0, 0.5)) for t in range(40) for j in range(3)]
    >>> rows += [(t, "llm-a", "llm", truth[t] + 0.3) for t in range(60)]
    >>> df = pd.DataFrame(rows, columns=["target", "rater", "rater_kind", "score"])
    >>> entry = stand_in_analysis(df, n_boot=100)["llm"]["llm-a"]["score"]
    >>> entry["human_ceiling"]["rank"], entry["passes"], entry["ppi_mean"]["n"], entry["ppi_mean"]["n_total"]
    (1, True, 40, 60)
    >>> entry["sentence"].split("; ")[1]
    'alt-test: passes (ω 0.67, ρ 0.53, ε 0.2)'
    """
    with one_blas_thread():
        return _analysis(df, target=target, rater=rater, score=score, kind=kind, item=item, cluster=cluster,
                         probability=probability, level=level, epsilon=epsilon, n_boot=n_boot, seed=seed)


def _analysis(df, *, target, rater, score, kind, item, cluster, probability, level, epsilon, n_boot, seed):
    for column in (target, rater, score, kind) + tuple(c for c in (item, cluster, probability) if c):
        if column not in df.columns:
            raise ValueError(f"Column {column!r} is not in the file (columns: {list(df.columns)}).")
    if not pd.api.types.is_numeric_dtype(df[score]):
        raise ValueError(f"Scores in column {score!r} must be numeric.")
    kinds = df[kind].astype(str).str.lower()
    bad = sorted(set(kinds) - {"human", "llm"})
    if bad:
        raise ValueError(f"Column {kind!r} must say human or llm, found {bad}.")
    index = pd.Index(sorted(df[target].unique()), name=target)
    per_target = df.drop_duplicates(target).set_index(target).reindex(index)
    clusters = per_target[cluster].to_numpy(dtype=object) if cluster else None
    pi = per_target[probability].to_numpy(dtype=float) if probability else None
    criteria = [c for c in df.columns if str(c).startswith("criterion:")]
    resample = resampling(len(index), n_boot=n_boot, seed=seed, clusters=clusters)
    plain = resampling(len(index), n_boot=n_boot, seed=seed) if clusters is not None else resample
    items = sorted(df[item].unique()) if item else [score]
    llms = sorted(df.loc[kinds == "llm", rater].unique())
    out = {"settings": {"epsilon": epsilon, "epsilon_guide": EPSILON_GUIDE, "level": level,
                        "n_boot": n_boot, "clustered": clusters is not None,
                        "assumption": "recorded inclusion probabilities" if pi is not None else
                        "the human-rated targets are a random sample"},
           "llm": {}}
    for llm in llms:
        per_item = {}
        for code in items:
            rows = df if not item else df[df[item] == code]
            humans = _wide(rows[kinds.loc[rows.index] == "human"], target, rater, score, index)
            f = _wide(rows[rows[rater] == llm], target, rater, score, index)
            f = f[llm].to_numpy(dtype=float) if llm in f.columns else np.full(len(index), np.nan)
            h = humans.to_numpy(dtype=float)
            names = [str(c) for c in humans.columns]
            entry = {"human_ceiling": _attempt(lambda: human_ceiling(h, f, human_names=names, level=level,
                                                                     resample=resample)),
                     "alt_test": _attempt(lambda: alt_test(h, f, human_names=names, epsilon=epsilon,
                                                           alignment="accuracy" if level == "nominal" else "neg_rmse"))}
            for name in ("winning_rate", "advantage_probability", "epsilon", "passes"):
                entry[name] = entry["alt_test"].get(name, epsilon if name == "epsilon" else None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                y = np.nanmean(h, axis=1) if h.shape[1] else np.full(len(f), np.nan)
            entry["ppi_mean"] = _attempt(lambda: ppi_mean(y, f, clusters=clusters, inclusion_probability=pi))
            entry["ppi_criteria"] = {c.split(":", 1)[1]: _attempt(lambda: ppi_correlation(
                y, f, per_target[c].to_numpy(dtype=float), clusters=clusters, inclusion_probability=pi,
                resample=resample if clusters is not None else plain)) for c in criteria}
            entry["sentence"] = verdict_sentence(str(llm), str(code), ceiling=entry["human_ceiling"],
                                                 alt=entry["alt_test"], ppi=entry["ppi_mean"])
            per_item[str(code)] = entry
        out["llm"][str(llm)] = per_item
    if not llms:
        raise ValueError(f"No rater has {kind} 'llm': nothing to compare with the humans.")
    return out
