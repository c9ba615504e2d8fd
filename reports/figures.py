"""The report's plots, grouped, and for every kind of plot not drawn, the reason."""

from . import plots
from .cells import cell

MAX_HEATMAP_RATERS = 8


def figure_groups(report) -> tuple[list[dict], list[dict]]:
    """Groups of plots ({"title", "svgs", "collapsed"}; each plot states its n, CI and method),
    and for every kind of plot not drawn, the reason ({"title", "reason"})."""
    groups, missing = [], []
    for title, build in (("Score distributions", _distribution_figures),
                         ("LLM against the mean human (scatter, Bland-Altman)", _agreement_figures),
                         ("Rater-by-rater agreement", _heatmap_figures),
                         ("Calibration (reliability diagrams)", _calibration_figures),
                         ("Item-total correlations", _item_total_figures),
                         ("Robustness: perturbed against base run", _robustness_figures)):
        built = build(report)
        if isinstance(built, str):
            missing.append({"title": title, "reason": built})
        else:
            groups += built
    return groups, missing


def _score_codes(report) -> list[str]:
    return list(report.get("score_distributions", {}).get("scales", {}))


def _distribution_figures(report):
    section = report.get("score_distributions", {})
    item_level = section.get("level") == "item"
    svgs = [plots.score_distributions(sources, title=f"Score distribution: {scale}", method=section["method"],
                                      x_label="item score" if item_level else "scale score")
            for scale, sources in section.get("scales", {}).items()
            if any(s["values"] for s in sources.values())]
    if not svgs:
        return ("No submitted ratings of this instrument yet." if not report["n_targets"] else
                "No score could be computed from the ratings (too few items answered for any scale's "
                "min_answered).")
    title = "Score distributions" + (" (items: the instrument defines no subscales)" if item_level else "")
    return [{"title": title, "svgs": svgs}]


def _agreement_figures(report):
    out = []
    if not report["llm_vs_human"]["llm"]:
        return "No LLM rater in this study, so there is nothing to plot against the humans."
    for llm, measures in report["llm_vs_human"]["llm"].items():
        for code in _score_codes(report):
            result = measures.get(code, {})
            if "error" in result or len(result.get("points", [])) < 2:
                continue
            a = result["against_mean_human"]
            stats_line = (f"n = {a['n']}; ICC2 {cell(a['ICC2'])}\nPearson {cell(a['pearson_r'])}"
                          .replace(f" (n={a['n']})", "") + "\nICC2: McGraw & Wong (1996); r: Fisher CI")
            out.append({"title": f"{llm}: {code}",
                        "svgs": [plots.scatter_identity(result["points"], title=f"{llm} vs humans: {code}",
                                                        stats_line=stats_line),
                                 plots.bland_altman_plot(result["points"], a["bland_altman"],
                                                         title=f"Bland-Altman: {code}")]})
    return out or "No target has both an LLM score and a human score."


def _heatmap_figures(report):
    section = report["llm_vs_human"]
    if "human_vs_human_omitted" in section:
        return "Not drawn: " + section["human_vs_human_omitted"]
    raters = report["raters"]["human"] + list(section["llm"])
    if len(raters) > MAX_HEATMAP_RATERS:
        return (f"Not drawn: {len(raters)} raters are too many for a legible heat map (at most "
                f"{MAX_HEATMAP_RATERS}); tables 1 and 3 give the distribution over rater pairs.")
    svgs = []
    for code in _score_codes(report):
        cells = {(p["rater_a"], p["rater_b"]): p["ICC2"] for p in section["human_vs_human"].get(code, [])}
        for llm, measures in section["llm"].items():
            for human, pair in measures.get(code, {}).get("against_each_human", {}).items():
                cells[(llm, human)] = pair["ICC2"]
        if len(raters) >= 2 and any("estimate" in c for c in cells.values()):
            svgs.append(plots.agreement_heatmap(
                raters, cells, title=f"Rater-by-rater agreement: {code}",
                method="ICC(A,1) = ICC2 of each pair on the targets both rated (McGraw & Wong, 1996); "
                       "95% CI; LLM: expected scores"))
    if not svgs:
        return (f"No pair of raters shares at least {report['rating_design']['min_shared_targets']} targets with "
                "a computable ICC.")
    return [{"title": "Rater-by-rater agreement", "svgs": svgs}]


def _robustness_figures(report):
    svgs = []
    codes = _score_codes(report)
    for rater, run in report.get("robustness", {}).get("runs", {}).items():
        for code, m in run.get("measures", {}).items():
            if code in codes and len(m.get("points", [])) >= 2:
                shift = m["mean_absolute_shift"]
                svgs.append(plots.scatter_identity(
                    m["points"], x_key="base", y_key="perturbed", x_label=f"{run['base_rater']} (base run)",
                    y_label=f"{run['kind']} run", title=f"Robustness, {run['kind']}: {code}",
                    stats_line=f"n = {m['n']}; ICC2 {cell(m['ICC2'])}\nmean absolute shift {cell(shift)}"
                               "\nICC2: McGraw & Wong (1996); shift: t interval"))
    if not svgs:
        return report.get("robustness", {}).get("note") or "No robustness run has scores to plot."
    return [{"title": "Robustness: perturbed against base run", "svgs": svgs}]


def _calibration_figures(report):
    out, reasons = [], []
    for llm, measures in report["llm_vs_human"]["llm"].items():
        svgs = [plots.calibration_diagram(m["calibration"]["expected_calibration_error"],
                                          title=f"Calibration of {llm}: {code}")
                for code, m in measures.items()
                if "expected_calibration_error" in m.get("calibration", {})
                and "bins" in m["calibration"]["expected_calibration_error"]]
        if svgs:
            out.append({"title": f"Calibration (reliability diagrams): {llm}", "svgs": svgs, "collapsed": True})
        else:
            errors = [m["calibration"]["error"] for m in measures.values() if "error" in m.get("calibration", {})]
            reasons.append(f"{llm}: {errors[0] if errors else 'no item has a computable calibration'}")
    if not report["llm_vs_human"]["llm"]:
        return "No LLM rater in this study."
    return out or " ".join(reasons)


def _item_total_figures(report):
    section = report["internal_consistency"]
    groups = [("human raters", section["human"])] + [(f"LLM {r}", g) for r, g in section["llm"].items()]
    svgs = []
    for label, group in groups:
        scales = [(s, e) for s, e in group["scales"].items() if "r_drop" in e.get("item_statistics", {})]
        if scales:
            scale, entry = max(scales, key=lambda pair: len(pair[1]["items"]))
            svgs.append(plots.item_total_bars(entry["item_statistics"]["r_drop"], n=entry["alpha"].get("n") or 0,
                                              title=f"Item-total correlations: {label}, {scale}"))
    if not svgs:
        return "No scale has three or more items with computable item-total correlations."
    return [{"title": "Item-total correlations", "svgs": svgs}]
