"""Notices to citizens sent by the central server (units whose stations set ``deliver_from: server``).

A scanner walks the change log after its cursor (``notice_cursor``; the log's
sequence numbers become visible in commit order, see ``central.service``) and,
for each event that calls for a notice (received, supplement requested, apology
and extension, result ready) of a dossier whose RECEIVED snapshot carries the
citizen's consent with ``"by": "server"``, writes a row in ``notices`` with the
id ``<event id>:<channel>`` — in the same transaction as the new cursor, so a
restart neither loses nor repeats one. The station's ``NoticeDeliverer`` then
sends them with the same channels, retries and back-off.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Connection, Index, Integer, String, Table, Text, select

from central import models as m
from central import service as svc
from desk_app import lookup
from desk_app.domain.lifecycle import EventKind
from desk_app.notices.channels import Channel
from desk_app.notices.engine import TableDeliverer
from desk_app.notices.rules import CHANNELS, KIND_OF_EVENT, NOTIFY_KEY

notices = Table(
    "notices",
    m.metadata,
    Column("id", String, primary_key=True),
    Column("event_id", String, nullable=False),
    Column("dossier_id", String, nullable=False),
    Column("unit_code", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String, nullable=False),
    Column("claimed_until", String, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("provider_ref", Text, nullable=True),
    Column("created_at", String, nullable=False),
    Column("sent_at", String, nullable=True),
    Index("ix_central_notices_due", "status", "next_attempt_at"),
)
notice_cursor = Table(
    "notice_cursor",
    m.metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)
log = logging.getLogger(__name__)
_KINDS = {k.value: k for k in KIND_OF_EVENT}


def _fmt(value: Any) -> str:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return f"{when:%H:%M} ngày {when:%d/%m/%Y}"


def _received(conn: Connection, dossier_id: str) -> dict[str, Any] | None:
    for (raw,) in conn.execute(
        select(m.changes.c.payload).where(m.changes.c.dossier_id == dossier_id, m.changes.c.kind == "event")
    ):
        event = json.loads(raw)
        if isinstance(event, dict) and event.get("kind") == EventKind.RECEIVED.value:
            return event
    return None


class ServerNotices:
    def __init__(
        self,
        store: svc.Store,
        channels: Mapping[str, Channel],
        clock: Callable[[], dt.datetime],
        *,
        public_url: str = "",
        **deliverer_options: Any,
    ):
        self.store = store
        self.clock = clock
        self.public_url = public_url.rstrip("/")

        @contextmanager
        def transaction() -> Iterator[Connection]:
            with store.write() as conn:
                yield conn

        self.deliverer = TableDeliverer(
            channels,
            clock,
            transaction=transaction,
            table=notices,
            overrides=lambda _conn: {},
            **deliverer_options,
        )

    def scan(self, limit: int = 1000) -> int:
        """Turn the next events of the change log into notices; returns how many were written."""
        written = 0
        now_s = self.clock().isoformat()
        with self.store.write() as conn:
            cursor = conn.execute(select(notice_cursor.c.last_seq).where(notice_cursor.c.id == 1)).scalar()
            after = int(cursor or 0)
            rows = conn.execute(
                select(m.changes.c.seq, m.changes.c.dossier_id, m.changes.c.unit_code, m.changes.c.payload)
                .where(m.changes.c.seq > after, m.changes.c.kind == "event")
                .order_by(m.changes.c.seq)
                .limit(limit)
            ).all()
            last = after
            for seq, dossier_id, unit_code, raw in rows:
                last = max(last, int(seq))
                event = json.loads(raw)
                kind = _KINDS.get(str(event.get("kind"))) if isinstance(event, dict) else None
                if kind is None or not dossier_id:
                    continue
                received = event if kind is EventKind.RECEIVED else _received(conn, dossier_id)
                row = self._notice(conn, event, kind, received, dossier_id, unit_code, now_s)
                if (
                    row is not None
                    and conn.execute(select(notices.c.id).where(notices.c.id == row["id"])).first() is None
                ):
                    conn.execute(notices.insert(), [row])
                    written += 1
            if rows:
                if cursor is None:
                    conn.execute(notice_cursor.insert(), [{"id": 1, "last_seq": last}])
                else:
                    conn.execute(notice_cursor.update().where(notice_cursor.c.id == 1).values(last_seq=last))
        return written

    def _notice(
        self,
        conn: Connection,
        event: dict[str, Any],
        kind: EventKind,
        received: dict[str, Any] | None,
        dossier_id: str,
        unit_code: str,
        now_s: str,
    ) -> dict[str, Any] | None:
        body = (received or {}).get("payload") or {}
        dossier, applicant = body.get("dossier") or {}, body.get("applicant") or {}
        extra = dossier.get("extra") or {}
        wish = extra.get(NOTIFY_KEY) if isinstance(extra, dict) else None
        if not isinstance(wish, dict) or wish.get("by") != "server" or wish.get("channel") not in CHANNELS:
            return None
        channel = str(wish["channel"])
        recipient = str(applicant.get("email" if channel == "email" else "phone") or "")
        if not recipient:
            return None
        unit_name = conn.execute(select(m.units.c.name).where(m.units.c.code == unit_code)).scalar() or ""
        payload = event.get("payload") or {}
        secret = str(extra.get(lookup.SECRET_KEY, "") or "")
        base = f"{self.public_url}{lookup.PUBLIC_PATH}" if self.public_url else ""
        params = {
            "name": str(applicant.get("full_name", "")),
            "code": str(dossier.get("code", "")),
            "procedure": str(dossier.get("procedure_name", "")),
            "body": str(unit_name),
            "received_at": _fmt(dossier.get("received_at", "")),
            "due_at": _fmt(payload.get("due_at") or body.get("due_at") or ""),
            "missing": [
                str(i.get("name", "")) for i in payload.get("missing", []) or [] if isinstance(i, dict)
            ],
            "reason": str(payload.get("reason", "") or ""),
            "lookup_url": lookup.lookup_url(base, str(dossier.get("code", "")), secret) if secret else "",
        }
        return {
            "id": f"{event['id']}:{channel}",
            "event_id": str(event["id"]),
            "dossier_id": dossier_id,
            "unit_code": unit_code,
            "kind": KIND_OF_EVENT[kind],
            "channel": channel,
            "recipient": recipient,
            "params": params,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now_s,
            "created_at": now_s,
        }

    def run_once(self) -> tuple[int, Any]:
        """One round: scan the log, then deliver what is due."""
        return self.scan(), self.deliverer.run_once()


class NoticeLoop:
    """``ServerNotices`` rounds in a background thread of ``motcua-central serve``, so a
    unit that chose the server needs no separate ``motcua-central notices`` process.

    A failed round is logged and the next one tries again; ``stop`` ends the wait at
    once and lets a round in progress finish (the deliverer's lease covers a kill)."""

    def __init__(self, server_notices: ServerNotices, interval: float = 15.0) -> None:
        self.server_notices = server_notices
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="central-notices", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                written, report = self.server_notices.run_once()
                if written or report.sent or report.retried or report.failed:
                    log.info(
                        "notices: %d new, %d sent, %d to retry, %d failed",
                        written,
                        report.sent,
                        report.retried,
                        report.failed,
                    )
            except Exception:  # a database or provider fault: keep serving, try again next round
                log.exception("notice round failed")
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
