"""The study report: psychometrics on a study's submitted ratings, as one JSON-ready dict.

`study_report` is the one entry point; the command, the page and the REST API all call it, so
they give the same numbers. Sections follow issue 8; each is one builder in `SECTIONS` (add a
section by appending a builder), called in order with the data, the report so far and the
options.
"""

from collections.abc import Callable

import pandas as pd
from django.conf import settings
from django.utils import timezone

import psychometrics as pm
from psychometrics._base import one_blas_thread
from psychometrics.bootstrap import shared_resamples

from . import frames
from . import novelty as novelty_report
from .coding_report import coding_sections
from .consistency_section import section_consistency
from .item_analysis_section import section_item_analysis
from .robustness import section_robustness
from . import reliability
from .reliability import NOT_PAIRED
from .report_data import Data
from .stats import agreement, attempt, clip_interval, complete_pairs, correlation_with_ci, jsonable, pair_icc2
from .stand_in_section import section_stand_in

REPORT_VERSION = 3
DEFAULT_N_BOOT = 1000


def _section_human_reliability(data: Data) -> dict:
    out = {"design": data.design, "raters": data.humans, "items": {}, "scales": {}}
    pairs = data.overlap.comparable_pairs() if data.crossed else []
    threshold, n_sharing = data.overlap.threshold, data.overlap.n_sharing_pairs()
    for kind_of, code, level in data.measures():
        # the long frame only when the matrix does not hold every rating (or the design is one-way)
        long, n_ratings = (lambda: data.long(kind_of, code)), data.n_scored(kind_of, code)
        wide = lambda: data.matrix(kind_of, code)
        entry = {"level": level,
                 "icc": reliability.icc_entry(long, design=data.design["design"], wide=wide, n_ratings=n_ratings),
                 "krippendorff_alpha": reliability.krippendorff_entry(
                     long, level, wide=wide if data.crossed else None, n_ratings=n_ratings)}
        if kind_of == "item":
            item = data.spec.item(code)
            weights = "none" if level == "nominal" else "quadratic"
            if data.crossed:
                kappas = reliability.kappa_pairs(data.matrix(kind_of, code), pairs,
                                                 categories=list(item.scale.values), weights=weights)
                entry["cohen_kappa_pairs"] = kappas
                entry["cohen_kappa_pairs_summary"] = reliability.pair_summary(
                    kappas, threshold=threshold, n_sharing=n_sharing)
            else:
                entry["cohen_kappa_pairs_omitted"] = NOT_PAIRED
        out["items" if kind_of == "item" else "scales"][code] = entry
    return out


def _section_distributions(data: Data) -> dict:
    """Scores of the human ratings (every rating) and of each LLM rater (expected score), with
    their mean and t interval (kept inside the score's range), for the distribution plots:
    per subscale, or per item when the instrument has no subscales."""
    from psychometrics.validity import t_mean

    out = {"method": "scores by the instrument's rules; human: every submitted rating (answers); LLM: "
                     "expected scores; mean with a t interval, limited to the score's range",
           "level": "scale" if data.spec.subscales else "item", "scales": {}}
    for kind_of, code in data.score_measures():
        low, high = _score_range(data, kind_of, code)
        sources = {"human": pd.Series(data.human_scores(kind_of, code))}
        llm = data.matrix(kind_of, code, kind="llm", basis="expected")
        sources.update({rater: llm[rater] for rater in data.llms if rater in llm.columns})
        per = {}
        for source, values in sources.items():
            values = values.dropna().to_numpy(dtype=float)
            mean = attempt(lambda: t_mean(values, 0.95, "mean; t interval") if len(values) >= 2
                           else _too_few(len(values)))
            per[source] = {"values": values.tolist(), "mean": clip_interval(mean, low, high)}
        out["scales"][code] = per
    return out


def _score_range(data: Data, kind_of: str, code: str) -> tuple[float, float]:
    """The lowest and highest possible score of an item or a subscale."""
    if kind_of == "item":
        scale = data.spec.item(code).scale
        return float(scale.min), float(scale.max)
    subscale = next(s for s in data.spec.subscales if s.code == code)
    scales = [data.spec.item(c).scale for c in subscale.items]
    low, high = min(s.min for s in scales), max(s.max for s in scales)
    factor = len(subscale.items) if subscale.method == "sum" else 1
    return float(low * factor), float(high * factor)


