"""Issue 10 items 6-8 on the server: slow clients, the access log, /docs, the CSV export.

The first two run the real ``motcua-central serve`` in a child process (its own file
limit, its own logging set-up), the way it runs in production.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central import service as svc
from central.cli import main as central_main
from central.db import make_engine, migrate
from desk_app import credentials
from tests.sync.conftest import UNIT, LiveServer, enrol_station, free_port
from tests.sync.test_attacks import _as_change, _push, _received

ROOT = Path(__file__).resolve().parents[2]


def _serve(
    db: str, port: int, *extra: str, nofile: int | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    def limits() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen(
        [sys.executable, "-m", "central", "--db", db, "serve", "--port", str(port), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        preexec_fn=limits,  # noqa: PLW1509 - only sets a resource limit
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start: " + proc.communicate()[1].decode(errors="replace"))


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err.decode(errors="replace")


@pytest.fixture
def central_db(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    svc.add_unit(svc.Store(engine), UNIT, "Xã Vĩnh Lương")
    engine.dispose()
    yield url


def test_slow_clients_cannot_starve_the_server(central_db: str) -> None:
    """300 slow-header connections against a server whose file limit is 256: /health stays up."""
    port = free_port()
    proc = _serve(
        central_db,
        port,
        "--header-timeout",
        "3",
        "--max-connections",
        "100",
        nofile=256,
        env={"MOTCUA_BODY_IDLE_TIMEOUT": "1"},
    )
    slow: list[socket.socket] = []
    stop = threading.Event()

    def trickle() -> None:  # one more header byte per connection every half second
        while not stop.wait(0.5):
            for sock in list(slow):
                try:
                    sock.send(b"x")
                except OSError:
                    slow.remove(sock)

    feeder = threading.Thread(target=trickle, daemon=True)
    stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        # whole headers, then a body that stops half-way: dropped after the body idle timeout
        stalled.send(b"POST /v1/enrol HTTP/1.1\r\nHost: m\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        assert _closed(stalled, wait=4) and time.monotonic() - started < 3.5
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.send(b"GET /health HTTP/1.1\r\nHost: motcua\r\nX-Slow: ")
            slow.append(sock)
        feeder.start()
        answers = []
        for _ in range(20):
            try:
                answers.append(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code)
            except httpx.HTTPError as exc:
                answers.append(type(exc).__name__)
            time.sleep(0.1)
        assert answers == [200] * 20
        time.sleep(3.5)  # past the header deadline: every slow connection has been dropped
        assert len(slow) == 0 or all(_closed(sock) for sock in slow)
    finally:
        stop.set()
        if feeder.is_alive():
            feeder.join(5)
        for sock in slow:
            sock.close()
        stalled.close()
        _stop(proc)


def _closed(sock: socket.socket, wait: float = 0.5) -> bool:
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except OSError:
        return True


def test_empty_polls_are_not_in_the_access_log_and_docs_load_nothing_from_a_cdn(
    central_db: str, station_factory: Any
) -> None:
    from desk_app.sync.client import enrol

    port = free_port()
    proc = _serve(central_db, port)
    try:
        a = station_factory("a")
        store = svc.Store(make_engine(central_db))
        code = svc.new_enrol_code(store, UNIT)
        store.engine.dispose()
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=10) as http:
            enrol(a.station, http, code)
            auth = {"Authorization": f"Bearer {credentials.station_token(a.station)}"}
            for _ in range(3):
                assert http.get("/v1/changes", params={"after": 10**6}, headers=auth).status_code == 200
            assert http.get("/v1/changes", params={"after": 0}).status_code == 401
            for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
                assert http.get(path).status_code == 404
            schema = http.get("/openapi.json")
            assert schema.status_code == 200 and "/v1/changes" in schema.json()["paths"]
        err = _stop(proc)
    finally:
        if proc.poll() is None:
            _stop(proc)
    polls = [line for line in err.splitlines() if "uvicorn.access" in line and "/v1/changes" in line]
    assert polls and all(" 401" in line for line in polls), polls  # only the refused poll
    assert "cdn" not in err.lower()


def test_the_dossier_export_never_writes_a_formula(
    server: LiveServer, station_factory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    event = _received(a)
    event["payload"]["dossier"]["applicant_name"] = '=HYPERLINK("http://x.example","Bấm vào đây")'
    event["payload"]["dossier"]["procedure_name"] = "-2+3"
    plain = _received(a)
    assert [r["status"] for r in _push(server, a, [_as_change(event), _as_change(plain)])] == ["ok", "ok"]
    assert central_main(["--db", server.db_url, "dossiers", "export", "--unit", UNIT, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_id = {r["code"]: r for r in rows}
    bad = by_id[event["payload"]["dossier"]["code"]]
    assert bad["applicant_name"] == "'" + event["payload"]["dossier"]["applicant_name"]
    assert bad["procedure_name"] == "'-2+3"
    good = by_id[plain["payload"]["dossier"]["code"]]
    assert good["applicant_name"] == plain["payload"]["dossier"]["applicant_name"]  # ordinary text untouched
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())
