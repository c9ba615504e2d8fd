"""``python -m psychometrics stand-in FILE``: the stand-in verdicts of a long CSV with a
``rater_kind`` column (human or llm)."""
from __future__ import annotations

import argparse

import pandas as pd

from .alt_test import DEFAULT_EPSILON
from .analysis import stand_in_analysis


def stand_in_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("stand-in (long CSV: target, rater, rater_kind, score[, item])")
    group.add_argument("--rater-kind", default="rater_kind", help="column saying human or llm")
    group.add_argument("--item", default=None, help="item column (one analysis per item)")
    # --cluster (the per-target cluster column, e.g. patient) is the main parser's, shared with reliability
    group.add_argument("--probability", default=None, help="per-target inclusion probability column")
    group.add_argument("--level", default="interval", choices=("nominal", "ordinal", "interval", "ratio"))
    group.add_argument("--epsilon", type=float, default=DEFAULT_EPSILON,
                       help="alt-test margin: 0.2 experts, 0.15 skilled, 0.1 crowd workers")
    group.add_argument("--seed", type=int, default=0)


def stand_in(df: pd.DataFrame, args) -> dict:
    item = args.item if args.item else ("item" if "item" in df.columns else None)
    result = stand_in_analysis(df, target=args.target, rater=args.rater, score=args.score, kind=args.rater_kind,
                               item=item, cluster=args.cluster, probability=args.probability, level=args.level,
                               epsilon=args.epsilon, n_boot=args.n_boot or 1000, seed=args.seed)
    if args.format == "json":
        return result
    rows = [{"llm": llm, "score": code, "passes": entry["passes"], "winning_rate": entry["winning_rate"],
             "epsilon": entry["epsilon"], "sentence": entry["sentence"]}
            for llm, items in result["llm"].items() for code, entry in items.items()]
    return {"stand-in": pd.DataFrame(rows).set_index(["llm", "score"])}
