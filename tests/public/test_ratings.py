"""Satisfaction ratings: RATED events of the dossier (issue 15, item 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.domain.errors import DomainError, InputErrors
from desk_app.domain.lifecycle import DossierEvent, EventKind, RatingLevel, Status, allowed_actions, fold
from desk_app.domain.ratings import CITIZEN_ACTOR, rating_payload
from desk_app.reports.periods import day_of
from desk_app.reports.query import ReportService
from tests.helpers.fakes import birth_request

VN = dt.timezone(dt.timedelta(hours=7))


def returned_dossier(app) -> str:  # type: ignore[no-untyped-def]
    code: str = app.intake.receive("canbo1", birth_request()).code
    app.workflow.act("canbo1", code, EventKind.RESULT_READY, result="Giấy khai sinh")
    app.workflow.act("canbo1", code, EventKind.RETURNED, method="tai_quay")
    return code


def test_a_rating_is_an_event_with_its_outbox_row_and_keeps_the_status(app) -> None:  # type: ignore[no-untyped-def]
    code = returned_dossier(app)
    event = app.ratings.rate(code, "khong_hai_long", ["Phải chờ đợi lâu"], "  Chờ  lâu ", source="counter")
    dossier, events, state = app.workflow.state(code)
    assert state.status is Status.RETURNED and dossier.status == "returned" and not state.conflicts
    stored = events[-1]
    assert stored.id == event.id and stored.kind is EventKind.RATED and stored.actor == CITIZEN_ACTOR
    assert dict(stored.payload) == {
        "level": "khong_hai_long",
        "reasons": ["Phải chờ đợi lâu"],
        "comment": "Chờ lâu",
        "source": "counter",
    }
    with app.station.uow(write=False) as uow:
        assert event.id in {row.id for row in uow.outbox.pending(100)}


def test_the_officer_cannot_record_or_be_offered_a_rating(app) -> None:  # type: ignore[no-untyped-def]
    code = returned_dossier(app)
    with pytest.raises(DomainError):
        app.workflow.act("canbo1", code, EventKind.RATED, level="rat_hai_long")
    for status in Status:
        assert EventKind.RATED not in allowed_actions(status)


def test_bad_ratings_are_refused_in_vietnamese() -> None:
    with pytest.raises(InputErrors) as err:
        rating_payload("tuyet_voi", source="fax", comment="x" * 1001)
    assert set(err.value.errors) == {"level", "source", "comment"}
    assert "Rất hài lòng" in err.value.errors["level"]


@given(st.lists(st.sampled_from([EventKind.RATED, EventKind.NOTE]), max_size=5), st.integers(0, 5))
def test_ratings_anywhere_in_the_history_never_change_the_fold(extra: list[EventKind], where: int) -> None:
    at = dt.datetime(2026, 11, 25, 9, 0, tzinfo=VN)
    base = [
        DossierEvent("e1", "d", EventKind.RECEIVED, at, "a", "dev", "0001", {"due_at": at.isoformat()}),
        DossierEvent("e2", "d", EventKind.RESULT_READY, at, "a", "dev", "0003", {}),
        DossierEvent("e3", "d", EventKind.RETURNED, at, "a", "dev", "0005", {}),
    ]
    ratings = [
        DossierEvent(f"r{i}", "d", kind, at, CITIZEN_ACTOR, "dev", f"000{where}x{i}", {"level": "hai_long"})
        for i, kind in enumerate(extra)
        if kind is EventKind.RATED
    ]
    plain, rated = fold(base), fold([*base, *ratings])
    assert (rated.status, rated.due_at, rated.conflicts) == (plain.status, plain.due_at, [])


def test_ratings_feed_the_satisfaction_indicator(app) -> None:  # type: ignore[no-untyped-def]
    service = ReportService(app.station)
    today = day_of(dt.date(2026, 11, 25))

    def satisfaction() -> str:
        return next(i for i in service.summary(today).indicators if i.code == "5.4").display

    codes = [returned_dossier(app) for _ in range(4)]
    assert satisfaction() == "chưa có dữ liệu"
    app.ratings.rate(codes[0], RatingLevel.VERY_SATISFIED.value)
    assert satisfaction() == "100,00%"
    app.ratings.rate(codes[1], RatingLevel.DISSATISFIED.value)
    assert satisfaction() == "75,00%"  # 100% - (0% overdue + 1 of 4 dissatisfied)
    app.ratings.rate(codes[1], RatingLevel.SATISFIED.value, source="web")  # the latest rating counts
    assert satisfaction() == "100,00%"


def test_the_wire_format_checks_a_rating(app) -> None:  # type: ignore[no-untyped-def]
    from desk_app.domain.wire import WireError, check_pulled, check_pushed, encode_event

    code = returned_dossier(app)
    event = app.ratings.rate(code, "hai_long", ["Phải chờ đợi lâu"], "được", source="kiosk")
    wire = encode_event(event)
    check_pushed("event", wire)
    for bad in ({"level": "tuyet_voi"}, {"source": "fax"}, {"reasons": ["x"] * 11}, {"comment": "y" * 1001}):
        with pytest.raises(WireError):
            check_pulled("event", {**wire, "payload": {**wire["payload"], **bad}})
