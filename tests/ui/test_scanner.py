"""The scanner detector tells a burst from a person typing (fake clock, real key events)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from ui.scanner import ScanDetector

pytestmark = pytest.mark.gui
CODE = "000.21.31.H56-261125-0001"


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _setup(qtbot: Any) -> tuple[QLineEdit, ScanDetector, Clock, list[Any]]:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    edit.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit)
    clock = Clock()
    detector = ScanDetector(clock=clock)
    seen: list[Any] = []
    detector.codeScanned.connect(lambda code: seen.append(("code", code)))
    detector.foreignScanned.connect(lambda text, msg: seen.append(("foreign", text, msg)))
    QApplication.instance().installEventFilter(detector)
    return edit, detector, clock, seen


def _type(edit: QLineEdit, text: str, clock: Clock, gap: float) -> None:
    for ch in text:
        clock.t += gap
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, edit, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
        )
    clock.t += gap
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_burst_is_a_scan_and_typing_is_not(qtbot: Any) -> None:
    edit, detector, clock, seen = _setup(qtbot)
    try:
        _type(edit, CODE, clock, 0.004)  # 4 ms a key: a scanner
        assert seen == [("code", CODE)]
        assert edit.text() == ""  # the code did not stay in the field
        _type(edit, CODE, clock, 0.15)  # 150 ms a key: a person typing the code
        assert seen == [("code", CODE)]
        assert edit.text() == CODE
    finally:
        QApplication.instance().removeEventFilter(detector)


def test_malformed_code_is_reported_even_in_a_text_field(qtbot: Any) -> None:
    edit, detector, clock, seen = _setup(qtbot)
    try:
        _type(edit, "000.21.31.H56-261325-0001", clock, 0.004)  # month 13
        assert seen and seen[0][0] == "foreign"
        assert "ngày tiếp nhận không hợp lệ" in seen[0][2]
    finally:
        QApplication.instance().removeEventFilter(detector)
