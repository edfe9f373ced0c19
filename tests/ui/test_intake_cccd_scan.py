"""The chip CCCD card's QR fills the intake form wherever the focus is."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.keys import press, scan, type_text

pytestmark = pytest.mark.gui

QR = "001185012345|012345678|Trần Thị Bình|17051985|Nữ|Số 5 ngõ 12 Láng Hạ, Đống Đa, Hà Nội|10082021"


def test_qr_scanned_into_the_phone_field_fills_the_card_fields(window: Any) -> None:
    form = window.intake
    form.phone.setFocus()
    type_text(None, "0912")
    scan(QR)
    assert form.phone.text() == "0912"  # the burst did not land in the phone field
    assert form.id_number.text() == "001185012345"
    assert form.full_name.text() == "Trần Thị Bình"
    assert form.birth_date.text() == "17/05/1985"
    assert form.street.text() == "Số 5 ngõ 12 Láng Hạ, Đống Đa, Hà Nội"
    assert "Đã đọc thẻ căn cước" in form.returning.text()
    assert not form.err["id_number"].text() and not form.err["birth_date"].text()


def test_qr_scanned_with_focus_on_the_procedure_search_or_components(window: Any) -> None:
    form = window.intake
    form.proc_search.setFocus()
    type_text(None, "khai sinh")
    scan(QR)
    assert form.proc_search.text() == "khai sinh"
    assert form.full_name.text() == "Trần Thị Bình"
    form.clear()
    pick_components(form)
    form.components.setFocus()
    scan_with_real_spaces(QR)  # a scanner sends Key_Space for a space: that is no tick
    assert form.id_number.text() == "001185012345"
    assert form.received_components() == []
    QTest.qWait(60)  # a person's key comes long after the burst
    press(form.components, Qt.Key.Key_Space)  # the officer's own Space still ticks
    assert len(form.received_components()) == 1


def pick_components(form: Any) -> None:
    form.proc_search.setFocus()
    type_text(form.proc_search, "chung thuc")
    press(None, Qt.Key.Key_Return)
    assert form.components.rowCount() == 1


def scan_with_real_spaces(text: str) -> None:
    from PySide6.QtWidgets import QApplication

    target = QApplication.focusWidget()
    assert target is not None
    for ch in text:
        key = Qt.Key.Key_Space if ch == " " else Qt.Key.Key_unknown
        QTest.sendKeyEvent(QTest.KeyAction.Click, target, key, ch, Qt.KeyboardModifier.NoModifier)
    QTest.keyClick(target, Qt.Key.Key_Return)


def test_qr_scanned_on_another_tab_opens_the_intake_form(window: Any) -> None:
    window.show_find()
    scan(QR)
    assert window.tabs.currentWidget() is window.intake
    assert window.intake.full_name.text() == "Trần Thị Bình"


def test_malformed_qr_says_why_in_vietnamese_and_fills_nothing(window: Any) -> None:
    form = window.intake
    form.street.setFocus()
    scan("001185012345||Trần Thị Bình|31021985|Nữ|Hà Nội|10082021")
    assert form.full_name.text() == "" and form.street.text() == ""
    assert "không phải ngày có thật" in form.general.text()


def test_serial_scanner_fills_the_form_with_vietnamese_intact(window: Any, qtbot: Any, app: Any) -> None:
    from desk_app.devices.simulators import BarcodeScannerSimulator

    with BarcodeScannerSimulator(chunk=5) as sim:
        app.settings.edit(
            lambda s: s.replace(devices=s.devices.replace(scanner_port=sim.port, scanner_baud=9600))
        )
        form = window.intake
        form.start_serial_scanner()
        qtbot.waitUntil(lambda: form.serial_reader is not None, timeout=5000)
        assert form.serial_reader.ready.wait(5)  # the port is open: opening flushes its input
        window.show_find()
        sim.scan(QR)
        qtbot.waitUntil(lambda: form.full_name.text() == "Trần Thị Bình", timeout=5000)
        assert window.tabs.currentWidget() is form
        assert form.street.text() == "Số 5 ngõ 12 Láng Hạ, Đống Đa, Hà Nội"
        sim.scan("8934567890123")  # a product barcode: the window says it is not a dossier code
        qtbot.waitUntil(lambda: "không phải mã hồ sơ" in window.notice.text(), timeout=5000)
        form.stop_serial_scanner()


def test_serial_scanner_fault_is_reported_once(window: Any, qtbot: Any) -> None:
    messages: list[str] = []
    window.intake.status.connect(messages.append)
    window.intake.attach_serial_scanner("/dev/khong-co-may-quet")
    qtbot.waitUntil(lambda: any("máy quét mã vạch" in m for m in messages), timeout=5000)
    window.intake.stop_serial_scanner()
    assert window.intake.serial_reader is None


def test_qr_scanned_with_focus_on_the_save_button_saves_nothing(
    window: Any, qtbot: Any, printed: Any
) -> None:
    form = window.intake
    pick_components(form)
    form.channel.setFocus()
    channel = form.channel.currentIndex()
    scan_with_real_spaces(QR)  # letters would pick another channel by keyboard search
    assert form.channel.currentIndex() == channel
    form.save_button.setFocus()
    scan_with_real_spaces(QR)  # its spaces would press "Lưu"
    assert form.full_name.text() == "Trần Thị Bình"
    QTest.qWait(50)
    assert not form.saving and not printed.calls and form.err_components.text() == ""
