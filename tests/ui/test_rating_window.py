"""The rating screen facing the citizen, asked after a return at the counter (issue 15, item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from desk_app.domain.lifecycle import EventKind, RatingLevel, Status
from tests.helpers.fakes import birth_request
from tests.ui.keys import press, type_text
from tests.ui.test_counter_window import act, wait_status

pytestmark = pytest.mark.gui


@pytest.fixture
def rating_screen(app: Any) -> Any:
    from ui.rating import META_RATING_SCREEN, META_RATING_VOICE, close_rating_window

    with app.station.uow() as uow:
        uow.meta.set_json(META_RATING_SCREEN, True)
        uow.meta.set_json(META_RATING_VOICE, False)  # no audio device here
        uow.commit()
    yield
    close_rating_window()


def test_return_at_the_counter_asks_the_citizen_and_stores_the_rating(
    window: Any, qtbot: Any, app: Any, rating_screen: Any, tmp_path: Any
) -> None:
    from ui import rating

    code = app.intake.receive("canbo1", birth_request()).code
    app.workflow.act("canbo1", code, EventKind.RESULT_READY, result="Giấy khai sinh")
    window.detail.open_code(code)
    wait_status(qtbot, window, Status.RESULT_READY.label)
    dialog = act(qtbot, window, EventKind.RETURNED)
    # (not ``confirm``: the offscreen platform activates the rating window when it shows)
    press(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: Status.RETURNED.label in window.detail.header.text(), timeout=5000)

    qtbot.waitUntil(lambda: rating._window is not None and rating._window.asking, timeout=5000)
    screen = rating._window
    assert screen is not None and screen.isVisible() and code in screen.subject.text()
    screen.resize(800, 480)
    screen.grab().save(str(tmp_path / "rating.png"))
    qtbot.mouseClick(screen.buttons[RatingLevel.DISSATISFIED], Qt.MouseButton.LeftButton)
    assert screen.stack.currentIndex() == 2
    screen.reasons["Phải chờ đợi lâu"].setChecked(True)
    type_text(screen.comment, "Chờ hơi lâu ở quầy")
    with qtbot.waitSignal(screen.rated, timeout=5000) as signal:
        qtbot.mouseClick(screen.send, Qt.MouseButton.LeftButton)
    assert not screen.asking and "Cảm ơn" in screen.idle.text()

    _d, events, state = app.workflow.state(code)
    assert events[-1].id == signal.args[0].id and events[-1].kind is EventKind.RATED
    assert events[-1].payload["level"] == "khong_hai_long"
    assert events[-1].payload["reasons"] == ["Phải chờ đợi lâu"]
    assert events[-1].payload["comment"] == "Chờ hơi lâu ở quầy"
    assert events[-1].payload["source"] == "counter"
    assert state.status is Status.RETURNED  # the rating is no step of the dossier
    with app.station.uow(write=False) as uow:  # queued for the server like every event
        assert events[-1].id in {row.id for row in uow.outbox.pending(100)}
    # staff see the rating in the dossier's history; the officer's actions stay the same
    window.detail.open_code(code)
    qtbot.waitUntil(lambda: window.detail.timeline.topLevelItemCount() == len(events), timeout=5000)
    last = window.detail.timeline.topLevelItem(len(events) - 1)
    assert [last.text(c) for c in (1, 2, 3)] == [
        "Công dân",
        "Công dân đánh giá mức độ hài lòng",
        "Không hài lòng – Phải chờ đợi lâu. Ý kiến: Chờ hơi lâu ở quầy",
    ]
    assert list(window.detail.action_buttons) == [EventKind.NOTE]


def test_no_answer_times_out_without_recording(qtbot: Any, app: Any) -> None:
    from ui.rating import RatingWindow

    code = app.intake.receive("canbo1", birth_request()).code
    screen = RatingWindow(app, timeout_s=1, voice=False)
    qtbot.addWidget(screen)
    with qtbot.waitSignal(screen.timedOut, timeout=5000):
        screen.ask(code)
        assert screen.asking
    assert not screen.asking
    assert app.ratings.of_dossier(code) == []


def test_without_the_setting_the_counter_does_not_ask(qtbot: Any, app: Any) -> None:
    from ui import rating
    from ui.workers import tracker  # noqa: F401 - the lookup runs in a worker

    rating.ask_rating(app, "000.21.31.H56-261125-0001")
    qtbot.wait(300)
    assert rating._window is None


def test_a_finished_visit_without_a_dossier_is_rated_in_the_queue_log(
    qtbot: Any, app: Any, rating_screen: Any
) -> None:
    from sqlalchemy import text

    from desk_app.queue.service import LocalQueueClient, QueueService
    from ui import rating

    queue = LocalQueueClient(QueueService(app.db, app.station.clock, app.station.device_id))
    ticket = queue.walk_in(1, "canbo1")
    finished = queue.finish(ticket.id, 1, "canbo1")
    rating.ask_after_ticket(app, finished, queue)
    qtbot.waitUntil(lambda: rating._window is not None and rating._window.asking, timeout=5000)
    screen = rating._window
    assert screen is not None and screen.subject.text() == "Lượt phục vụ tại quầy"
    qtbot.mouseClick(screen.buttons[RatingLevel.VERY_SATISFIED], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(screen.rated, timeout=5000):
        qtbot.mouseClick(screen.send, Qt.MouseButton.LeftButton)
    with app.db.read() as conn:
        rows = conn.execute(
            text("SELECT kind, officer, payload FROM queue_events WHERE ticket_id = :t ORDER BY seq"),
            {"t": ticket.id},
        ).all()
        synced = conn.execute(text("SELECT count(*) FROM outbox WHERE kind = 'ticket_event'")).scalar()
    assert rows[-1].kind == "rated" and rows[-1].officer == "cong_dan"
    assert '"level": "rat_hai_long"' in rows[-1].payload or '"level":"rat_hai_long"' in rows[-1].payload
    assert synced == len(rows)  # each queue event, the rating too, is queued for the server


def test_the_rating_role_turns_the_screen_on(qtbot: Any, app: Any) -> None:
    from desk_app.roles import load_device_settings, save_device_settings
    from ui import rating

    assert rating._settings(app) == (False, True)
    settings = load_device_settings(app)
    save_device_settings(app, settings.replace(roles=(*settings.roles, "rating")))
    assert rating._settings(app) == (True, True)
