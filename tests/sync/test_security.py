"""Authentication, unit isolation, rate limiting and malformed input (never a 5xx)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central import service as svc
from desk_app.domain.lifecycle import EventKind
from tests.helpers.fakes import birth_request
from tests.sync.conftest import OTHER_UNIT, UNIT, LiveServer, enrol_station, sync


def _token(app: Any) -> str:
    from desk_app.credentials import station_token

    return str(station_token(app.station))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_requests_without_a_valid_token_are_refused(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    with httpx.Client(base_url=server.url) as http:
        r = http.get("/v1/changes")
        assert r.status_code == 401 and "xác thực" in r.json()["detail"]
        assert http.get("/v1/changes", headers=_auth("not-a-token")).status_code == 401
        assert http.get("/v1/changes", headers={"Authorization": "Basic abc"}).status_code == 401
        assert http.post("/v1/changes", json={"changes": []}).status_code == 401
        assert http.post("/v1/leases", json={"id": "x" * 10, "day": "261125"}).status_code == 401
        assert http.get("/v1/changes", headers=_auth(_token(a))).status_code == 200


def test_a_revoked_device_is_refused_with_the_reason(server: LiveServer, station_factory: Any) -> None:
    from desk_app.sync.client import SyncError

    a = station_factory("a")
    enrol_station(a, server)
    a.intake.receive("canbo1", birth_request())
    svc.revoke(server.store, a.station.device_id, "máy bị mất")
    with httpx.Client(base_url=server.url) as http:
        r = http.get("/v1/me", headers=_auth(_token(a)))
    assert r.status_code == 403 and "máy bị mất" in r.json()["detail"]
    with pytest.raises(SyncError) as info:
        sync(a, server.url)
    assert info.value.auth and "thu hồi" in str(info.value)
    with a.station.uow(write=False) as uow:
        assert uow.outbox.pending_count() == 1  # nothing lost: it waits for a new enrolment


def test_enrolment_codes_are_one_time(server: LiveServer, station_factory: Any) -> None:
    from desk_app.sync.client import SyncError, enrol

    a, b = station_factory("a"), station_factory("b")
    code = svc.new_enrol_code(server.store, UNIT)
    with httpx.Client(base_url=server.url) as http:
        enrol(a.station, http, code)
        with pytest.raises(SyncError, match="đã được dùng"):
            enrol(b.station, http, code)
        with pytest.raises(SyncError, match="không đúng"):
            enrol(b.station, http, "AAAA-BBBB-CCCC")
    with pytest.raises(svc.AdminError):
        svc.new_enrol_code(server.store, "999.99.99.H99")


def test_a_device_cannot_touch_another_units_dossiers(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    intruder = station_factory("intruder", unit=OTHER_UNIT)
    enrol_station(a, server)
    enrol_station(intruder, server, unit=OTHER_UNIT)
    d = a.intake.receive("canbo1", birth_request())
    sync(a, server.url)
    sync(intruder, server.url)
    assert intruder.queries is not None
    with intruder.station.uow(write=False) as uow:
        assert uow.dossiers.get(d.id) is None  # never pulled
    with a.station.uow(write=False) as uow:
        received = uow.dossiers.events(d.id)[0]
    from desk_app.store.repositories import event_to_row

    forged_event = {
        "id": "01a00000-0000-7000-8000-000000000001",
        "dossier_id": d.id,
        "kind": "returned",
        "at": "2026-11-25T10:00:00+07:00",
        "actor": "x",
        "device_id": intruder.station.device_id,
        "hlc": "1764039600000-00000-" + intruder.station.device_id,
        "payload": {},
    }
    foreign_receive = event_to_row(received) | {
        "id": "01a00000-0000-7000-8000-000000000002",
        "device_id": intruder.station.device_id,
    }
    spoofed_device = forged_event | {
        "id": "01a00000-0000-7000-8000-000000000003",
        "device_id": a.station.device_id,
    }
    body = {
        "changes": [
            {"id": e["id"], "kind": "event", "payload": e}
            for e in (forged_event, foreign_receive, spoofed_device)
        ]
    }
    with httpx.Client(base_url=server.url) as http:
        answer = http.post("/v1/changes", json=body, headers=_auth(_token(intruder))).json()
    assert [r["status"] for r in answer["results"]] == ["rejected"] * 3
    assert "không thuộc đơn vị" in answer["results"][0]["reason"]
    assert "đơn vị của mình" in answer["results"][1]["reason"]
    assert "thiết bị này" in answer["results"][2]["reason"]


def test_rate_limit_per_device(tmp_path: Path, station_factory: Any) -> None:
    live = LiveServer(f"sqlite:///{tmp_path / 'c.sqlite3'}", rate_per_second=1.0, rate_burst=3.0)
    try:
        svc.add_unit(live.store, UNIT, "Xã Vĩnh Lương")
        a = station_factory("a")
        enrol_station(a, live)
        with httpx.Client(base_url=live.url) as http:
            codes = [http.get("/v1/me", headers=_auth(_token(a))).status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
    finally:
        live.stop()


def test_malformed_requests_get_4xx_with_a_reason(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    h = _auth(_token(a))
    cases = [
        ("POST", "/v1/changes", b"{not json"),
        ("POST", "/v1/changes", b"[]"),
        ("POST", "/v1/changes", b'{"changes": 5}'),
        ("POST", "/v1/changes", b'{"changes": [{"id": 1}]}'),
        ("POST", "/v1/leases", b'{"id": "abcdefgh", "day": "269999"}'),
        ("POST", "/v1/leases", b'{"id": "abcdefgh", "day": "261125", "size": 100000}'),
        ("POST", "/v1/enrol", b'{"code": "", "device_id": "../../etc"}'),
    ]
    with httpx.Client(base_url=server.url) as http:
        for method, path, body in cases:
            r = http.request(method, path, content=body, headers=h | {"content-type": "application/json"})
            assert 400 <= r.status_code < 500, (path, body, r.status_code)
            assert r.json()["detail"]
        r = http.get("/v1/changes", params={"after": -1}, headers=h)
        assert r.status_code == 422
        r = http.get("/v1/changes", params={"after": "abc"}, headers=h)
        assert r.status_code == 422


# text with lone surrogates too (json.dumps writes them as "\udXXX" escapes, which are valid JSON
# but no text: they broke hashing and PostgreSQL storage with a 500)
any_text = st.text(max_size=20) | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=70) | json_values,
        "dossier_id": st.text(max_size=70) | json_values,
        "kind": st.sampled_from([k.value for k in EventKind]) | st.text(max_size=10),
        "at": st.sampled_from(["2026-11-25T09:00:00+07:00", "yesterday", ""]) | json_values,
        "actor": any_text,
        "device_id": st.text(max_size=40),
        "hlc": st.sampled_from(["1764039600000-00000-dev", "garbage", "1-2"]) | st.text(max_size=10),
        "payload": json_values | st.fixed_dictionaries({"dossier": json_values, "applicant": json_values}),
    },
)
change = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=80),
        "kind": st.sampled_from(["event", "ticket_event", "calendar", "x y"]),
    },
    optional={"payload": event_like | json_values, "entity_id": st.text(max_size=10)},
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"changes": st.lists(change, max_size=5)}),
    st.fixed_dictionaries({"changes": json_values}),
)
# raw bodies: nesting far beyond any parser's recursion limit (gave a 500), wrapped or bare
depths = st.integers(100, 6000)
raw_bodies = st.one_of(
    depths.map(lambda n: b"[" * n + b"]" * n),
    depths.map(lambda n: b'{"changes":[{"id":"x","kind":"event","payload":' + b"[" * n + b"]" * n + b"}]}"),
    depths.map(lambda n: b'{"code":' + b'{"a":' * n + b"1" + b"}" * n + b"}"),
    st.binary(max_size=64),
)


@pytest.fixture
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'c.sqlite3'}", rate_per_second=1e6, rate_burst=1e6
    )
    svc.add_unit(live.store, UNIT, "Xã Vĩnh Lương")
    yield live
    live.stop()


@pytest.mark.slow
def test_fuzzed_bodies_never_cause_a_server_error(sqlite_server: LiveServer, station_factory: Any) -> None:
    a = station_factory("fuzz")
    enrol_station(a, sqlite_server)
    headers = _auth(_token(a)) | {"content-type": "application/json"}
    http = httpx.Client(base_url=sqlite_server.url, timeout=10)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        path=st.sampled_from(["/v1/changes", "/v1/leases", "/v1/enrol"]),
        body=bodies | raw_bodies,
        chunked=st.booleans(),
        after=st.integers(-5, 2**63) | st.text(max_size=5),
    )
    def check(path: str, body: Any, chunked: bool, after: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        # chunked: no Content-Length, the server must count what streams in
        content: Any = iter([data[: len(data) // 2], data[len(data) // 2 :]]) if chunked else data
        r = http.post(path, content=content, headers=headers)
        assert r.status_code < 500, (path, data[:200], r.text)
        r = http.get("/v1/changes", params={"after": after}, headers=headers)
        assert r.status_code < 500, (after, r.text)

    try:
        check()
    finally:
        http.close()
    assert dt.date.today()  # the server is still alive and serving
    with httpx.Client(base_url=sqlite_server.url) as probe:
        assert probe.get("/health").status_code == 200
