"""Benchmark scale development (selection inside grouped repeated CV, bootstrap optimism).

    python bench/scale_development.py [--quick]

Data: `simulate_pool` — a 120-item pool (8 items load .7-.8 on a factor that correlates .5
with the criterion, 112 noise items), 1,000 targets in 200 clusters, answers 1..5 (--quick:
60 items, 300 targets in 60 clusters, 5 repetitions). Ours: `develop_scale` with k = 8 and
20 repetitions of 3-fold grouped CV (the CV alone, with one bootstrap sample), the same with
200 bootstrap samples, and with k chosen in 3..20. Baseline, measured in the same run: the
same CV done naively with library calls per fold — one-factor loadings from
`psychometrics.omega` (general minres optimiser), each item's criterion r from
`pingouin.corr`, the test fold's alpha from `pingouin.cronbach_alpha`, omega from
`psychometrics.omega`, validity from `pingouin.corr` — on the same folds; the max difference of
the cross-validated means checks that both compute the same thing. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psychometrics as pm  # noqa: E402
from psychometrics.scale_development import SelectionRule, cluster_codes, develop_scale, grouped_folds  # noqa: E402
from psychometrics.scale_development.simulate import simulate_pool  # noqa: E402

K = 8
SEED = 3


def naive_cv(items: pd.DataFrame, y: pd.Series, clusters, n_folds: int, n_repeats: int) -> dict:
    """Repeated grouped CV of 'top k by |loading|, keyed by sign', recomputing with library calls."""
    codes = cluster_codes(clusters, len(items))
    rng = np.random.default_rng(SEED)
    out = {"omega_total": [], "alpha": [], "r:criterion": []}
    for _ in range(n_repeats):
        fold = grouped_folds(codes, n_folds, rng)
        for f in range(n_folds):
            train, test = items[fold != f], items[fold == f]
            loadings = pd.Series(pm.omega(train).g_loadings)
            for code in items.columns:  # each item's validity, as a screening table would show it
                pg.corr(train[code], y[fold != f])
            chosen = loadings.abs().sort_values(ascending=False, kind="stable").index[:K]
            keyed = test[chosen] * np.sign(loadings[chosen])
            out["omega_total"].append(pm.omega(keyed).omega_total)
            out["alpha"].append(pg.cronbach_alpha(keyed)[0])
            out["r:criterion"].append(pg.corr(keyed.mean(axis=1), y[fold == f])["r"].iloc[0])
    return {k: float(np.mean(v)) for k, v in out.items()}


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_items, n_targets, n_clusters, n_repeats, n_boot = (60, 300, 60, 5, 50) if args.quick else (120, 1000, 200, 20, 200)
    items, criteria, clusters, true = simulate_pool(n_targets=n_targets, n_clusters=n_clusters, n_items=n_items,
                                                    points=5, seed=1)
    rule = SelectionRule(k=K, criterion="criterion")
    run = lambda rule, boots: develop_scale(items, criteria, rule=rule, clusters=clusters, n_folds=3,  # noqa: E731
                                            n_repeats=n_repeats, n_boot=boots, seed=SEED)
    cv_s, cv = timed(lambda: run(rule, 1))
    full_s, full = timed(lambda: run(rule, n_boot))
    choose_rule = SelectionRule(criterion="criterion", k_min=3, k_max=20)
    choose_s, chosen = timed(lambda: run(choose_rule, n_boot))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base_s, base = timed(lambda: naive_cv(items, criteria["criterion"], clusters, 3, n_repeats))
    diff = max(abs(base[m] - cv.cross_validated[m]) for m in base)
    rows = [
        ("ours: CV only (k=8)", cv_s, None),
        (f"ours: CV + {n_boot} bootstrap (k=8)", full_s, None),
        (f"ours: CV over k=3..20 + {n_boot} bootstrap", choose_s, None),
        ("baseline: naive CV (k=8)", base_s, None),
    ]
    print(f"{n_items}-item pool, {n_targets} targets in {n_clusters} clusters, {n_repeats} x 3-fold CV")
    print(f"{'run':44s} {'seconds':>9s}")
    for name, seconds, _ in rows:
        print(f"{name:44s} {seconds:9.2f}")
    speedup = base_s / cv_s
    print(f"speedup of the CV over the naive baseline: {speedup:.1f}x; max |difference| of CV means: {diff:.1e}")
    print(f"selected (k=8): {', '.join(full.selected)}; true items recovered: "
          f"{len(set(full.selected) & set(true))}/{len(true)}; chosen k = {chosen.k}")
    print("apparent / corrected r: " f"{full.apparent['r:criterion']:.3f} / {full.corrected['r:criterion']:.3f}")
    print(json.dumps({
        "benchmark": "scale_development", "quick": args.quick, "n_items": n_items, "n_targets": n_targets,
        "n_clusters": n_clusters, "n_folds": 3, "n_repeats": n_repeats, "n_boot": n_boot,
        "seconds": {"cv_k8": cv_s, "cv_bootstrap_k8": full_s, "cv_choose_k_bootstrap": choose_s,
                    "baseline_naive_cv_k8": base_s},
        "speedup_cv_vs_baseline": speedup, "max_abs_diff_cv_means": diff,
        "true_items_recovered": len(set(full.selected) & set(true)), "chosen_k": chosen.k,
    }))


if __name__ == "__main__":
    main()
