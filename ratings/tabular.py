"""Reading uploaded tables (CSV or JSONL) into numbered rows, and the errors an import reports.

Every row keeps the line it came from, so an error names the line a user can open in an
editor. Parsing never writes anything: services store the rows in one transaction, as they
are handed on (``iter_table``) or from a list (``read_table``), and a bad row rolls it all back.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from common.json_bounded import MAX_DEPTH, JsonBoundsError, NotAnArray, iter_array

TableFormat = Literal["csv", "jsonl"]

# A long session transcript is one CSV field, and the csv module refuses fields over 128 KiB by
# default; the request size limit (ANCHOR_MAX_UPLOAD_BYTES) is what bounds a field instead.
csv.field_size_limit(2**31 - 1)
# Past this many bad rows a file is refused without looking for more (the message says so).
MAX_ERRORS = 1000
_CHUNK = 64 * 1024


class Line(int):
    """A physical line number that also knows its CSV record: the record's number (1 = the first
    after the header), its last line and its id. Compares, hashes and serialises as the int.

    Rows are handed on while the file is still being read, but a file shows records only when
    one of its records spans lines: ``shown`` is the reader's flag, read when an error is written."""

    def __new__(cls, line: int, *, record: int = 0, last: int = 0, record_id: str = "", shown: list | None = None):
        self = super().__new__(cls, line)
        self._record, self._last, self._record_id, self._shown = record, last or line, record_id, shown
        return self

    @property
    def _visible(self) -> bool:
        return self._shown is None or self._shown[0]

    @property
    def record(self) -> int:
        return self._record if self._visible else 0

    @property
    def last(self) -> int:
        return self._last if self._visible else int(self)

    @property
    def record_id(self) -> str:
        return self._record_id if self._visible else ""

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

    def _record(self) -> tuple[int, str]:
        # the line's record is looked up here, not when the error was made (see ``Line``)
        if self.record or not isinstance(self.line, Line):
            return self.record, self.record_id
        return self.line.record, self.line.record_id

    def __str__(self) -> str:
        if isinstance(self.line, Line) and self.line.record:
            return f"{self.line.where()}: {self.reason}"
        return f"line {int(self.line)}: {self.reason}" if self.line else self.reason

    def as_dict(self) -> dict:
        """What the API reports: ``line`` and ``reason``, and ``record``/``id`` where known."""
        out = {"line": int(self.line), "reason": self.reason}
        record, record_id = self._record()
        if record:
            out.update(record=record, id=record_id)
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
    """All rows of :func:`iter_table`, as a list."""
    return list(iter_table(source, fmt, required=required, max_rows=max_rows, name=name))


def iter_table(source, fmt: TableFormat | Literal["json"], *, required: Iterable[str] = (),
               max_rows: int | None = None, name: str = "the body") -> Iterator[Row]:
    """The rows of a table in ``source``, each handed on as soon as it is read: a text stream, or
    a binary one (a file, an upload, a request body) decoded as UTF-8 (a BOM is fine); ``json``
    is a JSON array of objects (binary only), element N being line N as JSON Lines count.

    A consumer that stores rows as they come does so in a transaction: when the table turns out
    bad, the iterator raises ``ImportRejected`` at the end (or at ``max_rows``, or at
    ``MAX_ERRORS`` problems), naming every bad row it found, and the transaction rolls back.
    Bad rows are not handed on."""
    errors = _Errors()
    if fmt == "json":
        rows = _read_json(source, max_rows, errors)
    else:
        text = source if isinstance(source, io.TextIOBase) else _text_stream(source)
        rows = _read_csv(text, tuple(required), max_rows, errors) if fmt == "csv" else _read_jsonl(text, max_rows, errors)
    count = 0
    try:
        for row in rows:
            count += 1
            yield row
    except UnicodeDecodeError:
        raise ImportRejected([RowError(0, f"{name} is not UTF-8 text")]) from None
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: int(e.line)))
    if not count:
        raise ImportRejected([RowError(0, "the array has no rows" if fmt == "json" else "the file has no data rows")])


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


def _read_csv(text, required: tuple[str, ...], max_rows: int | None, errors: _Errors) -> Iterator[Row]:
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
    id_index = next((header.index(c) for c in ("id", "target_id") if c in header), -1)
    spans_lines = [False]  # does any record of the file span lines? (``Line`` reads it later)
    record, previous = 0, reader.line_num
    while True:
        first = previous + 1
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            errors.add(RowError(Line(first, last=reader.line_num), f"not valid CSV: {exc}"))
            return
        previous = reader.line_num
        if fields is None:
            return
        if not fields:  # a blank line
            continue
        record += 1
        spans_lines[0] = spans_lines[0] or reader.line_num > first
        if max_rows is not None and record > max_rows:
            raise _too_many(max_rows)
        record_id = fields[id_index].strip()[:60] if 0 <= id_index < len(fields) else ""
        line = Line(first, record=record, last=reader.line_num, record_id=record_id, shown=spans_lines)
        if len(fields) != len(header):
            more = "more" if len(fields) > len(header) else "fewer"
            errors.add(RowError(line, f"{more} fields than the header's {len(header)}"))
        elif any("\x00" in v for v in fields):
            errors.add(RowError(line, "contains a NUL character (\\x00)"))
        elif any(v.strip() for v in fields):
            yield Row(line, dict(zip(header, fields)), record)


def _read_jsonl(text, max_rows: int | None, errors: _Errors) -> Iterator[Row]:
    rows = 0
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        if max_rows is not None and rows + len(errors) >= max_rows:
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
        rows += 1
        yield Row(number, values)


def _read_json(binary, max_rows: int | None, errors: _Errors) -> Iterator[Row]:
    try:
        for number, values in iter_array(binary, max_depth=MAX_DEPTH, max_length=max_rows):
            if not isinstance(values, dict):
                errors.add(RowError(number, "each element must be a JSON object"))
                continue
            problem = value_problem(values)
            if problem:
                errors.add(RowError(number, problem))
                continue
            yield Row(number, values)
    except NotAnArray:
        raise ImportRejected([RowError(0, "send a JSON array of objects, text/csv or application/jsonl")]) from None
    except JsonBoundsError as exc:
        raise ImportRejected([*errors, RowError(exc.element, str(exc))]) from None


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


def reject_nul(rows: Iterable[Row]) -> None:
    """NUL characters are refused (PostgreSQL cannot store them in text or JSON, and no real
    transcript has one), and so is JSON nested deeper than ``MAX_DEPTH``: every such row is
    named. Iterative, so a value nested 900 deep is a 400 with its line, not a RecursionError."""
    for _ in nul_rejected(rows):
        pass


def nul_rejected(rows: Iterable[Row]) -> Iterator[Row]:
    """The rows as ``reject_nul`` checks them, handed on one at a time, for an import that reads
    a stream once: a bad row is not handed on, and ``ImportRejected`` naming every bad row is
    raised after the last one (the importer's transaction then rolls back)."""
    errors = []
    for row in rows:
        problem = value_problem(row.values)
        if problem:
            errors.append(RowError(row.line, problem))
        else:
            yield row
    if errors:
        raise ImportRejected(errors)
