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
from instruments.definition.scoring import keyed

from . import frames
from . import novelty as novelty_report
from .item_analysis_section import section_item_analysis
from .robustness import section_robustness
from .stand_in_section import section_stand_in
from .stats import agreement, attempt, jsonable, correlation_with_ci, icc_forms, pair_icc2, pairwise_kappa

REPORT_VERSION = 2
DEFAULT_N_BOOT = 1000


class Data:
    """The frames one report is computed from."""

    def __init__(self, study, version, cluster_field):
        self.study, self.version, self.spec = study, version, version.spec
        self.items = frames.item_scores_frame(study, instrument_version=version)
        self.scales = frames.scale_scores_frame(self.items, spec=self.spec)
        self.targets = frames.targets_frame(study, cluster_field=cluster_field).set_index("target")
        kinds = self.items.drop_duplicates("rater").set_index("rater")["rater_kind"]
        self.humans = sorted(kinds[kinds == "human"].index)
        # Perturbed LLM raters (robustness runs) are compared with their base rater in
        # section 6 only; everywhere else "the LLM raters" are the unperturbed ones.
        self.perturbed = frames.perturbations(sorted(kinds[kinds == "llm"].index))
        self.llms = sorted(r for r in kinds[kinds == "llm"].index if r not in self.perturbed)
        self._matrices = {}

    def item_matrix(self, code: str, *, kind: str = "human", column: str = "score") -> pd.DataFrame:
        rows = self.items[(self.items["item"] == code) & (self.items["rater_kind"] == kind)]
        return frames.wide(rows, index="target", columns="rater", values=column)

    def scale_matrix(self, scale: str, *, kind: str = "human", basis: str = "mode") -> pd.DataFrame:
        rows = self.scales[(self.scales["scale"] == scale) & (self.scales["rater_kind"] == kind)
                           & (self.scales["basis"] == basis)]
        return frames.wide(rows, index="target", columns="rater")

    def measures(self):
        """(kind, code, level) of every item and scale score, in instrument order."""
        for item in self.spec.items:
            yield "item", item.code, item.scale.level
        for subscale in self.spec.subscales:
            yield "scale", subscale.code, "interval"

    def matrix(self, kind_of: str, code: str, *, kind="human", basis="mode") -> pd.DataFrame:
        key = (kind_of, code, kind, basis)
        if key not in self._matrices:
            self._matrices[key] = self._matrix(kind_of, code, kind=kind, basis=basis)
        return self._matrices[key]

    def _matrix(self, kind_of: str, code: str, *, kind: str, basis: str) -> pd.DataFrame:
        if kind_of == "item":
            return self.item_matrix(code, kind=kind,
                                    column="expected_score" if basis == "expected" else "score")
        return self.scale_matrix(code, kind=kind, basis=basis)


def _section_human_reliability(data: Data) -> dict:
    out = {"raters": data.humans, "items": {}, "scales": {}}
    for kind_of, code, level in data.measures():
        matrix = data.matrix(kind_of, code)
        entry = {"level": level, "icc": icc_forms(matrix),
                 "krippendorff_alpha": attempt(lambda: pm.krippendorff_alpha_matrix(
                     matrix.to_numpy(dtype=float), level=level, n_boot=500))}
        if kind_of == "item":
            item = data.spec.item(code)
            weights = "none" if level == "nominal" else "quadratic"
            entry["cohen_kappa_pairs"] = pairwise_kappa(matrix, categories=list(item.scale.values),
                                                        weights=weights)
        out["items" if kind_of == "item" else "scales"][code] = entry
    return out


def _keyed_item_matrix(data: Data, rows: pd.DataFrame, index, column: str) -> pd.DataFrame:
    matrix = rows.pivot_table(index=index, columns="item", values=column, aggfunc="first")
    for code in matrix.columns:
        matrix[code] = [keyed(data.spec.item(code), v) if pd.notna(v) else v for v in matrix[code]]
    return matrix


def _consistency(data: Data, matrix: pd.DataFrame) -> dict:
    out = {}
    for subscale in data.spec.subscales:
        codes = [c for c in subscale.items if c in matrix.columns]
        sub = matrix[codes]
        entry = {"items": codes, "alpha": attempt(lambda: pm.cronbach_alpha(sub))}
        groups = _group_factors(data, subscale.code, codes)
        if len(codes) >= 3:
            entry["omega"] = attempt(lambda: pm.omega(sub))
        if len(groups) >= 2:  # a scale made of subscales: omega hierarchical with them as groups
            entry["omega_hierarchical"] = _proper(attempt(lambda: pm.omega(sub, subscales=groups)))
            entry["item_statistics"] = attempt(lambda: pm.item_statistics(sub))
        else:
            entry["omega"] = {"error": "Omega needs at least three items."}
        if len(codes) >= 4:
            entry["cfa_one_factor"] = attempt(lambda: pm.cfa_one_factor(sub))
        out[subscale.code] = entry
    return out


