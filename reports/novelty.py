"""The novelty section of a study report: the pipeline and the holistic baseline against
human reviewers, side by side (issue 7).

For each LLM rater (the pipeline instrument's, and the holistic baseline's on the same study):
- conclusion agreement: every (target, human reviewer) pair against the LLM's conclusion for
  that target (its mode): percent agreement with a Wilson interval and Cohen's (1960) kappa,
  unweighted because the conclusion is nominal;
- score agreement: the LLM's expected novelty score against the mean human novelty per target:
  ICC(A,1), Pearson's r and Spearman's rho, each with its interval;
- reasoning alignment (pipeline only; the baseline shows reviewers no reasoning): the share of
  human reviews answering `reasoning_aligned` yes, with a Wilson interval.
Pairs of one target share the LLM's answer, so the kappa and percent-agreement intervals treat
them as independent and are somewhat narrow when targets have several reviewers.

- consistency (pipeline only): per LLM rater (one model file), the share of papers whose run
  holds a contradiction (a comparison whose label contradicts its citations, or a conclusion
  that contradicts every comparison), with a Wilson interval, read from each rating's
  provenance; ratings stored before these checks existed are counted as unchecked.
"""

from pathlib import Path

import pandas as pd

import psychometrics as pm
from ratings.models import Rating

from . import frames
from .stats import agreement, attempt

BASELINE_SLUG = "novelty-holistic"
ITEMS = ("novelty", "conclusion")


def applies(version) -> bool:
    codes = {item.code for item in version.spec.items}
    return version.kind == "pipeline" and set(ITEMS) <= codes


def _baseline_versions(study):
    ids = (Rating.objects.filter(target__study=study, instrument_version__instrument__slug=BASELINE_SLUG,
                                 status=Rating.Status.SUBMITTED)
           .values_list("instrument_version", flat=True).distinct())
    return [v for v in study.instrument_versions.filter(pk__in=ids).order_by("-published_at")]


def conclusion_agreement(llm: pd.Series, humans: pd.DataFrame, categories) -> dict:
    """``llm``: conclusion by target; ``humans``: long rows (target, score), one per review."""
    pairs = humans.assign(llm=humans["target"].map(llm)).dropna(subset=["llm", "score"])
    if pairs.empty:
        return {"error": "No target has both the LLM's and a human reviewer's conclusion."}
    agree = int((pairs["llm"] == pairs["score"]).sum())
    return {"unit": "target x human reviewer pairs", "n": int(len(pairs)),
            "percent_agreement": attempt(lambda: pm.proportion_ci(agree, len(pairs))),
            "cohen_kappa": attempt(lambda: pm.cohen_kappa(pairs["llm"].tolist(), pairs["score"].tolist(),
                                                          categories=categories))}


def _system(items: pd.DataFrame, llm: str, humans: pd.DataFrame, categories) -> dict:
    rows = items[items["rater"] == llm]
    conclusion = rows[rows["item"] == "conclusion"].set_index("target")["score"]
    novelty = rows[rows["item"] == "novelty"].set_index("target")
    expected = novelty["expected_score"].fillna(novelty["score"])
    human_novelty = humans[humans["item"] == "novelty"].groupby("target")["score"].mean()
    score = agreement(expected, human_novelty)
    return {"conclusion_agreement": conclusion_agreement(
                conclusion, humans[humans["item"] == "conclusion"][["target", "score"]], categories),
            "score_agreement": {"basis": "LLM expected score vs mean human score per target", "n": score["n"],
                                "ICC2": score["ICC2"], "pearson_r": score["pearson_r"],
                                "spearman_rho": score["spearman_rho"]}}


def reasoning_alignment(humans: pd.DataFrame) -> dict:
    answers = humans[humans["item"] == "reasoning_aligned"]["score"].dropna()
    if answers.empty:
        return {"error": "No human reviewer has answered reasoning_aligned yet."}
    return {"unit": "human reviews of a pipeline output",
            **attempt(lambda: pm.proportion_ci(int((answers == 1).sum()), len(answers)))}


def consistency_counts(study, version) -> dict:
    """Contradictions of the pipeline's runs with ``version``, per LLM rater (one model file)."""
    rows = (Rating.objects.filter(target__study=study, instrument_version=version, source=Rating.Source.LLM,
                                  status=Rating.Status.SUBMITTED)
            .values_list("rater__name", "rater__model_path", "rater__model_sha256", "provenance").order_by("rater__name"))
    out: dict[str, dict] = {}
    for rater, model_path, model_sha256, provenance in rows:
        entry = out.setdefault(rater, {"model": Path(model_path or "").name, "model_sha256": model_sha256,
                                       "papers": 0, "unchecked": 0, "papers_with_contradiction": 0,
                                       "papers_with_label_citation_contradiction": 0,
                                       "papers_with_conclusion_contradiction": 0,
                                       "comparisons": 0, "comparisons_contradicting_citations": 0})
        checked = ((provenance or {}).get("pipeline") or {}).get("consistency")
        if checked is None:
            entry["unchecked"] += 1
            continue
        flagged = len(checked.get("comparisons_contradicting_citations", []))
        entry["papers"] += 1
        entry["papers_with_contradiction"] += bool(checked.get("any"))
        entry["papers_with_label_citation_contradiction"] += flagged > 0
        entry["papers_with_conclusion_contradiction"] += bool(checked.get("conclusion_contradicts_comparisons"))
        entry["comparisons"] += int(checked.get("comparisons", 0))
        entry["comparisons_contradicting_citations"] += flagged
    for entry in out.values():
        entry["share_with_contradiction"] = (
            attempt(lambda e=entry: pm.proportion_ci(e["papers_with_contradiction"], e["papers"])) if entry["papers"]
            else {"error": "No run of this version was checked for contradictions."})
    return {"instrument_version": str(version), "by_rater": out}


