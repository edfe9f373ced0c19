"""Sending due notices (shared by the station and the central server): claim, send,
record; retries with exponential back-off.

Claiming marks a row ``sending`` with a lease (``claimed_until``) in its own short
write transaction, so two deliverers (or a restarted one) never send the same row
at the same time. The send happens outside any transaction (the counter's writes
never wait for the network). If the process dies after the provider accepted a
message but before ``sent`` is recorded, the lease runs out and the row is sent
again with the same idempotency key, which the provider uses to drop the copy.
After ``max_attempts`` temporary failures, or at once on a permanent one, the
row becomes ``failed``: staff see it (``failures``) and may retry it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, or_, select, update

from desk_app.notices import templates
from desk_app.notices.channels import Channel, Message, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)

NO_CHANNEL = "Kênh gửi chưa được cấu hình trên trạm này."


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, base_s: float, max_s: float) -> dt.timedelta:
    return dt.timedelta(seconds=min(max_s, base_s * 2 ** max(attempts - 1, 0)))


class TableDeliverer:
    """Delivers the rows of a notices table given as ``table`` with its ``transaction``
    factory and template ``overrides``: the station's (``NoticeDeliverer``) or the
    central server's (``central.notices``)."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        clock: Callable[[], dt.datetime],
        *,
        transaction: Callable[[], AbstractContextManager[Connection]],
        table: Table,
        overrides: Callable[[Connection], Any],
        max_attempts: int = 8,
        base_delay_s: float = 30.0,
        max_delay_s: float = 6 * 3600.0,
        lease_s: float = 120.0,
    ):
        self.transaction = transaction
        self.table = table
        self.overrides = overrides
        self.channels = dict(channels)
        self.clock = clock
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.lease_s = lease_s

    def _claim(self, limit: int) -> list[Any]:
        now = self.clock()
        now_s = now.isoformat()
        until = (now + dt.timedelta(seconds=self.lease_s)).isoformat()
        n = self.table
        with self.transaction() as conn:
            rows = conn.execute(
                select(n)
                .where(
                    or_(
                        and_(n.c.status == "pending", n.c.next_attempt_at <= now_s),
                        and_(n.c.status == "sending", n.c.claimed_until < now_s),  # a sender died
                    )
                )
                .order_by(n.c.next_attempt_at)
                .limit(limit)
            ).all()
            for row in rows:
                conn.execute(
                    update(n)
                    .where(n.c.id == row.id)
                    .values(status="sending", claimed_until=until, attempts=row.attempts + 1)
                )
            overrides = self.overrides(conn) or {}
        self._overrides = overrides if isinstance(overrides, dict) else {}
        return list(rows)

    def _finish(self, notice_id: str, **values: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                update(self.table).where(self.table.c.id == notice_id).values(claimed_until=None, **values)
            )

    def run_once(self, limit: int = 50) -> DeliveryReport:
        report = DeliveryReport()
        for row in self._claim(limit):
            attempts = row.attempts + 1
            channel = self.channels.get(row.channel)
            try:
                if channel is None:
                    raise TemporaryFailure(NO_CHANNEL)
                params = dict(row.params or {})
                text = templates.render(row.kind, params, self._overrides)
                ref = channel.send(Message(row.id, row.kind, row.recipient, text.subject, text.text, params))
            except PermanentFailure as exc:
                self._finish(row.id, status="failed", last_error=str(exc))
                report.failed += 1
                report.errors.append(str(exc))
                log.warning("notice %s failed permanently", row.id)
            except TemporaryFailure as exc:
                now = self.clock()
                if attempts >= self.max_attempts:
                    self._finish(row.id, status="failed", last_error=str(exc))
                    report.failed += 1
                else:
                    later = now + backoff(attempts, self.base_delay_s, self.max_delay_s)
                    self._finish(
                        row.id, status="pending", next_attempt_at=later.isoformat(), last_error=str(exc)
                    )
                    report.retried += 1
                report.errors.append(str(exc))
            else:
                self._finish(
                    row.id, status="sent", sent_at=self.clock().isoformat(), provider_ref=ref, last_error=None
                )
                report.sent += 1
        return report


class NoticeWorker:
    """Runs a deliverer every ``interval_s`` seconds in a daemon thread until ``stop``."""

    def __init__(self, deliverer: TableDeliverer, interval_s: float = 15.0):
        self.deliverer = deliverer
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="notice-delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliverer.run_once()
            except Exception:  # noqa: BLE001 - the worker must survive; the next round retries
                log.exception("notice delivery round failed")
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
