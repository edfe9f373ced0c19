"""Spreadsheet cells that never run what citizens typed (CSV/formula injection).

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula (``=HYPERLINK(...)``,
DDE payloads). Every CSV or Excel export goes through this module:

* CSV: such a cell is prefixed with a single quote and every field is quoted
  (OWASP "CSV Injection"), so a separator inside a value cannot start a new cell
  either. ``unescape_cell`` removes the quote again when the desk reads its own file.
* xlsx (openpyxl): strings are stored as string cells, never formulas, with
  Excel's "quote prefix" style so that editing the cell keeps it text; the value
  itself is unchanged.

Numbers stay numbers (a negative fee is ``-5000``, not text): only ``str`` values
are escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any, TypeVar

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

T = TypeVar("T")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_PREFIXES)


def _needs_quote(text: str) -> bool:
    # Text that already starts with quotes before a formula gets one more, so that
    # ``unescape_cell`` gives back exactly what was written.
    return is_formula_like(text.lstrip(QUOTE))


def safe_cell(value: T) -> T | str:
    """A value for a CSV cell: strings that look like formulas get a leading quote."""
    if isinstance(value, str) and _needs_quote(value):
        return QUOTE + value
    return value


def unescape_cell(text: str) -> str:
    """Inverse of ``safe_cell`` for text read back from a CSV file the desk wrote."""
    if text.startswith(QUOTE) and _needs_quote(text[1:]):
        return text[1:]
    return text


class SafeCsvWriter:
    """``csv.writer`` whose every cell passes through ``safe_cell``; all fields quoted."""

    def __init__(self, fh: IO[str], **fmt: Any) -> None:
        fmt.setdefault("quoting", csv.QUOTE_ALL)
        self._writer = csv.writer(fh, **fmt)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_csv(fh: IO[str], header: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """Header and rows to ``fh`` as safe CSV; returns the number of data rows."""
    writer = SafeCsvWriter(fh)
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


def write_dict_csv(fh: IO[str], fieldnames: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """Like ``csv.DictWriter`` (header row first) with safe cells."""
    return write_csv(fh, fieldnames, ([r.get(k) for k in fieldnames] for r in rows))


def _xlsx_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters (other than tab/newline/CR) are not allowed in XML: drop
    # them rather than fail the whole export over one stray byte.
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def set_xlsx_cell(cell: Any, value: Any) -> None:
    """Put ``value`` into an openpyxl cell; a string is always stored as text."""
    if isinstance(value, str):
        cell.value = _xlsx_text(value)
        # openpyxl turns "=..." into a formula and "#N/A" into an error: force text.
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def append_xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """Append one row of safe cells to an openpyxl worksheet; returns its cells."""
    values = [_xlsx_text(v) if isinstance(v, str) else v for v in values]
    ws.append(values)
    row = ws.max_row
    cells = [ws.cell(row=row, column=col) for col in range(1, len(values) + 1)]
    for cell, value in zip(cells, values, strict=True):
        set_xlsx_cell(cell, value)
    return cells


__all__ = [
    "FORMULA_PREFIXES",
    "SafeCsvWriter",
    "append_xlsx_row",
    "is_formula_like",
    "safe_cell",
    "set_xlsx_cell",
    "unescape_cell",
    "write_csv",
    "write_dict_csv",
]
