"""Report section 8, item analysis: each LLM rater's item scores, item by item.

Per item: distribution (mean, SD, skew, floor and ceiling share of the scale), corrected
item-total correlation, loading on one factor, r with each criterion, and the missing share
(unanswered or failed). Humans are not analysed here: several humans rate a target, so their
answers are not one targets x items matrix (section 2 covers their item statistics)."""

from psychometrics.scale_development import item_analysis

from .item_matrix import item_matrix
from .stats import jsonable

COLUMNS = ["n", "missing_share", "mean", "sd", "skew", "floor_share", "ceiling_share", "r_drop", "loading"]


def section_item_analysis(data) -> dict:
    """``data`` is the report's `Data`; one entry per LLM rater, or the reason there is none."""
    out = {"basis": "each LLM rater's expected scores (floor and ceiling: its modes), reverse-keyed "
                    "items keyed; failed targets missing",
           "pool": bool(data.spec.pool), "llm": {}}
    for rater in data.llms:
        try:
            matrix = item_matrix(data.study, instrument_version=data.version, rater=rater, items=data.items)
            table = item_analysis(matrix.items, matrix.criteria if len(matrix.criteria.columns) else None,
                                  bounds=matrix.bounds, answers=matrix.answers)
        except ValueError as error:
            out["llm"][rater] = {"error": str(error)}
            continue
        out["llm"][rater] = {"items": [{"item": code, **row} for code, row in table.to_dict("index").items()]}
    return jsonable(out)


def item_analysis_tables(report: dict) -> list[dict]:
    """The section as tables for the HTML report (one per LLM rater)."""
    section = report.get("item_analysis")
    if not section:
        return []
    tables = []
    for rater, entry in section["llm"].items():
        if "error" in entry:
            rows, header = [[entry["error"]]], ["not computed"]
        else:
            extra = [k for k in (entry["items"][0] if entry["items"] else {}) if k.startswith("r:")]
            header = ["item"] + COLUMNS + extra
            rows = [[row["item"]] + [_fmt(row.get(c)) for c in COLUMNS + extra] for row in entry["items"]]
        tables.append({"title": f"8. Item analysis: LLM {rater}", "headers": header, "rows": rows,
                       "note": section["basis"]})
    return tables


def _fmt(value) -> str:
    if value is None:
        return "—"
    return str(int(value)) if isinstance(value, int) else f"{value:.3f}"
