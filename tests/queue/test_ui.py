"""Kiosk, calling panel and TV display driven offscreen with pytest-qt."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QWidget

from desk_app.queue.client import QueueClient
from desk_app.queue.host import free_port
from desk_app.queue.models import TicketState
from desk_app.queue.service import LocalQueueClient, QueueService
from tests.helpers.queue_fakes import FakeAnnouncer, FakeBoard, FakeTicketPrinter, paper_out
from ui.kiosk import PAGE_ERROR, PAGE_RESULT, PAGE_SERVICES, KioskWindow
from ui.queue_panel import LOST_CONNECTION, CallingPanel
from ui.tv_display import TvDisplayWindow

pytestmark = pytest.mark.gui


def type_text(widget: QWidget, text: str) -> None:
    for ch in text:
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
        )


@pytest.fixture
def kiosk(qtbot, service: QueueService, printer: FakeTicketPrinter) -> KioskWindow:  # type: ignore[no-untyped-def]
    w = KioskWindow(LocalQueueClient(service), printer, pin="2468", idle_seconds=60)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: w.findChild(QPushButton, "service_ho_tich") is not None)
    yield w
    w._unlocked = True  # let teardown close it


def tap(qtbot, w: KioskWindow, name: str) -> None:  # type: ignore[no-untyped-def]
    btn = w.findChild(QPushButton, name)
    assert btn is not None, name
    qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)


def test_kiosk_tap_service_issues_ticket(
    qtbot,
    kiosk: KioskWindow,
    service: QueueService,  # type: ignore[no-untyped-def]
    printer: FakeTicketPrinter,
) -> None:
    service.confirm_printed(service.reserve_ticket("ho_tich").id)
    tap(qtbot, kiosk, "idle_button")
    assert kiosk.stack.currentIndex() == PAGE_SERVICES
    tap(qtbot, kiosk, "service_ho_tich")
    qtbot.waitUntil(lambda: kiosk.stack.currentIndex() == PAGE_RESULT)
    assert kiosk.result_number.text() == "A002"
    assert kiosk.result_ahead.text() == "Có 1 người đang chờ trước bạn."
    assert printer.jobs[-1].number == "A002"
    assert service.status().queues[0].waiting == 2
    tap(qtbot, kiosk, "done_button")
    assert kiosk.stack.currentIndex() == 0


def test_kiosk_priority_flow(qtbot, kiosk: KioskWindow) -> None:  # type: ignore[no-untyped-def]
    tap(qtbot, kiosk, "idle_button")
    tap(qtbot, kiosk, "priority_button")
    tap(qtbot, kiosk, "reason_pregnant")
    assert "Phụ nữ mang thai" in kiosk.priority_banner.text() and kiosk.priority_banner.isVisible()
    tap(qtbot, kiosk, "service_chung_thuc")
    qtbot.waitUntil(lambda: kiosk.stack.currentIndex() == PAGE_RESULT)
    assert kiosk.result_ahead.text() == "Bạn là người tiếp theo."
    assert kiosk.last_result is not None and kiosk.last_result.ticket.priority_reason == "pregnant"
    assert not kiosk.priority_banner.isVisible()


def test_kiosk_printer_failure_then_reprint(
    qtbot,
    kiosk: KioskWindow,
    service: QueueService,  # type: ignore[no-untyped-def]
    printer: FakeTicketPrinter,
) -> None:
    printer.fail_next = paper_out()
    tap(qtbot, kiosk, "idle_button")
    tap(qtbot, kiosk, "service_dat_dai")
    qtbot.waitUntil(lambda: kiosk.stack.currentIndex() == PAGE_ERROR)
    assert "hết giấy" in kiosk.error_text.text()
    assert "C001 chưa được phát" in kiosk.error_hint.text()
    assert kiosk.reprint_button.isVisible() and kiosk.reprint_button.text() == "In lại"
    assert service.status().queues[2].waiting == 0  # no phantom ticket
    tap(qtbot, kiosk, "reprint_button")
    qtbot.waitUntil(lambda: kiosk.stack.currentIndex() == PAGE_RESULT)
    assert kiosk.result_number.text() == "C001"
    assert service.status().queues[2].waiting == 1


def test_kiosk_close_needs_pin(qtbot, kiosk: KioskWindow) -> None:  # type: ignore[no-untyped-def]
    kiosk.close()
    assert kiosk.isVisible()
    dlg = kiosk.pin_dialog
    assert dlg is not None and dlg.isVisible()
    type_text(dlg.edit, "1111")
    dlg.accept()
    qtbot.waitUntil(lambda: dlg.error.text() == "Sai mã PIN.")
    assert kiosk.isVisible()
    dlg.reject()
    QTest.keyClick(kiosk, Qt.Key.Key_Escape)
    dlg = kiosk.pin_dialog
    assert dlg is not None and dlg.isVisible()
    type_text(dlg.edit, "2468")
    QTest.keyClick(dlg.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not kiosk.isVisible())


@pytest.fixture
def panel(qtbot, service: QueueService) -> CallingPanel:  # type: ignore[no-untyped-def]
    p = CallingPanel(LocalQueueClient(service), 1, "canbo1", poll_ms=0)
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    p.activateWindow()
    qtbot.waitUntil(lambda: p.config is not None)
    return p


def test_panel_f5_calls_next_and_shows_ticket(qtbot, panel: CallingPanel, service: QueueService) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        service.confirm_printed(service.reserve_ticket("ho_tich").id)
    panel.refresh()
    qtbot.waitUntil(lambda: "<b>2</b> người chờ" in panel.queues_label.text())
    QTest.keyClick(panel, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: panel.number_label.text() == "A001")
    assert "Đã gọi" in panel.detail_label.text()
    qtbot.waitUntil(lambda: "<b>1</b> người chờ" in panel.queues_label.text())
    QTest.keyClick(panel, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.state == TicketState.SERVING)
    with qtbot.waitSignal(panel.receiveDossierRequested) as blocker:
        qtbot.mouseClick(panel.receive_btn, Qt.MouseButton.LeftButton)
    assert blocker.args[0]["label"] == "A001" and blocker.args[0]["service_id"] == "ho_tich"
    panel.link_dossier("hs-123")
    qtbot.waitUntil(lambda: "Đã gắn hồ sơ" in panel.message.text())
    QTest.keyClick(panel, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: panel.current is None)
    t = service.events_since(0)[-1]
    assert t.kind == "finished" and t.officer == "canbo1"
    assert service.ticket(t.ticket_id).dossier_ids == ["hs-123"]


def test_panel_no_show_recall_and_transfer(qtbot, panel: CallingPanel, service: QueueService) -> None:  # type: ignore[no-untyped-def]
    service.confirm_printed(service.reserve_ticket("ho_tich").id)
    QTest.keyClick(panel, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: panel.number_label.text() == "A001")
    QTest.keyClick(panel, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: panel.current is None and panel.last_no_show is not None)
    assert panel.buttons["recall"].isEnabled()
    QTest.keyClick(panel, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.state == TicketState.RECALLED)
    QTest.keyClick(panel, Qt.Key.Key_F8)
    qtbot.waitUntil(
        lambda: getattr(panel, "transfer_dialog", None) is not None and panel.transfer_dialog.isVisible()
    )
    dlg = panel.transfer_dialog
    dlg.queue_box.setCurrentIndex(dlg.queue_box.findData("B"))
    dlg._accept()
    qtbot.waitUntil(lambda: panel.current is None and "Đã chuyển số A001" in panel.message.text())
    t = service.status()
    assert t.queues[1].waiting == 1


@pytest.mark.expect_errors  # ui/workers.py logs every failed background call at ERROR
def test_panel_shows_lost_connection_immediately(qtbot) -> None:  # type: ignore[no-untyped-def]
    client = QueueClient(f"http://127.0.0.1:{free_port()}", "mot-cua-2026-secret")
    p = CallingPanel(client, 1, "canbo1", poll_ms=0)
    qtbot.addWidget(p)
    p.show()
    qtbot.waitUntil(lambda: p.banner.isVisible(), timeout=2000)
    assert LOST_CONNECTION in p.banner.text()
    p.call_next()
    qtbot.waitUntil(lambda: not p._busy, timeout=2000)
    assert p.banner.isVisible() and p.buttons["call_next"].isEnabled()
    client.close()


def test_tv_display_highlights_and_announces_new_calls(qtbot, service: QueueService) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        service.confirm_printed(service.reserve_ticket("ho_tich").id)
    service.call_next(1, "an")  # before the TV opened: shown, not spoken
    announcer, board = FakeAnnouncer(), FakeBoard()
    tv = TvDisplayWindow(LocalQueueClient(service), announcer, board=board, poll_ms=0, flash_ms=1000)
    qtbot.addWidget(tv)
    tv.show()
    qtbot.waitUntil(lambda: tv.last_seq is not None)
    assert "A001" in tv.highlight_text.text() and announcer.calls == []
    service.call_next(4, "binh")
    service.call_next(1, "an")
    tv.poll()
    qtbot.waitUntil(lambda: len(announcer.calls) == 2)
    assert [(c.ticket_number, c.counter_no) for c in announcer.calls] == [("A002", 4), ("A003", 1)]
    assert board.calls == announcer.calls
    assert tv.highlight_text.text() == "Mời số A003  →  Quầy 1"
    assert tv._flash_timer.isActive()
    tv.poll()
    qtbot.wait(100)
    assert len(announcer.calls) == 2  # nothing new, nothing spoken
    qtbot.waitUntil(lambda: not tv._flash_timer.isActive(), timeout=3000)


def test_kiosk_returns_to_idle_screen(qtbot, kiosk: KioskWindow) -> None:  # type: ignore[no-untyped-def]
    kiosk.idle_timer.setInterval(50)
    tap(qtbot, kiosk, "idle_button")
    assert kiosk.stack.currentIndex() == PAGE_SERVICES
    qtbot.waitUntil(lambda: kiosk.stack.currentIndex() == 0, timeout=2000)
