"""The periodic report as files: Excel from the core, PDF from ``printing`` (the desk's renderer).

The only module of ``central`` allowed to import ``printing`` (tests/test_architecture.py):
the province's PDF must be the very one the desk prints, not a second layout.
"""

from __future__ import annotations

import re
import unicodedata

from desk_app.reports.excel import periodic_xlsx
from desk_app.reports.periodic import PeriodicReport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(report: PeriodicReport) -> bytes:
    return periodic_xlsx(report)


def pdf_bytes(report: PeriodicReport) -> bytes:
    from printing.reports import render_periodic_pdf

    return render_periodic_pdf(report)


def file_name(unit_code: str, period_key: str, suffix: str) -> str:
    """ASCII name for Content-Disposition: ``bao-cao-<unit or tinh>-<period>.<suffix>``."""
    raw = f"bao-cao-{unit_code or 'toan-tinh'}-{period_key}"
    ascii_ = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_).strip("-") + "." + suffix
