"""The settings dialog writes through the one settings owner, off the GUI thread."""

from __future__ import annotations

import threading
from typing import Any

from desk_app.domain.model import Role


def test_port_changed_in_the_dialog_after_station_set_is_the_one_the_devices_use(
    qtbot: Any, app: Any, monkeypatch: Any
) -> None:
    """Regression: the status strip showed ``settings.serial`` while the devices used ``settings.devices``."""
    from desk_app.cli import main as cli_main
    from desk_app.roles import load_device_settings
    from ui.main_window import device_status
    from ui.settings_dialog import SettingsDialog

    db = str(app.db.path)
    assert cli_main(["station", "set", "--db", db, "--printer-port", "/dev/ttyUSB0"]) == 0
    app.accounts.create("giamsat", "Lê Minh Tâm", "giamsat123", Role.SUPERVISOR)
    account = app.accounts.authenticate("giamsat", "giamsat123")

    written_in: list[threading.Thread] = []
    real_edit = type(app.settings).edit

    def edit(self: Any, change: Any) -> Any:
        written_in.append(threading.current_thread())
        return real_edit(self, change)

    monkeypatch.setattr(type(app.settings), "edit", edit)
    dialog = SettingsDialog(app, account)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.ports["ticket_printer"].setEditText("/dev/ttyUSB9")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)

    assert device_status(app)["serial"][0] == "/dev/ttyUSB9"  # the status strip
    assert load_device_settings(app).printer_port == "/dev/ttyUSB9"  # the devices
    assert written_in and written_in[0] is not threading.main_thread()
