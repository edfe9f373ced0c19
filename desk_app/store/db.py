"""SQLite engine for a station database: WAL, synchronous=FULL, IMMEDIATE writes.

One ``Database`` per file per process. Writes are serialised by an in-process
lock (the single writer) and by ``BEGIN IMMEDIATE`` across processes, so a
writer never fails half-way with "database is locked" after doing work.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from desk_app.domain.errors import DomainError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
SOFT_HEAP_LIMIT = 64 * 2**20
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class StoreError(DomainError):
    """An environment fault of the local store (disk full, read-only, corrupt)."""


def describe_sqlite_error(exc: BaseException) -> str:
    """Vietnamese explanation of a SQLite failure for counter staff."""
    text = str(exc).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return (
            "Ổ đĩa đã đầy: không thể lưu dữ liệu. Hãy giải phóng dung lượng rồi thử lại; "
            "dữ liệu cũ không bị mất."
        )
    if "readonly" in text or "read-only" in text:
        return "Tệp cơ sở dữ liệu chỉ cho phép đọc: kiểm tra quyền ghi của thư mục dữ liệu."
    if "locked" in text or "busy" in text:
        return "Cơ sở dữ liệu đang bận (một chương trình khác đang ghi). Hãy thử lại sau giây lát."
    if "malformed" in text or "not a database" in text:
        return "Tệp cơ sở dữ liệu bị hỏng. Hãy liên hệ bộ phận kỹ thuật để khôi phục từ bản sao lưu."
    return f"Lỗi cơ sở dữ liệu: {exc}"


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """A station database file: engine, single writer lock, migrations."""

    def __init__(self, path: str | Path, *, migrate: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(self.path)
        self.write_lock = threading.RLock()
        if migrate:
            migrate_to_head(self.engine)

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
