"""Section 2, internal consistency: alpha, omega (total per scale; hierarchical with the
subscales as group factors), one-factor CFA fit and item statistics, for the human ratings and
each LLM rater, with small-sample warnings and fit indices at their bounds explained.

An instrument without subscales is analysed at item level: its non-nominal items as one set.
"""

import pandas as pd

import psychometrics as pm

from .multilevel import multilevel_consistency
from .stats import attempt


def _keyed_item_matrix(data, rows: pd.DataFrame, index, column: str) -> pd.DataFrame:
    return _keyed(data, rows.pivot_table(index=index, columns="item", values=column, aggfunc="first"))


def _human_item_matrix(data) -> pd.DataFrame:
    """(target, rater) x item of the human answers, keyed: `_keyed_item_matrix` of the human rows,
    laid out from the report's integer codes (`LongCodes.by_target_and_rater`)."""
    scores = data.items["score"].to_numpy(dtype=float)
    return _keyed(data, data.item_codes.by_target_and_rater(data.item_positions("human"), scores, name="item"))


def _keyed(data, matrix: pd.DataFrame) -> pd.DataFrame:
    for code in matrix.columns:
        item = data.spec.item(code)
        if item.reverse:  # keyed() over the column: min + max - value
            matrix[code] = item.scale.min + item.scale.max - matrix[code]
    return matrix


FEW_FACTOR_OBSERVATIONS = 100
FEW_CFA_OBSERVATIONS = 200
OMEGA_WARNING = ("Omega comes from a factor model fitted to {n} observations (fewer than 100): loadings are "
                 "unstable at this size unless communalities are high (MacCallum, Widaman, Zhang & Hong 1999, "
                 "Psychological Methods 4(1), 84-99).")
CFA_WARNING = ("A CFA on {n} observations (fewer than 200): fit indices are unstable and chi-square based "
               "indices are biased at this size (Boomsma 1985; Kline 2016, Principles and Practice of SEM, "
               "4th ed., ch. 9); read them as descriptive only.")


