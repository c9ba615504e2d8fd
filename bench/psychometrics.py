"""Benchmark psychometrics against its fastest Python peers on the data users have.

    python bench/psychometrics.py [--quick] [--sizes 1000 10000 100000]

Data: n targets x 5 raters, scores 1..5, 10% of the ratings missing completely at random
(so some targets are rated once or not at all: nothing is arranged to suit any method), and
10 items x n rows with 10% of the answers missing at random. Every statistic starts from what
a user passes: the long (target, rater, score) frame for agreement, the wide items frame for
reliability. Every peer is called as its documentation says, and its own preparation is timed
with it: the pivot to the targets x raters (or raters x units) array it needs, the listwise
deletion a complete-data peer needs, statsmodels' ``aggregate_raters``. Ours and the peer run
alternately in rounds (best of ``--repeat``), so load drift on a shared machine hits both;
the ratios are of CPU time (``time.process_time``: what a busy machine's other work does not
inflate), the wall-clock ratios are printed beside them.

Peers: pingouin (ICC with ``nan_policy="omit"``, Cronbach's alpha), the ``krippendorff``
package, statsmodels (Fleiss' kappa, Cohen's kappa), scikit-learn (pairwise Cohen for Light's
kappa), scipy (Pearson's r with its interval, Spearman's rho), pandas (unanimous agreement), irrCAC's Python port (Gwet AC1/AC2, Fleiss, Conger,
Krippendorff with SE), factor_analyzer (omega total from a one-factor minres fit) and semopy
(one-factor CFA). irrCAC 0.4.4 pins scipy 1.12 and pandas < 3 and semopy needs sympy, so they
are not project dependencies: install them aside (``pip install --no-deps --target DIR irrCAC
semopy numdifftools sympy mpmath``) and pass ``BENCH_EXTRA_PATH=DIR``. A missing peer is
reported (``peers_missing``), not fatal; one that is installed but fails to run (factor_analyzer
0.5.1 against scikit-learn >= 1.8) in ``peers_failed`` with its error.

Each row compares what both sides report (estimates, F and p, SEs, CIs) and gives the largest
absolute difference (pingouin's ICC limits unrounded through ``pingouin.options``; its alpha
interval is always rounded to 3 decimals, so ``ci_rounded_diff`` compares ours rounded so). Goals (issue 22): ICC at least 10x its peer, every other statistic at
least 1x, equal to 1e-9. The ``suite`` entry times the report's statistics core at the
largest size in a fresh process with its peak RSS. The last line printed is one JSON object:
``ratios`` (peer CPU time / ours), ``wall_ratios`` and ``max_abs_diff`` per statistic at the largest size.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.extend(p for p in os.environ.get("BENCH_EXTRA_PATH", "").split(os.pathsep) if p)

import psychometrics as pm  # noqa: E402

K = 5
CATEGORIES = [1.0, 2.0, 3.0, 4.0, 5.0]
ICC_GOAL, OTHER_GOAL, EQUAL_TO = 10.0, 1.0, 1e-9


def make_ratings(n: int, seed: int = 0) -> np.ndarray:
    """targets x raters scores 1..5 with 10% missing completely at random."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1)) + rng.normal(0, 0.3, (1, K)) + rng.normal(0, 0.7, (n, K))
    x = np.clip(np.round(latent + 3), 1, 5)
    x[rng.random((n, K)) < 0.10] = np.nan
    return x


def make_items(n: int, p: int = 10, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) * rng.uniform(0.5, 0.9, p) + rng.normal(0, 0.6, (n, p))
    x[rng.random((n, p)) < 0.10] = np.nan
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(p)])


def to_long(x: np.ndarray) -> pd.DataFrame:
    """The long frame a user has: one row per rating given (missing ones are absent)."""
    t, r = np.nonzero(~np.isnan(x))
    return pd.DataFrame({"target": t, "rater": r, "score": x[t, r]})


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """targets x raters, the pivot a wide-input peer's user writes."""
    return long.pivot(index="target", columns="rater", values="score")


