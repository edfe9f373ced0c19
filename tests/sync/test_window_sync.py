"""The counter window runs the sync worker of an enrolled station and shows its state."""

from __future__ import annotations

from typing import Any

from tests.helpers.fakes import birth_request
from tests.sync.conftest import LiveServer, enrol_station


def test_enrolled_window_syncs_and_says_so(qtbot: Any, server: LiveServer, station_factory: Any) -> None:
    from ui.main_window import CounterWindow

    app = station_factory("w")
    enrol_station(app, server)
    app.intake.receive("canbo1", birth_request())
    account = app.accounts.authenticate("canbo1", "canbo123")
    window = CounterWindow(app, account, install_scanner=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    assert window.sync.start()
    window.sync_now()
    qtbot.waitUntil(lambda: "Trực tuyến" in window.sync_label.text(), timeout=20_000)
    with app.station.uow(write=False) as uow:
        assert uow.outbox.pending_count() == 0
    window.shutdown()
    assert window.sync.worker is None


def test_settings_dialog_enrols_the_station(qtbot: Any, server: LiveServer, station_factory: Any) -> None:
    from central import service as svc
    from desk_app.domain.model import Role
    from desk_app.sync.client import server_url
    from tests.ui.keys import type_text
    from ui.settings_dialog import SettingsDialog

    app = station_factory("s")
    app.accounts.create("admin", "Quản trị viên", "admin123", Role.ADMIN)
    dialog = SettingsDialog(app, app.accounts.authenticate("admin", "admin123"))
    qtbot.addWidget(dialog)
    dialog.server_url.setText(server.url)
    dialog.enrol_button.click()
    assert "mã đăng ký" in dialog.enrol_state.text()  # no code yet
    type_text(dialog.enrol_code, svc.new_enrol_code(server.store, app.station.unit.code))
    with qtbot.waitSignal(dialog.enrolled, timeout=15_000):
        dialog.enrol_button.click()
    assert "Đã đăng ký" in dialog.enrol_state.text()
    assert server_url(app.station) == server.url
    dialog.enrol_button.click()  # the code was spent: a clear message, not a crash
    assert "mã đăng ký" in dialog.enrol_state.text()
