"""End-to-end sync over real HTTP on 127.0.0.1, against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select, text

from central import service as svc
from desk_app.domain.lifecycle import EventKind
from desk_app.store import schema as s
from tests.helpers.fakes import FakeClock, birth_request
from tests.sync.conftest import OTHER_UNIT, UNIT, all_codes, enrol_station, server_event_ids, snapshot, sync


def _pending(app: Any) -> int:
    with app.station.uow(write=False) as uow:
        return uow.outbox.pending_count()


def test_enrol_push_pull_between_two_counters(server: Any, station_factory: Any) -> None:
    a, b = station_factory("a"), station_factory("b")
    ea, eb = enrol_station(a, server), enrol_station(b, server)
    assert ea["unit_code"] == UNIT and ea["slot"] != eb["slot"]
    assert a.station.enrolled and a.station.slot == ea["slot"]

    dossier = a.intake.receive("canbo1", birth_request())
    assert _pending(a) == 1
    report = sync(a, server.url)
    assert report.pending == 0 and report.push.accepted == 1
    sync(b, server.url)
    with b.station.uow(write=False) as uow:
        copy = uow.dossiers.get(dossier.id)
    assert copy is not None and copy.code == dossier.code and copy.status == "received"

    b.workflow.act("canbo1", dossier.code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    sync(b, server.url)
    sync(a, server.url)
    assert snapshot(a) == snapshot(b)
    assert snapshot(a)[dossier.id][1] == "transferred"
    ids = server_event_ids(server.store)
    assert len(ids) == len(set(ids)) == 2
    # a second round changes nothing and re-sends nothing
    again = sync(a, server.url)
    assert again.push.sent == 0 and again.pull.changes == 0


def test_offline_conflict_is_flagged_on_both_sides_and_on_the_server(
    server: Any, station_factory: Any
) -> None:
    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    d = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    sync(b, server.url)
    # both counters go offline and both record the result and its return
    for app in (a, b):
        app.workflow.act("canbo1", d.code, EventKind.RESULT_READY, result="Giấy khai sinh")
        app.workflow.act("canbo1", d.code, EventKind.RETURNED, receiver="Nguyễn Văn Dũng")
    for app in (a, b, a):
        sync(app, server.url)
    sa, sb = snapshot(a), snapshot(b)
    assert sa == sb
    code, status, _due, has_conflict, _hlc, flagged = sa[d.id]
    assert status == "returned" and has_conflict and len(flagged) == 2
    with httpx.Client(base_url=server.url) as http:
        token = _token(a)
        listed = http.get("/v1/conflicts", headers={"Authorization": f"Bearer {token}"}).json()
    assert [x["code"] for x in listed] == [code]
    assert {c["event_id"] for c in listed[0]["conflicts"]} == set(flagged)


def _token(app: Any) -> str:
    from desk_app.credentials import station_token

    return str(station_token(app.station))


def test_a_bad_change_is_rejected_with_a_reason_and_does_not_block_the_batch(
    server: Any, station_factory: Any
) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    a.intake.receive("canbo1", birth_request())
    with a.station.uow() as uow:
        uow.outbox.add(
            "bad-1", "event", "nope", {"id": "bad-1", "kind": "teleported"}, "2026-11-25T09:00:00+07:00"
        )
        uow.outbox.add("bad-2", "Weird Kind!", "x", {"id": "bad-2"}, "2026-11-25T09:00:00+07:00")
        uow.commit()
    a.intake.receive("canbo1", birth_request())
    report = sync(a, server.url)
    assert report.push.accepted == 2 and report.pending == 0 and report.rejected == 2
    with a.station.uow(write=False) as uow:
        rejected = {r.id: r.last_error for r in uow.outbox.rejected()}
    assert set(rejected) == {"bad-1", "bad-2"}
    assert all(reason for reason in rejected.values())


def test_queue_ticket_events_are_stored_generically(server: Any, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    with a.station.uow() as uow:
        uow.outbox.add(
            "t-ev-1",
            "ticket_event",
            "ticket-1",
            {
                "id": "t-ev-1",
                "ticket_id": "ticket-1",
                "kind": "issued",
                "at": "2026-11-25T09:00:00+07:00",
                "day": "2026-11-25",
                "device_id": a.station.device_id,
            },
            "2026-11-25T09:00:00+07:00",
        )
        uow.commit()
    assert sync(a, server.url).push.accepted == 1
    with server.store.read() as conn:
        kind, unit = conn.execute(
            text("SELECT kind, unit_code FROM changes WHERE change_id = 't-ev-1'")
        ).one()
    assert (kind, unit) == ("ticket_event", UNIT)


def test_dossier_received_for_another_unit_is_routed_to_it(server: Any, station_factory: Any) -> None:
    a = station_factory("a")
    other = station_factory("other", unit=OTHER_UNIT)
    outsider = station_factory("outsider", unit="000.23.31.H56")
    svc.add_unit(server.store, "000.23.31.H56", "Xã khác")
    enrol_station(a, server)
    enrol_station(other, server, unit=OTHER_UNIT)
    enrol_station(outsider, server, unit="000.23.31.H56")
    d = a.intake.receive("canbo1", birth_request(target_unit_code=OTHER_UNIT))
    local = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    sync(other, server.url)
    sync(outsider, server.url)
    assert all_codes(other) == [d.code]  # routed here; the other dossier stays with its unit
    assert all_codes(outsider) == []
    # the competent unit works on it and the receiving unit sees the progress
    other.workflow.act("canbo1", d.id, EventKind.PROCESSING_STARTED)
    sync(other, server.url)
    sync(a, server.url)
    assert snapshot(a)[d.id][1] == "processing"
    assert local.id not in snapshot(other)


def test_calendar_and_catalogue_are_server_authoritative(server: Any, station_factory: Any) -> None:
    from desk_app.services.catalog import procedure_from_dict, procedure_to_dict
    from tests.helpers.fakes import sample_procedures

    a = station_factory("a")
    enrol_station(a, server)
    with a.station.uow() as uow:
        uow.calendar.set(dt.date(2026, 12, 31), "work", "local guess")
        uow.commit()
    svc.add_calendar_override(server.store, dt.date(2026, 12, 31), "off", "", "Nghỉ bù")
    svc.add_calendar_override(server.store, dt.date(2027, 1, 2), "work", UNIT, "Làm bù")
    svc.add_calendar_override(server.store, dt.date(2027, 1, 3), "off", OTHER_UNIT, "not ours")
    renamed = procedure_to_dict(sample_procedures()[0]) | {"name": "Đăng ký khai sinh (mới)"}
    svc.import_procedures(server.store, [procedure_from_dict(renamed)])
    sync(a, server.url)
    with a.station.uow(write=False) as uow:
        rows = {r.day: (r.kind, r.source) for r in uow.conn.execute(select(s.calendar_overrides))}
        proc = uow.procedures.get(renamed["code"])
    assert rows == {"2026-12-31": ("off", "server"), "2027-01-02": ("work", "server")}
    assert proc is not None and proc.name == "Đăng ký khai sinh (mới)"
    assert not a.station.calendar.is_working_day(dt.date(2026, 12, 31))


def test_server_leases_are_stocked_then_the_fallback_slice_is_used_offline(
    server: Any, station_factory: Any
) -> None:
    clock = FakeClock(dt.datetime(2026, 11, 25, 9, 0))
    a, b = station_factory("a", clock), station_factory("b", clock)
    ea = enrol_station(a, server)
    enrol_station(b, server)
    sync(a, server.url)
    sync(b, server.url)
    with a.station.uow(write=False) as uow:
        today = uow.leases.for_day(UNIT, "261125")
        tomorrow = uow.leases.for_day(UNIT, "261126")
    assert sum(x.remaining for x in today if x.source == "server") >= 20
    assert sum(x.remaining for x in tomorrow if x.source == "server") >= 20
    made = [a.intake.receive("canbo1", birth_request()).code for _ in range(25)]  # 20 leased, then fallback
    made += [b.intake.receive("canbo1", birth_request()).code for _ in range(3)]
    seqs_a = [int(c[-4:]) for c in made[:25]]
    lo, hi = 9000 + 50 * ea["slot"], 9000 + 50 * ea["slot"] + 49
    assert all(x <= 8999 for x in seqs_a[:20]) and all(lo <= x <= hi for x in seqs_a[20:])
    assert len(set(made)) == len(made)
    sync(a, server.url)
    sync(b, server.url)
    sync(a, server.url)
    codes_a = all_codes(a)
    assert sorted(codes_a) == sorted(all_codes(b)) and len(set(codes_a)) == 28


def test_grant_is_idempotent_per_request_id(server: Any, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    headers = {"Authorization": f"Bearer {_token(a)}"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        one = http.post("/v1/leases", json={"id": "req-00000001", "day": "261127", "size": 5}).json()
        two = http.post("/v1/leases", json={"id": "req-00000001", "day": "261127", "size": 5}).json()
        three = http.post("/v1/leases", json={"id": "req-00000002", "day": "261127", "size": 5}).json()
    assert one == two and (one["start"], one["end"]) == (1, 5) and three["start"] == 6


def test_health_and_openapi(server: Any) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/health").json()["status"] == "ok"
        paths = http.get("/openapi.json").json()["paths"]
    assert {"/v1/enrol", "/v1/changes", "/v1/leases", "/v1/conflicts", "/health"} <= set(paths)


def test_pull_pages_with_progress(server: Any, station_factory: Any) -> None:
    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    for _ in range(30):
        a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    seen: list[tuple[int, int, int]] = []
    from desk_app.sync.client import SyncClient

    with httpx.Client(base_url=server.url) as http:
        report = SyncClient(b.station, http, page_size=7).pull(lambda *p: seen.append(p))
    assert report.changes == 30 and report.pages == 5 and seen[-1][0] == 30
    assert [x[0] for x in seen] == [7, 14, 21, 28, 30]