def interleaved(ours, peer, repeat: int):
    """Best CPU and wall times of each over `repeat` alternating rounds, and the results."""
    best = {"ours": [float("inf")] * 2, "peer": [float("inf")] * 2}
    out = {"ours": None, "peer": None}
    for _ in range(repeat):
        for side, fn in (("ours", ours), ("peer", peer)):
            if fn is None:
                continue
            cpu, wall = time.process_time(), time.perf_counter()
            out[side] = fn()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best[side] = [min(best[side][0], cpu), min(best[side][1], wall)]
    peer_t = best["peer"] if peer is not None else [None, None]
    return best["ours"], peer_t, out["ours"], out["peer"]


def _peer(name: str):
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any import failure means the peer is absent
        return None


def _diff(*pairs) -> float:
    return float(max(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)))
                     for a, b in pairs))


class Rows:
    def __init__(self, n: int, repeat: int):
        self.n, self.repeat, self.rows, self.missing, self.failed = n, repeat, [], set(), {}

    def add(self, stat, peer_name, ours, peer=None, compare=None, goal=OTHER_GOAL,
            compared="estimate", extra=None):
        """Time ours (and the peer), then compare(ours_result, peer_result) -> max diff. A peer
        that is installed but fails to run (e.g. against this scikit-learn) is reported in
        ``peers_failed`` with its error, and ours is timed alone."""
        try:
            (ours_s, ours_wall), (peer_s, peer_wall), o, p = interleaved(ours, peer, self.repeat)
        except Exception as exc:  # noqa: BLE001 - only a peer's failure is tolerated
            if peer is None:
                raise
            self.failed[peer_name] = f"{type(exc).__name__}: {exc}"[:200]
            return self.add(stat, f"{peer_name} failed", ours, extra=extra)
        row = {"stat": stat, "peer": peer_name, "n_targets": self.n, "ours_s": ours_s,
               "peer_s": peer_s, "speedup": peer_s / ours_s if peer_s else None,
               "ours_wall_s": ours_wall, "peer_wall_s": peer_wall,
               "wall_speedup": peer_wall / ours_wall if peer_wall else None,
               "max_abs_diff": None, "compared": compared if peer else None,
               "goal": goal if peer else None}
        if peer is not None:
            diffs = compare(o, p)
            if isinstance(diffs, dict):
                row.update(diffs)
                row["max_abs_diff"] = diffs["max_abs_diff"]
            else:
                row["max_abs_diff"] = diffs
        row.update(extra(o) if extra else {})
        self.rows.append(row)

    def absent(self, stat, peer_name, ours, extra=None):
        self.missing.add(peer_name)
        self.add(stat, f"{peer_name} not installed", ours, extra=extra)


def _icc_compare(ours, theirs):
    t = ours.table()
    ci = np.vstack(theirs["CI95"].to_numpy()).astype(float)
    return _diff((t["estimate"], theirs["ICC"]), (t["F"], theirs["F"]),
                 (t["df1"], theirs["df1"]), (t["df2"], theirs["df2"]),
                 (t["pvalue"], theirs["pval"]), (t["ci_low"], ci[:, 0]),
                 (t["ci_high"], ci[:, 1]))


