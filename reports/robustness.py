"""Section 6: robustness of the LLM rater, as agreement between a base run and perturbed runs.

A perturbed run is an LLM rater whose configuration names its base rater and the perturbation
applied before rating (``ratings/llm/perturbations.py``). For each, on the targets both runs
scored, per item and scale score (expected scores): ICC(A,1) of the two runs, Pearson's r,
the mean absolute shift |perturbed - base| (t interval) and the mean signed shift with its
Bland-Altman limits. A good rater barely moves under the invariant perturbations and moves
under a content-changing edit.
"""

from .stats import agreement

EXPECTATIONS = {"edit_content": "should change the scores (the content was edited)"}
NO_CHANGE = "should not change the scores"
METHOD = ("perturbed run against the base run on the targets both scored: ICC(A,1) = ICC2 "
          "(McGraw & Wong, 1996), Pearson r (Fisher CI), mean absolute shift (t interval), "
          "mean signed shift with Bland-Altman 95% limits (Bland & Altman, 1986)")


def _description(config: dict) -> dict:
    shown = {k: v for k, v in config.items() if k not in ("edits", "paraphrases")}
    if "edits" in config:
        shown["n_edited_targets"] = len(config["edits"])
    if "paraphrases" in config:
        shown["paraphrases"] = config["paraphrases"]
    return shown


def section_robustness(data) -> dict:
    """Per perturbed rater in the study: its configuration and agreement with its base run."""
    runs = {}
    for rater, config in sorted(data.perturbed.items()):
        base = config.get("base_rater")
        entry = {"base_rater": base, "kind": config.get("kind"), "perturbation": _description(config),
                 "expectation": EXPECTATIONS.get(config.get("kind"), NO_CHANGE), "measures": {}}
        for kind_of, code, _ in data.measures():
            scores = data.matrix(kind_of, code, kind="llm", basis="expected")
            if base not in scores.columns:
                entry = {**entry, "error": f"The base rater {base!r} has no ratings in this study."}
                break
            result = agreement(scores[rater], scores[base])
            result["mean_shift"] = result.pop("bland_altman")
            result["mean_absolute_shift"] = result.pop("mean_absolute_error")
            result["points"] = [{"target": str(t), "base": float(b), "perturbed": float(p)}
                                for t, (p, b) in scores[[rater, base]].dropna().iterrows()]
            entry["measures"][code] = result
        runs[rater] = entry
    return {"method": METHOD, "runs": runs,
            "note": "no robustness runs yet: start one with `score STUDY --instrument SLUG --perturb KIND`"
            if not runs else ""}
