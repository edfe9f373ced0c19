"""Shared fixtures. Qt runs offscreen; every test gets its own station database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
# Station tokens go to the encrypted-file store beside each test database, never
# into the developer's real keyring.
os.environ["MOTCUA_CREDENTIALS"] = "file"
# The station clock of code that gets no clock passed in (the CLI run in-process,
# ``motcua`` and servers in child processes, which inherit this) starts here:
# the same Wednesday 25/11/2026 09:00 as the ``clock`` fixture, then runs on.
# No test depends on the machine's date; set it to try another day.
os.environ.setdefault("MOTCUA_FAKE_NOW", "2026-11-25T09:00:00+07:00")

import datetime as dt  # noqa: E402
import gc  # noqa: E402
import inspect  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.helpers.fakes import FakeClock, sample_procedures  # noqa: E402

# No per-example deadline: on a shared CI machine an example's wall time says more
# about the neighbours than about the code (each test's own settings still apply).
settings.register_profile("motcua", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("motcua")

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


@pytest.fixture(scope="session", autouse=True)
def _new_station_databases_from_a_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A new station database is a copy of one migrated once per session.

    Running the alembic migrations took 0.2-0.7 s per database, and most tests
    create one; the copy is at head, so ``Database`` finds nothing to migrate.
    The migrations themselves still run, once, on the template (and in the
    store tests that start from older revisions, whose files already exist).
    """
    from desk_app.config import make_private_dir
    from desk_app.store import db as store_db

    template = tmp_path_factory.mktemp("template") / "station.sqlite3"
    store_db.Database(template).close()
    original_init = store_db.Database.__init__

    def init_from_template(self: store_db.Database, path: str | Path, *, migrate: bool = True) -> None:
        target = Path(path)
        # Only where Database would create a new station (a WAL left behind is refused there).
        if migrate and not target.exists() and not Path(f"{target}-wal").exists():
            make_private_dir(target.parent)  # as Database does: the data folder is 0700
            shutil.copyfile(template, target)
        original_init(self, path, migrate=migrate)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_db.Database, "__init__", init_from_template)
        yield


# Station databases opened in this process skip fsync (PRAGMA synchronous=OFF):
# on this VM's disk a FULL commit waited ~4 ms, far more under load, and tests spent
# most of their time there. A killed process still loses nothing that was committed
# (the OS has the pages); tests marked ``durable_sqlite`` get the real setting.
_sqlite_fsync_off = [True]


@pytest.fixture(scope="session", autouse=True)
def _station_sqlite_without_fsync() -> Iterator[None]:
    from sqlalchemy import event

    from desk_app.store import db as store_db

    original = store_db._make_engine

    def make_engine(path: Path) -> Any:
        engine = original(path)
        if _sqlite_fsync_off[0]:

            @event.listens_for(engine, "connect")
            def _no_fsync(dbapi_conn: Any, _record: object) -> None:
                dbapi_conn.execute("PRAGMA synchronous=OFF")

        return engine

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store_db, "_make_engine", make_engine)
        yield


@pytest.fixture(autouse=True)
def _durable_sqlite_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("durable_sqlite") is None:
        yield
        return
    _sqlite_fsync_off[0] = False
    try:
        yield
    finally:
        _sqlite_fsync_off[0] = True


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """argon2 with the cheapest parameters in this process (same algorithm and format).

    The real cost (64 MiB, ~0.1-0.7 s per hash) was paid for every test's account and
    every login. Child processes keep the real parameters (and rehash on login).
    """
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from desk_app.services import accounts

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher_instance", PasswordHasher.from_parameters(CHEAPEST))
        yield


@pytest.fixture(autouse=True)
def _logged_errors_fail_the_test(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """A record at ERROR or above that the test did not expect fails it.

    A test expects errors when it is marked ``expect_errors`` or takes ``caplog``
    itself (then it asserts on the records it expects).
    """
    yield
    if request.node.get_closest_marker("expect_errors") is not None:
        return
    function = getattr(request.node, "function", None)
    if function is not None and "caplog" in inspect.signature(function).parameters:
        return
    errors = [
        r
        for when in ("setup", "call")
        for r in caplog.get_records(when)  # type: ignore[arg-type]
        if r.levelno >= logging.ERROR
    ]
    if errors:
        lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()}" for r in errors)
        pytest.fail(f"unexpected logged error(s):\n{lines}", pytrace=False)


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
