"""The counter window driven with the keyboard (and a few clicks), end to end on a real station DB."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableWidget

from desk_app.domain.lifecycle import EventKind, Status
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import birth_request
from tests.ui.conftest import login
from tests.ui.keys import focused, press, scan, type_text

pytestmark = pytest.mark.gui

CODE_1 = "000.21.31.H56-261125-0001"


def wait_status(qtbot: Any, window: Any, label: str) -> None:
    """The detail shows ``label`` and the focus is back on its first action (keyboard-first)."""
    qtbot.waitUntil(lambda: label in window.detail.header.text(), timeout=5000)
    window.activateWindow()
    qtbot.waitUntil(lambda: focused() is not None, timeout=2000)


def act(qtbot: Any, window: Any, kind: EventKind) -> Any:
    button = window.detail.action_buttons[kind]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.detail.dialog
    assert dialog is not None and dialog.kind is kind
    qtbot.waitExposed(dialog)
    return dialog


def confirm(qtbot: Any, dialog: Any) -> None:
    """Enter in the dialog; once it closed, the counter window is the active window again."""
    press(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    main = dialog.parentWidget().window()
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main, timeout=2000)


def test_login_shows_vietnamese_error_then_logs_in(qtbot: Any, app: Any) -> None:
    dialog = login(qtbot, app, "canbo1", "saimatkhau")
    qtbot.waitUntil(lambda: "không đúng" in dialog.error.text(), timeout=5000)
    assert dialog.error.text() == "Tên đăng nhập hoặc mật khẩu không đúng."
    dialog.password.clear()
    type_text(dialog.password, "canbo123")
    press(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    assert dialog.account.full_name == "Nguyễn Thị Hồng Nhung"


def test_header_and_status_strip(window: Any, qtbot: Any) -> None:
    header = window.header.text()
    assert "Trung tâm Phục vụ hành chính công xã Vĩnh Lương" in header
    assert "Quầy số 1" in header and "Nguyễn Thị Hồng Nhung" in header
    qtbot.waitUntil(lambda: "Chưa đăng ký với máy chủ" in window.sync_label.text())
    assert window.printer_label.text().startswith("Máy in")
    assert not window.settings_action.isEnabled()  # officers cannot open the settings


def test_receive_track_and_return_by_keyboard(window: Any, qtbot: Any, app: Any, printed: Any) -> None:
    form = window.intake
    assert focused() is form.proc_search
    # -- procedure by diacritic-free search, Enter picks the first hit
    type_text(None, "khai sinh")
    assert form.proc_list.currentItem().text().startswith("Đăng ký khai sinh")
    press(None, Qt.Key.Key_Return)
    assert form.procedure.name == "Đăng ký khai sinh"
    assert focused() is form.full_name
    assert form.appointment.text() == "17:00 Thứ Tư, 25/11/2026"

    # -- applicant with a bad CCCD and a bad phone
    type_text(None, "Nguyễn Văn Dũng")
    press(None, Qt.Key.Key_Tab)  # → id kind
    press(None, Qt.Key.Key_Tab)  # → CCCD
    assert focused() is form.id_number
    type_text(None, "05609000123")
    press(None, Qt.Key.Key_Tab)
    assert form.err["id_number"].isVisible()
    assert "12 chữ số" in form.err["id_number"].text()
    type_text(None, "17/05/1990")
    press(None, Qt.Key.Key_Tab)
    type_text(None, "0123456789")
    assert form.err["phone"].isVisible()  # complete length: shown while typing
    assert "Đầu số “01” không hợp lệ" in form.err["phone"].text()
    press(None, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert focused() is form.id_number  # the first bad field takes the focus
    assert app.queries.find_code(CODE_1) is None

    # -- corrected input
    form.id_number.selectAll()
    type_text(None, "056090001234")
    assert not form.err["id_number"].isVisible()
    form.phone.setFocus()
    form.phone.selectAll()
    type_text(None, "0905123456")
    assert not form.err["phone"].isVisible()
    form.province.setFocus()
    type_text(form.province.lineEdit(), "khanh hoa")
    press(None, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: form.commune.count() > 0)
    assert "Khánh Hòa" in form.province.name()
    type_text(form.commune.lineEdit(), "khanh vinh")
    form.street.setFocus()
    assert form.commune.name() == "Xã Khánh Vĩnh"
    type_text(None, "Thôn Văn Đăng")

    # -- components: Space ticks one, Ctrl+D ticks all
    form.components.setFocus()
    press(None, Qt.Key.Key_Space)
    assert "Giấy chứng sinh" in form.missing_label.text()
    press(None, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert form.missing_label.text() == ""
    press(None, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: CODE_1 in form.last_saved.text(), timeout=5000)
    assert "hẹn trả 17:00 Thứ Tư, 25/11/2026" in form.last_saved.text()
    # the preview follows once the station's "preview after save" setting was read (in a worker)
    qtbot.waitUntil(lambda: bool(printed.calls) and printed.calls[-1] == ("receipt", CODE_1), timeout=5000)
    dossier, events, state = app.workflow.state(CODE_1)
    assert dossier.applicant.full_name == "Nguyễn Văn Dũng"
    assert dossier.applicant.id_number == "056090001234"
    assert dossier.applicant.address.commune_name == "Xã Khánh Vĩnh"
    assert dossier.due_at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=VN_TZ)
    assert len(dossier.components) == 3 and state.status is Status.RECEIVED
    assert form.full_name.text() == "" and focused() is form.proc_search  # ready for the next one

    # -- a scanner burst while the focus is in the procedure box opens the dossier
    scan(CODE_1)
    wait_status(qtbot, window, Status.RECEIVED.label)
    assert window.tabs.currentWidget() is window.detail
    assert form.proc_search.text() == ""  # the scanned characters were taken back
    assert CODE_1 in window.detail.header.text()
    assert window.detail.timeline.topLevelItem(0).text(1) == "Nguyễn Thị Hồng Nhung"

    # -- hand over (the control sheet is printed)
    dialog = act(qtbot, window, EventKind.TRANSFERRED)
    type_text(dialog.fields["to_person"], "Trần Văn Hộ")
    dialog.fields["to_person"].setFocus()
    confirm(qtbot, dialog)
    wait_status(qtbot, window, Status.TRANSFERRED.label)
    assert printed.calls[-1] == ("control", CODE_1)
    assert EventKind.TRANSFERRED not in window.detail.action_buttons  # no longer offered

    # -- supplement request through the F4 menu: key 3 always means "Yêu cầu bổ sung"
    press(None, Qt.Key.Key_F4)
    menu = window.detail.menu
    qtbot.waitUntil(menu.isVisible)
    press(menu, Qt.Key.Key_3)  # fixed key: 3 is always "Yêu cầu bổ sung"
    dialog = window.detail.dialog
    assert dialog.kind is EventKind.SUPPLEMENT_REQUESTED
    qtbot.waitExposed(dialog)
    picker = dialog.fields["missing"]
    picker.list.setFocus()
    press(picker.list, Qt.Key.Key_Space)  # tick "Tờ khai…"
    type_text(picker.other, "Giấy xác nhận cư trú")
    picker.other.setFocus()
    confirm(qtbot, dialog)
    wait_status(qtbot, window, Status.SUPPLEMENT_REQUESTED.label)
    assert printed.calls[-1] == ("supplement", CODE_1)
    _d, events, _s = app.workflow.state(CODE_1)
    missing = [m["name"] for m in events[-1].payload["missing"]]
    assert missing == ["Tờ khai đăng ký khai sinh", "Giấy xác nhận cư trú"]

    # -- supplemented, result ready, returned at the desk
    dialog = act(qtbot, window, EventKind.SUPPLEMENTED)
    type_text(dialog.fields["note"], "Đã nộp đủ")
    confirm(qtbot, dialog)
    wait_status(qtbot, window, Status.SUPPLEMENTED.label)
    dialog = act(qtbot, window, EventKind.RESULT_READY)
    confirm(qtbot, dialog)
    wait_status(qtbot, window, Status.RESULT_READY.label)
    dialog = act(qtbot, window, EventKind.RETURNED)
    assert not dialog.fields["tracking_number"].isEnabled()  # at the desk: no tracking number
    confirm(qtbot, dialog)
    wait_status(qtbot, window, Status.RETURNED.label)
    assert list(window.detail.action_buttons) == [EventKind.NOTE]  # a remark is always possible
    _d, events, state = app.workflow.state(CODE_1)
    assert [e.kind for e in events] == [
        EventKind.RECEIVED,
        EventKind.TRANSFERRED,
        EventKind.SUPPLEMENT_REQUESTED,
        EventKind.SUPPLEMENTED,
        EventKind.RESULT_READY,
        EventKind.RETURNED,
    ]
    assert events[1].payload == {"to": "Công chức Tư pháp - Hộ tịch", "to_person": "Trần Văn Hộ"}
    assert state.status is Status.RETURNED and not state.conflicts
    assert window.detail.timeline.topLevelItemCount() == 6
    assert window.detail.timeline.topLevelItem(5).text(4) == "Đúng hạn"


def test_scan_of_a_foreign_barcode_or_unknown_code_says_so(window: Any, qtbot: Any) -> None:
    window.show_list()
    window.find.view.setFocus()
    scan("8934567890123")
    assert window.notice.isVisible()
    assert "không phải mã hồ sơ" in window.notice.text()
    scan("000.21.31.H99-261125-0042")
    qtbot.waitUntil(
        lambda: "Không tìm thấy hồ sơ 000.21.31.H99-261125-0042" in window.notice.text(), timeout=5000
    )
    assert "thuộc cơ quan 000.21.31.H99" in window.notice.text()
    press(None, Qt.Key.Key_Escape)
    assert not window.notice.isVisible()
    # Typing fast into a text field and pressing Enter is data, not a foreign scan.
    window.show_intake()
    window.intake.id_number.setFocus()
    scan("056090001234")
    assert not window.notice.isVisible()
    assert window.intake.id_number.text() == "056090001234"


def test_fee_by_pages_and_refusal_at_intake(window: Any, qtbot: Any, app: Any, printed: Any) -> None:
    form = window.intake
    type_text(form.proc_search, "chung thuc ban sao")
    press(None, Qt.Key.Key_Return)
    assert form.procedure.name.startswith("Chứng thực bản sao")
    assert form.pages.isVisibleTo(form) and form.copies.isVisibleTo(form)
    form.copies.setValue(2)
    form.pages.setValue(5)
    assert "14.000 đ" in form.fee_label.text()  # (2×2.000 + 3×1.000) × 2 copies
    form.full_name.setFocus()
    type_text(None, "Lê Thị Hoa")
    form.id_kind.setCurrentIndex(form.id_kind.findData("none"))
    press(form.full_name, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = form.dialog
    qtbot.waitExposed(dialog)
    press(dialog, Qt.Key.Key_Return)  # no reason yet
    assert "lý do" in dialog.errors["reason"].text()
    type_text(dialog.fields["reason"], "Bản chính bị tẩy xóa, không đủ điều kiện chứng thực")
    dialog.ok.click()
    qtbot.waitUntil(lambda: bool(printed.calls) and printed.calls[-1][0] == "refusal", timeout=5000)
    code = printed.calls[-1][1]
    dossier, events, state = app.workflow.state(code)
    assert state.status is Status.REFUSED
    assert events[-1].payload["reason"] == "Bản chính bị tẩy xóa, không đủ điều kiện chứng thực"
    assert dossier.fee == 14_000


def test_extension_and_refusal_from_detail(window: Any, qtbot: Any, app: Any, printed: Any) -> None:
    first = app.intake.receive("canbo1", birth_request())
    second = app.intake.receive("canbo1", birth_request())
    # Open by typing the code in the search box (F3) and Enter.
    press(None, Qt.Key.Key_F3)
    assert focused() is window.find.search
    type_text(None, first.code)
    press(None, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: first.code in window.detail.header.text(), timeout=5000)
    dialog = act(qtbot, window, EventKind.EXTENDED)
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.errors["reason"].isVisible(), timeout=5000)
    assert dialog.errors["reason"].text() == "Phải nêu lý do chậm trễ trong văn bản xin lỗi."
    type_text(dialog.fields["reason"], "Cần xác minh thông tin với nơi cư trú cũ")
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: "đã gia hạn 1 lần" in window.detail.info_labels["due"].text(), timeout=5000)
    assert printed.calls[-1] == ("apology", first.code)
    _d, events, state = app.workflow.state(first.code)
    assert events[-1].kind is EventKind.EXTENDED
    assert state.due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=VN_TZ)  # two working days later
    assert "27/11/2026" in window.detail.info_labels["due"].text()

    window.open_dossier(second.code)
    qtbot.waitUntil(lambda: second.code in window.detail.header.text(), timeout=5000)
    dialog = act(qtbot, window, EventKind.REFUSED)
    type_text(dialog.fields["reason"], "Không thuộc thẩm quyền giải quyết")
    dialog.ok.click()
    wait_status(qtbot, window, Status.REFUSED.label)
    assert printed.calls[-1] == ("refusal", second.code)
    assert app.workflow.state(second.code)[2].status is Status.REFUSED


def test_returning_applicant_fills_the_form(window: Any, qtbot: Any, app: Any) -> None:
    app.intake.receive("canbo1", birth_request())
    form = window.intake
    form.id_number.setFocus()
    type_text(None, "056090001234")
    qtbot.waitUntil(lambda: form.full_name.text() == "Nguyễn Văn Dũng", timeout=5000)
    assert form.phone.text() == "0905123456"
    assert form.birth_date.text() == "17/05/1990"
    assert "đã từng nộp hồ sơ" in form.returning.text()


def test_list_pages_lazily_filters_and_highlights(window: Any, qtbot: Any, app: Any, clock: Any) -> None:
    reqs = []
    start = dt.datetime(2026, 11, 25, 8, 0, tzinfo=VN_TZ)
    for i in range(450):
        req = birth_request()
        if i == 7:
            req.applicant.full_name = "Phạm Thị Ánh Tuyết"
            req.applicant.id_number = "056190009999"
            req.applicant.birth_date = dt.date(1990, 1, 1)
        reqs.append((req, start - dt.timedelta(minutes=i)))
    app.intake.receive_many("canbo1", reqs)
    clock.set(dt.datetime(2026, 11, 26, 9, 0))  # yesterday's same-day dossiers are now overdue
    window.show_find()
    window.find.apply()
    model = window.find.model
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=5000)
    assert model.canFetchMore()
    window.find.view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=5000)
    window.find.view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 450, timeout=5000)
    assert not model.canFetchMore()
    qtbot.waitUntil(lambda: window.find.count_label.text() == "450 hồ sơ phù hợp", timeout=5000)
    from ui.dossier_list import COL_DUE

    index = model.index(0, COL_DUE)
    assert "quá hạn" in index.data()
    assert index.data(Qt.ItemDataRole.BackgroundRole) is not None
    # one search box: a name without diacritics, then a CCCD
    window.find.search.setFocus()
    type_text(None, "anh tuyet")
    assert window.find.search_kind.text() == "(họ tên)"
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=5000)
    assert model.rows[0].applicant_name == "Phạm Thị Ánh Tuyết"
    window.find.search.selectAll()
    type_text(None, "056190009999")
    qtbot.waitUntil(
        lambda: window.find.search_kind.text() == "(số giấy tờ)" and model.rowCount() == 1, timeout=5000
    )
    # dashboard tile: overdue list
    window.find.search.clear()
    qtbot.mouseClick(window.tiles["overdue"], Qt.MouseButton.LeftButton)
    assert window.find.overdue.isChecked()
    qtbot.waitUntil(lambda: window.find.count_label.text() == "450 hồ sơ phù hợp", timeout=5000)


def test_apology_banner_and_dashboard(window: Any, qtbot: Any, app: Any) -> None:
    app.intake.receive("canbo1", birth_request())
    window.refresh_dashboard()
    qtbot.waitUntil(lambda: window.apology_banner.isVisible(), timeout=5000)
    assert "Mẫu 04" in window.apology_text.text()
    assert window.dashboard_counts["due_today"] == 1
    assert window.tiles["received_today"].text().endswith("1")


def test_help_panel_lists_shortcuts(window: Any, qtbot: Any) -> None:
    press(None, Qt.Key.Key_F1)
    qtbot.waitUntil(
        lambda: getattr(window, "help_dialog", None) is not None and window.help_dialog.isVisible()
    )
    table = window.help_dialog.findChild(QTableWidget, "help_table")
    first_col = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert {"F1", "F2", "F3", "F4", "F5", "Ctrl+P", "Esc"} <= set(first_col)
    press(window.help_dialog, Qt.Key.Key_Escape)
    assert not window.help_dialog.isVisible()


def test_settings_for_supervisor_calendar_and_server(qtbot: Any, app: Any, printed: Any) -> None:  # noqa: ARG001
    from desk_app.domain.model import Role
    from tests.ui.conftest import open_window

    app.accounts.create("giamsat", "Lê Minh Tâm", "giamsat123", Role.SUPERVISOR)
    dialog = login(qtbot, app, "giamsat", "giamsat123")
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    window = open_window(qtbot, app, dialog.account)
    form = window.intake
    type_text(form.proc_search, "tinh trang hon nhan")
    press(None, Qt.Key.Key_Return)
    assert form.appointment.text() == "09:00 Thứ Hai, 30/11/2026"  # 3 working days
    press(None, Qt.Key.Key_F12)
    settings = window.settings_dialog
    qtbot.waitExposed(settings)
    from PySide6.QtCore import QDate

    settings.override_date.setDate(QDate(2026, 11, 27))
    settings.override_note.setText("Nghỉ bù")
    settings.add_override()  # stored in a worker
    qtbot.waitUntil(lambda: settings.overrides.rowCount() == 1, timeout=5000)
    settings.server_url.setText("https://motcua.khanhhoa.gov.vn")
    settings.enrol_code.setText("ABC-123")
    settings.counter_no.setValue(3)
    settings.save()  # written in a worker
    qtbot.waitUntil(lambda: not settings.isVisible(), timeout=5000)
    assert "Quầy số 3" in window.header.text()
    assert form.appointment.text() == "09:00 Thứ Ba, 01/12/2026"  # 27/11 is now a day off
    from desk_app.settings import ServerSettings

    assert app.settings.load().server == ServerSettings("https://motcua.khanhhoa.gov.vn", "ABC-123")
    with app.station.uow(write=False) as uow:
        assert uow.calendar.overrides()[0][1] == "off"
    window.shutdown()


def test_intake_supplement_at_the_desk(window: Any, qtbot: Any, app: Any, printed: Any) -> None:
    form = window.intake
    type_text(form.proc_search, "khai sinh")
    press(None, Qt.Key.Key_Return)
    type_text(None, "Đỗ Thị Mai")
    form.id_kind.setCurrentIndex(form.id_kind.findData("none"))
    form.components.setFocus()
    press(None, Qt.Key.Key_Space)  # only the form was brought
    press(None, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    dialog = form.dialog
    qtbot.waitExposed(dialog)
    checked = [dialog.fields["missing"].list.item(i).checkState() == Qt.CheckState.Checked for i in range(3)]
    assert checked == [False, True, True]  # preselected: what was not received
    dialog.ok.click()
    qtbot.waitUntil(lambda: bool(printed.calls) and printed.calls[-1][0] == "supplement", timeout=5000)
    assert app.workflow.state(printed.calls[-1][1])[2].status is Status.SUPPLEMENT_REQUESTED
    QTest.qWait(10)


def test_conflict_shows_both_versions(window: Any, qtbot: Any, app: Any, clock: Any) -> None:
    from desk_app.domain.lifecycle import DossierEvent
    from desk_app.ids import uuid7

    dossier = app.intake.receive("canbo1", birth_request())
    clock.advance(hours=2)
    app.workflow.act("canbo1", dossier.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    # A refusal recorded offline on another counter arrives with a later clock.
    clock.advance(minutes=5)
    with app.station.uow() as uow:
        uow.dossiers.add_event(
            DossierEvent(
                uuid7(),
                dossier.id,
                EventKind.REFUSED,
                clock(),
                "canbo1",
                "quay-2-0000-abcdef",
                app.station.hlc.now(),
                {"reason": "Hồ sơ giả mạo"},
            )
        )
        uow.dossiers.update_summary(dossier.id, has_conflict=True)
        uow.commit()
    window.open_dossier(dossier.code)
    qtbot.waitUntil(window.detail.conflict_box.isVisible, timeout=5000)
    text = window.detail.conflict_box.text()
    assert "Phiên bản đã áp dụng: <b>Đã có kết quả</b>" in text
    assert "Phiên bản xung đột: <b>Từ chối giải quyết hồ sơ</b>" in text
    assert "Hồ sơ giả mạo" in text and "abcdef" in text
    assert "xung đột" in window.detail.timeline.topLevelItem(2).text(2)
    assert Status.RESULT_READY.label in window.detail.header.text()  # the applied version rules


def test_main_demo_prefills_the_login(qapp: Any, tmp_path: Any, monkeypatch: Any) -> None:  # noqa: ARG001
    import ui.app
    from ui.login import LoginDialog

    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(ui.app, "DEMO_DOSSIERS", 5)
    seen: dict[str, Any] = {}

    def fake_exec(self: Any) -> int:
        seen["user"], seen["password"] = self.username(), self.password.text()
        return 0  # Esc: the program ends

    monkeypatch.setattr(LoginDialog, "exec", fake_exec)
    import logging

    handlers = list(logging.getLogger().handlers)
    try:
        assert ui.app.main(db_path=tmp_path / "demo.sqlite3", demo=True) == 0
    finally:
        for handler in logging.getLogger().handlers[:]:
            if handler not in handlers:
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert seen == {"user": "canbo1", "password": "canbo123"}
    from desk_app.bootstrap import open_station

    again = open_station(tmp_path / "demo.sqlite3")
    assert ui.app.has_dossiers(again) and again.station.unit.code == "000.21.31.H56"
    again.close()


def test_window_on_the_station_devices(qtbot: Any, app: Any, printed: Any) -> None:  # noqa: ARG001
    roles = pytest.importorskip("desk_app.roles")
    from ui.main_window import CounterWindow

    devices = roles.build_devices(app)
    account = next(a for a in app.accounts.list() if a.username == "canbo1")
    window = CounterWindow(app, account, devices=devices)
    qtbot.addWidget(window)
    try:
        window.show()
        window.start()
        assert window.queue_panel is not None and window.queue_dock.widget() is window.queue_panel
        qtbot.waitUntil(
            lambda: window.device_watcher is not None and window.device_watcher.last is not None, timeout=5000
        )
        assert window.serial_label.text()
    finally:
        window.shutdown()
        devices.close()
