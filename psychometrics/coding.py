"""Agreement on behavioural codes: coders assigning one nominal code per segment (utterance).

The overall coefficients are the library's own (`fleiss_kappa`, `krippendorff_alpha`,
`percent_agreement`, `cohen_kappa`); this module adds what coding studies report beside them:
per-code kappa (each code against the rest), the confusion matrix of two coders (or the pooled
coincidences of every pair), and one call that computes them all for a code set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from ._base import ResultMixin
from .kappa import KappaResult, cohen_kappa
from .krippendorff import KrippendorffResult, krippendorff_alpha_matrix
from .multirater import AgreementResult, fleiss_kappa, percent_agreement


@dataclass(frozen=True, slots=True)
class ConfusionResult(ResultMixin):
    """Counts of (code of one coder, code of the other) over segments both coded.

    With two coders ``counts[i][j]`` is the number of segments coder ``raters[0]`` gave
    ``categories[i]`` and coder ``raters[1]`` gave ``categories[j]``. With more coders it is the
    pooled, symmetrised table over every pair of coders (each pair's table plus its transpose,
    halved), so its diagonal still counts agreements. ``estimate`` is the proportion of pairs
    on the diagonal; ``n`` the segments coded by at least two coders."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    n_pairs: int
    categories: tuple
    raters: tuple
    counts: tuple[tuple[float, ...], ...]
    method: str


@dataclass(frozen=True, slots=True)
class CodeAgreementResult(ResultMixin):
    """Every agreement figure of one code set; a figure that is undefined for these codes (one
    code used by everyone, one coder) is None and its reason is in ``errors``."""

    n: int  # segments coded by at least one coder
    n_coders: int
    categories: tuple
    fleiss_kappa: AgreementResult | None
    krippendorff_alpha: KrippendorffResult | None
    percent_agreement: AgreementResult | None
    cohen_kappa: KappaResult | None  # two coders only
    per_code_kappa: dict = field(default_factory=dict)  # code -> AgreementResult (Fleiss, code vs rest)
    confusion: ConfusionResult | None = None
    errors: dict = field(default_factory=dict)
    method: str = ""


def _checked(data: pd.DataFrame, target: str, rater: str, score: str, categories) -> tuple[pd.DataFrame, list]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError("Long-format input must be a pandas DataFrame.")
    for col in (target, rater, score):
        if col not in data.columns:
            raise ValueError(f"Column {col!r} is not in the data (columns: {list(data.columns)}).")
    data = data[[target, rater, score]].dropna()
    cats = list(categories) if categories is not None else sorted(pd.unique(data[score]), key=str)
    unknown = set(pd.unique(data[score])) - set(cats)
    if unknown:
        raise ValueError(f"Codes {sorted(unknown, key=str)} are not among the categories.")
    if data.duplicated([target, rater]).any():
        raise ValueError("Some coder coded the same segment more than once.")
    return data, cats


