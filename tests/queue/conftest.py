"""Queue fixtures: a migrated database copied from one template per session (fast)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk_app.queue.service import QueueService
from desk_app.store.db import Database
from tests.helpers.fakes import FakeClock
from tests.helpers.queue_fakes import FakeTicketPrinter


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("qtemplate") / "template.sqlite3"
    db = Database(path)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> Path:
    path = tmp_path / "station.sqlite3"
    shutil.copy(template_db, path)
    return path


@pytest.fixture
def qdb(db_path: Path) -> Iterator[Database]:
    db = Database(db_path)
    yield db
    db.close()


@pytest.fixture
def service(qdb: Database, clock: FakeClock) -> QueueService:
    return QueueService(qdb, clock)


@pytest.fixture
def printer() -> FakeTicketPrinter:
    return FakeTicketPrinter()
