"""Invariants of the report rules over random event histories (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.domain.lifecycle import DossierEvent, EventKind, Status, allowed_actions
from desk_app.reports.facts import DossierRecord, period_facts
from desk_app.reports.indicators import CELLS, Tally, monthly, tally
from desk_app.reports.periods import month_of, quarter_of
from desk_app.workcalendar import VN_TZ
from tests.reports.histories import CHANNELS, NEXT_STATUS, ORIGIN

NOW = dt.datetime(2027, 1, 15, 9, 0, tzinfo=VN_TZ)


@st.composite
def dossier(draw: st.DrawFn, index: int) -> DossierRecord:
    dossier_id = f"d{index}"
    at = ORIGIN + dt.timedelta(hours=draw(st.integers(0, 24 * 120)))
    due = at + dt.timedelta(hours=draw(st.integers(1, 24 * 10)))
    events: list[DossierEvent] = []

    def add(kind: EventKind, when: dt.datetime, **payload: object) -> None:
        n = len(events)
        ms = int(when.timestamp() * 1000)
        events.append(
            DossierEvent(
                f"{dossier_id}-{n:03d}", dossier_id, kind, when, "x", "dev", f"{ms:013d}-{n:05d}-dev", payload
            )
        )

    add(EventKind.RECEIVED, at, due_at=due.isoformat())
    status = Status.RECEIVED
    for _ in range(draw(st.integers(0, 7))):
        options = [k for k in allowed_actions(status) if k is not EventKind.NOTE]
        if draw(st.integers(0, 9)) == 0:  # now and then an event invalid after a merge
            options = list(NEXT_STATUS)
        if not options:
            break
        kind = draw(st.sampled_from(options))
        at = at + dt.timedelta(hours=draw(st.integers(1, 24 * 15)))
        payload: dict[str, object] = {}
        if kind in (EventKind.SUPPLEMENTED, EventKind.FEES_PAID) and draw(st.booleans()):
            payload["due_at"] = (at + dt.timedelta(hours=draw(st.integers(1, 24 * 5)))).isoformat()
        elif kind is EventKind.EXTENDED:
            payload["due_at"] = (at + dt.timedelta(hours=draw(st.integers(1, 24 * 10)))).isoformat()
        elif kind is EventKind.RETURNED:
            payload["method"] = draw(st.sampled_from(("tai_quay", "buu_chinh")))
        add(kind, at, **payload)
        if kind in allowed_actions(status):
            status = NEXT_STATUS.get(kind, status)
    return DossierRecord(
        id=dossier_id,
        code=f"C{index}",
        field=draw(st.sampled_from(("Hộ tịch", "Chứng thực"))),
        procedure_code="p",
        officer="canbo1",
        channel=draw(st.sampled_from(CHANNELS)),
        received_at=events[0].at,
        events=tuple(events),
    )


histories = st.integers(1, 12).flatmap(lambda n: st.tuples(*(dossier(i) for i in range(n))))


def tally_for(records, period) -> Tally:  # type: ignore[no-untyped-def]
    return tally(period_facts(records, period.start, period.end, NOW))


@settings(max_examples=60, deadline=None)
@given(histories)
def test_every_dossier_of_the_cohort_is_resolved_in_progress_or_dropped(records) -> None:  # type: ignore[no-untyped-def]
    for period in (month_of(2026, 10), month_of(2026, 11), quarter_of(2026, 4)):
        t = tally_for(records, period)
        assert t.received_total == t.resolved + t.in_progress + t.dropped
        assert t.resolved == t.early + t.on_time + t.late
        assert t.received_new == t.received_online + t.received_direct_post
        assert t.on_time_rate is None or 0.0 <= t.on_time_rate <= 100.0


@settings(max_examples=40, deadline=None)
@given(histories)
def test_in_progress_at_the_end_of_a_month_is_carried_over_into_the_next(records) -> None:  # type: ignore[no-untyped-def]
    for month in (9, 10, 11):
        before = tally_for(records, month_of(2026, month))
        after = tally_for(records, month_of(2026, month + 1))
        assert after.carried_over == before.in_progress


@settings(max_examples=40, deadline=None)
@given(histories)
def test_a_quarter_adds_up_from_its_months(records) -> None:  # type: ignore[no-untyped-def]
    quarter = tally_for(records, quarter_of(2026, 4))
    months = [tally_for(records, month_of(2026, m)) for m in (10, 11, 12)]
    for name in ("received_new", "early", "on_time", "late", "dropped", "supplement_requests", "extensions"):
        assert getattr(quarter, name) == sum(getattr(m, name) for m in months), name
    assert quarter.carried_over == months[0].carried_over
    assert quarter.in_progress == months[-1].in_progress


@settings(max_examples=40, deadline=None)
@given(histories)
def test_each_number_lists_exactly_the_dossiers_it_counts(records) -> None:  # type: ignore[no-untyped-def]
    period = month_of(2026, 11)
    facts = period_facts(records, period.start, period.end, NOW)
    t = tally(facts).as_dict()
    for cell, (_, predicate) in CELLS.items():
        selected = [f for f in facts if predicate(f)]
        if cell in ("supplement_requests", "extensions"):  # counts events; the list is the dossiers
            assert len(selected) <= t[cell]
        else:
            assert len(selected) == t[cell], cell


@settings(max_examples=60, deadline=None)
@given(histories)
def test_monthly_tallies_skip_nothing_that_counts(records) -> None:  # type: ignore[no-untyped-def]
    months = quarter_of(2026, 4).months()
    fast = monthly(records, ((m.label, m.start, m.end) for m in months), NOW)
    assert [t for _, t in fast] == [tally_for(records, m) for m in months]