def confusion_matrix(data: pd.DataFrame, *, target: str = "target", rater: str = "rater", score: str = "score",
                     categories: Sequence | None = None) -> ConfusionResult:
    r"""The confusion matrix of two coders, or the pooled pairwise coincidences of many.

    For two coders a and b, :math:`C_{ij} = \#\{u: a_u = c_i, b_u = c_j\}` over segments both
    coded. For m > 2 coders, :math:`C = \frac12 \sum_{a<b} (C^{ab} + C^{ab\top})`, summed over
    each pair's shared segments. ``estimate`` is :math:`\mathrm{tr}\,C / \sum C`, the share of
    agreeing pairs (the pairwise percent agreement weighted by pairs rather than by segment).

    Parameters
    ----------
    data : DataFrame
        Long format: segment, coder and code columns.
    target, rater, score : str
        Column names.
    categories : sequence, optional
        The codes, in the order of the rows and columns (default: sorted codes present).

    Returns
    -------
    ConfusionResult
        ``estimate`` (share of agreeing pairs), ``n`` (segments coded at least twice),
        ``n_pairs``, ``categories``, ``raters``, ``counts`` (rows: first coder), ``method``.
        Segments coded once are in no pair (pairwise treatment).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
    Communication Departmental Papers 43 (the coincidence matrix of many coders).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"target": [1, 2, 3, 1, 2, 3], "rater": list("aaabbb"),
    ...                   "score": ["x", "y", "y", "x", "y", "x"]})
    >>> confusion_matrix(d, categories=["x", "y"]).counts
    ((1.0, 0.0), (1.0, 1.0))
    """
    data, cats = _checked(data, target, rater, score, categories)
    wide = data.pivot(index=target, columns=rater, values=score)
    coders = list(wide.columns)
    if len(coders) < 2:
        raise ValueError(f"A confusion matrix needs at least two coders, got {len(coders)}.")
    index = {c: i for i, c in enumerate(cats)}
    q = len(cats)
    total = np.zeros((q, q))
    for a, b in combinations(coders, 2):
        both = wide[[a, b]].dropna()
        table = np.zeros((q, q))
        np.add.at(table, (both[a].map(index).to_numpy(int), both[b].map(index).to_numpy(int)), 1)
        total += table if len(coders) == 2 else (table + table.T) / 2
    n_pairs = int(round(total.sum()))
    if n_pairs == 0:
        raise ValueError("No segment was coded by two coders.")
    n = int((wide.notna().sum(axis=1) >= 2).sum())
    pooled = "" if len(coders) == 2 else f"pooled over {len(coders) * (len(coders) - 1) // 2} coder pairs, symmetrised"
    return ConfusionResult(
        estimate=float(np.trace(total) / total.sum()), ci_low=float("nan"), ci_high=float("nan"), n=n,
        n_pairs=n_pairs, categories=tuple(cats), raters=tuple(str(c) for c in coders[:2]) if len(coders) == 2 else (),
        counts=tuple(tuple(float(v) for v in row) for row in total),
        method=("confusion matrix of two coders (rows: first coder)" if len(coders) == 2 else pooled)
        + "; segments coded by both coders of a pair only")


def per_code_kappa(data: pd.DataFrame, *, target: str = "target", rater: str = "rater", score: str = "score",
                   categories: Sequence | None = None, confidence: float = 0.95) -> dict:
    r"""Kappa of each code against the rest: Fleiss' kappa on the codes recoded to
    "this code" / "another code", for any number of coders (Fleiss 1971, sec. 3, the kappa of
    one category). A code nobody used, or that every coder used for every segment, has no
    kappa: its entry is the ``ValueError``'s sentence. With every segment coded by every coder
    these are ``irr::kappam.fleiss(ratings, detail = TRUE)``'s per-category kappas (see
    `fleiss_kappa_test` for their z tests); coders need not code every segment (as
    `fleiss_kappa`).

    Parameters
    ----------
    data : DataFrame
        Long format: segment, coder and code columns; rows with a missing value are dropped.
    target, rater, score : str
        Column names.
    categories : sequence, optional
        The codes (default: the codes present).
    confidence : float
        Coverage of each kappa's interval.

    Returns
    -------
    dict
        code -> `AgreementResult` (or a str: why it is undefined).

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin, 76(5), 378-382.

    Examples
    --------
    Fleiss (1971) diagnoses: ``irr::kappam.fleiss(diagnoses, detail = TRUE)`` prints 0.245,
    0.245, 0.520, 0.471 and 0.566:

    >>> from psychometrics.kappa_multi import _doctest_diagnoses
    >>> kappas = per_code_kappa(_doctest_diagnoses())
    >>> [round(k.estimate, 3) for k in kappas.values()]
    [0.245, 0.245, 0.52, 0.471, 0.566]
    """
    data, cats = _checked(data, target, rater, score, categories)
    out = {}
    for code in cats:
        binary = data.assign(**{score: (data[score] == code).astype(int)})
        try:
            result = fleiss_kappa(binary, target=target, rater=rater, score=score, categories=[0, 1],
                                  confidence=confidence)
            out[code] = result
        except ValueError as exc:
            out[code] = str(exc)
    return out


