"""The report rows (``desk_app.reports.rows`` and their SQL) give exactly what ``dossier_facts`` gives.

Random histories (the strategy of ``test_properties`` plus digitised papers,
results, signed e-results, detaches, ratings, notes, routing to another unit
and events of a device whose clock ran behind, i.e. merges with conflicts) are
written to a real SQLite database; the report rows are built by the store's own
writer and the period's numbers are read by the service's own SQL. Every field
of the tallies (by field and total), the ratings behind 5.4, the 766 indicators
and every drill-down list must equal what the rules give from the events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine, insert

from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.reports.facts import DossierFacts, DossierRecord, dossier_facts, period_facts
from desk_app.reports.indicators import (
    CELLS,
    RatingCounts,
    Tally,
    cell_dossiers,
    indicators_766,
    tally,
    tally_by,
)
from desk_app.reports.periods import Period, custom, day_of, month_of, quarter_of
from desk_app.reports.query import ReportService, period_tallies, rows_facts
from desk_app.reports.rows import facts_from_row, report_row
from desk_app.store import report_rows
from desk_app.store import schema as s
from desk_app.store.repositories import event_to_row
from desk_app.workcalendar import VN_TZ
from tests.reports.test_properties import dossier

UNIT, OTHER_UNIT = "000.21.31.H56", "000.21.32.H56"
LEVELS = ("rat_hai_long", "hai_long", "khong_hai_long")


@st.composite
def rich_dossier(draw: st.DrawFn, index: int) -> DossierRecord:
    base = draw(dossier(index))
    events = list(base.events)
    received_at, last = events[0].at, events[-1].at
    span_hours = int((last - received_at).total_seconds() // 3600) + 24 * 20
    attached: list[str] = []

    def add(kind: EventKind, when: dt.datetime, device: str = "dev", **payload: object) -> None:
        n = len(events)
        ms = int(when.timestamp() * 1000)
        events.append(
            DossierEvent(
                f"{base.id}-{n:03d}", base.id, kind, when, "x", device, f"{ms:013d}-{n:05d}-{device}", payload
            )
        )

    for _ in range(draw(st.integers(0, 4))):
        when = received_at + dt.timedelta(hours=draw(st.integers(0, span_hours)))
        choice = draw(st.sampled_from(("component", "result", "signed", "detach", "rated", "note")))
        attachment = f"{base.id}-a{len(events)}"
        if choice == "component":
            key = draw(st.sampled_from(("don", "cccd")))
            add(
                EventKind.ATTACHED,
                when,
                attachment_id=attachment,
                role="component",
                component_key=key,
                reused=draw(st.booleans()),
            )
            attached.append(attachment)
        elif choice == "result":
            add(EventKind.ATTACHED, when, attachment_id=attachment, role="result", component_key="")
            attached.append(attachment)
        elif choice == "signed":
            add(EventKind.RESULT_SIGNED, when, attachment_id=attachment)
            attached.append(attachment)
        elif choice == "detach" and attached:
            add(EventKind.DETACHED, when, attachment_id=draw(st.sampled_from(attached)))
        elif choice == "rated":
            add(EventKind.RATED, when, level=draw(st.sampled_from(LEVELS)))
        elif choice == "note":
            add(EventKind.NOTE, when, text="ghi chú")
    if len(events) > 1 and draw(st.integers(0, 4)) == 0:
        # Merged from a device whose clock ran behind: HLC order no longer follows the times.
        i = draw(st.integers(1, len(events) - 1))
        e = events[i]
        ms = int((e.at - dt.timedelta(hours=draw(st.integers(1, 24 * 10)))).timestamp() * 1000)
        events[i] = replace(e, device_id="dev2", hlc=f"{ms:013d}-{i:05d}-dev2")
    return replace(
        base,
        events=tuple(events),
        unit_code=UNIT,
        target_unit_code=draw(st.sampled_from(("", "", OTHER_UNIT))),
        due_at=events[0].at + dt.timedelta(days=3),
    )


histories = st.integers(1, 10).flatmap(lambda n: st.tuples(*(rich_dossier(i) for i in range(n))))
moments = st.integers(0, 24 * 60 * 200).map(
    lambda minutes: dt.datetime(2026, 9, 1, tzinfo=VN_TZ) + dt.timedelta(minutes=minutes)
)
days = st.integers(0, 180).map(lambda d: dt.date(2026, 9, 1) + dt.timedelta(days=d))


def periods(first: dt.date, length: int) -> list[Period]:
    return [
        month_of(2026, 10),
        month_of(2026, 11),
        month_of(2026, 12),
        quarter_of(2026, 4),
        day_of(first),
        custom(first, first + dt.timedelta(days=length)),
    ]


@contextmanager
def station_db(records: Sequence[DossierRecord]) -> Iterator[Connection]:
    """A real SQLite station schema holding the dossiers and their events; rows by the store's writer."""
    engine = create_engine("sqlite://")
    s.metadata.create_all(engine)
    try:
        with engine.connect() as conn:
            for r in records:
                conn.execute(
                    insert(s.dossiers).values(
                        id=r.id,
                        code=r.code,
                        officer=r.officer,
                        unit_code=r.unit_code,
                        target_unit_code=r.target_unit_code,
                        procedure_code=r.procedure_code,
                        procedure_name="p",
                        field=r.field,
                        applicant_id="a",
                        applicant_name="A",
                        applicant_name_folded="a",
                        channel=r.channel,
                        return_method="tai_quay",
                        received_at=r.received_at.isoformat(),
                        due_at=(r.due_at or r.received_at).isoformat(),
                        status="received",
                        components=[],
                        extra={},
                    )
                )
                conn.execute(insert(s.dossier_events), [event_to_row(e) for e in r.events])
            report_rows.refresh(conn, [r.id for r in records])
            yield conn
    finally:
        engine.dispose()


