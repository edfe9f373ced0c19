"""A government calendar decision entered on the central server reaches every station
and lands in the calendar's decisions layer (beneath the unit's own overrides)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from central import service as svc
from desk_app.store import schema as s
from desk_app.workcalendar import DaySource
from tests.sync.conftest import enrol_station, sync


def test_decision_from_the_server_reaches_every_station(server: Any, station_factory: Any) -> None:
    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    with b.station.uow() as uow:  # unit b works that Saturday anyway: its override stays on top
        uow.calendar.set(dt.date(2027, 1, 9), "off", "Đơn vị nghỉ")
        uow.commit()
    doc = "Văn bản 999/VPCP-KGVX ngày 20/12/2026"
    svc.add_calendar_override(server.store, dt.date(2027, 1, 4), "off", "", "Nghỉ hoán đổi", decision=doc)
    svc.add_calendar_override(server.store, dt.date(2027, 1, 16), "work", "", "Làm bù", decision=doc)
    sync(a, server.url)
    sync(b, server.url)
    for app in (a, b):
        cal = app.station.calendar
        assert not cal.is_working_day(dt.date(2027, 1, 4))
        assert cal.is_working_day(dt.date(2027, 1, 16))
        assert cal.day_source(dt.date(2027, 1, 4)) == (DaySource.DECISION, doc)
        assert cal.holiday_name(dt.date(2027, 1, 4)) == "Nghỉ hoán đổi"
        assert not cal.is_working_day(dt.date(2026, 1, 2))  # shipped decisions underneath
    with a.station.uow(write=False) as uow:
        sources = {r.day: r.source for r in uow.conn.execute(select(s.calendar_overrides))}
    assert sources["2027-01-04"] == "decision:" + doc
    assert b.station.calendar.day_source(dt.date(2027, 1, 9))[0] is DaySource.UNIT


def test_central_cli_records_a_decision(tmp_path: Any, capsys: Any) -> None:
    from sqlalchemy import create_engine, text

    from central.cli import main as central_main

    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    doc = "Văn bản 999/VPCP-KGVX ngày 20/12/2026"
    assert central_main(["--db", url, "calendar", "add-day-off", "04/01/2027", "--decision", doc]) == 0
    assert "mọi đơn vị" in capsys.readouterr().out
    assert central_main(["--db", url, "calendar", "add-workday", "16/01/2027", "--decision", "x" * 201]) == 1
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("SELECT payload FROM changes WHERE kind = 'calendar'")
            payloads = [r[0] for r in conn.execute(query)]
    finally:
        engine.dispose()
    assert len(payloads) == 1 and doc in str(payloads[0])