def _try(errors: dict, name: str, compute):
    try:
        return compute()
    except ValueError as exc:
        errors[name] = str(exc)
        return None


def code_agreement(data: pd.DataFrame, *, target: str = "target", rater: str = "rater", score: str = "score",
                   categories: Sequence | None = None, n_boot: int = 1000, confidence: float = 0.95,
                   seed: int | None = 0) -> CodeAgreementResult:
    r"""Agreement of coders on one code set over segments: Fleiss' kappa, Krippendorff's alpha
    (nominal; percentile bootstrap interval over segments with ``n_boot`` resamples), pairwise
    percent agreement, Cohen's kappa when there are exactly two coders, per-code kappa and the
    confusion matrix. Coders need not code every segment (segments coded once count in the
    chance margins of Fleiss' kappa but in no agreement, as `fleiss_kappa` says).

    Parameters
    ----------
    data : DataFrame
        Long format: segment (``target``), coder (``rater``) and code (``score``) columns; only
        segments the code set applies to (a segment it does not apply to is not missing).
    target, rater, score : str
        Column names.
    categories : sequence, optional
        The set's codes (default: those present); chance agreement uses the observed margins.
    n_boot : int
        Bootstrap resamples for Krippendorff's alpha interval (0: none).
    confidence : float
        Coverage of the intervals.
    seed : int, optional
        Seed of the bootstrap.

    Returns
    -------
    CodeAgreementResult
        The statistics above (None where undefined, with the reason in ``errors``), ``n``
        segments, ``n_coders``, ``categories``, ``method``.

    References
    ----------
    Fleiss, J. L. (1971). Psychological Bulletin, 76(5), 378-382.
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
    Gwet, K. L. (2008). British Journal of Mathematical and Statistical Psychology, 61, 29-48.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"target": [1, 2, 3, 4] * 2, "rater": ["a"] * 4 + ["b"] * 4,
    ...                   "score": ["x", "y", "y", "x", "x", "y", "y", "y"]})
    >>> res = code_agreement(d, n_boot=0)
    >>> round(res.cohen_kappa.estimate, 2), res.percent_agreement.estimate
    (0.5, 0.75)
    """
    data, cats = _checked(data, target, rater, score, categories)
    coders = sorted(pd.unique(data[rater]), key=str)
    errors: dict[str, str] = {}
    index = {c: i for i, c in enumerate(cats)}
    kw = {"target": target, "rater": rater, "score": score}
    fleiss = _try(errors, "fleiss_kappa", lambda: fleiss_kappa(data, **kw, categories=cats, confidence=confidence))
    matrix = data.assign(**{score: data[score].map(index)}).pivot(index=target, columns=rater, values=score)
    alpha = _try(errors, "krippendorff_alpha", lambda: krippendorff_alpha_matrix(
        matrix.to_numpy(float), level="nominal", n_boot=n_boot, confidence=confidence, seed=seed))
    pa = _try(errors, "percent_agreement", lambda: percent_agreement(data, **kw, confidence=confidence))
    cohen = None
    if len(coders) == 2:
        cohen = _try(errors, "cohen_kappa", lambda: cohen_kappa(
            matrix[coders[0]].tolist(), matrix[coders[1]].tolist(), categories=list(range(len(cats))),
            confidence=confidence))
    else:
        errors["cohen_kappa"] = f"Cohen's kappa is for two coders; there are {len(coders)}."
    confusion = _try(errors, "confusion", lambda: confusion_matrix(data, **kw, categories=cats))
    per_code = per_code_kappa(data, **kw, categories=cats, confidence=confidence) if len(coders) >= 2 else {}
    return CodeAgreementResult(
        n=int(data[target].nunique()), n_coders=len(coders), categories=tuple(cats), fleiss_kappa=fleiss,
        krippendorff_alpha=alpha, percent_agreement=pa, cohen_kappa=cohen, per_code_kappa=per_code,
        confusion=confusion, errors=errors,
        method="nominal codes over the segments a code set applies to; Fleiss (1971) with Gwet (2008) variance, "
               "Krippendorff (2011) nominal alpha, pairwise percent agreement, Cohen (1960) for two coders")
