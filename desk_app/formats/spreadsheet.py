"""Spreadsheet cells that never run what citizens typed.

Excel, LibreOffice and Google Sheets treat a cell beginning with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula (CSV injection): a name typed
as ``=HYPERLINK(...)`` would become a live link in an officer's spreadsheet.
``safe_cell`` writes such text as text (a leading apostrophe, which the
spreadsheet hides), and leaves numbers and other values alone.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a CSV/Excel cell: text that a spreadsheet would read as a
    formula gets a leading apostrophe; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
