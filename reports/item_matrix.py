"""One rater's item scores on a study as a targets x items matrix, keyed, with the targets'
criteria and clusters: the input of item analysis and scale development."""

from dataclasses import dataclass

import pandas as pd

from instruments.definition.scoring import keyed

from . import frames


@dataclass(frozen=True)
class ItemMatrix:
    """``items``: every target of the study (rows, in external-id order) x every item of the
    version (columns, in instrument order), the rater's expected score (its answer when it has
    none) keyed by the instrument's reverse flags; NaN where the rater has no score (an
    unanswered item or a failed LLM rating). ``answers``: the same for the answer itself (an
    LLM's mode), on the scale's points, for floor and ceiling shares. ``criteria``: one column per criterion name.
    ``clusters``: the cluster field's value per target, or None when no field was named."""

    rater: str
    items: pd.DataFrame
    criteria: pd.DataFrame
    clusters: pd.Series | None
    bounds: dict
    answers: pd.DataFrame


def item_raters(items: pd.DataFrame) -> list[str]:
    """Raters with item scores in an `item_scores_frame`, LLM raters first."""
    kinds = items.drop_duplicates("rater").set_index("rater")["rater_kind"]
    return sorted(kinds.index, key=lambda r: (kinds[r] != "llm", r))


def item_matrix(study, *, instrument_version, rater: str | None = None,
                cluster_field: str | None = None, items: pd.DataFrame | None = None) -> ItemMatrix:
    """The matrix of ``rater`` (default: the study's only LLM rater on this version).

    ``ValueError`` with a sentence when the rater is ambiguous or has no ratings, or when
    targets lack the cluster field."""
    spec = instrument_version.spec
    items = frames.item_scores_frame(study, instrument_version=instrument_version) if items is None else items
    if rater is None:
        llms = sorted(items.loc[items["rater_kind"] == "llm", "rater"].unique())
        if not llms:
            raise ValueError(f"No LLM rater has submitted ratings of {instrument_version} in this study; "
                             "score the study with the pool first.")
        if len(llms) > 1:
            raise ValueError(f"Several LLM raters rated {instrument_version} here ({', '.join(llms)}); "
                             "name one.")
        rater = llms[0]
    rows = items[items["rater"] == rater]
    if rows.empty:
        raise ValueError(f"Rater {rater!r} has no submitted ratings of {instrument_version} in this study.")
    if rows.duplicated(["target", "item"]).any():
        raise ValueError(f"Rater {rater!r} rated some targets more than once; item analysis needs one "
                         "rating per target (pick an LLM rater, or one human rater).")
    targets = frames.targets_frame(study, cluster_field=cluster_field).set_index("target")
    value = rows["expected_score"].fillna(rows["score"])
    matrix = _keyed_matrix(rows.assign(value=value), "value", targets.index, spec)
    answers = _keyed_matrix(rows, "score", targets.index, spec)
    criteria = targets[frames.criterion_columns(targets.reset_index())]
    criteria.columns = [c.split(":", 1)[1] for c in criteria.columns]
    clusters = None
    if cluster_field:
        clusters = targets["cluster"]
        if clusters.isna().any():
            missing = list(clusters[clusters.isna()].index[:5])
            raise ValueError(f"{int(clusters.isna().sum())} target(s) have no metadata field "
                             f"{cluster_field!r} (e.g. {', '.join(map(str, missing))}); every target "
                             "needs its cluster.")
        clusters = clusters.astype(str)
    bounds = {item.code: (item.scale.min, item.scale.max) for item in spec.items}
    return ItemMatrix(rater=rater, items=matrix, criteria=criteria, clusters=clusters, bounds=bounds,
                      answers=answers)


def _keyed_matrix(rows: pd.DataFrame, column: str, index, spec) -> pd.DataFrame:
    matrix = rows.pivot(index="target", columns="item", values=column)
    matrix = matrix.reindex(index=index, columns=list(spec.item_codes)).astype(float)
    for code in matrix.columns:
        item = spec.item(code)
        if item.reverse:
            matrix[code] = matrix[code].map(lambda v: keyed(item, v) if pd.notna(v) else v)
    return matrix