def agreement_rows(rows: Rows, x: np.ndarray) -> None:
    import krippendorff
    import pingouin as pg
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
    long = to_long(x)
    # pingouin rounds its ICC limits to 2 decimals unless told not to (pingouin.options).
    pg.options["round.column.CI95"] = None
    dropped = lambda r: {"n_dropped": r.n_dropped}  # noqa: E731

    # ICC: pingouin drops incomplete targets (nan_policy="omit"); so does listwise.
    rows.add("icc listwise (6 forms, F, p, CI)", "pingouin.intraclass_corr nan_policy=omit",
             lambda: pm.icc(long, incomplete="listwise"),
             lambda: pg.intraclass_corr(long, targets="target", raters="rater",
                                        ratings="score", nan_policy="omit"),
             _icc_compare, goal=ICC_GOAL, compared="ICC, F, df1, df2, p, CI",
             extra=dropped)
    rows.add("icc design-based, rated-once dropped", "none (no peer fits incomplete designs)",
             lambda: pm.icc(long, single_rated="drop"), extra=dropped)
    rows.add("icc_oneway (unequal ratings per target)", "none (no peer uses all ratings)",
             lambda: pm.icc_oneway(long))

    # Krippendorff's alpha: the package takes a raters x units array (NaN missing).
    for level in ("nominal", "ordinal", "interval", "ratio"):
        rows.add(f"krippendorff_alpha {level}", "krippendorff.alpha",
                 lambda: pm.krippendorff_alpha(long, level=level),
                 lambda: krippendorff.alpha(reliability_data=long.pivot(
                     index="rater", columns="target", values="score").to_numpy(),
                     level_of_measurement=level),
                 lambda o, p: abs(o.estimate - p))

    # Complete-target statistics (irr's na.omit): the peer's user pivots and drops NaN rows.
    def sm_fleiss_listwise():
        complete = wide(long).dropna().to_numpy()
        return sm_fleiss(aggregate_raters(complete)[0])
    rows.add("fleiss_kappa_test listwise (z, p, per category)",
             "statsmodels aggregate_raters + fleiss_kappa",
             lambda: pm.fleiss_kappa_test(long), sm_fleiss_listwise,
             lambda o, p: abs(o.estimate - p), extra=dropped)

    def sk_light():
        w = wide(long).dropna().to_numpy()
        return np.mean([cohen_kappa_score(w[:, i], w[:, j])
                        for i in range(K) for j in range(i + 1, K)])
    rows.add("light_kappa listwise (z, p)", "sklearn cohen_kappa_score per pair",
             lambda: pm.light_kappa(long), sk_light, lambda o, p: abs(o.estimate - p),
             extra=dropped)
    rows.add("all_rater_agreement listwise (irr::agree)", "pandas dropna + nunique",
             lambda: pm.all_rater_agreement(long),
             lambda: float((wide(long).dropna().nunique(axis=1) == 1).mean()),
             lambda o, p: abs(o.estimate - p), extra=dropped)

    # Cohen's kappa for two raters: both sides get the two raters' columns (NaN missing).
    a, b = x[:, 0], x[:, 1]
    for weights, wt in (("none", None), ("quadratic", "quadratic")):
        def sm_cohen(wt=wt):
            keep = ~(np.isnan(a) | np.isnan(b))
            table = pd.crosstab(a[keep], b[keep]).to_numpy()
            return cohens_kappa(table, wt=wt) if wt else cohens_kappa(table)
        cmp = lambda o, p: _diff((o.estimate, p.kappa), (o.standard_error, p.std_kappa),  # noqa: E731
                                 (o.z, p.z_value), (o.pvalue, p.pvalue_two_sided),
                                 (o.ci_low, p.kappa_low), (o.ci_high, p.kappa_upp))
        rows.add(f"cohen_kappa weights={weights}", "statsmodels crosstab + cohens_kappa",
                 lambda weights=weights: pm.cohen_kappa(a, b, weights=weights), sm_cohen, cmp,
                 compared="kappa, SE, z, p, CI")

    # Correlations of two raters' scores (pairs with a missing value dropped on both sides).
    from scipy import stats as st

    def sp_pearson():
        keep = ~(np.isnan(a) | np.isnan(b))
        res = st.pearsonr(a[keep], b[keep])
        return res, res.confidence_interval(0.95), int(keep.sum()) - 2
    rows.add("pearson_r (t, df, p, Fisher CI)", "scipy.stats.pearsonr + confidence_interval",
             lambda: pm.pearson_r(a, b), sp_pearson,
             lambda o, p: _diff((o.estimate, p[0].statistic), (o.pvalue, p[0].pvalue), (o.df, p[2]),
                                (o.ci_low, p[1].low), (o.ci_high, p[1].high)),
             compared="r, p, df, CI")

    def sp_spearman():
        keep = ~(np.isnan(a) | np.isnan(b))
        res = st.spearmanr(a[keep], b[keep])
        z, q = np.arctanh(res.statistic), st.norm.ppf(0.975) / np.sqrt(keep.sum() - 3)
        return res, np.tanh(z - q), np.tanh(z + q)
    rows.add("spearman_rho interval=fisher (p, CI)", "scipy.stats.spearmanr + Fisher z by hand",
             lambda: pm.spearman_rho(a, b, interval="fisher"), sp_spearman,
             lambda o, p: _diff((o.estimate, p[0].statistic), (o.pvalue, p[0].pvalue),
                                (o.ci_low, p[1]), (o.ci_high, p[2])),
             compared="rho, p, CI")

    # Missing ratings allowed: irrCAC's Python port (targets x raters frame, pivot timed).
    irrcac = _peer("irrCAC.raw")
    for stat, ours_fn, method, weights in [
            ("fleiss_kappa (SE, p, CI)", lambda: pm.fleiss_kappa(long), "fleiss", "identity"),
            ("gwet_ac1 (SE, p, CI)", lambda: pm.gwet_ac1(long), "gwet", "identity"),
            ("gwet_ac2 quadratic (SE, p, CI)", lambda: pm.gwet_ac2(long), "gwet", "quadratic"),
            ("conger_kappa (SE, p, CI)", lambda: pm.conger_kappa(long), "conger", "identity"),
            ("krippendorff_alpha_gwet nominal (SE, p, CI)",
             lambda: pm.krippendorff_alpha_gwet(long), "krippendorff", "identity"),
            ("percent_agreement (SE, p, CI)", lambda: pm.percent_agreement(long), "pa",
             "identity")]:
        if irrcac is None:
            rows.absent(stat, "irrCAC", ours_fn)
            continue

        def peer(method=method, weights=weights):
            # The port counts NaN as a category unless the categories are given.
            cac = irrcac.CAC(wide(long), weights=weights, categories=CATEGORIES, digits=15)
            return (cac.gwet() if method == "pa" else getattr(cac, method)())["est"]

        def cmp(o, p, method=method):
            if method == "pa":  # the port's result carries p_a beside each coefficient
                return abs(o.estimate - float(p["pa"])) if "pa" in p else float("nan")
            lo, hi = p["confidence_interval"]
            return _diff((o.estimate, float(p["coefficient_value"])),
                         (o.standard_error, float(p["se"])), (o.pvalue, float(p["p_value"])),
                         (o.ci_low, float(lo)), (o.ci_high, float(hi)))
        rows.add(stat, f"irrCAC.raw.CAC.{method}", ours_fn, peer, cmp,
                 compared="pa" if method == "pa" else "estimate, SE, p, CI")


