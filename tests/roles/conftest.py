"""Fixtures for the station-roles tests: device settings and a clean shutdown of what was built."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desk_app.queue.host import free_port
from desk_app.roles import Devices, DeviceSettings, build_devices

SECRET = "bi-mat-12345"


def open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def live_threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


@pytest.fixture(scope="session")
def station_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated station with the demo unit and an officer, copied per test (migrating is slow)."""
    from desk_app.bootstrap import open_station
    from desk_app.cli_core import DEMO_UNIT
    from desk_app.domain.model import Role

    path = tmp_path_factory.mktemp("roles-template") / "station.sqlite3"
    station = open_station(path)
    station.station.set_unit(DEMO_UNIT)
    station.accounts.create("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1)
    with station.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    station.close()
    return path


@pytest.fixture
def app(tmp_path: Path, station_template: Path, clock: Any) -> Iterator[Any]:
    """Overrides the suite's ``app``: same demo unit, without re-running the migrations."""
    from desk_app.bootstrap import open_station

    path = tmp_path / "station.sqlite3"
    shutil.copy(station_template, path)
    application = open_station(path, clock=clock)
    yield application
    application.close()


@pytest.fixture
def build(app: Any) -> Iterator[Any]:
    """``build(settings, demo=…)`` → ``Devices``; everything built is closed after the test."""
    built: list[Devices] = []

    def _build(settings: DeviceSettings, demo: bool = False, station: Any = None) -> Devices:
        devices = build_devices(station or app, settings, demo=demo)
        built.append(devices)
        return devices

    yield _build
    for devices in built:
        devices.close()


@pytest.fixture
def host_settings() -> DeviceSettings:
    return DeviceSettings(
        roles=("counter", "queue-host"),
        queue_secret=SECRET,
        host_listen="127.0.0.1",
        host_port=free_port(),
    )
