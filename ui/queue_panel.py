"""Calling panel: the queue part of the counter window (call, recall, no-show, transfer, serve).

The panel talks to a ``QueueApi`` (``LocalQueueClient`` on a one-PC office, the
LAN ``QueueClient`` elsewhere). Every call runs in a worker (``ui.workers.run_op``)
so the GUI thread never waits on the network; while an action is in flight the
action buttons are disabled, so a double F5 cannot call two numbers.

When the queue host cannot be reached the panel shows "Mất kết nối máy chủ xếp
hàng" at once and keeps polling; the counter keeps receiving dossiers meanwhile.

Keys (window shortcuts): F5 call next, F6 recall, F7 no-show, F8 transfer,
F9 start serving, F10 finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.queue.models import (
    PRIORITY_LABELS,
    STATE_LABELS,
    QueueConfig,
    QueueStatus,
    QueueUnavailable,
    Ticket,
    TicketState,
)
from ui.workers import describe_error, run_op

LOST_CONNECTION = "Mất kết nối máy chủ xếp hàng"


def explain_nothing_to_call(config: QueueConfig | None, status: QueueStatus | None, counter_no: int) -> str:
    """What F5 says when this counter has nobody to call, naming the queues that do wait.

    A citizen holding a B ticket while counter 1 serves only A must not be left
    unexplained: say which queues wait and which counters serve them.
    """
    nobody = "Không còn ai đang chờ ở các hàng đợi của quầy này."
    if config is None or status is None:
        return nobody
    mine = next((c for c in config.counters if c.no == counter_no), None)
    served = set(mine.queue_codes) if mine else set()
    waiting = [q for q in status.queues if q.waiting and q.code not in served]
    if not waiting:
        return nobody
    own = ", ".join(sorted(served)) or "chưa gán hàng đợi nào"
    parts = []
    for q in waiting:
        counters = [c.name for c in config.counters if q.code in c.queue_codes and c.no != counter_no]
        by = f"do {', '.join(counters)} phục vụ" if counters else "chưa có quầy nào phục vụ"
        parts.append(f"{q.code} {q.name}: {q.waiting} người, {by}")
    return (
        f"Không còn ai chờ ở hàng đợi của quầy này ({own}). Đang có người chờ ở hàng đợi khác — "
        + "; ".join(parts)
        + ". Quản trị có thể gán thêm hàng đợi cho quầy trong cài đặt xếp hàng."
    )


class TransferDialog(QDialog):
    """Pick the queue and/or counter to transfer the current ticket to."""

    def __init__(self, config: QueueConfig, ticket: Ticket, own_counter: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Chuyển số {ticket.display_label}")
        self.queue_box = QComboBox(objectName="transfer_queue")
        self.queue_box.addItem("Giữ nguyên hàng đợi", None)
        for q in config.queues:
            self.queue_box.addItem(f"{q.code} – {q.name}", q.code)
        self.counter_box = QComboBox(objectName="transfer_counter")
        self.counter_box.addItem("Quầy bất kỳ phục vụ hàng đợi đó", None)
        for c in config.counters:
            if c.no != own_counter:
                self.counter_box.addItem(c.name, c.no)
        form = QFormLayout(self)
        form.addRow(QLabel("Số được giữ nguyên và xếp lên đầu hàng đợi mới."))
        form.addRow("Chuyển sang hàng đợi:", self.queue_box)
        form.addRow("Chuyển đến quầy:", self.counter_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Chuyển")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Hủy")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.error = QLabel(styleSheet="color:#b00020;")
        form.addRow(self.error)
        form.addRow(buttons)

    def _accept(self) -> None:
        if self.target() == (None, None):
            self.error.setText("Hãy chọn hàng đợi hoặc quầy.")
            return
        self.accept()

    def target(self) -> tuple[str | None, int | None]:
        return self.queue_box.currentData(), self.counter_box.currentData()


class CallingPanel(QWidget):
    """Queue controls of one counter.

    Signals:
        receiveDossierRequested(dict): the current ticket (``Ticket.to_dict()``), so the
            counter window can open the intake form pre-filled with its service.
        ticketChanged(object): the counter's current ``Ticket`` or None.
        connectionChanged(bool): False when the queue host became unreachable.
    """

    receiveDossierRequested = Signal(dict)
    ticketChanged = Signal(object)
    ticketFinished = Signal(object)  # the Ticket just finished (the rating screen asks about it)
    connectionChanged = Signal(bool)

    def __init__(
        self,
        client: Any,
        counter_no: int,
        officer: str,
        *,
        poll_ms: int = 3000,
        pool: QThreadPool | None = None,
        parent: QWidget | None = None,
        officer_name: str = "",
    ):
        super().__init__(parent)
        self.client = client
        self.counter_no = counter_no
        self.officer = officer  # the account name: the queue's records carry it
        self.officer_name = officer_name or officer  # what people read: the full name
        self.last_status: QueueStatus | None = None
        self.pool = pool
        self.current: Ticket | None = None
        self.last_no_show: Ticket | None = None
        self.config: QueueConfig | None = None
        self.connected = True
        self._busy = False
        self._polling = False
        self._poll_again = False
        self._build()
        self._timer = QTimer(self, interval=poll_ms)
        self._timer.timeout.connect(self.refresh)
        if poll_ms > 0:
            self._timer.start()
        self._load_config()
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.setObjectName("calling_panel")
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        self.banner = QLabel(LOST_CONNECTION, objectName="queue_lost_banner")
        self.banner.setStyleSheet(
            "background:#b00020; color:white; font-weight:bold; padding:6px;border-radius:4px;"
        )
        self.banner.setWordWrap(True)
        self.banner.hide()
        root.addWidget(self.banner)

        self.head = QGridLayout()
        self.title = QLabel(f"Quầy số {self.counter_no}", objectName="counter_title")
        self.title.setStyleSheet("font-size:16px; font-weight:bold;")
        self.officer_label = QLabel(f"Cán bộ: {self.officer_name}", objectName="officer_label")
        self.officer_label.setWordWrap(True)
        root.addLayout(self.head)

        card = QFrame(objectName="ticket_card")
        card.setStyleSheet(
            "#ticket_card { background:#eef4fb; border:1px solid #9bb7d4; border-radius:6px; }"
        )
        cl = QVBoxLayout(card)
        self.number_label = QLabel("—", objectName="current_number")
        self.number_label.setStyleSheet("color:#0d47a1;")
        self.number_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label = QLabel(
            "Chưa gọi số nào. Bấm F5 để gọi số tiếp theo.", objectName="current_detail"
        )
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label.setWordWrap(True)
        cl.addWidget(self.number_label)
        cl.addWidget(self.detail_label)
        root.addWidget(card)

        self.grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        self.specs: list[tuple[str, str, str, Callable[[], None]]] = [
            ("call_next", "Gọi số tiếp", "F5", self.call_next),
            ("recall", "Gọi lại", "F6", self.recall),
            ("no_show", "Vắng mặt", "F7", self.no_show),
            ("transfer", "Chuyển…", "F8", self.transfer),
            ("start", "Bắt đầu phục vụ", "F9", self.start),
            ("finish", "Kết thúc", "F10", self.finish),
        ]
        for name, _text, key, slot in self.specs:
            btn = QPushButton(objectName=f"btn_{name}")
            btn.clicked.connect(slot)
            self.buttons[name] = btn
            QShortcut(QKeySequence(key), self, activated=slot)
        self.buttons["call_next"].setStyleSheet("font-weight:bold;")
        root.addLayout(self.grid)

        row = QGridLayout()
        self.receive_row = row
        self.receive_btn = QPushButton("Tiếp nhận hồ sơ", objectName="btn_receive")
        self.receive_btn.setStyleSheet("font-weight:bold;")
        self.receive_btn.clicked.connect(self._request_dossier)
        self.walk_in_btn = QPushButton("Khách không có số", objectName="btn_walk_in")
        self.walk_in_btn.clicked.connect(self.walk_in)
        root.addLayout(row)

        qtitle = QLabel("Đang chờ theo hàng đợi")
        qtitle.setStyleSheet("font-weight:bold; margin-top:6px;")
        root.addWidget(qtitle)
        self.queues_label = QLabel("…", objectName="queue_lengths")
        self.queues_label.setTextFormat(Qt.TextFormat.RichText)
        self.queues_label.setWordWrap(True)
        root.addWidget(self.queues_label)
        self.message = QLabel("", objectName="queue_message")
        self.message.setWordWrap(True)
        root.addWidget(self.message)
        root.addStretch(1)
        self.compact = False
        self.set_compact(False)
        self._update_buttons()

    def set_compact(self, compact: bool) -> None:
        """Narrow layout for 1280–1366 screens: two button columns, one-line keys, a smaller number.

        Everything stays (called number, F5–F10, receive, waiting counts); only the
        arrangement changes, so the counter window fits without cutting the panel off.
        """
        self.compact = compact
        for layout in (self.head, self.grid, self.receive_row):
            while layout.count():
                layout.takeAt(0)
        self.head.addWidget(self.title, 0, 0)
        self.head.addWidget(self.officer_label, 1 if compact else 0, 0 if compact else 1)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.officer_label.setAlignment(Qt.AlignmentFlag.AlignLeft if compact else right)
        font = QFont()
        font.setPointSize(26 if compact else 40)
        font.setBold(True)
        self.number_label.setFont(font)
        columns = 2 if compact else 3
        for i, (name, text, key, _slot) in enumerate(self.specs):
            btn = self.buttons[name]
            btn.setText(f"{text} ({key})" if compact else f"{text}\n({key})")
            btn.setMinimumHeight(32 if compact else 48)
            self.grid.addWidget(btn, i // columns, i % columns)
        for btn in (self.receive_btn, self.walk_in_btn):
            btn.setMinimumHeight(32 if compact else 40)
        self.receive_row.addWidget(self.receive_btn, 0, 0)
        self.receive_row.addWidget(self.walk_in_btn, 1 if compact else 0, 0 if compact else 1)
        if compact:
            self.buttons["start"].setText("Phục vụ (F9)")  # "Bắt đầu phục vụ (F9)" widens the panel

    # ------------------------------------------------------------------ state
    def _set_connected(self, ok: bool) -> None:
        self.banner.setVisible(not ok)
        if ok != self.connected:
            self.connected = ok
            self.connectionChanged.emit(ok)

    def _set_current(self, ticket: Ticket | None) -> None:
        if ticket is not None and ticket.state not in (
            TicketState.CALLED,
            TicketState.RECALLED,
            TicketState.SERVING,
        ):
            if ticket.state == TicketState.NO_SHOW:
                self.last_no_show = ticket
            ticket = None
        changed = (ticket is None) != (self.current is None) or (
            ticket is not None
            and self.current is not None
            and (ticket.id != self.current.id or ticket.state != self.current.state)
        )
        self.current = ticket
        if ticket is None:
            self.number_label.setText("—")
            self.detail_label.setText("Chưa có công dân tại quầy. Bấm F5 để gọi số tiếp theo.")
        else:
            self.number_label.setText(ticket.display_label)
            parts = [ticket.service_name or "Khách không có số", STATE_LABELS.get(ticket.state, ticket.state)]
            if ticket.priority_reason:
                parts.append(
                    "Ưu tiên: " + PRIORITY_LABELS.get(ticket.priority_reason, ticket.priority_reason)
                )
            self.detail_label.setText(" · ".join(parts))
        self._update_buttons()
        if changed:
            self.ticketChanged.emit(ticket)

    def _update_buttons(self) -> None:
        t = self.current
        state = t.state if t else ""
        called = state in (TicketState.CALLED, TicketState.RECALLED)
        enabled = {
            "call_next": True,
            "recall": called or (t is None and self.last_no_show is not None),
            "no_show": called,
            "transfer": t is not None,
            "start": called,
            "finish": state == TicketState.SERVING,
        }
        for name, btn in self.buttons.items():
            btn.setEnabled(enabled[name] and not self._busy)
        self.receive_btn.setEnabled(t is not None and not self._busy)
        self.walk_in_btn.setEnabled(not self._busy)

    def set_officer_name(self, name: str) -> None:
        self.officer_name = name or self.officer
        self.officer_label.setText(f"Cán bộ: {self.officer_name}")

    def _show_status(self, status: QueueStatus) -> None:
        self.last_status = status
        lines = []
        for q in status.queues:
            pri = (
                f" <span style='color:#b26a00'>(ưu tiên {q.waiting_priority})</span>"
                if q.waiting_priority
                else ""
            )
            lines.append(f"<b>{q.code}</b> {q.name}: <b>{q.waiting}</b> người chờ{pri}")
        self.queues_label.setText("<br>".join(lines))

    # ------------------------------------------------------------------ workers
    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None], message: str = "") -> None:
        if self._busy:
            return
        self._busy = True
        self._update_buttons()
        if message:
            self._say(message)

        def done(result: Any) -> None:
            self._busy = False
            self._set_connected(True)
            on_done(result)
            self._update_buttons()
            self.refresh()

        run_op(fn, done, self._failed, owner=self, pool=self.pool)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        if isinstance(exc, QueueUnavailable):
            self._set_connected(False)
            self.banner.setText(f"{LOST_CONNECTION}. {exc}" if LOST_CONNECTION not in str(exc) else str(exc))
        else:
            self._say(describe_error(exc), error=True)
        self._update_buttons()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color:#b00020;" if error else "color:#1b5e20;")
        self.message.setText(text)

    def _load_config(self) -> None:
        def done(cfg: QueueConfig) -> None:
            self.config = cfg

        run_op(self.client.config, done, lambda _exc: None, owner=self, pool=self.pool)

    def refresh(self) -> None:
        """Poll status (and the counter's ticket when it changed elsewhere)."""
        if self._polling:
            self._poll_again = True  # an action just changed things: poll once more after this one
            return
        self._polling = True
        self._poll_again = False
        known = (self.current.id, self.current.state) if self.current else None
        client, no = self.client, self.counter_no

        def work() -> tuple[QueueStatus, Ticket | None, bool]:
            status = client.status()
            mine = next((c for c in status.counters if c.no == no), None)
            if mine is None or mine.ticket_id is None:
                return status, None, True
            if known == (mine.ticket_id, mine.state):
                return status, None, False
            return status, client.ticket(mine.ticket_id), True

        def done(result: tuple[QueueStatus, Ticket | None, bool]) -> None:
            self._polling = False
            self._set_connected(True)
            status, ticket, changed = result
            self._show_status(status)
            if changed and not self._busy:
                self._set_current(ticket)
            if self._poll_again:
                self.refresh()

        def failed(exc: BaseException) -> None:
            self._polling = False
            if isinstance(exc, QueueUnavailable):
                self._set_connected(False)
            if self._poll_again:
                self.refresh()

        run_op(work, done, failed, owner=self, pool=self.pool)

    # ------------------------------------------------------------------ actions
    def call_next(self) -> None:
        client, no, officer, config = self.client, self.counter_no, self.officer, self.config

        def work() -> tuple[Ticket | None, QueueConfig | None, QueueStatus | None]:
            ticket = client.call_next(no, officer)
            if ticket is not None:
                return ticket, config, None
            # nobody for us: fresh figures to say who waits elsewhere
            return None, config or client.config(), client.status()

        def done(result: tuple[Ticket | None, QueueConfig | None, QueueStatus | None]) -> None:
            t, cfg, status = result
            if t is None:
                self.config = cfg
                self._set_current(None)
                self._say(explain_nothing_to_call(cfg, status, no))
            else:
                self._set_current(t)
                self._say(f"Đã gọi số {t.display_label}.")

        self._run(work, done, "Đang gọi số…")

    def recall(self) -> None:
        target = self.current or self.last_no_show
        if target is None:
            return

        def done(t: Ticket) -> None:
            self.last_no_show = None
            self._set_current(t)
            self._say(f"Đã gọi lại số {t.display_label}.")

        self._run(lambda: self.client.recall(target.id, self.counter_no, self.officer), done)

    def no_show(self) -> None:
        t = self.current
        if t is None:
            return

        def done(res: Ticket) -> None:
            self._set_current(res)
            self._say(f"Số {res.display_label} vắng mặt; có thể gọi lại (F6) nếu công dân đến muộn.")

        self._run(lambda: self.client.no_show(t.id, self.counter_no, self.officer), done)

    def transfer(self) -> None:
        t = self.current
        if t is None or self.config is None or self._busy:
            return
        dlg = TransferDialog(self.config, t, self.counter_no, self)
        dlg.setObjectName("transfer_dialog")
        self.transfer_dialog = dlg

        def accepted() -> None:
            to_queue, to_counter = dlg.target()

            def done(res: Ticket) -> None:
                self._set_current(None)
                where = f"quầy {to_counter}" if to_counter else f"hàng đợi {res.queue_code}"
                self._say(f"Đã chuyển số {res.display_label} sang {where}.")

            self._run(
                lambda: self.client.transfer(t.id, self.counter_no, self.officer, to_queue, to_counter), done
            )

        dlg.accepted.connect(accepted)
        dlg.open()

    def start(self) -> None:
        t = self.current
        if t is None:
            return
        self._run(lambda: self.client.start(t.id, self.counter_no, self.officer), self._set_current)

    def finish(self) -> None:
        t = self.current
        if t is None:
            return

        def done(res: Ticket) -> None:
            self._set_current(res)
            self._say(f"Đã kết thúc phục vụ số {res.display_label}.")
            self.ticketFinished.emit(res)

        self._run(lambda: self.client.finish(t.id, self.counter_no, self.officer), done)

    def walk_in(self) -> None:
        def done(t: Ticket) -> None:
            self._set_current(t)
            self._say("Đang phục vụ khách không có số thứ tự.")

        self._run(lambda: self.client.walk_in(self.counter_no, self.officer), done)

    def link_dossier(self, dossier_id: str, ticket_id: str | None = None) -> None:
        """Call after the intake form saved a dossier received from this ticket."""
        tid = ticket_id or (self.current.id if self.current else None)
        if tid is None:
            return
        run_op(
            lambda: self.client.link_dossier(tid, dossier_id, self.counter_no, self.officer),
            lambda t: self._say(f"Đã gắn hồ sơ với số {t.display_label}."),
            self._failed,
            owner=self,
            pool=self.pool,
        )

    def _request_dossier(self) -> None:
        if self.current is not None:
            self.receiveDossierRequested.emit(self.current.to_dict())
