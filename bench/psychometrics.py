"""Benchmark psychometrics against its peers on the same data.

    python bench/psychometrics.py [--quick]

Sizes: 1k, 10k and 100k targets x 5 raters, 10% of ratings missing, scores 1..5 (--quick:
1k and 10k, and pingouin's ICC only at 1k). Peers: pingouin (ICC, Cronbach's alpha), the
`krippendorff` package (alpha at four levels), statsmodels (Fleiss' kappa). pingouin's ICC
needs complete data, so both sides get the targets rated by all five raters. The `suite`
entry times the report core at 100k targets (six ICCs with CIs, Krippendorff's alpha at four
levels, Fleiss, Gwet AC1/AC2, alpha and omega for 10 items) in a fresh process and reports
its peak RSS.

Issue 16 rows (the statistics added for parity with R) time each new statistic from the long
frame a user passes against its fastest Python peer called as its documentation says, the
peer's pivot included: irrCAC's Python port (Conger, Krippendorff with SE, Gwet AC1 and Fleiss
with p-values), statsmodels (Fleiss, Cohen's kappa z), scikit-learn (pairwise Cohen for
Light's kappa), pandas (all-rater agreement), pingouin with nan_policy="omit" (ICC on plain
MCAR data, listwise), semopy (one-factor CFA, observed omega). irrCAC 0.4.4 pins scipy 1.12
and pandas < 3 and semopy needs sympy, so they are not project dependencies: install them
aside (``pip install --no-deps --target DIR irrCAC semopy numdifftools sympy mpmath``) and
pass ``BENCH_EXTRA_PATH=DIR``; a missing peer is reported, not fatal. The last line printed
is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import os

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.extend(p for p in os.environ.get("BENCH_EXTRA_PATH", "").split(os.pathsep) if p)

import psychometrics as pm  # noqa: E402

K = 5


def make_ratings(n: int, seed: int = 0, keep_two: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1)) + rng.normal(0, 0.3, (1, K)) + rng.normal(0, 0.7, (n, K))
    x = np.clip(np.round(latent + 3), 1, 5)
    mask = rng.random((n, K)) < 0.10
    if keep_two:
        mask[mask.sum(axis=1) > K - 2, :2] = False  # every target keeps two ratings
    x[mask] = np.nan
    return x


def make_items(n: int, p: int = 10, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) * rng.uniform(0.5, 0.9, p) + rng.normal(0, 0.6, (n, p))
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(p)])


def to_long(x: np.ndarray) -> pd.DataFrame:
    t, r = np.nonzero(~np.isnan(x))
    return pd.DataFrame({"target": t, "rater": r, "score": x[t, r]})


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def suite(n: int) -> dict:
    x = make_ratings(n)
    long = to_long(x)
    complete_long = to_long(x[~np.isnan(x).any(axis=1)])
    items = make_items(n)
    start = time.perf_counter()
    pm.icc(long)
    pm.icc(complete_long)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        pm.krippendorff_alpha_matrix(x, level=level)
    pm.fleiss_kappa(long)
    pm.gwet_ac1(long)
    pm.gwet_ac2(long)
    pm.cronbach_alpha(items)
    pm.omega(items)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n_targets": n, "seconds": seconds, "peak_rss_mb": peak}


def compare(n: int, with_pingouin_icc: bool) -> list[dict]:
    import krippendorff
    import pingouin as pg
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa as sm_fleiss

    rows = []
    x = make_ratings(n)
    long = to_long(x)
    complete = x[~np.isnan(x).any(axis=1)]
    complete_long = to_long(complete)

    def add(stat, peer, ours_s, peer_s, diff):
        rows.append({"stat": stat, "peer": peer, "n_targets": n, "ours_s": ours_s,
                     "peer_s": peer_s, "speedup": (peer_s / ours_s) if peer_s else None,
                     "max_abs_diff": diff})

    # ICC (six forms with F tests and CIs) vs pingouin, complete targets only.
    ours_s, ours = timed(lambda: pm.icc(complete_long), 3)
    if with_pingouin_icc:
        peer_s, theirs = timed(lambda: pg.intraclass_corr(complete_long, targets="target",
                                                          raters="rater", ratings="score"))
        diff = float(np.max(np.abs(ours.table()["estimate"].to_numpy() - theirs["ICC"])))
        add("ICC (6 forms + CI)", "pingouin.intraclass_corr", ours_s, peer_s, diff)
    else:
        add("ICC (6 forms + CI)", "none (pingouin skipped)", ours_s, None, None)
    # ICC on the incomplete design: no peer computes it.
    ours_s, _ = timed(lambda: pm.icc(long), 3)
    add("ICC incomplete (variance components)", "none", ours_s, None, None)
    # Krippendorff's alpha, four levels, from the same targets x raters array the peer gets.
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours_s, ours = timed(lambda: pm.krippendorff_alpha_matrix(x, level=level), 3)
        peer_s, theirs = timed(lambda: krippendorff.alpha(reliability_data=x.T,
                                                          level_of_measurement=level), 3)
        add(f"krippendorff_alpha {level}", "krippendorff", ours_s, peer_s,
            abs(ours.estimate - theirs))
    # Fleiss' kappa: statsmodels needs the same raters per target -> complete targets.
    ours_s, ours = timed(lambda: pm.fleiss_kappa(complete_long), 3)
    peer_s, theirs = timed(lambda: sm_fleiss(aggregate_raters(complete.astype(int))[0]), 3)
    add("fleiss_kappa", "statsmodels", ours_s, peer_s, abs(ours.estimate - theirs))
    ours_s, _ = timed(lambda: pm.gwet_ac1(long), 3)
    add("gwet_ac1", "none", ours_s, None, None)
    # Cronbach's alpha for 10 items vs pingouin.
    items = make_items(n)
    ours_s, ours = timed(lambda: pm.cronbach_alpha(items), 3)
    peer_s, theirs = timed(lambda: pg.cronbach_alpha(items), 3)
    add("alpha (10 items)", "pingouin.cronbach_alpha", ours_s, peer_s,
        abs(ours.estimate - theirs[0]))
    ours_s, _ = timed(lambda: pm.omega(items), 3)
    add("omega_total (10 items)", "none", ours_s, None, None)
    return rows


def _peer(name: str):
    import importlib
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any import failure means the peer is absent
        return None


def compare_parity(n: int) -> list[dict]:
    """Rows for the statistics issue 16 added, each against its fastest Python peer."""
    from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
    import pingouin as pg
    irrcac = _peer("irrCAC.raw")
    rows = []

    def add(stat, peer, ours_s, peer_s, diff):
        rows.append({"stat": stat, "peer": peer, "n_targets": n, "ours_s": ours_s,
                     "peer_s": peer_s, "speedup": (peer_s / ours_s) if peer_s else None,
                     "max_abs_diff": diff})

    x = make_ratings(n)
    long = to_long(x)
    wide_of = lambda df: df.pivot(index="target", columns="rater", values="score")  # noqa: E731
    # irrCAC's port: coefficient, SE and p from the wide frame it needs (pivot timed).
    for stat, ours_fn, method in [
            ("conger_kappa (+SE, p)", lambda: pm.conger_kappa(long), "conger"),
            ("krippendorff_alpha_gwet nominal (+SE, p)",
             lambda: pm.krippendorff_alpha_gwet(long), "krippendorff"),
            ("gwet_ac1 (+SE, p)", lambda: pm.gwet_ac1(long), "gwet"),
            ("fleiss_kappa (+SE, p)", lambda: pm.fleiss_kappa(long), "fleiss")]:
        ours_s, ours = timed(ours_fn, 3)
        if irrcac is None:
            add(stat, "irrCAC port not installed", ours_s, None, None)
            continue
        # The port counts NaN as a category unless the categories are given.
        peer_s, theirs = timed(lambda: getattr(irrcac.CAC(
            wide_of(long), categories=[1.0, 2.0, 3.0, 4.0, 5.0], digits=15), method)()["est"])
        diff = max(abs(ours.estimate - float(theirs["coefficient_value"])),
                   abs(ours.standard_error - float(theirs["se"])),
                   abs(ours.pvalue - float(theirs["p_value"])))
        add(stat, f"irrCAC.raw.CAC.{method}", ours_s, peer_s, diff)
    complete = x[~np.isnan(x).any(axis=1)]
    complete_long = to_long(complete)
    # irr's kappam.fleiss z test: statsmodels has the estimate (no z), aggregate_raters timed.
    ours_s, ours = timed(lambda: pm.fleiss_kappa_test(complete_long), 3)
    peer_s, theirs = timed(lambda: sm_fleiss(aggregate_raters(
        wide_of(complete_long).to_numpy().astype(int))[0]), 3)
    add("fleiss_kappa_test (z, p, per category)", "statsmodels fleiss_kappa", ours_s, peer_s,
        abs(ours.estimate - theirs))
    # Cohen's kappa with z: statsmodels' cohens_kappa on the crosstab it needs.
    a, b = x[:, 0], x[:, 1]
    ours_s, ours = timed(lambda: pm.cohen_kappa(a, b), 3)

    def sm_cohen():
        keep = ~(np.isnan(a) | np.isnan(b))
        return cohens_kappa(pd.crosstab(a[keep], b[keep]).to_numpy())
    peer_s, theirs = timed(sm_cohen, 3)
    add("cohen_kappa (z, p)", "statsmodels cohens_kappa", ours_s, peer_s,
        max(abs(ours.estimate - theirs.kappa), abs(ours.z - theirs.z_value)))
    # Light's kappa: the mean of scikit-learn's pairwise Cohen kappas on complete targets.
    from sklearn.metrics import cohen_kappa_score
    ours_s, ours = timed(lambda: pm.light_kappa(complete_long), 3)

    def sk_light():
        w = wide_of(complete_long).to_numpy()
        return np.mean([cohen_kappa_score(w[:, i], w[:, j])
                        for i in range(K) for j in range(i + 1, K)])
    peer_s, theirs = timed(sk_light, 3)
    add("light_kappa (z, p)", "sklearn cohen_kappa_score", ours_s, peer_s,
        abs(ours.estimate - theirs))
    ours_s, ours = timed(lambda: pm.all_rater_agreement(long), 3)
    peer_s, theirs = timed(lambda: float((wide_of(long).dropna().nunique(axis=1) == 1).mean()), 3)
    add("all_rater_agreement (irr::agree)", "pandas nunique", ours_s, peer_s,
        abs(ours.estimate - theirs))
    # ICC on plain MCAR data (targets rated once exist): listwise vs pingouin's omit.
    mcar = to_long(make_ratings(n, seed=3, keep_two=False))
    ours_s, ours = timed(lambda: pm.icc(mcar, incomplete="listwise"), 3)
    peer_s, theirs = timed(lambda: pg.intraclass_corr(mcar, targets="target", raters="rater",
                                                      ratings="score", nan_policy="omit"))
    t = ours.table()
    # pingouin rounds its CIs to two decimals, so estimates and F are compared.
    diff = float(max(np.abs(t["estimate"].to_numpy() - theirs["ICC"]).max(),
                     np.abs(t["F"].to_numpy() - theirs["F"]).max()))
    add("ICC listwise on MCAR (6 forms, F, CI)", "pingouin nan_policy=omit", ours_s, peer_s, diff)
    ours_s, ours = timed(lambda: pm.icc(mcar, single_rated="drop"), 3)
    add("ICC design-based on MCAR, rated-once dropped", "none", ours_s, None, None)
    # Alpha with psych's extras (G6, ase, alpha.drop): no Python peer computes them.
    items = make_items(n)
    ours_s, _ = timed(lambda: pm.item_statistics(items, with_omega=False), 3)
    add("alpha.drop table (10 items)", "none", ours_s, None, None)
    semopy = _peer("semopy")
    five = items.iloc[:, :5]
    ours_s, ours = timed(lambda: pm.cfa_one_factor(five), 3)
    if semopy is None:
        add("cfa_one_factor + observed omega", "semopy not installed", ours_s, None, None)
    else:
        def sem():
            m = semopy.Model("f =~ " + " + ".join(five.columns))
            m.fit(five)
            est = m.inspect()
            lam = est[(est["op"] == "~") & (est["rval"] == "f")]["Estimate"].to_numpy(float)
            var = float(est[(est["op"] == "~~") & (est["lval"] == "f")]["Estimate"].iloc[0])
            s = np.cov(five.to_numpy(), rowvar=False, ddof=0)
            return (lam.sum() * np.sqrt(var)) ** 2 / s.sum()
        peer_s, theirs = timed(sem)
        add("cfa_one_factor + observed omega", "semopy", ours_s, peer_s,
            abs(ours.omega_observed - theirs))
    rng = np.random.default_rng(7)
    clusters = np.repeat(np.arange(n // 10), 10)
    lam = np.array([0.8, 0.7, 0.7, 0.6, 0.5])
    y = (rng.normal(0, 0.6, (n // 10, 1))[clusters] * lam + rng.normal(0, 0.2, (n // 10, 5))[clusters]
         + rng.normal(size=(n, 1)) * lam + rng.normal(0, 0.7, (n, 5)))
    nested = pd.DataFrame(y, columns=[f"i{j}" for j in range(5)]).assign(cluster=clusters)
    ours_s, _ = timed(lambda: pm.multilevel_omega(nested, cluster="cluster"))
    add("multilevel_omega (5 items, clusters of 10)", "none", ours_s, None, None)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--suite-only", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.suite_only:
        print(json.dumps(suite(args.suite_only)))
        return
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    results = []
    for n in sizes:
        results += compare(n, with_pingouin_icc=(n <= 1_000) if args.quick else True)
    for n in ([10_000] if args.quick else [100_000]):
        results += compare_parity(n)
    proc = subprocess.run([sys.executable, __file__, "--suite-only", "100000"],
                          capture_output=True, text=True, check=True)
    suite_row = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{'statistic':40s} {'peer':28s} {'n':>7s} {'ours s':>9s} {'peer s':>9s} "
          f"{'speedup':>8s} {'max diff':>9s}")
    for r in results:
        peer_s = f"{r['peer_s']:.4f}" if r["peer_s"] is not None else "-"
        speed = f"{r['speedup']:.1f}x" if r["speedup"] is not None else "-"
        diff = f"{r['max_abs_diff']:.1e}" if r["max_abs_diff"] is not None else "-"
        print(f"{r['stat']:40s} {r['peer']:28s} {r['n_targets']:7d} {r['ours_s']:9.4f} "
              f"{peer_s:>9s} {speed:>8s} {diff:>9s}")
    print(f"report core at {suite_row['n_targets']} targets: {suite_row['seconds']:.2f} s, "
          f"peak RSS {suite_row['peak_rss_mb']:.0f} MB")
    print(json.dumps({"benchmark": "psychometrics", "quick": args.quick, "results": results,
                      "suite": suite_row}))


if __name__ == "__main__":
    main()
