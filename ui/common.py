"""Small shared pieces of the counter UI: Vietnamese date formats, colours, pickers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QFrame, QLabel, QWidget

from desk_app.textfold import fold

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]

OVERDUE_BG = QColor("#fde2e1")
DUE_TODAY_BG = QColor("#fff3cd")
CONFLICT_FG = QColor("#b00020")
ERROR_STYLE = "color: #b00020;"
OK_STYLE = "color: #1b5e20;"


def fmt_date(d: dt.date | None) -> str:
    return "" if d is None else d.strftime("%d/%m/%Y")


def fmt_dt(d: dt.datetime | None) -> str:
    return "" if d is None else d.strftime("%H:%M %d/%m/%Y")


def fmt_appointment(d: dt.datetime) -> str:
    """'17:00 Thứ Tư, 25/11/2026' as printed on the receipt."""
    return f"{d:%H:%M} {WEEKDAYS[d.weekday()]}, {d:%d/%m/%Y}"


def parse_date(text: str) -> dt.date | None:
    """'17/05/1990', '17-5-1990', '17051990' -> date; '' -> None; raises ValueError otherwise."""
    raw = text.strip()
    if not raw:
        return None
    for sep in "/-.":
        raw = raw.replace(sep, "/")
    if "/" not in raw and len(raw) == 8 and raw.isdigit():
        raw = f"{raw[:2]}/{raw[2:4]}/{raw[4:]}"
    parts = raw.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise ValueError(text)
    return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))


class ErrorLabel(QLabel):
    """Red message under a field; empty and hidden when there is nothing to say."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"err_{name}")
        self.setStyleSheet(ERROR_STYLE)
        self.setWordWrap(True)
        self.hide()

    def show_error(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))


def hline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


_KIND_WORDS = ("thanh pho ", "tinh ", "xa ", "phuong ", "dac khu ", "thi tran ")


def _bare(folded: str) -> str:
    """'xa vinh luong' -> 'vinh luong' (the name without its administrative kind)."""
    for word in _KIND_WORDS:
        if folded.startswith(word):
            return folded[len(word) :]
    return folded


class _FoldCompleter(QCompleter):
    """Completion on a 'name + name without diacritics' role; inserts the plain name."""

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:  # noqa: N802 - Qt override
        return str(index.data(Qt.ItemDataRole.DisplayRole) or "")


SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
CODE_ROLE = Qt.ItemDataRole.UserRole


class PickerCombo(QComboBox):
    """Editable combo for long lists (provinces, communes): type with or without diacritics.

    Signals:
        picked(str): code of the chosen entry ('' when cleared).
    """

    picked = Signal(str)

    def __init__(self, name: str, placeholder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._model = QStandardItemModel(self)
        self.setModel(self._model)
        completer = _FoldCompleter(self._model, self)
        completer.setCompletionRole(SEARCH_ROLE)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        if self.lineEdit() is not None and placeholder:
            self.lineEdit().setPlaceholderText(placeholder)
        self.currentIndexChanged.connect(lambda _i: self.picked.emit(self.code()))
        completer.activated[QModelIndex].connect(self._completed)  # type: ignore[index]
        if self.lineEdit() is not None:
            self.lineEdit().editingFinished.connect(self.resolve_typed)
            self.lineEdit().textEdited.connect(lambda _t: QTimer.singleShot(0, self.resolve_typed))

    def set_items(self, items: Iterable[tuple[str, str]]) -> None:
        self.blockSignals(True)
        self._model.clear()
        for code, name in items:
            item = QStandardItem(name)
            item.setData(code, CODE_ROLE)
            item.setData(f"{name.lower()}|{fold(name)}", SEARCH_ROLE)
            self._model.appendRow(item)
        self.setCurrentIndex(-1)
        self.setEditText("")
        self.blockSignals(False)

    def _completed(self, index: QModelIndex) -> None:
        code = index.data(CODE_ROLE)
        self.set_code(str(code))

    def code(self) -> str:
        index = self.currentIndex()
        if index < 0 or self.currentText().strip() != self.itemText(index):
            return self.code_for_text(self.currentText())
        return str(self.itemData(index, CODE_ROLE) or "")

    def code_for_text(self, text: str) -> str:
        key = fold(text)
        if not key:
            return ""
        bare_hits = []
        for row in range(self.count()):
            name = fold(self.itemText(row))
            if name == key:
                return str(self.itemData(row, CODE_ROLE))
            if _bare(name) == key:
                bare_hits.append(str(self.itemData(row, CODE_ROLE)))
        return bare_hits[0] if len(bare_hits) == 1 else ""

    def name(self) -> str:
        code = self.code()
        if not code:
            return ""
        return self.itemText(self.findData(code, CODE_ROLE))

    def set_code(self, code: str) -> None:
        index = self.findData(code, CODE_ROLE) if code else -1
        self.setCurrentIndex(index)
        if index < 0:
            self.setEditText("")

    def resolve_typed(self) -> None:
        """Accept a typed name ("khanh hoa") that matches one entry exactly (on Enter or leaving the box)."""
        code = self.code_for_text(self.currentText())
        if code and self.findData(code, CODE_ROLE) != self.currentIndex():
            self.set_code(code)
