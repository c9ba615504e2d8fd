"""Section 1, the human panel's reliability, for the study's rating design (reports/design.py).

Crossed: all six ICC forms from the targets x raters matrix, led by ICC(A,1), ICC(C,1),
ICC(A,k); Cohen's kappa for the rater pairs that share enough targets. One-way: ICC(1) and
ICC(1,k) from the one-way ANOVA on (target, score) alone (raters nested in targets, unequal
numbers allowed), the two-way forms kept in the JSON but marked as not fitting, no rater pairs.
Krippendorff's alpha does not use rater identity, so it is computed on the ratings laid out
per target (slots), whatever the ids.
"""

import numpy as np
import pandas as pd

import psychometrics as pm
from psychometrics.pairwise import cohen_kappa_pairs, icc2_pairs

from .design import MAX_LISTED_PAIRS
from .stats import attempt, icc_bounds

NOT_PAIRED = ("Raters are nested in targets (one-way design): rater ids are labels, so no pair of "
              "raters is compared.")
LEAD_FORMS = {"crossed": ["ICC2", "ICC3", "ICC2k"], "one-way": ["ICC1", "ICC1k"]}
FORM_LABELS = {"ICC1": "ICC(1)", "ICC1k": "ICC(1,k)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)",
               "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)"}
FITS = {"crossed": {"ICC2", "ICC3", "ICC2k", "ICC3k"}, "one-way": {"ICC1", "ICC1k"}}
MAX_TWO_WAY_RATERS = 100
"""In a one-way design the two-way forms (which do not fit it) are still computed for the JSON
up to this many rater ids; beyond, the rater-effect system (raters x raters) is not solved."""
FEW_TARGETS = 30
FEW_TARGETS_WARNING = ("Fewer than {limit} targets (n = {n}): the ICC's interval is wide and the estimate "
                       "unstable; Koo & Li (2016, J. Chiropractic Medicine 15(2), 155-163) advise at least "
                       "30 targets and 3 raters.")
FEW_RATERS_WARNING = ("Fewer than 3 raters per target (median {k:g}): single-rater ICCs rest on few ratings per "
                      "target; Koo & Li (2016) advise at least 3.")


def slot_matrix(long: pd.DataFrame) -> np.ndarray:
    """targets x slots: each target's ratings side by side (slot = order within the target)."""
    if long.empty:
        return np.empty((0, 0))
    t_codes, _ = pd.factorize(long["target"], sort=True)
    slot = long.groupby(t_codes).cumcount().to_numpy()
    x = np.full((t_codes.max() + 1, slot.max() + 1), np.nan)
    x[t_codes, slot] = long["score"].to_numpy(dtype=float)
    return x


def slots_from_wide(x: np.ndarray) -> np.ndarray:
    """`slot_matrix` from the targets x raters matrix: each target's scores moved left in rater
    order (the long frames are ordered by target, then rater), targets without a score dropped."""
    rated = ~np.isnan(x)
    if rated.all():  # complete: every target's scores already side by side in rater order
        return x
    keep = rated.any(axis=1)
    x, rated = x[keep], rated[keep]
    if not rated.any():
        return np.empty((0, 0))
    slot = np.cumsum(rated, axis=1) - 1
    out = np.full((len(x), int(slot[:, -1].max()) + 1), np.nan)
    rows, _ = np.nonzero(rated)
    out[rows, slot[rated]] = x[rated]
    return out


def whole_matrix(n_ratings: int, wide) -> np.ndarray | None:
    """The measure's targets x raters array when it holds all its ``n_ratings`` ratings (no
    rater rated a target twice), else None."""
    if wide is None:
        return None
    x = wide().to_numpy(dtype=float)
    return x if int((~np.isnan(x)).sum()) == n_ratings else None


def _long_frame(long) -> pd.DataFrame:
    """The long frame, built now when ``long`` is the function that builds it."""
    return long() if callable(long) else long


def _small_sample(n_targets: int, ratings_per_target: float | None) -> list[str]:
    warnings = []
    if 0 < n_targets < FEW_TARGETS:
        warnings.append(FEW_TARGETS_WARNING.format(limit=FEW_TARGETS, n=n_targets))
    if ratings_per_target is not None and ratings_per_target < 3:
        warnings.append(FEW_RATERS_WARNING.format(k=ratings_per_target))
    return warnings


