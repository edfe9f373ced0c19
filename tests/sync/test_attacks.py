"""Issue 10: one broken or hostile device cannot hurt another unit, another station or the server.

Each test attacks the real server over HTTP on SQLite and PostgreSQL (the ``server``
fixture) and failed on the code before the fix.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from central import service as svc
from desk_app.domain.lifecycle import EventKind
from desk_app.store.repositories import event_to_row
from tests.helpers.fakes import birth_request
from tests.sync.conftest import OTHER_UNIT, UNIT, LiveServer, enrol_station, sync


def _token(app: Any) -> str:
    from desk_app.credentials import station_token

    return str(station_token(app.station))


def _auth(app: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(app)}"}


def _push(server: LiveServer, app: Any, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/v1/changes", json={"changes": changes}, headers=_auth(app))
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


def _as_change(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": event["id"], "kind": "event", "entity_id": event["dossier_id"], "payload": event}


def _received(app: Any, **overrides: Any) -> dict[str, Any]:
    """A genuine RECEIVED event of ``app`` (not yet pushed), as it travels."""
    d = app.intake.receive("canbo1", birth_request(**overrides))
    with app.station.uow() as uow:
        event = event_to_row(uow.dossiers.events(d.id)[0])
        uow.outbox.acknowledge([event["id"]])  # pushed by hand in these tests
        uow.commit()
    return event


def _event_id(n: int) -> str:
    return f"01a00000-0000-7000-8000-{n:012d}"


# ------------------------------------------------------------------ 10.1 another unit's dossier
def test_a_forged_received_cannot_take_over_another_units_dossier(
    server: LiveServer, station_factory: Any
) -> None:
    a = station_factory("a")
    b = station_factory("b", unit=OTHER_UNIT)
    enrol_station(a, server)
    enrol_station(b, server, unit=OTHER_UNIT)
    real = b.intake.receive("canbo1", birth_request())
    sync(b, server.url)

    forged = _received(a)  # a genuine-looking RECEIVED of unit A ...
    forged["payload"]["dossier"]["id"] = forged["dossier_id"] = real.id  # ... reusing B's dossier id
    forged["payload"]["dossier"]["target_unit_code"] = OTHER_UNIT  # ... and routed to B
    withdrawn = {
        **forged,
        "id": _event_id(1),
        "kind": EventKind.WITHDRAWN.value,
        "hlc": a.station.hlc.now(),
        "payload": {"reason": "giả mạo"},
    }
    results = _push(server, a, [_as_change(forged), _as_change(withdrawn)])
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "đã có trên máy chủ" in results[0]["reason"]
    assert "không thuộc đơn vị" in results[1]["reason"]

    sync(b, server.url)
    with b.station.uow(write=False) as uow:
        mine = uow.dossiers.get(real.id)
    assert mine is not None and mine.status == "received" and not mine.has_conflict
    exported = {d["id"]: d for d in svc.unit_dossiers(server.store, OTHER_UNIT)}
    assert exported[real.id]["status"] == "received" and not exported[real.id]["has_conflict"]


def test_routing_must_name_an_existing_unit(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    event = _received(a, target_unit_code="000.99.99.H99")
    [result] = _push(server, a, [_as_change(event)])
    assert result["status"] == "rejected" and "không có trên máy chủ" in result["reason"]


# ------------------------------------------------------------------ 10.2 the wire schema
def _mutations() -> dict[str, Any]:
    def drop(path: str) -> Any:
        def apply(e: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            target = e
            for key in parents:
                target = target[key]
            del target[last]

        return apply

    def put(path: str, value: Any) -> Any:
        def apply(e: dict[str, Any]) -> None:
            *parents, last = path.split(".")
            target = e
            for key in parents:
                target = target[key]
            target[last] = value

        return apply

    return {
        "no procedure_code": drop("payload.dossier.procedure_code"),
        "no applicant name": drop("payload.applicant.full_name"),
        "due_at not a date": put("payload.due_at", "sang thứ hai"),
        "due_at a number": put("payload.due_at", 20261126),
        "received in year 1": put("payload.dossier.received_at", "0001-01-01T00:00:00+07:00"),
        "event in year 9999": put("at", "9999-12-31T23:59:59+07:00"),
        "event time without zone": put("at", "2026-11-25T09:00:00"),
        "due in year 9999": put("payload.due_at", "9999-12-31T17:00:00+07:00"),
        "sets not a number": put("payload.dossier.sets", "hai"),
        "unknown event kind": put("kind", "teleported"),
        "unknown channel": put("payload.dossier.channel", "fax"),
    }


def test_malformed_events_are_rejected_with_a_reason(server: LiveServer, station_factory: Any) -> None:
    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    mutations = _mutations()
    bad = []
    for mutate in mutations.values():
        event = _received(a)
        mutate(event)
        bad.append(_as_change(event))
    good = _received(a)
    results = _push(server, a, [*bad, _as_change(good)])
    for name, result in zip(mutations, results, strict=False):
        assert result["status"] == "rejected" and result["reason"], (name, result)
    assert results[-1]["status"] == "ok"
    assert "procedure_code" in results[0]["reason"] and "múi giờ" in results[6]["reason"]
    # nothing downstream breaks: the other station, the conflicts page, the export
    report = sync(b, server.url)
    assert report.pull.applied.events == 1 and report.quarantined == 0
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/v1/conflicts", headers=_auth(b)).status_code == 200
    assert [d["id"] for d in svc.unit_dossiers(server.store, UNIT)] == [good["dossier_id"]]


def test_absurd_extensions_and_unknown_kinds_are_rejected(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    received = _received(a)
    extension = {
        **received,
        "id": _event_id(2),
        "kind": EventKind.EXTENDED.value,
        "hlc": a.station.hlc.now(),
        "payload": {"due_at": "2041-01-01T17:00:00+07:00", "reason": "chậm"},  # 14 years later
    }
    unknown = {"id": _event_id(3), "kind": "teleport", "payload": {}}
    generic = {"id": _event_id(4), "kind": "ticket_event", "payload": {"anything": 1}}
    results = _push(server, a, [_as_change(received), _as_change(extension), unknown, generic])
    assert [r["status"] for r in results] == ["ok", "rejected", "rejected", "rejected"]
    assert "hạn giải quyết" in results[1]["reason"]
    assert "không được hỗ trợ" in results[2]["reason"]


# ------------------------------------------------------------------ 10.2 the station's side
def _store_raw(server: LiveServer, kind: str, payload: dict[str, Any], unit: str = UNIT) -> None:
    """A change written straight into the server's log (as a bug or an older server could)."""
    with server.store.write() as conn:
        svc.append_changes(
            server.store,
            conn,
            [svc._row(svc.new_id(), kind, unit, "", payload.get("dossier_id"), "", payload, svc.now_iso())],
        )


