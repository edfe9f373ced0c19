"""The fast reporting contract (roll-ups kept up to date on push) equals the reference that
reads every event: random histories (hypothesis) and hand-made ones, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from central import rollups
from central import service as svc
from central.db import make_engine, migrate
from desk_app.domain.lifecycle import DossierEvent, EventKind, Status, allowed_actions
from desk_app.reports.facts import DossierRecord
from desk_app.reports.periods import custom, month_of, quarter_of, year_of
from desk_app.workcalendar import VN_TZ
from tests.reports.histories import CHANNELS, NEXT_STATUS, ORIGIN
from tests.sync.rollup_oracle import (
    UNITS,
    add_dossier_rows,
    assert_same,
    change_rows,
    store_in_batches,
)

LATE_NOW = dt.datetime(2027, 2, 15, 9, 0, tzinfo=VN_TZ)
PERIODS = (
    month_of(2026, 10),
    month_of(2026, 11),
    quarter_of(2026, 4),
    year_of(2026),
    custom(dt.date(2026, 10, 15), dt.date(2026, 11, 14)),
)


def open_store(url: str) -> svc.Store:
    engine = make_engine(url)
    migrate(engine)
    store = svc.Store(engine)
    for code in UNITS:
        svc.add_unit(store, code, f"Đơn vị {code}")
    return store


TABLES = ("changes", "dossiers", "report_dossiers", "report_steps", "report_fixes", "report_rollups")


def clear(store: svc.Store) -> None:
    with store.write() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[svc.Store]:
    path: Path = tmp_path_factory.mktemp("rollups") / "central.sqlite3"
    store = open_store(f"sqlite:///{path}")
    yield store
    store.engine.dispose()


# ---------------------------------------------------------------- random histories
@st.composite
def dossier(draw: st.DrawFn, index: int) -> DossierRecord:
    dossier_id = f"d{index:03d}"
    at = ORIGIN + dt.timedelta(hours=draw(st.integers(0, 24 * 100)))
    due = at + dt.timedelta(hours=draw(st.integers(1, 24 * 12)))
    skewed = draw(st.integers(0, 9)) == 0  # an offline station whose clock was wrong
    events: list[DossierEvent] = []

    def add(kind: EventKind, when: dt.datetime, **payload: object) -> None:
        n = len(events)
        stamp = when + (dt.timedelta(hours=draw(st.integers(-30, 30))) if skewed and n else dt.timedelta())
        ms = int(stamp.timestamp() * 1000)
        events.append(
            DossierEvent(
                f"{dossier_id}-{n:03d}", dossier_id, kind, when, "x", "dev", f"{ms:013d}-{n:05d}-dev", payload
            )
        )

    add(EventKind.RECEIVED, at, due_at=due.isoformat())
    status = Status.RECEIVED
    for _ in range(draw(st.integers(0, 8))):
        at = at + dt.timedelta(hours=draw(st.integers(0, 24 * 12)), minutes=draw(st.sampled_from((0, 0, 30))))
        roll = draw(st.integers(0, 19))
        if roll < 3:  # digitised papers, at any moment (also after the result)
            role = draw(st.sampled_from(("component", "component", "result")))
            which = draw(st.integers(0, 2))
            if draw(st.integers(0, 4)) == 0:
                add(EventKind.DETACHED, at, attachment_id=f"{dossier_id}-a{which}")
            elif role == "result" and draw(st.booleans()):
                add(EventKind.RESULT_SIGNED, at, attachment_id=f"{dossier_id}-s{which}", sha256="ab" * 32)
            else:
                add(
                    EventKind.ATTACHED,
                    at,
                    attachment_id=f"{dossier_id}-a{which}",
                    role=role,
                    component_key="" if role == "result" else f"k{which}",
                    sha256="cd" * 32,
                    reused=draw(st.booleans()),
                )
            continue
        if roll == 3:
            level = draw(st.sampled_from(("hai_long", "khong_hai_long", "binh_thuong")))
            add(EventKind.RATED, at, level=level)
            continue
        options = [k for k in allowed_actions(status) if k is not EventKind.NOTE]
        if roll == 4:  # now and then an event invalid after a merge (a conflict)
            options = list(NEXT_STATUS)
        if not options:
            continue
        kind = draw(st.sampled_from(options))
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
    unit = draw(st.sampled_from(UNITS))
    routed = draw(st.integers(0, 5)) == 0
    return DossierRecord(
        id=dossier_id,
        code=f"C{index:03d}",
        field=draw(st.sampled_from(("Hộ tịch", "Chứng thực", "Đất đai"))),
        procedure_code="p",
        officer="canbo1",
        channel=draw(st.sampled_from(CHANNELS)),
        received_at=events[0].at,
        due_at=due,
        unit_code=unit,
        target_unit_code=(UNITS[1] if unit == UNITS[0] else UNITS[0]) if routed else "",
        events=tuple(events),
    )


histories = st.integers(1, 10).flatmap(lambda n: st.tuples(*(dossier(i) for i in range(n))))
nows = st.lists(
    st.builds(
        lambda h, m: ORIGIN + dt.timedelta(hours=h, minutes=m),
        st.integers(24 * 30, 24 * 140),
        st.sampled_from((0, 0, 30, 59)),
    ),
    min_size=1,
    max_size=2,
)


def store_shuffled(store: svc.Store, records: tuple[DossierRecord, ...], seed: int) -> None:
    """Events arrive in random batches and order (late syncs, out of order), each batch a push."""
    add_dossier_rows(store, records)
    rows = [r for rec in records for r in change_rows(rec)]
    rng = random.Random(seed)
    rng.shuffle(rows)
    cuts = sorted(rng.sample(range(1, len(rows)), k=min(3, len(rows) - 1))) if len(rows) > 1 else []
    batches = [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]
    store_in_batches(store, batches)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories, nows, st.integers(0, 1000))
def test_fast_figures_equal_the_reference_on_random_histories(
    sqlite_store: svc.Store, records: tuple[DossierRecord, ...], now_list: list[dt.datetime], seed: int
) -> None:
    clear(sqlite_store)
    store_shuffled(sqlite_store, records, seed)
    assert_same(sqlite_store, PERIODS, [*now_list, LATE_NOW], cells=False)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories, nows, st.integers(0, 1000))
def test_drill_down_lists_equal_the_reference(
    sqlite_store: svc.Store, records: tuple[DossierRecord, ...], now_list: list[dt.datetime], seed: int
) -> None:
    clear(sqlite_store)
    store_shuffled(sqlite_store, records, seed)
    assert_same(sqlite_store, (month_of(2026, 11), quarter_of(2026, 4)), now_list[:1], cells=True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories, st.integers(0, 1000))
def test_rebuild_gives_the_rows_and_roll_ups_that_pushes_built(
    sqlite_store: svc.Store, records: tuple[DossierRecord, ...], seed: int
) -> None:
    clear(sqlite_store)
    store_shuffled(sqlite_store, records, seed)
    before = _tables(sqlite_store)
    with sqlite_store.write() as conn:
        rollups.rebuild(conn)
    assert _tables(sqlite_store) == before


def _tables(store: svc.Store) -> dict[str, list[Any]]:
    out = {}
    with store.read() as conn:
        for table, order in (
            ("report_dossiers", "dossier_id"),
            ("report_steps", "dossier_id, n"),
            ("report_fixes", "dossier_id, n"),
        ):
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]  # noqa: S608
        cols = " + ".join(f"ABS({c})" for c in rollups.COLUMNS)
        out["report_rollups"] = [
            tuple(r)
            for r in conn.execute(
                text(
                    f"SELECT * FROM report_rollups WHERE {cols} > 0 "  # noqa: S608
                    "ORDER BY scope, grain, bucket, unit, field, channel"
                )
            )
        ]
    return out


@pytest.fixture(scope="module")
def pg_store(pg_cluster: Any) -> Iterator[svc.Store]:
    store = open_store(pg_cluster.new_database())
    yield store
    store.engine.dispose()


@pytest.mark.postgres
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories, nows, st.integers(0, 1000))
def test_fast_figures_equal_the_reference_on_postgresql(
    pg_store: svc.Store, records: tuple[DossierRecord, ...], now_list: list[dt.datetime], seed: int
) -> None:
    clear(pg_store)
    store_shuffled(pg_store, records, seed)
    assert_same(pg_store, PERIODS[:3], [*now_list, LATE_NOW], cells=False)
