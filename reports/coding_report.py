"""The report of a coding instrument: agreement on the codes per code set, over the segments the
set applies to (Fleiss' kappa, Krippendorff's nominal alpha, pairwise percent agreement, Cohen's
kappa with two coders, per-code kappa, confusion matrix; each LLM coder beside the human pairs),
then the session summaries treated like scale scores (ICC across coders, LLM vs human, criterion
validity). No ICC is computed for nominal codes, and a segment a code set does not apply to is
never missing: it is not asked.
"""

from itertools import combinations

import pandas as pd

import psychometrics as pm

from . import frames, reliability
from .coding_frames import applicable_frame, codes_frame, summaries_frame
from .design import RaterOverlap, rating_design
from .stats import agreement, attempt, correlation_with_ci, pair_icc2

FIGURES = ("fleiss_kappa", "krippendorff_alpha", "percent_agreement", "cohen_kappa")


def _figure(result, errors: dict, name: str) -> dict:
    return result.to_dict() if result is not None else {"error": errors.get(name, "Not computed.")}


def _agreement_entry(long: pd.DataFrame, categories: list, *, n_boot: int, seed: int) -> dict:
    """The code agreement of one group of coders, as report figures."""
    if long["rater"].nunique() < 2:
        return {"error": f"Agreement needs at least two coders; {long['rater'].nunique()} coded this set."}
    res = pm.code_agreement(long, target="segment", categories=categories, n_boot=n_boot, seed=seed)
    out = {"n_segments": res.n, "n_coders": res.n_coders}
    out.update({name: _figure(getattr(res, name), res.errors, name) for name in FIGURES[:3]})
    if res.n_coders == 2:
        out["cohen_kappa"] = _figure(res.cohen_kappa, res.errors, "cohen_kappa")
    out["per_code_kappa"] = {code: (r.to_dict() if not isinstance(r, str) else {"error": r})
                             for code, r in res.per_code_kappa.items()}
    out["confusion"] = _figure(res.confusion, res.errors, "confusion")
    return out


def _pair_kappa(a: pd.Series, b: pd.Series, categories: list) -> dict:
    both = pd.concat({"a": a, "b": b}, axis=1).dropna()
    return attempt(lambda: pm.cohen_kappa(both["a"].tolist(), both["b"].tolist(), categories=categories))


def _majority(long: pd.DataFrame, categories: list) -> pd.Series:
    """Each segment's most frequent human code; ties go to the code listed first in the codebook."""
    order = {c: i for i, c in enumerate(categories)}
    counts = long.groupby(["segment", "code"]).size().rename("n").reset_index()
    counts["order"] = counts["code"].map(order)
    counts = counts.sort_values(["segment", "n", "order"], ascending=[True, False, True], kind="mergesort")
    return counts.drop_duplicates("segment").set_index("segment")["code"]


def _llm_entry(human: pd.DataFrame, llm: pd.Series, categories: list) -> dict:
    by_human = {r: g.set_index("segment")["code"] for r, g in human.groupby("rater")}
    return {"against_each_human": {h: _pair_kappa(llm, codes, categories) for h, codes in by_human.items()},
            "against_human_majority": _pair_kappa(llm, _majority(human, categories), categories)}


def _code_set_entry(data, code_set, *, n_boot: int, seed: int) -> dict:
    categories = list(code_set.values)
    rows = data.codes[data.codes["code_set"] == code_set.code].rename(columns={"code": "score"})
    applicable = data.applicable[data.applicable["code_set"] == code_set.code]
    human = rows[rows["rater_kind"] == "human"]
    entry = {"codes": categories, "speakers": list(code_set.speakers) or "every speaker",
             "n_applicable_segments": int(len(applicable)), "n_coded_segments": int(rows["segment"].nunique()),
             "level": "nominal", "human": _agreement_entry(human[["segment", "rater", "score"]], categories,
                                                           n_boot=n_boot, seed=seed)}
    by_human = {r: g.set_index("segment")["score"] for r, g in human.groupby("rater")}
    entry["human_pairs"] = [{"rater_a": a, "rater_b": b, "cohen_kappa": _pair_kappa(by_human[a], by_human[b],
                                                                                    categories)}
                            for a, b in combinations(sorted(by_human), 2)]
    entry["llm"] = {}
    for llm in data.llms:
        codes = rows[rows["rater"] == llm].set_index("segment")["score"]
        entry["llm"][llm] = (_llm_entry(human.rename(columns={"score": "code"}), codes, categories)
                             if not codes.empty else {"error": "This LLM coder has no submitted codes in this set."})
    return entry


