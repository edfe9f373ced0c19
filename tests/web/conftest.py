"""Fixtures of the dashboard tests: the sync tests' live server with staff accounts and synced stations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from desk_app.domain.lifecycle import EventKind
from tests.helpers.fakes import FakeClock, birth_request
from tests.sync.conftest import (  # noqa: F401 - fixtures
    OTHER_UNIT,
    UNIT,
    LiveServer,
    enrol_station,
    pg_cluster,
    server,
    station_factory,
    sync,
)

PASSWORD = "Mat-khau-tinh-2026"
BASE = "/quan-tri"
APPLICANT = "Nguyễn Văn Dũng"  # birth_request's applicant: personal data


@dataclass
class Office:
    server: Any
    late_code: str  # resolved after its deadline (in the month)
    overdue_code: str  # still in progress, past its deadline
    on_time_code: str


def add_staff(live: Any) -> None:
    from central.web import accounts

    now = live.store.clock()
    accounts.add_staff(live.store, "tinh", "Lê Thị Tỉnh", PASSWORD, accounts.PROVINCE_ADMIN, now=now)
    accounts.add_staff(
        live.store, "vinhluong", "Trần Quản Lý", PASSWORD, accounts.UNIT_MANAGER, UNIT, now=now
    )
    accounts.add_staff(
        live.store, "vinhthai", "Phạm Quản Lý", PASSWORD, accounts.UNIT_MANAGER, OTHER_UNIT, now=now
    )
    accounts.add_staff(live.store, "xem", "Hoàng Người Xem", PASSWORD, accounts.VIEWER, now=now)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite for the pages (one run is enough); ``pg_server`` checks the tables on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'central.sqlite3'}"


@pytest.fixture
def pg_server(pg_cluster: Any) -> Iterator[LiveServer]:  # noqa: F811 - fixture imported above
    from central import service as svc

    live = LiveServer(pg_cluster.new_database(), auth_cache_ttl=0.0, head_cache_ttl=0.2)
    svc.add_unit(live.store, UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Lương")
    svc.add_unit(live.store, OTHER_UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Thái")
    yield live
    live.stop()


@pytest.fixture
def staffed(server: Any) -> Any:  # noqa: F811 - fixture imported above
    """The live server (SQLite) with the four staff accounts and no dossier."""
    add_staff(server)
    return server


@pytest.fixture
def office(staffed: Any, station_factory: Any) -> Office:  # noqa: F811 - fixture imported above
    """Staff accounts; one station of UNIT with a late, an overdue and an on-time dossier (SQLite)."""
    live = staffed
    clock = FakeClock(dt.datetime(2026, 11, 2, 9, 0))
    app = station_factory("a", clock=clock)
    enrol_station(app, live)
    late = app.intake.receive("canbo1", birth_request())
    overdue = app.intake.receive("canbo1", birth_request())
    clock.advance(days=1)
    app.workflow.act("canbo1", late.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    clock.set(dt.datetime(2026, 11, 24, 8, 0))
    on_time = app.intake.receive("canbo1", birth_request())
    clock.advance(hours=2)
    app.workflow.act("canbo1", on_time.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    sync(app, live.url)
    return Office(live, late.code, overdue.code, on_time.code)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(http: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    form = http.get(f"{BASE}/dang-nhap")
    return http.post(
        f"{BASE}/dang-nhap",
        data={"username": username, "password": password, "csrf": csrf_of(form.text)},
    )


def client(live: Any) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=30, follow_redirects=True)


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2 with small parameters: a login costs ~1 ms instead of ~300 ms (lock-out tests log in
    dozens of times). The production parameters have their own test."""
    from argon2 import PasswordHasher

    from central.web import accounts

    previous = accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    accounts.use_hasher(previous)
