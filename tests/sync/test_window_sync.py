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
