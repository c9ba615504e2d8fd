"""The tables of a coding instrument's report page (the figures of `coding_report`)."""

from .cells import cell

AGREEMENT = (("fleiss_kappa", "Fleiss' kappa"), ("krippendorff_alpha", "Krippendorff's alpha (nominal)"),
             ("percent_agreement", "pairwise agreement"), ("cohen_kappa", "Cohen's kappa"))


def _table(title, headers, rows, note=""):
    return {"title": title, "headers": headers, "cells": rows, "note": note, "labels": 1,
            "empty": "" if rows else "nothing to show", "warnings": []}


def _agreement_tables(report) -> list[dict]:
    rows, per_code, pairs = [], [], []
    for code_set, entry in report["coding_agreement"].items():
        human = entry["human"]
        if "error" in human:
            rows.append([code_set, entry["n_applicable_segments"], cell(human), "", "", ""])
        else:
            rows.append([code_set, entry["n_applicable_segments"],
                         *[human.get(name, {"error": "only with two coders"}) for name, _ in AGREEMENT]])
            per_code += [[f"{code_set}: {code}", figure] for code, figure in human["per_code_kappa"].items()]
        pairs += [[f"{code_set}: {p['rater_a']}~{p['rater_b']}", p["cohen_kappa"]] for p in entry["human_pairs"]]
        for llm, result in entry["llm"].items():
            if "error" in result:
                pairs.append([f"{code_set}: {llm} (LLM)", result])
                continue
            pairs.append([f"{code_set}: {llm} (LLM) ~ human majority", result["against_human_majority"]])
            pairs += [[f"{code_set}: {llm} (LLM) ~ {h}", k] for h, k in result["against_each_human"].items()]
    return [
        _table("1. Agreement on the codes, per code set (human coders)",
               ["code set", "applicable segments", *[label for _, label in AGREEMENT]], rows,
               "over the segments each code set applies to; nominal codes, so no ICC"),
        _table("1b. Per-code kappa (each code against the rest)", ["code", "kappa"], per_code),
        _table("1c. Coder pairs: human vs human, and each LLM coder beside them", ["pair", "Cohen's kappa"], pairs),
    ]


def _summary_tables(report) -> list[dict]:
    rows, validity = [], []
    for code, entry in report["summaries"].items():
        forms = entry["icc"].get("forms", {})
        icc = forms.get("ICC2") or forms.get("ICC1") or {"error": entry["icc"].get("error", "not computed")}
        llm = "; ".join(f"{name}: ICC2 {cell(r['against_mean_human']['ICC2'])}" for name, r in entry["llm"].items())
        rows.append([entry["label"], icc, entry["n_undefined"], llm])
        for source, per in entry["criterion_validity"].items():
            validity += [[f"{entry['label']} ({source}) ~ {criterion}", figures["pearson_r"]]
                         for criterion, figures in per.items()]
    return [
        _table("2. Session summaries from the codes", ["summary", "ICC across human coders", "undefined (0/0)",
                                                       "LLM vs mean human"], rows,
               "a ratio with no segment in its denominator is missing, never 0"),
        _table("3. Criterion validity of the summaries", ["summary ~ criterion", "Pearson r"], validity),
    ]


def coding_tables(report: dict) -> list[dict]:
    missing = [[f"{code_set}: {rater}", n] for code_set, per in report["missing"].items() if code_set != "note"
               for rater, n in per.items()]
    return (_agreement_tables(report) + _summary_tables(report)
            + [_table("4. Uncoded applicable segments", ["code set: coder", "segments"], missing,
                      report["missing"]["note"])])
