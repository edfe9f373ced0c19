"""Hand-made histories on SQLite and PostgreSQL: the roll-ups give the reference's numbers,
and the dossiers the model cannot place (irregular) are counted exactly all the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from central import reporting, rollups
from central import service as svc
from desk_app.domain.lifecycle import EventKind as K
from desk_app.reports.facts import DossierRecord
from desk_app.reports.periods import custom, month_of, quarter_of, year_of
from tests.reports.histories import ev, record, t
from tests.sync.rollup_oracle import UNITS, add_dossier_rows, assert_same, change_rows, store_in_batches
from tests.sync.test_rollups import open_store

A, B = UNITS
PERIODS = (
    month_of(2026, 10),
    month_of(2026, 11),
    month_of(2026, 12),
    quarter_of(2026, 4),
    year_of(2026),
    custom(dt.date(2026, 11, 3), dt.date(2026, 11, 17)),
)
NOWS = (
    t(2, 8),  # before most of it
    t(10, 17),  # exactly at a deadline
    t(16, 0),  # exactly midnight
    t(20, 14, 30),
    t(25, 9),
    t(5, 9, month=1, year=2027),
)


def _rec(*events: object, code: str, unit: str = A, target: str = "", **kw: object) -> DossierRecord:
    r = record(*events, code=code, target_unit=target, **kw)  # type: ignore[arg-type]
    return DossierRecord(**{**r.__dict__, "unit_code": unit, "due_at": _due(r)})


def _due(r: DossierRecord) -> dt.datetime | None:
    first = next(e for e in r.events if e.kind is K.RECEIVED)
    value = first.payload.get("due_at")
    return dt.datetime.fromisoformat(str(value)) if value else None


def histories() -> list[DossierRecord]:
    d = [f"h{i:02d}" for i in range(20)]
    out = [
        # early, on time, late
        _rec(ev(K.RECEIVED, t(2), d[0], due_at=t(10, 17)), ev(K.RESULT_READY, t(6), d[0]), code="H00"),
        _rec(ev(K.RECEIVED, t(2), d[1], due_at=t(10, 17)), ev(K.RESULT_READY, t(10, 16), d[1]), code="H01"),
        _rec(
            ev(K.RECEIVED, t(2), d[2], due_at=t(10, 17)),
            ev(K.RESULT_READY, t(12), d[2]),
            ev(K.RETURNED, t(13), d[2], method="buu_chinh"),
            code="H02",
            channel="truc_tuyen",
        ),
        # supplement: the citizen's time does not count; a second request makes it late
        _rec(
            ev(K.RECEIVED, t(3), d[3], due_at=t(9, 17)),
            ev(K.SUPPLEMENT_REQUESTED, t(4), d[3]),
            ev(K.SUPPLEMENTED, t(14), d[3]),
            ev(K.RESULT_READY, t(18), d[3]),
            code="H03",
        ),
        _rec(
            ev(K.RECEIVED, t(3), d[4], due_at=t(20, 17)),
            ev(K.SUPPLEMENT_REQUESTED, t(4), d[4]),
            ev(K.SUPPLEMENTED, t(5), d[4], due_at=t(21, 17)),
            ev(K.SUPPLEMENT_REQUESTED, t(6), d[4]),
            code="H04",
        ),
        # fees stop the clock; still open and overdue later
        _rec(
            ev(K.RECEIVED, t(5), d[5], due_at=t(12, 17)),
            ev(K.FEES_REQUESTED, t(6), d[5]),
            ev(K.FEES_PAID, t(8), d[5]),
            code="H05",
            channel="buu_chinh",
        ),
        # extension (Mẫu 04) does not excuse the delay
        _rec(
            ev(K.RECEIVED, t(1, month=10), d[6], due_at=t(20, 17, month=10)),
            ev(K.EXTENDED, t(19, month=10), d[6], due_at=t(5, 17)),
            ev(K.RESULT_READY, t(4), d[6]),
            code="H06",
        ),
        # routed to the other unit (phi địa giới)
        _rec(
            ev(K.RECEIVED, t(7), d[7], due_at=t(9, 17)),
            ev(K.TRANSFERRED, t(7, 10), d[7]),
            code="H07",
            target=B,
        ),
        # a conflict after a merge: the second result is skipped like the fold skips it
        _rec(
            ev(K.RECEIVED, t(8), d[8], due_at=t(15, 17)),
            ev(K.REFUSED, t(9), d[8]),
            ev(K.RESULT_READY, t(10), d[8]),
            ev(K.WITHDRAWN, t(11), d[8]),
            code="H08",
        ),
        # withdrawn, carried over from October
        _rec(
            ev(K.RECEIVED, t(20, month=10), d[9], due_at=t(30, 17, month=10)),
            ev(K.WITHDRAWN, t(3), d[9]),
            code="H09",
        ),
        # files: component at intake, result file after the result (a fix), then detached
        _rec(
            ev(K.RECEIVED, t(9), d[10], due_at=t(20, 17)),
            ev(K.ATTACHED, t(9), d[10], attachment_id="c1", role="component", component_key="k", reused=True),
            ev(K.RESULT_READY, t(12), d[10]),
            ev(K.ATTACHED, t(3, month=12), d[10], attachment_id="r1", role="result", component_key=""),
            ev(K.RESULT_SIGNED, t(4, month=12), d[10], attachment_id="s1"),
            ev(K.DETACHED, t(6, month=12), d[10], attachment_id="c1"),
            code="H10",
        ),
        # events at exactly midnight, deadline at midnight
        _rec(
            ev(K.RECEIVED, t(16, 0), d[11], due_at=t(18, 0)),
            ev(K.PROCESSING_STARTED, t(17, 0), d[11]),
            ev(K.RATED, t(17, 0), d[11], level="khong_hai_long"),
            code="H11",
        ),
        # an offline station with a wrong clock: the fold's order disagrees with time (irregular)
        _rec(
            ev(K.RECEIVED, t(11), d[12], due_at=t(19, 17)),
            ev(K.PROCESSING_STARTED, t(13), d[12], hlc_at=t(11, 10)),
            ev(K.RESULT_READY, t(12), d[12], hlc_at=t(11, 11)),
            code="H12",
            unit=B,
        ),
        # received "in the future" of a now (a clock slightly ahead), still open
        _rec(ev(K.RECEIVED, t(25, 9, 30), d[13], due_at=t(30, 17)), code="H13", unit=B),
        # rated, received in September and still open
        _rec(
            ev(K.RECEIVED, t(28, month=9), d[14], due_at=t(5, 17, month=10)),
            ev(K.RATED, t(1, month=10), d[14], level="hai_long"),
            code="H14",
            unit=B,
        ),
    ]
    return out


@pytest.fixture
def loaded(db_url: str) -> Iterator[svc.Store]:
    store = open_store(db_url)
    records = histories()
    add_dossier_rows(store, records)
    rows = [r for rec in records for r in change_rows(rec)]
    # The offline station's dossier (H12) and H06's result arrive last, out of order.
    late = [r for r in rows if r["dossier_id"] in ("h12",)][::-1]
    rest = [r for r in rows if r not in late]
    store_in_batches(store, [rest[::2], late, rest[1::2]])
    yield store
    store.engine.dispose()


def test_hand_made_histories_give_the_references_numbers(loaded: svc.Store) -> None:
    assert_same(loaded, PERIODS, NOWS, cells=False)


def test_hand_made_drill_down_lists(loaded: svc.Store) -> None:
    assert_same(loaded, (month_of(2026, 11), quarter_of(2026, 4)), (t(20, 14, 30), t(16, 0)), cells=True)


def test_model_places_regular_dossiers_and_leaves_the_odd_ones_to_the_exact_path(loaded: svc.Store) -> None:
    with loaded.read() as conn:
        irregular = {r[0] for r in conn.execute(text("SELECT code FROM report_dossiers WHERE irregular = 1"))}
        fixes = {r[0] for r in conn.execute(text("SELECT dossier_id FROM report_fixes"))}
    assert irregular == {"H12"}
    assert fixes == {"h10"}  # the result file attached after the result, then a component detached
    nov = month_of(2026, 11)
    cards = {c.unit_code: c for c in reporting.scorecards(loaded, nov, t(25, 9))}
    assert cards[B].total.received_new == 3  # H07 routed to B, H12, H13
    assert cards[A].total.late == 2 and cards[A].total.refusals == 1  # H02 late, H03 late; H08 refused


def test_a_late_result_changes_only_the_finished_periods_figures(loaded: svc.Store) -> None:
    """H05 is still open; its result arrives later and the roll-ups move in the same push."""
    nov, now = month_of(2026, 11), t(25, 9)
    before = {c.unit_code: c for c in reporting.scorecards(loaded, nov, now)}
    h05 = next(r for r in histories() if r.code == "H05")
    event = ev(K.RESULT_READY, t(24), "h05")
    rows = change_rows(DossierRecord(**{**h05.__dict__, "events": (event,)}))
    store_in_batches(loaded, [rows])
    after = {c.unit_code: c for c in reporting.scorecards(loaded, nov, now)}
    assert after[A].total.late == before[A].total.late + 1
    assert after[A].total.in_progress == before[A].total.in_progress - 1
    assert after[A].overdue_now == before[A].overdue_now - 1
    assert_same(loaded, PERIODS, NOWS[-3:], cells=False)


def test_freshness_comes_from_the_devices_unit(db_url: str) -> None:
    store = open_store(db_url)
    try:
        with store.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO devices (id, unit_code, name, slot, token_hash, created_at) "
                    "VALUES ('devB', :u, 'B', 0, 'x', '2026-11-01')"
                ),
                {"u": B},
            )
        rec = _rec(
            ev(K.RECEIVED, t(7), "r1", due_at=t(9, 17)), ev(K.PROCESSING_STARTED, t(8), "r1"), code="R1"
        )
        add_dossier_rows(store, [rec])
        rows = change_rows(rec, device="devB")
        rows[0]["created_at"] = "2026-11-25T02:00:00.000+00:00"
        rows[1]["created_at"] = "2026-11-25T03:00:00.000+00:00"
        store_in_batches(store, [rows[1:], rows[:1]])  # the older change arrives last
        cards = {c.unit_code: c for c in reporting.scorecards(store, month_of(2026, 11), t(25, 12))}
        assert cards[B].last_change_at == dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
        assert cards[A].last_change_at is None  # the dossier is A's, the device is B's
        ref = {c.unit_code: c for c in reporting.reference_scorecards(store, month_of(2026, 11), t(25, 12))}
        assert ref[B].last_change_at == cards[B].last_change_at
        with store.write() as conn:
            rollups.rebuild(conn)
        cards = {c.unit_code: c for c in reporting.scorecards(store, month_of(2026, 11), t(25, 12))}
        assert cards[B].last_change_at == dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    finally:
        store.engine.dispose()


def test_reports_rebuild_command_restores_the_figures(
    loaded: svc.Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from central.cli import main as central_main

    with loaded.write() as conn:
        conn.execute(text("DELETE FROM report_rollups WHERE grain = 'm'"))
        conn.execute(text("DELETE FROM report_steps"))
    assert central_main(["--db", db_url, "reports", "rebuild"]) == 0
    assert "15 hồ sơ" in capsys.readouterr().out
    assert_same(loaded, PERIODS[:2], NOWS[-2:], cells=False)


def test_migration_fills_the_report_tables_of_an_existing_server(tmp_path: object) -> None:
    from alembic import command
    from alembic.config import Config

    from central.db import MIGRATIONS_DIR, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["engine"] = engine
        command.upgrade(cfg, "c0003_notices")  # a server from before the roll-ups
        store = svc.Store(engine)
        for code in UNITS:
            svc.add_unit(store, code, code)
        records = histories()
        add_dossier_rows(store, records)
        with store.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO changes (change_id, kind, unit_code, target_unit_code, dossier_id, "
                    "device_id, payload, created_at) VALUES (:change_id, :kind, :unit_code, "
                    ":target_unit_code, :dossier_id, :device_id, :payload, :created_at)"
                ),
                [r for rec in records for r in change_rows(rec)],
            )
        migrate(engine)
        with store.read() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM report_dossiers")).scalar() == len(records)
        assert_same(store, PERIODS[:2], NOWS[-2:], cells=False)
    finally:
        engine.dispose()


def test_a_damaged_event_on_the_server_leaves_its_dossier_out_and_breaks_no_push(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    store = open_store(db_url)
    try:
        good = _rec(ev(K.RECEIVED, t(7), "g1", due_at=t(9, 17)), code="G1")
        bad = _rec(
            ev(K.RECEIVED, t(7), "b1", due_at=t(9, 17)),
            ev(K.SUPPLEMENT_REQUESTED, t(8), "b1"),
            ev(K.SUPPLEMENTED, t(9), "b1", due_at="sang thứ hai"),  # written by an old server, unchecked
            code="B1",
        )
        add_dossier_rows(store, [good, bad])
        with caplog.at_level(logging.WARNING, logger="central.rollups"):
            store_in_batches(store, [change_rows(good) + change_rows(bad)])
        assert "damaged dossier left out of the report" in caplog.text
        assert "sang" not in caplog.text  # ids and error types only
        with store.read() as conn:
            flags = dict(conn.execute(text("SELECT code, irregular FROM report_dossiers")).all())
        assert flags == {"G1": 0, "B1": rollups.DAMAGED}
        card = {c.unit_code: c for c in reporting.scorecards(store, month_of(2026, 11), t(25, 9))}[A]
        assert card.total.received_new == 1 and card.overdue_now == 1
        assert [x.code for x in reporting.overdue_dossiers(store, A, t(25, 9))] == ["G1"]
        assert [
            x.code for x in reporting.cell_dossiers(store, month_of(2026, 11), t(25, 9), A, "received_new")
        ] == ["G1"]
    finally:
        store.engine.dispose()
