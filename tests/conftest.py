"""Shared fixtures. Qt runs offscreen; every test gets its own station database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")

import datetime as dt  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.helpers.fakes import FakeClock, sample_procedures  # noqa: E402


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():  # type: ignore[no-untyped-def]
    """As the program does (ui/gc_guard.py): no cyclic GC inside Qt worker threads."""
    import gc

    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def clock() -> FakeClock:
    # Wednesday 25/11/2026 09:00, a normal working day (24/11 is the new holiday).
    return FakeClock(dt.datetime(2026, 11, 25, 9, 0))


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock):  # type: ignore[no-untyped-def]
    from desk_app.bootstrap import open_station
    from desk_app.cli_core import DEMO_UNIT
    from desk_app.domain.model import Role

    application = open_station(tmp_path / "station.sqlite3", clock=clock)
    application.station.set_unit(DEMO_UNIT)
    with application.station.uow() as uow:
        uow.procedures.upsert_many(sample_procedures(), "2026-11-25T08:00:00+07:00")
        uow.commit()
    application.accounts.create("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1)
    yield application
    application.close()
