"""'Giải quyết ngay': receive, settle and return a same-day dossier in one sitting."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import EventKind, Status, timeliness
from desk_app.domain.model import ReceivedComponent, ReturnMethod
from desk_app.services.intake import settles_on_the_spot
from desk_app.store import schema as s
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import COPY_CODE, MARRIAGE_STATUS_CODE, birth_request, sample_procedures


def copy_request() -> object:
    return birth_request(
        procedure_code=COPY_CODE,
        copies=2,
        pages=5,
        components=[ReceivedComponent("ban_chinh", "Bản chính giấy tờ cần chứng thực", originals=1)],
    )


class StepClock:
    """Each reading is a little later, as at a real desk."""

    def __init__(self, clock: object) -> None:
        self.clock = clock

    def __call__(self) -> dt.datetime:
        self.clock.advance(seconds=20)  # type: ignore[attr-defined]
        return self.clock()  # type: ignore[operator, no-any-return]


def test_only_same_day_procedures_qualify() -> None:
    by_code = {p.code: p for p in sample_procedures()}
    assert settles_on_the_spot(by_code[COPY_CODE])
    assert not settles_on_the_spot(by_code[MARRIAGE_STATUS_CODE])


def test_three_events_with_real_times_each_audited(app, clock) -> None:  # type: ignore[no-untyped-def]
    app.station.now = StepClock(clock)
    dossier = app.intake.settle_on_the_spot("canbo1", copy_request())
    _d, events, state = app.workflow.state(dossier.code)
    assert [e.kind for e in events] == [EventKind.RECEIVED, EventKind.RESULT_READY, EventKind.RETURNED]
    assert events[0].at < events[1].at < events[2].at
    assert events[0].at == dt.datetime(2026, 11, 25, 9, 0, 20, tzinfo=VN_TZ)
    assert state.status is Status.RETURNED and dossier.status == Status.RETURNED.value
    assert events[2].payload["fee_collected"] == 14_000 == dossier.fee
    assert events[2].payload["on_the_spot"] and events[2].payload["receiver"] == "Nguyễn Văn Dũng"
    assert timeliness(state.due_at, events[2].at) == "Đúng hạn"  # same-day: returned the day it is due
    with app.station.uow(write=False) as uow:
        actions = [
            r.action
            for r in uow.conn.execute(select(s.audit_log).where(s.audit_log.c.target == dossier.code))
        ]
        outbox = uow.conn.execute(select(s.outbox).where(s.outbox.c.entity_id == dossier.id)).all()
    assert sorted(actions) == ["dossier.receive", "dossier.result_ready", "dossier.returned"]
    assert len(outbox) == 3  # each event goes to the server


def test_refused_for_procedures_and_requests_that_do_not_allow_it(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputErrors) as caught:
        app.intake.settle_on_the_spot("canbo1", birth_request(procedure_code=MARRIAGE_STATUS_CODE))
    assert "không giải quyết ngay" in caught.value.errors["procedure"]
    req = copy_request()
    req.return_method = ReturnMethod.POST  # type: ignore[attr-defined]
    req.return_address = "Thôn 1"  # type: ignore[attr-defined]
    with pytest.raises(InputErrors) as caught:
        app.intake.settle_on_the_spot("canbo1", req)
    assert "tại quầy" in caught.value.errors["return_address"]
    req = copy_request()
    req.applicant.birth_date = dt.date(2030, 1, 1)  # type: ignore[attr-defined]
    with pytest.raises(InputErrors) as caught:
        app.intake.settle_on_the_spot("canbo1", req)
    assert "ở tương lai" in caught.value.errors["birth_date"]
    assert app.queries.find_code("000.21.31.H56-261125-0001") is None  # nothing half-recorded


def test_the_citizen_takes_away_a_receipt_without_appointment(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    from printing.printouts import render_dossier_form

    def text(code: str) -> str:
        reader = PdfReader(io.BytesIO(render_dossier_form(app, "receipt", code)))
        return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)

    settled = app.intake.settle_on_the_spot("canbo1", copy_request())
    pdf = render_dossier_form(app, "receipt", settled.code)
    (tmp_path / "settled.pdf").write_bytes(pdf)
    got = text(settled.code)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ TRẢ KẾT QUẢ" in got
    assert "HẸN TRẢ" not in got.upper() and "Thời gian trả kết quả giải quyết hồ sơ" not in got
    assert "Đã giải quyết và trả kết quả tại quầy: 09 giờ 00 phút, ngày 25/11/2026" in got
    assert "14.000 đ (đã thu)" in got
    normal = app.intake.receive("canbo1", copy_request())
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text(normal.code)


def test_control_sheet_counts_it_on_time(app) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    from printing.printouts import render_dossier_form

    settled = app.intake.settle_on_the_spot("canbo1", copy_request())
    reader = PdfReader(io.BytesIO(render_dossier_form(app, "control", settled.code)))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "(Kèm theo Giấy tiếp nhận hồ sơ và trả kết quả)" in text  # no appointment to go with
    rows = text.split("quá hạn)", 1)[1]  # after the column header "(Trước hạn/ đúng hạn/ quá hạn)"
    assert rows.count("Đúng hạn") == 2 and "Quá hạn" not in rows  # result and return both on time