def _too_few(n: int):
    raise ValueError(f"A mean with an interval needs at least two scores, got {n}.")


def _llm_against_humans(data: Data, llm: str, kind_of: str, code: str, basis: str, *,
                        each_human: bool = True) -> dict:
    measure = data.matrix(kind_of, code, kind="llm", basis=basis)
    if llm not in measure.columns:
        return {"error": "This LLM rater has no submitted ratings of this measure."}
    x = measure[llm]
    human_mean = data.human_mean(kind_of, code)
    entry = {"against_mean_human": agreement(x, human_mean)}
    if each_human and data.crossed:
        long = data.long(kind_of, code)
        llm_long = x.dropna().rename("score").rename_axis("target").reset_index().assign(rater=llm)
        shared = long[long["target"].isin(llm_long["target"])].groupby("rater").size()
        humans = sorted(shared[shared >= data.overlap.threshold].index)
        pairs = reliability.pair_figures(pd.concat([long, llm_long]), [(llm, h, int(shared[h])) for h in humans],
                                         lambda a, b: {"ICC2": pair_icc2(a, b),
                                                       "pearson_r": attempt(lambda: pm.pearson_r(a, b))})
        entry["against_each_human"] = {p["rater_b"]: {"ICC2": p["ICC2"], "pearson_r": p["pearson_r"],
                                                      "shared_targets": p["shared_targets"]} for p in pairs}
        entry["each_human_summary"] = reliability.pair_summary(
            pairs, threshold=data.overlap.threshold, n_sharing=int(len(shared)), key="ICC2")
    elif each_human:
        entry["against_each_human_omitted"] = NOT_PAIRED
    both = pd.concat({"llm": x, "human_mean": human_mean}, axis=1).dropna()
    entry["points"] = [{"target": str(t), "llm": float(a), "human_mean": float(b)}
                       for t, a, b in zip(both.index, both["llm"], both["human_mean"])]
    return entry


def _human_modes(data: Data, code: str) -> pd.Series:
    """Each target's modal human answer to an item, ties to the lower point."""
    rows = data.long("item", code)
    counts = rows.groupby(["target", "score"]).size().rename("n").reset_index()
    counts = counts.sort_values(["target", "n", "score"], ascending=[True, False, True], kind="mergesort")
    return counts.drop_duplicates("target").set_index("target")["score"]


def _calibration(data: Data, llm: str, code: str, humans: pd.Series) -> dict:
    """The LLM's distribution over the item's scale against the human modal answer."""
    values = list(data.spec.item(code).scale.values)
    rows = data.item_rows(code, "llm")
    rows = rows[rows["rater"] == llm]
    llm_rows = rows[rows["distribution"].notna()].set_index("target")
    if llm_rows.empty:
        return {"error": "This LLM rater's ratings carry no probability distribution (an imported judge "
                         "without a distribution column), so calibration cannot be assessed."}
    both = llm_rows.index.isin(humans.index)
    if not both.any():
        return {"error": "No target has both an LLM distribution and a human answer."}
    keys = [str(v) for v in values]
    probs = [[float(d.get(k, 0.0)) for k in keys] for d in llm_rows["distribution"][both]]
    observed = humans.reindex(llm_rows.index[both]).tolist()
    return {"reference": "human modal answer (ties to the lower point)",
            "brier_score": attempt(lambda: pm.brier_score(probs, observed, scale=values)),
            "expected_calibration_error": attempt(lambda: pm.expected_calibration_error(
                probs, observed, scale=values, n_boot=200))}


def _human_pairs(data: Data, kind_of: str, code: str) -> list[dict]:
    return reliability.icc2_pair_figures(data.matrix(kind_of, code), data.overlap.comparable_pairs())


