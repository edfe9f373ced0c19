"""The windows a station's roles open, and the device status for the counter window.

``desk_app.roles.build_devices`` starts the devices (no Qt); this module opens
the role windows on top of them:

* ``open_role_windows`` — the ticket kiosk (``KioskWindow`` on the station's
  printer) and/or the TV display (``TvDisplayWindow`` with voice and the LED
  board), each full screen on a screen of its own when there is one. On a PC
  that is also a counter the primary screen stays the officer's.
* ``make_calling_panel`` — the counter window's calling panel on the station's
  queue client (local or LAN).
* ``DeviceStatusWatcher`` — probes the ticket printer and the queue host every
  few seconds in a worker of its own (a printer that does not answer takes ~1 s)
  and reports Vietnamese labels for the status strip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from desk_app.device_status import DeviceState
from desk_app.roles import Devices, StationTicketPrinter, counter_number
from ui.workers import run_op

if TYPE_CHECKING:
    from desk_app.bootstrap import App

log = logging.getLogger("motcua.ui.roles")

WINDOWED_SIZE = (1280, 800)


def _free_screens(roles: set[str]) -> list[QScreen]:
    """Screens role windows may fill: all of them, minus the primary when this PC is also a counter."""
    primary = QGuiApplication.primaryScreen()
    others = [s for s in QGuiApplication.screens() if s is not primary]
    if primary is None:
        return others
    return others if "counter" in roles else [primary, *others]


def _present(window: QWidget, screen: QScreen | None, fullscreen: bool) -> None:
    if screen is not None and fullscreen:
        # setScreen + move put the window on the right monitor; no setGeometry: a size
        # below the window's minimum makes Qt drop the full-screen state.
        window.setScreen(screen)
        window.move(screen.geometry().topLeft())
        window.showFullScreen()
        return
    window.resize(*WINDOWED_SIZE)
    if screen is not None:
        window.setScreen(screen)
        window.move(screen.availableGeometry().topLeft())
    window.show()


def make_kiosk(app: App, devices: Devices, parent: QWidget | None = None) -> QWidget:  # noqa: ARG001
    from ui.kiosk import KioskWindow

    printer = devices.printer or StationTicketPrinter(None)  # "no port configured" on every tap
    kiosk = KioskWindow(
        devices.queue,
        printer,
        pin=devices.settings.kiosk_pin,
        unit_name=devices.unit_name or None,
        parent=parent,
    )
    if parent is not None:
        kiosk.setWindowFlag(Qt.WindowType.Window, True)
    return kiosk


def make_tv(app: App, devices: Devices, parent: QWidget | None = None, *, poll_ms: int = 1000) -> QWidget:  # noqa: ARG001
    from desk_app.devices.voice import WavFileAnnouncer
    from ui.sound import QtWavPlayer
    from ui.tv_display import TvDisplayWindow

    player = QtWavPlayer()
    tv = TvDisplayWindow(
        devices.queue,
        WavFileAnnouncer(player.play),
        board=devices.board,
        poll_ms=poll_ms,
        title=devices.unit_name,
        parent=parent,
    )
    player.setParent(tv)  # lives and dies with the screen
    tv.player = player  # type: ignore[attr-defined]
    if parent is not None:
        tv.setWindowFlag(Qt.WindowType.Window, True)
    return tv


def open_role_windows(
    app: App,
    devices: Devices,
    roles: Iterable[str],
    parent: QWidget | None = None,
    *,
    fullscreen: bool = True,
    tv_poll_ms: int = 1000,
) -> list[QWidget]:
    """Open the kiosk and/or TV display for ``roles`` (other roles open nothing here).

    The kiosk takes the first free screen (the touch screen of a kiosk PC), the TV
    the next one; a window with no screen left opens as a normal window. The caller
    keeps the returned list alive and closes them with ``close_role_windows``.
    """
    wanted = set(roles)
    screens = _free_screens(wanted)
    windows: list[QWidget] = []
    builders: list[tuple[str, Callable[[], QWidget]]] = [
        ("kiosk", lambda: make_kiosk(app, devices, parent)),
        ("display", lambda: make_tv(app, devices, parent, poll_ms=tv_poll_ms)),
    ]
    for role, build in builders:
        if role not in wanted:
            continue
        window = build()
        window.setObjectName(window.objectName() or role)
        _present(window, screens.pop(0) if screens else None, fullscreen)
        windows.append(window)
    return windows


def run_role_window(
    app: App,
    devices: Devices,
    role: str,
    *,
    fullscreen: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """``motcua run-role kiosk|display``: open that one window and run Qt until it closes.

    Ctrl-C / SIGTERM from the installer's terminal quit too (Python signal handlers
    only run when the interpreter gets control, hence the idle timer).
    """
    import signal

    from ui.app import qt_app
    from ui.workers import wait_all

    qapp = qt_app()
    windows = open_role_windows(app, devices, [role], fullscreen=fullscreen)
    # exit(), not quit(): Qt 6 lets windows veto quit(), and the kiosk vetoes without its PIN.
    previous = {sig: signal.signal(sig, lambda *_: qapp.exit(0)) for sig in (signal.SIGINT, signal.SIGTERM)}
    tick = QTimer(interval=250)
    tick.timeout.connect(_idle)
    tick.start()
    if on_ready is not None:
        on_ready()
    try:
        return int(qapp.exec() or 0)
    finally:
        tick.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        close_role_windows(windows)
        wait_all(3000)


def _idle() -> None:
    """Lets the interpreter run its signal handlers while Qt's loop runs."""


