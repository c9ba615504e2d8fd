"""Reading uploaded tables (CSV or JSONL) into numbered rows, and the errors an import reports.

Every row keeps the line it came from, so an error names the line a user can open in an
editor. Parsing never writes anything: services validate every row first, then write the
whole file in one transaction or nothing at all.

Reading is incremental: a file, an uploaded file or a request body is decoded and parsed as
it is read (the csv module over a text stream, JSON Lines line by line), never held whole as
text, and reading stops at ``max_rows`` (the API's 100,000) instead of parsing the rest.
Values are checked without recursion: NUL characters and JSON nested deeper than
``MAX_DEPTH`` levels are refused by line.

Where a CSV record spans several lines (a quoted field with line breaks, as transcripts have),
the row's ``line`` is the record's first line and also says which record it is and its id, so
an error reads ``record 3, id T02, line 29: ...`` (``Line``, an ``int`` that importers use as
before; ``RowError`` picks the record up from it).
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.json_bounded import MAX_DEPTH

TableFormat = Literal["csv", "jsonl"]

# A long session transcript is one CSV field, and the csv module refuses fields over 128 KiB by
# default; the request size limit (ANCHOR_MAX_UPLOAD_BYTES) is what bounds a field instead.
csv.field_size_limit(2**31 - 1)
# Past this many bad rows a file is refused without looking for more (the message says so).
MAX_ERRORS = 1000
_CHUNK = 64 * 1024


class Line(int):
    """A physical line number that also knows its CSV record: the record's number (1 = the first
    after the header), its last line and its id. Compares, hashes and serialises as the int."""

    record: int
    last: int
    record_id: str

    def __new__(cls, line: int, *, record: int = 0, last: int = 0, record_id: str = ""):
        self = super().__new__(cls, line)
        self.record, self.last, self.record_id = record, last or line, record_id
        return self

    def where(self) -> str:
        parts = [f"record {self.record}"] if self.record else []
        if self.record_id:
            parts.append(f"id {self.record_id}")
        parts.append(f"line {int(self)}" if self.last == int(self) else f"lines {int(self)}-{self.last}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str
    record: int = 0
    record_id: str = ""

    def __post_init__(self):
        if isinstance(self.line, Line) and self.line.record and not self.record:
            object.__setattr__(self, "record", self.line.record)
            object.__setattr__(self, "record_id", self.line.record_id)

    def __str__(self) -> str:
        if isinstance(self.line, Line) and self.line.record:
            return f"{self.line.where()}: {self.reason}"
        return f"line {self.line}: {self.reason}" if self.line else self.reason

    def as_dict(self) -> dict:
        """What the API reports: ``line`` and ``reason``, and ``record``/``id`` where known."""
        out = {"line": int(self.line), "reason": self.reason}
        if self.record:
            out.update(record=self.record, id=self.record_id)
        return out


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
    record: int = field(default=0, compare=False)


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


# --- reading -------------------------------------------------------------------------------

def read_rows(text: str, fmt: TableFormat, *, required: Iterable[str] = (), max_rows: int | None = None) -> list[Row]:
    """Parse ``text``; raise ``ImportRejected`` if it cannot be read as a table at all."""
    return read_table(io.StringIO(text.lstrip("\ufeff"), newline=""), fmt, required=required, max_rows=max_rows)


def read_table(source, fmt: TableFormat, *, required: Iterable[str] = (), max_rows: int | None = None,
               name: str = "the body") -> list[Row]:
    """Parse a table from ``source`` as it is read: a text stream, or a binary one (a file, an
    upload, a request body) decoded as UTF-8 (a BOM is fine). ``ImportRejected`` if it cannot
    be read as a table, has a bad row, or has more than ``max_rows`` rows (reading stops there)."""
    text = source if isinstance(source, io.TextIOBase) else _text_stream(source)
    reader = _read_csv(text, tuple(required), max_rows) if fmt == "csv" else _read_jsonl(text, max_rows)
    try:
        rows = reader()
    except UnicodeDecodeError:
        raise ImportRejected([RowError(0, f"{name} is not UTF-8 text")]) from None
    if not rows:
        raise ImportRejected([RowError(0, "the file has no data rows")])
    return rows


def read_file(path: str | Path, declared: str | None = None, *, required: Iterable[str] = (),
              max_rows: int | None = None) -> list[Row]:
    """Read a CSV or JSONL file into rows (UTF-8), as it is read."""
    fmt = format_for(path, declared)
    try:
        with open(path, "rb") as handle:
            return read_table(handle, fmt, required=required, max_rows=max_rows, name=Path(path).name)
    except OSError as exc:
        raise ImportRejected([RowError(0, f"cannot read {path}: {exc.strerror}")]) from exc


class _Reader(io.RawIOBase):
    """Any object with ``read(n)`` (a request, an uploaded file) as a raw stream for io's buffers."""

    def __init__(self, source):
        self.source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _text_stream(source) -> io.TextIOWrapper:
    raw = source if isinstance(source, (io.BufferedIOBase, io.RawIOBase)) else _Reader(source)
    buffered = raw if isinstance(raw, io.BufferedIOBase) else io.BufferedReader(raw, _CHUNK)
    # utf-8-sig: a BOM is dropped; strict, so a Latin-1 or UTF-16 file is refused, not garbled
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="strict", newline="")


