"""SQLite engine for a station database: WAL, synchronous=FULL, IMMEDIATE writes.

One ``Database`` per file per process. Writes are serialised by an in-process
lock (the single writer) and by ``BEGIN IMMEDIATE`` across processes, so a
writer never fails half-way with "database is locked" after doing work.

A station's file holds citizens' personal data: it is checked before it is
opened (a zero-length, truncated or foreign file is refused and never
overwritten: a new station is created only where no file exists), created 0600
in a 0700 folder whatever the umask, and SQL parameters never appear in
exception texts (``hide_parameters``) that reach logs or the CLI. Damage found
later ("malformed") becomes a ``StoreError`` that says to restore the backup.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import QueuePool

from desk_app.config import FILE_MODE, POSIX_MODES, make_private_dir, open_private
from desk_app.domain.errors import DomainError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
SOFT_HEAP_LIMIT = 64 * 2**20
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


SQLITE_HEADER = b"SQLite format 3\x00"

RESTORE_ADVICE = (
    "Không ghi đè lên tệp này. Hãy khôi phục bản sao lưu gần nhất bằng lệnh "
    "“motcua restore TỆP_SAO_LƯU” (hoặc liên hệ bộ phận kỹ thuật)."
)


class StoreError(DomainError):
    """An environment fault of the local store (disk full, read-only, corrupt)."""


class DamagedDatabaseError(StoreError):
    """The station file is damaged or is not a station database: refuse, never overwrite."""


def _driver_message(exc: BaseException) -> str:
    """The SQLite message alone: a SQLAlchemy error's text also carries the SQL statement."""
    orig = getattr(exc, "orig", None)
    return str(orig if isinstance(orig, BaseException) else exc)


def is_corruption(exc: BaseException) -> bool:
    if isinstance(exc, UnicodeDecodeError):  # damaged text: everything the desk stores is UTF-8
        return True
    text = _driver_message(exc).lower()
    return "malformed" in text or "not a database" in text or "file is encrypted" in text


