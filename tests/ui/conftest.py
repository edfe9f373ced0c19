"""Fixtures that drive the real counter window (offscreen)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.keys import press, type_text


class PrintRecorder:
    """Stands in for ``FormPrinter.preview``: records (form, code) instead of opening a modal preview."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> PrintRecorder:
    from ui.form_printing import FormPrinter

    recorder = PrintRecorder()

    def preview(self: Any, form: str, code: str) -> None:
        self.last_request = (form, code)
        recorder.calls.append((form, code))

    monkeypatch.setattr(FormPrinter, "preview", preview)
    return recorder


def login(qtbot: Any, app: Any, username: str, password: str) -> Any:
    from ui.login import LoginDialog

    dialog = LoginDialog(app)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.user.setFocus()
    dialog.user.lineEdit().selectAll()
    type_text(dialog.user.lineEdit(), username)
    dialog.password.setFocus()
    type_text(dialog.password, password)
    press(dialog.password, Qt.Key.Key_Return)
    return dialog


def open_window(qtbot: Any, app: Any, account: Any) -> Any:
    from ui.main_window import CounterWindow

    window = CounterWindow(app, account)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.start()
    qtbot.waitUntil(
        lambda: bool(window.intake.procedures) and window.intake.province.count() > 0, timeout=5000
    )
    qtbot.waitUntil(lambda: window.dashboard_counts != {}, timeout=5000)
    return window


@pytest.fixture
def window(qtbot: Any, app: Any, printed: PrintRecorder) -> Any:  # noqa: ARG001 - no modal previews
    dialog = login(qtbot, app, "canbo1", "canbo123")
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    win = open_window(qtbot, app, dialog.account)
    yield win
    win.shutdown()
