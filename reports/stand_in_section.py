"""Report section "Can the LLM stand in for humans?" (issue 15).

Per LLM rater (Anchor's own and imported outside judges: every ``Rater.kind == "llm"``) and
per item and scale score: the human ceiling (the LLM's agreement with the humans next to each
human's leave-one-out agreement), the alternative annotator test, and for scale scores the
prediction-powered mean and criterion correlations; then one sentence with its numbers. The
human-rated targets are taken as a random sample unless the study's latest sampling plan
(targets drawn by LLM uncertainty) covers them, in which case they are weighted by
1/probability; the assumption is stated in the output.
"""

import warnings

import numpy as np
import pandas as pd
from django.conf import settings

from psychometrics.stand_in import (DEFAULT_ALPHA, EPSILON_GUIDE, MIN_HUMANS, MIN_TARGETS_PER_HUMAN,
                                    alt_test, human_ceiling, ppi_correlation, ppi_mean, verdict_sentence)
from psychometrics._base import one_blas_thread
from psychometrics.stand_in._resample import resampling
from ratings.models import SamplingPlan

from . import frames
from .stats import attempt, jsonable

TITLE = "Can the LLM stand in for humans?"
DEFAULT_EPSILON = 0.2


def _probabilities(data, targets: pd.Index) -> tuple[pd.Series | None, str]:
    """Inclusion probabilities of the latest sampling plan, when it covers every target the
    human ratings came from and no human rated a target the plan left undrawn."""
    plan = SamplingPlan.objects.filter(study=data.study, instrument_version=data.version).first()
    if plan is None:
        return None, "no sampling plan: the human-rated targets are taken as a random sample"
    pi = pd.Series(plan.probabilities, dtype=float).reindex(targets)
    human_rated = set(data.items.loc[data.items["rater_kind"] == "human", "target"])
    drawn = set(plan.selected) | {t for t, p in plan.probabilities.items() if p >= 1}
    outside = sorted(t for t in human_rated if t not in drawn and t in pi.index)
    waiting = sorted(t for t in plan.selected if t not in human_rated)
    if pi.isna().any() or outside:
        return None, (f"sampling plan {plan.pk} does not cover every target (or humans rated targets it did "
                      "not draw): the human-rated targets are taken as a random sample")
    if waiting:
        return None, (f"sampling plan {plan.pk}: {len(waiting)} of its {len(plan.selected)} drawn targets have no "
                      "human rating yet; until they do, the human-rated targets are taken as a random sample")
    return pi, f"sampling plan {plan.pk} ({plan.method}): human ratings weighted by 1/probability"


def _pivot(frame: pd.DataFrame, values: str, targets) -> pd.DataFrame:
    """targets x raters of one measure: ``frame.pivot_table(index="target", columns="rater",
    values=values, aggfunc="first")`` (first non-missing value, all-missing raters dropped,
    sorted), by groupby and unstack."""
    first = frame.groupby(["target", "rater"], sort=False)[values].first()
    wide = first.unstack("rater").dropna(axis=1, how="all").sort_index(axis=1)
    return wide.reindex(targets)


class _Wide:
    """Every item and scale score as targets x raters tables, one per measure, pivoted when first
    asked for: the long frames are split by measure once (not filtered per measure and rater),
    and no table spans every measure x rater (10,000 columns with 1,000 raters)."""

    def __init__(self, data, targets):
        items = data.items.assign(value=data.items["expected_score"].fillna(data.items["score"]))
        self._rows = {"item": dict(tuple(items.groupby("item", sort=False))),
                      "scale": dict(tuple(data.scales.groupby(["scale", "basis"], sort=False)))}
        self._tables = {}
        self.humans, self.targets = list(data.humans), targets

    def _block(self, kind_of, key, values):
        if (kind_of, key, values) not in self._tables:
            rows = self._rows[kind_of].get(key)
            self._tables[kind_of, key, values] = (pd.DataFrame(index=self.targets) if rows is None
                                                  else _pivot(rows, values, self.targets))
        return self._tables[kind_of, key, values]

    def humans_matrix(self, kind_of, code):
        block = (self._block("item", code, "score") if kind_of == "item"
                 else self._block("scale", (code, "mode"), "score"))
        return block[[h for h in self.humans if h in block.columns]]

    def llm(self, kind_of, code, level, llm):
        nominal = level == "nominal"
        if kind_of == "item":
            block = self._block("item", code, "score" if nominal else "value")
        else:
            block = self._block("scale", (code, "mode" if nominal else "expected"), "score")
        return block[llm] if llm in block.columns else None


