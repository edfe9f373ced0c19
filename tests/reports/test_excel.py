"""The periodic report in Excel, read back with openpyxl and checked cell by cell."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest

from desk_app.reports.excel import FIRST_DATA, periodic_xlsx
from desk_app.reports.indicators import ReportFilter, Tally, indicators_766
from desk_app.reports.periodic import PeriodicReport
from desk_app.reports.periods import month_of
from desk_app.workcalendar import VN_TZ

NASTY = ["\x01=1+1", '=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)", "\tTab", "\rCR"]


def report(rows: list[tuple[str, Tally]]) -> PeriodicReport:
    total = Tally()
    for _, t in rows:
        total.merge(t)
    return PeriodicReport(
        unit_name="Trung tâm Phục vụ hành chính công xã Vĩnh Lương",
        parent_name="Ủy ban nhân dân xã Vĩnh Lương",
        period=month_of(2026, 11),
        as_of=dt.datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ),
        generated_at=dt.datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ),
        rows=rows,
        total=total,
        indicators=indicators_766(total),
        by_month=[("Tháng 10/2026", Tally(early=1, late=1)), ("Tháng 11/2026", total)],
        filter=ReportFilter(officer="canbo1"),
    )


def evaluate(ws, ref: str) -> float:  # type: ignore[no-untyped-def]
    """Value of a cell whose formula is a sum of cells or a SUM over a column range."""
    value = ws[ref].value
    if not isinstance(value, str) or not value.startswith("="):
        return float(value)
    body = value[1:]
    m = re.fullmatch(r"SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)", body)
    if m:
        col, r1, _, r2 = m.groups()
        return sum(evaluate(ws, f"{col}{r}") for r in range(int(r1), int(r2) + 1))
    return sum(evaluate(ws, part) for part in body.split("+"))


def test_cells_headers_formulas_and_print_setup() -> None:
    hotich = Tally(
        received_online=2,
        received_direct=5,
        received_post=1,
        carried_over=3,
        early=4,
        on_time=2,
        late=1,
        in_time=2,
        overdue=1,
        dropped=1,
    )
    chungthuc = Tally(received_direct=7, early=6, on_time=1)
    data = periodic_xlsx(report([("Chứng thực", chungthuc), ("Hộ tịch", hotich)]))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Báo cáo TTHC"]
    assert ws["A4"].value == "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    assert ws["A5"].value == "Kỳ báo cáo: Tháng 11/2026 (số liệu tính đến 09:00 ngày 25/11/2026)"
    assert ws["A6"].value == "Lọc theo: cán bộ canbo1"
    assert ws["H1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert [ws.cell(8, c).value for c in (1, 2, 3, 7, 11, 14)] == [
        "STT",
        "Lĩnh vực giải quyết",
        "Số hồ sơ nhận giải quyết",
        "Số hồ sơ đã giải quyết",
        "Số hồ sơ đang giải quyết",
        "Rút hồ sơ, dừng giải quyết",
    ]
    assert [ws.cell(10, c).value for c in range(4, 14)] == [
        "Trực tuyến",
        "Trực tiếp và dịch vụ bưu chính",
        "Từ kỳ trước chuyển qua",
        None,
        "Trước hạn",
        "Đúng hạn",
        "Quá hạn",
        None,
        "Trong hạn",
        "Quá hạn",
    ]
    assert ws.cell(11, 3).value == "(3)"
    r = FIRST_DATA + 1  # Hộ tịch
    assert [ws.cell(r, c).value for c in range(1, 15)] == [
        2,
        "Hộ tịch",
        f"=D{r}+E{r}+F{r}",
        2,
        6,
        3,
        f"=H{r}+I{r}+J{r}",
        4,
        2,
        1,
        f"=L{r}+M{r}",
        2,
        1,
        1,
    ]
    for c in (4, 5, 6, 8):
        assert ws.cell(r, c).data_type == "n"  # real numbers, not text
    total = FIRST_DATA + 2
    assert ws.cell(total, 2).value == "Tổng cộng" and ws.cell(total, 4).value == f"=SUM(D{FIRST_DATA}:D{r})"
    # Every formula evaluates to the tally it stands for.
    assert evaluate(ws, f"C{r}") == 11 and evaluate(ws, f"G{r}") == 7 and evaluate(ws, f"K{r}") == 3
    assert (
        evaluate(ws, f"C{total}") == 18
        and evaluate(ws, f"G{total}") == 14
        and evaluate(ws, f"H{total}") == 10
    )
    # Print setup and frozen headers.
    assert ws.freeze_panes == f"C{FIRST_DATA}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == "$8:$11"
    ind = wb["Chỉ số 766"]
    assert [ind.cell(2, c).value for c in (1, 3, 4, 5)] == ["2.1", pytest.approx(13 / 14), 13, 14]
    assert ind.cell(2, 3).number_format == "0.00%"
    by_code = {ind.cell(r, 1).value: r for r in range(2, ind.max_row + 1)}
    assert ind.cell(by_code["4.y"], 3).value == "chưa có dữ liệu"  # no online payment recorded
    # Digitisation: 14 resolved dossiers judged, none with files here (0%, not "no data").
    assert [ind.cell(by_code["4.2"], c).value for c in (3, 4, 5, 6)] == [0, 0, 14, "≥ 80%"]
    months = wb["Theo tháng"]
    assert (
        months["A2"].value == "Tháng 10/2026"
        and months["B2"].value == "=C2+D2+E2"
        and months["E2"].value == 1
    )


@pytest.mark.parametrize("text", NASTY)
def test_user_text_that_looks_like_a_formula_stays_text(text: str) -> None:
    data = periodic_xlsx(report([(text, Tally(received_direct=1, on_time=1))]))
    ws = openpyxl.load_workbook(io.BytesIO(data))["Báo cáo TTHC"]
    cell = ws.cell(FIRST_DATA, 2)
    expected = text.replace("\x01", "")  # XML has no \x01; the shared writer keeps a CR as written
    assert cell.value == expected and cell.data_type == "s"


def test_empty_report_still_has_a_total_row() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(periodic_xlsx(report([]))))["Báo cáo TTHC"]
    assert ws.cell(FIRST_DATA, 2).value == "Tổng cộng" and ws.cell(FIRST_DATA, 3).value == 0


def test_digitisation_rows_of_the_766_sheet() -> None:
    t = Tally(
        received_direct=10,
        early=6,
        on_time=2,
        in_time=2,
        digitised=7,
        results_digitised=8,
        results_signed=5,
        components_digitised=20,
        components_reused=4,
    )
    wb = openpyxl.load_workbook(io.BytesIO(periodic_xlsx(report([("Hộ tịch", t)]))))
    ws = wb["Chỉ số 766"]
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 7)] for r in range(2, ws.max_row + 1)}
    assert rows["4.2"] == [
        "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC",
        pytest.approx(7 / 8),
        7,
        8,
        "≥ 80%",
    ]
    assert rows["4.2.1"] == ["Tỷ lệ kết quả điện tử có ký số", pytest.approx(5 / 8), 5, 8, None]
    assert rows["4.2.2"] == [
        "Tỷ lệ thành phần hồ sơ được số hóa tái sử dụng",
        pytest.approx(4 / 20),
        4,
        20,
        None,
    ]
    wb.close()
