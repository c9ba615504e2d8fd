"""CSV for spreadsheets: every CSV Anchor writes goes through here, so no cell runs as a formula.

A spreadsheet treats a cell that starts with ``= + - @`` (or a tab or carriage return before
one) as a formula; material and rater names come from uploads, so such a cell is written with a
leading ``'`` (OWASP, "CSV Injection"). Numbers, including negative ones, are left as they are.
"""

import csv
import io
import json
from collections.abc import Iterable, Mapping

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(value) -> object:
    """The value as a CSV cell: dicts and lists as JSON, None as empty, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def csv_table_text(header: list, rows: Iterable[Iterable]) -> str:
    """A header and rows (sequences) as CSV text, formulas defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def csv_text(rows: Iterable[Mapping], columns: list[str]) -> str:
    """Rows (dicts) as CSV text with a header; keys outside ``columns`` are left out."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()
