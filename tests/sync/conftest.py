"""Fixtures for the sync tests: a throwaway PostgreSQL cluster, a live server, stations.

PostgreSQL comes from Debian's binaries (``/usr/lib/postgresql/15/bin``) and
runs as ``nobody`` when the tests run as root (PostgreSQL refuses root). It
listens on 127.0.0.1 on a free port with its socket in the temp dir.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.fakes import FakeClock, sample_procedures

PG_BIN = Path(os.environ.get("MOTCUA_PG_BIN", "/usr/lib/postgresql/15/bin"))
UNIT = "000.21.31.H56"
OTHER_UNIT = "000.22.31.H56"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ PostgreSQL
@dataclass
class PgCluster:
    port: int
    base_dir: Path
    proc: subprocess.Popen[bytes]
    _counter: Any = None

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        import psycopg

        if self._counter is None:
            self._counter = itertools.count()
        name = f"t{next(self._counter)}_{os.getpid()}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_postgres_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


def start_pg_cluster(base: Path | None = None, *, fsync: bool = False) -> PgCluster:
    """initdb + postgres on 127.0.0.1:<free port>; the caller stops it with ``stop_pg_cluster``."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "postgres").exists():
        raise FileNotFoundError(f"PostgreSQL binaries not found in {PG_BIN}")
    base = Path(base or tempfile.mkdtemp(prefix="motcua-pg-"))
    data, sock = base / "data", base / "sock"
    data.mkdir(parents=True, exist_ok=True)
    sock.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(base, "nobody", "nogroup")
        shutil.chown(data, "nobody", "nogroup")
        shutil.chown(sock, "nobody", "nogroup")
        os.chmod(base, 0o755)
    subprocess.run(
        _as_postgres_user(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    port = free_port()
    options = [
        "-c",
        f"fsync={'on' if fsync else 'off'}",
        "-c",
        "synchronous_commit=" + ("on" if fsync else "off"),
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
        "-c",
        "shared_buffers=256MB",
    ]
    proc = subprocess.Popen(
        _as_postgres_user(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(data),
                "-k",
                str(sock),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                *options,
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=open(base / "postgres.log", "wb"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import psycopg

            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=1):
                break
        except Exception:  # noqa: BLE001 - still starting
            if proc.poll() is not None:
                raise RuntimeError((base / "postgres.log").read_text()) from None
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("PostgreSQL did not start in 30 s")
    return PgCluster(port, base, proc)


def stop_pg_cluster(cluster: PgCluster) -> None:
    cluster.proc.terminate()
    try:
        cluster.proc.wait(15)
    except subprocess.TimeoutExpired:
        cluster.proc.kill()
        cluster.proc.wait(5)
    shutil.rmtree(cluster.base_dir, ignore_errors=True)


def _has_c_utf8() -> bool:
    return Path("/usr/lib/locale/C.utf8").exists() or Path("/usr/lib/locale/C.UTF-8").exists()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "postgres").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN} (install postgresql-15)")
    cluster = start_pg_cluster()
    yield cluster
    stop_pg_cluster(cluster)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'central.sqlite3'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


# ------------------------------------------------------------------ live server in a thread
class LiveServer:
    """uvicorn serving ``create_app(db_url, **options)`` on 127.0.0.1 in a thread."""

    def __init__(self, db_url: str, port: int | None = None, **options: Any):
        import uvicorn

        from central.app import create_app

        self.db_url = db_url
        # the server's wall clock is the tests' date too (HLC stamps ahead of it are refused)
        options.setdefault("clock", FakeClock(dt.datetime(2026, 11, 25, 9, 0)))
        self.app = create_app(db_url, **options)
        self.port = port or free_port()
        from central.server import uvicorn_options

        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            **uvicorn_options(),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> Any:
        return self.app.state.central.store

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.store.engine.dispose()


@pytest.fixture
def server(db_url: str) -> Iterator[LiveServer]:
    live = LiveServer(db_url, auth_cache_ttl=0.0, head_cache_ttl=0.2)
    from central import service as svc

    svc.add_unit(live.store, UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Lương")
    svc.add_unit(live.store, OTHER_UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Thái")
    yield live
    live.stop()


# ------------------------------------------------------------------ stations
def make_station(path: Path, clock: Callable[[], dt.datetime], unit: str = UNIT) -> Any:
    from dataclasses import replace

    from desk_app.bootstrap import open_station
    from desk_app.cli_core import DEMO_UNIT
    from desk_app.domain.model import Role

    app = open_station(path, clock=clock)
    app.station.set_unit(replace(DEMO_UNIT, code=unit))
    with app.station.uow() as uow:
        uow.procedures.upsert_many(sample_procedures(), "2026-11-25T08:00:00+07:00")
        uow.commit()
    app.accounts.create("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1)
    return app


def enrol_station(
    app: Any, server: LiveServer, unit: str = UNIT, base_url: str | None = None
) -> dict[str, Any]:
    from central import service as svc
    from desk_app.sync.client import enrol

    code = svc.new_enrol_code(server.store, unit)
    with httpx.Client(base_url=base_url or server.url, timeout=10) as http:
        return enrol(app.station, http, code, name=str(app.db.path.name))


@pytest.fixture
def station_factory(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def factory(name: str, clock: FakeClock | None = None, unit: str = UNIT) -> Any:
        app = make_station(
            tmp_path / f"{name}.sqlite3", clock or FakeClock(dt.datetime(2026, 11, 25, 9, 0)), unit
        )
        made.append(app)
        return app

    yield factory
    for app in made:
        app.close()


def sync(app: Any, url: str, **options: Any) -> Any:
    from desk_app.sync.client import SyncClient

    with httpx.Client(base_url=url, timeout=15) as http:
        return SyncClient(app.station, http, **options).sync_round()


def all_codes(app: Any) -> list[str]:
    from sqlalchemy import select

    from desk_app.store import schema as s

    with app.db.read() as conn:
        return list(conn.execute(select(s.dossiers.c.code)).scalars())


def snapshot(app: Any) -> dict[str, tuple[Any, ...]]:
    """What must converge: per dossier, status, due date, conflict flag and the conflicting events."""
    from sqlalchemy import select

    from desk_app.store import schema as s

    with app.db.read() as conn:
        dossiers = {
            r.id: (r.code, r.status, r.due_at, bool(r.has_conflict), r.last_hlc)
            for r in conn.execute(select(s.dossiers))
        }
        flagged: dict[str, set[str]] = {}
        for r in conn.execute(
            select(s.dossier_events.c.dossier_id, s.dossier_events.c.id, s.dossier_events.c.conflict)
        ):
            if r.conflict:
                flagged.setdefault(r.dossier_id, set()).add(r.id)
    return {k: (*v, frozenset(flagged.get(k, ()))) for k, v in dossiers.items()}


def server_event_ids(store: Any) -> list[str]:
    from sqlalchemy import text

    with store.read() as conn:
        return list(conn.execute(text("SELECT change_id FROM changes WHERE kind = 'event'")).scalars())
