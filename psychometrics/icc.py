"""Intraclass correlation coefficients: the six Shrout-Fleiss / McGraw-Wong forms."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from ._base import ResultMixin, check_conf, long_to_matrix

ICC_NAMES = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
_DESCRIPTIONS = {
    "ICC1": "single rater, absolute agreement, one-way random (McGraw-Wong ICC(1))",
    "ICC2": "single rater, absolute agreement, two-way random (McGraw-Wong ICC(A,1))",
    "ICC3": "single rater, consistency, two-way mixed (McGraw-Wong ICC(C,1))",
    "ICC1k": "mean of k raters, absolute agreement, one-way random (McGraw-Wong ICC(k))",
    "ICC2k": "mean of k raters, absolute agreement, two-way random (McGraw-Wong ICC(A,k))",
    "ICC3k": "mean of k raters, consistency, two-way mixed (McGraw-Wong ICC(C,k))",
}


@dataclass(frozen=True, slots=True)
class ICCForm(ResultMixin):
    """One ICC form with its F test (H0: ICC = 0) and confidence interval."""

    name: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    k: float
    F: float
    df1: float
    df2: float
    pvalue: float
    description: str
    method: str


@dataclass(frozen=True, slots=True)
class ICCResult(ResultMixin):
    """All six ICCs for one data set, with the ANOVA mean squares they derive from."""

    forms: tuple[ICCForm, ...]
    n: int
    k: float
    n_ratings: int
    balanced: bool
    mean_squares: dict
    variance_components: dict
    confidence: float
    method: str
    n_dropped: int = 0

    def __getitem__(self, name: str) -> ICCForm:
        for form in self.forms:
            if form.name == name:
                return form
        raise KeyError(f"No ICC form named {name!r}; use one of {ICC_NAMES}.")

    def table(self) -> pd.DataFrame:
        """The six forms as a tidy DataFrame indexed by name."""
        return pd.DataFrame([f.to_dict() for f in self.forms]).set_index("name")


Incomplete = Literal["design", "listwise"]
SingleRated = Literal["error", "drop"]


def icc(data: pd.DataFrame, *, target: str = "target", rater: str = "rater",
        score: str = "score", confidence: float = 0.95, incomplete: Incomplete = "design",
        single_rated: SingleRated = "error") -> ICCResult:
    r"""Six intraclass correlations from long-format ratings (target, rater, score).

    For a complete n x k design the mean squares of the two-way ANOVA (targets MSR, raters
    MSC, residual MSE, within-target MSW) give (Shrout & Fleiss 1979, McGraw & Wong 1996):

    .. math::

        ICC1 = \frac{MSR - MSW}{MSR + (k-1)MSW},\quad
        ICC2 = \frac{MSR - MSE}{MSR + (k-1)MSE + k(MSC - MSE)/n},\quad
        ICC3 = \frac{MSR - MSE}{MSR + (k-1)MSE},

        ICC1k = \frac{MSR - MSW}{MSR},\quad ICC2k = \frac{MSR - MSE}{MSR + (MSC - MSE)/n},\quad
        ICC3k = \frac{MSR - MSE}{MSR}.

    F tests and confidence limits follow Shrout & Fleiss (1979) and McGraw & Wong (1996), as
    in ``psych::ICC`` (ICC2 uses the Satterthwaite-type degrees of freedom of McGraw & Wong).

    When some raters did not rate some targets, the variance components of the crossed
    random model y = mu + t + r + e are estimated by Henderson's method III (fitting
    constants); the one-way components by the unbalanced ANOVA with n0 (Searle, Casella &
    McCulloch 1992). The single-rater ICCs are the variance ratios; the k forms use the
    harmonic mean of the number of ratings per target. Confidence limits are then approximate:
    the balanced formulas applied to the mean squares implied by the components. The
    ``method`` field says which path was taken. With complete data both paths agree exactly.

    Incomplete data: with ``incomplete="design"`` (the default) every rating is used through
    the incomplete-design estimators above. A target rated only once carries no information
    on within-target variation and is refused unless ``single_rated="drop"``, which drops
    such targets before the analysis; ``n_dropped`` counts them and ``method`` says so.
    ``incomplete="listwise"`` instead keeps only the targets rated by every rater (a
    complete design, the exact Shrout-Fleiss formulas; what
    ``pingouin.intraclass_corr(..., nan_policy="omit")`` does), again counted.

    Parameters
    ----------
    data : DataFrame
        Long format, one row per rating; missing scores are dropped.
    target, rater, score : str
        Column names.
    confidence : float
        Coverage of the confidence intervals.
    incomplete : {"design", "listwise"}
        Use every rating (incomplete-design estimators) or only the complete targets.
    single_rated : {"error", "drop"}
        What to do with targets rated once under ``incomplete="design"``.

    Returns
    -------
    ICCResult
        ``forms`` (the six ICCs, each with F test and interval; index by name), ``n``,
        ``k``, ``n_ratings``, ``balanced``, ``mean_squares``, ``variance_components``,
        ``n_dropped``, ``method`` (the design path and the treatment of incomplete targets).

    Raises
    ------
    ValueError
        Fewer than two raters or targets, a target rated once (unless dropped), non-numeric
        scores, no variance at all.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30-46.

    Examples
    --------
    Shrout & Fleiss (1979) Table 1; ``psych::ICC(sf)`` gives ICC1 = 0.1657418:

    >>> import pandas as pd
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> df = pd.DataFrame([(t, r, s) for t, row in enumerate(sf) for r, s in enumerate(row)],
    ...                   columns=["target", "rater", "score"])
    >>> round(icc(df)["ICC1"].estimate, 7)
    0.1657418
    """
    check_conf(confidence)
    x, _, _ = long_to_matrix(data, target=target, rater=rater, score=score)
    return icc_matrix(x, confidence=confidence, incomplete=incomplete, single_rated=single_rated)


def icc_matrix(x: np.ndarray, *, confidence: float = 0.95, incomplete: Incomplete = "design",
               single_rated: SingleRated = "error") -> ICCResult:
    """The six ICCs from a targets x raters array with NaN for missing ratings (see `icc`).

    Parameters
    ----------
    x : 2-D array
        Targets x raters, NaN where a rater did not rate a target.
    confidence, incomplete, single_rated
        As in `icc`.

    Returns
    -------
    ICCResult
        As `icc`.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Psychological Bulletin, 86(2), 420-428.
    McGraw, K. O., & Wong, S. P. (1996). Psychological Methods, 1(1), 30-46.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...               [6, 2, 4, 7], [5, np.nan, np.nan, np.nan]])
    >>> res = icc_matrix(x, single_rated="drop")  # psych::ICC(sf)'s ICC3 = 0.7148
    >>> round(res["ICC3"].estimate, 4), res.n_dropped
    (0.7148, 1)
    """
    check_conf(confidence)
    if incomplete not in ("design", "listwise"):
        raise ValueError(f"incomplete must be 'design' or 'listwise', got {incomplete!r}.")
    if single_rated not in ("error", "drop"):
        raise ValueError(f"single_rated must be 'error' or 'drop', got {single_rated!r}.")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError("Ratings must be a two-dimensional targets x raters array.")
    observed = ~np.isnan(x)
    m, per_rater = _counts(observed)
    if not (m.all() and per_rater.all()):
        x = x[m > 0][:, per_rater > 0]
        observed = ~np.isnan(x)
        m, per_rater = _counts(observed)
    dropped, note = 0, ""
    if incomplete == "listwise" and (m < x.shape[1]).any():
        full = m == x.shape[1]
        dropped = int(len(m) - np.count_nonzero(full))
        x, observed, m = x[full], observed[full], m[full]
        note = (f"; listwise: {dropped} target(s) not rated by every rater dropped "
                "(as pingouin's nan_policy='omit')")
    elif incomplete == "design" and single_rated == "drop" and (m < 2).any():
        once = m < 2
        dropped = int(np.count_nonzero(once))
        x = x[~once]
        observed = ~np.isnan(x)
        m, per_rater = _counts(observed)
        if not per_rater.all():
            x, observed = x[:, per_rater > 0], observed[:, per_rater > 0]
        note = f"; {dropped} target(s) rated only once dropped"
    res = _icc_of(x, observed, m, confidence)
    if dropped:
        res = replace(res, n_dropped=dropped, method=res.method + note,
                      forms=tuple(replace(f, method=f.method + note) for f in res.forms))
    return res


def _counts(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ratings per target and per rater (einsum: a row sum over few raters is 3x faster
    than ``sum(axis=1)``, whose inner loop restarts every row)."""
    u8 = observed.view(np.uint8)
    return np.einsum("ij->i", u8, dtype=np.int64), np.einsum("ij->j", u8, dtype=np.int64)


