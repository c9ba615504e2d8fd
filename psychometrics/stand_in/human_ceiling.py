"""The human ceiling: does an LLM rater agree with the humans as well as a human does?

For each human j, on the targets j rated (with the LLM and at least one other human): the
LLM's agreement with the other humans' consensus next to j's own agreement with it, and the
difference with a (cluster) bootstrap interval over targets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._base import ResultMixin, check_conf
from ._resample import Resampling, percentile, resampling

Level = Literal["nominal", "ordinal", "interval", "ratio"]
MIN_TARGETS = 5


@dataclass(frozen=True, slots=True)
class CeilingComparison(ResultMixin):
    """The LLM and one human, each against the consensus of the other humans."""

    human: str
    n: int
    llm_agreement: float
    human_agreement: float
    estimate: float  # llm_agreement - human_agreement
    ci_low: float
    ci_high: float


@dataclass(frozen=True, slots=True)
class HumanCeilingResult(ResultMixin):
    """Where the LLM falls among the humans; ``rank`` 1 is the best agreement."""

    statistic: str
    llm_agreement: float
    human_agreements: dict
    rank: int
    n_ranked: int
    below_every_human: bool
    comparisons: tuple[CeilingComparison, ...]
    n_boot: int
    method: str


def icc_a1_from_sums(n, sx, sy, sxx, syy, sxy):
    """ICC(A,1) of two columns from their sums (vectorised over replicates).

    Two-way random effects, absolute agreement, single rater (McGraw & Wong 1996, case 2A),
    k = 2: (MSR - MSE) / (MSR + MSE + 2 (MSC - MSE) / n), the mean squares from the sums.

    Parameters
    ----------
    n : float or ndarray
        Number of targets (per replicate: the sum of the resampling counts).
    sx, sy : float or ndarray
        Sums of the two columns.
    sxx, syy, sxy : float or ndarray
        Sums of their squares and of their products.

    Returns
    -------
    float or ndarray
        ICC(A,1), broadcast over the inputs; NaN where the mean squares are undefined.

    References
    ----------
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428.

    Examples
    --------
    y = x + 1 on x = 1..5: MSR = 5, MSC = 2.5, MSE = 0, so ICC(A,1) = 5 / (5 + 2 * 2.5 / 5) = 5/6.

    >>> import numpy as np
    >>> x = np.arange(1.0, 6.0)
    >>> y = x + 1
    >>> icc = icc_a1_from_sums(5, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum())
    >>> round(float(icc), 4)
    0.8333
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        grand = (sx + sy) / (2 * n)
        sst = sxx + syy - 2 * n * grand ** 2
        ssc = n * ((sx / n - grand) ** 2 + (sy / n - grand) ** 2)
        ssr = 2 * ((sxx + syy + 2 * sxy) / 4 - n * grand ** 2)
        mse = (sst - ssc - ssr) / (n - 1)
        msr = ssr / (n - 1)
        return (msr - mse) / (msr + mse + 2 * (ssc - mse) / n)


def _features(f, h, others, nominal):
    """Per-target features whose sums give both agreements."""
    present = ~np.isnan(others)
    count = present.sum(axis=1)
    if nominal:
        acc = lambda x: ((others == x[:, None]) & present).sum(axis=1) / count  # noqa: E731
        return np.column_stack([np.ones_like(f), acc(f), acc(h)])
    m = np.where(present, others, 0.0).sum(axis=1) / count
    return np.column_stack([np.ones_like(f), f, h, m, f * f, h * h, m * m, f * m, h * m])


def _agreements(sums, nominal):
    if nominal:
        return sums[..., 1] / sums[..., 0], sums[..., 2] / sums[..., 0]
    n, f, h, m, ff, hh, mm, fm, hm = (sums[..., k] for k in range(9))
    return icc_a1_from_sums(n, f, m, ff, mm, fm), icc_a1_from_sums(n, h, m, hh, mm, hm)


