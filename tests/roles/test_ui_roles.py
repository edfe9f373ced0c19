"""Role windows on real devices (simulated serial ports), offscreen with pytest-qt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desk_app.domain.model import Role
from desk_app.queue.models import TicketState
from desk_app.roles import PRINTER_READY, QUEUE_LOCAL, Devices, DeviceSettings
from desk_app.services.accounts import Account
from ui.kiosk import PAGE_RESULT, KioskWindow
from ui.roles import DeviceStatusWatcher, close_role_windows, make_calling_panel, open_role_windows
from ui.tv_display import TvDisplayWindow
from ui.workers import wait_all

pytestmark = pytest.mark.gui

OFFICER = Account("canbo1", "Nguyễn Thị Hồng Nhung", Role.OFFICER, counter_no=1)


@pytest.fixture
def demo(build: Any) -> Devices:
    devices: Devices = build(DeviceSettings(roles=("kiosk", "display"), kiosk_pin="2468"), demo=True)
    return devices


@pytest.fixture
def windows(qtbot: Any) -> Iterator[list[Any]]:  # noqa: ARG001 - needs the QApplication
    opened: list[Any] = []
    yield opened
    close_role_windows(opened)
    wait_all(5000)


def tap(qtbot: Any, window: Any, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button is not None, name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_kiosk_and_tv_on_simulated_devices_and_a_call_shows_on_the_tv(
    qtbot: Any, app: Any, demo: Devices, windows: list[Any]
) -> None:
    windows += open_role_windows(app, demo, ["kiosk", "display"], tv_poll_ms=150)
    kiosk, tv = windows
    assert isinstance(kiosk, KioskWindow) and isinstance(tv, TvDisplayWindow)
    assert kiosk.isFullScreen()  # kiosk PC: the kiosk takes the (only) screen
    assert tv.isVisible() and not tv.isFullScreen()  # no second screen: a normal window
    assert kiosk.printer is demo.printer and tv.board is demo.board and tv.announcer is not None
    assert kiosk._pin == "2468"

    # Wait on the config, not on findChild: PySide6 6.12's findChild drops a reference to
    # None each time it finds nothing, and enough polls crash the interpreter.
    qtbot.waitUntil(lambda: kiosk.config is not None and kiosk.services_grid.count() > 0)
    tap(qtbot, kiosk, "idle_button")
    tap(qtbot, kiosk, "service_ho_tich")
    qtbot.waitUntil(lambda: kiosk.stack.currentIndex() == PAGE_RESULT, timeout=5000)
    assert kiosk.result_number.text() == "A001"
    sim = demo.printer_simulator
    qtbot.waitUntil(lambda: len(sim.tickets) == 1)
    assert "A001" in sim.tickets[0].lines and "XÃ VĨNH LƯƠNG" in " ".join(sim.tickets[0].lines)

    panel = make_calling_panel(app, demo, OFFICER, poll_ms=0)
    qtbot.addWidget(panel)
    assert panel.counter_no == 1 and panel.client is demo.queue
    panel.call_next()
    qtbot.waitUntil(lambda: panel.current is not None, timeout=5000)
    assert panel.current.label == "A001" and panel.current.state == TicketState.CALLED
    qtbot.waitUntil(lambda: "A001" in tv.highlight_text.text(), timeout=5000)
    assert "Quầy 1" in tv.highlight_text.text()
    qtbot.waitUntil(lambda: [c.ticket_number for c in tv.announced] == ["A001"])
    board = demo.board_simulator
    qtbot.waitUntil(lambda: board.text(0) == "A001 -> 1", timeout=5000)  # the main LED board


def test_a_counter_pc_keeps_its_screen_and_the_tv_opens_alone(
    app: Any, demo: Devices, windows: list[Any]
) -> None:
    windows += open_role_windows(app, demo, ["counter", "display", "queue-host"], tv_poll_ms=0)
    assert len(windows) == 1 and isinstance(windows[0], TvDisplayWindow)
    assert not windows[0].isFullScreen()  # the only screen is the officer's
    windows += open_role_windows(app, demo, ["display"], tv_poll_ms=0)
    assert windows[1].isFullScreen()  # a display-only PC fills its screen


def test_status_watcher_reports_printer_and_queue_off_the_gui_thread(qtbot: Any, demo: Devices) -> None:
    watcher = DeviceStatusWatcher(demo, interval_ms=100)
    try:
        with qtbot.waitSignal(watcher.statusChanged, timeout=5000) as first:
            watcher.start()
        states = first.args[0]
        assert states["printer"].ok and states["printer"].text == PRINTER_READY
        assert states["queue"].text == QUEUE_LOCAL
        demo.printer_simulator.set_state("paper_out")
        with qtbot.waitSignal(watcher.statusChanged, timeout=5000) as second:
            pass
        printer = second.args[0]["printer"]
        assert not printer.ok and "hết giấy" in printer.text
    finally:
        watcher.stop()
