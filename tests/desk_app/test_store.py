"""The local store: SQLite settings, migrations, atomic writes, faults in Vietnamese."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from desk_app.store.db import Database, StoreError
from desk_app.store.uow import UnitOfWork
from tests.helpers.fakes import birth_request


@pytest.mark.durable_sqlite  # the tests' own databases skip fsync; the product's must not
def test_pragmas_and_migrations(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert version
    for needed in (
        "dossiers",
        "dossier_events",
        "outbox",
        "dossier_fts",
        "ix_dossiers_status_due",
        "ix_dossiers_id_number",
        "ix_dossiers_phone",
        "ix_dossiers_due",
    ):
        assert needed in names
    db.close()
    Database(tmp_path / "s.sqlite3").close()  # reopening at head is a no-op


def test_write_transactions_begin_immediate(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    statements: list[str] = []
    from sqlalchemy import event

    @event.listens_for(db.engine, "before_cursor_execute")
    def capture(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with UnitOfWork(db) as uow:
        uow.meta.set("k", "v")
        uow.commit()
    assert "BEGIN IMMEDIATE" in statements
    db.close()


def test_uncommitted_unit_of_work_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.sqlite3")
    with UnitOfWork(db) as uow:
        uow.meta.set("k", "v")  # no commit
    with UnitOfWork(db, write=False) as uow:
        assert uow.meta.get("k") is None
    db.close()


def test_dossier_event_and_outbox_are_written_together(app) -> None:  # type: ignore[no-untyped-def]
    dossier = app.intake.receive("canbo1", birth_request())
    with app.station.uow(write=False) as uow:
        events = uow.dossiers.events(dossier.id)
        pending = uow.outbox.pending()
    assert [e.kind.value for e in events] == ["received"]
    assert [row.id for row in pending] == [events[0].id]
    assert pending[0].payload["payload"]["dossier"]["code"] == dossier.code


def test_failed_intake_leaves_no_trace(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from desk_app.store import repositories

    def boom(self, rows):  # type: ignore[no-untyped-def]
        raise RuntimeError("crash between dossier and outbox")

    monkeypatch.setattr(repositories.OutboxRepository, "add_many", boom)
    with pytest.raises(RuntimeError):
        app.intake.receive("canbo1", birth_request())
    with app.station.uow(write=False) as uow:
        assert uow.conn.execute(text("SELECT count(*) FROM dossiers")).scalar() == 0
        assert uow.conn.execute(text("SELECT count(*) FROM dossier_events")).scalar() == 0
        assert uow.conn.execute(text("SELECT count(*) FROM code_leases")).scalar() == 0


def test_disk_full_gives_vietnamese_message_and_keeps_old_data(app) -> None:  # type: ignore[no-untyped-def]
    first = app.intake.receive("canbo1", birth_request())
    with app.station.db.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    # Cap the file at its current size on every pooled connection: the next insert fills the "disk".
    from sqlalchemy import event

    @event.listens_for(app.station.db.engine, "connect")
    def cap(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    app.station.db.engine.dispose()
    big = birth_request()
    big.note = "x" * 200_000
    with pytest.raises(StoreError, match="Ổ đĩa đã đầy"):
        app.intake.receive("canbo1", big)
    event.remove(app.station.db.engine, "connect", cap)
    app.station.db.engine.dispose()
    assert app.queries.find_code(first.code) is not None


def test_killed_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    """A process killed inside a write transaction leaves the last commit intact."""
    db_path = tmp_path / "s.sqlite3"
    script = textwrap.dedent(f"""
        import os, signal
        from desk_app.store.db import Database
        from desk_app.store.uow import UnitOfWork
        db = Database({str(db_path)!r})
        with UnitOfWork(db) as uow:
            uow.meta.set("committed", "yes"); uow.commit()
        with UnitOfWork(db) as uow:
            for i in range(2000):
                uow.meta.set(f"half{{i}}", "x" * 100)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()
    db = Database(db_path)
    with UnitOfWork(db, write=False) as uow:
        assert uow.meta.get("committed") == "yes"
        assert uow.meta.get("half0") is None
        assert uow.conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    db.close()


def test_returning_applicant_update_keeps_the_key_and_uses_indexes(app) -> None:  # type: ignore[no-untyped-def]
    """Rewriting applicants.id made SQLite re-check every dossier (1 s at 1M dossiers)."""
    from sqlalchemy import event

    app.intake.receive("canbo1", birth_request())
    seen: list[str] = []

    @event.listens_for(app.station.db.engine, "before_cursor_execute")
    def capture(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    app.intake.receive("canbo1", birth_request())  # same CCCD: a returning applicant
    updates = [s for s in seen if s.startswith("UPDATE applicants")]
    assert updates and all("SET id=" not in s.replace(" ", "") for s in updates)
    with app.station.db.engine.connect() as conn:
        plan = " ".join(
            str(r)
            for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT 1 FROM dossiers WHERE applicant_id = 'x'"
            )
        )
    assert "ix_dossiers_applicant" in plan


def test_fast_head_check_agrees_with_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from desk_app.store.db import MIGRATIONS_DIR, script_heads

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert script_heads() == set(ScriptDirectory.from_config(cfg).get_heads())


def test_outbox_pending_count_cap(app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        app.intake.receive("canbo1", birth_request())
    with app.station.uow(write=False) as uow:
        assert uow.outbox.pending_count() == 3
        assert uow.outbox.pending_count(cap=2) == 2
