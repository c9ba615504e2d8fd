"""Reading uploaded tables (CSV or JSONL) into numbered rows, and the errors an import reports.

Every row keeps the line it came from, so an error names the line a user can open in an
editor. Parsing never writes anything: services validate every row first, then write the
whole file in one transaction or nothing at all.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

TableFormat = Literal["csv", "jsonl"]

# A long session transcript is one CSV field, and the csv module refuses fields over 128 KiB by
# default; the request size limit (ANCHOR_MAX_UPLOAD_BYTES) is what bounds a field instead.
csv.field_size_limit(2**31 - 1)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


class ImportRejected(ValueError):
    """The whole file was refused; ``errors`` names every bad row. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:200])
        more = f"\n  ... and {len(errors) - 200} more" if len(errors) > 200 else ""
        super().__init__(f"file rejected, nothing imported; {len(errors)} problem(s):\n{shown}{more}")


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict


def format_for(path: str | Path, declared: str | None = None) -> TableFormat:
    """The table format from an explicit choice or the file's extension."""
    if declared:
        if declared not in ("csv", "jsonl"):
            raise ImportRejected([RowError(0, f"unknown format {declared!r}; use csv or jsonl")])
        return declared  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise ImportRejected([RowError(0, f"cannot tell the format of {Path(path).name}: name it .csv or .jsonl")])


def read_rows(text: str, fmt: TableFormat, *, required: Iterable[str] = ()) -> list[Row]:
    """Parse ``text``; raise ``ImportRejected`` if it cannot be read as a table at all."""
    rows = _read_csv(text, tuple(required)) if fmt == "csv" else _read_jsonl(text)
    if not rows:
        raise ImportRejected([RowError(0, "the file has no data rows")])
    reject_nul(rows)
    return rows


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def reject_nul(rows: list[Row]) -> None:
    """NUL characters are refused (PostgreSQL cannot store them in text or JSON, and no real
    transcript has one): every row holding one is named."""
    errors = [RowError(row.line, "contains a NUL character (\\x00)") for row in rows if _has_nul(row.values)]
    if errors:
        raise ImportRejected(errors)


def _read_csv(text: str, required: tuple[str, ...]) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportRejected([RowError(1, f"the header lacks column(s) {', '.join(missing)}; it has {', '.join(header) or 'nothing'}")])
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise ImportRejected([RowError(1, f"the header repeats column(s) {', '.join(duplicated)}")])
    rows, errors = [], []
    try:
        for values in reader:
            if None in values:
                errors.append(RowError(reader.line_num, f"more fields than the header's {len(header)}"))
                continue
            if any(v is None for v in values.values()):
                errors.append(RowError(reader.line_num, f"fewer fields than the header's {len(header)}"))
                continue
            if any(v.strip() for v in values.values()):
                rows.append(Row(reader.line_num, values))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"not valid CSV: {exc}"))
    if errors:
        raise ImportRejected(errors)
    return rows


def _read_jsonl(text: str) -> list[Row]:
    rows, errors = [], []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError(number, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except RecursionError:
            errors.append(RowError(number, "not valid JSON: nested too deeply"))
            continue
        if not isinstance(values, dict):
            errors.append(RowError(number, "each line must be a JSON object"))
            continue
        rows.append(Row(number, values))
    if errors:
        raise ImportRejected(errors)
    return rows


def read_file(path: str | Path, declared: str | None = None, *, required: Iterable[str] = ()) -> list[Row]:
    """Read a CSV or JSONL file into rows (UTF-8)."""
    fmt = format_for(path, declared)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(0, f"{Path(path).name} is not UTF-8 text (byte {exc.start})")]) from exc
    except OSError as exc:
        raise ImportRejected([RowError(0, f"cannot read {path}: {exc.strerror}")]) from exc
    return read_rows(text, fmt, required=required)
