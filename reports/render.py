"""The report dict rendered as CSV (every figure, full precision) and standalone HTML."""

import io
import json
import zipfile

from django.template.loader import render_to_string
from django.utils.text import slugify

from common.csv_safe import csv_table_text, csv_text

from .cells import cell
from .coding_render import coding_tables
from .json_text import dumps_indented
from .item_analysis_section import item_analysis_tables
from .multilevel import multilevel_tables
from .novelty import novelty_tables
from .reliability import LEAD_FORMS, NOT_PAIRED, summary_text
from .stand_in_section import stand_in_tables

CSV_COLUMNS = ["section", "path", "estimate", "ci_low", "ci_high", "n", "method", "error"]


def render_json(report: dict) -> str:
    """``json.dumps(report, indent=2, allow_nan=False)`` (`dumps_indented`: the same text, with
    long lists of numbers encoded in C)."""
    return dumps_indented(report, indent=2)


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


TABLE_CSV_COLUMNS = ["statistic", "estimate", "ci_low", "ci_high", "n", "method", "error", "out_of_range",
                     "warnings"]


def _is_figure(value) -> bool:
    return isinstance(value, dict) and ("estimate" in value or "error" in value)


def table_csv_text(table: dict) -> str:
    """One table as CSV. A table of figures is written long: the row's label cells, then one
    row per figure with numeric ``estimate``, ``ci_low``, ``ci_high`` and ``n`` (numbers, so no
    spreadsheet reads them as formulas), its method, error and range note. A table without
    figures is written as shown."""
    rows = table["cells"]
    if not any(_is_figure(v) for row in rows for v in row):
        body = [[cell(v) if isinstance(v, dict) else v for v in row] for row in rows]
        note = [[f"note: {table['note']}"]] if table["note"] else []
        return csv_table_text(table["headers"], [*body, *note])
    labels = table["headers"][:table["labels"]]
    records = []
    for row in rows:
        for header, value in zip(table["headers"][table["labels"]:], row[table["labels"]:]):
            if _is_figure(value):
                records.append([*row[:table["labels"]], header,
                                *[value.get(c) for c in ("estimate", "ci_low", "ci_high", "n", "method", "error",
                                                         "out_of_range")],
                                " ".join(value.get("warnings", []))])
    return csv_table_text([*labels, *TABLE_CSV_COLUMNS], records)


def render_table_csvs(report: dict) -> dict[str, str]:
    """Every table of the report as its own CSV (file name -> text), plus ``figures.csv`` with
    every figure at full precision."""
    files = {"figures.csv": render_csv(report)}
    for number, table in enumerate(report_context(report, with_plots=False)["tables"], start=1):
        files[f"{number:02d}-{slugify(table['title'])[:80]}.csv"] = table_csv_text(table)
    return files


def render_csv_zip(report: dict) -> bytes:
    """The CSV of every table in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in render_table_csvs(report).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _table(title, headers, rows, note="", *, labels=1, empty="", warnings=()):
    """A table: ``rows`` hold text or figure dicts (shown with `cell`); ``labels`` leading
    columns name the row; ``empty`` says why a table has no rows."""
    return {"title": title, "headers": headers, "cells": rows, "note": note, "labels": labels,
            "empty": empty if not rows else "", "warnings": list(dict.fromkeys(warnings))}


def _warnings_of(*figures) -> list[str]:
    return [w for f in figures if isinstance(f, dict) for w in f.get("warnings", [])]


def _pairs_text(pairs: list[dict], summary: dict, key: str | None = None) -> str:
    if summary and not summary.get("listed", True):
        return summary_text(summary)
    text = "; ".join(f"{p['rater_a']}~{p['rater_b']}: {cell(p[key] if key else p)}" for p in pairs)
    return text or (summary_text(summary) if summary else "")


def _reliability_tables(report):
    section = report["human_reliability"]
    design = section["design"]
    one_way = design["design"] == "one-way"
    rows, warnings = [], list(design.get("warnings", []))
    for kind in ("items", "scales"):
        for code, entry in section[kind].items():
            icc = entry["icc"]
            forms = icc.get("forms", {})
            warnings += icc.get("warnings", [])
            lead = [forms.get(name) if forms else icc for name in LEAD_FORMS["one-way" if one_way else "crossed"]]
            if one_way:
                per = icc.get("ratings_per_target") or {}
                rows.append([code, entry["level"], icc.get("n_targets", ""),
                             f"{per.get('min')}-{per.get('max')} (harmonic mean {icc['k_harmonic']:.2f})"
                             if per else "", *lead, entry["krippendorff_alpha"]])
            else:
                kappas = (_pairs_text(entry.get("cohen_kappa_pairs", []), entry.get("cohen_kappa_pairs_summary"))
                          if kind == "items" else "")
                rows.append([code, entry["level"], icc.get("layout", ""), icc.get("n_targets", ""),
                             icc.get("n_raters", ""), *lead, entry["krippendorff_alpha"], kappas])
    note = (f"Design: {design['statement']} ICC: McGraw & Wong (1996) forms, 95% CI; all six forms are in the "
            "JSON, marked fits_design. Krippendorff's alpha does not depend on rater identity.")
    if one_way:
        headers = ["measure", "level", "targets", "ratings per target", "ICC(1) single rating",
                   "ICC(1,k) mean of a target's ratings", "Krippendorff alpha (bootstrap CI)"]
        note += " Rater pairs: " + NOT_PAIRED
    else:
        headers = ["measure", "level", "layout", "targets", "raters", "ICC2 = ICC(A,1)", "ICC3 = ICC(C,1)",
                   "ICC2k = ICC(A,k)", "Krippendorff alpha (bootstrap CI)",
                   f"weighted kappa per pair sharing >= {design['min_shared_targets']} targets "
                   "(quadratic; none for nominal)"]
    return [_table("1. Human panel reliability", headers, rows, note, warnings=warnings,
                   empty="The instrument has no items.")]


def _rmsea_ci(cfa: dict) -> str:
    low, high = cfa.get("rmsea_ci_low"), cfa.get("rmsea_ci_high")
    return f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""


def _cfa_text(cfa: dict) -> str:
    if not cfa:
        return ""
    if "error" in cfa or cfa.get("cfi") is None:
        return cell(cfa)
    text = (f"CFI {cfa['cfi']:.3f}, TLI {cfa['tli']:.3f}, RMSEA {cfa['rmsea']:.3f}{_rmsea_ci(cfa)}, "
            f"SRMR {cfa['srmr']:.3f} (n={cfa.get('n')}; {cfa.get('method', '')})")
    for note in (cfa.get("out_of_range") or {}).values():
        text += f" — {note}"
    return text + _fit_note(cfa)


def _fit_note(figure: dict) -> str:
    """A factor fit's problems (a Heywood case) after its figure."""
    return "".join(f" — {problem}" for problem in figure.get("fit_problems", []))


