"""Fixtures of the dashboard tests: the sync tests' live server with staff accounts and synced stations."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from desk_app.domain.lifecycle import EventKind
from tests.helpers.fakes import FakeClock, birth_request
from tests.sync.conftest import (  # noqa: F401 - fixtures
    OTHER_UNIT,
    UNIT,
    db_url,
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


def add_staff(server: Any) -> None:
    from central.web import accounts

    now = server.store.clock()
    accounts.add_staff(server.store, "tinh", "Lê Thị Tỉnh", PASSWORD, accounts.PROVINCE_ADMIN, now=now)
    accounts.add_staff(
        server.store, "vinhluong", "Trần Quản Lý", PASSWORD, accounts.UNIT_MANAGER, UNIT, now=now
    )
    accounts.add_staff(
        server.store, "vinhthai", "Phạm Quản Lý", PASSWORD, accounts.UNIT_MANAGER, OTHER_UNIT, now=now
    )
    accounts.add_staff(server.store, "xem", "Hoàng Người Xem", PASSWORD, accounts.VIEWER, now=now)


@pytest.fixture
def office(server: Any, station_factory: Any) -> Office:
    """Staff accounts, and one station of UNIT with a late, an overdue and an on-time dossier (SQLite only)."""
    if "postgres" in server.db_url:
        pytest.skip("the dashboard's pages run on SQLite here; PostgreSQL is covered by its own test")
    add_staff(server)
    clock = FakeClock(dt.datetime(2026, 11, 2, 9, 0))
    app = station_factory("a", clock=clock)
    enrol_station(app, server)
    late = app.intake.receive("canbo1", birth_request())
    overdue = app.intake.receive("canbo1", birth_request())
    clock.advance(days=1)
    app.workflow.act("canbo1", late.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    clock.set(dt.datetime(2026, 11, 24, 8, 0))
    on_time = app.intake.receive("canbo1", birth_request())
    clock.advance(hours=2)
    app.workflow.act("canbo1", on_time.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    sync(app, server.url)
    return Office(server, late.code, overdue.code, on_time.code)


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


def client(server: Any) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30, follow_redirects=True)