def test_a_station_quarantines_a_bad_change_and_keeps_pulling(
    server: LiveServer, station_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from desk_app.sync.apply import quarantined
    from desk_app.sync.worker import SyncWorker

    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    bad = _received(a)
    del bad["payload"]["dossier"]["procedure_code"]
    _store_raw(server, "event", bad)
    far = _received(a)
    far["hlc"] = "9999999999999-00000-" + a.station.device_id
    _store_raw(server, "event", far)
    _store_raw(server, "calendar", {"day": "31/12/2026", "kind": "off"})
    good = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)

    hlc_before = b.station.hlc.now()
    with caplog.at_level(logging.WARNING):
        report = sync(b, server.url)
    assert report.quarantined == 3 and report.pull.applied.events == 1
    with b.station.uow(write=False) as uow:
        assert uow.dossiers.get(good.id) is not None
        kept = quarantined(uow)
        cursor = int(uow.meta.get("sync_cursor") or 0)
    assert cursor == report.pull.cursor > 0
    reasons = " ".join(k["reason"] for k in kept)
    assert "procedure_code" in reasons and "HLC" in reasons and "day" in reasons
    assert b.station.hlc.now()[:13] == hlc_before[:13]  # the clock did not jump to 2286
    # a second round moves on (nothing re-applied, nothing stuck)
    again = sync(b, server.url)
    assert again.pull.changes == 0 and again.quarantined == 3
    worker = SyncWorker(b.station, lambda: httpx.Client(base_url=server.url, timeout=10))
    status = worker.run_once()
    assert status.online and status.quarantined == 3 and "bị giữ lại" in status.label


