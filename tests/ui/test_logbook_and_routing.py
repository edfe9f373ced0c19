"""The counter window: the logbook (Mẫu 07) printed for a date range, and receiving for another unit."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from tests.helpers.fakes import birth_request
from tests.ui.keys import focused, press, type_text

pytestmark = pytest.mark.gui

OTHER_UNIT = "000.21.32.H56"


class _ShownPreview:
    """Stands in for the modal ``QPrintPreviewDialog``."""

    def exec(self) -> int:
        return 0


def receive_at(app: Any, clock: Any, when: dt.datetime) -> str:
    now = clock.current
    clock.set(when)
    try:
        return app.intake.receive("canbo1", birth_request()).code
    finally:
        clock.set(now)


def wait_active(qtbot: Any, widget: Any) -> None:
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=2000)


def test_logbook_for_a_date_range_is_rendered_off_the_gui_thread_and_previewed(
    window: Any, qtbot: Any, app: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import printing.printouts as printouts
    from ui.print_bridge import PrintBridge

    before_month = receive_at(app, clock, dt.datetime(2026, 10, 20, 9, 0))
    before_range = receive_at(app, clock, dt.datetime(2026, 11, 5, 9, 0))
    first_day = receive_at(app, clock, dt.datetime(2026, 11, 10, 8, 0))
    today = app.intake.receive("canbo1", birth_request()).code

    rendered_in: list[threading.Thread] = []
    real_render = printouts.render_logbook_range

    def render(app_: Any, date_from: dt.date, date_to: dt.date) -> bytes:
        rendered_in.append(threading.current_thread())
        return real_render(app_, date_from, date_to)

    previews: list[tuple[bytes, str]] = []

    def preview_dialog(_bridge: Any, pdf: bytes, _parent: Any = None, job_name: str = "MotCua") -> Any:
        previews.append((pdf, job_name))
        return _ShownPreview()

    monkeypatch.setattr(printouts, "render_logbook_range", render)
    monkeypatch.setattr(PrintBridge, "preview_dialog", preview_dialog)

    # -- listed in the menu and in the F1 help
    action = window.logbook_action
    dossier_menu = window.menuBar().actions()[0].menu()
    assert dossier_menu.title() == "&Hồ sơ" and action in dossier_menu.actions()
    assert action.text() == "In sổ theo dõi hồ sơ (Mẫu 07)…"
    assert action.shortcut().toString() == "Ctrl+L"
    from ui.main_window import SHORTCUTS

    assert ("Ctrl+L", "In sổ theo dõi hồ sơ (Mẫu 07) theo khoảng ngày tiếp nhận") in SHORTCUTS

    # -- Ctrl+L opens the dialog with this month so far; Esc cancels
    press(None, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.logbook_dialog
    qtbot.waitExposed(dialog)
    wait_active(qtbot, dialog)
    assert dialog.date_from.displayFormat() == "dd/MM/yyyy"
    assert (dialog.date_from.text(), dialog.date_to.text()) == ("01/11/2026", "25/11/2026")
    press(None, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert previews == []
    wait_active(qtbot, window)

    # -- a reversed range is refused with a message, then corrected: 10/11 → 25/11
    window.intake.proc_search.setFocus()
    press(None, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.logbook_dialog
    qtbot.waitExposed(dialog)
    wait_active(qtbot, dialog)
    assert focused() is dialog.date_from
    type_text(None, "26")  # the day: 26/11/2026, after "Đến ngày"
    press(None, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.error.isVisible()
    assert "“Từ ngày” (26/11/2026) phải trước hoặc trùng “Đến ngày” (25/11/2026)" in dialog.error.text()
    assert focused() is dialog.date_from
    type_text(None, "10")
    assert not dialog.error.isVisible()
    press(None, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)

    qtbot.waitUntil(lambda: len(previews) == 1, timeout=20_000)
    assert rendered_in and rendered_in[0] is not threading.main_thread()
    pdf, job_name = previews[0]
    assert job_name == "Sổ theo dõi hồ sơ (Mẫu 07) – 10/11/2026 – 25/11/2026"
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Từ ngày 10/11/2026 đến ngày 25/11/2026" in text
    assert first_day in text and today in text
    assert before_range not in text and before_month not in text


def fill_routine_dossier(form: Any) -> None:
    form.proc_search.setFocus()
    type_text(None, "khai sinh")
    press(None, Qt.Key.Key_Return)
    assert focused() is form.full_name
    type_text(None, "Lê Thị Mai")
    form.id_number.setFocus()
    type_text(None, "056190001234")
    form.birth_date.setFocus()
    type_text(None, "02/03/1990")
    form.phone.setFocus()
    type_text(None, "0905123456")
    form.components.setFocus()
    press(None, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert form.missing_label.text() == ""


def test_receiving_for_another_competent_unit(window: Any, qtbot: Any, app: Any, printed: Any) -> None:
    from desk_app.store import schema

    form = window.intake
    assert form.target_unit.placeholderText().startswith("Để trống nếu thuộc đơn vị này")

    # -- Ctrl+N (once confirmed: the form was started) clears it with the rest of the form
    form.target_unit.setFocus()
    type_text(None, OTHER_UNIT)
    press(None, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(form.discard_box.isVisible, timeout=2000)
    form.discard_box.button_discard.click()
    qtbot.waitUntil(lambda: not form.discard_box.isVisible(), timeout=2000)
    window.activateWindow()
    qtbot.waitUntil(lambda: focused() is form.proc_search, timeout=2000)
    assert form.target_unit.text() == ""

    # -- the station's own code means "this unit"
    form.target_unit.setText(app.station.unit.code)
    assert form.target_unit_code() == "" and not form.err_target_unit.isVisible()
    form.target_unit.clear()

    fill_routine_dossier(form)

    # -- a bad code is reported as it is typed and keeps the dossier from being saved
    form.target_unit.setFocus()
    type_text(None, "000.21.32.X56")
    assert form.err_target_unit.isVisible()
    assert "Mã định danh cơ quan “000.21.32.X56” không hợp lệ" in form.err_target_unit.text()
    press(None, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert focused() is form.target_unit
    assert not form.saving and printed.calls == []
    with app.station.uow(write=False) as uow:
        assert uow.conn.execute(select(schema.dossiers.c.id)).first() is None

    # -- corrected, saved with Ctrl+S
    form.target_unit.selectAll()
    type_text(None, OTHER_UNIT)
    assert not form.err_target_unit.isVisible()
    press(None, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(printed.calls) == 1, timeout=5000)
    code = printed.calls[0][1]
    assert form.target_unit.text() == ""  # the form is ready for the next dossier
    with app.station.uow(write=False) as uow:
        row = uow.conn.execute(
            select(schema.dossiers.c.unit_code, schema.dossiers.c.target_unit_code).where(
                schema.dossiers.c.code == code
            )
        ).one()
    assert (row.unit_code, row.target_unit_code) == (app.station.unit.code, OTHER_UNIT)

    # -- the detail shows where the dossier goes
    window.open_dossier(code)
    qtbot.waitUntil(lambda: window.detail.dossier is not None and window.detail.dossier.code == code)
    value = window.detail.info_labels["target_unit"]
    label = window.detail.info.labelForField(value)
    assert f"{label.text()} {value.text()}" == f"Chuyển đến đơn vị: {OTHER_UNIT}"
    assert value.isVisible() and label.isVisible()

    # -- a dossier for this unit has no such line
    local = app.intake.receive("canbo1", birth_request()).code
    window.open_dossier(local)
    qtbot.waitUntil(lambda: window.detail.dossier.code == local)
    assert not window.detail.info_labels["target_unit"].isVisible()
