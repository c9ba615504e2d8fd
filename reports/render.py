"""The report dict rendered as CSV (every figure, full precision) and standalone HTML."""

import io
import json
import zipfile

from django.template.loader import render_to_string
from django.utils.text import slugify

from config.csv_safe import csv_table_text, csv_text

from . import plots
from .novelty import novelty_tables
from .item_analysis_section import item_analysis_tables
from .stand_in_section import stand_in_tables

CSV_COLUMNS = ["section", "path", "estimate", "ci_low", "ci_high", "n", "method", "error"]


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, allow_nan=False)


def _figures(node, path=()):
    """Every figure in the report: dicts with an ``estimate`` or an ``error``, with their path."""
    if isinstance(node, dict):
        if "estimate" in node or "error" in node:
            yield path, node
        for key, value in node.items():
            if isinstance(value, (dict, list)) and key not in ("points",):
                yield from _figures(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            label = (f"{value['rater_a']}~{value['rater_b']}" if isinstance(value, dict)
                     and "rater_a" in value else str(i))
            yield from _figures(value, (*path, label))


def render_csv(report: dict) -> str:
    """One row per figure: its section, where it sits, estimate, CI, n, method or error."""
    rows = ({**{c: figure.get(c) for c in CSV_COLUMNS}, "section": path[0], "path": "/".join(path[1:])}
            for path, figure in _figures({k: v for k, v in report.items() if isinstance(v, dict)}) if path)
    return csv_text(rows, CSV_COLUMNS)


def render_table_csvs(report: dict) -> dict[str, str]:
    """Every table of the report as its own CSV (file name -> text), as shown on the page, plus
    ``figures.csv`` with every figure at full precision."""
    files = {"figures.csv": render_csv(report)}
    for number, table in enumerate(report_context(report, with_plots=False)["tables"], start=1):
        rows = [*table["rows"], *([[f"note: {table['note']}"]] if table["note"] else [])]
        files[f"{number:02d}-{slugify(table['title'])[:80]}.csv"] = csv_table_text(table["headers"], rows)
    return files


def render_csv_zip(report: dict) -> bytes:
    """The CSV of every table in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in render_table_csvs(report).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def cell(figure: dict | None) -> str:
    """A figure as text: estimate [CI] (n), or the sentence saying why there is none."""
    if not figure:
        return ""
    if "error" in figure:
        return f"not computed: {figure['error']}"
    text = "—" if figure.get("estimate") is None else f"{figure['estimate']:.3f}"
    if figure.get("ci_low") is not None and figure.get("ci_high") is not None:
        text += f" [{figure['ci_low']:.3f}, {figure['ci_high']:.3f}]"
    if figure.get("n") is not None:
        text += f" (n={figure['n']})"
    return text


def _table(title, headers, rows, note=""):
    return {"title": title, "headers": headers, "rows": rows, "note": note}


def _reliability_tables(report):
    section = report["human_reliability"]
    rows = []
    for kind in ("items", "scales"):
        for code, entry in section[kind].items():
            icc = entry["icc"]
            forms = icc.get("forms", {})
            kappas = "; ".join(f"{k['rater_a']}~{k['rater_b']}: {cell(k)}"
                               for k in entry.get("cohen_kappa_pairs", []))
            rows.append([code, entry["level"], icc.get("design", ""), icc.get("n_targets", ""),
                         icc.get("n_raters", ""),
                         cell(forms.get("ICC2")) if forms else cell(icc), cell(forms.get("ICC3")),
                         cell(forms.get("ICC2k")), cell(entry["krippendorff_alpha"]), kappas])
    return [_table("1. Human panel reliability",
                   ["measure", "level", "design", "targets", "raters", "ICC2 = ICC(A,1)",
                    "ICC3 = ICC(C,1)", "ICC2k = ICC(A,k)", "Krippendorff alpha (bootstrap CI)",
                    "weighted kappa per pair (quadratic; none for nominal)"], rows,
                   "ICC: McGraw & Wong (1996) forms, 95% CI; all six forms are in the JSON.")]


def _rmsea_ci(cfa: dict) -> str:
    low, high = cfa.get("rmsea_ci_low"), cfa.get("rmsea_ci_high")
    return f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""


def _consistency_tables(report):
    section = report["internal_consistency"]
    groups = [("human raters", section["human"])] + [(f"LLM {r}", g) for r, g in section["llm"].items()]
    rows = []
    for label, group in groups:
        for scale, entry in group["scales"].items():
            cfa = entry.get("cfa_one_factor", {})
            fit = (f"CFI {cfa['cfi']:.3f}, TLI {cfa['tli']:.3f}, RMSEA {cfa['rmsea']:.3f}"
                   f"{_rmsea_ci(cfa)}, SRMR {cfa['srmr']:.3f} (n={cfa.get('n')}; {cfa.get('method', '')})" if cfa and "error" not in cfa and cfa.get("cfi") is not None
                   else cell(cfa) if cfa else "")
            omega_h = entry.get("omega_hierarchical", {})
            rows.append([label, scale, len(entry["items"]), cell(entry["alpha"]),
                         cell(entry["omega"]),
                         (f"{omega_h['omega_hierarchical']:.3f} (omega total {omega_h['omega_total']:.3f}, "
                          f"{omega_h['n_factors']} group factors, n={omega_h['n']})"
                          if omega_h.get("omega_hierarchical") is not None else cell(omega_h)), fit])
    return [_table("2. Internal consistency", ["raters", "scale", "items", "alpha (Feldt CI)",
                                               "omega total", "omega hierarchical (subscales as groups)",
                                               "one-factor CFA fit"], rows,
                   "Item-total correlations and alpha-if-dropped are in the JSON and CSV.")]


def _agreement_row(code, result):
    if "error" in result:
        return [code, result["error"], "", "", "", "", "", "", ""]
    a = result["against_mean_human"]
    ba = a["bland_altman"]
    loa = (f"bias {ba['estimate']:.3f}, LoA [{ba['loa_low']:.3f}, {ba['loa_high']:.3f}]"
           if "error" not in ba else cell(ba))
    each = "; ".join(f"{h}: {cell(v['ICC2'])}" for h, v in result["against_each_human"].items())
    calibration = result.get("calibration", {})
    calib = (cell(calibration) if "error" in calibration else
             f"Brier {cell(calibration['brier_score'])}; "
             f"ECE {cell(calibration['expected_calibration_error'])}" if calibration else "")
    return [code, a["n"], cell(a["ICC2"]), cell(a["pearson_r"]), cell(a["spearman_rho"]),
            cell(a["mean_absolute_error"]), loa, each, calib]


def _llm_tables(report):
    section = report["llm_vs_human"]
    tables = []
    pairs = [[code, "; ".join(f"{p['rater_a']}~{p['rater_b']}: {cell(p['ICC2'])}" for p in ps)]
             for code, ps in section["human_vs_human"].items()]
    tables.append(_table("3. Human against human (ICC2 per pair)", ["measure", "ICC2"], pairs))
    for llm, measures in section["llm"].items():
        rows = [_agreement_row(code, result) for code, result in measures.items()]
        tables.append(_table(f"3. LLM {llm} against the mean human (expected score)",
                             ["measure", "n", "ICC2 = ICC(A,1)", "Pearson r", "Spearman rho",
                              "MAE", "Bland-Altman", "ICC2 against each human",
                              "calibration against the human modal answer"], rows))
    for llm, measures in report["metric_sensitivity"]["llm"].items():
        rows = []
        for code, pair in measures.items():
            row = [code]
            for stat in ("ICC2", "pearson_r", "mean_absolute_error"):
                for basis in ("mode", "expected"):
                    row.append(cell(pair[basis].get(stat, pair[basis])))
            rows.append(row)
        tables.append(_table(f"4. Metric sensitivity: LLM {llm}, mode vs expected score",
                             ["measure", "ICC2 mode", "ICC2 expected", "r mode", "r expected",
                              "MAE mode", "MAE expected"], rows))
    return tables


def _validity_tables(report):
    section = report["criterion_validity"]
    rows = []
    for scale, sources in section["scales"].items():
        for source, criteria in sources.items():
            for criterion, entry in criteria.items():
                rows.append([scale, source, criterion, cell(entry["pearson_r"]),
                             cell(entry.get("cluster_bootstrap")), cell(entry["disattenuated_r"])])
    note = ("Disattenuated with the score's reliability (human mean: ICC2k; LLM: alpha); "
            f"criterion reliability {section['criterion_reliability']}.")
    if section["cluster_field_used"]:
        note += f" Cluster bootstrap over '{report['cluster_field']}'."
    return [_table("5. Criterion validity", ["scale", "scores", "criterion", "Pearson r (Fisher CI)",
                                             "cluster bootstrap CI", "disattenuated r"], rows, note)]


def _robustness_tables(report):
    section = report.get("robustness", {})
    tables = []
    for rater, run in section.get("runs", {}).items():
        if "error" in run:
            rows = [["", run["error"], "", "", "", ""]]
        else:
            rows = []
            for code, m in run["measures"].items():
                shift = m["mean_shift"]
                signed = (f"{cell(shift)}; LoA [{shift['loa_low']:.3f}, {shift['loa_high']:.3f}]"
                          if "error" not in shift and shift.get("loa_low") is not None else cell(shift))
                rows.append([code, m["n"], cell(m["ICC2"]), cell(m["pearson_r"]),
                             cell(m["mean_absolute_shift"]), signed])
        tables.append(_table(f"6. Robustness: {run['kind']} ({rater} against {run['base_rater']})",
                             ["measure", "n", "ICC2 = ICC(A,1)", "Pearson r", "mean absolute shift",
                              "mean shift (perturbed - base)"], rows,
                             f"This perturbation {run['expectation']}. Configuration: "
                             f"{json.dumps(run['perturbation'])[:300]}. Method: {section['method']}."))
    if not tables:
        tables.append(_table("6. Robustness of the LLM rater", ["status"], [[section.get("note", "")]]))
    return tables


def _missing_table(report):
    missing = report["missing"]
    rows = [[k, json.dumps(v) if isinstance(v, (dict, list)) else v]
            for k, v in missing.items() if k != "note"]
    return [_table("7. Missing and failed", ["count", "value"], rows, missing["note"])]


def _figures_svg(report):
    """Groups of plots: {"title", "svgs"}; each plot states its n, CI and method."""
    return (_distribution_figures(report) + _agreement_figures(report) + _heatmap_figures(report)
            + _calibration_figures(report) + _item_total_figures(report) + _robustness_figures(report))


def _distribution_figures(report):
    section = report.get("score_distributions", {})
    svgs = [plots.score_distributions(sources, title=f"Score distribution: {scale}", method=section["method"])
            for scale, sources in section.get("scales", {}).items()
            if any(s["values"] for s in sources.values())]
    return [{"title": "Score distributions", "svgs": svgs}] if svgs else []


def _agreement_figures(report):
    out = []
    for llm, measures in report["llm_vs_human"]["llm"].items():
        for code in report["human_reliability"]["scales"]:
            result = measures.get(code, {})
            if "error" in result or len(result.get("points", [])) < 2:
                continue
            a = result["against_mean_human"]
            stats_line = (f"n = {a['n']}; ICC2 {cell(a['ICC2'])}; Pearson {cell(a['pearson_r'])}"
                          .replace(f" (n={a['n']})", "") + "\nICC2: McGraw & Wong (1996); r: Fisher CI")
            out.append({"title": f"{llm}: {code}",
                        "svgs": [plots.scatter_identity(result["points"], title=f"{llm} vs humans: {code}",
                                                        stats_line=stats_line),
                                 plots.bland_altman_plot(result["points"], a["bland_altman"],
                                                         title=f"Bland-Altman: {code}")]})
    return out


def _heatmap_figures(report):
    section = report["llm_vs_human"]
    humans = report["raters"]["human"]
    raters = humans + list(section["llm"])
    svgs = []
    for code in report["human_reliability"]["scales"]:
        cells = {(p["rater_a"], p["rater_b"]): p["ICC2"] for p in section["human_vs_human"].get(code, [])}
        for llm, measures in section["llm"].items():
            for human, pair in measures.get(code, {}).get("against_each_human", {}).items():
                cells[(llm, human)] = pair["ICC2"]
        if len(raters) >= 2 and any("estimate" in c for c in cells.values()):
            svgs.append(plots.agreement_heatmap(
                raters, cells, title=f"Rater-by-rater agreement: {code}",
                method="ICC(A,1) = ICC2 of each pair on the targets both rated (McGraw & Wong, 1996); "
                       "95% CI; LLM: expected scores"))
    return [{"title": "Rater-by-rater agreement", "svgs": svgs}] if svgs else []


def _robustness_figures(report):
    svgs = []
    for rater, run in report.get("robustness", {}).get("runs", {}).items():
        for code, m in run.get("measures", {}).items():
            if code in report["human_reliability"]["scales"] and len(m.get("points", [])) >= 2:
                shift = m["mean_absolute_shift"]
                svgs.append(plots.scatter_identity(
                    m["points"], x_key="base", y_key="perturbed", x_label=f"{run['base_rater']} (base run)",
                    y_label=f"{run['kind']} run", title=f"Robustness, {run['kind']}: {code}",
                    stats_line=f"n = {m['n']}; ICC2 {cell(m['ICC2'])}\nmean absolute shift {cell(shift)}"
                               "\nICC2: McGraw & Wong (1996); shift: t interval"))
    return [{"title": "Robustness: perturbed against base run", "svgs": svgs}] if svgs else []


def _calibration_figures(report):
    out = []
    for llm, measures in report["llm_vs_human"]["llm"].items():
        svgs = [plots.calibration_diagram(m["calibration"]["expected_calibration_error"],
                                          title=f"Calibration of {llm}: {code}")
                for code, m in measures.items()
                if "expected_calibration_error" in m.get("calibration", {})
                and "bins" in m["calibration"]["expected_calibration_error"]]
        if svgs:
            out.append({"title": f"Calibration (reliability diagrams): {llm}", "svgs": svgs})
    return out


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
    return [{"title": "Item-total correlations", "svgs": svgs}] if svgs else []


def report_context(report: dict, *, with_plots: bool = True) -> dict:
    tables = (_reliability_tables(report) + _consistency_tables(report) + _llm_tables(report)
              + _validity_tables(report) + _robustness_tables(report) + novelty_tables(report, cell)
              + _missing_table(report) + item_analysis_tables(report) + stand_in_tables(report))
    return {"report": report, "tables": tables, "figures": _figures_svg(report) if with_plots else []}


def render_html(report: dict, *, tables_url: str | None = None) -> str:
    """A standalone HTML document: inline CSS and inline SVG, no external assets. On the web
    page, ``tables_url`` links the zip of CSV tables."""
    return render_to_string("reports/report.html", {**report_context(report), "tables_url": tables_url})
