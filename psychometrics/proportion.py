"""A proportion with its Wilson score interval (share of agreeing pairs, of aligned outputs)."""
from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import binomtest

from ._base import ResultMixin, check_conf


@dataclass(frozen=True, slots=True)
class ProportionResult(ResultMixin):
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    successes: int
    method: str = "Wilson (1927) score interval"


def proportion_ci(successes: int, n: int, *, confidence: float = 0.95) -> ProportionResult:
    r"""The proportion ``successes / n`` with its Wilson score interval.

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} +
              \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}

    Unlike the Wald interval it stays inside [0, 1] and keeps close to nominal coverage for
    small n and proportions near 0 or 1 (Newcombe, 1998, method 3).

    Parameters
    ----------
    successes : int
        Count of successes (0 to n).
    n : int
        Count of trials (at least one).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    ProportionResult
        ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``successes``, ``method``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA, 22(158), 209-212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Statistics in Medicine, 17(8), 857-872.

    Examples
    --------
    >>> r = proportion_ci(81, 263)  # Newcombe (1998), Table II: 0.2553 to 0.3662
    >>> round(r.ci_low, 4), round(r.ci_high, 4)
    (0.2553, 0.3662)
    """
    check_conf(confidence)
    if isinstance(successes, bool) or isinstance(n, bool) or int(successes) != successes or int(n) != n:
        raise ValueError(f"A proportion needs whole counts, got {successes!r} of {n!r}.")
    successes, n = int(successes), int(n)
    if n < 1:
        raise ValueError("A proportion needs at least one observation.")
    if not 0 <= successes <= n:
        raise ValueError(f"The successes ({successes}) must lie between 0 and n ({n}).")
    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return ProportionResult(successes / n, float(interval.low), float(interval.high), n, successes)
