"""Domain rules behind the forms: the apology letter (Mẫu 04) and the one-stop body's name."""

from __future__ import annotations

import datetime as dt

import pytest

from desk_app.domain.errors import DomainError, InputErrors
from desk_app.domain.lifecycle import DossierState, EventKind, Status, decide_extension
from desk_app.domain.model import ReceivedComponent, Unit, UnitLevel, default_body_name
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import MARRIAGE_STATUS_CODE, birth_request

T = dt.datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ)  # Wednesday
END_OF_NEXT_WORKING_DAY = dt.datetime(2026, 11, 26, 23, 59, 59, tzinfo=VN_TZ)


def state(due: dt.datetime) -> DossierState:
    return DossierState(status=Status.PROCESSING, due_at=due, received_at=T - dt.timedelta(days=3))


@pytest.mark.parametrize(
    ("due", "allowed"),
    [
        (T - dt.timedelta(hours=1), True),  # overdue
        (T + dt.timedelta(hours=5), True),  # due today
        (dt.datetime(2026, 11, 26, 17, 0, tzinfo=VN_TZ), True),  # due the next working day
        (dt.datetime(2026, 11, 27, 8, 0, tzinfo=VN_TZ), False),  # two working days ahead
    ],
)
def test_apology_only_for_a_late_or_at_risk_dossier(due: dt.datetime, allowed: bool) -> None:
    new_due = due + dt.timedelta(days=7)
    if allowed:
        decide_extension(state(due), T, new_due, END_OF_NEXT_WORKING_DAY)
    else:
        with pytest.raises(DomainError, match="quá hạn hoặc sắp đến hạn"):
            decide_extension(state(due), T, new_due, END_OF_NEXT_WORKING_DAY)


def test_apology_requires_a_later_new_date() -> None:
    late = state(T - dt.timedelta(hours=1))
    with pytest.raises(DomainError, match="thời gian trả kết quả mới"):
        decide_extension(late, T, None, END_OF_NEXT_WORKING_DAY)
    with pytest.raises(DomainError, match="phải sau thời hạn"):
        decide_extension(late, T, late.due_at, END_OF_NEXT_WORKING_DAY)


def test_service_refuses_an_early_apology(app, clock) -> None:  # type: ignore[no-untyped-def]
    req = birth_request(procedure_code=MARRIAGE_STATUS_CODE)  # 3 working days: due Mon 30/11
    req.components = [
        ReceivedComponent("to_khai", "Tờ khai", originals=1),
        ReceivedComponent("giay_to_tuy_than", "Căn cước công dân", photocopies=1),
    ]
    code = app.intake.receive("canbo1", req).code
    with pytest.raises(InputErrors, match="quá hạn hoặc sắp đến hạn"):
        app.workflow.act(
            "canbo1", code, EventKind.EXTENDED, due_at=dt.date(2026, 12, 4), reason="Chờ xác minh"
        )
    clock.set(dt.datetime(2026, 11, 27, 10, 0))  # Friday: due on the next working day (Monday)
    app.workflow.act("canbo1", code, EventKind.EXTENDED, due_at=dt.date(2026, 12, 4), reason="Chờ xác minh")
    _dossier, _events, st = app.workflow.state(code)
    assert st.extensions == 1


def test_printing_an_apology_without_extension_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    from printing.printouts import render_dossier_form

    code = app.intake.receive("canbo1", birth_request()).code
    with pytest.raises(DomainError, match="Chưa có đề nghị gia hạn"):
        render_dossier_form(app, "apology", code)


def test_receipt_prints_two_copies_by_default(app) -> None:  # type: ignore[no-untyped-def]
    from printing.printouts import form_context

    code = app.intake.receive("canbo1", birth_request()).code
    assert form_context(app, "receipt", code).copies == 2
    assert form_context(app, "control", code).copies == 1


@pytest.mark.parametrize(
    ("level", "name", "body"),
    [
        (UnitLevel.XA, "UBND xã Vĩnh Lương", "Trung tâm Phục vụ hành chính công xã Vĩnh Lương"),
        (
            UnitLevel.PHUONG,
            "Ủy ban nhân dân phường Nha Trang",
            "Trung tâm Phục vụ hành chính công phường Nha Trang",
        ),
        (UnitLevel.DAC_KHU, "UBND Phú Quốc", "Trung tâm Phục vụ hành chính công đặc khu Phú Quốc"),
        (UnitLevel.TINH, "UBND tỉnh Khánh Hòa", "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa"),
        (UnitLevel.HUYEN, "UBND huyện Cam Lâm", "Bộ phận Tiếp nhận và Trả kết quả huyện Cam Lâm"),
        (UnitLevel.XA, "Trung tâm Phục vụ hành chính công xã A", "Trung tâm Phục vụ hành chính công xã A"),
    ],
)
def test_default_body_name_per_level(level: UnitLevel, name: str, body: str) -> None:
    assert default_body_name(level, name) == body
    assert Unit("000.21.31.H56", name, level=level).one_stop_body == body


def test_body_name_setting_is_stored_and_printed(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from printing.printouts import render_dossier_form
    from tests.printing.conftest import pdf_text

    app.station.set_unit(
        replace(app.station.unit, body_name="Trung tâm Phục vụ hành chính công xã Vĩnh Lương 2")
    )
    app.station.invalidate_unit()
    assert app.station.unit.one_stop_body == "Trung tâm Phục vụ hành chính công xã Vĩnh Lương 2"
    code = app.intake.receive("canbo1", birth_request()).code
    text = " ".join(pdf_text(render_dossier_form(app, "receipt", code), tmp_path).split())
    assert "Trung tâm Phục vụ hành chính công xã Vĩnh Lương 2 tiếp nhận hồ sơ của:" in text


def test_new_units_are_not_offered_the_district_level() -> None:
    assert UnitLevel.HUYEN not in UnitLevel.for_new_units()
    assert UnitLevel("huyen") is UnitLevel.HUYEN  # still readable, to print old dossiers