def _too_many(max_rows: int) -> ImportRejected:
    return ImportRejected([RowError(0, f"more than {max_rows} rows; one request takes at most {max_rows}")])


class _Errors(list):
    def add(self, error: RowError) -> None:
        self.append(error)
        if len(self) >= MAX_ERRORS:
            self.append(RowError(0, f"stopped reading after {MAX_ERRORS} problems"))
            raise ImportRejected(list(self))


def _read_csv(text, required: tuple[str, ...], max_rows: int | None):
    def read() -> list[Row]:
        reader = csv.reader(text)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            raise ImportRejected([RowError(1, f"not valid CSV: {exc}")]) from None
        missing = [name for name in required if name not in header]
        if missing:
            raise ImportRejected([RowError(1, f"the header lacks column(s) {', '.join(missing)}; it has "
                                              f"{', '.join(header) or 'nothing'}")])
        duplicated = sorted({name for name in header if header.count(name) > 1})
        if duplicated:
            raise ImportRejected([RowError(1, f"the header repeats column(s) {', '.join(duplicated)}")])
        id_column = next((c for c in ("id", "target_id") if c in header), None)
        found, errors, spans_lines = [], _Errors(), False
        record, previous = 0, reader.line_num
        while True:
            first = previous + 1
            try:
                fields = next(reader, None)
            except csv.Error as exc:
                errors.add(RowError(Line(first, last=reader.line_num), f"not valid CSV: {exc}"))
                break
            previous = reader.line_num
            if fields is None:
                break
            if not fields:  # a blank line
                continue
            record += 1
            spans_lines = spans_lines or reader.line_num > first
            if max_rows is not None and len(found) >= max_rows:
                raise _too_many(max_rows)
            found.append((first, reader.line_num, record, fields))
        rows, width = [], len(header)
        for item in found:
            first, last, number, fields = item
            if len(fields) != width:
                more = "more" if len(fields) > width else "fewer"
                errors.add(_csv_error(item, header, id_column, f"{more} fields than the header's {width}",
                                      spans_lines))
                continue
            joined = "".join(fields)  # one string per row: the checks below cost a scan, not a generator
            if "\x00" in joined:
                errors.add(_csv_error(item, header, id_column, "contains a NUL character (\\x00)", spans_lines))
                continue
            if not joined.isspace() and joined:
                line = _csv_line(item, header, id_column) if spans_lines else first
                rows.append(Row(line, dict(zip(header, fields)), number))
        if errors:
            raise ImportRejected(sorted(errors, key=lambda e: int(e.line)))
        return rows

    return read


def _csv_line(item, header, id_column) -> Line:
    first, last, number, fields = item
    index = header.index(id_column) if id_column else -1
    record_id = fields[index].strip()[:60] if 0 <= index < len(fields) else ""
    return Line(first, record=number, last=last, record_id=record_id)


def _csv_error(item, header, id_column, reason: str, spans_lines: bool) -> RowError:
    return RowError(_csv_line(item, header, id_column) if spans_lines else item[0], reason)


def _read_jsonl(text, max_rows: int | None):
    def read() -> list[Row]:
        rows, errors = [], _Errors()
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            if max_rows is not None and len(rows) + len(errors) >= max_rows:
                raise _too_many(max_rows)
            try:
                values = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.add(RowError(number, f"not valid JSON: {exc.msg} (column {exc.colno})"))
                continue
            except RecursionError:
                errors.add(RowError(number, f"not valid JSON: nested too deeply (more than {MAX_DEPTH} levels)"))
                continue
            if not isinstance(values, dict):
                errors.add(RowError(number, "each line must be a JSON object"))
                continue
            problem = value_problem(values)
            if problem:
                errors.add(RowError(number, problem))
                continue
            rows.append(Row(number, values))
        if errors:
            raise ImportRejected(list(errors))
        return rows

    return read


# --- checking values -----------------------------------------------------------------------

def value_problem(value, *, max_depth: int = MAX_DEPTH) -> str | None:
    """Why a row's values cannot be stored, or None: a NUL character anywhere (keys included),
    or containers nested deeper than ``max_depth``. Iterative: any depth is safe to check."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "contains a NUL character (\\x00)"
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                return f"nested too deeply (more than {max_depth} levels)"
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)
    return None


def reject_nul(rows: list[Row]) -> None:
    """NUL characters are refused (PostgreSQL cannot store them in text or JSON, and no real
    transcript has one), and so is JSON nested deeper than ``MAX_DEPTH``: every such row is
    named. Iterative, so a value nested 900 deep is a 400 with its line, not a RecursionError."""
    errors = []
    for row in rows:
        problem = value_problem(row.values)
        if problem:
            errors.append(RowError(row.line, problem))
    if errors:
        raise ImportRejected(errors)
