"""Small dialogs, one per dossier action; each records one event through ``app.workflow.act``.

A dialog validates nothing itself: the workflow service does, and its
``InputErrors`` come back under the fields (Vietnamese). The write runs in a
worker; the dialog stays open until it succeeds. With ``commit=False`` the
dialog only collects the data (used at intake for a supplement request or a
refusal recorded together with the new dossier).

Signals (ActionDialog):
    recorded(object): the DossierEvent written (commit mode).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import Procedure, ReturnMethod
from ui.common import ErrorLabel, fmt_appointment
from ui.workers import describe_error, run_op

if TYPE_CHECKING:
    from desk_app.bootstrap import App

# Sections a dossier is handed to (a unit edits this list in settings: settings.sections).
DEFAULT_SECTIONS = [
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Địa chính - Xây dựng",
    "Công chức Văn hóa - Xã hội",
    "Phòng Kinh tế",
    "Văn phòng HĐND và UBND",
]

# The form printed after an action, if any.
PRINT_AFTER = {
    EventKind.SUPPLEMENT_REQUESTED: "supplement",
    EventKind.REFUSED: "refusal",
    EventKind.STOPPED: "stop",
    EventKind.EXTENDED: "apology",
    EventKind.TRANSFERRED: "control",
}

ACTION_TEXT = {
    EventKind.TRANSFERRED: "Chuyển xử lý",
    EventKind.PROCESSING_STARTED: "Bắt đầu xử lý",
    EventKind.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung (Mẫu 02)",
    EventKind.SUPPLEMENTED: "Đã bổ sung hồ sơ",
    EventKind.FEES_REQUESTED: "Chờ nghĩa vụ tài chính",
    EventKind.FEES_PAID: "Đã nộp nghĩa vụ tài chính",
    EventKind.RESULT_READY: "Đã có kết quả",
    EventKind.REFUSED: "Từ chối giải quyết (Mẫu 03)",
    EventKind.STOPPED: "Dừng giải quyết (Mẫu 05)",
    EventKind.WITHDRAWN: "Công dân rút hồ sơ",
    EventKind.EXTENDED: "Xin lỗi, gia hạn (Mẫu 04)",
    EventKind.RETURNED: "Trả kết quả",
    EventKind.NOTE: "Ghi chú",
}


class MissingPicker(QWidget):
    """Checklist of a procedure's components plus a free line: what is missing, listed once."""

    def __init__(
        self, procedure: Procedure | None, preselect: set[str] | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName("missing_list")
        for comp in procedure.components if procedure else ():
            item = QListWidgetItem(f"{comp.display_name} ({comp.counts_label})")
            item.setData(Qt.ItemDataRole.UserRole, comp.display_name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = preselect is not None and comp.key in preselect
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.list.setMaximumHeight(160)
        layout.addWidget(QLabel("Giấy tờ còn thiếu (Space để đánh dấu):"))
        layout.addWidget(self.list)
        self.other = QLineEdit()
        self.other.setObjectName("missing_other")
        self.other.setPlaceholderText("Giấy tờ khác cần bổ sung (cách nhau bằng dấu ;)")
        layout.addWidget(self.other)

    def missing(self) -> list[dict[str, str]]:
        out = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append({"name": str(item.data(Qt.ItemDataRole.UserRole)), "note": ""})
        for part in self.other.text().split(";"):
            if part.strip():
                out.append({"name": part.strip(), "note": ""})
        return out

    def check_all_unchecked_keys(self, names: list[str]) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) in names:
                item.setCheckState(Qt.CheckState.Checked)


class ActionDialog(QDialog):
    recorded = Signal(object)

    def __init__(
        self,
        app: App,
        actor: str,
        kind: EventKind,
        dossier: Any = None,
        procedure: Procedure | None = None,
        state: Any = None,
        *,
        commit: bool = True,
        preselect_missing: set[str] | None = None,
        sections: list[str] | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.app = app
        self.actor = actor
        self.kind = kind
        self.dossier = dossier
        self.commit = commit
        self.recorded_event: Any = None
        self.setObjectName(f"action_{kind.value}")
        self.setWindowTitle(ACTION_TEXT.get(kind, kind.label) + (f" – {dossier.code}" if dossier else ""))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        if dossier is not None:
            head = QLabel(
                f"<b>{dossier.code}</b> – {dossier.applicant.full_name}<br>{dossier.procedure_name}"
            )
            head.setWordWrap(True)
            layout.addWidget(head)
        form = QFormLayout()
        layout.addLayout(form)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}

        def add(name: str, label: str, widget: QWidget) -> None:
            widget.setObjectName(f"f_{name}")
            self.fields[name] = widget
            err = ErrorLabel(name)
            self.errors[name] = err
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.addWidget(widget)
            inner.addWidget(err)
            form.addRow(label, box)

        if kind is EventKind.TRANSFERRED:
            to = QComboBox()
            to.setEditable(True)
            to.addItems(sections or DEFAULT_SECTIONS)
            add("to", "Chuyển đến bộ phận:", to)
            add("to_person", "Cán bộ nhận:", QLineEdit())
        elif kind is EventKind.SUPPLEMENT_REQUESTED:
            picker = MissingPicker(procedure, preselect_missing)
            add("missing", "", picker)
            add("note", "Hướng dẫn thêm:", QLineEdit())
        elif kind in (EventKind.REFUSED, EventKind.STOPPED, EventKind.WITHDRAWN):
            reason = QPlainTextEdit()
            reason.setTabChangesFocus(True)
            reason.setMaximumHeight(90)
            add("reason", "Lý do:", reason)
        elif kind is EventKind.EXTENDED:
            current = state.due_at if state is not None and state.due_at else getattr(dossier, "due_at", None)
            if current is not None:
                layout.insertWidget(1, QLabel(f"Hẹn trả hiện tại: {fmt_appointment(current)}"))
            date = QDateEdit()
            date.setCalendarPopup(True)
            date.setDisplayFormat("dd/MM/yyyy")
            base = (current or app.station.now()).date()
            proposal = app.station.calendar.add_working_days(base, 2)
            date.setDate(QDate(proposal.year, proposal.month, proposal.day))
            add("due_at", "Ngày hẹn trả mới:", date)
            reason = QPlainTextEdit()
            reason.setTabChangesFocus(True)
            reason.setMaximumHeight(90)
            add("reason", "Lý do chậm trễ:", reason)
        elif kind is EventKind.RESULT_READY:
            result = QLineEdit(procedure.result if procedure else "")
            add("result", "Kết quả:", result)
        elif kind is EventKind.RETURNED:
            method = QComboBox()
            for m in (ReturnMethod.DESK, ReturnMethod.POST):
                method.addItem(m.label, m.value)
            if dossier is not None:
                method.setCurrentIndex(max(method.findData(dossier.return_method.value), 0))
            add("method", "Hình thức trả:", method)
            add("receiver", "Người nhận kết quả:", QLineEdit(dossier.applicant.full_name if dossier else ""))
            tracking = QLineEdit()
            tracking.setPlaceholderText("Số hiệu bưu gửi (khi trả qua bưu chính)")
            add("tracking_number", "Mã vận đơn:", tracking)
            method.currentIndexChanged.connect(self._method_changed)
            self._method_changed()
        else:
            add("note", "Ghi chú:", QLineEdit())

        self.general = ErrorLabel("general")
        layout.addWidget(self.general)
        if kind in PRINT_AFTER:
            self.print_after = QCheckBox("In biểu mẫu sau khi lưu")
            self.print_after.setObjectName("print_after")
            self.print_after.setChecked(True)
            layout.addWidget(self.print_after)
        else:
            self.print_after = None
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(
            "Ghi nhận (Enter)" if commit else "Đồng ý", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok.setObjectName("action_ok")
        self.ok.setDefault(True)
        cancel = buttons.addButton("Hủy (Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("action_cancel")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        first = next(iter(self.fields.values()), None)
        if isinstance(first, MissingPicker):
            first.list.setFocus()
        elif first is not None:
            first.setFocus()

    def _method_changed(self) -> None:
        method = self.fields["method"]
        assert isinstance(method, QComboBox)
        self.fields["tracking_number"].setEnabled(method.currentData() == ReturnMethod.POST.value)

    # -------------------------------------------------------------- data
    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, widget in self.fields.items():
            if isinstance(widget, MissingPicker):
                out[name] = widget.missing()
            elif isinstance(widget, QDateEdit):
                q = widget.date()
                out[name] = dt.date(q.year(), q.month(), q.day())
            elif isinstance(widget, QComboBox):
                value = widget.currentData() if not widget.isEditable() else widget.currentText()
                out[name] = value if value is not None else widget.currentText()
            elif isinstance(widget, QPlainTextEdit):
                out[name] = widget.toPlainText()
            elif isinstance(widget, QLineEdit):
                out[name] = widget.text()
        return out

    def wants_print(self) -> bool:
        return bool(self.print_after and self.print_after.isChecked())

    def show_errors(self, errors: dict[str, str]) -> None:
        unknown = []
        for name, label in self.errors.items():
            label.show_error(errors.get(name, ""))
        for name, message in errors.items():
            if name not in self.errors:
                unknown.append(message)
        self.general.show_error("\n".join(unknown))
        for name in self.fields:
            if name in errors:
                self.fields[name].setFocus()
                break

    def submit(self) -> None:
        data = self.data()
        if not self.commit:
            problems = {}
            if self.kind is EventKind.SUPPLEMENT_REQUESTED and not data.get("missing"):
                problems["missing"] = "Phiếu yêu cầu bổ sung phải nêu rõ giấy tờ còn thiếu."
            if self.kind is EventKind.REFUSED and not data.get("reason", "").strip():
                problems["reason"] = "Phải ghi rõ lý do từ chối tiếp nhận."
            if problems:
                self.show_errors(problems)
                return
            self.accept()
            return
        self.ok.setEnabled(False)
        self.general.show_error("")
        code = self.dossier.code
        run_op(
            lambda: self.app.workflow.act(self.actor, code, self.kind, **data),
            self._done,
            self._failed,
            owner=self,
        )

    def _done(self, event: Any) -> None:
        self.recorded_event = event
        self.recorded.emit(event)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        if isinstance(exc, InputErrors):
            self.show_errors(exc.errors)
        else:
            self.general.show_error(describe_error(exc))
