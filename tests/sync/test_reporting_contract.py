"""The central reporting contract gives the desk's numbers for the same events.

One event history made through real stations (two units, a dossier routed from
one to the other, a station offline for weeks that syncs late), pushed over real
HTTP to the server (SQLite and PostgreSQL); then every cell of each station's
``desk_app.reports`` for its unit is compared with ``central.reporting`` for that
unit, for a month, a quarter, a year and a custom range.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from central import reporting
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import Channel
from desk_app.reports.indicators import CELLS, ReportFilter, cell_dossiers
from desk_app.reports.periodic import row_values
from desk_app.reports.periods import custom, month_of, quarter_of, year_of
from desk_app.reports.query import ReportService
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import MARRIAGE_STATUS_CODE, FakeClock, birth_request
from tests.sync.conftest import OTHER_UNIT, UNIT, enrol_station, sync
from tests.sync.rollup_oracle import nonzero_rows, values

MISSING = [{"name": "Giấy chứng sinh", "note": "bản chính"}]


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
    # Freshness is the server's clock at the push (the fixture's server runs at 25/11/2026 09:00).
    assert cards[UNIT].last_change_at == server.app.state.central.store.clock()


def _history(server: Any, station_factory: Any, clock: FakeClock) -> dict[str, Any]:
    a = station_factory("a", clock=clock)
    offline = station_factory("a_offline", clock=clock)
    b = station_factory("b", clock=clock, unit=OTHER_UNIT)
    for station, unit in ((a, UNIT), (offline, UNIT), (b, OTHER_UNIT)):
        enrol_station(station, server, unit=unit)

    def day(n: int, hour: int = 9) -> None:
        clock.set(dt.datetime(2026, 10, 1, hour, 0, tzinfo=VN_TZ) + dt.timedelta(days=n))

    marriage = {"procedure_code": MARRIAGE_STATUS_CODE}
    day(0)
    d1 = a.intake.receive("canbo1", birth_request(**marriage))
    d2 = a.intake.receive("canbo1", birth_request(**marriage))
    routed = a.intake.receive("canbo1", birth_request(target_unit_code=OTHER_UNIT, **marriage))
    d4 = offline.intake.receive("canbo1", birth_request(**marriage))
    d5 = offline.intake.receive("canbo1", birth_request(**marriage))
    sync(a, server.url)
    day(1)
    a.workflow.act("canbo1", d1.code, EventKind.RESULT_READY)  # early
    a.workflow.act("canbo1", d2.code, EventKind.SUPPLEMENT_REQUESTED, missing=MISSING)
    sync(b, server.url)
    b.workflow.act("canbo1", routed.id, EventKind.PROCESSING_STARTED)
    local_b = b.intake.receive("canbo1", birth_request(channel=Channel.ONLINE, **marriage))
    sync(b, server.url)
    day(12)
    a.workflow.act("canbo1", d2.code, EventKind.SUPPLEMENTED)
    a.workflow.act("canbo1", d1.code, EventKind.RETURNED, method="buu_chinh", tracking_number="EB123456789VN")
    offline.workflow.act("canbo1", d4.code, EventKind.PROCESSING_STARTED)
    sync(a, server.url)
    day(20)
    b.workflow.act("canbo1", routed.id, EventKind.RESULT_READY)  # late
    b.workflow.act("canbo1", local_b.code, EventKind.REFUSED, reason="Không đủ điều kiện")
    sync(b, server.url)
    day(33)
    a.workflow.act("canbo1", d2.code, EventKind.SUPPLEMENT_REQUESTED, missing=MISSING)  # the second: late
    late = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    day(40)
    offline.workflow.act("canbo1", d4.code, EventKind.RESULT_READY)  # late; d5 stays open, overdue
    a.workflow.act("canbo1", late.code, EventKind.WITHDRAWN, reason="Công dân rút hồ sơ")
    day(52)
    for _ in range(2):  # the offline station comes back; everybody pulls everything
        for station in (offline, a, b):
            sync(station, server.url)
    return {"a": a, "b": b, "offline": offline, "d5": d5}


def test_every_cell_of_every_station_equals_the_servers(server: Any, station_factory: Any) -> None:
    clock = FakeClock(dt.datetime(2026, 10, 1, 9, 0))
    made = _history(server, station_factory, clock)
    now = clock()
    periods = (
        month_of(2026, 10),
        month_of(2026, 11),
        quarter_of(2026, 4),
        year_of(2026),
        custom(dt.date(2026, 10, 15), dt.date(2026, 11, 14)),
    )
    checked = 0
    for name, unit in (("a", UNIT), ("offline", UNIT), ("b", OTHER_UNIT)):
        station = made[name]
        service = ReportService(station.station)
        flt = ReportFilter(unit=unit)
        for period in periods:
            desk, facts = service.analyse(period, flt)
            central = reporting.periodic(server.store, period, now, unit)
            assert nonzero_rows(central.rows) == nonzero_rows(desk.rows), (name, period)
            assert values(central.total) == values(desk.total), (name, period)
            assert central.indicators == desk.indicators, (name, period)
            cards = {c.unit_code: c for c in reporting.scorecards(server.store, period, now)}
            assert values(cards[unit].total) == values(desk.total)
            for cell in CELLS:
                lines = reporting.cell_dossiers(server.store, period, now, unit, cell)
                assert sorted(x.code for x in lines) == sorted(cell_dossiers(facts, cell, flt)), (name, cell)
            checked += 1
    assert checked == 15
    # the history has something in every column that matters
    q4 = reporting.periodic(server.store, quarter_of(2026, 4), now, None).total
    assert q4.early and q4.late and q4.overdue and q4.dropped and q4.refusals and q4.returned_by_post
    assert q4.supplement_requests == 2 and q4.received_online == 1
    overdue = reporting.overdue_dossiers(server.store, UNIT, now)
    assert made["d5"].code in [x.code for x in overdue]
    assert overdue == reporting.reference_overdue_dossiers(server.store, UNIT, now)
