"""Dossier detail: data, event timeline (who, when, what), conflicts and the allowed actions.

Only actions allowed in the current status (``allowed_actions``) get a
button; F4 opens them as a menu. Each action has one fixed key
(``ACTION_KEYS``: 1 is always "Chuyển xử lý"), in the menu and as Alt+key on the buttons.
Each action is one small dialog (``ui.dossier_actions``) that records one event. A conflict after a sync merge
(``DossierState.conflicts``) is shown with both versions: the event that was
applied and the conflicting one that was kept but not applied.

Signals:
    changed(str): a dossier's events changed (code) — refresh lists, dashboard.
    printRequested(str, str): form, dossier code.
    status(str): Vietnamese status line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.lifecycle import RECORD_ONLY_KINDS, EventKind, Status, allowed_actions, timeliness
from desk_app.domain.model import format_vnd
from ui.common import CONFLICT_FG, fmt_appointment, fmt_date, fmt_dt
from ui.dossier_actions import ACTION_TEXT, PRINT_AFTER, ActionDialog
from ui.workers import describe_error, run_op

if TYPE_CHECKING:
    from desk_app.bootstrap import App

# One key per action, whatever the dossier's status (a key never changes meaning):
# digits in the order a dossier usually goes, letters for the exits. The letters
# avoid H and T, the menu bar's Alt mnemonics.
ACTION_KEYS = {
    EventKind.TRANSFERRED: "1",
    EventKind.PROCESSING_STARTED: "2",
    EventKind.SUPPLEMENT_REQUESTED: "3",
    EventKind.SUPPLEMENTED: "4",
    EventKind.FEES_REQUESTED: "5",
    EventKind.FEES_PAID: "6",
    EventKind.RESULT_READY: "7",
    EventKind.RETURNED: "8",
    EventKind.EXTENDED: "9",
    EventKind.NOTE: "0",
    EventKind.REFUSED: "C",
    EventKind.STOPPED: "D",
    EventKind.WITHDRAWN: "R",
}


def action_caption(kind: EventKind) -> str:
    """Button / menu text with the action's fixed key as its mnemonic: "&1 Chuyển xử lý"."""
    key = ACTION_KEYS.get(kind)
    text = ACTION_TEXT.get(kind, kind.label)
    return f"&{key} {text}" if key else text


# The form reprinted with Ctrl+P for a dossier in a status.
PRINT_FOR_STATUS = {
    Status.SUPPLEMENT_REQUESTED: "supplement",
    Status.REFUSED: "refusal",
    Status.STOPPED: "stop",
}


def describe_payload(kind: EventKind, payload: dict[str, Any]) -> str:
    """One line of what an event carried, in Vietnamese."""
    if kind is EventKind.RECEIVED:
        return f"Hẹn trả: {_dt_text(payload.get('due_at'))}"
    if kind is EventKind.TRANSFERRED:
        to = payload.get("to", "")
        person = payload.get("to_person", "")
        return f"Đến: {to}" + (f" – {person}" if person else "")
    if kind is EventKind.SUPPLEMENT_REQUESTED:
        names = "; ".join(m.get("name", "") for m in payload.get("missing", []))
        return f"Cần bổ sung: {names}" + (f". {payload['note']}" if payload.get("note") else "")
    if kind in (EventKind.SUPPLEMENTED, EventKind.FEES_PAID):
        return f"Hẹn trả mới: {_dt_text(payload.get('due_at'))}" + (
            f". {payload['note']}" if payload.get("note") else ""
        )
    if kind is EventKind.EXTENDED:
        return (
            f"Hẹn lại: {_dt_text(payload.get('due_at'))} "
            f"(trước: {_dt_text(payload.get('previous_due_at'))}). "
            f"Lý do: {payload.get('reason', '')}"
        )
    if kind in (EventKind.REFUSED, EventKind.STOPPED, EventKind.WITHDRAWN):
        return f"Lý do: {payload.get('reason', '')}"
    if kind is EventKind.RESULT_READY:
        return payload.get("result", "")
    if kind is EventKind.RATED:  # the citizen's rating (ui/rating.py, the public page)
        from desk_app.domain.lifecycle import RatingLevel

        try:
            text = RatingLevel(payload.get("level", "")).label
        except ValueError:
            text = str(payload.get("level", ""))
        if payload.get("reasons"):
            text += " – " + "; ".join(str(r) for r in payload["reasons"])
        return text + (f". Ý kiến: {payload['comment']}" if payload.get("comment") else "")
    if kind is EventKind.RETURNED:
        method = "qua bưu chính" if payload.get("method") == "buu_chinh" else "tại quầy"
        text = f"Trả {method}"
        if payload.get("tracking_number"):
            text += f", mã vận đơn {payload['tracking_number']}"
        if payload.get("receiver"):
            text += f", người nhận {payload['receiver']}"
        return text
    if kind in RECORD_ONLY_KINDS:
        from ui.attachments import describe_attachment_event

        return describe_attachment_event(kind, payload)
    return str(payload.get("note", ""))


