"""Finding dossiers (F3): a lazy table model over keyset pages and the filter bar.

``DossierTableModel`` never loads the table: it asks ``QueryService.page`` for
~200 rows at a time (newest first, keyset on ``(received_at, rowid)``) when the
view scrolls near the end (``canFetchMore`` / ``fetchMore``). Pages are
fetched in a worker; a generation number drops pages of an older filter, so
typing fast never shows stale rows. The total is counted separately with a
cap ("hơn 10.000 hồ sơ"), also in a worker.

The search box takes a code, a CCCD, a phone or a name without diacritics
(``classify_search``), debounced 60 ms (name queries take ~20 ms at 1M dossiers); a complete code,
CCCD or phone number is looked up at once (exact and indexed).

Signals (FindPanel):
    openRequested(str): dossier code to show in the detail panel.
    status(str): Vietnamese status line.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.lifecycle import Status
from desk_app.services.queries import DossierFilter, classify_search
from ui.common import CONFLICT_FG, DUE_TODAY_BG, OVERDUE_BG
from ui.workers import describe_error, run_op

if TYPE_CHECKING:
    from desk_app.bootstrap import App

PAGE_SIZE = 200
DEBOUNCE_MS = 60  # name search: wait for a pause in typing; a query costs ~20 ms at 1M dossiers
COUNT_CAP = 10_000
# Status and due date right after the code: on a 1280–1366 screen they are what an
# officer scans for, and they must never sit beyond the right edge.
COLUMNS = ["Mã hồ sơ", "Trạng thái", "Hẹn trả", "Người nộp", "Thủ tục", "Lĩnh vực", "Tiếp nhận", "Cán bộ"]
COL_CODE, COL_STATUS, COL_DUE, COL_NAME, COL_PROCEDURE, COL_FIELD, COL_RECEIVED, COL_OFFICER = range(8)
COLUMN_WIDTHS = (200, 125, 200, 165, 260, 90, 115, 160)
SEARCH_KINDS = {
    "code": "mã hồ sơ",
    "code_tail": "đuôi mã hồ sơ",
    "id": "số giấy tờ",
    "phone": "số điện thoại",
    "name": "họ tên",
}


class DossierTableModel(QAbstractTableModel):
    """Rows of ``DossierRow`` fetched page by page.

    Signals:
        pageLoaded(int, float): rows now loaded, seconds the page query took.
        loadFailed(str): Vietnamese message.
    """

    pageLoaded = Signal(int, float)
    loadFailed = Signal(str)

    def __init__(self, app: App, officer_names: dict[str, str] | None = None, parent: Any = None):
        super().__init__(parent)
        self.app = app
        self.rows: list[Any] = []
        self.filter = DossierFilter()
        self.officer_names = officer_names or {}
        self.generation = 0
        self.loading = False
        self.exhausted = True
        self.now = app.station.now()
        self.bold = QFont()
        self.bold.setBold(True)

    # -- loading
    def set_filter(self, flt: DossierFilter) -> None:
        self.generation += 1
        self.filter = flt
        self.now = self.app.station.now()
        self.beginResetModel()
        self.rows = []
        self.exhausted = False
        self.loading = False
        self.endResetModel()
        self._load()

    def refresh(self) -> None:
        self.set_filter(self.filter)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return not parent.isValid() and not self.exhausted and not self.loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008, N802
        if self.canFetchMore(parent):
            self._load()

    def _load(self) -> None:
        self.loading = True
        generation = self.generation
        flt = self.filter
        after = None
        if self.rows:
            last = self.rows[-1]
            after = (last.received_at.isoformat(), last.rowid)
        queries = self.app.queries

        def work() -> tuple[list[Any], float]:
            start = time.perf_counter()
            rows = queries.page(flt, PAGE_SIZE, after)
            return rows, time.perf_counter() - start

        run_op(
            work,
            lambda result: self._loaded(generation, result),
            lambda exc: self._failed(generation, exc),
            owner=self,
        )

    def _loaded(self, generation: int, result: tuple[list[Any], float]) -> None:
        if generation != self.generation:
            return
        rows, seconds = result
        self.loading = False
        self.exhausted = len(rows) < PAGE_SIZE
        if rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.pageLoaded.emit(len(self.rows), seconds)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self.generation:
            return
        self.loading = False
        self.exhausted = True
        self.loadFailed.emit(describe_error(exc))

    # -- Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_CODE:
                return ("⚠ " if row.has_conflict else "") + row.code
            if col == COL_NAME:
                return row.applicant_name
            if col == COL_PROCEDURE:
                return row.procedure_name
            if col == COL_FIELD:
                return row.field
            if col == COL_RECEIVED:
                return row.received_at.strftime("%H:%M %d/%m/%Y")
            if col == COL_DUE:
                text = row.due_at.strftime("%H:%M %d/%m/%Y")
                if row.is_overdue(self.now):
                    return text + " – quá hạn"
                if row.is_due_today(self.now):
                    return text + " – đến hạn hôm nay"
                return text
            if col == COL_STATUS:
                return row.status_label
            if col == COL_OFFICER:
                return self.officer_names.get(row.officer, row.officer)
        elif role == Qt.ItemDataRole.BackgroundRole:
            if row.is_overdue(self.now):
                return QBrush(OVERDUE_BG)
            if row.is_due_today(self.now):
                return QBrush(DUE_TODAY_BG)
        elif role == Qt.ItemDataRole.ForegroundRole and row.has_conflict and col == COL_CODE:
            return QBrush(CONFLICT_FG)
        elif role == Qt.ItemDataRole.FontRole and col == COL_CODE:
            return self.bold
        elif role == Qt.ItemDataRole.ToolTipRole:
            if row.has_conflict:
                return "Hồ sơ có xung đột dữ liệu giữa các máy: mở chi tiết để xem hai phiên bản."
            return f"{row.applicant_name} · CCCD {row.applicant_id_number} · ĐT {row.applicant_phone}"
        elif role == Qt.ItemDataRole.UserRole:
            return row.code
        return None


class DossierTable(QTableView):
    """Enter opens the current dossier."""

    activatedCode = Signal(str)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activatedCode.emit(str(self.currentIndex().data(Qt.ItemDataRole.UserRole)))
            return
        super().keyPressEvent(event)


class FindPanel(QWidget):
    openRequested = Signal(str)
    status = Signal(str)

    def __init__(self, app: App, officer_names: dict[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.setObjectName("find_panel")
        self.officer_names = officer_names
        self.count_generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(
            "Tìm theo mã hồ sơ, số CCCD, số điện thoại hoặc họ tên (không cần dấu)…"
        )
        self.search_kind = QLabel("")
        self.search_kind.setObjectName("search_kind")
        top.addWidget(QLabel("Tìm:"))
        top.addWidget(self.search, 1)
        top.addWidget(self.search_kind)
        layout.addLayout(top)

        bar = QHBoxLayout()
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("status_filter")
        self.status_filter.addItem("Mọi trạng thái", "")
        for st in Status:
            self.status_filter.addItem(st.label, st.value)
        self.field_filter = QComboBox()
        self.field_filter.setObjectName("field_filter")
        self.field_filter.addItem("Mọi lĩnh vực", "")
        self.officer_filter = QComboBox()
        self.officer_filter.setObjectName("officer_filter")
        self.officer_filter.addItem("Mọi cán bộ", "")
        for username, name in sorted(officer_names.items(), key=lambda kv: kv[1]):
            self.officer_filter.addItem(name, username)
        self.use_dates = QCheckBox("Tiếp nhận từ")
        self.use_dates.setObjectName("use_dates")
        today = app.station.now().date()
        self.date_from = QDateEdit(QDate(today.year, today.month, 1))
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setEnabled(False)
        self.due_today = QCheckBox("Đến hạn hôm nay")
        self.due_today.setObjectName("due_today")
        self.overdue = QCheckBox("Quá hạn")
        self.overdue.setObjectName("overdue")
        # Two rows: one row of every filter needed 1,100 px and pushed the window past a 1366 screen.
        for w in (self.status_filter, self.field_filter, self.officer_filter):
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(14)
            bar.addWidget(w, 1)
        layout.addLayout(bar)
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("đến"))
        dates.addWidget(self.date_to)
        dates.addSpacing(12)
        dates.addWidget(self.due_today)
        dates.addWidget(self.overdue)
        dates.addStretch(1)
        layout.addLayout(dates)

        self.model = DossierTableModel(app, officer_names, self)
        self.view = DossierTable()
        self.view.setObjectName("dossier_table")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)
        self.view.activatedCode.connect(self.openRequested)
        self.view.doubleClicked.connect(
            lambda idx: self.openRequested.emit(str(idx.data(Qt.ItemDataRole.UserRole)))
        )
        layout.addWidget(self.view, 1)
        self.count_label = QLabel("")
        self.count_label.setObjectName("count_label")
        layout.addWidget(self.count_label)

        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.apply)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._search_enter)
        for combo in (self.status_filter, self.field_filter, self.officer_filter):
            combo.currentIndexChanged.connect(lambda _i: self.apply())
        for box in (self.due_today, self.overdue):
            box.toggled.connect(lambda _b: self.apply())
        self.use_dates.toggled.connect(self._dates_toggled)
        self.date_from.dateChanged.connect(lambda _d: self.apply() if self.use_dates.isChecked() else None)
        self.date_to.dateChanged.connect(lambda _d: self.apply() if self.use_dates.isChecked() else None)
        self.model.pageLoaded.connect(self._page_loaded)
        self.model.loadFailed.connect(self.status)
        self.last_page_seconds = 0.0
        self.pending_open = ""
        self.count_started = True
        self.said_not_found = False
        self.model.loadFailed.connect(lambda _m: self.count_label.setText(""))

    def start(self) -> None:
        """First page, then the field list, in workers (called once the window shows)."""
        self.apply()
        self._fields_pending = True

    def _fields_loaded(self, fields: list[str]) -> None:
        for name in fields:
            self.field_filter.addItem(name, name)

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply()

    def _search_changed(self, text: str) -> None:
        kind, value = classify_search(text)
        self.search_kind.setText(f"({SEARCH_KINDS[kind]})" if kind else "")
        complete = (
            kind in ("code", "code_tail")
            or (kind == "id" and len(value) in (9, 12))
            or (kind == "phone" and len(value) in (10, 11))
        )
        if complete:
            self.apply()  # a whole code / CCCD / phone is one exact, indexed look-up: no need to wait
        else:
            self.debounce.start()

    def _search_enter(self) -> None:
        self.debounce.stop()
        kind, value = classify_search(self.search.text())
        if kind in ("code", "code_tail"):
            self.pending_open = value  # Enter on a whole or partial code opens the one dossier it names
        self.apply()

    def current_filter(self) -> DossierFilter:
        def qdate(edit: QDateEdit) -> dt.date:
            d = edit.date()
            return dt.date(d.year(), d.month(), d.day())

        status = self.status_filter.currentData()
        dates = self.use_dates.isChecked()
        return DossierFilter(
            search=self.search.text().strip(),
            statuses=[status] if status else [],
            field=self.field_filter.currentData() or "",
            officer=self.officer_filter.currentData() or "",
            received_from=qdate(self.date_from) if dates else None,
            received_to=qdate(self.date_to) if dates else None,
            due_today=self.due_today.isChecked(),
            overdue=self.overdue.isChecked(),
        )

    def refresh(self) -> None:
        """Reload the rows AND the count: after a save the total changed too (302, not 300)."""
        self.model.refresh()
        self.count_generation += 1
        self.count_started = False

    def apply(self) -> None:
        self.debounce.stop()
        flt = self.current_filter()
        self.model.set_filter(flt)
        self.count_generation += 1
        self.count_started = False
        self.count_label.setText("Đang đếm…")

    def _start_count(self) -> None:
        """The (capped) total, once the page is on screen: the page never waits for the count."""
        self.count_started = True
        generation = self.count_generation
        flt = self.model.filter
        run_op(
            lambda: self.app.queries.count(flt, COUNT_CAP), lambda n: self._counted(generation, n), owner=self
        )
        if getattr(self, "_fields_pending", False):
            self._fields_pending = False
            run_op(self.app.queries.fields, self._fields_loaded, owner=self)

    def show_filter(self, **values: Any) -> None:
        """Dashboard shortcuts: reset the bar, then set e.g. overdue=True or status='…'."""
        widgets = (
            self.status_filter,
            self.field_filter,
            self.officer_filter,
            self.due_today,
            self.overdue,
            self.use_dates,
            self.search,
        )
        for w in widgets:
            w.blockSignals(True)
        self.search.clear()
        self.status_filter.setCurrentIndex(max(self.status_filter.findData(values.get("status", "")), 0))
        self.field_filter.setCurrentIndex(0)
        self.officer_filter.setCurrentIndex(0)
        self.due_today.setChecked(bool(values.get("due_today")))
        self.overdue.setChecked(bool(values.get("overdue")))
        received_today = bool(values.get("received_today"))
        self.use_dates.setChecked(received_today)
        self.date_from.setEnabled(received_today)
        self.date_to.setEnabled(received_today)
        if received_today:
            today = self.app.station.now().date()
            q = QDate(today.year, today.month, today.day)
            self.date_from.setDate(q)
            self.date_to.setDate(q)
        for w in widgets:
            w.blockSignals(False)
        self.search_kind.setText("")
        self.apply()

    def _counted(self, generation: int, n: int) -> None:
        if generation != self.count_generation:
            return
        if n >= COUNT_CAP:
            self.count_label.setText(f"Hơn {COUNT_CAP:,} hồ sơ phù hợp (cuộn để xem thêm)".replace(",", "."))
        else:
            self.count_label.setText(f"{n:,} hồ sơ phù hợp".replace(",", "."))

    def _page_loaded(self, loaded: int, seconds: float) -> None:
        self.last_page_seconds = seconds
        if not self.count_started:
            self._start_count()
        if loaded and not self.view.currentIndex().isValid():
            self.view.setCurrentIndex(self.model.index(0, 0))
        if self.pending_open:
            code, self.pending_open = self.pending_open, ""
            hits = [r.code for r in self.model.rows[:2] if r.code == code or r.code.endswith("-" + code)]
            if len(hits) == 1 and len(self.model.rows) == 1:
                self._say("")
                self.openRequested.emit(hits[0])
            elif hits:
                self._say(f"Có {len(self.model.rows)} hồ sơ có mã kết thúc bằng {code}: chọn một hồ sơ.")
            else:
                self._say(f"Không tìm thấy hồ sơ có mã {code}.", not_found=True)
        elif loaded == 0 and self.search.text().strip():
            kind, _ = classify_search(self.search.text())
            self._say(
                f"Không tìm thấy hồ sơ theo {SEARCH_KINDS.get(kind, 'từ khóa')} "
                f"“{self.search.text().strip()}”.",
                not_found=True,
            )
        elif loaded and self.said_not_found:
            self._say("")  # the "not found" line no longer holds

    def _say(self, message: str, not_found: bool = False) -> None:
        """Status line; an empty message clears a "not found" that a later search disproved."""
        if message or self.said_not_found:
            self.status.emit(message)
        self.said_not_found = not_found

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
