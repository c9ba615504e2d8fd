"""Command line: ``python -m psychometrics reliability|agreement|validity FILE.csv``."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

import pandas as pd

from . import (all_rater_agreement, bland_altman, cfa_one_factor, cohen_kappa, conger_kappa,
               cronbach_alpha, fleiss_kappa, fleiss_kappa_test, gwet_ac1, gwet_ac2, icc,
               item_statistics, kendall_tau, krippendorff_alpha, krippendorff_alpha_gwet,
               light_kappa, mean_absolute_error, multilevel_omega, omega, pearson_r,
               percent_agreement, spearman_rho)
from ._base import _jsonable
from .stand_in.cli import stand_in, stand_in_arguments


def _try(results: dict, name: str, fn: Callable[[], object]) -> None:
    """Run one statistic; a statistic that does not apply is reported, not fatal."""
    try:
        results[name] = fn()
    except ValueError as exc:
        results[name] = {"error": str(exc)}


def reliability(df: pd.DataFrame, args) -> dict:
    cluster = getattr(args, "cluster", None)
    if cluster and cluster not in df.columns:
        raise ValueError(f"Cluster column {cluster!r} is not in the file "
                         f"(columns: {list(df.columns)}).")
    items = df.drop(columns=[cluster] if cluster else []).select_dtypes("number")
    const = getattr(args, "constant_items", "refuse")
    out: dict = {}
    _try(out, "alpha", lambda: cronbach_alpha(items, constant_items=const))
    _try(out, "omega_total", lambda: omega(items))
    if args.factors and args.factors > 1:
        _try(out, "omega_schmid_leiman", lambda: omega(items, n_factors=args.factors))
    _try(out, "cfa_one_factor", lambda: cfa_one_factor(items))
    _try(out, "item_statistics", lambda: item_statistics(items, constant_items=const))
    if cluster:
        _try(out, "multilevel_omega",
             lambda: multilevel_omega(df, cluster=cluster, items=list(items.columns)))
    return out


def to_long(df: pd.DataFrame, args) -> tuple[pd.DataFrame, str]:
    """The agreement input as a long (target, rater, score) frame, and a note on the layout.

    A long file has the target, rater and score columns; a wide file has one column per
    rater (every column but the target column, if there is one) and one row per target.
    """
    names = (args.target, args.rater, args.score)
    layout = getattr(args, "layout", "auto")
    has_long = args.rater in df.columns and args.score in df.columns
    if layout == "long" or (layout == "auto" and has_long):
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise ValueError(f"A long agreement file needs the columns {list(names)} "
                             f"(missing {missing}; got {list(df.columns)}). Rename them with "
                             "--target/--rater/--score, or pass a wide file (one column per "
                             "rater) with --layout wide.")
        return df, "long"
    if args.target not in df.columns and layout != "wide":
        raise ValueError(f"This file has no {args.rater!r}/{args.score!r} columns, so it is not "
                         "a long agreement file (target, rater, score), and no "
                         f"{args.target!r} column naming the targets of a wide file (one "
                         f"column per rater). Columns: {list(df.columns)}. Pass --target "
                         "COLUMN for the column that names the targets, or --layout wide if "
                         "each row is a target and every column a rater.")
    wide = df.set_index(args.target) if args.target in df.columns else df.rename_axis(args.target)
    if wide.shape[1] < 2:
        raise ValueError("Agreement needs a long file with the columns "
                         f"{list(names)} or a wide file with one column per rater (and an "
                         f"optional {args.target!r} column); got columns {list(df.columns)}.")
    long = (wide.reset_index().melt(id_vars=args.target, var_name=args.rater,
                                    value_name=args.score).dropna(subset=[args.score]))
    return long, (f"wide: {wide.shape[1]} rater columns {list(map(str, wide.columns))}, "
                  f"{wide.shape[0]} targets" + ("" if args.target in df.columns
                                                else " (rows numbered as targets)"))


def agreement(df: pd.DataFrame, args) -> dict:
    df, layout = to_long(df, args)
    cols = dict(target=args.target, rater=args.rater, score=args.score)
    out: dict = {"layout": layout}
    single = "drop" if getattr(args, "drop_single_rated", False) else "error"
    _try(out, "icc", lambda: icc(df, incomplete=getattr(args, "icc_incomplete", "design"),
                                 single_rated=single, **cols))
    for level in ("nominal", "ordinal", "interval", "ratio"):
        _try(out, f"krippendorff_alpha_{level}",
             lambda level=level: krippendorff_alpha(df, level=level, n_boot=args.n_boot, **cols))
    for level in ("nominal", "interval"):
        _try(out, f"krippendorff_alpha_{level}_se",
             lambda level=level: krippendorff_alpha_gwet(df, level=level, **cols))
    _try(out, "fleiss_kappa", lambda: fleiss_kappa(df, **cols))
    _try(out, "fleiss_kappa_test", lambda: fleiss_kappa_test(df, **cols))
    _try(out, "conger_kappa", lambda: conger_kappa(df, **cols))
    _try(out, "light_kappa", lambda: light_kappa(df, **cols))
    _try(out, "gwet_ac1", lambda: gwet_ac1(df, **cols))
    _try(out, "gwet_ac2", lambda: gwet_ac2(df, **cols))
    _try(out, "percent_agreement", lambda: percent_agreement(df, **cols))
    _try(out, "all_rater_agreement",
         lambda: all_rater_agreement(df, tolerance=getattr(args, "tolerance", 0), **cols))
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
        elif isinstance(res, str):
            lines.append(f"{label:34s} {res}")
        elif hasattr(res, "estimate") and hasattr(res, "ci_low"):
            lines.append(f"{label:34s} {res.estimate: .4f}  [{res.ci_low: .4f}, "
                         f"{res.ci_high: .4f}]  n={res.n}  {res.method}")
        elif hasattr(res, "estimate"):
            lines.append(f"{label:34s} {res.estimate: .4f}  z={res.z: .3f}  p={res.pvalue:.3g}  "
                         f"n={res.n}  {res.method}")
        else:
            d = res.to_dict()
            lines.append(f"{label}: " + ", ".join(f"{k}={v}" for k, v in d.items()
                                                   if not isinstance(v, (dict, list))))
            lines.extend(f"{label} warning: {w}" for w in d.get("warnings") or [])
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m psychometrics",
        description="Reliability (wide: observations x items), agreement (long: target, "
                    "rater, score columns; or wide: one column per rater, one row per target) "
                    "or validity (wide: one score column per source) of a CSV.")
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
    parser.add_argument("--layout", choices=("auto", "long", "wide"), default="auto",
                        help="agreement file layout: long (target, rater, score) or wide (one "
                             "column per rater); auto: long when the rater and score columns "
                             "exist")
    parser.add_argument("--drop-single-rated", action="store_true",
                        help="ICC: drop targets rated only once (the count is reported)")
    parser.add_argument("--icc-incomplete", choices=("design", "listwise"), default="design",
                        help="ICC: use every rating (incomplete-design estimators) or only "
                             "targets rated by every rater")
    parser.add_argument("--tolerance", type=float, default=0,
                        help="all-rater agreement: largest score range counted as agreement")
    parser.add_argument("--cluster", default=None,
                        help="cluster column: reliability's multilevel omega (observations "
                             "nested in clusters), stand-in's cluster bootstrap (e.g. patient)")
    parser.add_argument("--constant-items", choices=("refuse", "drop"), default="refuse",
                        help="reliability: refuse constant items (default) or drop them as "
                             "psych::alpha does")
    stand_in_arguments(parser)
    args = parser.parse_args(argv)
    try:
        df = pd.read_csv(args.file)
        if args.analysis == "reliability" and args.target in df.columns \
                and args.target != args.cluster:
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
