"""Ticket kiosk: full screen, one tap per service, priority tickets, PIN to close.

Issuing runs in a worker (``issue_with_printer``: reserve → print → confirm), so
the screen stays responsive while a slow serial printer works. A ticket that
did not print is not in the queue; the kiosk says why in Vietnamese and offers
"In lại" (same number) or "Hủy".

The window cannot be closed by citizens: Alt+F4 (closeEvent) and Esc open a
PIN pad; only the kiosk PIN closes it.
"""

from __future__ import annotations

import hmac
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.devices.api import TicketPrinter
from desk_app.queue.models import PRIORITY_LABELS, IssueResult, PriorityReason, QueueConfig, QueueUnavailable
from desk_app.queue.service import issue_with_printer, reprint_with_printer
from ui.workers import describe_error, run_op

BG = "#0b3d91"
STYLE = f"""
#kiosk {{ background: {BG}; }}
#kiosk QLabel {{ color: white; }}
#kiosk QPushButton {{
    background: white; color: {BG}; border: none; border-radius: 18px;
    font-size: 30px; font-weight: bold; padding: 18px;
}}
#kiosk QPushButton:pressed {{ background: #ffd54f; }}
#kiosk QPushButton#priority_button, #kiosk QPushButton[reason="true"] {{
    background: #ffd54f; color: #5d3a00;
}}
#kiosk QPushButton#back_button, #kiosk QPushButton#cancel_button {{ background: #90a4ae; color: white; }}
#kiosk QPushButton#reprint_button {{ background: #ffd54f; color: #5d3a00; }}
#kiosk QPushButton#idle_button {{ background: transparent; color: white; font-size: 44px; }}
"""

PAGE_IDLE, PAGE_SERVICES, PAGE_PRIORITY, PAGE_BUSY, PAGE_RESULT, PAGE_ERROR = range(6)


def _label(text: str, size: int, bold: bool = False, name: str = "") -> QLabel:
    lab = QLabel(text)
    if name:
        lab.setObjectName(name)
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    lab.setWordWrap(True)
    # Top padding keeps stacked diacritics (Ố, Ầ) from being clipped.
    lab.setStyleSheet(
        f"font-size:{size}px; padding-top:{max(4, size // 6)}px; {'font-weight:bold;' if bold else ''}"
    )
    return lab


def _big_button(text: str, name: str) -> QPushButton:
    btn = QPushButton(text)
    btn.setObjectName(name)
    btn.setMinimumHeight(110)
    btn.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return btn


