"""Unit of work: one transaction, explicit commit, rollback by default."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from types import TracebackType

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from desk_app.store import repositories as r
from desk_app.store.db import Database, StoreError, describe_sqlite_error
from desk_app.store.queue_repository import TicketRepository


class UnitOfWork:
    """``with UnitOfWork(db) as uow: ...; uow.commit()``. Writes begin IMMEDIATE."""

    conn: Connection

    def __init__(self, db: Database, *, write: bool = True):
        self.db = db
        self.write = write
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        if self.write:
            self.db.write_lock.acquire()
        try:
            conn = self.db.engine.connect()
            self.conn = conn.execution_options(write=True) if self.write else conn
            self._tx = self.conn.begin()
        except OperationalError as exc:
            if self.write:
                self.db.write_lock.release()
            raise StoreError(describe_sqlite_error(exc.orig or exc)) from exc
        except BaseException:
            if self.write:
                self.db.write_lock.release()
            raise
        c = self.conn
        self.meta = r.MetaRepository(c)
        self.units = r.UnitRepository(c)
        self.procedures = r.ProcedureRepository(c)
        self.applicants = r.ApplicantRepository(c)
        self.dossiers = r.DossierRepository(c)
        self.outbox = r.OutboxRepository(c)
        self.leases = r.LeaseRepository(c)
        self.calendar = r.CalendarRepository(c)
        self.logbook = r.LogbookRepository(c)
        self.audit = r.AuditRepository(c)
        self.tickets = TicketRepository(c)
        return self

    def touch_dossiers(self, dossier_ids: Iterable[str]) -> None:
        """Events of these dossiers were written outside the repository (sync apply)."""
        self.dossiers.touched.update(dossier_ids)

    def commit(self) -> None:
        try:
            if self.dossiers.touched:
                # Same transaction as the events: the report rows never lag behind them.
                from desk_app.store.report_rows import refresh

                refresh(self.conn, self.dossiers.touched)
                self.dossiers.touched.clear()
            self._tx.commit()
        except OperationalError as exc:
            raise StoreError(describe_sqlite_error(exc.orig or exc)) from exc
        except sqlite3.OperationalError as exc:  # the report rows are written through the driver
            raise StoreError(describe_sqlite_error(exc)) from exc
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
            if self.write:
                self.db.write_lock.release()
        if isinstance(exc, OperationalError):
            # Environment faults (disk full, locked, read-only) reach staff in Vietnamese.
            raise StoreError(describe_sqlite_error(exc.orig or exc)) from exc
