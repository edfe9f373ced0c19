"""The station's notices: its deliverer, and the failures staff see and retry.

The sending itself (claim, send, record, back-off) is ``desk_app.notices.engine``,
shared with the central server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from desk_app.notices import templates
from desk_app.notices.channels import Channel
from desk_app.notices.engine import (  # noqa: F401 - the station's callers import them from here
    NO_CHANNEL,
    DeliveryReport,
    NoticeWorker,
    TableDeliverer,
    backoff,
)
from desk_app.store import schema as s
from desk_app.store.db import Database
from desk_app.store.uow import UnitOfWork


@contextmanager
def station_transaction(db: Database) -> Iterator[Connection]:
    """A write transaction of the station database that commits when the block succeeds."""
    with UnitOfWork(db) as uow:
        yield uow.conn
        uow.commit()


def station_overrides(conn: Connection) -> Any:
    from desk_app.store.repositories import MetaRepository

    return MetaRepository(conn).get_json(templates.META_TEMPLATES, {})


class NoticeDeliverer(TableDeliverer):
    """Delivers the station database's notices."""

    def __init__(
        self, db: Database, channels: Mapping[str, Channel], clock: Callable[[], dt.datetime], **options: Any
    ):
        super().__init__(
            channels,
            clock,
            transaction=lambda: station_transaction(db),
            table=s.notices,
            overrides=station_overrides,
            **options,
        )
        self.db = db


def failures(db: Database) -> list[dict[str, Any]]:
    """Notices that could not be delivered, newest first (for staff)."""
    n, d = s.notices, s.dossiers
    with UnitOfWork(db, write=False) as uow:
        rows = uow.conn.execute(
            select(
                n.c.id,
                n.c.dossier_id,
                d.c.code.label("dossier_code"),
                n.c.kind,
                n.c.channel,
                n.c.status,
                n.c.attempts,
                n.c.last_error,
                n.c.created_at,
            )
            .outerjoin(d, d.c.id == n.c.dossier_id)
            .where(or_(n.c.status == "failed", and_(n.c.status == "pending", n.c.attempts > 0)))
            .order_by(n.c.created_at.desc())
        ).all()
    return [dict(r._mapping) for r in rows]


def retry(db: Database, notice_id: str, now: dt.datetime) -> None:
    """Staff ask to try a failed notice again (same idempotency key)."""
    with UnitOfWork(db) as uow:
        uow.conn.execute(
            update(s.notices)
            .where(s.notices.c.id == notice_id, s.notices.c.status == "failed")
            .values(status="pending", attempts=0, next_attempt_at=now.isoformat())
        )
        uow.commit()