class PinDialog(QDialog):
    """Touch PIN pad (staff only)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pin_dialog")
        self.setWindowTitle("Nhập mã PIN để đóng máy lấy số")
        self.setStyleSheet(
            "QPushButton { font-size: 26px; min-width: 90px; min-height: 70px; }"
            "QLabel, QLineEdit { font-size: 22px; }"
        )
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Chỉ cán bộ quản lý: nhập mã PIN để đóng máy lấy số."))
        self.edit = QLineEdit(objectName="pin_edit")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.returnPressed.connect(self.accept)
        lay.addWidget(self.edit)
        self.error = QLabel("", objectName="pin_error")
        self.error.setStyleSheet("color:#b00020;")
        lay.addWidget(self.error)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Xóa", "0", "Đồng ý"]
        for i, key in enumerate(keys):
            btn = QPushButton(key)
            btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if key == "Xóa":
                btn.clicked.connect(self.edit.clear)
            elif key == "Đồng ý":
                btn.clicked.connect(self.accept)
            else:
                btn.clicked.connect(lambda _=False, k=key: self.edit.insert(k))
            grid.addWidget(btn, i // 3, i % 3)
        lay.addLayout(grid)
        cancel = QPushButton("Hủy")
        cancel.clicked.connect(self.reject)
        lay.addWidget(cancel)


class KioskWindow(QWidget):
    """The citizen-facing ticket kiosk.

    Signals:
        ticketIssued(object): the ``IssueResult`` of every issue / reprint attempt.
    """

    ticketIssued = Signal(object)

    def __init__(
        self,
        client: Any,
        printer: TicketPrinter,
        *,
        pin: str = "1234",
        idle_seconds: int = 30,
        result_seconds: int = 10,
        unit_name: str | None = None,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.client = client
        self.printer = printer
        self._pin = pin
        self.unit_name = unit_name or ""
        self.pool = pool
        self.config: QueueConfig | None = None
        self.priority_reason: str | None = None
        self.last_result: IssueResult | None = None
        self._unlocked = False
        self._busy = False
        self.pin_dialog: PinDialog | None = None
        self.setObjectName("kiosk")
        self.setWindowTitle("Lấy số thứ tự")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE)
        self.idle_timer = QTimer(self, singleShot=True, interval=idle_seconds * 1000)
        self.idle_timer.timeout.connect(self.go_idle)
        self.result_timer = QTimer(self, singleShot=True, interval=result_seconds * 1000)
        self.result_timer.timeout.connect(self.go_idle)
        self._build()
        self._load_config()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(40, 24, 40, 24)
        self.title = _label(self.unit_name or "Bộ phận Một cửa", 34, True, "kiosk_title")
        root.addWidget(self.title)
        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)

        # Idle screen: any tap starts.
        idle = QWidget()
        il = QVBoxLayout(idle)
        self.idle_button = _big_button("Chạm vào màn hình để lấy số thứ tự", "idle_button")
        self.idle_button.clicked.connect(self.show_services)
        il.addWidget(self.idle_button)
        self.stack.addWidget(idle)

        # Services: one tap per service.
        services = QWidget()
        sl = QVBoxLayout(services)
        self.services_hint = _label("Chọn lĩnh vực cần giải quyết", 30, True, "services_hint")
        sl.addWidget(self.services_hint)
        self.priority_banner = QLabel("", objectName="priority_banner")
        self.priority_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.priority_banner.setStyleSheet(
            "background:#ffd54f; color:#5d3a00; font-size:24px; font-weight:bold;"
            "border-radius:10px; padding:8px;"
        )
        self.priority_banner.hide()
        sl.addWidget(self.priority_banner)
        self.services_grid = QGridLayout()
        self.services_grid.setSpacing(20)
        sl.addLayout(self.services_grid, 1)
        prow = QHBoxLayout()
        self.priority_button = _big_button(
            "Ưu tiên: người cao tuổi, người khuyết tật,\nphụ nữ mang thai, người đưa con nhỏ",
            "priority_button",
        )
        self.priority_button.setMinimumHeight(100)
        self.priority_button.setStyleSheet("font-size:24px;")
        self.priority_button.clicked.connect(self.show_priority)
        prow.addWidget(self.priority_button)
        sl.addLayout(prow)
        self.stack.addWidget(services)

        # Priority reasons.
        prio = QWidget()
        pl = QVBoxLayout(prio)
        pl.addWidget(_label("Chọn đối tượng ưu tiên", 30, True))
        pgrid = QGridLayout()
        pgrid.setSpacing(20)
        reasons = [
            PriorityReason.ELDERLY,
            PriorityReason.DISABLED,
            PriorityReason.PREGNANT,
            PriorityReason.SMALL_CHILD,
        ]
        for i, reason in enumerate(reasons):
            btn = _big_button(PRIORITY_LABELS[reason], f"reason_{reason.value}")
            btn.setProperty("reason", True)
            btn.clicked.connect(lambda _=False, r=reason.value: self.choose_priority(r))
            pgrid.addWidget(btn, i // 2, i % 2)
        pl.addLayout(pgrid, 1)
        back = _big_button("Quay lại", "back_button")
        back.setMinimumHeight(80)
        back.clicked.connect(self.show_services)
        pl.addWidget(back)
        self.stack.addWidget(prio)

        # Busy.
        busy = QWidget()
        bl = QVBoxLayout(busy)
        bl.addWidget(_label("Đang in số thứ tự…\nVui lòng chờ trong giây lát.", 40, True))
        self.stack.addWidget(busy)

        # Result.
        res = QWidget()
        rl = QVBoxLayout(res)
        rl.addWidget(_label("Số thứ tự của bạn", 34))
        self.result_number = _label("", 160, True, "result_number")
        self.result_number.setStyleSheet(
            "font-size:160px; font-weight:bold; color:#ffd54f; padding-top:20px;"
        )
        rl.addWidget(self.result_number)
        self.result_service = _label("", 30, False, "result_service")
        rl.addWidget(self.result_service)
        self.result_ahead = _label("", 36, True, "result_ahead")
        rl.addWidget(self.result_ahead)
        rl.addWidget(_label("Vui lòng nhận phiếu và chờ gọi số trên màn hình.", 26))
        done = _big_button("Xong", "done_button")
        done.setMinimumHeight(90)
        done.setMaximumHeight(120)
        done.clicked.connect(self.go_idle)
        rl.addWidget(done)
        self.stack.addWidget(res)

        # Error (printer failure or queue unavailable).
        err = QWidget()
        el = QVBoxLayout(err)
        el.addStretch(1)
        el.addWidget(_label("Chưa in được số thứ tự", 40, True))
        self.error_text = _label("", 28, False, "error_text")
        self.error_text.setStyleSheet(
            "font-size:28px; background:#b00020; color:white; border-radius:12px;padding:16px;"
        )
        el.addWidget(self.error_text)
        self.error_hint = _label("", 24, False, "error_hint")
        el.addWidget(self.error_hint)
        erow = QHBoxLayout()
        self.reprint_button = _big_button("In lại", "reprint_button")
        self.reprint_button.clicked.connect(self.reprint)
        self.cancel_button = _big_button("Hủy", "cancel_button")
        self.cancel_button.clicked.connect(self.cancel_failed)
        for btn in (self.reprint_button, self.cancel_button):
            btn.setMaximumHeight(160)
            erow.addWidget(btn)
        el.addStretch(1)
        el.addLayout(erow)
        self.stack.addWidget(err)
        self.stack.setCurrentIndex(PAGE_IDLE)

    def _fill_services(self) -> None:
        while self.services_grid.count():
            item = self.services_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        assert self.config is not None
        cols = 2 if len(self.config.services) > 3 else 1
        for i, svc in enumerate(self.config.services):
            btn = _big_button(svc.name, f"service_{svc.id}")
            btn.clicked.connect(lambda _=False, sid=svc.id: self.issue(sid))
            self.services_grid.addWidget(btn, i // cols, i % cols)

    def _load_config(self) -> None:
        def done(cfg: QueueConfig) -> None:
            self.config = cfg
            if not self.unit_name:
                self.unit_name = cfg.office_name
                self.title.setText(cfg.office_name)
            self._fill_services()

        def failed(exc: BaseException) -> None:
            self._show_error(describe_error(exc), can_reprint=False)
            QTimer.singleShot(5000, self._load_config)  # keep trying: the host may be starting

        run_op(self.client.config, done, failed, owner=self, pool=self.pool)

    # ------------------------------------------------------------------ navigation
    def present(self) -> None:
        """Show full screen (the normal way to start the kiosk)."""
        self.showFullScreen()

    def _touch(self) -> None:
        self.idle_timer.start()

    def go_idle(self) -> None:
        if self._busy:
            return
        self.result_timer.stop()
        self.idle_timer.stop()
        self.priority_reason = None
        self.priority_banner.hide()
        self.stack.setCurrentIndex(PAGE_IDLE)

    def show_services(self) -> None:
        if self.config is None:
            self._load_config()
        self.result_timer.stop()
        self.stack.setCurrentIndex(PAGE_SERVICES)
        self._touch()

    def show_priority(self) -> None:
        self.stack.setCurrentIndex(PAGE_PRIORITY)
        self._touch()

    def choose_priority(self, reason: str) -> None:
        self.priority_reason = reason
        self.priority_banner.setText(f"Số ưu tiên — {PRIORITY_LABELS[reason]}. Chọn lĩnh vực:")
        self.priority_banner.show()
        self.show_services()

    # ------------------------------------------------------------------ issuing
    def issue(self, service_id: str) -> None:
        if self._busy:
            return
        reason = self.priority_reason
        client, printer, unit = self.client, self.printer, self.unit_name
        self._start_busy()
        run_op(
            lambda: issue_with_printer(client, printer, service_id, reason, unit),
            self._issued,
            self._issue_failed,
            owner=self,
            pool=self.pool,
        )

    def reprint(self) -> None:
        result = self.last_result
        if self._busy or result is None or result.printed:
            return
        client, printer, unit = self.client, self.printer, self.unit_name
        self._start_busy()
        run_op(
            lambda: reprint_with_printer(client, printer, result.ticket.id, unit),
            self._issued,
            self._issue_failed,
            owner=self,
            pool=self.pool,
        )

    def cancel_failed(self) -> None:
        result = self.last_result
        if result is not None and not result.printed:
            # Best effort: a failed ticket is not queued anyway; cancelling just closes it.
            run_op(
                lambda: self.client.cancel(result.ticket.id, None, "kiosk", "in lỗi, công dân hủy"),
                None,
                lambda _exc: None,
                owner=self,
                pool=self.pool,
            )
        self.last_result = None
        self.go_idle()

    def _start_busy(self) -> None:
        self._busy = True
        self.idle_timer.stop()
        self.stack.setCurrentIndex(PAGE_BUSY)

    def _issued(self, result: IssueResult) -> None:
        self._busy = False
        self.last_result = result
        self.ticketIssued.emit(result)
        if not result.printed:
            self._show_error(result.error, can_reprint=True, number=result.ticket.label)
            return
        self.priority_reason = None
        self.priority_banner.hide()
        self.result_number.setText(result.ticket.label)
        self.result_service.setText(result.ticket.service_name)
        n = result.people_ahead
        self.result_ahead.setText(
            "Bạn là người tiếp theo." if n == 0 else f"Có {n} người đang chờ trước bạn."
        )
        self.stack.setCurrentIndex(PAGE_RESULT)
        self.result_timer.start()

    def _issue_failed(self, exc: BaseException) -> None:
        self._busy = False
        if isinstance(exc, QueueUnavailable):
            text = "Hệ thống lấy số tạm thời gián đoạn. Vui lòng báo cán bộ tại quầy hoặc thử lại sau."
        else:
            text = describe_error(exc)
        self._show_error(text, can_reprint=False)

    def _show_error(self, text: str, *, can_reprint: bool, number: str = "") -> None:
        self.error_text.setText(text)
        self.error_hint.setText(
            f"Số {number} chưa được phát và chưa vào hàng chờ. Bấm “In lại” để in lại đúng số này."
            if can_reprint
            else "Vui lòng báo cán bộ tại quầy."
        )
        self.reprint_button.setVisible(can_reprint)
        self.cancel_button.setText("Hủy" if can_reprint else "Quay lại")
        self.idle_timer.stop()
        self.stack.setCurrentIndex(PAGE_ERROR)

    # ------------------------------------------------------------------ closing
    def ask_pin(self) -> PinDialog:
        if self.pin_dialog is not None and self.pin_dialog.isVisible():
            return self.pin_dialog
        dlg = PinDialog(self)
        self.pin_dialog = dlg

        def accepted() -> None:
            if hmac.compare_digest(dlg.edit.text().encode(), self._pin.encode()):
                self._unlocked = True
                self.close()
            else:
                dlg.error.setText("Sai mã PIN.")
                dlg.edit.clear()
                dlg.open()

        dlg.accepted.connect(accepted)
        dlg.open()
        return dlg

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self._unlocked:
            self.idle_timer.stop()
            self.result_timer.stop()
            event.accept()
            return
        event.ignore()
        self.ask_pin()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.ask_pin()
            return
        super().keyPressEvent(event)
