"""Receiving dossiers: validation, codes, due dates, fees, returning applicants."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import Status
from desk_app.domain.model import ProcessingTime, ReceivedComponent, ReturnMethod, WorkingHours
from desk_app.services.intake import compute_fee
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import BIRTH_CODE, COPY_CODE, MARRIAGE_STATUS_CODE, birth_request


def test_codes_follow_the_pattern_and_count_per_day(app, clock) -> None:  # type: ignore[no-untyped-def]
    a = app.intake.receive("canbo1", birth_request())
    b = app.intake.receive("canbo1", birth_request())
    assert a.code == "000.21.31.H56-261125-0001"
    assert b.code == "000.21.31.H56-261125-0002"
    clock.set(dt.datetime(2026, 11, 26, 8, 0))
    assert app.intake.receive("canbo1", birth_request()).code == "000.21.31.H56-261126-0001"


def test_same_day_procedure_with_the_15h_rule(app, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(dt.datetime(2026, 11, 25, 14, 30))
    assert app.intake.receive("canbo1", birth_request()).due_at == dt.datetime(
        2026, 11, 25, 17, 0, tzinfo=VN_TZ
    )
    clock.set(dt.datetime(2026, 11, 25, 15, 20))
    assert app.intake.receive("canbo1", birth_request()).due_at == dt.datetime(
        2026, 11, 26, 17, 0, tzinfo=VN_TZ
    )


def test_working_days_skip_weekend(app, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(dt.datetime(2026, 11, 26, 10, 0))  # Thursday
    req = birth_request(procedure_code=MARRIAGE_STATUS_CODE)
    req.components = [
        ReceivedComponent("to_khai", "Tờ khai", originals=1),
        ReceivedComponent("giay_to_tuy_than", "Căn cước công dân", photocopies=1),
    ]
    dossier = app.intake.receive("canbo1", req)
    assert dossier.due_at == dt.datetime(2026, 12, 1, 10, 0, tzinfo=VN_TZ)  # Thu + 3 working days = Tue


def test_unit_day_off_moves_the_appointment(app, clock) -> None:  # type: ignore[no-untyped-def]
    with app.station.uow() as uow:
        uow.calendar.set(dt.date(2026, 11, 30), "off", "Tổng vệ sinh")
        uow.commit()
    app.station.invalidate_calendar()
    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    req = birth_request(procedure_code=MARRIAGE_STATUS_CODE)
    req.components = [
        ReceivedComponent("to_khai", "Tờ khai", originals=1),
        ReceivedComponent("giay_to_tuy_than", "CCCD", photocopies=1),
    ]
    assert app.intake.receive("canbo1", req).due_at.date() == dt.date(2026, 12, 2)


def test_all_bad_fields_reported_at_once_in_vietnamese(app) -> None:  # type: ignore[no-untyped-def]
    req = birth_request()
    req.applicant.id_number = "05609000123"  # 11 digits
    req.applicant.phone = "0123"
    req.applicant.email = "a@"
    req.components = req.components[:1]
    with pytest.raises(InputErrors) as info:
        app.intake.receive("canbo1", req)
    errors = info.value.errors
    assert set(errors) >= {"id_number", "phone", "email", "components"}
    assert "12" in errors["id_number"]
    assert "Giấy chứng sinh" in errors["components"]
    assert app.queries.count(__import__("desk_app.services.queries", fromlist=["x"]).DossierFilter()) == 0


def test_cccd_must_match_birth_year(app) -> None:  # type: ignore[no-untyped-def]
    req = birth_request()
    req.applicant.birth_date = dt.date(2001, 1, 1)
    with pytest.raises(InputErrors) as info:
        app.intake.receive("canbo1", req)
    assert "id_number" in info.value.errors


def test_returning_applicant_is_reused(app) -> None:  # type: ignore[no-untyped-def]
    a = app.intake.receive("canbo1", birth_request())
    b = app.intake.receive("canbo1", birth_request())
    assert a.applicant.id == b.applicant.id
    with app.station.uow(write=False) as uow:
        found = uow.applicants.find(phone="0905123456")
    assert found is not None and found.full_name == "Nguyễn Văn Dũng"


def test_name_is_normalised_to_nfc(app) -> None:  # type: ignore[no-untyped-def]
    import unicodedata

    req = birth_request()
    req.applicant.full_name = unicodedata.normalize("NFD", "  Trần   Thị  Thu Hà ")
    dossier = app.intake.receive("canbo1", req)
    assert dossier.applicant.full_name == "Trần Thị Thu Hà"
    assert unicodedata.is_normalized("NFC", dossier.applicant.full_name)


def test_certified_copy_fee_by_pages(app) -> None:  # type: ignore[no-untyped-def]
    with app.station.uow(write=False) as uow:
        proc = uow.procedures.get(COPY_CODE)
    assert compute_fee(proc, copies=1, pages=5) == 7_000
    assert compute_fee(proc, copies=2, pages=2) == 8_000
    assert compute_fee(proc, copies=1, pages=300) == 200_000
    req = birth_request(procedure_code=COPY_CODE, copies=3, pages=4)
    req.components = [ReceivedComponent("ban_chinh", "Bản chính", originals=1)]
    assert app.intake.receive("canbo1", req).fee == 3 * 6_000


def test_incomplete_dossier_can_become_a_supplement_request(app) -> None:  # type: ignore[no-untyped-def]
    req = birth_request(incomplete_action="supplement")
    req.components = req.components[:1]
    dossier = app.intake.receive("canbo1", req)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED.value
    _, events, _ = app.workflow.state(dossier.code)
    missing = [m["name"] for m in events[-1].payload["missing"]]
    assert any("Giấy chứng sinh" in m for m in missing)


def test_refusal_at_intake_needs_a_reason(app) -> None:  # type: ignore[no-untyped-def]
    req = birth_request(incomplete_action="refuse")
    with pytest.raises(InputErrors, match="lý do"):
        app.intake.receive("canbo1", req)
    req.refusal_reason = "Không thuộc thẩm quyền giải quyết"
    assert app.intake.receive("canbo1", req).status == Status.REFUSED.value


def test_post_return_needs_an_address(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputErrors) as info:
        app.intake.receive("canbo1", birth_request(return_method=ReturnMethod.POST))
    assert "bưu chính" in info.value.errors["return_address"]


def test_unknown_procedure(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputErrors, match="Không tìm thấy thủ tục"):
        app.intake.receive("canbo1", birth_request(procedure_code="9.999999.000.00.00.H56"))


def test_logbook_numbers_increase(app) -> None:  # type: ignore[no-untyped-def]
    numbers = [app.intake.receive("canbo1", birth_request()).logbook_number for _ in range(3)]
    assert numbers == [1, 2, 3]


def test_single_receipt_after_a_bulk_intake_sees_catalogue_changes(app, clock) -> None:  # type: ignore[no-untyped-def]
    # The bulk intake caches procedures; the cache must end with it, or a changed
    # processing time would go on giving the old appointment date.
    app.intake.receive_many("canbo1", [(birth_request(), clock())])
    with app.station.uow() as uow:
        birth = uow.procedures.get(BIRTH_CODE)
        uow.procedures.upsert_many(
            [dataclasses.replace(birth, time=ProcessingTime.working_days(3))], "2026-11-25T08:30:00+07:00"
        )
        uow.commit()
    clock.set(dt.datetime(2026, 11, 26, 10, 0))  # Thursday
    dossier = app.intake.receive("canbo1", birth_request())
    assert dossier.due_at == dt.datetime(2026, 12, 1, 10, 0, tzinfo=VN_TZ)  # Thu + 3 working days


def test_station_calendar_uses_the_unit_hours_and_day_off_notes(app, clock) -> None:  # type: ignore[no-untyped-def]
    with app.station.uow() as uow:
        uow.calendar.set(dt.date(2026, 11, 30), "off", "Tổng vệ sinh")
        uow.commit()
    app.station.set_unit(
        dataclasses.replace(
            app.station.unit, hours=WorkingHours(saturday_morning=True, same_day_cutoff="16:00")
        )
    )
    calendar = app.station.calendar
    assert calendar.holiday_name(dt.date(2026, 11, 30)) == "Tổng vệ sinh"
    assert calendar.hours.saturday_morning and calendar.is_reception_open(dt.datetime(2026, 11, 28, 9, 0))