def _group_factors(data: Data, code: str, codes: list[str]) -> dict[str, list[str]]:
    """The other subscales whose items all belong to this scale (its group factors)."""
    return {other.code: list(other.items) for other in data.spec.subscales
            if other.code != code and set(other.items) < set(codes)}


def _proper(omega: dict) -> dict:
    """An omega from an improper factor solution (a Heywood case: omega above 1 or omega
    hierarchical above omega total) is recorded as the reason, not as a number."""
    total, hierarchical = omega.get("omega_total"), omega.get("omega_hierarchical")
    if total is None or hierarchical is None or (total <= 1 and hierarchical <= total):
        return omega
    return {"error": f"The factor solution is improper (a Heywood case: omega total {total:.3f}, omega "
                     f"hierarchical {hierarchical:.3f}): {omega['n']} observations do not support "
                     f"{omega['n_factors']} group factors."}


def _section_distributions(data: Data) -> dict:
    """Scale scores of the human ratings (every rating) and of each LLM rater (expected score),
    with their mean and t interval, for the distribution plots."""
    from psychometrics.validity import t_mean

    out = {"method": "scale scores by the instrument's rules; human: every submitted rating "
                     "(answers); LLM: expected scores; mean with a t interval", "scales": {}}
    for subscale in data.spec.subscales:
        sources = {"human": data.scales[(data.scales["scale"] == subscale.code)
                                        & (data.scales["rater_kind"] == "human")
                                        & (data.scales["basis"] == "mode")]["score"]}
        llm = data.matrix("scale", subscale.code, kind="llm", basis="expected")
        sources.update({rater: llm[rater] for rater in data.llms if rater in llm.columns})
        per = {}
        for source, values in sources.items():
            values = values.dropna().to_numpy(dtype=float)
            per[source] = {"values": values.tolist(),
                           "mean": attempt(lambda: t_mean(values, 0.95, "mean; t interval")
                                           if len(values) >= 2 else _too_few(len(values)))}
        out["scales"][subscale.code] = per
    return out


def _too_few(n: int):
    raise ValueError(f"A mean with an interval needs at least two scores, got {n}.")


def _section_consistency(data: Data) -> dict:
    items = data.items
    humans = items[items["rater_kind"] == "human"]
    out = {"human": {"observations": "one row per submitted human rating (target x rater), "
                                     "answers; reverse-keyed items keyed",
                     "scales": _consistency(data, _keyed_item_matrix(
                         data, humans, ["target", "rater"], "score"))},
           "llm": {}}
    for rater in data.llms:
        rows = items[items["rater"] == rater].copy()
        rows["value"] = rows["expected_score"].fillna(rows["score"])
        out["llm"][rater] = {"observations": "one row per target, expected scores; "
                                             "reverse-keyed items keyed",
                             "scales": _consistency(data, _keyed_item_matrix(
                                 data, rows, "target", "value"))}
    return out


def _llm_against_humans(data: Data, llm: str, kind_of: str, code: str, basis: str) -> dict:
    humans = data.matrix(kind_of, code)
    measure = data.matrix(kind_of, code, kind="llm", basis=basis)
    if llm not in measure.columns:
        return {"error": "This LLM rater has no submitted ratings of this measure."}
    x = measure[llm]
    human_mean = humans.mean(axis=1) if len(humans.columns) else pd.Series(dtype=float)
    entry = {"against_mean_human": agreement(x, human_mean),
             "against_each_human": {h: {"ICC2": pair_icc2(x, humans[h]),
                                        "pearson_r": attempt(lambda: pm.pearson_r(
                                            *pd.concat([x, humans[h]], axis=1).dropna().T.to_numpy()))}
                                    for h in humans.columns}}
    both = pd.concat({"llm": x, "human_mean": human_mean}, axis=1).dropna()
    entry["points"] = [{"target": str(t), "llm": float(r.llm), "human_mean": float(r.human_mean)}
                       for t, r in both.iterrows()]
    return entry


def _calibration(data: Data, llm: str, code: str) -> dict:
    """The LLM's distribution over the item's scale against the human modal answer."""
    values = list(data.spec.item(code).scale.values)
    rows = data.items[(data.items["item"] == code)]
    humans = rows[rows["rater_kind"] == "human"].groupby("target")["score"].agg(
        lambda s: s.mode().iloc[0])  # ties go to the lower point
    llm_rows = rows[(rows["rater"] == llm) & rows["distribution"].notna()].set_index("target")
    shared = [t for t in llm_rows.index if t in humans.index]
    if not shared:
        return {"error": "No target has both an LLM distribution and a human answer."}
    probs = [[float(llm_rows.at[t, "distribution"].get(str(v), 0.0)) for v in values] for t in shared]
    observed = [humans[t] for t in shared]
    return {"reference": "human modal answer (ties to the lower point)",
            "brier_score": attempt(lambda: pm.brier_score(probs, observed, scale=values)),
            "expected_calibration_error": attempt(lambda: pm.expected_calibration_error(
                probs, observed, scale=values, n_boot=200))}