def _icc_of(x: np.ndarray, observed: np.ndarray, m: np.ndarray,
            confidence: float) -> ICCResult:
    """The six ICCs of targets x raters ratings (m ratings per target, all rated raters)."""
    n, k = x.shape
    if k < 2:
        raise ValueError(f"ICC needs at least two raters, got {k}.")
    if n < 2:
        raise ValueError(f"ICC needs at least two targets, got {n}.")
    if (m < 2).any():
        raise ValueError(f"{int((m < 2).sum())} target(s) were rated only once; every target "
                         "needs at least two ratings for an ICC (pass single_rated='drop' to "
                         "drop them, or incomplete='listwise' to keep complete targets only; "
                         "command line: --drop-single-rated).")
    balanced = bool((m == k).all())
    if balanced:
        ms, comps = _balanced_ms(x)
        kk = float(k)
        method = ("two-way ANOVA mean squares, complete design (Shrout & Fleiss 1979; "
                  "McGraw & Wong 1996); every target rated by every rater")
        df_resid = (n - 1) * (k - 1)
        df_w = n * (k - 1)
    else:
        ms, comps, kk, df_resid, df_w = _unbalanced_ms(x, observed)
        method = ("variance components for an incomplete design (Henderson method III, "
                  "one-way with n0); k = harmonic mean of ratings per target; "
                  "approximate confidence limits; every rating used (design-based)")
    if not (ms["MSW"] > 0 or ms["MSE"] > 0) and ms["MSR"] == 0:
        raise ValueError("All ratings are identical; the ICC is undefined.")
    if ms["MSE"] <= 0 or ms["MSW"] <= 0:
        raise ValueError("The residual mean square is zero (raters agree perfectly up to a "
                         "constant); the ICC F tests and intervals are undefined.")
    forms = _forms(ms, n, kk, df_resid, df_w, confidence, method)
    return ICCResult(forms=forms, n=int(n), k=kk, n_ratings=int(m.sum()),
                     balanced=balanced, mean_squares=ms,
                     variance_components=comps, confidence=confidence, method=method)


