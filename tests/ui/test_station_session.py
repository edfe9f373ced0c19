"""Login, lock-out, log out and quitting the station (issue 11, item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.keys import press, type_text

pytestmark = pytest.mark.gui


def _dialog(qtbot: Any, app: Any) -> Any:
    from ui.login import LoginDialog

    dialog = LoginDialog(app)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_enter_in_the_account_box_logs_in(qtbot: Any, app: Any) -> None:
    dialog = _dialog(qtbot, app)
    dialog.password.setFocus()
    type_text(dialog.password, "canbo123")
    line = dialog.user.lineEdit()
    line.setFocus()
    line.selectAll()
    type_text(line, "canbo1")  # the inline completion proposes "canbo1 – Nguyễn Thị Hồng Nhung"
    press(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    assert dialog.account.username == "canbo1"


def test_enter_in_the_account_box_without_password_goes_to_the_password(qtbot: Any, app: Any) -> None:
    dialog = _dialog(qtbot, app)
    line = dialog.user.lineEdit()
    line.setFocus()
    type_text(line, "canbo1")
    press(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.password.hasFocus(), timeout=2000)
    assert dialog.error.text() == ""


def test_locked_account_shows_the_remaining_wait(qtbot: Any, app: Any, clock: Any) -> None:
    for _ in range(4):
        with pytest.raises(Exception, match="không đúng"):
            app.accounts.authenticate("canbo1", "sai")
    dialog = _dialog(qtbot, app)
    dialog.user.setEditText("canbo1")
    dialog.password.setFocus()
    type_text(dialog.password, "sai")
    press(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "tạm khóa" in dialog.error.text(), timeout=5000)
    assert dialog.error.text() == (
        "Tài khoản “canbo1” tạm khóa vì nhập sai mật khẩu nhiều lần. Hãy thử lại sau 30 giây."
    )
    assert not dialog.ok.isEnabled()  # no pointless tries while it waits
    dialog.tick_lock(seconds=12)  # the countdown, driven by hand instead of waiting 12 s
    assert dialog.error.text().endswith("Hãy thử lại sau 18 giây.")
    dialog.tick_lock(seconds=18)
    assert dialog.ok.isEnabled() and "Có thể đăng nhập lại" in dialog.error.text()
    clock.advance(seconds=30)
    dialog.password.clear()
    type_text(dialog.password, "canbo123")
    press(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)


def test_log_out_then_quit_ends_the_station(qtbot: Any, app: Any, printed: Any) -> None:  # noqa: ARG001
    """Log out shows the login again; Thoát asks once and ends the loop (the caller closes kiosk and TV)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desk_app.domain.model import Role
    from ui.main_window import run_station

    app.accounts.create("canbo2", "Trần Văn Đức", "canbo123", Role.OFFICER, 2)
    windows: list[Any] = []
    logins: list[str] = []

    def answer(window: Any, kind: str) -> None:
        box = window.request_logout() if kind == "logout" else window.request_quit()
        assert box.isVisible()
        press(box, Qt.Key.Key_Return)  # Enter confirms the one question

    def on_window(window: Any) -> None:
        windows.append(window)
        QTimer.singleShot(300, lambda: answer(window, "logout" if len(windows) == 1 else "quit"))

    def next_login() -> Any:
        logins.append("asked")
        return app.accounts.authenticate("canbo2", "canbo123")

    qapp = QApplication.instance()
    try:
        rc = run_station(
            qapp, app, app.accounts.authenticate("canbo1", "canbo123"), login=next_login, on_window=on_window
        )
    finally:
        qapp.setQuitOnLastWindowClosed(True)
    assert rc == 0 and logins == ["asked"]
    assert [w.account.username for w in windows] == ["canbo1", "canbo2"]
    assert [w.outcome for w in windows] == ["logout", "quit"]
    assert "Trần Văn Đức" in windows[1].header.text()


def test_title_bar_close_asks_before_quitting(qtbot: Any, app: Any, printed: Any) -> None:  # noqa: ARG001
    from ui.main_window import CounterWindow

    window = CounterWindow(app, app.accounts.authenticate("canbo1", "canbo123"), install_scanner=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.confirm_on_close = True
    window.show()
    qtbot.waitExposed(window)
    window.close()
    assert window.isVisible() and window.session_box.isVisible()  # asked, not closed
    press(window.session_box, Qt.Key.Key_Escape)  # Esc: stay
    qtbot.waitUntil(lambda: not window.session_box.isVisible(), timeout=2000)
    assert window.isVisible() and window.outcome == ""
    window.close()
    press(window.session_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)
    assert window.outcome == "quit"