def _scale_sets(data, matrix: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(code, items) of every scale to analyse: the subscales, or, without subscales, all the
    instrument's non-nominal items as one set (item-level analysis)."""
    if data.spec.subscales:
        return [(s.code, [c for c in s.items if c in matrix.columns]) for s in data.spec.subscales]
    codes = [code for _, code in data.score_measures() if code in matrix.columns]
    return [(ALL_ITEMS, codes)] if codes else []


ALL_ITEMS = "all_items"


def _consistency(data, matrix: pd.DataFrame) -> dict:
    out = {}
    scores = pm.ItemScores(matrix)  # converted once, covariances shared by every scale's statistics
    for code, codes in _scale_sets(data, matrix):
        sub = scores.select(codes)
        entry = {"items": codes, "alpha": attempt(lambda: pm.cronbach_alpha(sub))}
        if code == ALL_ITEMS:
            entry["note"] = "the instrument defines no subscales: all its items analysed as one set"
        groups = _group_factors(data, code, codes)
        if len(codes) >= 3:
            entry["omega"] = _warn_small(_fitted(attempt(lambda: pm.omega(sub))), FEW_FACTOR_OBSERVATIONS,
                                         OMEGA_WARNING)
            entry["item_statistics"] = attempt(lambda: pm.item_statistics(sub, with_omega=False))
        else:
            entry["omega"] = {"error": f"Omega needs at least three items; this scale has {len(codes)}."}
        if len(groups) >= 2:  # a scale made of subscales: omega hierarchical with them as groups
            entry["omega_hierarchical"] = _warn_small(_proper(attempt(lambda: pm.omega(sub, subscales=groups))),
                                                      FEW_FACTOR_OBSERVATIONS, OMEGA_WARNING)
        if len(codes) >= 4:
            entry["cfa_one_factor"] = _cfa_bounds(_warn_small(_fitted(attempt(lambda: pm.cfa_one_factor(sub))),
                                                              FEW_CFA_OBSERVATIONS, CFA_WARNING))
        out[code] = entry
    return out


def _warn_small(figure: dict, limit: int, text: str) -> dict:
    n = figure.get("n")
    if n is not None and n < limit and "error" not in figure:
        figure = {**figure, "warnings": [*figure.get("warnings", []), text.format(n=n)]}
    return figure


def _cfa_bounds(cfa: dict) -> dict:
    """CFI is capped at 1 by its formula and TLI is not: say why a fit index sits at or beyond 1."""
    if "error" in cfa or cfa.get("tli") is None:
        return cfa
    notes = {}
    if cfa["chisq"] < cfa["df"]:
        notes["cfi"] = (f"CFI is 1 by construction when chi-square ({cfa['chisq']:.2f}) is below its degrees of "
                        f"freedom ({cfa['df']}); it says no misfit was detected, not that the fit is perfect.")
    if cfa["tli"] > 1:
        notes["tli"] = (f"TLI {cfa['tli']:.3f} exceeds its nominal maximum of 1 because chi-square "
                        f"({cfa['chisq']:.2f}) is below its degrees of freedom ({cfa['df']}), which happens by "
                        f"chance with few observations (n = {cfa['n']}); read it as 1.")
    return {**cfa, "out_of_range": notes} if notes else cfa


def _group_factors(data, code: str, codes: list[str]) -> dict[str, list[str]]:
    """The other subscales whose items all belong to this scale (its group factors)."""
    return {other.code: list(other.items) for other in data.spec.subscales
            if other.code != code and set(other.items) < set(codes)}


def _fitted(figure: dict) -> dict:
    """A figure whose factor fit did not converge is recorded as the reason (the library's
    warning sentences), not as a number; a converged fit's problems (a Heywood case) are kept as
    ``fit_problems`` for the figure's cell."""
    if "error" in figure:
        return figure
    if figure.get("converged", True):  # converged, maybe improper: the cell names the problem
        if not figure.get("warnings"):
            return figure
        rest = {key: value for key, value in figure.items() if key != "warnings"}
        return {**rest, "fit_problems": list(figure["warnings"])}
    reason = " ".join(figure.get("warnings") or []) or "The factor fit did not converge."
    return {"error": reason, "converged": False, "n": figure.get("n")}


def _proper(omega: dict) -> dict:
    """An omega from an improper factor solution (a Heywood case: omega above 1 or omega
    hierarchical above omega total) or from a fit that did not converge is recorded as the
    reason, not as a number."""
    omega = _fitted(omega)
    total, hierarchical = omega.get("omega_total"), omega.get("omega_hierarchical")
    if total is None or hierarchical is None or (total <= 1 and hierarchical <= total):
        return omega
    return {"error": f"The factor solution is improper (a Heywood case: omega total {total:.3f}, omega "
                     f"hierarchical {hierarchical:.3f}): {omega['n']} observations do not support "
                     f"{omega['n_factors']} group factors."}


def section_consistency(data) -> dict:
    items = data.items
    human_matrix = _human_item_matrix(data)
    out = {"human": {"observations": "one row per submitted human rating (target x rater), "
                                     "answers; reverse-keyed items keyed",
                     "scales": _consistency(data, human_matrix)},
           "level": "scale" if data.spec.subscales else "item",
           "llm": {}}
    if data.targets["cluster"].notna().any():  # a cluster field: two-level omega (issue 16)
        multilevel = multilevel_consistency(human_matrix, data.targets["cluster"],
                                            dict(_scale_sets(data, human_matrix)))
        out["human"]["multilevel_omega"] = {key: _fitted(value) if isinstance(value, dict) else value
                                            for key, value in multilevel.items()}
    for rater in data.llms:
        rows = items[items["rater"] == rater].copy()
        rows["value"] = rows["expected_score"].fillna(rows["score"])
        out["llm"][rater] = {"observations": "one row per target, expected scores; "
                                             "reverse-keyed items keyed",
                             "scales": _consistency(data, _keyed_item_matrix(
                                 data, rows, "target", "value"))}
    return out
