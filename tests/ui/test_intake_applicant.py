"""The intake form never overwrites what the officer typed, and catches every slip with the right message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desk_app.domain.errors import InputErrors
from tests.helpers.fakes import birth_request
from tests.ui.keys import focused, press, type_text

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier


def receive_dung(app: Any) -> Any:
    req = birth_request()
    req.applicant.phone = "0912345678"
    return app.intake.receive("canbo1", req)


def pick_procedure(form: Any, words: str = "khai sinh") -> None:
    form.proc_search.setFocus()
    type_text(form.proc_search, words)
    press(None, Qt.Key.Key_Return)
    assert form.procedure is not None


def test_phone_match_is_only_offered_never_overwrites(window: Any, qtbot: Any, app: Any) -> None:
    """The issue's scenario: Bình shares Dũng's phone; her typed details must stay hers."""
    receive_dung(app)
    form = window.intake
    press(form.proc_search, Qt.Key.Key_N, CTRL)  # clean form: no question
    assert not getattr(form, "discard_box", None) or not form.discard_box.isVisible()
    pick_procedure(form)
    assert focused() is form.full_name
    type_text(None, "Trần Thị Bình")
    form.id_number.setFocus()
    type_text(None, "001185012345")
    form.birth_date.setFocus()
    type_text(None, "17/05/1985")
    form.phone.setFocus()
    type_text(None, "0912345678")
    press(None, Qt.Key.Key_Tab)
    # The look-up answered (old code: a green note after overwriting; now: the offer).
    qtbot.waitUntil(
        lambda: bool(form.returning.text()) or (hasattr(form, "suggestion") and form.suggestion.isVisible()),
        timeout=5000,
    )
    assert form.full_name.text() == "Trần Thị Bình"
    assert form.id_number.text() == "001185012345"
    assert form.birth_date.text() == "17/05/1985"
    assert form.street.text() == ""
    assert form.suggestion.isVisible()
    assert "Người đã nộp trước với số điện thoại này" in form.suggestion_text.text()
    assert "Nguyễn Văn Dũng" in form.suggestion_text.text()
    assert "Ctrl+U" in form.suggestion_text.text()
    # The officer ignores the offer and saves: the dossier is Bình's.
    form.mark_all_received()
    press(form.phone, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "Trần Thị Bình" in form.last_saved.text(), timeout=5000)


def test_phone_suggestion_accepted_with_one_key(window: Any, qtbot: Any, app: Any) -> None:
    receive_dung(app)
    form = window.intake
    form.phone.setFocus()
    before = [w.geometry() for w in (form.full_name, form.phone, form.email, form.street)]
    type_text(None, "0912345678")
    qtbot.waitUntil(lambda: form.suggestion.isVisible(), timeout=5000)
    form.layout().activate()
    assert [w.geometry() for w in (form.full_name, form.phone, form.email, form.street)] == before
    assert form.full_name.text() == ""
    press(None, Qt.Key.Key_U, CTRL)
    assert not form.suggestion.isVisible()
    assert form.full_name.text() == "Nguyễn Văn Dũng"
    assert form.id_number.text() == "056090001234"
    assert form.birth_date.text() == "17/05/1990"
    note = form.returning.text()
    assert "Nguyễn Văn Dũng" in note
    assert "họ và tên, số giấy tờ, ngày sinh" in note and "điện thoại" not in note


def test_phone_suggestion_goes_away_when_the_phone_changes(window: Any, qtbot: Any, app: Any) -> None:
    receive_dung(app)
    form = window.intake
    form.phone.setFocus()
    type_text(None, "0912345678")
    qtbot.waitUntil(lambda: form.suggestion.isVisible(), timeout=5000)
    press(None, Qt.Key.Key_Backspace)
    assert not form.suggestion.isVisible()
    press(None, Qt.Key.Key_U, CTRL)
    assert form.full_name.text() == ""


def test_id_match_fills_only_empty_fields_and_names_them(window: Any, qtbot: Any, app: Any) -> None:
    receive_dung(app)
    form = window.intake
    form.full_name.setFocus()
    type_text(None, "Nguyễn Văn Dũng Em")  # typed differently on purpose: must stay
    form.phone.setFocus()
    type_text(None, "0987654321")
    form.id_number.setFocus()
    type_text(None, "056090001234")
    qtbot.waitUntil(lambda: "đã từng nộp hồ sơ" in form.returning.text(), timeout=5000)
    assert form.full_name.text() == "Nguyễn Văn Dũng Em"
    assert form.phone.text() == "0987654321"
    assert form.birth_date.text() == "17/05/1990"
    assert form.street.text() == "Thôn Văn Đăng"
    note = form.returning.text()
    assert "đã điền ngày sinh, địa chỉ" in note
    assert "họ và tên" not in note and "điện thoại" not in note
    assert "giữ nguyên" in note
    assert "ghi tên “Nguyễn Văn Dũng”, khác tên đang nhập" in note


# -- item 3: slips and messages ------------------------------------------------------------------


def test_birth_date_in_the_future_is_refused_by_form_and_service(window: Any, app: Any) -> None:
    form = window.intake
    form.birth_date.setFocus()
    type_text(None, "01/01/2027")  # the clock says 25/11/2026
    press(None, Qt.Key.Key_Tab)
    assert form.err["birth_date"].isVisible()
    assert "ở tương lai" in form.err["birth_date"].text()
    req = birth_request()
    req.applicant.birth_date = dt.date(2027, 1, 1)
    with pytest.raises(InputErrors) as caught:
        app.intake.receive("canbo1", req)
    assert "ở tương lai" in caught.value.errors["birth_date"]
    assert "id_number" not in caught.value.errors


def test_impossible_date_says_it_does_not_exist(window: Any) -> None:
    form = window.intake
    form.birth_date.setFocus()
    type_text(None, "31/02/1990")
    press(None, Qt.Key.Key_Tab)
    message = form.err["birth_date"].text()
    assert "không có thật" in message and "28 ngày" in message
    assert "phải có dạng" not in message


def test_birth_year_2030_blames_the_birth_date_not_the_cccd(window: Any) -> None:
    form = window.intake
    form.id_number.setFocus()
    type_text(None, "001185012345")
    form.birth_date.setFocus()
    type_text(None, "17/05/2030")
    press(None, Qt.Key.Key_Tab)
    assert "ở tương lai" in form.err["birth_date"].text()
    assert form.err["id_number"].text() == ""
    assert form._local_errors().get("id_number") is None


def test_lower_case_name_is_capitalised_on_leaving_the_field(window: Any) -> None:
    form = window.intake
    form.full_name.setFocus()
    type_text(None, "le van minh")
    press(None, Qt.Key.Key_Tab)
    assert form.full_name.text() == "Le Van Minh"
    assert form.err["full_name"].is_note and "Le Van Minh" in form.err["full_name"].text()
    form.full_name.setFocus()
    press(None, Qt.Key.Key_Z, CTRL)  # the officer meant it: undo
    assert form.full_name.text() == "le van minh"
    form.full_name.selectAll()
    type_text(None, "đặng thị ánh")
    press(None, Qt.Key.Key_Tab)
    assert form.full_name.text() == "Đặng Thị Ánh"
    form.full_name.setFocus()
    form.full_name.selectAll()
    type_text(None, "NGUYỄN VĂN A")  # capitals are the officer's choice
    press(None, Qt.Key.Key_Tab)
    assert form.full_name.text() == "NGUYỄN VĂN A"


def test_error_lines_do_not_move_the_fields_below(window: Any) -> None:
    form = window.intake
    below = [form.birth_date, form.phone, form.email, form.province, form.street]
    before = [w.geometry() for w in below]
    form.full_name.setFocus()
    type_text(None, "Lê 3")
    press(None, Qt.Key.Key_Tab)
    form.id_number.setFocus()
    type_text(None, "99")
    press(None, Qt.Key.Key_Tab)
    assert form.err["full_name"].isVisible() and form.err["id_number"].isVisible()
    form.layout().activate()
    assert [w.geometry() for w in below] == before
    form.phone.setFocus()
    type_text(None, "0123456789")
    assert form.err["phone"].isVisible()
    assert [w.geometry() for w in below[2:]] == before[2:]


# -- item 4 (first part): nothing lost by accident ----------------------------------------------


def test_ctrl_n_asks_before_wiping_and_enter_keeps(window: Any, qtbot: Any) -> None:
    form = window.intake
    pick_procedure(form)
    type_text(None, "Trần Thị Bình")
    press(None, Qt.Key.Key_N, CTRL)
    box = form.discard_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    assert "Trần Thị Bình" in box.text()
    press(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=2000)
    assert form.full_name.text() == "Trần Thị Bình" and form.procedure is not None
    # Escape keeps it too; the explicit button wipes it.
    form.full_name.setFocus()
    press(None, Qt.Key.Key_N, CTRL)
    box = form.discard_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    box.button_discard.click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=2000)
    assert form.full_name.text() == "" and form.procedure is None


def test_queue_receive_button_asks_before_wiping(window: Any, qtbot: Any) -> None:
    form = window.intake
    form.phone.setFocus()
    type_text(None, "0905")
    window._receive_from_ticket({"ticket_id": "t-1", "full_name": "Lê Văn Nam", "label": "A012"})
    box = form.discard_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    press(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=2000)
    assert form.phone.text() == "0905" and form.full_name.text() == "" and form.ticket_id == ""
    window._receive_from_ticket({"ticket_id": "t-1", "full_name": "Lê Văn Nam", "label": "A012"})
    box = form.discard_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    box.button_discard.click()
    qtbot.waitUntil(lambda: form.full_name.text() == "Lê Văn Nam", timeout=2000)
    assert form.phone.text() == "" and form.ticket_id == "t-1"


# -- item 10: settle on the spot -----------------------------------------------------------------


def test_settle_on_the_spot_with_one_confirmation(window: Any, qtbot: Any, app: Any, printed: Any) -> None:
    from desk_app.domain.lifecycle import EventKind, Status

    form = window.intake
    pick_procedure(form, "xac nhan tinh trang hon nhan")  # 3 working days: not on the spot
    assert not form.settle_button.isEnabled()
    type_text(None, "Lê Thị Hoa")
    form.id_kind.setCurrentIndex(form.id_kind.findData("none"))
    press(form.full_name, Qt.Key.Key_G, CTRL)  # the key says why instead of doing nothing
    assert "không giải quyết ngay tại quầy" in form.err_procedure.text()
    assert not hasattr(form, "settle_box")
    form.clear()
    pick_procedure(form, "chung thuc ban sao")
    assert form.err_procedure.text() == ""
    assert form.settle_button.isEnabled()
    form.copies.setValue(2)
    form.pages.setValue(5)
    type_text(None, "Lê Thị Hoa")
    form.id_kind.setCurrentIndex(form.id_kind.findData("none"))
    form.mark_all_received()
    press(form.full_name, Qt.Key.Key_G, CTRL)
    box = form.settle_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    assert "Lê Thị Hoa" in box.text() and "14.000 đ" in box.informativeText()
    press(box, Qt.Key.Key_Escape)  # back: nothing recorded
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=2000)
    assert form.full_name.text() == "Lê Thị Hoa" and not printed.calls
    press(form.full_name, Qt.Key.Key_G, CTRL)
    box = form.settle_box
    qtbot.waitUntil(box.isVisible, timeout=2000)
    press(box, Qt.Key.Key_Return)  # the one confirmation
    qtbot.waitUntil(lambda: bool(printed.calls), timeout=5000)
    form_name, code = printed.calls[-1]
    assert form_name == "receipt"
    assert "Đã giải quyết ngay và trả kết quả hồ sơ" in form.last_saved.text()
    assert "đã thu 14.000 đ" in form.last_saved.text()
    _d, events, state = app.workflow.state(code)
    assert [e.kind for e in events] == [EventKind.RECEIVED, EventKind.RESULT_READY, EventKind.RETURNED]
    assert state.status is Status.RETURNED
    assert form.full_name.text() == ""  # ready for the next citizen
