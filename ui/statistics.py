"""The "Thống kê" tab: a period's numbers, the 766 indicators and charts.

Everything is computed off the GUI thread (``run_op``) by
``desk_app.reports.query.ReportService``; every number is a button that
lists the dossiers behind it (double-click one to open it). Excel and PDF
exports render the same ``PeriodicReport`` the CLI writes.

Signals:
    status(str): a message for the window's status bar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.model import Channel
from desk_app.reports.facts import DossierFacts, Outcome
from desk_app.reports.indicators import CELLS, PenaltyWarning, ReportFilter, cell_dossiers
from desk_app.reports.periodic import PeriodicReport
from desk_app.reports.periods import (
    Period,
    custom,
    day_of,
    half_of,
    month_of,
    quarter_of,
    week_of,
    year_of,
)
from ui.workers import describe_error, run_op

KINDS = (
    ("month", "Tháng"),
    ("day", "Ngày"),
    ("week", "Tuần"),
    ("quarter", "Quý"),
    ("half", "6 tháng"),
    ("year", "Năm"),
    ("custom", "Tùy chọn"),
)
# The numbers shown, in reading order (keys of CELLS), four per row.
SHOWN = (
    "received_total",
    "received_new",
    "carried_over",
    "received_online",
    "resolved",
    "early",
    "on_time",
    "late",
    "in_progress",
    "in_time",
    "overdue",
    "dropped",
    "supplement_requests",
    "refusals",
    "extensions",
    "returned_by_post",
)
WARNINGS = (
    ("overdue", "Quá hạn, chưa có kết quả"),
    ("due_today", "Đến hạn hôm nay, chưa có kết quả"),
    ("second_supplement", "Bổ sung lần 2 sẽ bị tính quá hạn"),
    ("already_late", "Đã bị tính quá hạn (bổ sung quá 1 lần)"),
    ("no_result_file", "Kết quả chưa có bản điện tử"),
)
OUTCOME_LABELS = {
    Outcome.EARLY: "Trước hạn",
    Outcome.ON_TIME: "Đúng hạn",
    Outcome.LATE: "Quá hạn",
    Outcome.IN_TIME: "Đang giải quyết, trong hạn",
    Outcome.OVERDUE: "Đang giải quyết, quá hạn",
    Outcome.DROPPED: "Rút / dừng",
    Outcome.NONE: "",
}


def period_for(kind: str, anchor: dt.date, first: dt.date, last: dt.date) -> Period:
    if kind == "day":
        return day_of(anchor)
    if kind == "week":
        return week_of(anchor)
    if kind == "quarter":
        return quarter_of(anchor.year, (anchor.month - 1) // 3 + 1)
    if kind == "half":
        return half_of(anchor.year, 1 if anchor.month <= 6 else 2)
    if kind == "year":
        return year_of(anchor.year)
    if kind == "custom":
        return custom(min(first, last), max(first, last))
    return month_of(anchor.year, anchor.month)


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _date(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


class _DossierTableDialog(QDialog):
    """A read-only table whose first column is a dossier code; double-click opens it."""

    def __init__(
        self,
        name: str,
        window_title: str,
        title: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        open_dossier: Callable[[str], None] | None,
        parent: QWidget | None,
        width: int,
    ):
        super().__init__(parent)
        self.setObjectName(f"stats_{name}_list")
        self.setWindowTitle(f"{window_title} — {title}")
        self.resize(width, 520)
        self.open_dossier = open_dossier
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{title}</b>: {_number(len(rows))} hồ sơ"))
        self.table = QTableWidget(len(rows), len(headers))
        self.table.setObjectName(f"stats_{name}_table")
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, values in enumerate(rows):
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.table.cellDoubleClicked.connect(self._open)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _open(self, row: int, _col: int = 0) -> None:
        item = self.table.item(row, 0)
        if item is not None and self.open_dossier is not None:
            self.open_dossier(item.text())
            self.accept()


class DossierListDialog(_DossierTableDialog):
    """The dossiers behind one number; double-click (or Enter) opens one."""

    def __init__(
        self,
        title: str,
        facts: Sequence[DossierFacts],
        open_dossier: Callable[[str], None] | None,
        parent: QWidget | None = None,
    ):
        rows = [
            (
                f.code,
                f.field,
                f"{f.received_at:%H:%M %d/%m/%Y}",
                f"{f.deadline:%H:%M %d/%m/%Y}" if f.deadline else "",
                OUTCOME_LABELS[f.outcome],
                str(f.supplement_requests),
            )
            for f in facts
        ]
        headers = ("Mã hồ sơ", "Lĩnh vực", "Tiếp nhận", "Hạn giải quyết")
        headers += ("Kết quả trong kỳ", "Yêu cầu bổ sung")
        super().__init__("dossier", "Danh sách hồ sơ", title, headers, rows, open_dossier, parent, 900)
        self.table.resizeColumnsToContents()


class WarningListDialog(_DossierTableDialog):
    """Dossiers that would cost points, with what avoids it; double-click opens one."""

    def __init__(
        self,
        title: str,
        rows: Sequence[tuple[str, PenaltyWarning]],
        open_dossier: Callable[[str], None] | None,
        parent: QWidget | None = None,
    ):
        cells = [(code, warning.message, warning.advice) for code, warning in rows]
        headers = ["Mã hồ sơ", "Cảnh báo", "Cách tránh bị trừ điểm"]
        super().__init__("warning", "Cảnh báo", title, headers, cells, open_dossier, parent, 1000)
        self.table.setWordWrap(True)
        self.table.setColumnWidth(0, 200)
        self.table.setColumnWidth(1, 360)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeRowsToContents()


class StatisticsTab(QWidget):
    status = Signal(str)

    def __init__(
        self,
        app: Any,
        open_dossier: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        *,
        on_status: Callable[[str], None] | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("statistics_tab")
        if on_status is not None:
            self.status.connect(on_status)
        self.app = app
        self.open_dossier = open_dossier
        self.report: PeriodicReport | None = None
        # The per-dossier facts behind the numbers: built on the first drill-down of a
        # report, not with it (a year on a 1M station is 0.2 s of numbers but ~20 s of facts).
        self.facts: list[DossierFacts] | None = None
        self._facts_for: tuple[Period, ReportFilter] | None = None
        self.flt = ReportFilter()
        self.risks: list[tuple[str, PenaltyWarning]] = []
        self.busy = False
        self._dialogs: list[QDialog] = []
        today = app.station.now().date()

        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        bar = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.setObjectName("stats_kind")
        for key, label in KINDS:
            self.kind.addItem(label, key)
        self.anchor = QDateEdit(_qdate(today))
        self.anchor.setObjectName("stats_anchor")
        self.anchor.setDisplayFormat("dd/MM/yyyy")
        self.anchor.setCalendarPopup(True)
        self.date_from = QDateEdit(_qdate(today.replace(day=1)))
        self.date_to = QDateEdit(_qdate(today))
        for edit in (self.date_from, self.date_to):
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setCalendarPopup(True)
        self.field = QComboBox()
        self.field.setObjectName("stats_field")
        self.field.addItem("Tất cả lĩnh vực", "")
        self.channel = QComboBox()
        self.channel.setObjectName("stats_channel")
        self.channel.addItem("Mọi kênh", "")
        for ch in Channel:
            self.channel.addItem(ch.label, ch.value)
        self.officer = QComboBox()
        self.officer.setObjectName("stats_officer")
        self.officer.addItem("Mọi cán bộ", "")
        self.show_button = QPushButton("Xem thống kê")
        self.show_button.setObjectName("stats_show")
        self.show_button.setDefault(True)
        self.excel_button = QPushButton("Xuất Excel…")
        self.excel_button.setObjectName("stats_excel")
        self.pdf_button = QPushButton("Xuất PDF…")
        self.pdf_button.setObjectName("stats_pdf")
        for widget in (
            QLabel("Kỳ:"),
            self.kind,
            self.anchor,
            self.date_from,
            self.date_to,
            self.field,
            self.channel,
            self.officer,
            self.show_button,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.excel_button)
        bar.addWidget(self.pdf_button)
        outer.addLayout(bar)
        self.heading = QLabel()
        self.heading.setObjectName("stats_heading")
        outer.addWidget(self.heading)

        body = QHBoxLayout()
        left = QVBoxLayout()
        numbers = QGroupBox("Số liệu (bấm vào một số để xem danh sách hồ sơ)")
        grid = QGridLayout(numbers)
        grid.setSpacing(4)
        self.cells: dict[str, QPushButton] = {}
        for index, key in enumerate(SHOWN):
            button = QPushButton()
            button.setObjectName(f"cell_{key}")
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _checked=False, k=key: self.show_cell(k))
            grid.addWidget(button, index // 4, index % 4)
            self.cells[key] = button
        left.addWidget(numbers)
        self.indicators = QLabel()
        self.indicators.setObjectName("stats_indicators")
        self.indicators.setTextFormat(Qt.TextFormat.RichText)
        self.indicators.setWordWrap(True)
        box = QGroupBox("Chỉ số theo Quyết định 766/QĐ-TTg")
        QVBoxLayout(box).addWidget(self.indicators)
        left.addWidget(box)
        self.queue = QLabel()
        self.queue.setObjectName("stats_queue")
        self.queue.setWordWrap(True)
        queue_box = QGroupBox("Xếp hàng, lấy số")
        QVBoxLayout(queue_box).addWidget(self.queue)
        left.addWidget(queue_box)
        risk_box = QGroupBox("Cảnh báo trước khi bị trừ điểm (tính đến lúc này)")
        risk_grid = QGridLayout(risk_box)
        risk_grid.setSpacing(4)
        self.warning_buttons: dict[str, QPushButton] = {}
        for index, (code, label) in enumerate(WARNINGS):
            button = QPushButton(label)
            button.setObjectName(f"warning_{code}")
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _checked=False, c=code: self.show_warnings(c))
            risk_grid.addWidget(button, index // 3, index % 3)
            self.warning_buttons[code] = button
        left.addWidget(risk_box)
        left.addStretch(1)
        body.addLayout(left, 5)
        charts = QVBoxLayout()
        self.month_chart = QChartView()
        self.month_chart.setObjectName("stats_month_chart")
        self.field_chart = QChartView()
        self.field_chart.setObjectName("stats_field_chart")
        for view in (self.month_chart, self.field_chart):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(220)
            charts.addWidget(view, 1)
        body.addLayout(charts, 4)
        outer.addLayout(body, 1)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.show_button.clicked.connect(self.refresh)
        self.excel_button.clicked.connect(lambda: self.export("xlsx"))
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self._kind_changed()
        self._started = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        # Nothing is read until the tab is first shown: opening the window costs nothing.
        super().showEvent(event)
        if not self._started:
            self._started = True
            self._fill_choices()
            self.refresh()

    # ---------------------------------------------------------------- inputs
    def _fill_choices(self) -> None:
        def load() -> tuple[list[str], list[tuple[str, str]]]:
            return self.app.queries.fields(), [(a.username, a.full_name) for a in self.app.accounts.list()]

        def done(result: tuple[list[str], list[tuple[str, str]]]) -> None:
            fields, officers = result
            for name in fields:
                self.field.addItem(name, name)
            for username, full_name in officers:
                self.officer.addItem(f"{full_name} ({username})", username)

        run_op(load, on_done=done, on_error=self._failed, owner=self)

    def _kind_changed(self) -> None:
        is_custom = self.kind.currentData() == "custom"
        self.anchor.setVisible(not is_custom)
        self.date_from.setVisible(is_custom)
        self.date_to.setVisible(is_custom)

    def period(self) -> Period:
        return period_for(
            str(self.kind.currentData()),
            _date(self.anchor.date()),
            _date(self.date_from.date()),
            _date(self.date_to.date()),
        )

    def current_filter(self) -> ReportFilter:
        return ReportFilter(
            field=str(self.field.currentData() or ""),
            channel=str(self.channel.currentData() or ""),
            officer=str(self.officer.currentData() or ""),
        )

    # ---------------------------------------------------------------- compute
    def refresh(self) -> None:
        from desk_app.reports.query import ReportService

        period, flt = self.period(), self.current_filter()
        self.busy = True
        self.show_button.setEnabled(False)
        self.heading.setText(f"Đang tính số liệu {period.label}…")
        service = ReportService(self.app.station)

        def compute() -> tuple[Any, ReportFilter, list[tuple[str, PenaltyWarning]]]:
            risks = [(r.code, w) for r, warnings in service.at_risk() for w in warnings]
            return service.periodic(period, flt), flt, risks

        run_op(
            compute,
            on_done=self._show,
            on_error=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.show_button.setEnabled(True)
        self.heading.setText(describe_error(exc))
        self.status.emit(describe_error(exc))

    def _show(
        self,
        result: tuple[PeriodicReport, ReportFilter, list[tuple[str, PenaltyWarning]]],
    ) -> None:
        report, flt, risks = result
        self.report, self.flt, self.risks = report, flt, risks
        self.facts, self._facts_for = None, None
        counts = {code: 0 for code, _ in WARNINGS}
        for _, warning in risks:
            counts[warning.code] = counts.get(warning.code, 0) + 1
        for code, label in WARNINGS:
            button = self.warning_buttons[code]
            button.setText(f"{label}\n{_number(counts[code])}")
            button.setStyleSheet("color: #c62828; font-weight: bold;" if counts[code] else "")
        self.busy = False
        self.show_button.setEnabled(True)
        self.heading.setText(f"<b>{report.period_line}</b>  {report.filter_line}")
        data = report.total.as_dict()
        for key, button in self.cells.items():
            button.setText(f"{CELLS[key][0]}\n{_number(int(data[key]))}")
        rows = []
        for ind in report.indicators:
            colour = "#c62828" if ind.meets_full_marks is False else "#000"
            rows.append(
                f"<tr><td>{ind.code}</td><td>{ind.name}</td>"
                f"<td align='right' style='color:{colour}'><b>{ind.display}</b></td></tr>"
            )
        self.indicators.setText("<table cellspacing='4'>" + "".join(rows) + "</table>")
        self.queue.setText("\n".join(report.queue_lines))
        self._draw_charts(report)
        self.status.emit(f"Đã tính số liệu {report.period.label}.")

    def _draw_charts(self, report: PeriodicReport) -> None:
        months = list(report.by_month) or [(report.period.label, report.total)]
        chart = QChart()
        chart.setTitle("Tỷ lệ giải quyết đúng hạn theo tháng (%)")
        bars = QBarSet("Đúng hạn (%)")
        bars.setColor(QColor("#1565c0"))
        for _, t in months:
            bars.append(round(t.on_time_rate or 0.0, 1))
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([label.replace("Tháng ", "") for label, _ in months])
        axis_y = QValueAxis()
        axis_y.setRange(0, 100)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        chart.legend().hide()
        self.month_chart.setChart(chart)

        rows = [(name, t) for name, t in report.rows if t.overdue or t.late]
        chart2 = QChart()
        chart2.setTitle("Hồ sơ quá hạn theo lĩnh vực")
        overdue = QBarSet("Đang giải quyết quá hạn")
        overdue.setColor(QColor("#c62828"))
        late = QBarSet("Đã giải quyết quá hạn")
        late.setColor(QColor("#ef9a9a"))
        for _, t in rows:
            overdue.append(t.overdue)
            late.append(t.late)
        series2 = QHorizontalBarSeries()
        series2.append(overdue)
        series2.append(late)
        chart2.addSeries(series2)
        axis_fields = QBarCategoryAxis()
        axis_fields.append([name for name, _ in rows] or ["—"])
        axis_count = QValueAxis()
        axis_count.setLabelFormat("%d")
        highest = max([0, *(max(t.overdue, t.late) for _, t in rows)])
        axis_count.setRange(0, max(1, highest))
        if highest <= 10:
            axis_count.setTickCount(max(1, highest) + 1)  # whole numbers only
        else:
            axis_count.applyNiceNumbers()
        chart2.addAxis(axis_fields, Qt.AlignmentFlag.AlignLeft)
        chart2.addAxis(axis_count, Qt.AlignmentFlag.AlignBottom)
        series2.attachAxis(axis_fields)
        series2.attachAxis(axis_count)
        chart2.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.field_chart.setChart(chart2)

    # ---------------------------------------------------------------- drill-down and export
    def cell_facts(self, key: str) -> list[DossierFacts]:
        facts = self.facts or []
        codes = set(cell_dossiers(facts, key, self.flt))
        return [f for f in facts if f.code in codes]

    def show_cell(self, key: str) -> None:
        """The list behind one number; the facts are read off the GUI thread on the first click."""
        report = self.report
        if report is None:
            return
        wanted = (report.period, self.flt)
        if self.facts is not None and self._facts_for == wanted:
            self._open_cell(key)
            return
        from desk_app.reports.query import ReportService

        service = ReportService(self.app.station)
        self.status.emit(f"Đang lấy danh sách hồ sơ {report.period.label}…")

        def loaded(facts: list[DossierFacts]) -> None:
            if self.report is report:  # not replaced by a newer report meanwhile
                self.facts, self._facts_for = facts, wanted
                self._open_cell(key)

        run_op(lambda: service.facts(*wanted), on_done=loaded, on_error=self._failed, owner=self)

    def _open_cell(self, key: str) -> None:
        dialog = DossierListDialog(CELLS[key][0], self.cell_facts(key), self.open_dossier, self)
        self._dialogs = [d for d in self._dialogs if d.isVisible()] + [dialog]
        dialog.show()

    def show_warnings(self, code: str) -> None:
        rows = [(dossier, w) for dossier, w in self.risks if w.code == code]
        label = dict(WARNINGS)[code]
        dialog = WarningListDialog(label, rows, self.open_dossier, self)
        self._dialogs = [d for d in self._dialogs if d.isVisible()] + [dialog]
        dialog.show()

    def export(self, fmt: str) -> None:
        if self.report is None:
            self.status.emit("Hãy bấm “Xem thống kê” trước khi xuất báo cáo.")
            return
        report = self.report
        suffix = {"xlsx": "Excel (*.xlsx)", "pdf": "PDF (*.pdf)"}[fmt]
        default = f"bao-cao-tthc-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}.{fmt}"
        name, _ = QFileDialog.getSaveFileName(self, "Lưu báo cáo", default, suffix)
        if not name:
            return
        path = Path(name)

        def write() -> Path:
            if fmt == "xlsx":
                from desk_app.reports.excel import periodic_xlsx

                data = periodic_xlsx(report)
            else:
                from printing.reports import render_periodic_pdf

                data = render_periodic_pdf(report)
            path.write_bytes(data)
            return path

        run_op(
            write,
            on_done=lambda p: self.status.emit(f"Đã lưu báo cáo: {p}"),
            on_error=self._failed,
            owner=self,
        )