def _section_llm_vs_human(data: Data) -> dict:
    out = {"basis": "expected score (LLM), answer (human)", "design": data.design["design"],
           "human_vs_human": {}, "human_vs_human_summary": {}, "llm": {}}
    if not data.crossed:
        out["human_vs_human_omitted"] = NOT_PAIRED
    for kind_of, code, _ in data.measures():
        if data.crossed:
            pairs = _human_pairs(data, kind_of, code)
            out["human_vs_human"][code] = pairs
            out["human_vs_human_summary"][code] = reliability.pair_summary(
                pairs, threshold=data.overlap.threshold, n_sharing=data.overlap.n_sharing_pairs(), key="ICC2")
    modes = {item.code: _human_modes(data, item.code) for item in data.spec.items} if data.llms else {}
    out["llm"] = {llm: {} for llm in data.llms}
    for kind_of, code, _ in data.measures():  # measure by measure: one human long frame at a time
        for llm in data.llms:
            out["llm"][llm][code] = _llm_against_humans(data, llm, kind_of, code, "expected")
    for llm in data.llms:
        for item in data.spec.items:
            if "error" not in out["llm"][llm][item.code]:
                out["llm"][llm][item.code]["calibration"] = _calibration(data, llm, item.code, modes[item.code])
    return out


def _section_sensitivity(data: Data) -> dict:
    out = {"note": "each LLM rater against the mean human, on the discrete mode and on the "
                   "continuous expected score", "llm": {}}
    for llm in data.llms:
        out["llm"][llm] = {}
        for kind_of, code, _ in data.measures():
            pair = {}
            for basis in ("mode", "expected"):
                result = _llm_against_humans(data, llm, kind_of, code, basis, each_human=False)
                pair[basis] = result.get("against_mean_human", result)
            out["llm"][llm][code] = pair
    return out


def _reliability_of(report: dict, source: str, kind_of: str, code: str) -> tuple[float | None, str]:
    if source == "human_mean":
        form = "ICC1k" if report["human_reliability"]["design"]["design"] == "one-way" else "ICC2k"
        group = report["human_reliability"]["scales" if kind_of == "scale" else "items"][code]
        value = group["icc"].get("forms", {}).get(form, {}).get("estimate")
        return value, f"{form} of the human panel (section 1)"
    if kind_of != "scale":
        return None, "no reliability estimate for a single LLM item score"
    alpha = report["internal_consistency"]["llm"][source]["scales"][code]["alpha"]
    return alpha.get("estimate"), "Cronbach's alpha of the LLM rater (section 2)"


def _disattenuated(scores: pd.Series, y: pd.Series, rel: float | None, rel_method: str) -> dict:
    if rel is None:
        return {"error": f"No reliability estimate for this score ({rel_method})."}
    if rel <= 0:
        return {"error": f"The score's reliability ({rel_method}) is {rel:.3f}, not above 0, so the "
                         "correlation cannot be corrected for attenuation."}
    pairs = complete_pairs(scores, y)
    if pairs is None:
        pairs = pd.concat([scores, y], axis=1).dropna().T.to_numpy()
    result = attempt(lambda: pm.disattenuated_r(*pairs, reliability_x=min(rel, 1.0), reliability_y=1.0))
    return {**result, "reliability_x": rel, "reliability_x_from": rel_method}


def _section_validity(data: Data, report: dict, *, n_boot: int, seed: int) -> dict:
    criteria = frames.criterion_columns(data.targets.reset_index())
    clusters = data.targets["cluster"] if data.targets["cluster"].notna().any() else None
    out = {"criteria": [c.split(":", 1)[1] for c in criteria],
           "criterion_reliability": "assumed 1 (criteria are treated as measured without error)",
           "cluster_field_used": clusters is not None,
           "level": "scale" if data.spec.subscales else "item", "scales": {}}
    for kind_of, code in data.score_measures():
        sources = {"human_mean": data.human_mean(kind_of, code)}
        llm_scores = data.matrix(kind_of, code, kind="llm", basis="expected")
        sources.update({llm: llm_scores[llm] for llm in data.llms if llm in llm_scores.columns})
        per_scale = {}
        for source, scores in sources.items():
            rel, rel_method = _reliability_of(report, source, kind_of, code)
            per_scale[source] = {}
            for column in criteria:
                # on the scores' own index object (reindex keeps the targets' when the names are
                # equal), so the pairs are taken without comparing the target names again
                y = pd.Series(data.targets[column].reindex(scores.index).to_numpy(), index=scores.index, name=column)
                entry = correlation_with_ci(scores, y, clusters=None if clusters is None else
                                            clusters.reindex(scores.index), n_boot=n_boot, seed=seed)
                entry["disattenuated_r"] = _disattenuated(scores, y, rel, rel_method)
                per_scale[source][column.split(":", 1)[1]] = entry
        out["scales"][code] = per_scale
    return out


