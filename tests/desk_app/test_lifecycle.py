"""The dossier state machine and the fold of events."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.domain.errors import InvalidTransition
from desk_app.domain.lifecycle import (
    TRANSITIONS,
    DossierEvent,
    DossierState,
    EventKind,
    Status,
    allowed_actions,
    apply,
    decide,
    fold,
    timeliness,
)
from desk_app.workcalendar import VN_TZ

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ)


def ev(kind: EventKind, n: int, payload: dict | None = None, device: str = "d1") -> DossierEvent:
    return DossierEvent(
        f"e{n:03d}{device}",
        "dos",
        kind,
        T0 + dt.timedelta(minutes=n),
        "canbo1",
        device,
        f"{1_700_000_000_000 + n:013d}-00000-{device}",
        payload or {},
    )


def received(due: dt.datetime = T0 + dt.timedelta(days=3)) -> DossierEvent:
    return ev(EventKind.RECEIVED, 0, {"due_at": due.isoformat()})


def test_happy_path_folds_to_returned_with_milestones() -> None:
    events = [
        received(),
        ev(EventKind.TRANSFERRED, 1, {"to": "Tư pháp"}),
        ev(EventKind.PROCESSING_STARTED, 2),
        ev(EventKind.RESULT_READY, 3),
        ev(EventKind.RETURNED, 4, {"method": "tai_quay"}),
    ]
    state = fold(events)
    assert state.status is Status.RETURNED
    assert state.transferred_at == events[1].at
    assert state.result_ready_at == events[3].at
    assert state.returned_at == events[4].at
    assert state.conflicts == []


def test_supplement_and_extension_move_the_due_date() -> None:
    new_due = T0 + dt.timedelta(days=7)
    later_due = T0 + dt.timedelta(days=9)
    state = fold(
        [
            received(),
            ev(EventKind.SUPPLEMENT_REQUESTED, 1, {"missing": [{"name": "Tờ khai"}]}),
            ev(EventKind.SUPPLEMENTED, 2, {"due_at": new_due.isoformat()}),
            ev(EventKind.EXTENDED, 3, {"due_at": later_due.isoformat(), "reason": "Chờ xác minh"}),
        ]
    )
    assert state.status is Status.SUPPLEMENTED
    assert state.due_at == later_due
    assert state.extensions == 1


def test_invalid_action_names_status_and_action_in_vietnamese() -> None:
    state = fold([received()])
    with pytest.raises(InvalidTransition) as info:
        decide(state, EventKind.RETURNED)
    message = str(info.value)
    assert "Mới tiếp nhận" in message and "Trả kết quả" in message
    assert info.value.status == "received" and info.value.action == "returned"


def test_second_receive_is_invalid() -> None:
    with pytest.raises(InvalidTransition):
        apply(fold([received()]), received())


def test_merge_of_two_returns_flags_a_conflict_instead_of_dropping() -> None:
    base = [received(), ev(EventKind.RESULT_READY, 1)]
    a = ev(EventKind.RETURNED, 2, {"method": "tai_quay"}, device="d1")
    b = ev(EventKind.RETURNED, 3, {"method": "buu_chinh"}, device="d2")
    state = fold([*base, b, a])  # arrival order does not matter: HLC order does
    assert state.status is Status.RETURNED
    assert [c.event_id for c in state.conflicts] == [b.id]
    assert fold([*base, a, b]).conflicts == state.conflicts


def test_final_statuses_allow_only_notes() -> None:
    for status in (Status.RETURNED, Status.REFUSED, Status.STOPPED, Status.WITHDRAWN):
        assert allowed_actions(status) == [EventKind.NOTE]


def test_every_non_final_status_has_a_way_forward() -> None:
    for status in Status:
        if not status.is_final:
            assert len(allowed_actions(status)) > 1, status


@given(
    st.lists(st.sampled_from([k for k in EventKind if k is not EventKind.RECEIVED]), max_size=12),
    st.randoms(),
)
def test_fold_is_order_independent_and_never_loses_events(kinds: list[EventKind], rnd) -> None:  # type: ignore[no-untyped-def]
    events = [received()] + [ev(kind, i + 1) for i, kind in enumerate(kinds)]
    shuffled = events[:]
    rnd.shuffle(shuffled)
    a, b = fold(events), fold(shuffled)
    assert (a.status, a.due_at, a.conflicts) == (b.status, b.due_at, b.conflicts)
    # every event either applied or was flagged: replaying the valid ones gives no conflict
    flagged = {c.event_id for c in a.conflicts}
    replay = DossierState()
    for event in events:
        if event.id not in flagged:
            apply(replay, event)
    assert replay.status == a.status


def test_transition_table_targets_are_statuses() -> None:
    for kind, (sources, target) in TRANSITIONS.items():
        assert sources, kind
        assert target is None or isinstance(target, Status)


def test_timeliness_labels() -> None:
    due = dt.datetime(2026, 11, 27, 17, 0, tzinfo=VN_TZ)
    assert timeliness(due, due - dt.timedelta(days=1)) == "Trước hạn"
    assert timeliness(due, due - dt.timedelta(hours=2)) == "Đúng hạn"
    assert timeliness(due, due + dt.timedelta(minutes=1)) == "Quá hạn"