def describe_sqlite_error(exc: BaseException) -> str:
    """Vietnamese explanation of a SQLite failure for counter staff (never the SQL or its values)."""
    text = _driver_message(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return (
            "Ổ đĩa đã đầy: không thể lưu dữ liệu. Hãy giải phóng dung lượng rồi thử lại; "
            "dữ liệu cũ không bị mất."
        )
    if "readonly" in text or "read-only" in text:
        return "Tệp cơ sở dữ liệu chỉ cho phép đọc: kiểm tra quyền ghi của thư mục dữ liệu."
    if "locked" in text or "busy" in text:
        return "Cơ sở dữ liệu đang bận (một chương trình khác đang ghi). Hãy thử lại sau giây lát."
    if is_corruption(exc):
        return "Tệp cơ sở dữ liệu của trạm bị hỏng. " + RESTORE_ADVICE
    return f"Lỗi cơ sở dữ liệu: {_driver_message(exc)}"


def _secure_file(path: Path) -> None:
    """Tighten an existing file we own to 0600 (files of older versions were 0644)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if POSIX_MODES and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)


def sidecar_files(path: Path) -> list[Path]:
    """SQLite's companion files of a database (WAL, shared memory, rollback journal)."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _group(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_database_file(
    path: Path, *, what: str = "Tệp cơ sở dữ liệu của trạm", advice: str = RESTORE_ADVICE
) -> None:
    """Refuse a file that cannot be a healthy SQLite database, before SQLite touches it.

    A zero-length file is not a new station: something emptied the real one.
    The header's page count must fit in the file (a truncated copy) unless a
    WAL file still holds pages that a checkpoint had not written back yet.
    """
    name = f"{what} “{path.name}”"
    if path.is_dir():
        raise DamagedDatabaseError(f"{name} là một thư mục, không phải tệp cơ sở dữ liệu.")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StoreError(
            f"Không đọc được {name}: {exc.strerror}. Kiểm tra quyền của thư mục dữ liệu."
        ) from exc
    if size == 0:
        if advice == RESTORE_ADVICE:
            advice += " Nếu đây là trạm mới chưa có dữ liệu, hãy xoá tệp rồi chạy lại “motcua init”."
        raise DamagedDatabaseError(f"{name} rỗng (0 byte): không có dữ liệu. {advice}")
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise DamagedDatabaseError(f"{name} không phải cơ sở dữ liệu SQLite hoặc đã bị hỏng. {advice}")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counter_valid = header[24:28] == header[92:96]
    wal = path.with_name(path.name + "-wal")
    wal_has_pages = wal.exists() and wal.stat().st_size > 32
    if page_size < 512 or page_size & (page_size - 1):
        raise DamagedDatabaseError(f"{name} bị hỏng (phần đầu tệp sai). {advice}")
    if counter_valid and pages and size < pages * page_size and not wal_has_pages:
        raise DamagedDatabaseError(
            f"{name} bị cắt cụt (có {_group(size)} byte, cần {_group(pages * page_size)} byte). " + advice
        )


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # Parameters carry names, CCCD and phone numbers: keep them out of exception texts and logs.
        hide_parameters=True,
        # Vietnamese text stays UTF-8 in JSON columns (\u escapes triple its size).
        json_serializer=lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":")),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's implicit
        # transactions cannot do IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA cache_size=-16000")  # 16 MB page cache per pooled connection
        # Process-wide cap on SQLite's heap: page caches shrink instead of growing
        # past it when workers scan a million-dossier database.
        cur.execute(f"PRAGMA soft_heap_limit={SOFT_HEAP_LIMIT}")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: ExceptionContext) -> None:
        # A damaged page can be met by any query: staff get what to do, not a traceback.
        if is_corruption(ctx.original_exception):
            raise DamagedDatabaseError(describe_sqlite_error(ctx.original_exception))

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """A station database file: engine, single writer lock, migrations."""

    def __init__(self, path: str | Path, *, migrate: bool = True):
        self.path = Path(path)
        existed = self.path.exists()
        if existed:
            check_database_file(self.path)
            _check_is_station(self.path)
            for file in (self.path, *sidecar_files(self.path)):
                _secure_file(file)
        else:
            leftovers = [f.name for f in sidecar_files(self.path) if f.exists() and f.stat().st_size]
            if leftovers:
                # SQLite would replay the old WAL into a new empty file: half a station.
                raise DamagedDatabaseError(
                    f"Không thấy tệp cơ sở dữ liệu “{self.path.name}” nhưng còn tệp "
                    f"{', '.join(leftovers)} của nó: tệp chính đã bị xoá hoặc di chuyển. {RESTORE_ADVICE}"
                )
            make_private_dir(self.path.parent)
            # Create it 0600 before SQLite does: WAL and SHM files copy the database's mode.
            try:
                os.close(open_private(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass  # another process created it this instant; SQLite's locks order the two
        self.engine = _make_engine(self.path)
        self.write_lock = threading.RLock()
        try:
            if migrate:
                migrate_to_head(self.engine)
        except BaseException:
            self.engine.dispose()
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE); commits on success."""
        with self.write_lock, self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()


def _check_is_station(path: Path) -> None:
    """Read the schema before SQLAlchemy connects (its connect hook cannot report damage well).

    A damaged schema page is reported here; an existing SQLite file with tables
    but none of ours is someone else's database and is not touched.
    """
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and not is_corruption(exc):
            raise StoreError(describe_sqlite_error(exc)) from exc
        raise DamagedDatabaseError(
            f"Tệp cơ sở dữ liệu của trạm “{path.name}” bị hỏng. {RESTORE_ADVICE}"
        ) from exc
    if tables and "alembic_version" not in tables:
        raise DamagedDatabaseError(
            f"Tệp “{path.name}” là cơ sở dữ liệu SQLite nhưng không phải của trạm MotCua: "
            "không mở và không ghi đè. Hãy kiểm tra lại đường dẫn (--db)."
        )


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


_REVISION_RE = re.compile(r"^(revision|down_revision)\s*=\s*(.+)$", re.M)


def script_heads() -> set[str]:
    """Head revisions read straight from the migration files.

    Importing alembic costs 120–180 ms at every start; reading a few small
    files tells whether there is anything to do at all.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_REVISION_RE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        down = ast.literal_eval(found.get("down_revision", "None"))
        if isinstance(down, str):
            parents.add(down)
        elif down:
            parents.update(down)
    return revisions - parents


def migrate_to_head(engine: Engine) -> None:
    """Apply pending alembic migrations (cheap no-op when already at head)."""
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).first()
        current = (
            {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
            if has_table
            else set()
        )
    if current and current == script_heads():
        return
    from alembic import command

    cfg = _alembic_config(engine)
    log.info("migrating %s from %s", engine.url, current or "empty")
    command.upgrade(cfg, "heads")