def icc_entry(long, *, design: str | None, wide, n_ratings: int | None = None) -> dict:
    """The ICC forms for one measure under ``design``; ``wide()`` builds the targets x raters
    matrix (only when a two-way form is computed). ``long`` is the measure's long frame, or,
    with its number of rows ``n_ratings``, the function that builds it: called only when the
    matrix does not hold every rating or the design is one-way."""
    n_ratings = len(long) if n_ratings is None else n_ratings
    x = whole_matrix(n_ratings, wide) if design != "one-way" else None
    if x is not None:  # the counts from the matrix, without grouping the ratings by name
        per_target = (~np.isnan(x)).sum(axis=1)
        counts, n_raters = per_target[per_target > 0], int((~np.isnan(x)).any(axis=0).sum())
    else:
        long = _long_frame(long)
        counts, n_raters = long.groupby("target").size().to_numpy(), int(long["rater"].nunique())
    base = {"design": design or "undetermined", "n_targets": int(len(counts)),
            "n_raters": n_raters, "n_ratings": int(n_ratings),
            "lead": LEAD_FORMS.get(design or "crossed", []), "labels": FORM_LABELS}
    base["warnings"] = _small_sample(base["n_targets"], float(np.median(counts)) if len(counts) else None)
    if design == "one-way":
        return {**base, **_one_way_forms(_long_frame(long), base, wide)}
    matrix = wide()
    rated = matrix.notna()
    complete = bool(rated.to_numpy().all()) if rated.size else False
    base["layout"] = ("complete: every rater rated every target" if complete else
                      "incomplete: some raters did not rate some targets (Henderson III variance components)")
    result = attempt(lambda: pm.icc_matrix(matrix.to_numpy(dtype=float)))
    if "error" in result:
        return {**base, "error": result["error"]}
    forms = {f["name"]: {**icc_bounds(f), "fits_design": f["name"] in FITS["crossed"]} for f in result["forms"]}
    return {**base, "forms": forms, "method": result["method"]}


