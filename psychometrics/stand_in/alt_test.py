"""The alternative annotator test (alt-test): may an LLM rater replace one of the human raters?

Calderon, Reichart & Dror (ACL 2025, arXiv 2501.10970). Each human is left out in turn; on
every target both the LLM and the left-out human are scored by how well they align with the
remaining humans; a one-sided paired t-test with the cost-benefit margin epsilon asks whether
the human's advantage is below epsilon; the p-values over humans are corrected by
Benjamini-Yekutieli; the share of humans the LLM "wins" against is the winning rate omega.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from .._base import ResultMixin

Alignment = Literal["accuracy", "neg_rmse"]

# Defaults of the paper's released code (github.com/nitaytech/AltTest, alt_test_example.ipynb,
# function alt_test): epsilon 0.2 (expert annotators; 0.15 skilled, 0.1 crowd workers),
# FDR level q 0.05, an instance needs 2 humans, a human needs 30 instances (the t-test's
# normality; the paper recommends 50-100). The paper recommends at least three humans.
DEFAULT_EPSILON = 0.2
DEFAULT_ALPHA = 0.05
MIN_HUMANS = 3
MIN_HUMANS_PER_TARGET = 2
MIN_TARGETS_PER_HUMAN = 30
EPSILON_GUIDE = "0.2 expert raters, 0.15 skilled raters, 0.1 crowd workers (Calderon et al. 2025)"


@dataclass(frozen=True, slots=True)
class AltTestComparison(ResultMixin):
    """The LLM against one left-out human."""

    human: str
    n: int
    llm_advantage: float      # share of targets where the LLM aligns at least as well (rho_f)
    human_advantage: float    # share where the left-out human aligns at least as well (rho_h)
    pvalue: float
    adjusted_pvalue: float
    llm_wins: bool


@dataclass(frozen=True, slots=True)
class AltTestResult(ResultMixin):
    """Winning rate, average advantage probability and the verdict, or why there is none."""

    winning_rate: float | None
    advantage_probability: float | None
    epsilon: float
    alpha: float
    passes: bool | None
    alignment: str
    n_humans: int
    n_targets: int
    comparisons: tuple[AltTestComparison, ...]
    skipped_humans: tuple[str, ...]
    reason: str
    method: str


def _alignment(pred: np.ndarray, others: np.ndarray, kind: Alignment) -> np.ndarray:
    """Per target: alignment of ``pred`` with the remaining humans (NaN where absent).
    accuracy: share of remaining humans with the same answer; neg_rmse: minus the root mean
    squared difference (the paper's two scoring functions)."""
    present = ~np.isnan(others)
    count = present.sum(axis=1)
    if kind == "accuracy":
        agree = (others == pred[:, None]) & present
        return agree.sum(axis=1) / np.where(count > 0, count, np.nan)
    squared = np.where(present, (others - pred[:, None]) ** 2, 0.0)
    return -np.sqrt(squared.sum(axis=1) / np.where(count > 0, count, np.nan))


def _one_sided_pvalue(diff: np.ndarray, epsilon: float) -> float:
    """The p-value of ``scipy.stats.ttest_1samp(diff, epsilon, alternative="less")`` (the
    released code's test): P(T_{n-1} <= t), t = (mean - epsilon) / (sd / sqrt(n)), computed
    with the t distribution function directly (the same number, without scipy's per-call
    input checks, which dominate on a report with hundreds of tests)."""
    if np.ptp(diff) == 0:  # a constant difference: t is +-infinite, as scipy returns it
        return 0.0 if diff[0] < epsilon else 1.0
    n = len(diff)
    t = (diff.mean() - epsilon) / (diff.std(ddof=1) / np.sqrt(n))
    return float(special.stdtr(n - 1, t))


def alt_test(humans, llm, *, human_names=None, alignment: Alignment = "neg_rmse",
             epsilon: float = DEFAULT_EPSILON, alpha: float = DEFAULT_ALPHA,
             min_humans: int = MIN_HUMANS, min_targets_per_human: int = MIN_TARGETS_PER_HUMAN
             ) -> AltTestResult:
    r"""The alternative annotator test of one LLM rater against a panel of human raters.

    For each human :math:`j` and target :math:`i` rated by :math:`j`, the LLM and at least one
    other human, with :math:`S(x, H_{-j})` the alignment of answer :math:`x` with the other
    humans' answers (``accuracy``: share equal; ``neg_rmse``: minus the RMS difference):
    :math:`W^f_{ij} = 1[S(f_i) \ge S(h_{ij})]`, :math:`W^h_{ij} = 1[S(h_{ij}) \ge S(f_i)]`,
    :math:`d_{ij} = W^h_{ij} - W^f_{ij}`. :math:`H_0^j: E[d_j] \ge \epsilon` against
    :math:`H_1^j: E[d_j] < \epsilon` with a one-sided one-sample t-test; the LLM wins against
    :math:`j` when the Benjamini-Yekutieli adjusted p-value is at most ``alpha``. The winning
    rate :math:`\omega` is the share of humans won against; the LLM passes when
    :math:`\omega \ge 0.5`. The advantage probability :math:`\rho = \mathrm{mean}_j\,
    \mathrm{mean}_i W^f_{ij}` ranks LLM raters.

    Parameters
    ----------
    humans : 2-D array
        Targets x humans, NaN where a human did not rate a target.
    llm : sequence
        One answer per target (NaN where missing).
    human_names : sequence, optional
        Labels of the human columns (default: their positions).
    alignment : {"accuracy", "neg_rmse"}
        "accuracy" for categorical items, "neg_rmse" for numeric ones.
    epsilon : float
        The cost-benefit margin (0.2 expert, 0.15 skilled, 0.1 crowd raters).
    alpha : float
        The false discovery rate controlled over humans.
    min_humans, min_targets_per_human : int
        The paper's minimum sizes: humans tested, and targets each shares with the LLM and
        another human.

    Returns
    -------
    AltTestResult
        Below the paper's minimum sizes (three humans, 30 targets per human) the winning rate
        and verdict are None and ``reason`` says what is missing.

    References
    ----------
    Calderon, N., Reichart, R., & Dror, R. (2025). The alternative annotator test for
    LLM-as-a-judge: how to statistically justify replacing human annotators with LLMs.
    ACL 2025, 16051-16081. arXiv:2501.10970; code: github.com/nitaytech/AltTest.
    Benjamini, Y., & Yekutieli, D. (2001). The control of the false discovery rate in multiple
    testing under dependency. Annals of Statistics, 29(4), 1165-1188.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> truth = rng.normal(size=60)
    >>> humans = truth[:, None] + rng.normal(scale=0.5, size=(60, 3))
    >>> result = alt_test(humans, truth, alignment="neg_rmse")  # a perfect LLM
    >>> result.winning_rate, result.passes
    (1.0, True)
    >>> alt_test(humans[:, :2], truth).reason.startswith("Below the paper's minimum sizes")
    True
    """
    h = np.asarray(humans, dtype=float)
    f = np.asarray(llm, dtype=float).ravel()
    if h.ndim != 2 or h.shape[0] != f.shape[0]:
        raise ValueError("humans must be targets x raters with one LLM answer per target.")
    if alignment not in ("accuracy", "neg_rmse"):
        raise ValueError(f"alignment must be 'accuracy' or 'neg_rmse', got {alignment!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}.")
    names = [str(n) for n in (human_names if human_names is not None else range(h.shape[1]))]
    usable = (~np.isnan(f)) & ((~np.isnan(h)).sum(axis=1) >= MIN_HUMANS_PER_TARGET)
    comparisons, skipped, p_values = [], [], []
    for j, name in enumerate(names):
        rows = usable & ~np.isnan(h[:, j])
        if rows.sum() < min_targets_per_human:
            skipped.append(name)
            continue
        others = np.delete(h[rows], j, axis=1)
        s_llm = _alignment(f[rows], others, alignment)
        s_human = _alignment(h[rows, j], others, alignment)
        w_llm = (s_llm >= s_human).astype(float)
        w_human = (s_human >= s_llm).astype(float)
        p_values.append(_one_sided_pvalue(w_human - w_llm, epsilon))
        comparisons.append((name, int(rows.sum()), float(w_llm.mean()), float(w_human.mean())))
    tested = len(comparisons)
    method = (f"alt-test (Calderon, Reichart & Dror 2025): leave-one-human-out, alignment {alignment}, "
              f"one-sided paired t-test with margin epsilon {epsilon}, Benjamini-Yekutieli over humans "
              f"at {alpha}; passes when the winning rate is at least 0.5")
    base = dict(epsilon=float(epsilon), alpha=float(alpha), alignment=alignment,
                n_targets=int(usable.sum()), skipped_humans=tuple(skipped), method=method)
    if tested < min_humans:
        reason = (f"Below the paper's minimum sizes: {tested} human rater(s) with at least "
                  f"{min_targets_per_human} targets shared with the LLM and another human "
                  f"(of {len(names)}); the alt-test needs at least {min_humans}.")
        return AltTestResult(winning_rate=None, advantage_probability=None, passes=None,
                             n_humans=tested, comparisons=(), reason=reason, **base)
    adjusted = stats.false_discovery_control(np.asarray(p_values), method="by")
    rows = tuple(AltTestComparison(human=name, n=n, llm_advantage=rho_f, human_advantage=rho_h,
                                   pvalue=p, adjusted_pvalue=float(q), llm_wins=bool(q <= alpha))
                 for (name, n, rho_f, rho_h), p, q in zip(comparisons, p_values, adjusted, strict=True))
    omega = sum(c.llm_wins for c in rows) / tested
    return AltTestResult(winning_rate=float(omega),
                         advantage_probability=float(np.mean([c.llm_advantage for c in rows])),
                         passes=bool(omega >= 0.5), n_humans=tested, comparisons=rows, reason="", **base)
