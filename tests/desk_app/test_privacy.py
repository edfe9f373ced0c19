"""Personal data stays where it belongs (issue 10.8, station side).

SQL parameters (names, CCCD, phone numbers) never reach log files or the CLI
through database errors, and the station's files are private whatever the umask.
"""

from __future__ import annotations

import logging
import os
import stat
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from desk_app import config
from desk_app.store import schema as s

NAME, CCCD, PHONE = "Trần Thị Bích Ngọc", "079185004321", "0388111222"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def file_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The program's real log file set-up, in a temporary data folder, removed afterwards."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    root = logging.getLogger()
    before = list(root.handlers)
    old_level = root.level
    path = config.setup_file_logging()
    try:
        yield path
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(old_level)


def insert_duplicate_applicant(db) -> None:  # type: ignore[no-untyped-def]
    row = {
        "id": "a-1",
        "full_name": NAME,
        "name_folded": "tran thi bich ngoc",
        "id_kind": "cccd",
        "id_number": CCCD,
        "phone": PHONE,
        "updated_at": "2026-11-25T09:00:00+07:00",
    }
    with db.write() as conn:
        conn.execute(insert(s.applicants).values(**row))
        conn.execute(insert(s.applicants).values(**row))  # same id: IntegrityError


def test_database_errors_carry_no_personal_values_into_the_log(app, file_log: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as info:
        insert_duplicate_applicant(app.db)
    # What the sync worker does with a failed round (``log.exception``), at warning level here.
    logging.getLogger("desk_app.sync.worker").warning("sync round failed", exc_info=info.value)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = file_log.read_text(encoding="utf-8")
    shown = "".join(traceback.format_exception(info.value))
    assert "sync round failed" in text and "UNIQUE constraint failed" in text
    for value in (NAME, CCCD, PHONE):
        assert value not in text and value not in shown


def test_cli_error_shows_no_personal_values(app, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from desk_app.cli import main
    from desk_app.services.queries import QueryService

    db_path = str(app.db.path)
    app.close()

    def failing_page(self, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        insert_duplicate_applicant(self.station.db)

    monkeypatch.setattr(QueryService, "page", failing_page)
    try:
        main(["dossier", "list", "--db", db_path])
        shown = ""
    except Exception as exc:  # what Python prints for an unexpected error
        shown = "".join(traceback.format_exception(exc))
    out, err = capsys.readouterr()
    for value in (NAME, CCCD, PHONE):
        assert value not in shown + out + err


def test_station_files_are_private_under_umask_022(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None, clock
) -> None:  # type: ignore[no-untyped-def]
    from desk_app.bootstrap import open_station
    from desk_app.cli_core import DEMO_UNIT

    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data" / "tram"))
    app = open_station(None, clock=clock)
    try:
        app.station.set_unit(DEMO_UNIT)  # a write: WAL and SHM files exist while open
        db = config.default_db_path()
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert [mode(p) for p in (db, wal, shm)] == [0o600] * 3
        assert mode(tmp_path / "data" / "tram") == 0o700 and mode(tmp_path / "data") == 0o700
    finally:
        app.close()


def test_existing_world_readable_database_is_tightened(tmp_path: Path, umask_022: None) -> None:
    from desk_app.store.db import Database

    path = tmp_path / "station.sqlite3"
    Database(path).close()
    os.chmod(path, 0o644)  # as created by earlier versions
    Database(path).close()
    assert mode(path) == 0o600


def test_log_files_are_private_after_rotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    monkeypatch.setattr(config, "LOG_MAX_BYTES", 2_000)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    root = logging.getLogger()
    before = list(root.handlers)
    path = config.setup_file_logging()
    try:
        for i in range(100):
            logging.getLogger("desk_app.test").warning("dossier %d saved", i)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
    files = sorted(path.parent.iterdir())
    assert len(files) > 2  # rotated
    assert all(mode(p) == 0o600 for p in files) and mode(path.parent) == 0o700