def _measure(data, kind_of, code, level, llm, ctx) -> dict | None:
    humans = ctx["wide"].humans_matrix(kind_of, code)
    values = ctx["wide"].llm(kind_of, code, level, llm)
    if values is None or values.notna().sum() == 0:
        return None
    f = values.to_numpy(dtype=float)
    h = humans.to_numpy(dtype=float)
    names = list(humans.columns)
    entry = {"kind": kind_of, "level": level, "n_humans": len(names),
             "human_ceiling": attempt(lambda: human_ceiling(h, f, human_names=names, level=level,
                                                            resample=ctx["resample"]))
             if len(names) >= 2 else {"error": f"The human ceiling needs two human raters, got {len(names)}."},
             "alt_test": attempt(lambda: alt_test(h, f, human_names=names, epsilon=ctx["epsilon"],
                                                  alpha=ctx["alpha"],
                                                  alignment="accuracy" if level == "nominal" else "neg_rmse"))}
    alt = entry["alt_test"]
    for name in ("winning_rate", "advantage_probability", "epsilon", "passes"):
        entry[name] = alt.get(name) if "error" not in alt else (ctx["epsilon"] if name == "epsilon" else None)
    if kind_of == "scale":
        entry["ppi"] = _ppi(data, h, f, ctx)
    return entry


def _ppi(data, h, f, ctx) -> dict:
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing row is NaN, as meant
        y = np.nanmean(h, axis=1) if h.shape[1] else np.full(len(f), np.nan)
    pi = ctx["pi"]
    out = {"human_score": "mean of the humans' scale scores per target",
           "mean": attempt(lambda: ppi_mean(y, f, inclusion_probability=pi))}
    if ctx["clusters"] is not None:
        out["mean_clustered"] = attempt(lambda: ppi_mean(y, f, clusters=ctx["clusters"], inclusion_probability=pi))
    out["criteria"] = {}
    for column in ctx["criteria"]:
        c = data.targets[column].reindex(ctx["targets"]).to_numpy(dtype=float)
        entry = {"pearson_r": attempt(lambda: ppi_correlation(y, f, c, inclusion_probability=pi,
                                                              resample=ctx["plain_resample"]))}
        if ctx["clusters"] is not None:
            entry["pearson_r_clustered"] = attempt(lambda: ppi_correlation(
                y, f, c, clusters=ctx["clusters"], inclusion_probability=pi, resample=ctx["resample"]))
        out["criteria"][column.split(":", 1)[1]] = entry
    return out


def _context(data, options) -> dict:
    targets = data.targets.index
    cluster = data.targets["cluster"]
    clusters = cluster.to_numpy(dtype=object) if cluster.notna().any() else None
    n_boot = min(options.get("n_boot", 1000), 1000)
    seed = options.get("seed", 0)
    plain = resampling(len(targets), n_boot=n_boot, seed=seed)
    pi, sampling = _probabilities(data, targets)
    return {"targets": targets, "clusters": clusters, "plain_resample": plain, "wide": _Wide(data, targets),
            "resample": resampling(len(targets), n_boot=n_boot, seed=seed, clusters=clusters)
            if clusters is not None else plain,
            "pi": None if pi is None else pi.to_numpy(dtype=float), "sampling": sampling,
            "epsilon": float(options.get("epsilon") or getattr(settings, "ANCHOR_STAND_IN_EPSILON", DEFAULT_EPSILON)),
            "alpha": DEFAULT_ALPHA, "criteria": frames.criterion_columns(data.targets.reset_index()),
            "n_boot": n_boot}


def _main_scale(data) -> str | None:
    scales = list(data.spec.subscales)
    return max(scales, key=lambda s: len(s.items)).code if scales else None


def _rater_summary(rater, measures, main, short=False) -> str:
    entry = measures.get(main) if main else None
    if entry is None:
        entry = next(iter(measures.values()), None)
    if entry is None:
        return f"{rater}: no scores shared with the humans"
    name = main or "score"
    ppi = entry.get("ppi", {}).get("mean")
    return verdict_sentence(rater, f"{name} score", ceiling=entry["human_ceiling"], alt=entry["alt_test"], ppi=ppi,
                            unit="targets", short=short)


def section_stand_in(data, options: dict) -> dict | None:
    """The section for the report's ``Data``; None when the study has no LLM rater."""
    if not data.llms:
        return None
    with one_blas_thread():
        return _section(data, options)


def _section(data, options: dict) -> dict:
    ctx = _context(data, options)
    main = _main_scale(data)
    human_rated = int(data.items.loc[data.items["rater_kind"] == "human", "target"].nunique())
    out = {"title": TITLE,
           "settings": {"epsilon": ctx["epsilon"], "epsilon_guide": EPSILON_GUIDE, "alpha": ctx["alpha"],
                        "minimum_sizes": {"human_raters": MIN_HUMANS, "targets_per_human": MIN_TARGETS_PER_HUMAN,
                                          "humans_per_target": 2},
                        "n_boot": ctx["n_boot"], "bootstrap_level": ctx["resample"].level},
           "sampling": ctx["sampling"],
           "assumption": ("the human-rated targets were drawn with the recorded inclusion probabilities"
                          if ctx["pi"] is not None else "the human-rated targets are a random sample of the targets"),
           "n_human_rated_targets": human_rated, "main_scale": main, "llm": {}}
    for llm in data.llms:
        measures = {}
        for kind_of, code, level in data.measures():
            entry = _measure(data, kind_of, code, level, llm, ctx)
            if entry is not None:
                entry["sentence"] = verdict_sentence(llm, code, ceiling=entry["human_ceiling"], alt=entry["alt_test"],
                                                     ppi=entry.get("ppi", {}).get("mean"))
                measures[code] = entry
        out["llm"][llm] = {"summary": _rater_summary(llm, measures, main), "measures": measures,
                           "short": _rater_summary(llm, measures, main, short=True)}
    where = f" (on the {main} score)" if main else ""
    out["headline"] = f"{TITLE}{where} " + " | ".join(v.pop("short") for v in out["llm"].values())
    return jsonable(out)