SectionBuilder = Callable[[Data, dict, dict], dict | None]  # None: not applicable
SECTIONS: list[tuple[str, SectionBuilder]] = [
    ("human_reliability", lambda data, report, options: _section_human_reliability(data)),
    ("internal_consistency", lambda data, report, options: section_consistency(data)),
    ("llm_vs_human", lambda data, report, options: _section_llm_vs_human(data)),
    ("metric_sensitivity", lambda data, report, options: _section_sensitivity(data)),
    ("score_distributions", lambda data, report, options: _section_distributions(data)),
    ("criterion_validity", lambda data, report, options: _section_validity(
        data, report, n_boot=options["n_boot"], seed=options["seed"])),
    ("robustness", lambda data, report, options: section_robustness(data)),
    ("novelty", lambda data, report, options: (
        novelty_report.novelty_section(data.study, data.version, data.items)
        if novelty_report.applies(data.version) else None)),
    ("item_analysis", lambda data, report, options: section_item_analysis(data)),
    ("stand_in", lambda data, report, options: section_stand_in(data, options)),
    ("missing", lambda data, report, options: frames.missing_counts(
        data.study, instrument_version=data.version, items=data.items, answered=data.answered_per_rating())),
]


def study_report(study, *, instrument_version, cluster_field: str | None = None, seed: int = 0,
                 n_boot: int | None = None, progress: Callable[[int, int, str], None] | None = None) -> dict:
    """The full report of ``study`` for one instrument version as a JSON-ready dict.

    Reads submitted ratings only; writes nothing. Undefined statistics are recorded as
    ``{"error": sentence}``. ``seed`` fixes every bootstrap, so the same ratings give the
    same report. ``n_boot`` (default: the ``ANCHOR_REPORT_N_BOOT`` setting, else 1000) is the
    number of bootstrap resamples for the cluster-bootstrap intervals. ``progress(done, total,
    section)`` is called before each section and once at the end.
    """
    n_boot = n_boot or getattr(settings, "ANCHOR_REPORT_N_BOOT", DEFAULT_N_BOOT)
    if instrument_version.kind == "coding":
        return jsonable({"report_version": REPORT_VERSION, "kind": "coding", "study": study.slug,
                         "study_title": study.title, "instrument": str(instrument_version),
                         "generated_at": timezone.now().isoformat(), "cluster_field": cluster_field, "seed": seed,
                         "n_boot": n_boot, **coding_sections(study, instrument_version, cluster_field=cluster_field,
                                                             n_boot=n_boot, seed=seed, progress=progress)})
    data = Data(study, instrument_version, cluster_field)
    report = {
        "report_version": REPORT_VERSION,
        "study": study.slug, "study_title": study.title,
        "instrument": str(instrument_version), "generated_at": timezone.now().isoformat(),
        "cluster_field": cluster_field, "seed": seed, "n_boot": n_boot,
        "raters": {"human": data.humans, "llm": data.llms,
                   "llm_provenance": frames.llm_provenance(study, instrument_version=instrument_version,
                                                           raters=data.llms),
                   "selection": "by rater kind: kind 'llm' (Anchor's own and imported outside judges) in the "
                                "LLM sections, kind 'human' in the human panel"},
        "rating_design": data.design,
        "n_targets": len(data.item_codes.t_names),
        "n_ratings": {"human": len(data.overlap.t_codes), "llm": len(data.rating_pairs["llm"].t_codes)},
    }
    options = {"n_boot": n_boot, "seed": seed, "cluster_field": cluster_field}
    # bootstraps over the same targets draw their resamples once; BLAS on one thread: the products
    # are tall and thin, and a factor fit's many small calls each woke (and, on a busy machine, spun)
    # OpenBLAS's threads, 2-4x the fit's CPU time
    with shared_resamples(), one_blas_thread():
        for done, (key, build) in enumerate(SECTIONS):
            if progress:
                progress(done, len(SECTIONS), key)
            section = build(data, report, options)
            if section is not None:  # None: the section does not apply to this instrument
                report[key] = section
    if progress:
        progress(len(SECTIONS), len(SECTIONS), "done")
    return jsonable(report)