def latest_ratings(records: Sequence[DossierRecord], facts: Sequence[DossierFacts]) -> RatingCounts | None:
    """5.4's inputs the way ``query.rating_counts`` reads them from the events."""
    total = tally(facts)
    by_id = {r.id: r for r in records}
    levels = []
    for f in facts:
        rated = [e for e in by_id[f.id].events if e.kind is EventKind.RATED]
        if f.in_report and rated:
            levels.append(max(rated, key=lambda e: e.hlc).payload["level"])
    if not levels:
        return None
    return RatingCounts(max(total.resolved + total.in_progress, len(levels)), levels.count("khong_hai_long"))


def as_read(r: DossierRecord) -> DossierRecord:
    """The record as the station's reports read it: notes are never read (as before the rows)."""
    return replace(r, events=tuple(e for e in r.events if e.kind is not EventKind.NOTE))


def nonzero(groups: dict[str, Tally]) -> dict[str, Tally]:
    return {k: v for k, v in groups.items() if v != Tally()}


@settings(max_examples=150, deadline=None)
@given(histories, moments, days, st.integers(0, 40))
def test_a_row_gives_the_facts_of_every_period_it_can_judge(records, now, first, length) -> None:  # type: ignore[no-untyped-def]
    for r in records:
        row = report_row(r)
        assert row is not None
        for period in periods(first, length):
            got = facts_from_row(row, period.start, period.end, now)
            if got is not None:
                assert got == dossier_facts(as_read(r), period.start, period.end, now), (period.label, row)
            elif max(e.at for e in r.events if e.kind not in (EventKind.NOTE, EventKind.RATED)) < min(
                period.end, now
            ):
                raise AssertionError("a row with every event before the period's end must answer")


@settings(max_examples=150, deadline=None)
@given(histories, moments, days, st.integers(0, 40))
def test_sql_over_the_rows_equals_the_rules_over_the_events(records, now, first, length) -> None:  # type: ignore[no-untyped-def]
    with station_db(records) as conn:
        for period in periods(first, length):
            expected = period_facts([as_read(r) for r in records], period.start, period.end, now)
            total, by_field, part, fallback = period_tallies(conn, period.start, period.end, now)
            assert total == tally(expected), period.label
            assert by_field == nonzero(tally_by(expected, lambda f: f.field)), period.label
            # 5.4's inputs (the latest rating of each dossier in the report) and every indicator
            ratings = ReportService._ratings(conn, part, fallback, total, None)
            assert ratings == latest_ratings(records, expected), period.label
            assert indicators_766(total, ratings=ratings) == indicators_766(tally(expected), ratings=ratings)
            # every drill-down list
            facts = rows_facts(conn, period.start, period.end, now)
            for cell in CELLS:
                assert sorted(cell_dossiers(facts, cell)) == sorted(cell_dossiers(expected, cell)), cell
            by_id = {f.id: f for f in expected}
            for f in facts:
                assert f == by_id[f.id], (f, by_id[f.id])


@settings(max_examples=60, deadline=None)
@given(histories)
def test_a_merged_history_is_judged_from_its_events_before_its_last_event(records) -> None:  # type: ignore[no-untyped-def]
    """When HLC order does not follow the times, what happened before a cut is not a prefix of
    the whole history: the row is not trusted for a cut before the dossier's last event."""
    for r in records:
        ordered = sorted(
            (e for e in r.events if e.kind not in (EventKind.NOTE, EventKind.RATED)),
            key=lambda e: (e.hlc, e.id),
        )
        row = report_row(r)
        assert row is not None
        if any(a.at > b.at for a, b in zip(ordered, ordered[1:], strict=False)):
            assert not row.regular and row.exact_from == row.last_event_at


def test_a_supplement_request_undone_by_a_merged_refusal_is_not_counted() -> None:
    """Found by hypothesis: a refusal from another device, earlier in HLC order but later in
    time, makes the supplement request a conflict of the final fold; the marks must not count it."""
    at = dt.datetime(2026, 10, 1, 0, 0, tzinfo=VN_TZ)
    record = DossierRecord(
        id="d0",
        code="C0",
        field="Hộ tịch",
        procedure_code="p",
        officer="canbo1",
        channel="truc_tiep",
        received_at=at - dt.timedelta(days=14),
        due_at=at - dt.timedelta(days=11),
        unit_code="000.21.31.H56",
        events=(
            DossierEvent(
                "d0-000",
                "d0",
                EventKind.RECEIVED,
                at - dt.timedelta(days=14),
                "x",
                "dev",
                "1789606800000-00000-dev",
                {"due_at": (at - dt.timedelta(days=14, hours=-1)).isoformat()},
            ),
            DossierEvent(
                "d0-001", "d0", EventKind.SUPPLEMENT_REQUESTED, at, "x", "dev", "1790787600000-00001-dev", {}
            ),
            DossierEvent(
                "d0-002",
                "d0",
                EventKind.REFUSED,
                at + dt.timedelta(hours=1),
                "x",
                "dev2",
                "1790784000000-00002-dev2",
                {},
            ),
        ),
    )
    now = at + dt.timedelta(hours=1)
    period = month_of(2026, 10)
    expected = period_facts([as_read(record)], period.start, period.end, now)
    assert expected[0].supplement_requests_in_period == 0
    with station_db((record,)) as conn:
        total, _by_field, _part, _fallback = period_tallies(conn, period.start, period.end, now)
    assert total == tally(expected)
