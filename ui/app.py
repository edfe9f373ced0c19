"""Start the counter program: open the station, log in, show the counter window.

``motcua run [--db PATH]`` and ``motcua run-demo`` (``ui/launcher.py``) call ``main``. With
``demo=True`` the default data folder database is used unless a path is given;
an empty database gets the demo unit, catalogue, accounts and 300 dossiers,
and the login is pre-filled with the demo officer ``canbo1``.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# No PySide6 import at module level: ``start_gui`` imports the core before Qt (see there).
if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from desk_app.bootstrap import App
    from desk_app.roles import Devices

log = logging.getLogger("motcua.ui")

DEMO_DOSSIERS = 300
GC_FIRST_CHECK_MS = 3000


def qt_app() -> QApplication:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("MotCua Desk")
    app.setOrganizationName("MotCua")
    if not getattr(app, "_motcua_translated", False):
        from ui.translations import install_qt_translations

        install_qt_translations(app)
        app._motcua_translated = True  # type: ignore[attr-defined]  # once per process
    return app


def start_gui() -> QApplication:
    """Start a window process: the core, then Qt with the GUI-thread garbage collector.

    The order is part of the start-up time (issue 12, measured on 1M dossiers):

    1. Automatic garbage collection stops first; the guard (``ui.gc_guard``) collects on
       the GUI thread once Qt is up, its first collection ``GC_FIRST_CHECK_MS`` later, so
       that no collection walks the start-up's few hundred thousand objects while the
       window is being built.
    2. The core (SQLAlchemy, the services) is imported before PySide6: PySide's import
       hook reads the source of every module imported after it (to see whether the
       module uses ``__feature__``): ~200 modules more, ~40 ms and ~5 MB of source text
       kept in ``linecache``.
    3. The Qt application (``qt_app``) and the guard.

    ``main`` and ``bench/bench_ui.py`` start this way.
    """
    if "PySide6" not in sys.modules:
        gc.disable()  # until the guard below takes over
        import desk_app.bootstrap  # noqa: F401 - imported before PySide6 on purpose
    qapp = qt_app()
    if getattr(qapp, "gc_guard", None) is None:
        from ui.gc_guard import MainThreadGarbageCollector

        # No cyclic GC in worker threads; the first collection after the window is up.
        qapp.gc_guard = MainThreadGarbageCollector(qapp, first_check_ms=GC_FIRST_CHECK_MS)  # type: ignore[attr-defined]
    return qapp


def has_dossiers(app: App) -> bool:
    """True when at least one dossier exists (an indexed probe, not a count)."""
    return app.queries.has_dossiers()


def build_window(
    app: App,
    account: Any,
    *,
    start: bool = True,
    install_scanner: bool = True,
    devices: Devices | None = None,
) -> Any:
    """The counter window for a logged-in account (tests, screenshots and benchmarks use this)."""
    from ui.main_window import CounterWindow

    window = CounterWindow(app, account, install_scanner=install_scanner, devices=devices)
    window.show()
    if start:
        window.start()
    return window


def main(db_path: str | Path | None = None, demo: bool = False) -> int:
    from desk_app.config import default_db_path, setup_file_logging

    try:
        setup_file_logging()
    except OSError:
        log.warning("no log folder; logging to stderr only")
    qapp = start_gui()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialog, QMessageBox, QProgressDialog

    from desk_app.bootstrap import open_station

    path = Path(db_path) if db_path else default_db_path()
    try:
        app = open_station(path)
    except Exception as exc:  # noqa: BLE001 - unreadable / locked database: tell staff, do not crash
        from ui.workers import describe_error

        QMessageBox.critical(
            None, "MotCua Desk", f"Không mở được cơ sở dữ liệu {path}:\n{describe_error(exc)}"
        )
        return 1
    try:
        if demo and not has_dossiers(app):
            progress = QProgressDialog("Đang tạo dữ liệu mẫu (đơn vị, danh mục thủ tục, hồ sơ)…", "", 0, 0)
            progress.setCancelButton(None)
            progress.setWindowTitle("MotCua Desk")
            progress.setWindowModality(Qt.WindowModality.ApplicationModal)
            progress.show()
            qapp.processEvents()
            from desk_app.services.demo import ensure_demo

            ensure_demo(app, DEMO_DOSSIERS, quiet=True)
            progress.close()
        if not app.station.is_initialised:
            QMessageBox.warning(
                None,
                "MotCua Desk",
                "Trạm chưa được khởi tạo đơn vị. Hãy chạy lệnh “motcua init” "
                "(hoặc “motcua run-demo” để dùng thử).",
            )
            return 1
        from ui.login import LoginDialog

        login = LoginDialog(
            app,
            username="canbo1" if demo else "",
            password="canbo123" if demo else "",
            hint="Dữ liệu mẫu – tài khoản: canbo1/canbo123, giamsat/giamsat123, admin/admin123"
            if demo
            else "",
        )
        if login.exec() != QDialog.DialogCode.Accepted or login.account is None:
            return 0
        devices, role_windows = start_devices(app, demo)
        from ui.login import ask_login
        from ui.main_window import run_station

        # Counter windows until Thoát (log out shows the login again); then every window closes.
        rc = run_station(qapp, app, login.account, devices=devices, login=lambda: ask_login(app))
        stop_devices(devices, role_windows)
        return int(rc)
    finally:
        app.close()


def start_devices(app: App, demo: bool) -> tuple[Devices | None, list[Any]]:
    """The station's devices and role windows (kiosk, TV) when that part is installed; else (None, [])."""
    try:
        from desk_app.roles import build_devices, load_device_settings
        from ui.roles import open_role_windows
    except ImportError:
        return None, []
    try:
        settings = load_device_settings(app)
        if demo and settings.roles == ("counter",):
            # The demo is a one-PC commune office: counter, kiosk and TV on one machine,
            # with the ticket printer and LED board simulated on pseudo-terminals.
            settings = dataclasses.replace(settings, roles=("counter", "kiosk", "display"))
        devices = build_devices(app, settings, demo=demo)
        app.devices = devices
    except Exception:  # noqa: BLE001 - devices must not keep the counter from starting
        log.exception("devices failed to start; the counter runs without them")
        return None, []
    try:
        windows = open_role_windows(app, devices, devices.settings.roles, fullscreen=not demo)
    except Exception:  # noqa: BLE001
        log.exception("kiosk / TV windows failed to open")
        windows = []
    return devices, windows


def stop_devices(devices: Devices | None, windows: list[Any]) -> None:
    if windows:
        from ui.roles import close_role_windows

        close_role_windows(windows)
    if devices is not None:
        devices.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