def human_ceiling(humans, llm, *, human_names=None, level: Level = "interval", n_boot: int = 1000,
                  seed: int | None = 0, clusters=None, confidence: float = 0.95,
                  resample: Resampling | None = None) -> HumanCeilingResult:
    r"""The LLM's agreement with the humans against each human's leave-one-out agreement.

    For human :math:`j`, :math:`\bar h_{-j}` is the consensus of the other humans on each
    target (their mean; for nominal items each answer is compared with every other human's).
    Agreement is ICC(A,1) (McGraw & Wong 1996) of a rater with :math:`\bar h_{-j}`, or for
    nominal items the share of (target, other human) pairs with the same answer. On the
    targets :math:`j`, the LLM and another human rated: :math:`A(\mathrm{LLM}, \bar h_{-j})
    - A(h_j, \bar h_{-j})` with a percentile bootstrap interval resampling targets, or whole
    clusters with ``clusters`` (Davison & Hinkley 1997, sec. 3.8). The LLM's agreement is
    the mean over :math:`j`; its rank places it among the humans' agreements.

    Parameters
    ----------
    humans : 2-D array
        Targets x humans (at least two), NaN where a human did not rate a target.
    llm : sequence
        One LLM score per target (NaN where missing).
    human_names : sequence, optional
        Labels of the human columns (default: their positions).
    level : {"nominal", "ordinal", "interval", "ratio"}
        "nominal" compares answers (agreement rate); any other level uses ICC(A,1).
    n_boot : int
        Bootstrap resamples (ignored with ``resample``).
    seed : int or None
        Seed of the resampling.
    clusters : sequence, optional
        Per-target cluster labels: whole clusters are resampled.
    confidence : float
        Coverage of the percentile intervals.
    resample : Resampling, optional
        Precomputed resampling counts, shared with other statistics of the same targets.

    Returns
    -------
    HumanCeilingResult
        The LLM's mean agreement, each human's agreement, the LLM's rank among them and, per
        human, the difference LLM - human with its interval. Humans sharing fewer than 5
        targets with the LLM and another human are left out; ValueError when none remains.

    References
    ----------
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.
    Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=200)
    >>> humans = truth[:, None] + rng.normal(scale=0.5, size=(200, 3))
    >>> noisy_llm = truth + rng.normal(scale=1.5, size=200)
    >>> res = human_ceiling(humans, noisy_llm, n_boot=200)
    >>> res.rank, res.below_every_human
    (4, True)
    >>> all(c.ci_low <= c.estimate <= c.ci_high and c.estimate < 0 for c in res.comparisons)
    True
    """
    check_conf(confidence)
    h = np.asarray(humans, dtype=float)
    f = np.asarray(llm, dtype=float).ravel()
    if h.ndim != 2 or h.shape[0] != f.shape[0]:
        raise ValueError("humans must be targets x raters with one LLM score per target.")
    if h.shape[1] < 2:
        raise ValueError(f"The human ceiling needs at least two human raters, got {h.shape[1]}.")
    names = [str(n) for n in (human_names if human_names is not None else range(h.shape[1]))]
    nominal = level == "nominal"
    resample = resample or resampling(len(f), n_boot=n_boot, seed=seed, clusters=clusters)
    # Per human, only the targets that human rated: work and memory grow with the ratings, not
    # with targets x raters (1,000 raters with 3 ratings each would copy a 1,000 x 1,000 matrix
    # per rater otherwise). The others' columns are the row with this human's cell blanked.
    rated = ~np.isnan(h)
    n_rated = rated.sum(axis=1)
    comparisons = []
    for j, name in enumerate(names):
        rows = np.flatnonzero(~np.isnan(f) & rated[:, j] & (n_rated > 1))
        if len(rows) < MIN_TARGETS:
            continue
        others = h[rows]
        others[:, j] = np.nan
        feats = _features(f[rows], h[rows, j], others, nominal)
        a_llm, a_human = _agreements(feats.sum(axis=0), nominal)
        rep_llm, rep_human = _agreements(resample.counts[:, rows] @ feats, nominal)
        low, high = percentile(rep_llm - rep_human, confidence)
        comparisons.append(CeilingComparison(human=name, n=len(rows), llm_agreement=float(a_llm),
                                             human_agreement=float(a_human),
                                             estimate=float(a_llm - a_human), ci_low=low, ci_high=high))
    if not comparisons:
        raise ValueError(f"No human shares at least {MIN_TARGETS} targets with the LLM and another human.")
    llm_agreement = float(np.mean([c.llm_agreement for c in comparisons]))
    human_values = {c.human: c.human_agreement for c in comparisons}
    rank = 1 + sum(v > llm_agreement for v in human_values.values())
    statistic = "agreement rate with each other human" if nominal else "ICC(A,1) with the other humans' mean"
    return HumanCeilingResult(
        statistic=statistic, llm_agreement=llm_agreement, human_agreements=human_values, rank=int(rank),
        n_ranked=len(human_values) + 1, below_every_human=bool(rank == len(human_values) + 1),
        comparisons=tuple(comparisons), n_boot=int(resample.counts.shape[0]),
        method=f"leave-one-human-out {statistic}; difference LLM - human with a percentile bootstrap "
               f"over {resample.level} ({resample.counts.shape[0]} resamples)")