def _balanced_ms(x: np.ndarray) -> tuple[dict, dict]:
    n, k = x.shape
    grand = x.mean()
    rm = np.einsum("ij->i", x) / k
    cm = np.einsum("ij->j", x) / n
    sst = float(((x - grand) ** 2).sum())
    ssr = float(k * ((rm - grand) ** 2).sum())
    ssc = float(n * ((cm - grand) ** 2).sum())
    sse = max(sst - ssr - ssc, 0.0)
    ms = {"MSR": ssr / (n - 1), "MSC": ssc / (k - 1), "MSE": sse / ((n - 1) * (k - 1)),
          "MSW": (sst - ssr) / (n * (k - 1))}
    comps = {"target": (ms["MSR"] - ms["MSE"]) / k, "rater": (ms["MSC"] - ms["MSE"]) / n,
             "residual": ms["MSE"], "target_oneway": (ms["MSR"] - ms["MSW"]) / k,
             "within_oneway": ms["MSW"]}
    return ms, comps


def _unbalanced_ms(x: np.ndarray, obs: np.ndarray):
    n, k = x.shape
    m, nj = (c.astype(float) for c in _counts(obs))
    big_n = float(m.sum())
    y = np.where(obs, x, 0.0)
    grand = y.sum() / big_n
    rm = np.einsum("ij->i", y) / m
    cm = np.einsum("ij->j", y) / nj
    dev = np.where(obs, x - rm[:, None], 0.0)
    ssw = float((dev ** 2).sum())
    ssb = float((m * (rm - grand) ** 2).sum())
    sst = ssw + ssb
    ss_raters = float((nj * (cm - grand) ** 2).sum())
    r_r_given_t, rank = _rater_reduction(obs, m, nj, np.einsum("ij->j", dev))
    sse = max(ssw - r_r_given_t, 0.0)
    r_t_given_r = sst - sse - ss_raters
    df_e = big_n - n - rank
    if df_e <= 0:
        raise ValueError("The design has no residual degrees of freedom; add ratings.")
    df_t = n + rank - k
    s_e = sse / df_e
    s_t = (r_t_given_r - df_t * s_e) / (big_n - k)
    s_r = (r_r_given_t - rank * s_e) / (big_n - n) if rank > 0 else 0.0
    msw = ssw / (big_n - n)
    n0 = (big_n - (m ** 2).sum() / big_n) / (n - 1)
    s_t1 = (ssb / (n - 1) - msw) / n0
    kh = float(n / (1.0 / m).sum())
    per_rater = big_n / k
    ms = {"MSR": s_e + kh * s_t, "MSC": s_e + per_rater * s_r, "MSE": s_e,
          "MSW": msw, "MSB_oneway": msw + kh * s_t1}
    comps = {"target": s_t, "rater": s_r, "residual": s_e, "target_oneway": s_t1,
             "within_oneway": msw}
    return ms, comps, kh, df_e, big_n - n