def close_role_windows(windows: Iterable[QWidget]) -> None:
    """Close role windows on shutdown (the kiosk's PIN guard is for citizens, not for quitting)."""
    for w in windows:
        if hasattr(w, "_unlocked"):
            w._unlocked = True  # noqa: SLF001 - KioskWindow has no public "force close"
        w.close()
        w.deleteLater()


def make_calling_panel(
    app: App,  # noqa: ARG001 - kept for symmetry with the other builders
    devices: Devices,
    account: Any,
    *,
    poll_ms: int = 3000,
    parent: QWidget | None = None,
) -> Any:
    """The counter window's ``CallingPanel`` on this station's queue client."""
    from ui.queue_panel import CallingPanel

    return CallingPanel(
        devices.queue,
        counter_number(devices.settings, account),
        getattr(account, "username", "") or "",
        poll_ms=poll_ms,
        parent=parent,
    )


class DeviceStatusWatcher(QObject):
    """Polls the station's devices off the GUI thread and reports their state.

    Signals:
        statusChanged(dict): ``{"printer" | "queue" | "board": DeviceState(ok, text)}``,
            emitted on the first probe and whenever a state changes. Keys appear only
            for devices this station has (no printer configured → no ``printer``).
    """

    statusChanged = Signal(dict)

    def __init__(self, devices: Devices, interval_ms: int = 5000, parent: QObject | None = None):
        super().__init__(parent)
        self.devices = devices
        self.last: dict[str, DeviceState] | None = None
        self._busy = False
        # Its own single thread: a silent printer blocks ~1 s per probe and must not
        # hold up the database workers of the shared pool.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._timer.start()
        self.poll()

    def stop(self, wait_ms: int = 3000) -> None:
        self._timer.stop()
        self._pool.clear()
        self._pool.waitForDone(wait_ms)

    def poll(self) -> None:
        if self._busy or self.devices.closed:
            return
        self._busy = True
        run_op(self.devices.probe, self._done, self._failed, owner=self, pool=self._pool)

    def _done(self, states: dict[str, DeviceState]) -> None:
        self._busy = False
        if states != self.last:
            self.last = states
            self.statusChanged.emit(states)

    def _failed(self, _exc: BaseException) -> None:  # probe() catches device faults; this is a bug
        self._busy = False
