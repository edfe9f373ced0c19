"""Receiving a dossier (F2): procedure, applicant, components, fee, return, appointment.

Built for the keyboard: the procedure search box takes the focus, ↑/↓ pick a
result and Enter moves on to the applicant; every field validates as it is
typed (messages in Vietnamese, shown once the field is complete or left);
Space ticks a component; Ctrl+S / Ctrl+Enter saves. A returning applicant
found by CCCD or phone fills the form. The appointment is recomputed live
from the unit's working calendar (15:00 rule, holidays, make-up days).

The save runs in a worker (``IntakeService.receive``); field errors from the
service land under the fields.

Signals:
    saved(object, str): the Dossier recorded and the form to print
        ("receipt", "supplement" or "refusal").
    status(str): a Vietnamese line for the status bar.
    serialScanned(str): a whole code from the serial-mode scanner (the window sorts it
        like a keyboard-wedge scan: dossier code, CCCD card QR, foreign code).
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app import geo
from desk_app.cccd_qr import parse_cccd_qr
from desk_app.domain.errors import InputErrors, ValidationError
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import (
    Channel,
    FeeKind,
    IdKind,
    Procedure,
    ReceivedComponent,
    ReturnMethod,
    format_vnd,
    validate_agency_id,
)
from desk_app.notices.rules import CHANNEL_LABELS
from desk_app.services.intake import (
    ApplicantInput,
    IntakeRequest,
    compute_fee,
    on_the_spot_errors,
    settles_on_the_spot,
)
from desk_app.textfold import fold
from desk_app.validation import (
    capitalized_name,
    needs_capitals,
    parse_birth_date,
    validate_email,
    validate_id,
    validate_name,
    validate_phone,
)
from ui.common import (
    ERROR_STYLE,
    OK_STYLE,
    ErrorLabel,
    PickerCombo,
    fmt_appointment,
    fmt_date,
)
from ui.dossier_actions import ActionDialog
from ui.scanner import SerialScanReader
from ui.workers import describe_error, run_op

ID_KINDS = [
    (IdKind.CCCD, "Căn cước / CCCD"),
    (IdKind.CMND, "CMND (cũ)"),
    (IdKind.PASSPORT, "Hộ chiếu"),
    (IdKind.NONE, "Không có giấy tờ"),
]
FULL_LENGTH = {"id_number": 12, "phone": 10}
AGENCY_ID_LENGTH = len("000.21.31.H56")
ACCEPT_SUGGESTION_KEY = "Ctrl+U"
# What the returning-applicant note calls each field it filled.
FIELD_LABELS = {
    "full_name": "họ và tên",
    "id_number": "số giấy tờ",
    "birth_date": "ngày sinh",
    "phone": "điện thoại",
    "email": "thư điện tử",
    "province": "tỉnh/thành phố",
    "commune": "xã/phường",
    "street": "địa chỉ",
}
# Rows whose messages run long (CCCD digits, dates) reserve two lines; the others one.
TWO_LINE_ROWS = frozenset({"id_kind", "birth_date"})


def serial_scanner_setting(app: Any) -> tuple[str, int]:
    """(port, baud) of the serial-mode scanner from the station settings; ('', 9600) when none."""
    devices = app.settings.load().devices
    return devices.scanner_port, devices.scanner_baud


class RowMessages(QLabel):
    """The messages under one row of applicant fields, across the whole row, in a reserved height.

    The height is fixed (``lines`` lines) whether or not there is a
    message, so a message appearing while the officer types never moves the rows
    below. Using the row's full width lets the detailed messages (CCCD digits,
    impossible dates) fit; one longer than the reserved lines is cut, with the
    whole text in the tooltip.
    """

    def __init__(self, lines: int = 1, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setFixedHeight(QFontMetrics(self.font()).lineSpacing() * lines + 2)
        self.messages: dict[str, tuple[str, bool]] = {}  # field -> (text, is_note), in field order

    def set_message(self, name: str, text: str, note: bool) -> None:
        self.messages[name] = (text, note)
        shown = [(t, n) for t, n in self.messages.values() if t]
        self.setText(
            " · ".join(
                f'<span style="{OK_STYLE if n else ERROR_STYLE}">{html.escape(t)}</span>' for t, n in shown
            )
        )
        self.setToolTip("\n".join(t for t, _n in shown))


class FieldMessage:
    """One field's message, shown in its row's ``RowMessages`` (the API of ``ErrorLabel``)."""

    def __init__(self, name: str, row: RowMessages):
        self.name = name
        self.row = row
        self.is_note = False
        row.set_message(name, "", False)

    def show_error(self, message: str) -> None:
        self.is_note = False
        self.row.set_message(self.name, message, False)

    def show_note(self, message: str) -> None:
        self.is_note = True
        self.row.set_message(self.name, message, True)

    def text(self) -> str:
        return self.row.messages[self.name][0]

    def isVisible(self) -> bool:  # noqa: N802 - the QWidget spelling, as tests and callers use it
        return bool(self.text()) and self.row.isVisible()


class ProcedureSearch(QLineEdit):
    """Search box that drives a result list with ↑/↓/Enter without leaving the box."""

    def __init__(self, results: QListWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.results = results

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 5, Qt.Key.Key_PageUp: -5}[key]
            row = min(max(self.results.currentRow() + step, 0), self.results.count() - 1)
            self.results.setCurrentRow(row)
            return
        super().keyPressEvent(event)


class ComponentTable(QTableWidget):
    """Components with a tick box; Space ticks the current row.

    A Space inside a scanner burst (the spaces of a CCCD card's QR, keys a few
    milliseconds apart) is not a tick: no person types that fast.
    """

    BURST_GAP_S = 0.03

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._last_key = -1.0

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        now = time.monotonic()
        in_burst = self._last_key >= 0 and now - self._last_key <= self.BURST_GAP_S
        self._last_key = now
        if event.key() == Qt.Key.Key_Space and self.currentRow() >= 0:
            item = self.item(self.currentRow(), 0)
            if item is None or in_burst:
                return
            item.setCheckState(
                Qt.CheckState.Unchecked
                if item.checkState() == Qt.CheckState.Checked
                else Qt.CheckState.Checked
            )
            return
        super().keyPressEvent(event)


class IntakeForm(QWidget):
    saved = Signal(object, str)
    status = Signal(str)
    serialScanned = Signal(str)  # noqa: N815 - Qt signal naming

    def __init__(self, app: Any, actor: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.actor = actor
        self.procedures: list[tuple[str, Procedure]] = []  # (folded search key, procedure)
        self.procedure: Procedure | None = None
        self.touched: set[str] = set()
        self.ticket_id = ""
        self._lookup_key = ""
        self._incomplete: dict[str, Any] = {}
        self.saving = False
        self.serial_reader: SerialScanReader | None = None
        self.setObjectName("intake_form")
        self._build()
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)  # the 15:00 rule depends on the time of day
        self._tick.timeout.connect(self.update_appointment)
        self._tick.start()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        columns = QHBoxLayout(body)
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 5)
        columns.addLayout(right, 4)

        # -- procedure
        box = QGroupBox("1. Thủ tục hành chính")
        lay = QVBoxLayout(box)
        self.proc_list = QListWidget()
        self.proc_list.setObjectName("proc_list")
        self.proc_list.setMaximumHeight(130)
        self.proc_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.proc_search = ProcedureSearch(self.proc_list)
        self.proc_search.setObjectName("proc_search")
        self.proc_search.setPlaceholderText(
            "Gõ tên hoặc mã thủ tục, không cần dấu (vd: khai sinh, chung thuc ban sao)…"
        )
        self.proc_search.setClearButtonEnabled(True)
        self.proc_search.textChanged.connect(self._filter_procedures)
        self.proc_search.returnPressed.connect(self._pick_current_procedure)
        self.proc_list.itemActivated.connect(lambda _item: self._pick_current_procedure())
        self.proc_list.itemClicked.connect(lambda _item: self._pick_current_procedure())
        self.proc_info = QLabel("Chưa chọn thủ tục.")
        self.proc_info.setObjectName("proc_info")
        self.proc_info.setWordWrap(True)
        self.proc_info.setTextFormat(Qt.TextFormat.RichText)
        self.err_procedure = ErrorLabel("procedure")
        lay.addWidget(self.proc_search)
        lay.addWidget(self.proc_list)
        lay.addWidget(self.proc_info)
        lay.addWidget(self.err_procedure)
        left.addWidget(box)

        # -- applicant
        box = QGroupBox("2. Người nộp hồ sơ")
        grid = QGridLayout(box)
        self.inputs: dict[str, QWidget] = {}
        self.err: dict[str, FieldMessage] = {}
        self.row_messages: list[RowMessages] = []
        row = 0

        def add(name: str, label: str, widget: QWidget, col: int = 0, span: int = 1) -> None:
            nonlocal row
            widget.setObjectName(name)
            self.inputs[name] = widget
            if col == 0:  # one message line per row, across the row
                messages = RowMessages(2 if name in TWO_LINE_ROWS else 1)
                messages.setObjectName(f"messages_{name}")
                self.row_messages.append(messages)
                grid.addWidget(messages, row + 1, 1, 1, 3)
            self.err[name] = FieldMessage(name, self.row_messages[-1])
            lab = QLabel(label)
            lab.setBuddy(widget)
            grid.addWidget(lab, row, col * 2)
            grid.addWidget(widget, row, col * 2 + 1, 1, span)

        self.full_name = QLineEdit()
        add("full_name", "&Họ và tên:", self.full_name, 0, 3)
        row += 2
        self.id_kind = QComboBox()
        for kind, label in ID_KINDS:
            self.id_kind.addItem(label, kind.value)
        add("id_kind", "Giấy tờ:", self.id_kind)
        self.id_number = QLineEdit()
        self.id_number.setPlaceholderText("12 chữ số")
        add("id_number", "Số &CCCD:", self.id_number, 1)
        row += 2
        self.birth_date = QLineEdit()
        self.birth_date.setPlaceholderText("dd/mm/yyyy")
        add("birth_date", "Ngày sinh:", self.birth_date)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("10 chữ số, bắt đầu bằng 0")
        add("phone", "Điện &thoại:", self.phone, 1)
        row += 2
        self.email = QLineEdit()
        add("email", "Thư điện tử:", self.email, 0, 3)
        row += 2
        self.province = PickerCombo("province", "Tỉnh / thành phố")
        add("province", "Tỉnh/TP:", self.province)
        self.commune = PickerCombo("commune", "Xã / phường / đặc khu")
        add("commune", "Xã/phường:", self.commune, 1)
        row += 2
        self.street = QLineEdit()
        self.street.setPlaceholderText("Số nhà, đường, thôn / xóm / ấp / tổ dân phố")
        add("street", "Địa chỉ:", self.street, 0, 3)
        row += 2
        self.returning = QLabel("")
        self.returning.setObjectName("returning_note")
        self.returning.setStyleSheet(OK_STYLE)
        self.returning.setWordWrap(True)
        grid.addWidget(self.returning, row, 0, 1, 4)
        row += 1
        # A match by phone is only offered: families share one phone.
        self.suggestion = QWidget()
        self.suggestion.setObjectName("applicant_suggestion")
        self.suggestion.setStyleSheet("#applicant_suggestion { background: #fff3cd; border-radius: 3px; }")
        bar = QHBoxLayout(self.suggestion)
        bar.setContentsMargins(6, 3, 6, 3)
        self.suggestion_text = QLabel("")
        self.suggestion_text.setObjectName("suggestion_text")
        self.suggestion_text.setWordWrap(True)
        # Two lines whatever the width: a wrapped label in a row does not grow the row by itself.
        self.suggestion_text.setMinimumHeight(QFontMetrics(self.suggestion_text.font()).lineSpacing() * 2 + 2)
        self.suggestion_accept = QPushButton(f"Dùng thông tin này ({ACCEPT_SUGGESTION_KEY})")
        self.suggestion_accept.setObjectName("suggestion_accept")
        self.suggestion_accept.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.suggestion_accept.clicked.connect(self.accept_suggestion)
        bar.addWidget(self.suggestion_text, 1)
        bar.addWidget(self.suggestion_accept)
        policy = self.suggestion.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # its place is kept: the offer appearing moves nothing
        self.suggestion.setSizePolicy(policy)
        self.suggestion.hide()
        self.suggested: Any = None
        grid.addWidget(self.suggestion, row, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        left.addWidget(box)

        for name in ("full_name", "id_number", "birth_date", "phone", "email"):
            edit = self.inputs[name]
            assert isinstance(edit, QLineEdit)
            edit.textChanged.connect(lambda _t, n=name: self.validate_field(n))
            edit.editingFinished.connect(lambda n=name: self._touch(n))
        self.full_name.editingFinished.connect(self._offer_capitals)
        self.id_kind.currentIndexChanged.connect(lambda _i: self.validate_field("id_number"))
        self.province.picked.connect(self._province_changed)
        self.id_number.editingFinished.connect(self._cccd_qr)

        # -- components
        box = QGroupBox("3. Thành phần hồ sơ (Space: đánh dấu đã nhận)")
        lay = QVBoxLayout(box)
        self.components = ComponentTable(0, 3)
        self.components.setObjectName("components")
        self.components.setHorizontalHeaderLabels(["Đã nhận", "Giấy tờ", "Số lượng yêu cầu"])
        self.components.verticalHeader().hide()
        self.components.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.components.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.components.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.components.setTabKeyNavigation(False)
        header = self.components.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.components.setMinimumHeight(120)
        self.components.itemChanged.connect(lambda _i: self._components_changed())
        lay.addWidget(self.components)
        buttons = QHBoxLayout()
        self.all_received = QPushButton("Đã nhận đủ (Ctrl+D)")
        self.all_received.setObjectName("all_received")
        self.all_received.clicked.connect(self.mark_all_received)
        buttons.addWidget(self.all_received)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.missing_label = QLabel("")
        self.missing_label.setObjectName("missing_label")
        self.missing_label.setWordWrap(True)
        self.missing_label.setStyleSheet("color: #8a6d00;")
        lay.addWidget(self.missing_label)
        self.err_components = ErrorLabel("components")
        lay.addWidget(self.err_components)
        right.addWidget(box)

        # -- fee, channel, return
        box = QGroupBox("4. Lệ phí, cách nhận và trả kết quả")
        grid = QGridLayout(box)
        self.sets = QSpinBox()
        self.sets.setObjectName("sets")
        self.sets.setRange(1, 99)
        self.copies = QSpinBox()
        self.copies.setObjectName("copies")
        self.copies.setRange(1, 999)
        self.pages = QSpinBox()
        self.pages.setObjectName("pages")
        self.pages.setRange(1, 9999)
        self.copies_label = QLabel("Số bản:")
        self.pages_label = QLabel("Số trang mỗi bản:")
        self.fee_label = QLabel("Lệ phí: —")
        self.fee_label.setObjectName("fee_label")
        for spin in (self.copies, self.pages):
            spin.valueChanged.connect(lambda _v: self.update_fee())
        self.channel = QComboBox()
        self.channel.setObjectName("channel")
        for ch in Channel:
            self.channel.addItem(ch.label, ch.value)
        self.return_method = QComboBox()
        self.return_method.setObjectName("return_method")
        for m in (ReturnMethod.DESK, ReturnMethod.POST):
            self.return_method.addItem(m.label, m.value)
        self.return_address = QLineEdit()
        self.return_address.setObjectName("return_address")
        self.return_address.setPlaceholderText("Địa chỉ nhận kết quả qua bưu chính")
        self.return_method.currentIndexChanged.connect(self._return_changed)
        self.err_return_address = ErrorLabel("return_address")
        self.note = QLineEdit()
        self.note.setObjectName("note")
        # Phi địa giới: received here for another competent unit; the sync routes it there.
        self.target_unit = QLineEdit()
        self.target_unit.setObjectName("target_unit")
        self.target_unit.setPlaceholderText("Để trống nếu thuộc đơn vị này; ví dụ 000.21.32.H56")
        self.target_unit.setToolTip(
            "Tiếp nhận không phụ thuộc địa giới hành chính: mã định danh của đơn vị có thẩm quyền "
            "giải quyết; hồ sơ được chuyển đến đơn vị đó khi đồng bộ."
        )
        self.target_unit.textChanged.connect(lambda _t: self.validate_target_unit())
        self.target_unit.editingFinished.connect(lambda: self.validate_target_unit(touched=True))
        self.err_target_unit = ErrorLabel("target_unit")
        target_label = QLabel("Đơn vị có thẩm quyền giải quyết:")
        target_label.setWordWrap(True)  # two short lines beside the field, not a row of its own
        target_label.setBuddy(self.target_unit)
        grid.addWidget(QLabel("Số bộ hồ sơ:"), 0, 0)
        grid.addWidget(self.sets, 0, 1)
        grid.addWidget(self.copies_label, 1, 0)
        grid.addWidget(self.copies, 1, 1)
        grid.addWidget(self.pages_label, 2, 0)
        grid.addWidget(self.pages, 2, 1)
        grid.addWidget(self.fee_label, 3, 0, 1, 2)
        grid.addWidget(QLabel("Hình thức nộp:"), 4, 0)
        grid.addWidget(self.channel, 4, 1)
        grid.addWidget(QLabel("Trả kết quả:"), 5, 0)
        grid.addWidget(self.return_method, 5, 1)
        grid.addWidget(self.return_address, 6, 0, 1, 2)
        grid.addWidget(self.err_return_address, 7, 0, 1, 2)
        grid.addWidget(QLabel("Ghi chú:"), 8, 0)
        grid.addWidget(self.note, 8, 1)
        grid.addWidget(target_label, 9, 0)
        grid.addWidget(self.target_unit, 9, 1)
        grid.addWidget(self.err_target_unit, 10, 0, 1, 2)
        # The citizen's consent to progress notices and its channel (desk_app.notices).
        self.notify_channel = QComboBox()
        self.notify_channel.setObjectName("notify_channel")
        for value, label in CHANNEL_LABELS.items():
            self.notify_channel.addItem(label, value)
        grid.addWidget(QLabel("Đồng ý nhận thông báo qua:"), 11, 0)
        grid.addWidget(self.notify_channel, 11, 1)
        grid.setColumnStretch(1, 1)
        right.addWidget(box)

        # -- appointment
        box = QGroupBox("5. Hẹn trả kết quả")
        lay = QVBoxLayout(box)
        self.appointment = QLabel("—")
        self.appointment.setObjectName("appointment")
        font = QFont(self.appointment.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.appointment.setFont(font)
        self.appointment.setStyleSheet("color: #0d47a1;")
        self.appointment_why = QLabel("")
        self.appointment_why.setObjectName("appointment_why")
        self.appointment_why.setWordWrap(True)
        # Conditional 15:00 rule (hộ tịch): shown only when it applies, the officer
        # says whether the request is settled today ("trả ngay").
        self.return_today = QCheckBox("Giải quyết được ngay: trả kết quả trong ngày")
        self.return_today.setObjectName("return_today")
        self.return_today.setVisible(False)
        self.return_today.toggled.connect(lambda _on: self.update_appointment())
        lay.addWidget(self.appointment)
        lay.addWidget(self.return_today)
        lay.addWidget(self.appointment_why)
        right.addWidget(box)
        right.addStretch(1)
        left.addStretch(1)

        # -- action bar
        bar = QHBoxLayout()
        self.general = ErrorLabel("general")
        self.save_button = QPushButton("Lưu và in giấy tiếp nhận (Ctrl+S)")
        self.save_button.setObjectName("save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.supplement_button = QPushButton("Thiếu giấy tờ: yêu cầu bổ sung (Ctrl+B)")
        self.supplement_button.setObjectName("intake_supplement")
        self.supplement_button.clicked.connect(self.request_supplement)
        self.refuse_button = QPushButton("Từ chối tiếp nhận (Ctrl+R)")
        self.refuse_button.setObjectName("intake_refuse")
        self.refuse_button.clicked.connect(self.refuse)
        self.settle_button = QPushButton("Giải quyết ngay (Ctrl+G)")
        self.settle_button.setObjectName("intake_settle")
        self.settle_button.setToolTip(
            "Thủ tục giải quyết trong ngày: tiếp nhận, có kết quả và trả kết quả ngay tại quầy, "
            "in giấy tiếp nhận và trả kết quả (không hẹn)."
        )
        self.settle_button.setEnabled(False)
        self.settle_button.clicked.connect(self.settle_now)
        self.clear_button = QPushButton("Hồ sơ mới (Ctrl+N)")
        self.clear_button.setObjectName("intake_clear")
        self.clear_button.clicked.connect(self.new_dossier)
        self.last_saved = QLabel("")
        self.last_saved.setObjectName("last_saved")
        self.last_saved.setStyleSheet(OK_STYLE)
        self.last_saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.general)
        saved_row = QHBoxLayout()
        saved_row.addWidget(self.last_saved, 1)
        # Scan the papers of the dossier just received (ui/attachments.py).
        self.attach_saved_button = QPushButton("Đính kèm bản số hóa…")
        self.attach_saved_button.setObjectName("intake_attach")
        self.attach_saved_button.hide()
        self.attach_saved_button.clicked.connect(self.attach_last_saved)
        saved_row.addWidget(self.attach_saved_button)
        outer.addLayout(saved_row)
        # Two rows, so the form fits a 1280-wide screen beside the queue panel: the
        # exits on the first, the two ways to finish the intake on the second.
        bar.addWidget(self.clear_button)
        bar.addStretch(1)
        bar.addWidget(self.refuse_button)
        bar.addWidget(self.supplement_button)
        finish = QHBoxLayout()
        finish.addStretch(1)
        finish.addWidget(self.settle_button)
        finish.addWidget(self.save_button)
        outer.addLayout(bar)
        outer.addLayout(finish)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for seq, slot in (
            ("Ctrl+S", self.save),
            ("Ctrl+Return", self.save),
            ("Ctrl+Enter", self.save),
            ("Ctrl+B", self.request_supplement),
            ("Ctrl+R", self.refuse),
            ("Ctrl+N", self.new_dossier),
            ("Ctrl+D", self.mark_all_received),
            (ACCEPT_SUGGESTION_KEY, self.accept_suggestion),
            ("Ctrl+G", self.settle_now),
        ):
            sc = QShortcut(QKeySequence(seq), self)
            sc.setContext(ctx)
            sc.activated.connect(slot)

        # Tab order: search → applicant fields → components → fee → return → save
        order = [
            self.proc_search,
            self.full_name,
            self.id_kind,
            self.id_number,
            self.birth_date,
            self.phone,
            self.email,
            self.province,
            self.commune,
            self.street,
            self.components,
            self.all_received,
            self.sets,
            self.copies,
            self.pages,
            self.channel,
            self.return_method,
            self.return_address,
            self.note,
            self.target_unit,
            self.notify_channel,
            self.save_button,
            self.settle_button,
            self.supplement_button,
            self.refuse_button,
            self.clear_button,
        ]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)
        self._fee_visibility()

    def start(self) -> None:
        """Load the catalogue and the province list in workers (not during start-up)."""
        self._load_procedures()
        run_op(geo.provinces, self._provinces_loaded, owner=self)
        self.start_serial_scanner()

    # ------------------------------------------------------------------ serial scanner
    def start_serial_scanner(self) -> None:
        """Read the scanner's port from the settings (in a worker) and start reading it if set."""
        app = self.app

        def setting() -> tuple[str, int]:
            return serial_scanner_setting(app)

        run_op(setting, lambda value: self.attach_serial_scanner(*value), owner=self)

    def attach_serial_scanner(self, port: str, baud: int = 9600) -> None:
        self.stop_serial_scanner()
        if not port:
            return
        reader = SerialScanReader(port, baud, self)
        reader.scanned.connect(self.serialScanned.emit)
        reader.failed.connect(self.status.emit)
        self.serial_reader = reader
        reader.start()

    def stop_serial_scanner(self) -> None:
        reader, self.serial_reader = self.serial_reader, None
        if reader is not None:
            reader.stop()

    def shutdown(self) -> None:
        self.stop_serial_scanner()

    def _provinces_loaded(self, provinces: list[tuple[str, str]]) -> None:
        code = self.province.code()
        self.province.set_items(provinces)
        if code:
            self.province.set_code(code)

    # ------------------------------------------------------------------ procedures
    def _load_procedures(self) -> None:
        def load() -> list[Procedure]:
            return self.app.catalogue.procedures()

        run_op(load, self._procedures_loaded, lambda exc: self.status.emit(describe_error(exc)), owner=self)

    def _procedures_loaded(self, procs: list[Procedure]) -> None:
        self.procedures = [(fold(f"{p.code} {p.name} {p.field}"), p) for p in procs]
        self._filter_procedures(self.proc_search.text())

    def _filter_procedures(self, text: str) -> None:
        words = fold(text).split()
        self.proc_list.clear()
        shown = 0
        for key, proc in self.procedures:
            if all(w in key for w in words):
                item = QListWidgetItem(f"{proc.name}  ·  {proc.field}  ·  {proc.code}")
                item.setData(Qt.ItemDataRole.UserRole, proc.code)
                self.proc_list.addItem(item)
                shown += 1
                if shown >= 50:
                    break
        if self.proc_list.count():
            self.proc_list.setCurrentRow(0)

    def _pick_current_procedure(self) -> None:
        item = self.proc_list.currentItem()
        if item is None:
            self.err_procedure.show_error("Không tìm thấy thủ tục phù hợp; thử gõ từ khác hoặc mã thủ tục.")
            return
        code = item.data(Qt.ItemDataRole.UserRole)
        self.set_procedure(code)
        self.full_name.setFocus()

    def set_procedure(self, code: str) -> None:
        proc = next((p for _k, p in self.procedures if p.code == code), None)
        if proc is None:
            return
        self.procedure = proc
        self.err_procedure.show_error("")
        self.proc_info.setText(
            f"<b>{proc.name}</b><br>Mã: {proc.code} · Lĩnh vực: {proc.field}<br>"
            f"Thời hạn giải quyết: {proc.time.label} · Lệ phí: {proc.fee.label}"
            + (f"<br>Kết quả: {proc.result}" if proc.result else "")
        )
        self.components.blockSignals(True)
        self.components.setRowCount(0)
        for comp in proc.components:
            row = self.components.rowCount()
            self.components.insertRow(row)
            tick = QTableWidgetItem()
            tick.setFlags(
                Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
            )
            tick.setCheckState(Qt.CheckState.Unchecked)
            tick.setData(Qt.ItemDataRole.UserRole, comp.key)
            self.components.setItem(row, 0, tick)
            if comp.alternatives:
                combo = QComboBox()
                combo.addItems([comp.name, *comp.alternatives])
                combo.setToolTip("Giấy tờ thay thế được chấp nhận")
                combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
                self.components.setItem(row, 1, QTableWidgetItem(comp.display_name))
                self.components.setCellWidget(row, 1, combo)
            else:
                self.components.setItem(
                    row, 1, QTableWidgetItem(comp.name + ("" if comp.required else " (nếu có)"))
                )
            self.components.setItem(row, 2, QTableWidgetItem(comp.counts_label))
        self.components.blockSignals(False)
        if self.components.rowCount():
            self.components.setCurrentCell(0, 0)
        self._fee_visibility()
        self.update_fee()
        self._components_changed()
        self.update_appointment()
        self.settle_button.setEnabled(settles_on_the_spot(proc))

    # ------------------------------------------------------------------ validation as you type
    def _touch(self, name: str) -> None:
        self.touched.add(name)
        self.validate_field(name)
        if name in ("id_number", "phone"):
            self.lookup_applicant()

    def _field_error(self, name: str) -> str:
        text = self._text(name)
        try:
            if name == "full_name":
                validate_name(text)
            elif name == "id_number":
                # validate_id knows the "no paper" case; only a valid birth date is held
                # against the CCCD (a wrong year is the date's fault).
                birth = self._birth_date_or_none()
                validate_id(IdKind(self.id_kind.currentData()), text, birth.year if birth else None)
            elif name == "birth_date":
                parse_birth_date(text, self._today())
            elif name == "phone" and text.strip():
                validate_phone(text)
            elif name == "email" and text.strip():
                validate_email(text)
        except ValidationError as exc:
            return str(exc)
        return ""

    def _today(self) -> dt.date:
        return self.app.station.now().date()  # type: ignore[no-any-return]

    def _complete(self, name: str) -> bool:
        digits = sum(ch.isdigit() for ch in self._text(name))
        return name in FULL_LENGTH and digits >= FULL_LENGTH[name]

    def validate_field(self, name: str) -> str:
        if name == "phone" and self.suggested is not None:
            typed = "".join(ch for ch in self._text("phone") if ch.isdigit())
            if typed != self.suggested.phone:
                self._hide_suggestion()  # the offer was for another number
        message = self._field_error(name)
        visible = name in self.touched or self._complete(name) or not message
        self.err[name].show_error(message if visible else "")
        if name == "birth_date" and "id_number" in self.touched:
            self.validate_field("id_number")
        if not message and self._complete(name):
            self.lookup_applicant()
        return message

    def _text(self, name: str) -> str:
        widget = self.inputs[name]
        return widget.text() if isinstance(widget, QLineEdit) else ""

    def target_unit_code(self) -> str:
        """The competent unit's code, '' when empty or this station's own unit."""
        code = self.target_unit.text().strip().upper()
        return "" if code == self.app.station.unit.code else code

    def _target_unit_error(self) -> str:
        code = self.target_unit_code()
        if not code:
            return ""
        try:
            validate_agency_id(code)
        except ValidationError as exc:
            return str(exc)
        return ""

    def validate_target_unit(self, touched: bool = False) -> str:
        """Checked as it is typed; the message shows once the code is complete or the field is left."""
        if touched:
            self.touched.add("target_unit")
        message = self._target_unit_error()
        complete = len(self.target_unit.text().strip()) >= AGENCY_ID_LENGTH
        visible = "target_unit" in self.touched or complete or not message
        self.err_target_unit.show_error(message if visible else "")
        return message

    def _birth_date_or_none(self) -> dt.date | None:
        try:
            return parse_birth_date(self.birth_date.text(), self._today())
        except ValidationError:
            return None

    def _offer_capitals(self) -> None:
        """A name typed all in lower case becomes 'Le Van Minh' on leaving the field (Ctrl+Z undoes it)."""
        text = self.full_name.text()
        if not needs_capitals(text) or self._field_error("full_name"):
            return
        fixed = capitalized_name(text)
        self.full_name.blockSignals(True)
        self.full_name.selectAll()
        self.full_name.insert(fixed)  # through the undo stack, unlike setText
        self.full_name.blockSignals(False)
        self.err["full_name"].show_note(
            f"Đã viết hoa chữ cái đầu: “{fixed}” (Ctrl+Z trong ô này để hoàn tác)."
        )

    def _province_changed(self, code: str) -> None:
        self.commune.set_items(geo.communes(code) if code else [])

    def _cccd_qr(self) -> None:
        """A CCCD QR that reached the CCCD field slowly (not seen as a scan) is still read."""
        if "|" in self.id_number.text():
            text = self.id_number.text()
            self.id_number.clear()
            self.cccd_scanned(text)

    def cccd_scanned(self, text: str) -> None:
        """The QR of a chip CCCD card, scanned anywhere: the card's details go into the form.

        Scanning the card is the officer's explicit act, so the card's number, name and
        birth date replace what is there; the address only fills an empty field.
        """
        try:
            card = parse_cccd_qr(text)
        except ValidationError as exc:
            self.general.show_error(str(exc))
            self.status.emit(str(exc))
            return
        self.general.show_error("")
        filled: list[str] = []

        def put(name: str, edit: QLineEdit, value: str) -> None:
            if value and edit.text() != value:
                edit.setText(value)
                filled.append(FIELD_LABELS[name])

        self.id_kind.setCurrentIndex(max(self.id_kind.findData(IdKind.CCCD.value), 0))
        put("id_number", self.id_number, card.id_number)
        put("full_name", self.full_name, card.full_name)
        put("birth_date", self.birth_date, fmt_date(card.birth_date))
        if not self.street.text().strip():
            put("street", self.street, card.address)
        self.touched.update(("full_name", "id_number", "birth_date"))
        for name in ("full_name", "id_number", "birth_date"):
            self.validate_field(name)
        self.returning.setText(
            "Đã đọc thẻ căn cước"
            + (f": đã điền {', '.join(filled)}." if filled else "; thông tin đã khớp với biểu mẫu.")
        )
        self.status.emit(f"Đã đọc thẻ căn cước của {card.full_name}.")
        self.lookup_applicant()

    # ------------------------------------------------------------------ returning applicant
    def lookup_applicant(self) -> None:
        id_number = self._text("id_number").strip() if not self._field_error("id_number") else ""
        phone = self._text("phone").strip() if not self._field_error("phone") else ""
        if id_number and IdKind(self.id_kind.currentData()) is IdKind.CCCD:
            id_number = "".join(ch for ch in id_number if ch.isdigit())
        if phone:
            phone = validate_phone(phone)
        key = f"{id_number}|{phone}"
        if not (id_number or phone) or key == self._lookup_key:
            return
        self._lookup_key = key

        def find() -> tuple[Any, Any]:
            by_id = self.app.queries.find_applicant(id_number, "") if id_number else None
            by_phone = self.app.queries.find_applicant("", phone) if phone else None
            return by_id, by_phone

        run_op(find, lambda found: self._applicant_found(found, key), owner=self)

    def _applicant_found(self, found: tuple[Any, Any], key: str) -> None:
        """By ID number: fill only the empty fields. By phone: only offer the earlier applicant."""
        if key != self._lookup_key:
            return
        by_id, by_phone = found
        if by_id is not None:
            filled = self.fill_applicant(by_id, only_empty=True)
            if filled:
                self.returning.setText(
                    f"Công dân đã từng nộp hồ sơ (tìm theo số giấy tờ): đã điền {', '.join(filled)} "
                    f"theo hồ sơ trước của {by_id.full_name}; các ô đã nhập được giữ nguyên."
                )
            else:
                self.returning.setText(
                    f"Công dân đã từng nộp hồ sơ (tìm theo số giấy tờ, tên đã lưu: {by_id.full_name}); "
                    "không ô nào bị thay đổi."
                )
            typed = fold(self.full_name.text())
            if typed and typed != fold(by_id.full_name):
                self.returning.setText(
                    self.returning.text()
                    + f" Lưu ý: hồ sơ trước với số giấy tờ này ghi tên “{by_id.full_name}”, "
                    "khác tên đang nhập."
                )
        same_person = by_phone is not None and (
            (by_id is not None and by_phone.id == by_id.id) or self._typed_id() == by_phone.id_number
        )
        if by_phone is None or same_person:
            self._hide_suggestion()
            return
        self.suggested = by_phone
        self.suggestion_text.setText(
            f"Người đã nộp trước với số điện thoại này: <b>{by_phone.full_name}</b> — "
            f"nhấn {ACCEPT_SUGGESTION_KEY} để dùng thông tin của người này."
        )
        self.suggestion.show()

    def _typed_id(self) -> str:
        text = self._text("id_number").strip()
        if IdKind(self.id_kind.currentData()) in (IdKind.CCCD, IdKind.CMND):
            return "".join(ch for ch in text if ch.isdigit())
        return text.upper()

    def accept_suggestion(self) -> None:
        """The officer's explicit accept: the suggested applicant's details replace the form's."""
        applicant = self.suggested
        if applicant is None or not self.suggestion.isVisible():
            return
        self._hide_suggestion()
        filled = self.fill_applicant(applicant, only_empty=False)
        self.returning.setText(
            f"Đã dùng thông tin của {applicant.full_name}"
            + (f": đã điền {', '.join(filled)}." if filled else "; các ô đã đúng như hồ sơ trước.")
        )
        self.full_name.setFocus()

    def _hide_suggestion(self) -> None:
        self.suggested = None
        self.suggestion.hide()
        self.suggestion_text.setText("")

    def fill_applicant(self, applicant: Any, only_empty: bool = False) -> list[str]:
        """Put ``applicant`` into the form; returns the labels of the fields that changed.

        With ``only_empty`` a field the officer already typed in is never touched.
        """
        filled: list[str] = []

        def put(name: str, edit: QLineEdit, value: str) -> None:
            if not value or edit.text() == value or (only_empty and edit.text().strip()):
                return
            edit.setText(value)
            filled.append(FIELD_LABELS[name])

        put("full_name", self.full_name, applicant.full_name)
        if applicant.id_number and not (only_empty and self.id_number.text().strip()):
            self.id_kind.setCurrentIndex(max(self.id_kind.findData(applicant.id_kind.value), 0))
        put("id_number", self.id_number, applicant.id_number)
        put("birth_date", self.birth_date, fmt_date(applicant.birth_date))
        put("phone", self.phone, applicant.phone)
        put("email", self.email, applicant.email)
        addr = applicant.address
        if addr.province_code and addr.province_code != self.province.code():
            if not (only_empty and self.province.code()):
                self.province.set_code(addr.province_code)
                self._province_changed(addr.province_code)
                filled.append(FIELD_LABELS["province"])
        if addr.commune_code and addr.commune_code != self.commune.code():
            if not (only_empty and self.commune.code()) and self.province.code() == addr.province_code:
                self.commune.set_code(addr.commune_code)
                filled.append(FIELD_LABELS["commune"])
        put("street", self.street, addr.street)
        return filled

    # ------------------------------------------------------------------ components, fee, appointment
    def received_components(self) -> list[ReceivedComponent]:
        out: list[ReceivedComponent] = []
        if self.procedure is None:
            return out
        for row in range(self.components.rowCount()):
            tick = self.components.item(row, 0)
            if tick is None or tick.checkState() != Qt.CheckState.Checked:
                continue
            comp = self.procedure.component(tick.data(Qt.ItemDataRole.UserRole))
            combo = self.components.cellWidget(row, 1)
            name = combo.currentText() if isinstance(combo, QComboBox) else comp.name
            originals = comp.originals
            if comp.originals + comp.certified_copies + comp.photocopies == 0:
                originals = 1  # "xuất trình": shown and handed back, counts as received
            out.append(ReceivedComponent(comp.key, name, originals, comp.certified_copies, comp.photocopies))
        return out

    def missing_names(self) -> list[str]:
        if self.procedure is None:
            return []
        got = {c.key for c in self.received_components()}
        return [c.display_name for c in self.procedure.components if c.required and c.key not in got]

    def mark_all_received(self) -> None:
        for row in range(self.components.rowCount()):
            tick = self.components.item(row, 0)
            if tick is not None:
                tick.setCheckState(Qt.CheckState.Checked)

    def _components_changed(self) -> None:
        missing = self.missing_names()
        self.missing_label.setText("Còn thiếu: " + "; ".join(missing) if missing else "")
        if not missing:
            self.err_components.show_error("")

    def _fee_visibility(self) -> None:
        kind = self.procedure.fee.kind if self.procedure else FeeKind.FREE
        copies = kind in (FeeKind.PER_COPY, FeeKind.PER_PAGE)
        self.copies.setVisible(copies)
        self.copies_label.setVisible(copies)
        self.pages.setVisible(kind is FeeKind.PER_PAGE)
        self.pages_label.setVisible(kind is FeeKind.PER_PAGE)

    def fee(self) -> int:
        if self.procedure is None:
            return 0
        return compute_fee(self.procedure, self.copies.value(), self.pages.value())

    def update_fee(self) -> None:
        if self.procedure is None:
            self.fee_label.setText("Lệ phí: —")
            return
        amount = self.fee()
        self.fee_label.setText(f"Lệ phí: <b>{format_vnd(amount)}</b>" if amount else "Lệ phí: không thu")

    def update_appointment(self) -> None:
        if self.procedure is None:
            self.return_today.setVisible(False)
            self.appointment.setText("—")
            self.appointment_why.setText("Chọn thủ tục để xem ngày hẹn trả kết quả.")
            return
        now = self.app.station.now()
        offer = self.app.intake.offers_return_today(self.procedure, now)
        self.return_today.setVisible(offer)
        today = offer and self.return_today.isChecked()
        due = self.app.intake.preview_due(self.procedure, now, return_today=today)
        self.appointment.setText(fmt_appointment(due))
        self.appointment_why.setText(self.app.intake.explain_due(self.procedure, now, return_today=today))

    def _return_changed(self) -> None:
        post = self.return_method.currentData() == ReturnMethod.POST.value
        self.return_address.setEnabled(post)
        if post and not self.return_address.text().strip():
            self.return_address.setText(self._address_text())

    def _address_text(self) -> str:
        prov = self.province.code()
        parts = [
            self.street.text().strip(),
            self.commune.name(),
            geo.province_full_name(prov) or "" if prov else "",
        ]
        return ", ".join(p for p in parts if p)

    # ------------------------------------------------------------------ build, save
    def build_request(self) -> IntakeRequest:
        prov = self.province.code()
        birth = self._birth_date_or_none()
        applicant = ApplicantInput(
            full_name=self.full_name.text(),
            id_kind=IdKind(self.id_kind.currentData()),
            id_number=self.id_number.text(),
            birth_date=birth,
            phone=self.phone.text(),
            email=self.email.text(),
            street=self.street.text(),
            commune_code=self.commune.code(),
            commune_name=self.commune.name(),
            province_code=prov,
            province_name=(geo.province_full_name(prov) or "") if prov else "",
        )
        fee_kind = self.procedure.fee.kind if self.procedure else FeeKind.FREE
        return IntakeRequest(
            procedure_code=self.procedure.code if self.procedure else "",
            applicant=applicant,
            components=self.received_components(),
            sets=self.sets.value(),
            channel=Channel(self.channel.currentData()),
            return_method=ReturnMethod(self.return_method.currentData()),
            return_address=self.return_address.text() if self.return_address.isEnabled() else "",
            copies=self.copies.value() if fee_kind in (FeeKind.PER_COPY, FeeKind.PER_PAGE) else 1,
            pages=self.pages.value() if fee_kind is FeeKind.PER_PAGE else 1,
            target_unit_code=self.target_unit_code(),
            ticket_id=self.ticket_id,
            note=self.note.text(),
            return_today=self.return_today.isVisible() and self.return_today.isChecked(),
            notify_channel=str(self.notify_channel.currentData() or ""),
            **self._incomplete,
        )

    def _local_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.procedure is None:
            errors["procedure"] = "Chưa chọn thủ tục hành chính."
        for name in ("full_name", "id_number", "birth_date", "phone", "email"):
            message = self._field_error(name)
            if message:
                errors[name] = message
        message = self._target_unit_error()
        if message:
            errors["target_unit"] = message
        return errors

    def save(self) -> None:
        if self.saving:
            return
        self._incomplete = {}
        self._submit()

    def _submit(self) -> None:
        self.touched.update(("full_name", "id_number", "birth_date", "phone", "email", "target_unit"))
        errors = self._local_errors()
        if errors:
            self.show_errors(errors)
            self._incomplete = {}
            return
        request = self.build_request()
        form = {"supplement": "supplement", "refuse": "refusal"}.get(request.incomplete_action, "receipt")
        self.saving = True
        self.save_button.setEnabled(False)
        self.general.show_error("")
        self.status.emit("Đang lưu hồ sơ…")
        actor = self.actor
        run_op(
            lambda: self.app.intake.receive(actor, request),
            lambda dossier: self._saved(dossier, form),
            self._save_failed,
            owner=self,
        )

    def _saved(self, dossier: Any, form: str, settled: bool = False) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self._incomplete = {}
        if settled:
            fee = f"đã thu {format_vnd(dossier.fee)}" if dossier.fee else "không thu lệ phí"
            self.last_saved.setText(
                f"Đã giải quyết ngay và trả kết quả hồ sơ {dossier.code} – "
                f"{dossier.applicant.full_name} – {fee}"
            )
        else:
            self.last_saved.setText(
                f"Đã tiếp nhận hồ sơ {dossier.code} – {dossier.applicant.full_name} – "
                f"hẹn trả {fmt_appointment(dossier.due_at)}"
            )
        self.clear(keep_message=True)
        self.last_saved_dossier = dossier
        self.attach_saved_button.show()
        self.saved.emit(dossier, form)

    def attach_last_saved(self) -> Any:
        from ui.attachments import open_attachments

        return open_attachments(self, self.app, self.actor, getattr(self, "last_saved_dossier", None))

    def _save_failed(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self._incomplete = {}
        if isinstance(exc, InputErrors):
            self.show_errors(exc.errors)
        else:
            self.general.show_error(describe_error(exc))
        self.status.emit("Chưa lưu được hồ sơ: kiểm tra các ô báo lỗi.")

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, label in self.err.items():
            label.show_error(errors.get(name, ""))
        self.err_procedure.show_error(errors.get("procedure", ""))
        self.err_components.show_error(errors.get("components", ""))
        self.err_return_address.show_error(errors.get("return_address", ""))
        target = errors.get("target_unit", "") or errors.get("target_unit_code", "")
        self.err_target_unit.show_error(target)
        known = {*self.err, "procedure", "components", "return_address", "target_unit", "target_unit_code"}
        rest = [msg for key, msg in errors.items() if key not in known]
        self.general.show_error("\n".join(rest))
        focus_order = [
            "procedure",
            "full_name",
            "id_number",
            "birth_date",
            "phone",
            "email",
            "components",
            "return_address",
            "target_unit",
            "target_unit_code",
        ]
        for name in focus_order:
            if name in errors:
                widget = {
                    "procedure": self.proc_search,
                    "components": self.components,
                    "return_address": self.return_address,
                    "target_unit": self.target_unit,
                    "target_unit_code": self.target_unit,
                }.get(name) or self.inputs[name]
                widget.setFocus()
                break

    # ------------------------------------------------------------------ settle on the spot
    def settle_now(self) -> None:
        """Ctrl+G: receive, settle and return at once (same-day procedures), after one confirmation."""
        if self.saving:
            return
        self._incomplete = {}
        self.touched.update(("full_name", "id_number", "birth_date", "phone", "email", "target_unit"))
        errors = self._local_errors()
        if not errors and self.procedure is not None:
            errors = on_the_spot_errors(self.procedure, self.build_request())
        if errors:
            self.show_errors(errors)
            self.status.emit("Chưa giải quyết ngay được: kiểm tra các ô báo lỗi.")
            return
        assert self.procedure is not None
        request = self.build_request()
        fee = self.fee()
        box = QMessageBox(self)
        box.setObjectName("settle_box")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Giải quyết ngay")
        box.setText(
            f"Giải quyết ngay “{self.procedure.name}” cho {request.applicant.full_name.strip()}: "
            "ghi nhận tiếp nhận, có kết quả và đã trả kết quả ngay bây giờ."
        )
        box.setInformativeText(
            (f"Thu lệ phí: {format_vnd(fee)}. " if fee else "Không thu lệ phí. ")
            + "In giấy tiếp nhận và trả kết quả (không có giấy hẹn). Enter: đồng ý; Esc: quay lại."
        )
        ok = box.addButton("Giải quyết ngay", QMessageBox.ButtonRole.AcceptRole)
        back = box.addButton("Quay lại", QMessageBox.ButtonRole.RejectRole)
        ok.setObjectName("settle_confirm")
        box.setDefaultButton(ok)
        box.setEscapeButton(back)

        def done(_result: int) -> None:
            if box.clickedButton() is ok:
                self._settle(request)

        box.finished.connect(done)
        self.settle_box = box
        box.open()

    def _settle(self, request: IntakeRequest) -> None:
        self.saving = True
        self.save_button.setEnabled(False)
        self.general.show_error("")
        self.status.emit("Đang ghi nhận giải quyết ngay…")
        actor = self.actor
        run_op(
            lambda: self.app.intake.settle_on_the_spot(actor, request),
            lambda dossier: self._saved(dossier, "receipt", settled=True),
            self._save_failed,
            owner=self,
        )

    # ------------------------------------------------------------------ incomplete dossiers
    def request_supplement(self) -> None:
        if self.procedure is None:
            self.show_errors({"procedure": "Chưa chọn thủ tục hành chính."})
            return
        got = {c.key for c in self.received_components()}
        missing = {c.key for c in self.procedure.components if c.required and c.key not in got}
        dialog = ActionDialog(
            self.app,
            self.actor,
            EventKind.SUPPLEMENT_REQUESTED,
            procedure=self.procedure,
            commit=False,
            preselect_missing=missing,
            parent=self,
        )
        dialog.accepted.connect(
            lambda: self._incomplete_chosen(
                {"incomplete_action": "supplement", "missing": dialog.data()["missing"]}
            )
        )
        self.dialog = dialog
        dialog.open()

    def refuse(self) -> None:
        dialog = ActionDialog(
            self.app, self.actor, EventKind.REFUSED, procedure=self.procedure, commit=False, parent=self
        )
        dialog.setWindowTitle("Từ chối tiếp nhận hồ sơ (Mẫu 03)")
        dialog.accepted.connect(
            lambda: self._incomplete_chosen(
                {"incomplete_action": "refuse", "refusal_reason": dialog.data()["reason"]}
            )
        )
        self.dialog = dialog
        dialog.open()

    def _incomplete_chosen(self, values: dict[str, Any]) -> None:
        self._incomplete = values
        self._submit()

    # ------------------------------------------------------------------ reset, queue
    def clear(self, keep_message: bool = False) -> None:
        for edit in (
            self.full_name,
            self.id_number,
            self.birth_date,
            self.phone,
            self.email,
            self.street,
            self.return_address,
            self.note,
            self.target_unit,
        ):
            edit.clear()
        self.id_kind.setCurrentIndex(0)
        self.province.set_code("")
        self.commune.set_items([])
        self.touched.clear()
        for message in self.err.values():
            message.show_error("")
        for label in (
            self.err_procedure,
            self.err_components,
            self.err_return_address,
            self.err_target_unit,
            self.general,
        ):
            label.show_error("")
        self.returning.setText("")
        self._hide_suggestion()
        self._lookup_key = ""
        self.ticket_id = ""
        self.procedure = None
        self.settle_button.setEnabled(False)
        self.proc_info.setText("Chưa chọn thủ tục.")
        self.components.setRowCount(0)
        self.missing_label.setText("")
        for spin in (self.sets, self.copies, self.pages):
            spin.setValue(1)
        self.channel.setCurrentIndex(0)
        self.return_method.setCurrentIndex(0)
        self.notify_channel.setCurrentIndex(0)
        self.return_address.setEnabled(False)
        self._fee_visibility()
        self.update_fee()
        self.return_today.setChecked(False)
        self.update_appointment()
        if not keep_message:
            self.last_saved.setText("")
            self.attach_saved_button.hide()
        self.proc_search.clear()
        self.proc_search.setFocus()

    def is_dirty(self) -> bool:
        """Whether the officer has started a dossier that a reset would lose."""
        texts = (
            self.full_name,
            self.id_number,
            self.birth_date,
            self.phone,
            self.email,
            self.street,
            self.note,
            self.target_unit,
        )
        return (
            self.procedure is not None
            or any(edit.text().strip() for edit in texts)
            or bool(self.province.code())
            or bool(self.received_components())
        )

    def confirm_discard(self, then: Callable[[], None]) -> None:
        """Run ``then`` at once on an untouched form; otherwise ask first (Enter keeps the form)."""
        if not self.is_dirty():
            then()
            return
        box = QMessageBox(self)
        box.setObjectName("discard_box")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Bỏ hồ sơ đang nhập?")
        name = self.full_name.text().strip()
        box.setText(
            "Biểu mẫu đang có hồ sơ chưa lưu"
            + (f" của {name}" if name else "")
            + ". Xóa để tiếp nhận hồ sơ mới?"
        )
        box.setInformativeText("Enter hoặc Esc: giữ lại biểu mẫu để nhập tiếp.")
        keep = box.addButton("Giữ lại biểu mẫu", QMessageBox.ButtonRole.RejectRole)
        discard = box.addButton("Xóa và tiếp nhận mới", QMessageBox.ButtonRole.DestructiveRole)
        keep.setObjectName("discard_keep")
        discard.setObjectName("discard_confirm")
        box.button_discard = discard  # type: ignore[attr-defined]  # for tests and scripted use
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        keep.setFocus()

        def done(_result: int) -> None:
            if box.clickedButton() is discard:
                then()
            else:
                self.status.emit("Đã giữ lại hồ sơ đang nhập.")

        box.finished.connect(done)
        self.discard_box = box
        box.open()

    def new_dossier(self) -> None:
        """Ctrl+N / "Hồ sơ mới": a fresh form, after asking if one is half filled."""
        self.confirm_discard(self.clear)

    def prefill_from_ticket(self, data: dict[str, Any]) -> None:
        """Start a dossier from a called queue ticket (keys the queue panel may send).

        A half-filled form is not wiped without the officer's consent.
        """
        self.confirm_discard(lambda: self._prefill(data))

    def _prefill(self, data: dict[str, Any]) -> None:
        self.clear()
        self.ticket_id = str(data.get("ticket_id") or data.get("id") or "")
        if data.get("procedure_code"):
            self.set_procedure(str(data["procedure_code"]))
        for key in ("full_name", "id_number", "phone"):
            if data.get(key):
                widget = self.inputs[key]
                assert isinstance(widget, QLineEdit)
                widget.setText(str(data[key]))
        label = data.get("label") or data.get("number")
        if label:
            self.status.emit(f"Đang tiếp nhận cho số thứ tự {label}.")
