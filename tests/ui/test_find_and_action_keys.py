"""F3 and F4 keys that mean one thing (issue 11, item 7): fixed action keys, a partial code finds
the dossier, status lines that no longer hold are withdrawn, the count follows new dossiers."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from desk_app.domain.lifecycle import EventKind, Status
from tests.helpers.fakes import birth_request
from tests.ui.keys import press, type_text

pytestmark = pytest.mark.gui


def _open(qtbot: Any, window: Any, code: str, status: Status) -> None:
    window.open_dossier(code)
    qtbot.waitUntil(
        lambda: (
            window.detail.state is not None
            and window.detail.dossier.code == code
            and window.detail.state.status is status
        ),
        timeout=5000,
    )


def test_f4_action_keys_never_change_meaning(window: Any, qtbot: Any, app: Any) -> None:
    dossier = app.intake.receive("canbo1", birth_request())
    _open(qtbot, window, dossier.code, Status.RECEIVED)
    buttons = window.detail.action_buttons
    assert buttons[EventKind.TRANSFERRED].text() == "&1 Chuyển xử lý"
    assert buttons[EventKind.REFUSED].text() == "&C Từ chối giải quyết (Mẫu 03)"
    app.workflow.act("canbo1", dossier.code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    _open(qtbot, window, dossier.code, Status.TRANSFERRED)
    buttons = window.detail.action_buttons
    # before: "Bắt đầu xử lý" took key 1 once "Chuyển xử lý" was no longer offered
    assert buttons[EventKind.PROCESSING_STARTED].text() == "&2 Bắt đầu xử lý"
    assert not [b.text() for b in buttons.values() if b.text().startswith("&1")]
    menu = window.detail.actions_menu()
    qtbot.waitExposed(menu)
    assert [a.text() for a in menu.actions()][0] == "&2 Bắt đầu xử lý"
    press(menu, Qt.Key.Key_1)  # key 1 means "Chuyển xử lý", not offered now: nothing happens
    assert window.detail.dialog is None
    press(menu, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: window.detail.dialog is not None, timeout=2000)
    assert window.detail.dialog.kind is EventKind.PROCESSING_STARTED
    window.detail.dialog.reject()


def test_partial_code_finds_the_dossier_and_stale_messages_clear(window: Any, qtbot: Any, app: Any) -> None:
    first = app.intake.receive("canbo1", birth_request())
    second = app.intake.receive("canbo1", birth_request())
    window.show_find()
    find = window.find
    type_text(None, "261125-0099")
    qtbot.waitUntil(lambda: "Không tìm thấy" in window.statusBar().currentMessage(), timeout=5000)
    assert find.search_kind.text() == "(đuôi mã hồ sơ)"
    find.search.selectAll()
    tail = second.code.split("-", 1)[1]  # "261125-0002", read off the receipt
    type_text(None, tail)
    qtbot.waitUntil(lambda: [r.code for r in find.model.rows] == [second.code], timeout=5000)
    qtbot.waitUntil(lambda: "Không tìm thấy" not in window.statusBar().currentMessage(), timeout=5000)
    press(find.search, Qt.Key.Key_Return)  # Enter opens the one dossier the partial code names
    qtbot.waitUntil(
        lambda: window.detail.dossier is not None and window.detail.dossier.code == second.code, timeout=5000
    )
    assert first.code != second.code


def test_count_follows_new_dossiers(window: Any, qtbot: Any, app: Any) -> None:
    for _ in range(3):
        app.intake.receive("canbo1", birth_request())
    window.show_find()
    window.find.apply()
    qtbot.waitUntil(lambda: window.find.count_label.text() == "3 hồ sơ phù hợp", timeout=5000)
    dossier = app.intake.receive("canbo1", birth_request())
    window._dossier_changed(dossier.code)  # what a save in this window triggers
    qtbot.waitUntil(lambda: window.find.model.rowCount() == 4, timeout=5000)
    qtbot.waitUntil(lambda: window.find.count_label.text() == "4 hồ sơ phù hợp", timeout=5000)