def novelty_section(study, version, items: pd.DataFrame) -> dict:
    """The section for a pipeline version with novelty and conclusion items (``items`` is the
    version's `item_scores_frame`)."""
    humans = items[items["rater_kind"] == "human"]
    categories = list(version.spec.item("conclusion").scale.values)
    out = {"reference": "human reviewers' ratings with " + str(version),
           "human_reviewers": sorted(humans["rater"].unique().tolist()),
           "reasoning_alignment": reasoning_alignment(humans), "pipeline": {}, "holistic_baseline": {},
           "consistency": consistency_counts(study, version)}
    for llm in sorted(items[items["rater_kind"] == "llm"]["rater"].unique()):
        out["pipeline"][llm] = _system(items, llm, humans, categories)
    for baseline in _baseline_versions(study):
        base_items = frames.item_scores_frame(study, instrument_version=baseline)
        for llm in sorted(base_items[base_items["rater_kind"] == "llm"]["rater"].unique()):
            out["holistic_baseline"][f"{llm} ({baseline})"] = _system(base_items, llm, humans, categories)
    if not out["holistic_baseline"]:
        out["holistic_baseline"] = {"error": f"No LLM rating with {BASELINE_SLUG} in this study: score it "
                                             f"(manage.py score STUDY --instrument {BASELINE_SLUG})."}
    return out


def novelty_tables(report: dict, cell) -> list[dict]:
    """The HTML table of the section: one row per LLM rater, pipeline and baseline side by side
    (``cell`` formats a figure as estimate [CI] (n))."""
    section = report.get("novelty")
    if not section:
        return []
    rows = []
    for system, entries in (("pipeline", section["pipeline"]), ("holistic baseline", section["holistic_baseline"])):
        if "error" in entries:
            rows.append([system, cell(entries), "", "", "", "", "", ""])
            continue
        for rater, entry in entries.items():
            conclusion, score = entry["conclusion_agreement"], entry["score_agreement"]
            rows.append([system, rater, cell(conclusion.get("percent_agreement", conclusion)),
                         cell(conclusion.get("cohen_kappa")), cell(score["ICC2"]), cell(score["pearson_r"]),
                         cell(score["spearman_rho"]),
                         cell(section["reasoning_alignment"]) if system == "pipeline" else "n/a (no reasoning shown)"])
    return [_table_main(section, rows), *_table_consistency(section, cell)]


def _table_consistency(section: dict, cell) -> list[dict]:
    consistency = section.get("consistency") or {}
    rows = [[rater, e["model"], str(e["papers"]), cell(e["share_with_contradiction"]),
             str(e["papers_with_label_citation_contradiction"]), str(e["papers_with_conclusion_contradiction"]),
             f"{e['comparisons_contradicting_citations']} of {e['comparisons']}", str(e["unchecked"])]
            for rater, e in consistency.get("by_rater", {}).items()]
    if not rows:
        return []
    return [{"title": f"Novelty pipeline: contradictions ({consistency['instrument_version']})",
             "headers": ["LLM rater", "model", "papers checked", "share with a contradiction",
                         "label vs citations", "conclusion vs comparisons", "comparisons contradicting citations",
                         "unchecked"],
             "rows": rows,
             "note": "A comparison contradicts its citations when labelled novel while citing an anticipating paper, "
                     "or anticipated while citing none; a conclusion contradicts the comparisons when it is "
                     "\"novel\" and all say anticipated, or \"not novel\" and all say novel. Share: Wilson interval."}]


def _table_main(section: dict, rows: list) -> dict:
    return {"title": "Novelty: LLM against human reviewers",
             "headers": ["system", "LLM rater", "conclusion agreement", "Cohen's kappa", "ICC(A,1) novelty",
                         "Pearson r", "Spearman rho", "reasoning aligned"],
             "rows": rows,
             "note": "Conclusion: every (target, reviewer) pair against the LLM's conclusion; scores: the LLM's "
                     "expected novelty against the mean reviewer; reasoning: share of reviews marking the "
                     "pipeline's reasoning aligned (Wilson interval)."}
