"""Benchmark psychometrics against its peers on the same data.

    python bench/psychometrics.py [--quick]

Sizes: 1k, 10k and 100k targets x 5 raters, 10% of ratings missing, scores 1..5 (--quick:
1k and 10k, and pingouin's ICC only at 1k). Peers: pingouin (ICC, Cronbach's alpha), the
`krippendorff` package (alpha at four levels), statsmodels (Fleiss' kappa). pingouin's ICC
needs complete data, so both sides get the targets rated by all five raters. The `suite`
entry times the report core at 100k targets (six ICCs with CIs, Krippendorff's alpha at four
levels, Fleiss, Gwet AC1/AC2, alpha and omega for 10 items) in a fresh process and reports
its peak RSS. The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psychometrics as pm  # noqa: E402

K = 5


def make_ratings(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1)) + rng.normal(0, 0.3, (1, K)) + rng.normal(0, 0.7, (n, K))
    x = np.clip(np.round(latent + 3), 1, 5)
    mask = rng.random((n, K)) < 0.10
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
