"""Shared fixtures. Qt runs offscreen; every test gets its own station database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
# Station tokens go to the encrypted-file store beside each test database, never
# into the developer's real keyring.
os.environ["MOTCUA_CREDENTIALS"] = "file"

import datetime as dt  # noqa: E402
import gc  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.helpers.fakes import FakeClock, sample_procedures  # noqa: E402

QT_FIXTURES = {"qtbot", "qapp"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Qt carries the ``gui`` marker, declared or not.

    The marker selects the GUI-thread garbage guard below, and lets CI run the
    non-GUI part again under a shifted system date (``-m "not gui"``).
    """
    for item in items:
        if QT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """As the program does (ui/gc_guard.py): no cyclic GC inside Qt worker threads.

    Only Qt tests need it. After the collection the survivors are frozen, so the
    next Qt test's full collection walks only what was allocated since; pure-core
    tests keep the interpreter's normal automatic collection (a full collection
    after each of them made ``tests/desk_app`` six times slower).
    """
    if request.node.get_closest_marker("gui") is None:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
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