def reliability_rows(rows: Rows, items: pd.DataFrame) -> None:
    import pingouin as pg

    def alpha_cmp(o, p):
        ci = np.asarray(p[1], float)
        return {"max_abs_diff": abs(o.estimate - p[0]),
                "ci_rounded_diff": _diff((np.round([o.ci_low, o.ci_high], 3), ci))}
    rows.add("cronbach_alpha pairwise (Feldt CI)", "pingouin.cronbach_alpha",
             lambda: pm.cronbach_alpha(items), lambda: pg.cronbach_alpha(items),
             alpha_cmp, compared="alpha; CI to 3 decimals")
    rows.add("item_statistics (alpha.drop, 10 items)", "none",
             lambda: pm.item_statistics(items, with_omega=False))

    fa = _peer("factor_analyzer")
    if fa is None:
        rows.absent("omega_total (one-factor minres)", "factor_analyzer", lambda: pm.omega(items))
    else:
        def fa_omega():
            r = items.corr().to_numpy()
            model = fa.FactorAnalyzer(n_factors=1, rotation=None, method="minres",
                                      is_corr_matrix=True).fit(r)
            lam = model.loadings_[:, 0]
            return 1 - (1 - lam ** 2).sum() / r.sum()
        rows.add("omega_total (one-factor minres)", "factor_analyzer FactorAnalyzer minres",
                 lambda: pm.omega(items), fa_omega, lambda o, p: abs(o.estimate - p))

    five = items.iloc[:, :5]
    semopy = _peer("semopy")
    if semopy is None:
        rows.absent("cfa_one_factor + observed omega", "semopy", lambda: pm.cfa_one_factor(five))
    else:
        def sem():
            complete = five.dropna()
            m = semopy.Model("f =~ " + " + ".join(five.columns))
            m.fit(complete)
            est = m.inspect()
            lam = est[(est["op"] == "~") & (est["rval"] == "f")]["Estimate"].to_numpy(float)
            var = float(est[(est["op"] == "~~") & (est["lval"] == "f")]["Estimate"].iloc[0])
            s = np.cov(complete.to_numpy(), rowvar=False, ddof=0)
            return (lam.sum() * np.sqrt(var)) ** 2 / s.sum()
        rows.add("cfa_one_factor + observed omega", "semopy", lambda: pm.cfa_one_factor(five),
                 sem, lambda o, p: abs(o.omega_observed - p))

    n = len(items)
    rng = np.random.default_rng(7)
    clusters = np.repeat(np.arange(n // 10), 10)
    lam = np.array([0.8, 0.7, 0.7, 0.6, 0.5])
    y = (rng.normal(0, 0.6, (n // 10, 1))[clusters] * lam + rng.normal(0, 0.2, (n // 10, 5))[clusters]
         + rng.normal(size=(n, 1)) * lam + rng.normal(0, 0.7, (n, 5)))
    nested = pd.DataFrame(y, columns=[f"i{j}" for j in range(5)]).assign(cluster=clusters)
    rows.add("multilevel_omega (5 items, clusters of 10)", "none",
             lambda: pm.multilevel_omega(nested, cluster="cluster"))


def suite(n: int) -> dict:
    """The report's statistics core on MCAR data, in this (fresh) process."""
    x = make_ratings(n)
    long = to_long(x)
    items = make_items(n)
    start = time.perf_counter()
    pm.icc(long, single_rated="drop")
    pm.icc(long, incomplete="listwise")
    for level in ("nominal", "ordinal", "interval", "ratio"):
        pm.krippendorff_alpha(long, level=level)
    pm.fleiss_kappa(long)
    pm.gwet_ac1(long)
    pm.gwet_ac2(long)
    pm.cronbach_alpha(items)
    pm.omega(items)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n_targets": n, "seconds": round(seconds, 3), "peak_rss_mb": round(peak, 1)}


def _print_table(results: list[dict]) -> None:
    print(f"{'statistic':46s} {'peer':44s} {'n':>7s} {'ours cpu':>8s} {'peer cpu':>8s} "
          f"{'ratio':>7s} {'wall':>7s} {'goal':>5s} {'max diff':>8s}")
    for r in results:
        peer_s = f"{r['peer_s']:.4f}" if r["peer_s"] is not None else "-"
        speed = f"{r['speedup']:.1f}x" if r["speedup"] is not None else "-"
        wall = f"{r['wall_speedup']:.1f}x" if r["wall_speedup"] is not None else "-"
        goal = f"{r['goal']:g}x" if r["goal"] else "-"
        diff = f"{r['max_abs_diff']:.1e}" if r["max_abs_diff"] is not None else "-"
        print(f"{r['stat'][:46]:46s} {r['peer'][:44]:44s} {r['n_targets']:7d} "
              f"{r['ours_s']:8.4f} {peer_s:>8s} {speed:>7s} {wall:>7s} {goal:>5s} {diff:>8s}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1k and 10k targets")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-suite", action="store_true")
    parser.add_argument("--suite-only", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.suite_only:
        print(json.dumps(suite(args.suite_only)))
        return
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    load = os.getloadavg()[0]
    results, missing, failed = [], set(), {}
    for n in sizes:
        rows = Rows(n, args.repeat)
        agreement_rows(rows, make_ratings(n))
        reliability_rows(rows, make_items(n))
        results += rows.rows
        missing |= rows.missing
        failed.update(rows.failed)
    suite_row = None
    if not args.no_suite:
        proc = subprocess.run([sys.executable, __file__, "--suite-only", str(max(sizes))],
                              capture_output=True, text=True, check=True)
        suite_row = json.loads(proc.stdout.strip().splitlines()[-1])
    _print_table(results)
    if suite_row:
        print(f"report core at {suite_row['n_targets']} targets: {suite_row['seconds']:.2f} s, "
              f"peak RSS {suite_row['peak_rss_mb']:.0f} MB")
    top = [r for r in results if r["n_targets"] == max(sizes)]
    timed = [r for r in top if r["speedup"] is not None]
    below = [r["stat"] for r in timed if r["speedup"] < r["goal"]]
    unequal = [r["stat"] for r in timed if not r["max_abs_diff"] <= EQUAL_TO]
    print(json.dumps({
        "benchmark": "psychometrics", "n_targets": max(sizes), "sizes": sizes,
        "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
        "ratios": {r["stat"]: round(r["speedup"], 2) for r in timed},
        "wall_ratios": {r["stat"]: round(r["wall_speedup"], 2) for r in timed},
        "max_abs_diff": {r["stat"]: float(f"{r['max_abs_diff']:.2g}") for r in timed},
        "ci_rounded_diff": {r["stat"]: r["ci_rounded_diff"] for r in timed
                            if "ci_rounded_diff" in r},
        "below_goal": below, "not_equal_1e-9": unequal,
        "peers_missing": sorted(missing), "peers_failed": failed, "suite": suite_row}))


if __name__ == "__main__":
    main()
