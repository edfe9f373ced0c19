"""The central reporting contract gives the desk's numbers for the same events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from central import reporting
from desk_app.domain.lifecycle import EventKind
from desk_app.reports.periodic import row_values
from desk_app.reports.periods import month_of
from desk_app.reports.query import ReportService
from tests.helpers.fakes import FakeClock, birth_request
from tests.sync.conftest import UNIT, enrol_station, sync


def test_station_and_server_agree_on_the_periodic_report(server: Any, station_factory: Any) -> None:
    clock = FakeClock(dt.datetime(2026, 11, 2, 9, 0))
    a = station_factory("a", clock=clock)
    enrol_station(a, server)
    first = a.intake.receive("canbo1", birth_request())
    a.intake.receive("canbo1", birth_request())
    clock.advance(days=1)
    a.workflow.act("canbo1", first.code, EventKind.RESULT_READY)
    sync(a, server.url)
    clock.advance(days=20)

    period = month_of(2026, 11)
    now = a.station.now()
    desk = ReportService(a.station).periodic(period)
    central = reporting.periodic(server.store, period, now, UNIT)
    assert row_values(central.total) == row_values(desk.total)
    assert central.total.received_new == 2 and central.total.resolved == 1
    assert [(f, row_values(t)) for f, t in central.rows] == [(f, row_values(t)) for f, t in desk.rows]
    cards = {c.unit_code: c for c in reporting.scorecards(server.store, period, now)}
    assert row_values(cards[UNIT].total) == row_values(desk.total)
    assert cards[UNIT].last_change_at is not None