def _dt_text(value: Any) -> str:
    if not value:
        return "—"
    import datetime as dt

    return fmt_dt(dt.datetime.fromisoformat(str(value)))


class DetailPanel(QWidget):
    changed = Signal(str)
    printRequested = Signal(str, str)
    status = Signal(str)

    def __init__(self, app: App, actor: str, officer_names: dict[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.actor = actor
        self.officer_names = officer_names
        self.dossier: Any = None
        self.events: list[Any] = []
        self.state: Any = None
        self.procedure: Any = None
        self.dialog: ActionDialog | None = None
        self.sections: list[str] | None = None
        self.setObjectName("detail_panel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        self.header = QLabel(
            "Chưa mở hồ sơ nào. Quét mã trên giấy tiếp nhận hoặc tìm ở màn hình Tra cứu (F3)."
        )
        self.header.setObjectName("detail_header")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        font = QFont(self.header.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.header.setFont(font)
        layout.addWidget(self.header)
        self.conflict_box = QLabel("")
        self.conflict_box.setObjectName("conflict_box")
        self.conflict_box.setWordWrap(True)
        self.conflict_box.setTextFormat(Qt.TextFormat.RichText)
        self.conflict_box.setStyleSheet("background: #fde2e1; border: 1px solid #b00020; padding: 6px;")
        self.conflict_box.hide()
        layout.addWidget(self.conflict_box)

        self.actions_box = QGroupBox("Thao tác (F4)")
        self.actions_layout = QGridLayout(self.actions_box)  # five a row: fits a 1366-pixel screen
        layout.addWidget(self.actions_box)

        middle = QHBoxLayout()
        info = QGroupBox("Thông tin hồ sơ")
        # Two columns of fields (applicant | dossier): one column of 17 rows made the
        # F4 tab 784 px high, past a 768-pixel screen.
        info_columns = QHBoxLayout(info)
        applicant_form = QFormLayout()
        dossier_form = QFormLayout()
        for form in (applicant_form, dossier_form):
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setVerticalSpacing(3)
            info_columns.addLayout(form, 1)
        self.info = dossier_form
        self.info_labels: dict[str, QLabel] = {}
        applicant_keys = {
            *("applicant", "id_number", "birth", "phone", "email", "address", "officer", "logbook")
        }
        for key, label in (
            ("applicant", "Người nộp:"),
            ("id_number", "Giấy tờ:"),
            ("birth", "Ngày sinh:"),
            ("phone", "Điện thoại:"),
            ("email", "Thư điện tử:"),
            ("address", "Địa chỉ:"),
            ("procedure", "Thủ tục:"),
            ("field", "Lĩnh vực:"),
            ("target_unit", "Chuyển đến đơn vị:"),
            ("received", "Tiếp nhận:"),
            ("due", "Hẹn trả:"),
            ("channel", "Hình thức nộp:"),
            ("return", "Trả kết quả:"),
            ("fee", "Lệ phí:"),
            ("sets", "Số bộ:"),
            ("logbook", "Sổ theo dõi:"),
            ("officer", "Cán bộ tiếp nhận:"),
        ):
            value = QLabel("")
            value.setObjectName(f"info_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.info_labels[key] = value
            (applicant_form if key in applicant_keys else dossier_form).addRow(label, value)
        self.info.setRowVisible(self.info_labels["target_unit"], False)  # shown for phi địa giới only
        middle.addWidget(info, 5)
        comps = QGroupBox("Thành phần hồ sơ đã nhận")
        comp_layout = QVBoxLayout(comps)
        self.components = QLabel("")
        self.components.setObjectName("info_components")
        self.components.setWordWrap(True)
        self.components.setAlignment(Qt.AlignmentFlag.AlignTop)
        comp_layout.addWidget(self.components)
        # Digitised papers (ui/attachments.py): scans, files, viewer, signed e-result.
        self.attachments_button = QPushButton("Bản số hóa…")
        self.attachments_button.setObjectName("attachments_button")
        self.attachments_button.clicked.connect(self.open_attachments)
        comp_layout.addWidget(self.attachments_button)
        middle.addWidget(comps, 2)
        layout.addLayout(middle)

        timeline = QGroupBox("Quá trình xử lý")
        timeline.setMinimumHeight(120)
        tl = QGridLayout(timeline)
        self.timeline = QTreeWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.setRootIsDecorated(False)
        self.timeline.setHeaderLabels(["Thời gian", "Cán bộ", "Nội dung", "Chi tiết", "Đánh giá"])
        header = self.timeline.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        tl.addWidget(self.timeline, 0, 0)
        layout.addWidget(timeline, 1)
        self._build_actions([])

    # ------------------------------------------------------------------ loading
    def open_code(self, code: str) -> None:
        self.status.emit(f"Đang mở hồ sơ {code}…")

        def load() -> tuple[Any, Any, Any, Any]:
            dossier, events, state = self.app.workflow.state(code)
            proc = self.app.catalogue.procedure(dossier.procedure_code)
            return dossier, events, state, proc

        run_op(load, self._loaded, lambda exc: self.status.emit(describe_error(exc)), owner=self)

    def open_attachments(self) -> Any:
        from ui.attachments import open_attachments

        dialog = open_attachments(self, self.app, self.actor, self.dossier, self.officer_names)
        if dialog is not None:
            dialog.attached.connect(lambda _att: self.reload())
        return dialog

    def reload(self) -> None:
        if self.dossier is not None:
            self.open_code(self.dossier.code)

    def _loaded(self, result: tuple[Any, Any, Any, Any]) -> None:
        dossier, events, state, proc = result
        self.dossier, self.events, self.state, self.procedure = dossier, events, state, proc
        status = state.status or Status(dossier.status)
        now = self.app.station.now()
        due = state.due_at or dossier.due_at
        due_note = ""
        if status.clock_running and due < now:
            due_note = " <span style='color:#b00020'>(quá hạn)</span>"
        elif status.clock_running and due.date() == now.date():
            due_note = " <span style='color:#8a6d00'>(đến hạn hôm nay)</span>"
        self.header.setText(
            f"<b>{dossier.code}</b> &nbsp; <span style='background:#e3f2fd'>&nbsp;{status.label}&nbsp;</span>"
            f"<br>{dossier.applicant.full_name} – {dossier.procedure_name}"
        )
        a = dossier.applicant
        kind_label = {"cccd": "CCCD", "cmnd": "CMND", "passport": "Hộ chiếu", "none": "Không có"}[
            a.id_kind.value
        ]
        values = {
            "applicant": a.full_name,
            "id_number": f"{kind_label} {a.id_number}".strip(),
            "birth": fmt_date(a.birth_date),
            "phone": a.phone,
            "email": a.email,
            "address": str(a.address),
            "procedure": f"{dossier.procedure_name} ({dossier.procedure_code})",
            "field": dossier.field,
            "target_unit": dossier.target_unit_code,
            "received": fmt_dt(dossier.received_at),
            "due": fmt_appointment(due)
            + due_note
            + (f" – đã gia hạn {state.extensions} lần" if state.extensions else ""),
            "channel": dossier.channel.label,
            "return": dossier.return_method.label
            + (f": {dossier.return_address}" if dossier.return_address else ""),
            "fee": format_vnd(dossier.fee) if dossier.fee else "Không thu",
            "sets": str(dossier.sets),
            "logbook": f"Quyển {dossier.logbook_volume}, số {dossier.logbook_number}",
            "officer": self.officer_names.get(dossier.officer, dossier.officer),
        }
        for key, label in self.info_labels.items():
            label.setText(values[key] or "—")
        # phi địa giới only: the competent unit the dossier is routed to
        self.info.setRowVisible(self.info_labels["target_unit"], bool(dossier.target_unit_code))
        self.info_labels["due"].setTextFormat(Qt.TextFormat.RichText)
        self.components.setText(
            "<br>".join(
                f"{i}. {c.name} – "
                + ", ".join(
                    p
                    for p in (
                        f"{c.originals} bản chính" if c.originals else "",
                        f"{c.certified_copies} bản sao chứng thực" if c.certified_copies else "",
                        f"{c.photocopies} bản photo" if c.photocopies else "",
                    )
                    if p
                )
                for i, c in enumerate(dossier.components, 1)
            )
            or "—"
        )
        self._fill_timeline()
        self._show_conflicts()
        self._build_actions(allowed_actions(status))
        # Keyboard-first: the focus lands on the first action (or the timeline when none is left).
        first = next(iter(self.action_buttons.values()), None)
        target = first or self.timeline
        QTimer.singleShot(
            0, lambda: target.setFocus() if shiboken6.isValid(target) and self.isVisible() else None
        )
        self.status.emit(f"Hồ sơ {dossier.code}: {status.label}.")

    def _fill_timeline(self) -> None:
        self.timeline.clear()
        conflicted = {c.event_id: c for c in self.state.conflicts}
        done_kinds = {EventKind.RESULT_READY, EventKind.RETURNED}
        for event in sorted(self.events, key=lambda e: (e.hlc, e.id)):
            citizen = "Công dân" if event.actor == "cong_dan" else event.actor  # ratings
            name = self.officer_names.get(event.actor, citizen)
            grade = ""
            if event.kind in done_kinds:
                grade = timeliness(self._due_before(event), event.at)
            item = QTreeWidgetItem(
                [
                    fmt_dt(event.at),
                    name,
                    event.kind.label,
                    describe_payload(event.kind, dict(event.payload)),
                    grade,
                ]
            )
            if event.id in conflicted:
                item.setText(2, "⚠ " + event.kind.label + " (xung đột, không áp dụng)")
                for col in range(5):
                    item.setForeground(col, CONFLICT_FG)
                item.setToolTip(2, conflicted[event.id].message)
            self.timeline.addTopLevelItem(item)

    def _due_before(self, event: Any) -> Any:
        from desk_app.domain.lifecycle import fold

        earlier = [e for e in self.events if (e.hlc, e.id) < (event.hlc, event.id)]
        return fold(earlier).due_at

    def _show_conflicts(self) -> None:
        if not self.state.conflicts:
            self.conflict_box.hide()
            return
        ordered = sorted(self.events, key=lambda e: (e.hlc, e.id))
        conflict_ids = {c.event_id for c in self.state.conflicts}
        parts = [
            "<b>⚠ Hồ sơ có xung đột dữ liệu giữa các máy</b> (đồng bộ khi mất mạng). "
            "Cả hai phiên bản được giữ lại; hãy kiểm tra và ghi nhận thao tác đúng:"
        ]
        for conflict in self.state.conflicts:
            index = next(i for i, e in enumerate(ordered) if e.id == conflict.event_id)
            bad = ordered[index]
            applied = next((e for e in reversed(ordered[:index]) if e.id not in conflict_ids), None)
            if applied is not None:
                parts.append(
                    f"• Phiên bản đã áp dụng: <b>{applied.kind.label}</b> – "
                    f"{self.officer_names.get(applied.actor, applied.actor)}, {fmt_dt(applied.at)} "
                    f"(máy {applied.device_id[-6:]}); {describe_payload(applied.kind, dict(applied.payload))}"
                )
            parts.append(
                f"• Phiên bản xung đột: <b>{bad.kind.label}</b> – "
                f"{self.officer_names.get(bad.actor, bad.actor)}, "
                f"{fmt_dt(bad.at)} (máy {bad.device_id[-6:]}); "
                f"{describe_payload(bad.kind, dict(bad.payload))}"
                f"<br>&nbsp;&nbsp;→ {conflict.message}"
            )
        self.conflict_box.setText("<br>".join(parts))
        self.conflict_box.show()

    # ------------------------------------------------------------------ actions
    def _build_actions(self, kinds: list[EventKind]) -> None:
        while self.actions_layout.count():
            item = self.actions_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.action_buttons: dict[EventKind, QPushButton] = {}
        self.action_kinds = [k for k in kinds if k is not EventKind.NOTE] + (
            [EventKind.NOTE] if kinds else []
        )
        widgets: list[QWidget] = []
        if not kinds and self.dossier is not None:
            widgets.append(QLabel("Hồ sơ đã kết thúc: không còn thao tác nào."))
        # Fixed keys: sort the buttons by key so "1" is always first when it is offered.
        order = list(ACTION_KEYS)
        self.action_kinds.sort(key=lambda k: order.index(k) if k in order else len(order))
        for kind in self.action_kinds:
            button = QPushButton(action_caption(kind))
            button.setObjectName(f"act_{kind.value}")
            button.clicked.connect(lambda _c=False, k=kind: self.start_action(k))
            widgets.append(button)
            self.action_buttons[kind] = button
        if self.dossier is not None:
            print_button = QPushButton("In lại (Ctrl+P)")
            print_button.setObjectName("act_print")
            print_button.clicked.connect(self.print_current)
            widgets.append(print_button)
        self.action_widgets = widgets
        self.per_row = 0
        self._place_actions()

    def _actions_per_row(self) -> int:
        """As many buttons a row as fit whole (five on a 1366 screen, four on 1280)."""
        widest = max((w.sizeHint().width() for w in self.action_widgets), default=1)
        spacing = self.actions_layout.horizontalSpacing() + 2
        return max(2, min(5, (self.actions_box.width() - 20) // (widest + spacing)))

    def _place_actions(self) -> None:
        per_row = self._actions_per_row()
        if per_row == self.per_row:
            return
        self.per_row = per_row
        for widget in self.action_widgets:
            self.actions_layout.removeWidget(widget)
        for col in range(6):
            self.actions_layout.setColumnStretch(col, 1 if col < per_row else 0)
        for index, widget in enumerate(self.action_widgets):
            self.actions_layout.addWidget(widget, index // per_row, index % per_row)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if getattr(self, "action_widgets", None):
            self._place_actions()

    def actions_menu(self) -> QMenu | None:
        """F4: the allowed actions as a numbered keyboard menu."""
        if self.dossier is None or not self.action_kinds:
            self.status.emit("Chưa mở hồ sơ hoặc hồ sơ không còn thao tác nào.")
            return None
        menu = QMenu(self)
        menu.setObjectName("actions_menu")
        for kind in self.action_kinds:
            act = menu.addAction(action_caption(kind))
            act.triggered.connect(lambda _c=False, k=kind: self.start_action(k))
        menu.popup(self.actions_box.mapToGlobal(QPoint(10, 10)))
        self.menu = menu
        return menu

    def start_action(self, kind: EventKind) -> ActionDialog | None:
        if self.dossier is None or kind not in self.action_kinds:
            return None
        dialog = ActionDialog(
            self.app,
            self.actor,
            kind,
            self.dossier,
            self.procedure,
            self.state,
            sections=self.sections,
            parent=self,
        )
        dialog.recorded.connect(lambda event, d=dialog: self._recorded(event, d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _recorded(self, event: Any, dialog: ActionDialog) -> None:
        code = self.dossier.code
        self.status.emit(f"Đã ghi nhận “{event.kind.label}” cho hồ sơ {code}.")
        form = PRINT_AFTER.get(event.kind)
        if form and dialog.wants_print():
            self.printRequested.emit(form, code)
        self.changed.emit(code)
        self.open_code(code)
        if event.kind is EventKind.RETURNED:  # the citizen rates the service (ui/rating.py)
            from ui.rating import ask_rating

            ask_rating(self.app, code)

    def print_current(self) -> None:
        if self.dossier is None:
            self.status.emit("Chưa mở hồ sơ để in.")
            return
        status = self.state.status if self.state else None
        if self.state and self.state.extensions and status and status.clock_running:
            form = "apology"
        else:
            form = PRINT_FOR_STATUS.get(status, "receipt") if status else "receipt"
        self.printRequested.emit(form, self.dossier.code)