def _omega_h_text(omega_h: dict) -> str:
    if omega_h.get("omega_hierarchical") is None:
        return cell(omega_h)
    return (f"{omega_h['omega_hierarchical']:.3f} (omega total {omega_h['omega_total']:.3f}, "
            f"{omega_h['n_factors']} group factors, n={omega_h['n']})" + _fit_note(omega_h))


def _consistency_tables(report):
    section = report["internal_consistency"]
    groups = [("human raters", section["human"])] + [(f"LLM {r}", g) for r, g in section["llm"].items()]
    rows, warnings = [], []
    for label, group in groups:
        for scale, entry in group["scales"].items():
            cfa, omega_h = entry.get("cfa_one_factor", {}), entry.get("omega_hierarchical", {})
            warnings += _warnings_of(entry["omega"], omega_h, cfa)
            # the omega cell stays a figure (numeric CSV columns): its fit problems go with the warnings
            warnings += [f"{label}, {scale}, omega total: {problem}" for problem in entry["omega"].get("fit_problems", [])]
            rows.append([label, scale, len(entry["items"]), entry["alpha"], entry["omega"], _omega_h_text(omega_h),
                         _cfa_text(cfa)])
    note = "Item-total correlations and alpha-if-dropped are in the JSON and CSV."
    if section.get("level") == "item":
        note = ("The instrument defines no subscales: its items are analysed as one set (all_items); per-item "
                "statistics (r.drop, alpha and omega if dropped) are in the JSON. " + note)
    return [_table("2. Internal consistency", ["raters", "scale", "items", "alpha (Feldt CI)", "omega total",
                                               "omega hierarchical (subscales as groups)", "one-factor CFA fit"],
                   rows, note, labels=2, warnings=warnings,
                   empty="No scale has two or more items with ratings, so no internal consistency is computed.")]


def _each_human_text(result: dict) -> str:
    if "against_each_human_omitted" in result:
        return "not compared: " + result["against_each_human_omitted"]
    summary = result.get("each_human_summary")
    if summary and not summary.get("listed", True):
        return summary_text(summary)
    text = "; ".join(f"{h}: {cell(v['ICC2'])}" for h, v in result.get("against_each_human", {}).items())
    return text or (summary_text(summary) if summary else "")


def _agreement_row(code, result):
    if "error" in result:
        return [code, result["error"], "", "", "", "", "", "", ""]
    a = result["against_mean_human"]
    ba = a["bland_altman"]
    loa = (f"bias {ba['estimate']:.3f}, LoA [{ba['loa_low']:.3f}, {ba['loa_high']:.3f}]"
           if "error" not in ba else cell(ba))
    calibration = result.get("calibration", {})
    calib = (cell(calibration) if "error" in calibration else
             f"Brier {cell(calibration['brier_score'])}; "
             f"ECE {cell(calibration['expected_calibration_error'])}" if calibration else "")
    return [code, a["n"], a["ICC2"], a["pearson_r"], a["spearman_rho"], a["mean_absolute_error"], loa,
            _each_human_text(result), calib]