# --- tables for the HTML page and the CSV zip ----------------------------------------------

HEADERS = ["measure", "LLM agreement (human range)", "rank", "LLM - human (per human, CI)",
           "alt-test: passes", "winning rate ω", "advantage ρ", "ε", "human-only mean [CI]",
           "LLM-only mean (biased)", "PPI mean [CI]", "CI width ratio", "effective n", "sentence"]


def _f(value, digits=3):
    return "—" if value is None else f"{value:.{digits}f}"


def _ci(entry):
    if not entry or "error" in entry:
        return f"not computed: {entry['error']}" if entry else ""
    return f"{_f(entry['estimate'])} [{_f(entry.get('ci_low'))}, {_f(entry.get('ci_high'))}] (n={entry['n']})"


def _row(code, m):
    c, a = m["human_ceiling"], m["alt_test"]
    if "error" in c:
        ceiling = [f"not computed: {c['error']}", "", ""]
    else:
        values = list(c["human_agreements"].values())
        ceiling = [f"LLM {_f(c['llm_agreement'])}, humans {_f(min(values))}–{_f(max(values))} ({c['statistic']})",
                   f"{c['rank']} of {c['n_ranked']}" + (" (below every human)" if c["below_every_human"] else ""),
                   "; ".join(f"{x['human']}: {_f(x['estimate'])} [{_f(x['ci_low'])}, {_f(x['ci_high'])}]"
                             for x in c["comparisons"])]
    if "error" in a:
        alt = [f"not computed: {a['error']}", "", "", _f(m["epsilon"], 2)]
    elif a["passes"] is None:
        alt = [f"no verdict: {a['reason']}", "", "", _f(a["epsilon"], 2)]
    else:
        alt = ["passes" if a["passes"] else "does not pass", _f(a["winning_rate"], 2),
               _f(a["advantage_probability"], 2), _f(a["epsilon"], 2)]
    p = m.get("ppi", {}).get("mean")
    if p is None:
        ppi = ["", "", "", "", ""]
    elif "error" in p:
        ppi = [f"not computed: {p['error']}", "", "", "", ""]
    else:
        ppi = [_ci(p["human_only"]), _f(p["llm_only"]["estimate"]), _ci(p), _f(p["width_ratio"], 2),
               _f(p["effective_n"], 0)]
    return [code, *ceiling, *alt, *ppi, m["sentence"]]


def _criteria_rows(section):
    rows = []
    for llm, entry in section["llm"].items():
        for code, m in entry["measures"].items():
            for criterion, c in m.get("ppi", {}).get("criteria", {}).items():
                for key in ("pearson_r", "pearson_r_clustered"):
                    r = c.get(key)
                    if r is None:
                        continue
                    if "error" in r:
                        rows.append([llm, code, criterion, key, f"not computed: {r['error']}", "", "", "", ""])
                        continue
                    rows.append([llm, code, criterion, "clustered" if key.endswith("clustered") else "targets",
                                 _ci(r["human_only"]), _f(r["llm_only"]["estimate"]), _ci(r),
                                 _f(r["width_ratio"], 2), _f(r["effective_n"], 0)])
    return rows


def stand_in_tables(report: dict) -> list[dict]:
    section = report.get("stand_in")
    if not section:
        return []
    s = section["settings"]
    note = (f"Assumption: {section['assumption']} ({section['sampling']}). alt-test: Calderon, Reichart & Dror "
            f"(2025), ε {s['epsilon']:g} ({s['epsilon_guide']}), Benjamini-Yekutieli at {s['alpha']}; needs "
            f"{s['minimum_sizes']['human_raters']} human raters with {s['minimum_sizes']['targets_per_human']} "
            "shared targets each. PPI++ (Angelopoulos et al. 2023); effective n = human ratings the PPI interval "
            "is worth. The LLM-only figure is biased by the LLM's errors and has no valid interval.")
    tables = [{"title": f"9. {TITLE} LLM {llm}", "headers": HEADERS,
               "rows": [_row(code, m) for code, m in entry["measures"].items()],
               "note": f"{entry['summary']}. {note}"} for llm, entry in section["llm"].items()]
    rows = _criteria_rows(section)
    if rows:
        tables.append({"title": f"9. {TITLE} Criterion correlations (PPI)",
                       "headers": ["LLM", "scale", "criterion", "resampling", "human-only r [CI]", "LLM-only r (biased)",
                                   "PPI r [CI]", "CI width ratio", "effective n"], "rows": rows, "note": note})
    return tables