def _summary_long(data, code: str, kind: str) -> pd.DataFrame:
    rows = data.summaries[(data.summaries["summary"] == code) & (data.summaries["rater_kind"] == kind)]
    return rows[["target", "rater", "score"]].dropna(subset=["score"])


def _summary_entry(data, summary, *, n_boot: int, seed: int) -> dict:
    human = _summary_long(data, summary.code, "human")
    all_human = data.summaries[(data.summaries["summary"] == summary.code)
                               & (data.summaries["rater_kind"] == "human")]
    entry = {"label": summary.label, "kind": summary.kind,
             "n_undefined": int(all_human["score"].isna().sum()),
             "undefined": "a ratio whose denominator is 0 (no segment with those codes) is missing, never 0"}
    entry["icc"] = reliability.icc_entry(human, design=data.design["design"],
                                         wide=lambda: frames.wide(human, index="target", columns="rater"))
    human_mean = human.groupby("target")["score"].mean()
    by_human = {r: g.set_index("target")["score"] for r, g in human.groupby("rater")}
    entry["human_vs_human"] = [{"rater_a": a, "rater_b": b, "ICC2": pair_icc2(by_human[a], by_human[b])}
                               for a, b in combinations(sorted(by_human), 2)]
    sources = {"human_mean": human_mean}
    entry["llm"] = {}
    for llm in data.llms:
        scores = _summary_long(data, summary.code, "llm")
        scores = scores[scores["rater"] == llm].set_index("target")["score"]
        sources[llm] = scores
        entry["llm"][llm] = {"against_mean_human": agreement(scores, human_mean)}
    entry["criterion_validity"] = {
        source: {column.split(":", 1)[1]: correlation_with_ci(scores, data.targets[column].reindex(scores.index),
                                                              n_boot=n_boot, seed=seed)
                 for column in data.criteria}
        for source, scores in sources.items()}
    return entry


def _missing(data) -> dict:
    """Per code set and coder: applicable segments of the targets the coder coded, left uncoded."""
    out = {"note": "only segments a code set applies to are asked; segments of other speakers are never missing"}
    for code_set in data.spec.code_sets:
        applicable = data.applicable[data.applicable["code_set"] == code_set.code]
        rows = data.codes[data.codes["code_set"] == code_set.code]
        per = {}
        for rater, targets in data.coded_targets.items():
            asked = applicable[applicable["target"].isin(targets)]
            per[rater] = int(len(asked) - rows[rows["rater"] == rater]["segment"].nunique())
        out[code_set.code] = per
    return out


class CodingData:
    def __init__(self, study, version, cluster_field):
        self.study, self.version, self.spec = study, version, version.spec
        self.codes = codes_frame(study, instrument_version=version)
        self.applicable = applicable_frame(study, spec=self.spec)
        self.summaries = summaries_frame(self.codes, spec=self.spec)
        self.targets = frames.targets_frame(study, cluster_field=cluster_field).set_index("target")
        self.criteria = frames.criterion_columns(self.targets.reset_index())
        kinds = self.codes.drop_duplicates("rater").set_index("rater")["rater_kind"]
        self.humans = sorted(kinds[kinds == "human"].index)
        self.llms = sorted(kinds[kinds == "llm"].index)
        self.coded_targets = {r: set(g["target"]) for r, g in self.codes.groupby("rater")}
        human_pairs = self.codes.loc[self.codes["rater_kind"] == "human", ["target", "rater"]].drop_duplicates()
        self.overlap = RaterOverlap(human_pairs)
        self.design = rating_design(study.rating_design, human_pairs)


def coding_sections(study, version, *, cluster_field, n_boot: int, seed: int, progress=None) -> dict:
    """The coding instrument's report sections, JSON-ready after `jsonable`."""
    data = CodingData(study, version, cluster_field)
    steps = [("coding_agreement", lambda: {s.code: _code_set_entry(data, s, n_boot=n_boot, seed=seed)
                                           for s in data.spec.code_sets}),
             ("summaries", lambda: {s.code: _summary_entry(data, s, n_boot=n_boot, seed=seed)
                                    for s in data.spec.summaries}),
             ("missing", lambda: _missing(data))]
    out = {"raters": {"human": data.humans, "llm": data.llms}, "rating_design": data.design,
           "n_targets": int(data.codes["target"].nunique()),
           "n_ratings": {kind: int(data.codes.loc[data.codes["rater_kind"] == kind, ["target", "rater"]]
                                   .drop_duplicates().shape[0]) for kind in ("human", "llm")},
           "n_segment_codes": int(len(data.codes))}
    for done, (key, build) in enumerate(steps):
        if progress:
            progress(done, len(steps), key)
        out[key] = build()
    if progress:
        progress(len(steps), len(steps), "done")
    return out
