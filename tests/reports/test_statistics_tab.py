"""The Thống kê tab (pytest-qt, offscreen): numbers, drill-down, charts, exports, screenshot."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

from desk_app.reports.indicators import ReportFilter, tally
from desk_app.reports.periods import month_of
from desk_app.reports.query import ReportService

SHOTS = Path(os.environ.get("MOTCUA_SCREENSHOTS", "")) if os.environ.get("MOTCUA_SCREENSHOTS") else None


@pytest.fixture
def tab(qtbot, history_app):  # type: ignore[no-untyped-def]
    from ui.statistics import StatisticsTab

    opened: list[str] = []
    widget = StatisticsTab(history_app, open_dossier=opened.append)
    widget.opened = opened  # type: ignore[attr-defined]
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    widget.show()
    # The first show reads the choices and computes the current month by itself.
    qtbot.waitUntil(
        lambda: widget.field.count() > 1 and widget.report is not None and not widget.busy, timeout=10_000
    )
    return widget


def test_numbers_match_the_service_and_drill_down_opens_a_dossier(qtbot, tab, history_app) -> None:  # type: ignore[no-untyped-def]
    from ui.workers import wait_all

    expected = tally(ReportService(history_app.station).facts(month_of(2026, 11)))
    assert tab.report.period.label == "Tháng 11/2026"
    assert tab.cells["received_total"].text() == f"Tổng số hồ sơ nhận giải quyết\n{expected.received_total}"
    assert tab.cells["overdue"].text().endswith(f"\n{expected.overdue}")
    assert "2.1" in tab.indicators.text() and "chưa có dữ liệu" in tab.indicators.text()
    assert "Tỷ lệ kết quả điện tử có ký số" in tab.indicators.text() and "4.2.2" in tab.indicators.text()
    assert "Số lượt lấy số: 2" in tab.queue.text()
    risks = ReportService(history_app.station).at_risk()
    late = [r.code for r, warnings in risks if any(w.code == "already_late" for w in warnings)]
    assert tab.warning_buttons["already_late"].text().endswith(f"\n{len(late)}") and late
    tab.warning_buttons["already_late"].click()
    warning_dialog = tab._dialogs[-1]
    assert warning_dialog.table.item(0, 0).text() in late
    assert "không yêu cầu bổ sung thêm" in warning_dialog.table.item(0, 2).text()
    warning_dialog.table.cellDoubleClicked.emit(0, 0)
    assert tab.opened == [warning_dialog.table.item(0, 0).text()]
    tab.opened.clear()
    tab._dialogs.clear()
    assert tab.facts is None  # the lists are read on the first drill-down, not with the numbers
    tab.cells["overdue"].click()
    qtbot.waitUntil(lambda: bool(tab._dialogs), timeout=10_000)
    dialog = tab._dialogs[-1]
    assert dialog.table.rowCount() == expected.overdue > 0
    code = dialog.table.item(0, 0).text()
    dialog.table.cellDoubleClicked.emit(0, 0)
    assert tab.opened == [code]
    # Charts: one bar per month of the period (one here), overdue fields listed.
    month_series = tab.month_chart.chart().series()[0]
    assert month_series.barSets()[0].count() == 1
    field_series = tab.field_chart.chart().series()[0]
    assert (
        sum(field_series.barSets()[0].at(i) for i in range(field_series.barSets()[0].count()))
        == expected.overdue
    )
    if SHOTS:
        window = tab.window()
        window.resize(1366, 768)
        qtbot.wait(50)
        window.grab().save(str(SHOTS / "statistics.png"))
    wait_all()


def test_filter_and_period_choice(qtbot, tab, history_app) -> None:  # type: ignore[no-untyped-def]
    tab.kind.setCurrentIndex(tab.kind.findData("quarter"))
    tab.field.setCurrentIndex(tab.field.findData("Hộ tịch"))
    tab.show_button.click()
    qtbot.waitUntil(lambda: not tab.busy and tab.report.period.label == "Quý IV/2026", timeout=10_000)
    flt = ReportFilter(field="Hộ tịch")
    service = ReportService(history_app.station)
    expected = tally(service.facts(tab.report.period, flt), flt)
    assert tab.cells["resolved"].text().endswith(f"\n{expected.resolved}")
    assert "Lọc theo: lĩnh vực Hộ tịch" in tab.heading.text()
    assert len(tab.report.by_month) == 2  # October and November so far (now is 25/11)
    tab.kind.setCurrentIndex(tab.kind.findData("custom"))
    assert tab.date_from.isVisible() and not tab.anchor.isVisible()


def test_exports_write_excel_and_pdf(qtbot, tab, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    messages: list[str] = []
    tab.status.connect(messages.append)
    for fmt in ("xlsx", "pdf"):
        target = tmp_path / f"bc.{fmt}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a, t=target: (str(t), "")))
        tab.export(fmt)
        qtbot.waitUntil(lambda t=target: any(str(t) in m for m in messages), timeout=10_000)
    ws = openpyxl.load_workbook(tmp_path / "bc.xlsx")["Báo cáo TTHC"]
    assert ws["A5"].value.startswith("Kỳ báo cáo: Tháng 11/2026")
    assert (tmp_path / "bc.pdf").read_bytes().startswith(b"%PDF")


def test_period_helper() -> None:
    from ui.statistics import period_for

    d = dt.date(2026, 11, 25)
    assert period_for("half", d, d, d).label == "6 tháng cuối năm 2026"
    assert period_for("custom", d, dt.date(2026, 12, 1), dt.date(2026, 11, 1)).first == dt.date(2026, 11, 1)