def _rater_reduction(obs: np.ndarray, m: np.ndarray, nj: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """R(raters | targets) = b' beta with A beta = b, and rank(A), for the reduced normal
    equations of the rater effects A = diag(n_j) - N' diag(1/m) N (N the targets x raters
    incidence). A is the Laplacian of the raters' co-rating graph, so its rank is k minus the
    number of connected components, and fixing one rater per component (grounding) leaves a
    positive definite sparse system: solved by sparse LU in time that grows with the ratings,
    where a dense least-squares solve grows with the cube of the raters."""
    from scipy import sparse
    from scipy.sparse import csgraph
    from scipy.sparse.linalg import spsolve

    k = obs.shape[1]
    incidence = sparse.csr_matrix(obs.astype(float))
    weights = (incidence.T @ sparse.diags(1.0 / m) @ incidence).tocsr()
    a = (sparse.diags(nj) - weights).tocsc()
    n_components, labels = csgraph.connected_components(weights, directed=False)
    rank = k - n_components
    if rank == 0:
        return 0.0, 0
    ground = np.zeros(k, dtype=bool)
    ground[np.unique(labels, return_index=True)[1]] = True
    keep = np.nonzero(~ground)[0]
    beta = spsolve(a[keep][:, keep], b[keep])
    return float(b[keep] @ np.atleast_1d(beta)), int(rank)


def _forms(ms: dict, n: int, k: float, df_e: float, df_w: float, confidence: float,
           method: str) -> tuple[ICCForm, ...]:
    msr, msc, mse, msw = ms["MSR"], ms["MSC"], ms["MSE"], ms["MSW"]
    msb1 = ms.get("MSB_oneway", msr)
    a = 1 - confidence
    q = 1 - a / 2
    df_n = n - 1
    scale = abs(msr) + abs(msc) + abs(mse) + abs(msw) + abs(msb1)
    dens = (msb1, msb1 + (k - 1) * msw, msr, msr + (k - 1) * mse,
            msr + (k - 1) * mse + k * (msc - mse) / n, msr + (msc - mse) / n)
    if min(abs(d) for d in dens) <= 1e-12 * scale:
        raise ValueError("Targets do not differ beyond rater and residual variation (an ICC "
                         "denominator is zero), so the ICCs are undefined.")
    # Point estimates.
    icc1 = (msb1 - msw) / (msb1 + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    icc1k = (msb1 - msw) / msb1
    icc2k = (msr - mse) / (msr + (msc - mse) / n)
    icc3k = (msr - mse) / msr
    # F tests (scipy.stats.f.sf and .ppf are fdtrc and fdtri after ~0.1 ms of argument checks).
    f1 = msb1 / msw
    f3 = msr / mse
    p1 = special.fdtrc(df_n, df_w, f1)
    p3 = special.fdtrc(df_n, df_e, f3)
    # Confidence limits, Shrout & Fleiss (1979) / McGraw & Wong (1996).
    f1l = f1 / special.fdtri(df_n, df_w, q)
    f1u = f1 * special.fdtri(df_w, df_n, q)
    l1, u1 = (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)
    f3l = f3 / special.fdtri(df_n, df_e, q)
    f3u = f3 * special.fdtri(df_e, df_n, q)
    l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
    fj = msc / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k ** 2 * icc2 ** 2 * fj ** 2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fs_u = special.fdtri(n - 1, v, q)
    fs_l = special.fdtri(v, n - 1, q)
    denom = k * msc + (k * n - k - n) * mse
    l2 = n * (msr - fs_u * mse) / (fs_u * denom + n * msr)
    u2 = n * (fs_l * msr - mse) / (denom + n * fs_l * msr)
    rows = [
        ("ICC1", icc1, l1, u1, f1, df_n, df_w, p1),
        ("ICC2", icc2, l2, u2, f3, df_n, df_e, p3),
        ("ICC3", icc3, l3, u3, f3, df_n, df_e, p3),
        ("ICC1k", icc1k, 1 - 1 / f1l, 1 - 1 / f1u, f1, df_n, df_w, p1),
        ("ICC2k", icc2k, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1)),
         f3, df_n, df_e, p3),
        ("ICC3k", icc3k, 1 - 1 / f3l, 1 - 1 / f3u, f3, df_n, df_e, p3),
    ]
    return tuple(
        ICCForm(name=name, estimate=float(est), ci_low=float(lo), ci_high=float(hi), n=int(n),
                k=float(k), F=float(f), df1=float(d1), df2=float(d2), pvalue=float(p),
                description=_DESCRIPTIONS[name], method=method)
        for name, est, lo, hi, f, d1, d2, p in rows)