def _one_way_forms(long: pd.DataFrame, base: dict, wide) -> dict:
    one = attempt(lambda: pm.icc_oneway(long))
    base["layout"] = "raters nested in targets (rater ids are labels)"
    if "error" in one:
        return {"error": one["error"]}
    forms = {f["name"]: {**icc_bounds(f), "fits_design": True} for f in one["forms"]}
    why = "a two-way form, which does not fit a one-way design (raters nested in targets; ids are labels)"
    if base["n_raters"] > MAX_TWO_WAY_RATERS:
        two_way = {"error": f"Not computed: {base['n_raters']:,} rater ids nested in targets; {why}."}
    else:
        two_way = attempt(lambda: pm.icc_matrix(wide().to_numpy(dtype=float)))
    for name in ("ICC2", "ICC3", "ICC2k", "ICC3k"):
        form = next((f for f in two_way.get("forms", []) if f["name"] == name),
                    {"error": two_way.get("error", "Not computed.")})
        forms[name] = {**(icc_bounds(form) if "error" not in form else form), "fits_design": False, "note": why}
    return {"forms": {name: forms[name] for name in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")},
            "method": one["method"], "n0": one["n0"], "k_harmonic": one["k_harmonic"],
            "ratings_per_target": one["ratings_per_target"]}


def krippendorff_entry(long, level: str, *, wide=None, n_ratings: int | None = None) -> dict:
    """Krippendorff's alpha of one measure with its bootstrap interval; ``wide()``, when given,
    is the measure's targets x raters matrix, laid out in slots without grouping by name.
    ``long`` and ``n_ratings`` as in `icc_entry`."""
    whole = whole_matrix(len(long) if n_ratings is None else n_ratings, wide)
    x = slot_matrix(_long_frame(long)) if whole is None else slots_from_wide(whole)
    return attempt(lambda: pm.krippendorff_alpha_matrix(x, level=level, n_boot=500))


def pair_figures(long: pd.DataFrame, pairs: list[tuple[str, str, int]], compute) -> list[dict]:
    """``compute(x, y)`` for each rater pair (a, b, shared targets) on the targets both rated."""
    by_rater = {r: s.set_index("target")["score"] for r, s in long.groupby("rater")}
    out = []
    for a, b, shared in pairs:
        if a in by_rater and b in by_rater:
            both = pd.concat({"a": by_rater[a], "b": by_rater[b]}, axis=1).dropna()
            out.append({"rater_a": a, "rater_b": b, "shared_targets": shared,
                        **compute(both["a"], both["b"])})
    return out


def _matrix_pairs(matrix: pd.DataFrame, pairs: list[tuple[str, str, int]]):
    """The pairs whose raters both have a score in ``matrix`` (targets x raters), with their
    column positions; the others are not compared (as `pair_figures` skips them)."""
    scored = matrix.columns[matrix.notna().to_numpy().any(axis=0)]
    position = {rater: j for j, rater in enumerate(matrix.columns) if rater in set(scored)}
    kept = [(a, b, shared) for a, b, shared in pairs if a in position and b in position]
    return kept, [position[a] for a, _, _ in kept], [position[b] for _, b, _ in kept]


def _figures(kept: list[tuple[str, str, int]], results, name: str | None, figure) -> list[dict]:
    out = []
    for (a, b, shared), result in zip(kept, results):
        value = {"error": str(result)} if isinstance(result, ValueError) else figure(result.to_dict())
        out.append({"rater_a": a, "rater_b": b, "shared_targets": shared,
                    **({name: value} if name else value)})
    return out


def kappa_pairs(matrix: pd.DataFrame, pairs: list[tuple[str, str, int]], *, categories, weights) -> list[dict]:
    """Cohen's kappa of each rater pair on the targets both rated, from the measure's targets x
    raters ``matrix``: the figures `pair_figures` gives with `pm.cohen_kappa`, all pairs in one
    pass (`psychometrics.pairwise`)."""
    kept, a, b = _matrix_pairs(matrix, pairs)
    results = cohen_kappa_pairs(matrix.to_numpy(dtype=float), a, b, categories=categories, weights=weights)
    return _figures(kept, results, None, lambda figure: figure)


def icc2_pair_figures(matrix: pd.DataFrame, pairs: list[tuple[str, str, int]]) -> list[dict]:
    """ICC(A,1) of each rater pair on the targets both rated (``{"ICC2": ...}`` per pair, its
    interval limited to [0, 1]): what `pair_figures` gives with `stats.pair_icc2`, all pairs in
    one pass."""
    kept, a, b = _matrix_pairs(matrix, pairs)
    return _figures(kept, icc2_pairs(matrix.to_numpy(dtype=float), a, b), "ICC2", icc_bounds)


def pair_summary(pairs: list[dict], *, threshold: int, n_sharing: int, key: str | None = None) -> dict:
    """The distribution of a pair statistic over the compared pairs (quartiles), with how many
    pairs shared too few targets to be compared."""
    figures = [p[key] if key else p for p in pairs]
    values = np.array([f["estimate"] for f in figures if f.get("estimate") is not None], dtype=float)
    out = {"n_pairs": len(pairs), "n_computed": int(len(values)), "min_shared_targets": threshold,
           "n_pairs_below_threshold": max(n_sharing - len(pairs), 0),
           "listed": len(pairs) <= MAX_LISTED_PAIRS}
    if len(values):
        q = np.quantile(values, [0, 0.25, 0.5, 0.75, 1])
        out.update({"min": q[0], "q1": q[1], "median": q[2], "q3": q[3], "max": q[4]})
    return out


def summary_text(summary: dict) -> str:
    if not summary.get("n_computed"):
        return (f"no pair of raters shares {summary['min_shared_targets']} targets"
                if not summary["n_pairs"] else "no pair coefficient could be computed")
    return (f"{summary['n_computed']} pairs sharing >= {summary['min_shared_targets']} targets: median "
            f"{summary['median']:.3f} (quartiles {summary['q1']:.3f} to {summary['q3']:.3f}; range "
            f"{summary['min']:.3f} to {summary['max']:.3f}); {summary['n_pairs_below_threshold']} pairs "
            "shared fewer targets and are not compared")