def _human_pairs(data: Data, kind_of: str, code: str) -> list[dict]:
    humans = data.matrix(kind_of, code)
    cols = list(humans.columns)
    return [{"rater_a": a, "rater_b": b, "ICC2": pair_icc2(humans[a], humans[b])}
            for i, a in enumerate(cols) for b in cols[i + 1:]]


def _section_llm_vs_human(data: Data) -> dict:
    out = {"basis": "expected score (LLM), answer (human)", "human_vs_human": {}, "llm": {}}
    for kind_of, code, _ in data.measures():
        out["human_vs_human"][code] = _human_pairs(data, kind_of, code)
    for llm in data.llms:
        out["llm"][llm] = {code: _llm_against_humans(data, llm, kind_of, code, "expected")
                           for kind_of, code, _ in data.measures()}
        for item in data.spec.items:
            if "error" not in out["llm"][llm][item.code]:
                out["llm"][llm][item.code]["calibration"] = _calibration(data, llm, item.code)
    return out


def _section_sensitivity(data: Data) -> dict:
    out = {"note": "each LLM rater against the mean human, on the discrete mode and on the "
                   "continuous expected score", "llm": {}}
    for llm in data.llms:
        out["llm"][llm] = {}
        for kind_of, code, _ in data.measures():
            pair = {}
            for basis in ("mode", "expected"):
                result = _llm_against_humans(data, llm, kind_of, code, basis)
                pair[basis] = result.get("against_mean_human", result)
            out["llm"][llm][code] = pair
    return out


def _reliability_of(report: dict, source: str, scale: str) -> tuple[float | None, str]:
    if source == "human_mean":
        form = report["human_reliability"]["scales"][scale]["icc"].get("forms", {}).get("ICC2k", {})
        return form.get("estimate"), "ICC2k of the human panel (section 1)"
    alpha = report["internal_consistency"]["llm"][source]["scales"][scale]["alpha"]
    return alpha.get("estimate"), "Cronbach's alpha of the LLM rater (section 2)"


def _section_validity(data: Data, report: dict, *, n_boot: int, seed: int) -> dict:
    criteria = frames.criterion_columns(data.targets.reset_index())
    clusters = data.targets["cluster"] if data.targets["cluster"].notna().any() else None
    out = {"criteria": [c.split(":", 1)[1] for c in criteria],
           "criterion_reliability": "assumed 1 (criteria are treated as measured without error)",
           "cluster_field_used": clusters is not None, "scales": {}}
    for subscale in data.spec.subscales:
        sources = {"human_mean": data.matrix("scale", subscale.code).mean(axis=1)}
        llm_scales = data.matrix("scale", subscale.code, kind="llm", basis="expected")
        sources.update({llm: llm_scales[llm] for llm in data.llms if llm in llm_scales.columns})
        per_scale = {}
        for source, scores in sources.items():
            rel, rel_method = _reliability_of(report, source, subscale.code)
            per_scale[source] = {}
            for column in criteria:
                y = data.targets[column].reindex(scores.index)
                entry = correlation_with_ci(scores, y, clusters=None if clusters is None else
                                            clusters.reindex(scores.index), n_boot=n_boot, seed=seed)
                entry["disattenuated_r"] = ({"error": "No reliability estimate for this score."}
                                            if rel is None else
                                            {**attempt(lambda: pm.disattenuated_r(
                                                *pd.concat([scores, y], axis=1).dropna().T.to_numpy(),
                                                reliability_x=rel, reliability_y=1.0)),
                                             "reliability_x": rel, "reliability_x_from": rel_method})
                per_scale[source][column.split(":", 1)[1]] = entry
        out["scales"][subscale.code] = per_scale
    return out


SectionBuilder = Callable[[Data, dict, dict], dict | None]  # None: not applicable
SECTIONS: list[tuple[str, SectionBuilder]] = [
    ("human_reliability", lambda data, report, options: _section_human_reliability(data)),
    ("internal_consistency", lambda data, report, options: _section_consistency(data)),
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
        data.study, instrument_version=data.version, items=data.items)),
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
    data = Data(study, instrument_version, cluster_field)
    report = {
        "report_version": REPORT_VERSION,
        "study": study.slug, "study_title": study.title,
        "instrument": str(instrument_version), "generated_at": timezone.now().isoformat(),
        "cluster_field": cluster_field, "seed": seed, "n_boot": n_boot,
        "raters": {"human": data.humans, "llm": data.llms},
        "n_targets": int(data.items["target"].nunique()),
    }
    options = {"n_boot": n_boot, "seed": seed, "cluster_field": cluster_field}
    for done, (key, build) in enumerate(SECTIONS):
        if progress:
            progress(done, len(SECTIONS), key)
        section = build(data, report, options)
        if section is not None:  # None: the section does not apply to this instrument
            report[key] = section
    if progress:
        progress(len(SECTIONS), len(SECTIONS), "done")
    return jsonable(report)
