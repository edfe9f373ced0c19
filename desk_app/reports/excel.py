"""The periodic report as an .xlsx workbook (openpyxl).

Real numbers in the cells, formulas for every total (row totals and the
"Tổng cộng" row), Vietnamese headers, A4 landscape fitted to one page wide,
header rows repeated on every printed page and frozen on screen. Text that
comes from user data (field names, unit name) is written as text even when it
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, so a
spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from desk_app.formats.spreadsheet import set_xlsx_cell
from desk_app.reports.indicators import NO_DATA
from desk_app.reports.periodic import COLUMNS, GROUPS, TITLE, PeriodicReport, row_values

HEADER_TOP = 8  # first header row
FIRST_DATA = HEADER_TOP + 4  # three header rows and the column-number row
FIRST_NUM_COL = 3  # column C
# Totals as formulas of their parts, by column key.
TOTALS = {
    "received_total": ("received_online", "received_direct_post", "carried_over"),
    "resolved": ("early", "on_time", "late"),
    "in_progress": ("in_time", "overdue"),
}
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def set_text(cell: Any, text: str) -> None:
    """User text as a string cell, never a formula (the shared rule for every export)."""
    set_xlsx_cell(cell, str(text))


def _col(key: str) -> str:
    index = [k for k, _ in COLUMNS].index(key)
    return str(get_column_letter(FIRST_NUM_COL + index))


def _header(ws: Worksheet, report: PeriodicReport) -> None:
    last_col = get_column_letter(FIRST_NUM_COL + len(COLUMNS) - 1)
    set_text(ws["A1"], report.parent_name.upper())
    set_text(ws["A2"], report.unit_name.upper())
    ws["A2"].font = Font(bold=True)
    ws.merge_cells("A1:F1")
    ws.merge_cells("A2:F2")
    ws["H1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["H1"].font = Font(bold=True)
    ws["H2"] = "Độc lập - Tự do - Hạnh phúc"
    ws["H2"].font = Font(bold=True)
    ws.merge_cells(f"H1:{last_col}1")
    ws.merge_cells(f"H2:{last_col}2")
    for ref in ("A1", "A2", "H1", "H2"):
        ws[ref].alignment = Alignment(horizontal="center")
    ws["A4"] = TITLE
    ws["A4"].font = Font(bold=True, size=14)
    ws["A5"] = report.period_line
    set_text(ws["A6"], report.filter_line)
    for row in (4, 5, 6):
        ws.merge_cells(f"A{row}:{last_col}{row}")
        ws[f"A{row}"].alignment = Alignment(horizontal="center")

    top = HEADER_TOP
    ws.cell(top, 1, "STT")
    ws.cell(top, 2, "Lĩnh vực giải quyết")
    ws.merge_cells(start_row=top, start_column=1, end_row=top + 2, end_column=1)
    ws.merge_cells(start_row=top, start_column=2, end_row=top + 2, end_column=2)
    for title, first, last in GROUPS:
        c1, c2 = FIRST_NUM_COL + first, FIRST_NUM_COL + last
        ws.cell(top, c1, title)
        ws.merge_cells(start_row=top, start_column=c1, end_row=top, end_column=c2)
        ws.cell(top + 1, c1, "Tổng số")
        ws.merge_cells(start_row=top + 1, start_column=c1, end_row=top + 2, end_column=c1)
        ws.cell(top + 1, c1 + 1, "Trong đó")
        ws.merge_cells(start_row=top + 1, start_column=c1 + 1, end_row=top + 1, end_column=c2)
        for index in range(first + 1, last + 1):
            ws.cell(top + 2, FIRST_NUM_COL + index, COLUMNS[index][1])
    drop_col = FIRST_NUM_COL + len(COLUMNS) - 1
    ws.cell(top, drop_col, COLUMNS[-1][1])
    ws.merge_cells(start_row=top, start_column=drop_col, end_row=top + 2, end_column=drop_col)
    for col in range(1, drop_col + 1):
        ws.cell(top + 3, col, f"({col})")
        for row in range(top, top + 4):
            cell = ws.cell(row, col)
            cell.font = Font(bold=row < top + 3, italic=row == top + 3)
            cell.alignment = _CENTER
            cell.border = _BOX


def _table(ws: Worksheet, report: PeriodicReport) -> int:
    row = FIRST_DATA
    for number, (field_name, tally) in enumerate(report.rows, start=1):
        ws.cell(row, 1, number).alignment = _CENTER
        set_text(ws.cell(row, 2), field_name)
        for index, ((key, _), value) in enumerate(zip(COLUMNS, row_values(tally), strict=True)):
            cell = ws.cell(row, FIRST_NUM_COL + index)
            if key in TOTALS:
                cell.value = "=" + "+".join(f"{_col(part)}{row}" for part in TOTALS[key])
            else:
                cell.value = value
        row += 1
    last_data = row - 1
    ws.cell(row, 2, "Tổng cộng").font = Font(bold=True)
    for index in range(len(COLUMNS)):
        letter = get_column_letter(FIRST_NUM_COL + index)
        cell = ws.cell(row, FIRST_NUM_COL + index)
        cell.value = f"=SUM({letter}{FIRST_DATA}:{letter}{last_data})" if report.rows else 0
        cell.font = Font(bold=True)
    for r in range(FIRST_DATA, row + 1):
        for col in range(1, FIRST_NUM_COL + len(COLUMNS)):
            ws.cell(r, col).border = _BOX
            if col >= FIRST_NUM_COL:
                ws.cell(r, col).number_format = "#,##0"
    return row


def _signatures(ws: Worksheet, report: PeriodicReport, total_row: int) -> None:
    row = total_row + 2
    when = report.generated_at
    ws.cell(row, 10, f"Ngày {when.day:02d} tháng {when.month:02d} năm {when.year}").font = Font(italic=True)
    ws.cell(row + 1, 2, "NGƯỜI LẬP BIỂU").font = Font(bold=True)
    ws.cell(row + 1, 10, "THỦ TRƯỞNG ĐƠN VỊ").font = Font(bold=True)


def _indicators_sheet(wb: Workbook, report: PeriodicReport) -> None:
    ws = wb.create_sheet("Chỉ số 766")
    ws.append(["Mã", "Chỉ số", "Giá trị (%)", "Tử số", "Mẫu số", "Điểm tối đa khi đạt", "Cách tính"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for ind in report.indicators:
        value: float | str = NO_DATA if ind.value is None else round(ind.value / 100.0, 6)
        ws.append(
            [
                ind.code,
                ind.name,
                value,
                ind.numerator,
                ind.denominator,
                f"≥ {ind.full_marks_at:g}%" if ind.full_marks_at is not None else "",
                ind.formula,
            ]
        )
        if ind.value is not None:
            ws.cell(ws.max_row, 3).number_format = "0.00%"
    for letter, width in zip("ABCDEFG", (6, 52, 16, 10, 10, 18, 80), strict=True):
        ws.column_dimensions[letter].width = width


def _months_sheet(wb: Workbook, report: PeriodicReport) -> None:
    if not report.by_month:
        return
    ws = wb.create_sheet("Theo tháng")
    ws.append(
        ["Tháng", "Đã giải quyết", "Trước hạn", "Đúng hạn", "Quá hạn", "Tỷ lệ đúng hạn", "Đang quá hạn"]
    )
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for label, t in report.by_month:
        r = ws.max_row + 1
        ws.append(
            [
                label,
                f"=C{r}+D{r}+E{r}",
                t.early,
                t.on_time,
                t.late,
                f'=IF(B{r}=0,"",(C{r}+D{r})/B{r})',
                t.overdue,
            ]
        )
        ws.cell(r, 6).number_format = "0.00%"
    ws.column_dimensions["A"].width = 16


def build_workbook(report: PeriodicReport) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Báo cáo TTHC"
    _header(ws, report)
    total_row = _table(ws, report)
    _signatures(ws, report, total_row)
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 30
    for index in range(len(COLUMNS)):
        ws.column_dimensions[get_column_letter(FIRST_NUM_COL + index)].width = 11
    ws.row_dimensions[HEADER_TOP + 2].height = 45
    ws.freeze_panes = ws.cell(FIRST_DATA, FIRST_NUM_COL)
    ws.print_title_rows = f"{HEADER_TOP}:{HEADER_TOP + 3}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    _indicators_sheet(wb, report)
    _months_sheet(wb, report)
    return wb


def periodic_xlsx(report: PeriodicReport) -> bytes:
    """The workbook's bytes (write them with one ``Path.write_bytes``)."""
    buffer = io.BytesIO()
    build_workbook(report).save(buffer)
    return buffer.getvalue()
