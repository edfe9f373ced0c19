"""Hệ thống → Thông báo lỗi và đánh giá: failed notices with "Gửi lại"; ratings for supervisors only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from desk_app.domain.model import Role
from desk_app.notices.channels import SmsHttpChannel
from desk_app.notices.delivery import NoticeDeliverer
from desk_app.services.ratings import RatingsNotAllowed
from desk_app.store import schema as s
from tests.helpers.fakes import birth_request
from tests.public.test_notices import gateway_factory  # noqa: F401 - fixture


def _status(app: Any, notice_id: str) -> str:
    with app.station.uow(write=False) as uow:
        return str(uow.conn.execute(select(s.notices.c.status).where(s.notices.c.id == notice_id)).scalar())


def test_failed_notice_shows_and_retry_puts_it_back_to_pending(
    qtbot: Any,
    app: Any,
    clock: Any,
    gateway_factory: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Any,
) -> None:
    from ui.notices_ratings import NoticesRatingsDialog

    gw = gateway_factory([(400, {"error": "bad number"})])
    dossier = app.intake.receive("canbo1", birth_request(notify_channel="sms"))
    assert NoticeDeliverer(app.db, {"sms": SmsHttpChannel(gw.url)}, clock).run_once().failed == 1
    account = app.accounts.authenticate("canbo1", "canbo123")
    dialog = NoticesRatingsDialog(app, account)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.failure_table.rowCount() == 1, timeout=5000)
    table = dialog.failure_table
    assert table.item(0, 0).text() == dossier.code
    assert table.item(0, 2).text() == "Tin nhắn SMS" and table.item(0, 3).text() == "Lỗi, đã dừng"
    assert "HTTP 400" in table.item(0, 6).text()
    assert dialog.rating_table is None and dialog.tabs.count() == 1  # an officer sees no ratings
    dialog.grab().save(str(tmp_path / "notices.png"))
    assert not dialog.retry_button.isEnabled()
    table.selectRow(0)
    assert dialog.retry_button.isEnabled()
    notice_id = dialog.failures[0]["id"]
    dialog.retry_button.click()
    qtbot.waitUntil(lambda: table.rowCount() == 0, timeout=5000)
    assert _status(app, notice_id) == "pending"
    assert dialog.status.text().startswith("Đã đưa thông báo vào hàng chờ gửi lại.")


def test_ratings_show_for_a_supervisor_and_never_for_an_officer(qtbot: Any, app: Any, tmp_path: Any) -> None:
    from ui.notices_ratings import NoticesRatingsDialog

    app.accounts.create("giamsat", "Trần Văn Giám", "giamsat123", Role.SUPERVISOR, None)
    dossier = app.intake.receive("canbo1", birth_request())
    app.ratings.rate(dossier.code, "khong_hai_long", ["Phải chờ đợi lâu"], "Chờ lâu quá", source="counter")
    visit = app.queue_client.walk_in(1, "canbo1", service_id="khac")
    app.ratings.rate_visit(app.queue_client, visit.id, "rat_hai_long", source="kiosk")

    with pytest.raises(RatingsNotAllowed):
        app.ratings.recent("canbo1")
    with pytest.raises(RatingsNotAllowed):
        app.ratings.recent("nobody")

    dialog = NoticesRatingsDialog(app, app.accounts.authenticate("giamsat", "giamsat123"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.rating_table is not None
    table = dialog.rating_table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=5000)
    rows = {table.item(r, 1).text(): [table.item(r, c).text() for c in range(6)] for r in range(2)}
    assert rows[dossier.code][2:] == ["Không hài lòng", "Tại quầy", "Phải chờ đợi lâu", "Chờ lâu quá"]
    assert rows[dossier.code][0] == "09:00 25/11/2026"
    assert visit.label == ""  # a walk-in has no ticket number
    assert rows["Lượt tại quầy (không lấy số)"][2:4] == ["Rất hài lòng", "Máy lấy số"]
    assert table.editTriggers() == table.EditTrigger.NoEditTriggers  # nobody edits a rating
    dialog.tabs.setCurrentIndex(1)
    dialog.resize(1000, 400)
    dialog.grab().save(str(tmp_path / "ratings.png"))


def test_the_counter_window_opens_it_from_the_system_menu(qtbot: Any, window: Any) -> None:
    window.findChild(type(window.settings_action), "act_notices_ratings").trigger()
    dialog = window.notices_ratings_dialog
    qtbot.waitUntil(lambda: dialog.status.text() != "Đang tải…", timeout=5000)
    assert dialog.isVisible() and dialog.rating_table is None  # canbo1 is an officer
    dialog.reject()
