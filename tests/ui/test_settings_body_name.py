"""Settings: the one-stop body's name is a unit setting; new units get no "huyện" level."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from desk_app.domain.model import Role
from tests.ui.conftest import login, open_window
from tests.ui.keys import press

pytestmark = pytest.mark.gui


def test_body_name_setting_and_no_district_level(qtbot: Any, app: Any, printed: Any) -> None:  # noqa: ARG001
    app.accounts.create("giamsat", "Lê Minh Tâm", "giamsat123", Role.SUPERVISOR)
    dialog = login(qtbot, app, "giamsat", "giamsat123")
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    window = open_window(qtbot, app, dialog.account)
    try:
        press(None, Qt.Key.Key_F12)
        settings = window.settings_dialog
        qtbot.waitExposed(settings)
        levels = [settings.level.itemData(i) for i in range(settings.level.count())]
        assert "huyen" not in levels and "xa" in levels
        assert settings.body_name.placeholderText() == app.station.unit.one_stop_body
        settings.body_name.setText("  Trung tâm Phục vụ hành chính công   xã Vĩnh Lương ")
        settings.save()
        qtbot.waitUntil(lambda: not settings.isVisible(), timeout=5000)  # saved in a worker
        assert app.station.unit.body_name == "Trung tâm Phục vụ hành chính công xã Vĩnh Lương"
    finally:
        window.shutdown()
