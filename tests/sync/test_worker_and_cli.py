"""The background worker (status, back-off, restart) and the command lines."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest

from central import service as svc
from central.cli import main as central_main
from desk_app.sync.worker import SyncStatus, SyncWorker, backoff_delay
from tests.helpers.fakes import birth_request
from tests.sync.conftest import UNIT, LiveServer, enrol_station, free_port


def _wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    top = [backoff_delay(n, 2.0, 300.0, rand=lambda: 1.0) for n in range(1, 12)]
    assert top[:5] == [2.0, 4.0, 8.0, 16.0, 32.0] and top[-1] == 300.0
    assert backoff_delay(5, 2.0, 300.0, rand=lambda: 0.0) == 1.0  # never a hot loop


def test_worker_syncs_in_the_background_and_reports_status(server: LiveServer, station_factory: Any) -> None:
    a = station_factory("a")
    enrol_station(a, server)
    seen: list[SyncStatus] = []
    worker = SyncWorker(a.station, interval=60, base_delay=0.05, max_delay=0.2, on_status=seen.append)
    worker.start()
    try:
        _wait(lambda: worker.status.online and worker.rounds >= 1)
        a.intake.receive("canbo1", birth_request())
        worker.sync_now()
        _wait(lambda: worker.rounds >= 2 and worker.status.pending == 0 and not worker.status.running)
        assert worker.status.online and worker.status.last_success and worker.status.last_error is None
        assert any(s.running for s in seen)
    finally:
        worker.stop()
    assert not worker._thread or not worker._thread.is_alive()


def test_worker_offline_backs_off_retries_and_remembers_across_restarts(station_factory: Any) -> None:
    a = station_factory("a")
    port = free_port()  # nothing listens here: the server is unreachable
    with a.station.uow() as uow:
        uow.meta.set("sync_server", f"http://127.0.0.1:{port}")
        uow.meta.set("sync_token", "t")
        uow.meta.set("enrolled_server", f"http://127.0.0.1:{port}")
        uow.commit()
    a.intake.receive("canbo1", birth_request())  # falls back to the device slice offline
    worker = SyncWorker(a.station, interval=60, base_delay=0.02, max_delay=0.05)
    worker.start()
    try:
        _wait(lambda: worker.status.failures >= 3)
    finally:
        worker.stop()
    status = worker.status
    assert not status.online and status.pending == 1
    assert "Không kết nối được máy chủ" in (status.last_error or "")
    assert "chờ gửi" in status.label
    again = SyncWorker(a.station)  # a restart: the last error and pending count come back from SQLite
    assert again.status.last_error == status.last_error and again.status.pending == 1


def _central(db: str, *args: str, capsys: Any) -> tuple[int, str, str]:
    code = central_main(["--db", db, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_lines_end_to_end(tmp_path: Path, capsys: Any) -> None:
    from desk_app.cli import main as desk_main

    db = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    assert _central(db, "unit", "add", "--code", UNIT, "--name", "Xã Vĩnh Lương", capsys=capsys)[0] == 0
    code, out, _ = _central(db, "device", "enrol", "--unit", UNIT, capsys=capsys)
    enrol_code = out.strip()
    assert code == 0 and len(enrol_code) == 14
    assert _central(db, "device", "enrol", "--unit", "999.99.99.H99", capsys=capsys)[0] == 1
    assert _central(db, "calendar", "add-day-off", "31/12/2026", "--unit", UNIT, capsys=capsys)[0] == 0

    # the CLI's station runs on the real clock, so the server does too (clock=None)
    live = LiveServer(db, auth_cache_ttl=0.0, head_cache_ttl=0.0, clock=None)
    station_db = tmp_path / "station.sqlite3"
    try:
        assert desk_main(["enrol", "--server", live.url, "--code", enrol_code, "--db", str(station_db)]) == 0
        out = capsys.readouterr().out
        assert "Đã đăng ký trạm" in out
        from desk_app.bootstrap import open_station
        from desk_app.cli_core import DEMO_UNIT
        from tests.helpers.fakes import sample_procedures

        app = open_station(station_db)
        try:
            assert app.station.unit.code == DEMO_UNIT.code
            assert not app.station.calendar.is_working_day(dt.date(2026, 12, 31))  # pulled at enrolment
            with app.station.uow() as uow:
                uow.procedures.upsert_many(sample_procedures(), "2026-11-25T08:00:00+07:00")
                uow.commit()
            app.intake.receive("canbo1", birth_request())
            device_id = app.station.device_id
        finally:
            app.close()
        assert desk_main(["sync", "--db", str(station_db), "--quiet"]) == 0
        code, out, _ = _central(db, "dossiers", "export", "--unit", UNIT, "--format", "json", capsys=capsys)
        rows = json.loads(out)
        assert code == 0 and len(rows) == 1 and rows[0]["status"] == "received"
        code, out, _ = _central(db, "dossiers", "export", "--unit", UNIT, "--format", "csv", capsys=capsys)
        assert out.splitlines()[0].startswith("code,unit_code") and len(out.splitlines()) == 2
        assert _central(db, "device", "revoke", device_id, "--reason", "máy hỏng", capsys=capsys)[0] == 0
        assert desk_main(["sync", "--db", str(station_db), "--quiet"]) == 1
        assert "máy hỏng" in capsys.readouterr().err
    finally:
        live.stop()
    # server down: a clear Vietnamese message and a failing exit status
    assert desk_main(["sync", "--db", str(station_db), "--quiet"]) == 1
    assert "Không kết nối được máy chủ" in capsys.readouterr().err


def test_catalog_import_command(tmp_path: Path, capsys: Any) -> None:
    pytest.importorskip("desk_app.services.catalog")
    from desk_app.services.catalog import load_seed

    procs = load_seed()[:3]
    csv_path = tmp_path / "catalog.csv"
    catalog = pytest.importorskip("desk_app.services.catalog")
    if not hasattr(catalog, "export_catalog"):
        pytest.skip("no catalogue export to build a sample file")
    catalog.export_catalog(procs, csv_path)
    db = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    code, out, err = _central(db, "catalog", "import", str(csv_path), capsys=capsys)
    assert code == 0, err
    store = svc.Store(__import__("central.db", fromlist=["make_engine"]).make_engine(db))
    with store.read() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM changes WHERE kind = 'procedure'").scalar_one()
    assert n == 3
