"""The demo's one PC calls every kiosk queue; F5 with nobody to call says who waits where;
the panel shows the officer's full name (issue 11, item 6)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desk_app.queue.service import LocalQueueClient, QueueService
from desk_app.services.demo import one_pc_office_queues
from ui.queue_panel import CallingPanel


def test_one_pc_demo_counter_calls_every_queue_the_kiosk_offers(service: QueueService) -> None:
    b = service.confirm_printed(service.reserve_ticket("chung_thuc").id)
    assert service.call_next(1, "canbo1") is None  # the sample counters: 1 calls only A
    offered = one_pc_office_queues(service)
    assert offered == sorted({s.queue_code for s in service.config().services}) == ["A", "B", "C", "D"]
    called = service.call_next(1, "canbo1")
    assert called is not None and called.id == b.id
    assert one_pc_office_queues(service) == offered  # idempotent
    assert all(c.queue_codes == offered for c in service.config().counters)


@pytest.fixture
def panel(qtbot: Any, service: QueueService) -> CallingPanel:
    p = CallingPanel(LocalQueueClient(service), 1, "canbo1", poll_ms=0, officer_name="Nguyễn Thị Hồng Nhung")
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    p.activateWindow()
    qtbot.waitUntil(lambda: p.config is not None)
    return p


def test_f5_with_nobody_for_this_counter_names_the_queues_that_wait(
    qtbot: Any, panel: CallingPanel, service: QueueService
) -> None:
    assert panel.officer_label.text() == "Cán bộ: Nguyễn Thị Hồng Nhung"
    for _ in range(2):
        service.confirm_printed(service.reserve_ticket("chung_thuc").id)
    QTest.keyClick(panel, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "hàng đợi khác" in panel.message.text(), timeout=5000)
    text = panel.message.text()
    assert text.startswith("Không còn ai chờ ở hàng đợi của quầy này (A).")
    assert "B Chứng thực: 2 người, do Quầy 2, Quầy 4 phục vụ" in text
    assert panel.current is None


def test_f5_with_nobody_anywhere_says_so_plainly(qtbot: Any, panel: CallingPanel) -> None:
    QTest.keyClick(panel, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: panel.message.text() not in ("Đang gọi số…", ""), timeout=5000)
    assert panel.message.text() == "Không còn ai đang chờ ở các hàng đợi của quầy này."
