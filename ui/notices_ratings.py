"""Hệ thống → Thông báo lỗi và đánh giá (Ctrl+Shift+T).

Staff see the notices to citizens that could not be delivered and send one again
("Gửi lại"); supervisors and administrators also see the citizens' latest ratings.
Officers get no ratings tab (and the service refuses them anyway); nobody edits a
rating here. All reads and the retry run off the GUI thread (``ui/workers.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.lifecycle import RatingLevel
from desk_app.notices.templates import KIND_LABELS
from ui.workers import app_op, describe_error

if TYPE_CHECKING:
    from desk_app.bootstrap import App
    from desk_app.services.accounts import Account

CHANNEL_LABELS = {"email": "Thư điện tử", "sms": "Tin nhắn SMS", "zalo": "Zalo"}
SOURCE_LABELS = {"counter": "Tại quầy", "kiosk": "Máy lấy số", "web": "Trang tra cứu"}


def _when(text: str) -> str:
    try:
        return f"{dt.datetime.fromisoformat(text):%H:%M %d/%m/%Y}"
    except ValueError:
        return text


def _level(value: str) -> str:
    try:
        return RatingLevel(value).label
    except ValueError:
        return value


def _visit(label: str) -> str:
    # a walk-in at the counter has no ticket number
    return f"Lượt số {label}" if label else "Lượt tại quầy (không lấy số)"


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)  # a rating is never edited
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()


class NoticesRatingsDialog(QDialog):
    def __init__(self, app: App, account: Account, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.account = account
        self.failures: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.note = ""  # what the last action did, shown before the counts
        self.setObjectName("notices_ratings_dialog")
        self.setWindowTitle("Thông báo lỗi và đánh giá của công dân")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)

        page = QWidget()
        box = QVBoxLayout(page)
        self.failure_table = _table(
            ["Hồ sơ", "Loại thông báo", "Kênh", "Trạng thái", "Số lần gửi", "Tạo lúc", "Lỗi"],
            "failure_table",
        )
        box.addWidget(self.failure_table)
        row = QHBoxLayout()
        self.retry_button = QPushButton("&Gửi lại")
        self.retry_button.setObjectName("retry_button")
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self.retry_selected)
        self.failure_table.itemSelectionChanged.connect(self._selection_changed)
        row.addWidget(self.retry_button)
        self.status = QLabel("Đang tải…")
        self.status.setObjectName("notices_status")
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        box.addLayout(row)
        self.tabs.addTab(page, "Thông báo gửi không được")

        self.rating_table: QTableWidget | None = None
        if account.can("ratings"):
            self.rating_table = _table(
                ["Thời gian", "Hồ sơ / lượt", "Mức", "Nguồn", "Lý do", "Ý kiến"], "rating_table"
            )
            self.tabs.addTab(self.rating_table, "Đánh giá của công dân")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Đóng (Esc)")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        app_op(self.app, lambda app: app.notice_failures(), self._show_failures, self._error, owner=self)
        if self.rating_table is not None:
            username = self.account.username
            app_op(
                self.app,
                lambda app: app.ratings.recent(username),
                self._show_ratings,
                self._error,
                owner=self,
            )

    def _show_failures(self, rows: list[dict[str, Any]]) -> None:
        self.failures = rows
        _fill(
            self.failure_table,
            [
                [
                    str(r.get("dossier_code") or r["dossier_id"]),
                    KIND_LABELS.get(str(r["kind"]), str(r["kind"])),
                    CHANNEL_LABELS.get(str(r["channel"]), str(r["channel"])),
                    "Lỗi, đã dừng" if r.get("status") == "failed" else "Đang thử lại",
                    str(r["attempts"]),
                    _when(str(r["created_at"])),
                    str(r.get("last_error") or ""),
                ]
                for r in rows
            ],
        )
        self._selection_changed()
        self.status.setText(
            self.note
            + (f"{len(rows)} thông báo chưa gửi được." if rows else "Không có thông báo nào gửi lỗi.")
        )
        self.note = ""

    def _show_ratings(self, rows: list[dict[str, Any]]) -> None:
        self.ratings = rows
        assert self.rating_table is not None
        _fill(
            self.rating_table,
            [
                [
                    _when(r["at"]),
                    r["dossier_code"] or _visit(r["ticket_label"]),
                    _level(r["level"]),
                    SOURCE_LABELS.get(r["source"], r["source"]),
                    "; ".join(r["reasons"]),
                    r["comment"],
                ]
                for r in rows
            ],
        )

    def _error(self, exc: BaseException) -> None:
        self.status.setText(describe_error(exc))

    # ------------------------------------------------------------------ retry
    def _selected(self) -> dict[str, Any] | None:
        rows = self.failure_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.failures):
            return None
        return self.failures[rows[0].row()]

    def _selection_changed(self) -> None:
        chosen = self._selected()
        self.retry_button.setEnabled(chosen is not None and chosen.get("status") == "failed")

    def retry_selected(self) -> None:
        chosen = self._selected()
        if chosen is None or chosen.get("status") != "failed":
            return
        notice_id = str(chosen["id"])
        self.retry_button.setEnabled(False)

        def done(_: object) -> None:
            self.note = "Đã đưa thông báo vào hàng chờ gửi lại. "
            app_op(self.app, lambda app: app.notice_failures(), self._show_failures, self._error, owner=self)

        app_op(self.app, lambda app: app.retry_notice(notice_id), done, self._error, owner=self)
