"""The stored report rows always equal the rows computed from the events.

The rows are written by the transaction that writes the event: intake, workflow
actions, attachments, ratings, a pulled sync page (new dossiers and events of
known ones), and the migration's backfill of an older station.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from desk_app.attachments.model import ROLE_RESULT
from desk_app.bootstrap import App, open_station
from desk_app.domain import wire
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import Channel
from desk_app.reports.periods import day_of
from desk_app.reports.query import ReportService
from desk_app.reports.rows import report_row
from desk_app.store import report_rows
from desk_app.store import schema as s
from desk_app.sync.apply import apply_changes
from tests.attachments.scans import a4_page
from tests.helpers.fakes import FakeClock, birth_request


def assert_rows_match_events(app: App) -> int:
    """Every dossier's stored row (and marks) equals ``report_row`` of its events; returns the count."""
    with app.station.uow(write=False) as uow:
        ids = list(uow.conn.execute(select(s.dossiers.c.id)).scalars())
        computed = {r.id: report_row(r) for r in report_rows.read_records(uow.conn, ids)}
        stored = report_rows.stored_rows(uow.conn)
        days = {
            tuple(r[: len(report_rows.DAY_KEYS)]): tuple(r[len(report_rows.DAY_KEYS) :])
            for r in uow.conn.exec_driver_sql(
                f"SELECT {', '.join(report_rows.DAY_KEYS + report_rows.DAY_SUMS)} FROM dossier_report_days"
            )
        }
    expected = {k: v for k, v in computed.items() if v is not None}
    assert stored.keys() == expected.keys()
    for dossier_id, row in expected.items():
        assert stored[dossier_id] == row, dossier_id
    # the day roll-up is the sum of the settled rows, line by line
    summed: dict[tuple[object, ...], list[int]] = {}
    for row in expected.values():
        entry = report_rows.day_entry(row)
        if entry is not None:
            acc = summed.setdefault(entry[0], [0] * len(report_rows.DAY_SUMS))
            for i, v in enumerate(entry[1]):
                acc[i] += v
    assert days == {k: tuple(v) for k, v in summed.items()}
    assert days  # the demo history has settled dossiers
    return len(stored)


def test_intake_and_workflow_write_the_rows_with_the_events(history_app: App, clock: FakeClock) -> None:
    assert assert_rows_match_events(history_app) > 300  # the demo intake and the hand-made dossiers
    app = history_app
    code = app.intake.receive("canbo1", birth_request(channel=Channel.POST)).code
    app.workflow.act("canbo1", code, EventKind.SUPPLEMENT_REQUESTED, missing=[{"name": "Giấy chứng sinh"}])
    clock.advance(hours=2)
    app.workflow.act("canbo1", code, EventKind.SUPPLEMENTED)
    app.attachments.attach_file("canbo1", code, a4_page(1, dpi=50), component_key="to_khai")
    clock.advance(hours=1)
    app.workflow.act("canbo1", code, EventKind.RESULT_READY)
    app.attachments.attach_file("canbo1", code, a4_page(2, dpi=50), role=ROLE_RESULT)
    app.workflow.act("canbo1", code, EventKind.RETURNED, method="buu_chinh", tracking_number="EB123456789VN")
    app.ratings.rate(code, "khong_hai_long")
    assert_rows_match_events(app)
    with app.station.uow(write=False) as uow:
        dossier = uow.dossiers.by_code(code)
        assert dossier is not None
        row = report_rows.stored_rows(uow.conn, [dossier.id])[dossier.id]
    assert row.finish == "on_time" and row.supplement_requests == 1 and row.rating == "khong_hai_long"
    assert row.components_digitised == 1 and row.result_digitised
    assert [kind for kind, _ in row.marks] == ["supplement", "post_return"]
    # and the service counts it today, from the rows
    today = ReportService(app.station).summary(day_of(dt.date(2026, 11, 25)))
    assert today.total.returned_by_post >= 1 and today.total.digitised >= 1


def test_a_pulled_page_writes_the_rows_of_new_and_known_dossiers(
    history_app: App, tmp_path: Path, clock: FakeClock
) -> None:
    with history_app.station.uow(write=False) as uow:
        ids = list(uow.conn.execute(select(s.dossiers.c.id).limit(40)).scalars())
        events = [e for i in ids for e in uow.dossiers.events(i)]
    changes = [{"seq": n, "kind": "event", "payload": wire.encode_event(e)} for n, e in enumerate(events)]
    received = [c for c in changes if c["payload"]["kind"] == "received"]
    later = [c for c in changes if c["payload"]["kind"] != "received"]
    other = open_station(tmp_path / "other.sqlite3", clock=clock)
    try:
        for page in (received, later):  # new dossiers first, then events of dossiers it knows
            with other.station.uow() as uow:
                report = apply_changes(uow, other.station, page)
                uow.commit()
            assert report.quarantined == 0 and report.events == len(page)
        assert assert_rows_match_events(other) == 40
    finally:
        other.close()


def test_the_migration_fills_the_rows_of_an_older_station(history_template: Path, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    shutil.copyfile(history_template, path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE dossier_report_rows")
    conn.execute("DROP TABLE dossier_report_marks")
    conn.execute("DROP TABLE dossier_report_days")
    conn.execute("UPDATE alembic_version SET version_num = '0005_notices'")
    conn.commit()
    conn.close()
    app = open_station(path, clock=FakeClock(dt.datetime(2026, 11, 25, 9, 0)))
    try:
        assert assert_rows_match_events(app) > 300
    finally:
        app.close()


def test_a_failing_report_row_never_costs_the_counter_its_dossier(
    history_app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a bug in the report rules")

    monkeypatch.setattr(report_rows, "report_row", broken)
    dossier = history_app.intake.receive("canbo1", birth_request())
    with history_app.station.uow(write=False) as uow:
        assert uow.dossiers.get(dossier.id) is not None  # the intake was committed
        assert dossier.id not in report_rows.stored_rows(uow.conn, [dossier.id])
    failed = [r for r in caplog.records if r.getMessage() == "report row not rebuilt"]
    assert failed and failed[0].dossier == dossier.id  # type: ignore[attr-defined]
    assert all("Nguyễn" not in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    history_app.workflow.act("canbo1", dossier.code, EventKind.PROCESSING_STARTED)
    assert assert_rows_match_events(history_app) > 0  # the next write rebuilds it