def _llm_tables(report):
    section = report["llm_vs_human"]
    provenance = report["raters"].get("llm_provenance", {})
    tables = []
    if "human_vs_human_omitted" in section:
        tables.append(_table("3. Human against human (ICC2 per pair)", ["measure", "ICC2"],
                             [["all", "not compared: " + section["human_vs_human_omitted"]]]))
    else:
        pairs = [[code, _pairs_text(ps, section.get("human_vs_human_summary", {}).get(code), key="ICC2")]
                 for code, ps in section["human_vs_human"].items()]
        tables.append(_table("3. Human against human (ICC2 per pair)", ["measure", "ICC2"], pairs,
                             f"Pairs that share at least {report['rating_design']['min_shared_targets']} targets; "
                             "beyond 28 pairs, their distribution.",
                             empty="No measure has human ratings."))
    if not section["llm"]:
        tables.append(_table("3. LLM against the mean human", ["status"], [],
                             empty="No LLM rater has rated this study's targets with this instrument: score it "
                                   "(manage.py score STUDY) or import an outside judge (--rater-kind llm)."))
    for llm, measures in section["llm"].items():
        rows = [_agreement_row(code, result) for code, result in measures.items()]
        origin = provenance.get(llm, {}).get("text", "")
        tables.append(_table(f"3. LLM {llm} against the mean human (expected score)",
                             ["measure", "n", "ICC2 = ICC(A,1)", "Pearson r", "Spearman rho",
                              "MAE", "Bland-Altman", "ICC2 against each human",
                              "calibration against the human modal answer"], rows,
                             f"Provenance: {origin}." if origin else ""))
    for llm, measures in report["metric_sensitivity"]["llm"].items():
        rows = []
        for code, pair in measures.items():
            row = [code]
            for stat in ("ICC2", "pearson_r", "mean_absolute_error"):
                for basis in ("mode", "expected"):
                    row.append(pair[basis].get(stat, pair[basis]))
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
                rows.append([scale, source, criterion, entry["pearson_r"],
                             entry.get("cluster_bootstrap", ""), entry["disattenuated_r"]])
    note = ("Disattenuated with the score's reliability (human mean: ICC(A,k) in a crossed design, ICC(1,k) "
            f"in a one-way one; LLM: alpha); criterion reliability {section['criterion_reliability']}.")
    if section.get("level") == "item":
        note = "The instrument defines no subscales: item scores are correlated with the criteria. " + note
    if section["cluster_field_used"]:
        note += f" Cluster bootstrap over '{report['cluster_field']}'."
    empty = ("The study's targets carry no outcome criteria (a column criterion:NAME in the targets file), so "
             "there is nothing to validate against." if not section["criteria"] else
             "No score could be correlated with the criteria.")
    return [_table("5. Criterion validity", ["scale", "scores", "criterion", "Pearson r (Fisher CI)",
                                             "cluster bootstrap CI", "disattenuated r"], rows, note, labels=3,
                   empty=empty)]


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
                rows.append([code, m["n"], m["ICC2"], m["pearson_r"], m["mean_absolute_shift"], signed])
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


def _display(table: dict) -> dict:
    rows = [[cell(v) if isinstance(v, dict) else ("" if v is None else v) for v in row] for row in table["cells"]]
    return {**table, "rows": rows}


def report_context(report: dict, *, with_plots: bool = True) -> dict:
    if report.get("kind") == "coding":
        tables = [_display(t) for t in coding_tables(report)]
        return {"report": report, "tables": tables, "figures": [], "missing_figures": []}
    tables = (_reliability_tables(report) + _consistency_tables(report) + multilevel_tables(report)
              + _llm_tables(report) + _validity_tables(report) + _robustness_tables(report) + novelty_tables(report, lambda f: f)
              + _missing_table(report) + item_analysis_tables(report) + stand_in_tables(report))
    tables = [_display({"cells": t["rows"], "labels": 1, "empty": "", "warnings": [], **t}
                       if "cells" not in t else t) for t in tables]
    if not with_plots:
        return {"report": report, "tables": tables, "figures": [], "missing_figures": []}
    from .figures import figure_groups  # matplotlib: imported for the pages that draw plots only

    figures, missing = figure_groups(report)
    return {"report": report, "tables": tables, "figures": figures, "missing_figures": missing}


TABLES_URL = "__ANCHOR_TABLES_URL__"


def render_html(report: dict, *, tables_url: str | None = None) -> str:
    """A standalone HTML document: inline CSS and inline SVG, no external assets. On the web
    page, ``tables_url`` links the zip of CSV tables (`TABLES_URL` renders a placeholder that a
    cached page replaces per request)."""
    return render_to_string("reports/report.html", {**report_context(report), "tables_url": tables_url})
