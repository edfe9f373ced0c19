"""Back up and restore a station database (``motcua backup`` / ``motcua restore``).

A backup is taken with SQLite's online backup API, so the program may keep
running meanwhile; the copy is a single self-contained file (rollback journal,
not WAL) checked with ``PRAGMA integrity_check`` before it gets its final name.

A restore refuses anything that is not a healthy station database, never
deletes the current one (it is moved aside, with its WAL, as
``station.truoc-khoi-phuc-<time>.sqlite3``), and proves the result by opening
it as a station (which also migrates an older backup to the current schema).
It refuses while the program still has the database open (it would go on
writing to the old file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from desk_app.config import make_private_dir, open_private
from desk_app.domain.errors import NotFound
from desk_app.store.db import (
    BUSY_TIMEOUT_MS,
    RESTORE_ADVICE,
    DamagedDatabaseError,
    Database,
    StoreError,
    check_database_file,
    describe_sqlite_error,
    is_corruption,
    sidecar_files,
)
from desk_app.workcalendar import now_vn

BACKUP_DIR_NAME = "backups"
STATION_TABLES = ("alembic_version", "meta", "dossiers")
OTHER_BACKUP_ADVICE = "Hãy chọn bản sao lưu khác (tệp do lệnh “motcua backup” tạo)."


@dataclass(frozen=True)
class RestoreResult:
    restored: Path
    previous: Path | None  # where the database that was replaced now lies


def default_backup_path(db_path: Path, now: dt.datetime) -> Path:
    return db_path.parent / BACKUP_DIR_NAME / f"{db_path.stem}-{now:%Y%m%d-%H%M%S}.sqlite3"


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _new_private_file(path: Path) -> None:
    """An empty file only we can read (SQLite fills it): never replaces an existing one."""
    make_private_dir(path.parent)
    os.close(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))


def _remove(path: Path) -> None:
    for file in (path, *sidecar_files(path)):
        file.unlink(missing_ok=True)


def _check_copy(conn: sqlite3.Connection, name: str, advice: str) -> None:
    """Integrity and station tables of an open database; DamagedDatabaseError otherwise."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise DamagedDatabaseError(f"{name} bị hỏng. {advice}") from exc
    if problems != ["ok"]:
        raise DamagedDatabaseError(f"{name} bị hỏng (kiểm tra toàn vẹn không đạt). {advice}")
    missing = [t for t in STATION_TABLES if t not in tables]
    if missing:
        raise DamagedDatabaseError(f"{name} không phải cơ sở dữ liệu của trạm MotCua. {advice}")


def verify_station_file(path: Path, what: str = "Tệp sao lưu", advice: str = OTHER_BACKUP_ADVICE) -> None:
    """``path`` is a healthy station database, or DamagedDatabaseError says why not."""
    if not path.is_file():
        raise NotFound(f"Không tìm thấy tệp “{path}”.")
    check_database_file(path, what=what, advice=advice)
    with _connect(path) as conn:
        _check_copy(conn, f"{what} “{path.name}”", advice)


def _copy_database(source: Path, target: Path, *, journal_mode: str, what: str, advice: str) -> None:
    """Online backup of ``source`` into the new file ``target``, checked; ``target`` is removed on failure."""
    name = f"{what} “{source.name}”"
    _new_private_file(target)
    try:
        with _connect(source) as src, _connect(target) as dst:
            try:
                src.backup(dst)
                dst.execute(f"PRAGMA journal_mode={journal_mode}")
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                if is_corruption(exc) or "malformed" in str(exc):
                    raise DamagedDatabaseError(f"{name} bị hỏng. {advice}") from exc
                raise StoreError(f"Không sao chép được {name}: {describe_sqlite_error(exc)}") from exc
            _check_copy(dst, name, advice)
    except BaseException:
        _remove(target)
        raise


def backup(db_path: Path, out: Path | None = None, *, clock: Callable[[], dt.datetime] = now_vn) -> Path:
    """Copy the station database to ``out`` (default: ``backups/`` beside it); returns the file written."""
    if not db_path.exists():
        raise NotFound(f"Không tìm thấy cơ sở dữ liệu của trạm “{db_path}”.")
    check_database_file(db_path)
    target = out or default_backup_path(db_path, clock())
    if target.exists():
        raise StoreError(f"Tệp “{target}” đã có: chọn tên khác, không ghi đè lên bản sao lưu cũ.")
    partial = target.with_name(target.name + ".dang-sao-luu")
    _remove(partial)  # left over from an interrupted backup
    _copy_database(
        db_path,
        partial,
        journal_mode="DELETE",
        what="Cơ sở dữ liệu của trạm",
        advice=RESTORE_ADVICE,
    )
    os.replace(partial, target)
    return target


def _aside_path(db_path: Path, now: dt.datetime) -> Path:
    base = f"{db_path.stem}.truoc-khoi-phuc-{now:%Y%m%d-%H%M%S}"
    candidate = db_path.with_name(base + db_path.suffix)
    n = 2
    while candidate.exists():
        candidate = db_path.with_name(f"{base}-{n}{db_path.suffix}")
        n += 1
    return candidate


def _move_with_sidecars(source: Path, target: Path) -> None:
    if source.exists():
        os.replace(source, target)
    for src, dst in zip(sidecar_files(source), sidecar_files(target), strict=True):
        if src.exists():
            os.replace(src, dst)


IN_USE = (
    "Chương trình MotCua đang mở cơ sở dữ liệu này (cửa sổ quầy, máy lấy số, màn hình hoặc đồng bộ): "
    "hãy đóng chương trình rồi chạy lại lệnh khôi phục."
)


def _ensure_not_in_use(db_path: Path) -> None:
    """Refuse while another connection has the database open: it would go on writing to the old file."""
    if not db_path.exists():
        return
    conn = sqlite3.connect(str(db_path), timeout=0.5, isolation_level=None)
    try:
        # Exclusive locking mode needs every other connection (even an idle one) gone.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise StoreError(IN_USE) from exc
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        pass  # a damaged file: nothing can be working on it
    finally:
        conn.close()


def restore(backup_file: Path, db_path: Path, *, clock: Callable[[], dt.datetime] = now_vn) -> RestoreResult:
    """Replace the station database with a verified copy of ``backup_file``; the old one is kept aside."""
    verify_station_file(backup_file)
    if db_path.exists() and backup_file.resolve() == db_path.resolve():
        raise StoreError("Tệp sao lưu chính là cơ sở dữ liệu đang dùng: hãy chọn một bản sao lưu.")
    _ensure_not_in_use(db_path)
    incoming = db_path.with_name(db_path.name + ".dang-khoi-phuc")
    _remove(incoming)
    _copy_database(backup_file, incoming, journal_mode="WAL", what="Tệp sao lưu", advice=OTHER_BACKUP_ADVICE)
    previous: Path | None = None
    if any(f.exists() for f in (db_path, *sidecar_files(db_path))):
        # A WAL left without its database would be replayed into the restored file: move it too.
        previous = _aside_path(db_path, clock())
        _move_with_sidecars(db_path, previous)
    try:
        _move_with_sidecars(incoming, db_path)
        Database(db_path).close()  # opens as a station: checks, migrates an older backup
    except BaseException:
        # Put back what was there: a failed restore leaves the station as it was.
        _remove(db_path)
        if previous is not None:
            _move_with_sidecars(previous, db_path)
        raise
    return RestoreResult(restored=db_path, previous=previous)


__all__ = ["RestoreResult", "backup", "default_backup_path", "restore", "verify_station_file"]
