"""Two-level reliability: within- and between-cluster omega from a two-level CFA.

Observations (sessions, ratings) nested in clusters (patients, targets): y_ij = mu + b_j + w_ij
with b_j ~ N(0, Sigma_B), w_ij ~ N(0, Sigma_W). The model is fitted by full-information maximum
likelihood (as ``lavaan::cfa(..., cluster = )``), and the omegas are those
``semTools::compRelSEM`` reports (Lai 2021).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from ._base import ResultMixin, as_float_matrix


@dataclass(frozen=True, slots=True)
class MultilevelOmegaResult(ResultMixin):
    """Within-, between- and total (two-level) omega of one construct, with the fits.

    ``converged`` is False when one of the three maximum-likelihood fits (saturated, separate,
    configural) stopped without converging; the omegas that depend on that fit are then NaN and
    ``warnings`` say which fit and why. A converged improper solution (a negative residual or
    factor variance, a Heywood case, which lavaan warns of) keeps its numbers and is named in
    ``warnings``.
    """

    omega_within: float
    omega_between: float
    omega_2l: float
    omega_between_block: float
    icc_scale: float
    omega_within_config: float
    omega_between_config: float
    n: int
    n_clusters: int
    n_dropped: int
    mean_inverse_cluster_size: float
    loadings_within: dict
    loadings_between: dict
    residuals_within: dict
    residuals_between: dict
    loglik: float
    loglik_config: float
    loglik_saturated: float
    sigma_within: pd.DataFrame
    sigma_between: pd.DataFrame
    method: str
    converged: bool = True
    warnings: tuple[str, ...] = ()


class _TwoLevel:
    """Sufficient statistics and the -2 log-likelihood of the random-intercept normal model."""

    def __init__(self, y: np.ndarray, cluster: np.ndarray):
        codes, _ = pd.factorize(cluster)
        self.p = y.shape[1]
        self.N = y.shape[0]
        self.J = int(codes.max()) + 1
        size = np.bincount(codes, minlength=self.J).astype(float)
        sums = np.zeros((self.J, self.p))
        np.add.at(sums, codes, y)
        means = sums / size[:, None]
        dev = y - means[codes]
        self.spw = dev.T @ dev
        self.sizes, inverse = np.unique(size, return_inverse=True)
        self.count = np.bincount(inverse).astype(float)
        self.m1 = np.zeros((len(self.sizes), self.p))
        np.add.at(self.m1, inverse, means)
        self.m2 = np.einsum("jk,jl->jkl", means, means)
        self.m2 = np.stack([self.m2[inverse == s].sum(axis=0) for s in range(len(self.sizes))])
        self.means = means
        self.size = size
        self.mean_inv_size = float((1.0 / size).mean())

    def fit(self, sw: np.ndarray, sb: np.ndarray, grad: bool = True):
        """-2 log L (without the constant) and its gradients w.r.t. Sigma_W and Sigma_B."""
        try:
            cw = np.linalg.cholesky(sw)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        iw = np.linalg.inv(sw)
        vs, ivs, logdets = [], [], []
        for s in self.sizes:
            v = sw + s * sb
            try:
                c = np.linalg.cholesky(v)
            except np.linalg.LinAlgError:
                return np.inf, None, None
            ivs.append(np.linalg.inv(v))
            logdets.append(2 * np.log(np.diag(c)).sum())
            vs.append(v)
        a = sum(c * s * iv for c, s, iv in zip(self.count, self.sizes, ivs))
        b = sum(s * iv @ m for s, iv, m in zip(self.sizes, ivs, self.m1))
        mu = np.linalg.solve(a, b)
        f = (self.N - self.J) * 2 * np.log(np.diag(cw)).sum() + np.sum(iw * self.spw)
        gw = (self.N - self.J) * iw - iw @ self.spw @ iw
        gb = np.zeros_like(sw)
        for c, s, iv, ld, m1, m2 in zip(self.count, self.sizes, ivs, logdets, self.m1, self.m2):
            e = m2 - np.outer(m1, mu) - np.outer(mu, m1) + c * np.outer(mu, mu)
            f += c * ld + s * np.sum(iv * e)
            if grad:
                g = c * iv - s * iv @ e @ iv
                gw += g
                gb += s * g
        return float(f), gw, gb

    def loglik(self, f: float) -> float:
        return -0.5 * (self.N * self.p * np.log(2 * np.pi) + f)


MAXITER = 5000
"""Iteration limit of each two-level fit (BFGS); proper fits of a few items need tens to a few
hundred iterations."""
GRADIENT_TOL = 2e-3
"""Largest gradient element of -2 log L per observation accepted as a maximum when BFGS stops
because its line search lost precision (its gtol of 1e-10 is often beyond what double precision
resolves): lavaan's check after its optimiser (``optim.dx.tol = 1e-3`` on the gradient of
-log L / N, twice that on this scale)."""


def _minimise(fun, x0, scale, maxiter: int | None = None):
    """BFGS on the -2 log L per observation (so the tolerance does not grow with n)."""
    def scaled(x):
        f, g = fun(x)
        return f / scale, g / scale
    res = optimize.minimize(scaled, x0, jac=True, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": maxiter or MAXITER})
    res.fun = res.fun * scale
    if not np.isfinite(res.fun) or res.fun >= 1e299:
        raise ValueError("The two-level model could not be fitted (no positive definite "
                         "solution was found).")
    return res


def _ended(res, model: str) -> str:
    """"" when a fit reached a maximum, else the reason in words."""
    grad = float(np.max(np.abs(res.jac))) if res.jac is not None and len(res.jac) else 0.0
    if res.success or (res.status == 2 and grad < GRADIENT_TOL):
        return ""
    why = {1: f"stopped at its iteration limit ({res.nit} iterations)",
           2: "stopped where its line search lost precision, short of a maximum"}.get(
        res.status, f"stopped without converging ({str(res.message).strip().rstrip('.')})")
    return (f"The {model} two-level model {why}, largest gradient {grad:.1e} per observation; "
            "the omegas that use it are not estimates (NaN).")


def _improper(model: str, variances: dict[str, np.ndarray], names: list[str]) -> str:
    """A Heywood case in words (negative variances), or ""."""
    bad = [f"{label} {names[i]}" if len(names) == len(v) else label
           for label, v in variances.items() for i in np.nonzero(np.atleast_1d(v) < 0)[0]]
    if not bad:
        return ""
    return (f"The {model} two-level model is an improper solution (a Heywood case): negative "
            f"variance(s) for {', '.join(bad)}.")


def _tril(p):
    return np.tril_indices(p)


def _saturated(m: _TwoLevel):
    p = m.p
    idx = _tril(p)
    sw0 = m.spw / (m.N - m.J)
    between = np.cov(m.means, rowvar=False, ddof=1) - sw0 * m.mean_inv_size
    w, v = np.linalg.eigh(between)
    sb0 = (v * np.clip(w, 1e-3 * np.trace(sw0) / p, None)) @ v.T
    x0 = np.concatenate([np.linalg.cholesky(sw0)[idx], np.linalg.cholesky(sb0)[idx]])
    k = len(idx[0])

    def unpack(x):
        lw = np.zeros((p, p))
        lb = np.zeros((p, p))
        lw[idx], lb[idx] = x[:k], x[k:]
        return lw, lb

    def fun(x):
        lw, lb = unpack(x)
        f, gw, gb = m.fit(lw @ lw.T, lb @ lb.T)
        if not np.isfinite(f):
            return 1e300, np.zeros_like(x)
        return f, np.concatenate([(2 * gw @ lw)[idx], (2 * gb @ lb)[idx]])

    res = _minimise(fun, x0, m.N)
    lw, lb = unpack(res.x)
    return lw @ lw.T, lb @ lb.T, res


def _one_factor_start(s):
    w, v = np.linalg.eigh(s)
    lam = v[:, -1] * np.sqrt(max(w[-1], 1e-6))
    lam *= np.sign(lam.sum()) or 1.0
    return lam, np.clip(np.diag(s) - lam ** 2, 0.05 * np.diag(s), None)


def _separate(m: _TwoLevel, sw, sb):
    """One factor per level with free loadings, factor variances 1 (lavaan std.lv)."""
    lw, tw = _one_factor_start(sw)
    lb, tb = _one_factor_start(sb)

    def fun(x):
        lw, tw, lb, tb = np.split(x, 4)
        f, gw, gb = m.fit(np.outer(lw, lw) + np.diag(tw), np.outer(lb, lb) + np.diag(tb))
        if not np.isfinite(f):
            return 1e300, np.zeros_like(x)
        return f, np.concatenate([2 * gw @ lw, np.diag(gw), 2 * gb @ lb, np.diag(gb)])

    res = _minimise(fun, np.concatenate([lw, tw, lb, tb]), m.N)
    lw, tw, lb, tb = np.split(res.x, 4)
    s = np.sign(lw.sum()) or 1.0
    t = np.sign(lb.sum()) or 1.0
    return s * lw, tw, t * lb, tb, res


def _config(m: _TwoLevel, sw, sb):
    """One construct, loadings equal across levels (first fixed at 1), variances free."""
    lw, tw = _one_factor_start(sw)
    lb, tb = _one_factor_start(sb)
    lam = lw / lw[0]
    x0 = np.concatenate([lam[1:], [lw[0] ** 2, max((lb @ lam) ** 2 / (lam @ lam) ** 2, 1e-3)],
                         tw, tb])
    p = m.p

    def unpack(x):
        lam = np.concatenate([[1.0], x[:p - 1]])
        pw, pb = x[p - 1], x[p]
        return lam, pw, pb, x[p + 1:2 * p + 1], x[2 * p + 1:]

    def fun(x):
        lam, pw, pb, tw, tb = unpack(x)
        ll = np.outer(lam, lam)
        f, gw, gb = m.fit(pw * ll + np.diag(tw), pb * ll + np.diag(tb))
        if not np.isfinite(f):
            return 1e300, np.zeros_like(x)
        glam = 2 * (pw * gw + pb * gb) @ lam
        return f, np.concatenate([glam[1:], [lam @ gw @ lam, lam @ gb @ lam],
                                  np.diag(gw), np.diag(gb)])

    res = _minimise(fun, x0, m.N)
    lam, pw, pb, tw, tb = unpack(res.x)
    return lam, pw, pb, tw, tb, res


def multilevel_omega(data: pd.DataFrame, *, cluster: str,
                     items: Sequence[str] | None = None) -> MultilevelOmegaResult:
    r"""Within- and between-cluster omega of a scale from a two-level one-factor CFA.

    The items y of observation i in cluster j are modelled as
    :math:`y_{ij} = \mu + \lambda_B f_{Bj} + e_{Bj} + \lambda_W f_{Wij} + e_{Wij}`, i.e.
    :math:`\Sigma_W = \lambda_W\lambda_W' + \Theta_W` within and
    :math:`\Sigma_B = \lambda_B\lambda_B' + \Theta_B` between clusters (factor variances 1), fitted
    by maximum likelihood on all observations (unbalanced clusters allowed; the intercepts
    :math:`\mu` are estimated by GLS at each step). As ``semTools::compRelSEM`` does with its
    default ``obs.var = TRUE``, the denominators are the level-specific covariance matrices
    :math:`S_W, S_B` of the saturated two-level model (lavaan's ``sampstat``):

    .. math:: \omega_W = \frac{(\mathbf{1}'\lambda_W)^2}{\mathbf{1}'S_W\mathbf{1}},\quad
              \omega_B = \frac{(\mathbf{1}'\lambda_B)^2}
              {\mathbf{1}'S_B\mathbf{1} + \overline{n^{-1}}\,\mathbf{1}'S_W\mathbf{1}}

    ``omega_within`` is the reliability of a person's deviation from the cluster mean
    (``compRelSEM(fit)``'s within block), ``omega_between`` that of the cluster mean of the
    sum score (``compRelSEM(fit, shared = "fb")``'s ``omega_B``, Lai 2021, with
    :math:`\overline{n^{-1}}` the mean inverse cluster size), ``icc_scale`` its ``IRR``
    (the share of the mean's variance that lies between clusters) and
    ``omega_between_block`` the between block of ``compRelSEM(fit)``. ``omega_2l`` comes
    from a second model with the same loadings at both levels (a "configural" construct;
    first loading 1, factor variances :math:`\psi_W, \psi_B` free):
    :math:`\omega_{2L} = (\psi_W + \psi_B)(\mathbf{1}'\lambda)^2 /
    \mathbf{1}'(S_W + S_B)\mathbf{1}` (``compRelSEM(fit, config = "f")``), the reliability of
    a single observation's sum score; that model also gives ``omega_within_config`` and
    ``omega_between_config``. ``misty::multilevel.omega`` fits the same models.

    Each of the three fits (saturated, separate, configural) is bounded (`MAXITER` BFGS
    iterations). One that stops short of a maximum gives ``converged=False``, NaN for the
    omegas that use it and the reason in ``warnings``; a converged solution with a negative
    variance (a Heywood case, which lavaan warns of) keeps its numbers and is named in
    ``warnings``, as `omega` and `cfa_one_factor` do for their factor fits.

    Parameters
    ----------
    data : DataFrame
        One row per observation, the cluster column and numeric item columns. Rows with a
        missing item are dropped (listwise, lavaan's default), counted in ``n_dropped``.
    cluster : str
        The cluster identifier column.
    items : sequence of str, optional
        Item columns (default: every other numeric column); at least three.

    Returns
    -------
    MultilevelOmegaResult
        The omegas above, ``n`` observations, ``n_clusters``, loadings and residual variances
        per level, log-likelihoods of the separate, configural and saturated models,
        ``sigma_within`` / ``sigma_between`` (:math:`S_W, S_B`), ``method``, ``converged``
        and ``warnings`` (a fit that did not converge, its omegas NaN; a Heywood case).

    Raises
    ------
    ValueError
        Fewer than three items, fewer than two clusters, no cluster with two observations, or
        a model without a positive definite solution.

    References
    ----------
    Geldhof, G. J., Preacher, K. J., & Zyphur, M. J. (2014). Reliability estimation in a
    multilevel confirmatory factor analysis framework. Psychological Methods, 19(1), 72-91.
    Lai, M. H. C. (2021). Composite reliability of multilevel data: It's about observed scores
    and construct meanings. Psychological Methods, 26(1), 90-102.

    Examples
    --------
    lavaan's ``Demo.twolevel`` (y1-y3, 200 clusters): ``semTools::compRelSEM`` on
    ``cfa("level: 1\n fw =~ y1 + y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3", cluster =
    "cluster", std.lv = TRUE)`` gives omega_W 0.676 and (``shared = "fb"``) omega_B 0.782:

    >>> import pandas as pd
    >>> from pathlib import Path
    >>> import psychometrics
    >>> path = (Path(psychometrics.__file__).parent.parent / "tests" / "psychometrics"
    ...         / "reference" / "demo_twolevel.csv")
    >>> res = multilevel_omega(pd.read_csv(path), cluster="cluster")
    >>> round(res.omega_within, 3), round(res.omega_between, 3), round(res.omega_2l, 3)
    (0.676, 0.782, 0.771)
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError("Multilevel omega needs a DataFrame with a cluster column.")
    if cluster not in data.columns:
        raise ValueError(f"Cluster column {cluster!r} is not in the data "
                         f"(columns: {list(data.columns)}).")
    if items is None:
        items = [c for c in data.columns if c != cluster
                 and pd.api.types.is_numeric_dtype(data[c])]
    items = list(items)
    missing_cols = sorted(set(items) - set(data.columns))
    if missing_cols:
        raise ValueError(f"Item column(s) {missing_cols} are not in the data.")
    if len(items) < 3:
        raise ValueError(f"A one-factor model at each level needs at least three items, got "
                         f"{len(items)}.")
    y, names = as_float_matrix(data[items], what="Item scores")
    cl = data[cluster].to_numpy()
    keep = ~np.isnan(y).any(axis=1) & ~pd.isna(cl)
    dropped = int((~keep).sum())
    y, cl = y[keep], cl[keep]
    m = _TwoLevel(y, cl)
    if m.J < 2:
        raise ValueError(f"At least two clusters are needed, got {m.J}.")
    if m.N - m.J < m.p:
        raise ValueError("Too few observations within clusters for the within-cluster "
                         "covariance matrix.")
    sw, sb, sat = _saturated(m)
    lw, tw, lb, tb, sep = _separate(m, sw, sb)
    lam, pw, pb, tw_c, tb_c, cfg = _config(m, sw, sb)
    reasons = {name: _ended(res, name) for name, res in
               (("saturated", sat), ("separate one-factor", sep), ("configural", cfg))}
    problems = [why for why in reasons.values() if why]
    problems += [why for why in (
        _improper("separate one-factor", {"within residual of": tw, "between residual of": tb},
                  names),
        _improper("configural", {"within residual of": tw_c, "between residual of": tb_c,
                                 "the within factor": np.array([pw]),
                                 "the between factor": np.array([pb])}, names)) if why]
    frame = lambda s: pd.DataFrame(s, index=names, columns=names)  # noqa: E731
    method = ("two-level one-factor CFA by maximum likelihood (random intercepts, unbalanced "
              "clusters allowed), omegas as semTools::compRelSEM with observed (saturated-"
              "model) level covariances; omega_2l from equal loadings across levels; "
              + (f"listwise: {dropped} row(s) with a missing item dropped" if dropped
                 else "listwise deletion (no rows dropped)"))
    return MultilevelOmegaResult(
        **_omegas(m, sw, sb, lw, lb, lam, pw, pb, sat_ok=not reasons["saturated"],
                  sep_ok=not reasons["separate one-factor"], cfg_ok=not reasons["configural"]),
        n=int(m.N), n_clusters=int(m.J), n_dropped=dropped,
        mean_inverse_cluster_size=m.mean_inv_size,
        loadings_within=dict(zip(names, lw.tolist())),
        loadings_between=dict(zip(names, lb.tolist())),
        residuals_within=dict(zip(names, tw.tolist())),
        residuals_between=dict(zip(names, tb.tolist())),
        loglik=m.loglik(sep.fun), loglik_config=m.loglik(cfg.fun),
        loglik_saturated=m.loglik(sat.fun), sigma_within=frame(sw), sigma_between=frame(sb),
        method=method, converged=not any(reasons.values()), warnings=tuple(problems))


def _omegas(m: _TwoLevel, sw, sb, lw, lb, lam, pw, pb, *, sat_ok: bool, sep_ok: bool,
            cfg_ok: bool) -> dict:
    """compRelSEM's omegas from the fits; NaN for those whose fit did not converge (the
    saturated fit gives every denominator)."""
    nan = float("nan")
    tot_w, tot_b = sw.sum(), sb.sum()
    denom_b = tot_b + m.mean_inv_size * tot_w
    sl = lam.sum() ** 2
    sep = {"omega_within": lw.sum() ** 2 / tot_w, "omega_between": lb.sum() ** 2 / denom_b,
           "omega_between_block": lb.sum() ** 2 / tot_b}
    cfg = {"omega_2l": (pw + pb) * sl / (tot_w + tot_b), "omega_within_config": pw * sl / tot_w,
           "omega_between_config": pb * sl / denom_b}
    out = {k: float(v) if sat_ok and sep_ok else nan for k, v in sep.items()}
    out.update({k: float(v) if sat_ok and cfg_ok else nan for k, v in cfg.items()})
    out["icc_scale"] = float(tot_b / denom_b) if sat_ok else nan
    return out