def test_damaged_rows_already_on_the_server_do_not_break_conflicts_or_the_export(
    server: LiveServer, station_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from central.cli import main as central_main

    a = station_factory("a")
    enrol_station(a, server)
    damaged = _received(a)
    damaged["payload"]["due_at"] = "sang thứ hai"  # stored before pushes were checked
    _store_raw(server, "event", damaged)
    broken = {**_received(a), "at": "hôm qua"}
    _store_raw(server, "event", broken)
    good = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    with httpx.Client(base_url=server.url) as http:
        r = http.get("/v1/conflicts", headers=_auth(a))
    assert r.status_code == 200
    flagged = {d["id"] for d in r.json()}
    assert flagged == {damaged["dossier_id"], broken["dossier_id"]}
    assert central_main(["--db", server.db_url, "dossiers", "export", "--unit", UNIT, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert good.code in out and damaged["payload"]["dossier"]["code"] in out


def test_a_page_that_fails_in_the_database_is_applied_change_by_change(
    server: LiveServer, station_factory: Any
) -> None:
    """A RECEIVED whose dossier code is already used here by another dossier passes the
    schema but breaks the page's insert: the page is applied change by change instead."""
    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    local = b.intake.receive("canbo1", birth_request())
    clash = _received(a)
    clash["payload"]["dossier"]["code"] = local.code
    _store_raw(server, "event", clash)
    good = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    report = sync(b, server.url)
    assert report.quarantined == 1
    with b.station.uow(write=False) as uow:
        assert uow.dossiers.get(good.id) is not None and uow.dossiers.get(clash["dossier_id"]) is None


# ------------------------------------------------------------------ 10.4 identities
def test_a_fresh_code_cannot_take_over_an_enrolled_device(server: LiveServer, station_factory: Any) -> None:
    from desk_app.sync.client import SyncError, enrol

    a, thief = station_factory("a"), station_factory("thief")
    enrol_station(a, server)
    svc.revoke(server.store, a.station.device_id, "máy bị mất")
    code = svc.new_enrol_code(server.store, UNIT)
    body = {"code": code, "device_id": a.station.device_id, "name": "x", "local_high": {}}
    with httpx.Client(base_url=server.url) as http:
        r = http.post("/v1/enrol", json=body)
        assert r.status_code == 403 and "đã được đăng ký" in r.json()["detail"]
        assert http.get("/v1/me", headers=_auth(a)).status_code == 403  # still revoked
        with pytest.raises(SyncError):  # and the code was not spent on the attempt
            enrol(thief.station, http, "AAAA-BBBB-CCCC")
        enrol(thief.station, http, code)
        # the admin's way back for a reinstalled machine: forget the revoked enrolment
        with pytest.raises(svc.AdminError, match="đã thu hồi"):
            svc.forget_device(server.store, thief.station.device_id)
        svc.forget_device(server.store, a.station.device_id)
        enrol(a.station, http, svc.new_enrol_code(server.store, UNIT))
        assert http.get("/v1/me", headers=_auth(a)).status_code == 200


def test_pushing_someone_elses_change_id_never_drops_their_change(
    server: LiveServer, station_factory: Any
) -> None:
    a, mallory = station_factory("a"), station_factory("mallory")
    enrol_station(a, server)
    enrol_station(mallory, server)
    d = a.intake.receive("canbo1", birth_request())
    with a.station.uow(write=False) as uow:
        pending = [row.id for row in uow.outbox.pending()]
    # mallory learnt a's pending ids and pushes them first, as its own changes
    stolen = [
        {"id": cid, "kind": "ticket_event", "payload": _ticket(cid, mallory.station.device_id)}
        for cid in pending
    ]
    assert {r["status"] for r in _push(server, mallory, stolen)} == {"ok"}
    report = sync(a, server.url)
    assert report.push.accepted == 0 and report.push.duplicates == 0
    assert {reason for _, reason in report.push.rejected} == {
        "Mã thay đổi đã được một thiết bị khác dùng; thay đổi này chưa được nhận."
    }
    with a.station.uow(write=False) as uow:
        kept = {row.id for row in uow.outbox.rejected()}
        assert kept == set(pending) and uow.dossiers.get(d.id) is not None  # kept for staff, not dropped
    # a true repeat by the owner is still a duplicate; a changed repeat is refused
    ticket = _ticket(_event_id(9), a.station.device_id)
    assert (
        _push(server, a, [{"id": _event_id(9), "kind": "ticket_event", "payload": ticket}])[0]["status"]
        == "ok"
    )
    again = _push(server, a, [{"id": _event_id(9), "kind": "ticket_event", "payload": ticket}])
    assert again[0]["status"] == "duplicate"
    changed = _push(
        server, a, [{"id": _event_id(9), "kind": "ticket_event", "payload": {**ticket, "officer": "x"}}]
    )
    assert changed[0]["status"] == "rejected" and "nội dung khác" in changed[0]["reason"]


def _ticket(cid: str, device_id: str) -> dict[str, Any]:
    return {
        "id": cid,
        "at": "2026-11-25T09:00:00+07:00",
        "day": "2026-11-25",
        "kind": "issued",
        "ticket_id": "ticket-1",
        "device_id": device_id,
    }


# ------------------------------------------------------------------ 10.5 bounded abuse
def test_leases_are_capped_per_device_and_day(
    server: LiveServer, station_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = station_factory("a"), station_factory("b")
    enrol_station(a, server)
    enrol_station(b, server)
    granted, statuses = 0, []
    with httpx.Client(base_url=server.url) as http, caplog.at_level(logging.WARNING, "central.service"):
        for i in range(45):
            r = http.post(
                "/v1/leases", json={"id": f"grab-{i:04d}xx", "day": "261126", "size": 200}, headers=_auth(a)
            )
            statuses.append(r.status_code)
            if r.status_code == 200:
                granted += r.json()["end"] - r.json()["start"] + 1
        assert granted <= svc.LEASE_NUMBERS_PER_DEVICE_DAY and statuses.count(409) >= 40
        assert "lease cap reached" in caplog.text
        r = http.post("/v1/leases", json={"id": "honest-0001", "day": "261126", "size": 20}, headers=_auth(b))
        assert r.status_code == 200 and r.json()["end"] < 9000  # the others still get numbers
    # the capped station keeps working: the round succeeds, intake falls back to its own slot
    report = sync(a, server.url)
    assert report.pending == 0


def test_clocks_too_far_ahead_are_refused(server: LiveServer, station_factory: Any) -> None:
    from desk_app.hlc import ClockTooFarAhead, HybridLogicalClock

    a = station_factory("a")
    enrol_station(a, server)
    event = _received(a)
    two_days = int((dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)).timestamp() * 1000)
    event["hlc"] = f"{two_days:013d}-00000-{a.station.device_id}"
    [result] = _push(server, a, [_as_change(event)])
    assert result["status"] == "rejected" and "HLC" in result["reason"]

    clock = HybridLogicalClock("dev", lambda: 1_764_039_600_000)
    before = clock.now()
    with pytest.raises(ClockTooFarAhead):
        clock.observe("9999999999999-00000-peer")
    assert clock.now()[:13] == before[:13]
    clock.observe("1764039660000-00003-peer")  # a minute ahead: fine
    assert clock.now().startswith("1764039660000-00005")


def test_revocation_takes_effect_on_the_next_request(db_url: str, station_factory: Any) -> None:
    live = LiveServer(db_url)  # the production default: token look-ups cached for empty polls
    try:
        svc.add_unit(live.store, UNIT, "Xã Vĩnh Lương")
        a = station_factory("a")
        enrol_station(a, live)
        with httpx.Client(base_url=live.url) as http:
            assert http.get("/v1/me", headers=_auth(a)).status_code == 200
            svc.revoke(live.store, a.station.device_id, "máy bị mất")
            r = http.post("/v1/changes", json={"changes": []}, headers=_auth(a))
            assert r.status_code == 403 and "máy bị mất" in r.json()["detail"]
            assert (
                http.post(
                    "/v1/leases", json={"id": "abcdefgh", "day": "261125"}, headers=_auth(a)
                ).status_code
                == 403
            )
    finally:
        live.stop()


def test_spoofed_forwarded_for_neither_bypasses_nor_grows_the_enrolment_limiter(
    db_url: str,
) -> None:
    from central.app import TokenBucket

    live = LiveServer(db_url, trusted_proxy="127.0.0.1", enrol_rate=0.1, enrol_burst=3)
    try:
        body = {"code": "AAAA-BBBB-CCCC", "device_id": "dev-00000001"}
        statuses = []
        with httpx.Client(base_url=live.url) as http:
            for i in range(8):  # made-up client addresses, the proxy's real last hop
                spoof = {"X-Forwarded-For": f"10.9.{i}.1, 203.0.113.7"}
                statuses.append(http.post("/v1/enrol", json=body, headers=spoof).status_code)
        assert statuses[:3] == [403, 403, 403] and set(statuses[3:]) == {429}
        central = live.app.state.central
        assert len(central.enrol_bucket) == 1
    finally:
        live.stop()
    live = LiveServer(db_url, enrol_rate=0.1, enrol_burst=3)  # no proxy configured: the header is ignored
    try:
        with httpx.Client(base_url=live.url) as http:
            statuses = [
                http.post("/v1/enrol", json=body, headers={"X-Forwarded-For": f"10.9.{i}.1"}).status_code
                for i in range(6)
            ]
        assert set(statuses[3:]) == {429}
    finally:
        live.stop()
    bucket = TokenBucket(1.0, 1.0, max_keys=100)
    for i in range(1000):
        bucket.allow(f"10.0.{i // 256}.{i % 256}")
    assert len(bucket) == 100


# ------------------------------------------------------------------ 10.10 enrolment over a bad line
def test_enrolment_survives_lost_answers_and_the_code_stays_useless_to_others(
    server: LiveServer, station_factory: Any
) -> None:
    from desk_app.sync.client import SyncError, enrol
    from tests.sync.proxy import FaultyProxy

    a, b = station_factory("a"), station_factory("b")
    code = svc.new_enrol_code(server.store, UNIT)
    proxy = FaultyProxy(server.port, seed=5, lose=1.0)  # the server commits, the answer never comes
    try:
        with httpx.Client(base_url=proxy.url, timeout=5) as http:
            with pytest.raises(SyncError) as info:
                enrol(a.station, http, code, attempts=2, retry_delay=0.01)
        message = str(info.value)
        assert "chờ gửi" not in message and "tự gửi" not in message and "cùng mã" in message
        proxy.set_rates(lose=0.0, cut=0.6)
        with httpx.Client(base_url=proxy.url, timeout=5) as http:
            answer = enrol(a.station, http, code, attempts=10, retry_delay=0.01)
    finally:
        proxy.close()
    assert answer["unit_code"] == UNIT
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/v1/me", headers=_auth(a)).json()["device_id"] == a.station.device_id
        with pytest.raises(SyncError, match="đã được dùng"):
            enrol(b.station, http, code)
    devices = svc.list_devices(server.store, UNIT)
    assert [d["id"] for d in devices] == [a.station.device_id]


# ------------------------------------------------------------------ 10.8 http only on loopback
def test_the_client_refuses_plain_http_off_loopback(station_factory: Any) -> None:
    from desk_app.sync.client import SyncClient, SyncError, enrol, insecure_reason, make_http

    a = station_factory("a")
    for url in ("http://motcua.example.gov.vn", "http://192.0.2.10:8765", "ftp://x"):
        with pytest.raises(SyncError, match="https://"):
            make_http(url)
        with httpx.Client(base_url=url) as http:
            with pytest.raises(SyncError, match="https://"):
                enrol(a.station, http, "AAAA-BBBB-CCCC")
            with pytest.raises(SyncError, match="https://"):
                SyncClient(a.station, http)
    for url in (
        "https://motcua.example.gov.vn",
        "http://127.0.0.1:8765",
        "http://localhost:1",
        "http://[::1]:2",
    ):
        assert insecure_reason(url) is None
    assert insecure_reason("http://192.0.2.10:8765", allow_http=True) is None
    make_http("http://192.0.2.10:8765", allow_http=True).close()


# ------------------------------------------------------------------ 10.3 bodies
class _HugeBody:
    """A 100 MB body streamed in 64 KB chunks (chunked, no Content-Length); ``sent`` counts
    what the server actually read."""

    def __init__(self) -> None:
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        chunk = b" " * 65536
        for _ in range(1600):
            self.sent += len(chunk)
            yield chunk


def test_bodies_are_bounded_however_they_arrive(server: LiveServer, station_factory: Any) -> None:
    from central.app import MAX_BODY, MAX_SMALL_BODY

    a = station_factory("a")
    enrol_station(a, server)
    slack = 16 * 1024 * 1024  # socket buffers on loopback
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for path, headers, limit in (
            ("/v1/enrol", {}, MAX_SMALL_BODY),
            ("/v1/changes", _auth(a), MAX_BODY),
        ):
            body = _HugeBody()
            try:
                status: int | None = http.post(
                    path, content=body, headers=headers | {"content-type": "application/json"}
                ).status_code
            except httpx.HTTPError:
                status = None  # the server stopped reading and closed the line
            assert status in (413, None), (path, status)
            assert body.sent <= limit + slack, (path, body.sent)
        assert http.get("/health").status_code == 200
    with server.store.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM changes")).scalar_one() == 0


def test_deep_nesting_and_lone_surrogates_get_4xx(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    deep = b"[" * 5000 + b"]" * 5000
    cases = [
        ("/v1/changes", b'{"changes":[{"id":"x1","kind":"event","payload":' + deep + b"}]}"),
        ("/v1/changes", deep),
        ("/v1/changes", b'{"changes":[{"id":"x2","kind":"ticket_event","payload":{"officer":"\\ud800"}}]}'),
        ("/v1/changes", b'{"changes":[{"id":"\\udc00","kind":"ticket_event","payload":{}}]}'),
        ("/v1/enrol", b'{"code":"\\ud800\\ud800\\ud800\\ud800","device_id":"dev-00000001"}'),
        ("/v1/enrol", b'{"code":"ABCD-EFGH-JKLM","device_id":"dev-00000001","name":"\\udfff"}'),
        ("/v1/enrol", b'{"code":' + deep + b"}"),
        ("/v1/leases", b'{"id":' + deep + b"}"),
        ("/v1/changes", b'{"changes":[{"id":"x3","kind":"ticket_event","payload":{"a":"\xff\xfe"}}]}'),
    ]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for path, body in cases:
            r = http.post(path, content=body, headers=_auth(a) | {"content-type": "application/json"})
            assert 400 <= r.status_code < 500, (path, body[:80], r.status_code, r.text[:200])
            assert r.json()["detail"]
        assert http.get("/health").status_code == 200
