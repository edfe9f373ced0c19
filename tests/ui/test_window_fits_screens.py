"""The counter window and the TV display fit the screens offices have (issue 11, item 2).

A maximised window on a 1366×768 screen has about 1366×700 for its client area (a
40-px taskbar and a 28-px title bar); on 1280×720 about 1280×652. Each key widget
must be shown whole: visible, not clipped by its parents, inside the window.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget

from desk_app.domain.lifecycle import Status
from tests.helpers.fakes import birth_request

pytestmark = pytest.mark.gui

OFFICE_SCREENS = {"1366x768": (1366, 700), "1280x720": (1280, 652)}


def whole(widget: QWidget, window: QWidget) -> str:
    """'' when the widget is entirely on screen inside the window, else what is wrong."""
    name = widget.objectName() or type(widget).__name__
    if not widget.isVisible():
        return f"{name} hidden"
    if widget.visibleRegion().boundingRect() != widget.rect():
        return f"{name} clipped: {widget.visibleRegion().boundingRect()} of {widget.rect()}"
    top_left = widget.mapTo(window, widget.rect().topLeft())
    if not window.rect().contains(QRect(top_left, widget.size())):
        return f"{name} outside the window at {top_left}"
    if (
        widget.width() < widget.minimumSizeHint().width()
        or widget.height() < widget.minimumSizeHint().height()
    ):
        return f"{name} squeezed below its minimum {widget.minimumSizeHint()}"
    return ""


def resize(qtbot: Any, window: QWidget, size: tuple[int, int]) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=2000)


@pytest.mark.parametrize("screen", list(OFFICE_SCREENS))
def test_counter_window_fits_office_screens(window: Any, qtbot: Any, app: Any, screen: str) -> None:
    size = OFFICE_SCREENS[screen]
    hint = window.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint  # was 1584×688 (784 on F4)
    resize(qtbot, window, size)
    panel = window.queue_panel
    assert panel.compact  # the queue panel's narrow layout below 1600 px
    always = [
        window.header,
        window.tabs.tabBar(),
        window.sync_label,
        window.tiles["overdue"],
        panel.number_label,
        panel.officer_label,
        *panel.buttons.values(),
        panel.receive_btn,
        panel.walk_in_btn,
        panel.queues_label,
    ]
    problems = [p for w in always if (p := whole(w, window))]
    assert not problems, problems
    assert panel.officer_label.text() == "Cán bộ: Nguyễn Thị Hồng Nhung"  # the full name, not "canbo1"

    # F3: every filter and the status column on screen
    window.show_find()
    find = window.find
    qtbot.waitUntil(lambda: find.isVisible(), timeout=2000)
    widgets = [
        find.search,
        find.status_filter,
        find.officer_filter,
        find.overdue,
        find.view,
        find.count_label,
    ]
    problems = [p for w in widgets if (p := whole(w, window))]
    assert not problems, problems
    from ui.dossier_list import COL_DUE, COL_STATUS

    header = find.view.horizontalHeader()
    for col in (COL_STATUS, COL_DUE):
        assert header.sectionViewportPosition(col) + header.sectionSize(col) <= find.view.viewport().width()

    # F4 on a dossier: actions, data, timeline and the status strip below them
    dossier = app.intake.receive("canbo1", birth_request())
    window.open_dossier(dossier.code)
    detail = window.detail
    qtbot.waitUntil(lambda: detail.state is not None and detail.state.status is Status.RECEIVED, timeout=5000)
    qtbot.waitUntil(lambda: all(b.isVisible() for b in detail.action_buttons.values()), timeout=2000)
    widgets = [
        *detail.action_buttons.values(),
        detail.info_labels["applicant"],
        detail.info_labels["due"],
        detail.timeline,
        window.statusBar(),
        window.sync_label,
    ]
    problems = [p for w in widgets if (p := whole(w, window))]
    assert not problems, problems


def test_wide_screen_keeps_the_full_queue_panel(window: Any, qtbot: Any) -> None:
    resize(qtbot, window, (1920, 1010))
    assert not window.queue_panel.compact
    assert window.queue_panel.buttons["call_next"].text() == "Gọi số tiếp\n(F5)"
    resize(qtbot, window, (1366, 700))
    assert window.queue_panel.buttons["call_next"].text() == "Gọi số tiếp (F5)"


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1920, 1080), (3840, 2160)])
def test_tv_display_scales_to_the_screen(
    qtbot: Any, tmp_path: Any, clock: Any, size: tuple[int, int]
) -> None:
    from desk_app.queue.service import LocalQueueClient, QueueService
    from desk_app.store.db import Database
    from ui.tv_display import TvDisplayWindow

    db = Database(tmp_path / "tv.sqlite3")
    try:
        service = QueueService(db, clock)
        for counter, service_id in ((1, "ho_tich"), (2, "chung_thuc"), (3, "dat_dai"), (4, "khac")):
            service.confirm_printed(service.reserve_ticket(service_id).id)
            service.call_next(counter, "canbo1")
        tv = TvDisplayWindow(
            LocalQueueClient(service), None, poll_ms=0, clock=clock, title="UBND xã Vĩnh Lương"
        )
        qtbot.addWidget(tv)
        tv.show()
        qtbot.waitUntil(lambda: "Mời số" in tv.highlight_text.text(), timeout=5000)
        resize(qtbot, tv, size)  # was pinned to at least 1767×814
        labels = [tv.title, tv.clock_label, tv.highlight_text, tv.serving_title, tv.recent_title, tv.footer]

        def grids() -> list[QWidget]:
            return [
                grid.itemAt(i).widget()
                for grid in (tv.recent_grid, tv.counter_grid)
                for i in range(grid.count())
            ]

        qtbot.waitUntil(lambda: len(grids()) == 24 and all(w.isVisible() for w in grids()), timeout=2000)
        labels += grids()
        problems = [p for w in labels if (p := whole(w, tv))]
        assert not problems, problems
        assert abs(tv.scale - min(size[0] / 1920, size[1] / 1080)) < 0.02
        tv.close()
    finally:
        db.close()
