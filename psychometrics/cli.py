"""Command line: ``python -m psychometrics reliability|agreement|validity FILE.csv``."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

import pandas as pd

from . import (bland_altman, cfa_one_factor, cohen_kappa, cronbach_alpha, fleiss_kappa,
               gwet_ac1, gwet_ac2, icc, item_statistics, kendall_tau, krippendorff_alpha,
               mean_absolute_error, omega, pearson_r, percent_agreement, spearman_rho)
from ._base import _jsonable
from .stand_in.cli import stand_in, stand_in_arguments


def _try(results: dict, name: str, fn: Callable[[], object]) -> None:
    """Run one statistic; a statistic that does not apply is reported, not fatal."""
    try:
        results[name] = fn()
    except ValueError as exc:
        results[name] = {"error": str(exc)}


def reliability(df: pd.DataFrame, args) -> dict:
    items = df.select_dtypes("number")
    out: dict = {}
    _try(out, "alpha", lambda: cronbach_alpha(items))
    _try(out, "omega_total", lambda: omega(items))
    if args.factors and args.factors > 1:
        _try(out, "omega_schmid_leiman", lambda: omega(items, n_factors=args.factors))
    _try(out, "cfa_one_factor", lambda: cfa_one_factor(items))
    _try(out, "item_statistics", lambda: item_statistics(items))
    return out


def agreement(df: pd.DataFrame, args) -> dict:
    cols = dict(target=args.target, rater=args.rater, score=args.score)
    out: dict = {}
    _try(out, "icc", lambda: icc(df, **cols))
    for level in ("nominal", "ordinal", "interval", "ratio"):
        _try(out, f"krippendorff_alpha_{level}",
             lambda level=level: krippendorff_alpha(df, level=level, n_boot=args.n_boot, **cols))
    _try(out, "fleiss_kappa", lambda: fleiss_kappa(df, **cols))
    _try(out, "gwet_ac1", lambda: gwet_ac1(df, **cols))
    _try(out, "gwet_ac2", lambda: gwet_ac2(df, **cols))
    _try(out, "percent_agreement", lambda: percent_agreement(df, **cols))
    raters = df[args.rater].dropna().unique()
    if len(raters) == 2:
        wide = df.pivot(index=args.target, columns=args.rater, values=args.score)
        for w in ("none", "linear", "quadratic"):
            _try(out, f"cohen_kappa_{w}",
                 lambda w=w: cohen_kappa(wide[raters[0]], wide[raters[1]], weights=w))
    return out


def validity(df: pd.DataFrame, args) -> dict:
    num = df.select_dtypes("number")
    if args.target in num.columns:
        num = num.drop(columns=[args.target])
    if num.shape[1] < 2:
        raise ValueError("Validity needs at least two numeric score columns.")
    out: dict = {}
    cols = list(num.columns)
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            x, y = num[a], num[b]
            pair: dict = {}
            _try(pair, "pearson_r", lambda: pearson_r(x, y))
            _try(pair, "spearman_rho", lambda: spearman_rho(x, y))
            _try(pair, "kendall_tau", lambda: kendall_tau(x, y))
            _try(pair, "bland_altman", lambda: bland_altman(x, y))
            _try(pair, "mean_absolute_error", lambda: mean_absolute_error(x, y))
            out[f"{a} vs {b}"] = pair
    return out


def _table(results: dict, prefix: str = "") -> list[str]:
    lines = []
    for name, res in results.items():
        label = f"{prefix}{name}"
        if isinstance(res, pd.DataFrame):
            lines.append(f"{label}:")
            lines.append(res.to_string())
        elif hasattr(res, "table"):
            lines.append(f"{label}:  ({res.method})")
            lines.append(res.table()[["estimate", "ci_low", "ci_high", "F", "pvalue"]]
                         .to_string())
        elif isinstance(res, dict) and "error" in res:
            lines.append(f"{label:34s} not computed: {res['error']}")
        elif isinstance(res, dict):
            lines.extend(_table(res, prefix=f"{label} / "))
        elif hasattr(res, "estimate"):
            lines.append(f"{label:34s} {res.estimate: .4f}  [{res.ci_low: .4f}, "
                         f"{res.ci_high: .4f}]  n={res.n}  {res.method}")
        else:
            d = res.to_dict()
            lines.append(f"{label}: " + ", ".join(f"{k}={v}" for k, v in d.items()
                                                   if not isinstance(v, (dict, list))))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m psychometrics",
        description="Reliability (wide: observations x items), agreement (long: target, "
                    "rater, score) or validity (wide: one score column per source) of a CSV.")
    parser.add_argument("analysis", choices=("reliability", "agreement", "validity", "stand-in"))
    parser.add_argument("file", help="CSV file")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--target", default="target", help="target id column")
    parser.add_argument("--rater", default="rater", help="rater id column (agreement)")
    parser.add_argument("--score", default="score", help="score column (agreement)")
    parser.add_argument("--factors", type=int, default=0,
                        help="group factors for omega hierarchical (reliability)")
    parser.add_argument("--n-boot", type=int, default=0,
                        help="bootstrap resamples for Krippendorff's alpha intervals")
    stand_in_arguments(parser)
    args = parser.parse_args(argv)
    try:
        df = pd.read_csv(args.file)
        if args.analysis == "reliability" and args.target in df.columns:
            df = df.set_index(args.target)
        results = {"reliability": reliability, "agreement": agreement,
                   "validity": validity, "stand-in": stand_in}[args.analysis](df, args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(_jsonable(results), indent=2, allow_nan=False))
    else:
        print("\n".join(_table(results)))
    return 0
