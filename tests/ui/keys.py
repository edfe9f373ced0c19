"""Keyboard helpers for UI tests.

``QTest.keyClicks`` aborts on non-ASCII text on this Qt build, so text is typed
one character at a time as key events carrying the character (what an input
method delivers for Vietnamese).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget


def type_text(widget: QWidget | None, text: str) -> None:
    """Type ``text`` into ``widget`` (default: the focused widget), one key event per character."""
    target = widget or QApplication.focusWidget()
    assert target is not None, "no widget has the keyboard focus"
    for ch in text:
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, target, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
        )


def press(
    widget: QWidget | None, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    target = widget or QApplication.focusWidget()
    assert target is not None, "no widget has the keyboard focus"
    QTest.keyClick(target, key, modifier)


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def scan(text: str, widget: QWidget | None = None) -> None:
    """A keyboard-wedge barcode scanner: the whole code within microseconds, then Enter."""
    target = widget or QApplication.focusWidget()
    assert target is not None
    type_text(target, text)
    QTest.keyClick(target, Qt.Key.Key_Return)
