"""Actions after intake: each one an event, checked against the fold."""

from __future__ import annotations

import datetime as dt

import pytest

from desk_app.domain.errors import InputErrors, InvalidTransition
from desk_app.domain.lifecycle import EventKind, Status
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import birth_request


def status_of(app, code):  # type: ignore[no-untyped-def]
    dossier, _, state = app.workflow.state(code)
    assert dossier.status == state.status.value  # summary column mirrors the fold
    return state.status


def test_full_lifecycle_records_events_with_actor_and_outbox(app, clock) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    app.workflow.act("canbo1", code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    clock.advance(hours=1)
    app.workflow.act(
        "canbo1", code, EventKind.SUPPLEMENT_REQUESTED, missing=[{"name": "Giấy chứng sinh", "note": "mờ"}]
    )
    clock.set(dt.datetime(2026, 11, 26, 9, 30))
    app.workflow.act("canbo1", code, EventKind.SUPPLEMENTED)
    dossier, _, _ = app.workflow.state(code)
    # the same-day time runs again from the day the dossier became complete
    assert dossier.due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=VN_TZ)
    app.workflow.act("canbo1", code, EventKind.RESULT_READY, result="Giấy khai sinh")
    app.workflow.act("canbo1", code, EventKind.RETURNED, method="tai_quay", receiver="Nguyễn Văn Dũng")
    assert status_of(app, code) is Status.RETURNED
    _, events, _ = app.workflow.state(code)
    assert [e.kind for e in events] == [
        EventKind.RECEIVED,
        EventKind.TRANSFERRED,
        EventKind.SUPPLEMENT_REQUESTED,
        EventKind.SUPPLEMENTED,
        EventKind.RESULT_READY,
        EventKind.RETURNED,
    ]
    assert {e.actor for e in events} == {"canbo1"}
    with app.station.uow(write=False) as uow:
        assert uow.outbox.pending_count() == len(events)


def test_not_allowed_action_is_refused_and_not_recorded(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    with pytest.raises(InvalidTransition, match="Mới tiếp nhận"):
        app.workflow.act("canbo1", code, EventKind.RETURNED)
    _, events, _ = app.workflow.state(code)
    assert len(events) == 1


def test_required_details_per_action(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    with pytest.raises(InputErrors, match="bộ phận"):
        app.workflow.act("canbo1", code, EventKind.TRANSFERRED)
    with pytest.raises(InputErrors, match="liệt kê"):
        app.workflow.act("canbo1", code, EventKind.SUPPLEMENT_REQUESTED, missing=[])
    with pytest.raises(InputErrors, match="lý do"):
        app.workflow.act("canbo1", code, EventKind.REFUSED, reason="  ")
    app.workflow.act("canbo1", code, EventKind.RESULT_READY)
    with pytest.raises(InputErrors, match="vận đơn"):
        app.workflow.act("canbo1", code, EventKind.RETURNED, method="buu_chinh")
    app.workflow.act("canbo1", code, EventKind.RETURNED, method="buu_chinh", tracking_number="EL123456789VN")
    _, events, _ = app.workflow.state(code)
    assert events[-1].payload["tracking_number"] == "EL123456789VN"


def test_extension_sets_new_due_date_and_checks_it(app, clock) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    with pytest.raises(InputErrors) as info:
        app.workflow.act(
            "canbo1", code, EventKind.EXTENDED, due_at=dt.date(2026, 11, 28), reason="Chờ xác minh"
        )
    assert "không phải ngày làm việc" in info.value.errors["due_at"]  # a Saturday
    with pytest.raises(InputErrors, match="sau thời hạn"):
        app.workflow.act("canbo1", code, EventKind.EXTENDED, due_at=dt.date(2026, 11, 25), reason="x")
    app.workflow.act("canbo1", code, EventKind.EXTENDED, due_at=dt.date(2026, 11, 30), reason="Chờ xác minh")
    dossier, events, state = app.workflow.state(code)
    assert dossier.due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=VN_TZ)
    assert state.extensions == 1
    assert events[-1].payload["previous_due_at"].startswith("2026-11-25T17:00")


def test_refusal_and_withdrawal_are_final(app) -> None:  # type: ignore[no-untyped-def]
    a = app.intake.receive("canbo1", birth_request()).code
    app.workflow.act("canbo1", a, EventKind.REFUSED, reason="Không đủ điều kiện")
    assert status_of(app, a) is Status.REFUSED
    with pytest.raises(InvalidTransition):
        app.workflow.act("canbo1", a, EventKind.TRANSFERRED, to="x")
    b = app.intake.receive("canbo1", birth_request()).code
    app.workflow.act("canbo1", b, EventKind.WITHDRAWN, reason="Công dân xin rút")
    assert status_of(app, b) is Status.WITHDRAWN
