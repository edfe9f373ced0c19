"""The status strip tells an unenrolled station calmly that its data stays local (issue 11, item 9)."""

from __future__ import annotations

from typing import Any

from tests.helpers.fakes import birth_request


def _window(qtbot: Any, app: Any) -> Any:
    from ui.main_window import CounterWindow

    account = app.accounts.authenticate("canbo1", "canbo123")
    window = CounterWindow(app, account, install_scanner=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    return window


def test_unenrolled_station_says_data_stays_local_not_pending(qtbot: Any, app: Any) -> None:
    for _ in range(3):
        app.intake.receive("canbo1", birth_request())  # outbox rows that no server will take
    window = _window(qtbot, app)
    window.refresh_status_strip()
    qtbot.waitUntil(lambda: "Chưa đăng ký" in window.sync_label.text(), timeout=5000)
    assert window.sync_label.text() == "● Chưa đăng ký với máy chủ — dữ liệu lưu tại máy"
    assert "chờ" not in window.sync_label.text()


def test_enrolled_station_offline_counts_pending_changes(qtbot: Any, app: Any) -> None:
    from desk_app.sync.client import META_SERVER

    with app.station.uow() as uow:
        uow.meta.set(META_SERVER, "http://127.0.0.1:9")
        uow.commit()
    for _ in range(2):
        app.intake.receive("canbo1", birth_request())
    window = _window(qtbot, app)
    window.refresh_status_strip()
    qtbot.waitUntil(lambda: "Ngoại tuyến" in window.sync_label.text(), timeout=5000)
    assert window.sync_label.text() == "● Ngoại tuyến · 2 thay đổi chờ gửi"
