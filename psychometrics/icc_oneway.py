"""One-way intraclass correlation for raters nested in targets, unequal numbers allowed.

When each target is rated by its own set of raters (reviewers of a paper, crowd workers per
story, rater ids that are only slots), there is no rater effect to estimate and the fitting
model is the one-way random-effects model y_ij = mu + t_i + e_ij. The estimator is the
ANOVA one with Searle's n0 for unequal group sizes; it needs only (target, score) pairs, so
its cost grows with the number of ratings, never with the number of raters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ._base import ResultMixin, check_conf, factorize_sorted
from .icc import ICCForm


@dataclass(frozen=True, slots=True)
class ICCOneWayResult(ResultMixin):
    """ICC(1) and ICC(1,k) of a one-way design with the ANOVA they come from."""

    forms: tuple[ICCForm, ...]
    n: int
    n_ratings: int
    n0: float
    k_harmonic: float
    ratings_per_target: dict
    mean_squares: dict
    variance_components: dict
    balanced: bool
    confidence: float
    method: str

    def __getitem__(self, name: str) -> ICCForm:
        for form in self.forms:
            if form.name == name:
                return form
        raise KeyError(f"No one-way ICC form named {name!r}; use ICC1 or ICC1k.")


def icc_oneway(data: pd.DataFrame, *, target: str = "target", score: str = "score",
               confidence: float = 0.95) -> ICCOneWayResult:
    r"""ICC(1) and ICC(1,k) for a one-way design from long ratings (target, score).

    With a targets, N ratings, n_i ratings of target i, the one-way ANOVA gives
    :math:`MSB = \sum_i n_i(\bar y_i - \bar y)^2/(a-1)` and
    :math:`MSW = \sum_{ij}(y_{ij} - \bar y_i)^2/(N-a)`. With unequal n_i, the expected
    MSB is :math:`\sigma^2_e + n_0\sigma^2_t`, :math:`n_0 = (N - \sum_i n_i^2/N)/(a-1)`
    (Searle 1971), so

    .. math:: ICC(1) = \frac{MSB - MSW}{MSB + (n_0 - 1)MSW} = \frac{\hat\sigma^2_t}
              {\hat\sigma^2_t + \hat\sigma^2_e}

    and, with :math:`F = MSB/MSW` on (a-1, N-a) df, :math:`F_L = F/F_{1-\alpha/2}`,
    :math:`F_U = F\,F_{1-\alpha/2}(N-a, a-1)`, the interval
    :math:`(F_L - 1)/(F_L + n_0 - 1)` to :math:`(F_U - 1)/(F_U + n_0 - 1)` (exact for
    balanced data, Searle's approximation otherwise; Donner 1986 reviews its coverage, which
    is close to nominal unless the n_i are very unequal). ICC(1,k) is the reliability of a
    target's mean rating at :math:`k_h`, the harmonic mean of the n_i (the error variance of a
    mean over the study's targets is :math:`\sigma^2_e/k_h`): the Spearman-Brown step-up of
    ICC(1) and of its limits. With complete balanced data both equal Shrout & Fleiss's ICC1
    and ICC1k (``psych::ICC``). Targets rated once count in MSB (they carry between-target
    information) and not in MSW.

    Parameters
    ----------
    data : DataFrame
        One row per rating; missing scores are dropped. Rater ids are not needed (raters are
        interchangeable within a target).
    target, score : str
        Column names.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    ICCOneWayResult
        ``forms`` (ICC1 and ICC1k with F test and interval; index by name), ``n`` targets,
        ``n_ratings``, ``n0``, ``k_harmonic``, ``ratings_per_target``, ``mean_squares``,
        ``variance_components``, ``balanced``, ``method`` (every rating used: targets rated
        once count in MSB only).

    Raises
    ------
    ValueError
        Fewer than two targets, no target rated twice, non-numeric scores, no variance.

    References
    ----------
    Searle, S. R. (1971). Linear Models. Wiley, sec. 9.7 (n0, the approximate interval).
    Donner, A. (1986). A review of inference procedures for the intraclass correlation
    coefficient in the one-way random effects model. International Statistical Review, 54(1),
    67-82.
    Shrout, P. E., & Fleiss, J. L. (1979). Psychological Bulletin, 86(2), 420-428.

    Examples
    --------
    Shrout & Fleiss (1979) Table 1 (balanced): ``psych::ICC(sf)`` ICC1 = 0.1657418.

    >>> import pandas as pd
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> df = pd.DataFrame([(t, s) for t, row in enumerate(sf) for s in row], columns=["target", "score"])
    >>> round(icc_oneway(df)["ICC1"].estimate, 7)
    0.1657418
    """
    check_conf(confidence)
    if not isinstance(data, pd.DataFrame):
        raise ValueError("Long-format input must be a pandas DataFrame.")
    for column in (target, score):
        if column not in data.columns:
            raise ValueError(f"Column {column!r} is not in the data (columns: {list(data.columns)}).")
    rows = data[[target, score]].dropna(subset=[score])
    if not pd.api.types.is_numeric_dtype(rows[score]):
        raise ValueError(f"Scores in column {score!r} must be numeric.")
    if rows[target].isna().any():
        raise ValueError("Target identifiers must not be missing.")
    codes, _ = factorize_sorted(rows[target], sort_objects=False)
    return icc_oneway_arrays(rows[score].to_numpy(dtype=float), codes, confidence=confidence)


def icc_oneway_arrays(values: np.ndarray, groups: np.ndarray, *,
                      confidence: float = 0.95) -> ICCOneWayResult:
    """`icc_oneway` on a vector of scores and a vector of integer target codes (0..a-1).

    Parameters
    ----------
    values : 1-D array
        Finite scores, one per rating.
    groups : 1-D array of int
        The target code (0..a-1) of each rating.
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    ICCOneWayResult
        As `icc_oneway`.

    References
    ----------
    Searle, S. R. (1971). Linear Models. Wiley, sec. 9.7.

    Examples
    --------
    Shrout & Fleiss (1979) Table 1 as codes; ``psych::ICC(sf)`` ICC1 = 0.1657418:

    >>> import numpy as np
    >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...                [6, 2, 4, 7]], dtype=float)
    >>> res = icc_oneway_arrays(sf.ravel(), np.repeat(np.arange(6), 4))
    >>> round(res["ICC1"].estimate, 7)
    0.1657418
    """
    check_conf(confidence)
    y = np.asarray(values, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    if np.isinf(y).any() or np.isnan(y).any():
        raise ValueError("Scores must be finite numbers.")
    counts = np.bincount(g).astype(float)
    keep = counts > 0
    a, big_n = int(keep.sum()), float(len(y))
    if a < 2:
        raise ValueError(f"ICC needs at least two targets, got {a}.")
    if big_n - a < 1:
        raise ValueError("No target was rated more than once; a one-way ICC needs some targets "
                         "with at least two ratings.")
    sums = np.bincount(g, weights=y)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=keep)
    grand = y.mean()
    ssb = float((counts[keep] * (means[keep] - grand) ** 2).sum())
    ssw = float(((y - means[g]) ** 2).sum())
    msb, msw = ssb / (a - 1), ssw / (big_n - a)
    if msw <= 0:
        raise ValueError("Every target's ratings are identical (no within-target variation); "
                         "the one-way ICC F test and interval are undefined.")
    if msb <= 1e-12 * msw:
        raise ValueError("Targets do not differ at all; the ICC is undefined.")
    n_i = counts[keep]
    n0 = float((big_n - (n_i ** 2).sum() / big_n) / (a - 1))
    k_h = float(a / (1.0 / n_i).sum())
    balanced = bool((n_i == n_i[0]).all())
    df1, df2 = a - 1, big_n - a
    f = msb / msw
    q = 1 - (1 - confidence) / 2
    f_low = f / special.fdtri(df1, df2, q)
    f_high = f * special.fdtri(df2, df1, q)
    icc1 = (msb - msw) / (msb + (n0 - 1) * msw)
    low, high = (f_low - 1) / (f_low + n0 - 1), (f_high - 1) / (f_high + n0 - 1)
    p = float(special.fdtrc(df1, df2, f))

    def step_up(r: float) -> float:
        return k_h * r / (1 + (k_h - 1) * r)

    method = ("one-way random-effects ANOVA, raters nested in targets; every rating used "
              "(targets rated once enter the between-target mean square only); "
              + ("balanced design (Shrout & Fleiss 1979)" if balanced else
                 f"unequal ratings per target: Searle (1971) n0 = {n0:.3f}, approximate F interval "
                 "(Donner 1986)"))
    forms = (
        ICCForm(name="ICC1", estimate=float(icc1), ci_low=float(low), ci_high=float(high), n=a,
                k=1.0, F=float(f), df1=float(df1), df2=float(df2), pvalue=p,
                description="single rating, one-way random (raters nested in targets), McGraw-Wong ICC(1)",
                method=method),
        ICCForm(name="ICC1k", estimate=float(step_up(icc1)), ci_low=float(step_up(low)),
                ci_high=float(step_up(high)), n=a, k=k_h, F=float(f), df1=float(df1), df2=float(df2),
                pvalue=p, description="mean of a target's ratings (k = harmonic mean of ratings per "
                                      "target), one-way random, McGraw-Wong ICC(k)",
                method=method + f"; Spearman-Brown step-up to k = {k_h:.3f}"),
    )
    per_target = {"min": int(n_i.min()), "median": float(np.median(n_i)), "max": int(n_i.max()),
                  "single": int((n_i == 1).sum())}
    return ICCOneWayResult(forms=forms, n=a, n_ratings=int(big_n), n0=n0, k_harmonic=k_h,
                           ratings_per_target=per_target,
                           mean_squares={"MSB": msb, "MSW": msw},
                           variance_components={"target": (msb - msw) / n0, "within": msw},
                           balanced=balanced, confidence=confidence, method=method)
