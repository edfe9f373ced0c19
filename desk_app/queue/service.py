"""Queue use cases: issue, call, recall, no-show, transfer, serve, walk-in, link dossier.

Design notes (the why):

* **Events are the record.** Every action appends a ``queue_events`` row (time,
  counter, officer, ticket, kind, payload) and an outbox row (kind
  ``ticket_event``) in the same transaction; statistics are computed from the
  events only (``stats.py``). ``queue_tickets`` is a projection kept in step in
  that transaction so "call next" does not have to fold the log.
* **Atomic call next.** Picking and marking the next ticket happen in ONE
  ``BEGIN IMMEDIATE`` transaction behind the store's single-writer lock; SQLite
  lets only one IMMEDIATE writer in at a time, across threads and processes, so
  two counters can never receive the same ticket. The UPDATE also re-checks the
  state (``WHERE state='waiting'``) as a second guard.
* **Two-phase issuing (no phantom numbers).** ``reserve_ticket`` takes the next
  number of the day and stores the ticket as ``printing`` (not in the queue, not
  counted). The printer runs outside any transaction (a raster ticket can take
  20 s on 9600 baud). Only ``confirm_printed`` puts it in the queue (``waiting``,
  event ``issued``); ``mark_print_failed`` records ``print_failed``. A failed
  ticket can be reprinted with the SAME number (``begin_reprint``). A number that
  never printed leaves a gap in the series, never a ticket nobody holds.
* **Transfer goes to the front.** A transferred ticket keeps its number and is
  called before the ordinary waiting tickets of its new queue / counter (ordered
  among transfers by transfer time), because the citizen has already waited once.
  A transfer to a counter is callable only by that counter.
* **Priority policy.** ``strict``: a waiting priority ticket is always called
  before normal ones. ``interleaved``: per queue, one priority ticket after every
  N normal tickets called in that queue (N = ``interleave_every``); if one kind is
  empty the other is called. Among several queues a counter serves, the oldest
  head is called (strict: oldest priority head first).
* **No-show tolerance.** A no-show can be recalled within ``no_show_tolerance_min``
  minutes (default 10) of being marked; after that it is final.
* **Calling next closes the counter's current ticket**: a ticket being served is
  finished, a called one that never started is marked no-show (payload
  ``auto: true``), so a counter always has at most one active ticket.
* **Daily reset.** Numbers come from ``queue_series`` keyed by (queue, day) in
  Vietnam time; "call next" only looks at today's tickets.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, and_, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import OperationalError

from desk_app.devices.api import PrinterError, TicketPrinter, TicketPrintJob
from desk_app.ids import uuid7
from desk_app.queue import schema as q
from desk_app.queue.models import (
    ACTIVE_AT_COUNTER,
    STATE_LABELS,
    CallRecord,
    CounterInfo,
    CounterNow,
    EventKind,
    InvalidTicketAction,
    IssueResult,
    PriorityMode,
    PriorityReason,
    QueueConfig,
    QueueError,
    QueueEvent,
    QueueInfo,
    QueueLength,
    QueueStatus,
    QueueUnavailable,
    ServiceInfo,
    Ticket,
    TicketNotFound,
    TicketState,
)
from desk_app.store.db import Database, StoreError, describe_sqlite_error
from desk_app.store.uow import UnitOfWork
from desk_app.workcalendar import VN_TZ, now_vn

Clock = Callable[[], dt.datetime]

DEFAULT_SETTINGS: dict[str, Any] = {
    "priority_mode": "strict",
    "interleave_every": 3,
    "no_show_tolerance_min": 10,
    "service_level_min": 15,
    "office_name": "Bộ phận Một cửa",
}

_ACTIVE = tuple(s.value for s in ACTIVE_AT_COUNTER)


def iso(when: dt.datetime) -> str:
    """One fixed text format (+07:00, microseconds) so stored times sort as text."""
    return when.astimezone(VN_TZ).isoformat(timespec="microseconds")


def format_label(queue_code: str, number: int) -> str:
    return f"{queue_code}{number:03d}"


def _state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def pick_next(
    candidates: Sequence[Ticket],
    mode: str,
    every: int,
    streaks: dict[str, int],
) -> Ticket | None:
    """Choose the next ticket among waiting ``candidates`` (pure; see module doc)."""
    if not candidates:
        return None
    front = [t for t in candidates if t.front_at]
    if front:
        return min(front, key=lambda t: (t.front_at or "", t.issued_at or "", t.id))
    by_queue: dict[str, list[Ticket]] = {}
    for t in candidates:
        by_queue.setdefault(t.queue_code, []).append(t)
    heads: list[tuple[bool, Ticket]] = []
    for code, tickets in by_queue.items():
        pri = min((t for t in tickets if t.priority), key=lambda t: (t.issued_at or "", t.id), default=None)
        nor = min(
            (t for t in tickets if not t.priority), key=lambda t: (t.issued_at or "", t.id), default=None
        )
        if mode == PriorityMode.INTERLEAVED:
            use_pri = pri is not None and (nor is None or streaks.get(code, 0) >= max(every, 0))
        else:
            use_pri = pri is not None
        head = pri if use_pri else nor
        assert head is not None
        heads.append((use_pri, head))
    if mode == PriorityMode.STRICT and any(p for p, _ in heads):
        heads = [h for h in heads if h[0]]
    return min(heads, key=lambda h: (h[1].issued_at or "", h[1].id))[1]


class QueueApi(Protocol):
    """What kiosks, counters and displays use: ``QueueService``, ``LocalQueueClient``
    and the LAN ``QueueClient`` all provide it."""

    def config(self) -> QueueConfig: ...
    def reserve_ticket(self, service_id: str, priority_reason: str | None = None) -> Ticket: ...
    def confirm_printed(self, ticket_id: str) -> Ticket: ...
    def mark_print_failed(self, ticket_id: str, error: str) -> Ticket: ...
    def begin_reprint(self, ticket_id: str) -> Ticket: ...
    def people_ahead(self, ticket_id: str) -> int: ...
    def ticket(self, ticket_id: str) -> Ticket: ...
    def call_next(self, counter_no: int, officer: str) -> Ticket | None: ...
    def recall(self, ticket_id: str, counter_no: int, officer: str) -> Ticket: ...
    def no_show(self, ticket_id: str, counter_no: int, officer: str) -> Ticket: ...
    def transfer(
        self,
        ticket_id: str,
        counter_no: int,
        officer: str,
        to_queue: str | None = None,
        to_counter: int | None = None,
    ) -> Ticket: ...
    def start(self, ticket_id: str, counter_no: int, officer: str) -> Ticket: ...
    def finish(self, ticket_id: str, counter_no: int, officer: str) -> Ticket: ...
    def walk_in(
        self,
        counter_no: int,
        officer: str,
        queue_code: str | None = None,
        service_id: str | None = None,
        note: str = "",
    ) -> Ticket: ...
    def link_dossier(self, ticket_id: str, dossier_id: str, counter_no: int, officer: str) -> Ticket: ...
    def cancel(self, ticket_id: str, counter_no: int | None, officer: str, reason: str = "") -> Ticket: ...
    def status(self) -> QueueStatus: ...
    def recent_calls(self, limit: int = 10) -> list[CallRecord]: ...
    def events_since(self, seq: int, limit: int = 500) -> list[QueueEvent]: ...


def _ticket_from(data: dict[str, Any]) -> Ticket:
    ids = data.get("dossier_ids") or []
    data["dossier_ids"] = list(json.loads(ids) if isinstance(ids, str) else ids)
    return Ticket.from_dict(data)


def _ticket(row: Any) -> Ticket:
    return _ticket_from(dict(row._mapping))


def _sql_value(value: Any) -> Any:
    """Python value -> SQLite parameter, as SQLAlchemy's JSON / Boolean types store them."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


_T = TypeVar("_T")

#: The write actions ``QueueService.action`` / ``run_group`` accept (``_<name>_in`` methods).
GROUP_ACTIONS = frozenset(
    {
        "reserve_ticket",
        "confirm_printed",
        "mark_print_failed",
        "begin_reprint",
        "call_next",
        "recall",
        "no_show",
        "transfer",
        "start",
        "finish",
        "walk_in",
        "link_dossier",
        "cancel",
    }
)


def _store_error(exc: BaseException) -> BaseException:
    """A database failure as the in-process path reports it (``StoreError``, Vietnamese)."""
    if isinstance(exc, (OperationalError, sqlite3.OperationalError)):
        orig = getattr(exc, "orig", None) or exc
        err = StoreError(describe_sqlite_error(orig))
        err.__cause__ = exc
        return err
    return exc


def _copy_error(exc: BaseException) -> BaseException:
    """One exception object per caller (a shared one collects every caller's traceback)."""
    if isinstance(exc, StoreError):
        err = StoreError(str(exc))
        err.__cause__ = exc.__cause__ or exc
        return err
    err2 = StoreError(describe_sqlite_error(exc))
    err2.__cause__ = exc
    return err2


class QueueService:
    """The queue on this station's database. Thread-safe; returns plain data."""

    def __init__(self, db: Database, clock: Clock = now_vn, device_id: str = ""):
        self.db = db
        self.clock = clock
        self.device_id = device_id

    # ------------------------------------------------------------- helpers
    def _now(self) -> tuple[dt.datetime, str, str]:
        now = self.clock().astimezone(VN_TZ)
        return now, iso(now), now.date().isoformat()

    # ------------------------------------------------------------- transactions
    def _write(self, fn: Callable[..., _T], *args: Any) -> _T:
        """One action, one write transaction (the in-process path)."""
        with UnitOfWork(self.db) as uow:
            result = fn(uow, *args)
            uow.commit()
            return result

    def action(self, name: str, *args: Any) -> Callable[[UnitOfWork], Any]:
        """The write action ``name`` (e.g. ``"call_next"``) with its arguments, to run inside
        someone else's transaction: ``run_group([svc.action("call_next", 1, "an"), ...])``."""
        if name not in GROUP_ACTIONS:
            raise ValueError(f"not a queue write action: {name}")
        fn = getattr(self, f"_{name}_in")
        return lambda uow: fn(uow, *args)

    def run_group(self, calls: Sequence[Callable[[UnitOfWork], Any]]) -> list[Any]:
        """Group commit: run ``calls`` one after another in ONE write transaction (one fsync).

        Each call runs in its own SAVEPOINT: one that raises is rolled back alone and its
        slot in the result list holds the exception; the others keep their work. Results
        mean "committed": if the transaction cannot begin, is lost half-way (SQLite rolls
        the whole transaction back on e.g. a full disk) or the COMMIT fails, EVERY slot
        holds a ``StoreError`` and nothing of the group was written.
        """
        results: list[Any] = [None] * len(calls)
        try:
            with UnitOfWork(self.db) as uow:
                raw = self._raw(uow.conn)
                for i, call in enumerate(calls):
                    savepoint = uow.conn.begin_nested()
                    try:
                        results[i] = call(uow)
                    except Exception as exc:
                        if not raw.in_transaction:  # SQLite already rolled everything back
                            raise
                        savepoint.rollback()
                        results[i] = _store_error(exc)
                    else:
                        savepoint.commit()
                if not raw.in_transaction:
                    raise StoreError("Giao dịch ghi đã bị hủy giữa chừng; hãy thử lại.")
                uow.commit()
        except Exception as exc:
            failed = _store_error(exc)
            return [_copy_error(failed) for _ in calls]
        return results

    # The hot path (every counter action, above all "call next") uses the DB-API
    # cursor of the SAME connection, inside the same IMMEDIATE transaction: building
    # SQLAlchemy expressions cost ~0.3 ms a statement, several times the SQL itself,
    # and the write lock is held meanwhile (8 counters queue behind it).
    @staticmethod
    def _raw(conn: Connection) -> Any:
        return conn.connection.driver_connection

    @classmethod
    def _settings(cls, conn: Connection) -> dict[str, Any]:
        values = dict(DEFAULT_SETTINGS)
        for key, value in cls._raw(conn).execute("SELECT key, value FROM queue_settings"):
            # JSON columns have NUMERIC affinity in SQLite: "3" comes back as the int 3.
            values[key] = json.loads(value) if isinstance(value, str) else value
        return values

    @classmethod
    def _fetch(cls, conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Ticket]:
        cur = cls._raw(conn).execute(sql, params)
        names = [d[0] for d in cur.description]
        return [_ticket_from(dict(zip(names, row, strict=True))) for row in cur.fetchall()]

    @classmethod
    def _get(cls, conn: Connection, ticket_id: str) -> Ticket:
        rows = cls._fetch(conn, "SELECT * FROM queue_tickets WHERE id = ?", (ticket_id,))
        if not rows:
            raise TicketNotFound(f"Không tìm thấy số thứ tự (mã {ticket_id}).")
        return rows[0]

    @classmethod
    def _counter(cls, conn: Connection, counter_no: int) -> CounterInfo:
        row = (
            cls._raw(conn)
            .execute(
                "SELECT no, name, queue_codes FROM queue_counters WHERE no = ? AND active", (counter_no,)
            )
            .fetchone()
        )
        if row is None:
            raise QueueError(f"Quầy số {counter_no} chưa được khai báo trong cấu hình xếp hàng.")
        return CounterInfo(no=row[0], name=row[1], queue_codes=list(json.loads(row[2])))

    def _update(self, conn: Connection, ticket: Ticket, expect: Iterable[str], **values: Any) -> Ticket:
        """Update guarded by the expected states (a second line of defence after the lock)."""
        states = [str(x) for x in expect]
        params = [_sql_value(v) for v in values.values()]
        sql = (
            f"UPDATE queue_tickets SET {', '.join(f'{k} = ?' for k in values)} "
            f"WHERE id = ? AND state IN ({', '.join('?' * len(states))}) RETURNING *"
        )
        rows = self._fetch(conn, sql, [*params, ticket.id, *states])
        if len(rows) != 1:
            raise InvalidTicketAction(
                f"Số {ticket.display_label} vừa được thay đổi ở quầy khác; hãy thử lại."
            )
        return rows[0]

    def _event(
        self,
        uow: UnitOfWork,
        kind: EventKind,
        ticket: Ticket,
        at: str,
        day: str,
        counter_no: int | None,
        officer: str,
        payload: dict[str, Any] | None = None,
    ) -> None:
        event_id = uuid7()
        row = {
            "id": event_id,
            "at": at,
            "day": day,
            "kind": kind.value,
            "ticket_id": ticket.id,
            "ticket_label": ticket.label,
            "queue_code": ticket.queue_code,
            "counter_no": counter_no,
            "officer": officer,
            "payload": {"service_name": ticket.service_name, **(payload or {})},
        }
        self._raw(uow.conn).execute(
            "INSERT INTO queue_events (id, at, day, kind, ticket_id, ticket_label, queue_code, counter_no, "
            "officer, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_sql_value(v) for v in row.values()],
        )
        uow.outbox.add(event_id, "ticket_event", ticket.id, {**row, "device_id": self.device_id}, at)

    @staticmethod
    def _require(ticket: Ticket, allowed: Iterable[TicketState], action: str) -> None:
        allowed = tuple(allowed)
        if ticket.state not in allowed:
            state = _state_label(ticket.state)
            raise InvalidTicketAction(
                f"Không thể {action} số {ticket.display_label} khi đang ở trạng thái “{state}”."
            )

    def _move(
        self, conn: Connection, ticket: Ticket, allowed: Iterable[TicketState], action: str, **values: Any
    ) -> Ticket:
        """Check that ``ticket`` may take ``action`` here, then update it guarded by the same states."""
        allowed = tuple(allowed)
        self._require(ticket, allowed, action)
        return self._update(conn, ticket, allowed, **values)

    def _close_active(
        self, uow: UnitOfWork, counter_no: int, officer: str, at: str, day: str, except_id: str | None = None
    ) -> list[str]:
        """Finish / no-show the counter's current ticket before it takes another."""
        rows = self._fetch(
            uow.conn,
            "SELECT * FROM queue_tickets WHERE counter_no = ? AND state IN (?, ?, ?)",
            (counter_no, *_ACTIVE),
        )
        closed = []
        for t in rows:
            if t.id == except_id:
                continue
            if t.state == TicketState.SERVING:
                t = self._update(uow.conn, t, [TicketState.SERVING], state=TicketState.DONE, finished_at=at)
                self._event(uow, EventKind.FINISHED, t, at, day, counter_no, officer, {"auto": True})
            else:
                t = self._update(uow.conn, t, _ACTIVE, state=TicketState.NO_SHOW, no_show_at=at)
                self._event(uow, EventKind.NO_SHOW, t, at, day, counter_no, officer, {"auto": True})
            closed.append(t.label)
        return closed

    # ------------------------------------------------------------- config
    def config(self) -> QueueConfig:
        with self.db.read() as conn:
            s = self._settings(conn)
            queues = [
                QueueInfo(r.code, r.name, r.sort)
                for r in conn.execute(
                    select(q.queue_queues)
                    .where(q.queue_queues.c.active.is_(True))
                    .order_by(q.queue_queues.c.sort)
                )
            ]
            services = [
                ServiceInfo(r.id, r.name, r.queue_code, r.sort)
                for r in conn.execute(
                    select(q.queue_services)
                    .where(q.queue_services.c.active.is_(True))
                    .order_by(q.queue_services.c.sort)
                )
            ]
            counters = [
                CounterInfo(r.no, r.name, list(r.queue_codes))
                for r in conn.execute(
                    select(q.queue_counters)
                    .where(q.queue_counters.c.active.is_(True))
                    .order_by(q.queue_counters.c.no)
                )
            ]
        return QueueConfig(
            office_name=str(s["office_name"]),
            priority_mode=str(s["priority_mode"]),
            interleave_every=int(s["interleave_every"]),
            no_show_tolerance_min=int(s["no_show_tolerance_min"]),
            service_level_min=int(s["service_level_min"]),
            queues=queues,
            services=services,
            counters=counters,
        )

    def set_settings(self, **values: Any) -> None:
        """Change settings, e.g. ``set_settings(priority_mode="interleaved", interleave_every=2)``."""
        unknown = set(values) - set(DEFAULT_SETTINGS)
        if unknown:
            raise QueueError(f"Thiết lập không hợp lệ: {', '.join(sorted(unknown))}.")
        if "priority_mode" in values and values["priority_mode"] not in {m.value for m in PriorityMode}:
            raise QueueError("Chế độ ưu tiên phải là “strict” (ưu tiên trước) hoặc “interleaved” (xen kẽ).")
        with UnitOfWork(self.db) as uow:
            for key, value in values.items():
                uow.conn.execute(q.queue_settings.delete().where(q.queue_settings.c.key == key))
                uow.conn.execute(insert(q.queue_settings).values(key=key, value=value))
            uow.commit()

    def save_queue(self, code: str, name: str, sort: int = 0, active: bool = True) -> None:
        code = code.strip().upper()
        if not code or not code.isalpha():
            raise QueueError("Ký hiệu hàng đợi phải là chữ cái (ví dụ A, B).")
        with UnitOfWork(self.db) as uow:
            uow.conn.execute(q.queue_queues.delete().where(q.queue_queues.c.code == code))
            uow.conn.execute(insert(q.queue_queues).values(code=code, name=name, sort=sort, active=active))
            uow.commit()

    def save_service(
        self, service_id: str, name: str, queue_code: str, sort: int = 0, active: bool = True
    ) -> None:
        with UnitOfWork(self.db) as uow:
            uow.conn.execute(q.queue_services.delete().where(q.queue_services.c.id == service_id))
            uow.conn.execute(
                insert(q.queue_services).values(
                    id=service_id, name=name, queue_code=queue_code, sort=sort, active=active
                )
            )
            uow.commit()

    def save_counter(self, no: int, name: str, queue_codes: Sequence[str], active: bool = True) -> None:
        with UnitOfWork(self.db) as uow:
            uow.conn.execute(q.queue_counters.delete().where(q.queue_counters.c.no == no))
            uow.conn.execute(
                insert(q.queue_counters).values(
                    no=no, name=name, queue_codes=list(queue_codes), active=active
                )
            )
            uow.commit()

    # ------------------------------------------------------------- issuing
    def reserve_ticket(self, service_id: str, priority_reason: str | None = None) -> Ticket:
        """Phase 1: take the next number of the day; the ticket is ``printing``, not queued."""
        return self._write(self._reserve_ticket_in, service_id, priority_reason)

    def _reserve_ticket_in(
        self, uow: UnitOfWork, service_id: str, priority_reason: str | None = None
    ) -> Ticket:
        if priority_reason is not None and priority_reason not in {p.value for p in PriorityReason}:
            raise QueueError(f"Lý do ưu tiên không hợp lệ: {priority_reason}.")
        _, at, day = self._now()
        c = uow.conn
        svc = c.execute(
            select(q.queue_services).where(
                q.queue_services.c.id == service_id, q.queue_services.c.active.is_(True)
            )
        ).first()
        if svc is None:
            raise QueueError("Dịch vụ đã chọn không còn được cung cấp; hãy chọn dịch vụ khác.")
        series = q.queue_series.c
        last = c.execute(
            select(series.last_number).where(series.queue_code == svc.queue_code, series.day == day)
        ).scalar()
        if last is None:
            number = 1
            c.execute(
                insert(q.queue_series).values(
                    queue_code=svc.queue_code, day=day, last_number=1, normal_streak=0
                )
            )
        else:
            number = int(last) + 1
            c.execute(
                update(q.queue_series)
                .where(series.queue_code == svc.queue_code, series.day == day)
                .values(last_number=number)
            )
        ticket_id = uuid7()
        c.execute(
            insert(q.queue_tickets).values(
                id=ticket_id,
                day=day,
                kind="ticket",
                queue_code=svc.queue_code,
                series=svc.queue_code,
                number=number,
                label=format_label(svc.queue_code, number),
                service_id=svc.id,
                service_name=svc.name,
                priority_reason=priority_reason,
                priority=priority_reason is not None,
                state=TicketState.PRINTING,
                reserved_at=at,
                officer="",
                dossier_ids=[],
                print_attempts=1,
                last_error="",
            )
        )
        t = self._get(c, ticket_id)
        self._event(uow, EventKind.RESERVED, t, at, day, None, "", {"priority_reason": priority_reason})
        return t

    def confirm_printed(self, ticket_id: str) -> Ticket:
        """Phase 2 (success): the ticket printed, so it joins the queue now."""
        return self._write(self._confirm_printed_in, ticket_id)

    def _confirm_printed_in(self, uow: UnitOfWork, ticket_id: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        if t.state == TicketState.WAITING:  # a retried confirmation
            return t
        t = self._move(
            uow.conn,
            t,
            [TicketState.PRINTING],
            "xác nhận đã in",
            state=TicketState.WAITING,
            issued_at=at,
            last_error="",
        )
        self._event(
            uow,
            EventKind.ISSUED,
            t,
            at,
            day,
            None,
            "",
            {
                "service_id": t.service_id,
                "priority_reason": t.priority_reason,
                "attempts": t.print_attempts,
            },
        )
        return t

    def mark_print_failed(self, ticket_id: str, error: str) -> Ticket:
        """Phase 2 (failure): not queued, not counted; can be reprinted."""
        return self._write(self._mark_print_failed_in, ticket_id, error)

    def _mark_print_failed_in(self, uow: UnitOfWork, ticket_id: str, error: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        t = self._move(
            uow.conn,
            t,
            [TicketState.PRINTING],
            "ghi nhận lỗi in cho",
            state=TicketState.PRINT_FAILED,
            last_error=error,
        )
        self._event(uow, EventKind.PRINT_FAILED, t, at, day, None, "", {"error": error})
        return t

    def begin_reprint(self, ticket_id: str) -> Ticket:
        """Back to ``printing`` with the same number, for another print attempt."""
        return self._write(self._begin_reprint_in, ticket_id)

    def _begin_reprint_in(self, uow: UnitOfWork, ticket_id: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        t = self._move(
            uow.conn,
            t,
            [TicketState.PRINT_FAILED, TicketState.PRINTING],
            "in lại",
            state=TicketState.PRINTING,
            print_attempts=t.print_attempts + 1,
        )
        self._event(
            uow, EventKind.RESERVED, t, at, day, None, "", {"reprint": True, "attempt": t.print_attempts}
        )
        return t

    def people_ahead(self, ticket_id: str) -> int:
        """Estimate of people called before this ticket (same queue, today)."""
        with self.db.read() as conn:
            t = self._get(conn, ticket_id)
            mode = self._settings(conn)["priority_mode"]
            c = q.queue_tickets.c
            cond = [
                c.day == t.day,
                c.queue_code == t.queue_code,
                c.state == TicketState.WAITING,
                c.id != t.id,
            ]
            if t.state in (TicketState.WAITING, TicketState.PRINTING) and t.front_at is None:
                # Joined earlier (ties broken by id, i.e. reservation order), or jumps the line:
                # transferred to the front, or (strict policy, normal ticket) any priority ticket.
                mine = (t.issued_at or "9", t.id)
                earlier = tuple_(func.coalesce(c.issued_at, "9"), c.id) < mine
                if t.priority and mode == PriorityMode.STRICT:
                    earlier = and_(earlier, c.priority_reason.is_not(None))
                jumps = [c.front_at.is_not(None)]
                if not t.priority and mode == PriorityMode.STRICT:
                    jumps.append(c.priority_reason.is_not(None))
                cond.append(or_(earlier, *jumps))
            return int(
                conn.execute(
                    select(func.count()).select_from(q.queue_tickets).where(and_(*cond))
                ).scalar_one()
            )

    def ticket(self, ticket_id: str) -> Ticket:
        with self.db.read() as conn:
            return self._get(conn, ticket_id)

    # ------------------------------------------------------------- counter actions
    @classmethod
    def _heads(cls, c: Connection, day: str, counter: CounterInfo) -> list[Ticket]:
        """The few tickets ``pick_next`` chooses from: the first transferred one, and per
        queue the oldest priority and the oldest normal ticket. One statement of index
        seeks (``ix_queue_tickets_waiting``), so a long queue costs what a short one does."""
        codes = counter.queue_codes
        marks = ", ".join("?" * len(codes)) or "NULL"
        parts = [
            "SELECT * FROM (SELECT * FROM queue_tickets WHERE day = ? AND state = 'waiting' "
            "AND front_at IS NOT NULL AND (target_counter = ? OR (target_counter IS NULL "
            f"AND queue_code IN ({marks}))) ORDER BY front_at, issued_at, id LIMIT 1)"
        ]
        params: list[Any] = [day, counter.no, *codes]
        for code in codes:
            for prio in (1, 0):
                parts.append(
                    "SELECT * FROM (SELECT * FROM queue_tickets WHERE queue_code = ? AND day = ? "
                    "AND state = 'waiting' AND priority = ? AND front_at IS NULL AND target_counter IS NULL "
                    "ORDER BY issued_at, id LIMIT 1)"
                )
                params += [code, day, prio]
        return cls._fetch(c, " UNION ALL ".join(parts), params)

    def call_next(self, counter_no: int, officer: str) -> Ticket | None:
        """Atomically pick and mark the next ticket for this counter; None if nobody waits."""
        return self._write(self._call_next_in, counter_no, officer)

    def _call_next_in(self, uow: UnitOfWork, counter_no: int, officer: str) -> Ticket | None:
        _, at, day = self._now()
        c = uow.conn
        counter = self._counter(c, counter_no)
        s = self._settings(c)
        candidates = self._heads(c, day, counter)
        streaks = dict(
            self._raw(c).execute("SELECT queue_code, normal_streak FROM queue_series WHERE day = ?", (day,))
        )
        chosen = pick_next(candidates, str(s["priority_mode"]), int(s["interleave_every"]), streaks)
        closed = self._close_active(uow, counter_no, officer, at, day)
        if chosen is None:
            return None  # the auto-closing still counts (committed by the caller)
        t = self._update(
            c,
            chosen,
            [TicketState.WAITING],
            state=TicketState.CALLED,
            counter_no=counter_no,
            officer=officer,
            called_at=at,
            target_counter=None,
            front_at=None,
        )
        if not chosen.front_at:
            self._raw(c).execute(
                "UPDATE queue_series SET normal_streak = CASE WHEN ? THEN 0 ELSE normal_streak + 1 END "
                "WHERE queue_code = ? AND day = ?",
                (chosen.priority, chosen.queue_code, day),
            )
        self._event(
            uow,
            EventKind.CALLED,
            t,
            at,
            day,
            counter_no,
            officer,
            {
                "priority_reason": t.priority_reason,
                "closed": closed,
                "transferred": bool(chosen.front_at),
            },
        )
        return t

    def recall(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        """Call again: a called ticket (repeat) or a no-show within the tolerance."""
        return self._write(self._recall_in, ticket_id, counter_no, officer)

    def _recall_in(self, uow: UnitOfWork, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        now, at, day = self._now()
        c = uow.conn
        self._counter(c, counter_no)
        t = self._get(c, ticket_id)
        late = False
        if t.state == TicketState.NO_SHOW:
            tol = int(self._settings(c)["no_show_tolerance_min"])
            marked = dt.datetime.fromisoformat(t.no_show_at or at)
            if now - marked > dt.timedelta(minutes=tol):
                raise InvalidTicketAction(
                    f"Số {t.display_label} đã vắng mặt quá {tol} phút nên không thể gọi lại; "
                    "công dân cần lấy số mới."
                )
            late = True
        else:
            self._require(t, [TicketState.CALLED, TicketState.RECALLED], "gọi lại")
        self._close_active(uow, counter_no, officer, at, day, except_id=t.id)
        t = self._update(
            c,
            t,
            [TicketState.NO_SHOW, TicketState.CALLED, TicketState.RECALLED],
            state=TicketState.RECALLED,
            counter_no=counter_no,
            officer=officer,
        )
        self._event(uow, EventKind.RECALLED, t, at, day, counter_no, officer, {"late": late})
        return t

    def no_show(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._write(self._no_show_in, ticket_id, counter_no, officer)

    def _no_show_in(self, uow: UnitOfWork, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        t = self._move(
            uow.conn,
            t,
            [TicketState.CALLED, TicketState.RECALLED],
            "đánh dấu vắng mặt",
            state=TicketState.NO_SHOW,
            no_show_at=at,
        )
        self._event(uow, EventKind.NO_SHOW, t, at, day, counter_no, officer)
        return t

    def transfer(
        self,
        ticket_id: str,
        counter_no: int,
        officer: str,
        to_queue: str | None = None,
        to_counter: int | None = None,
    ) -> Ticket:
        """Send the ticket (same number) to another queue and/or counter, at the front."""
        return self._write(self._transfer_in, ticket_id, counter_no, officer, to_queue, to_counter)

    def _transfer_in(
        self,
        uow: UnitOfWork,
        ticket_id: str,
        counter_no: int,
        officer: str,
        to_queue: str | None = None,
        to_counter: int | None = None,
    ) -> Ticket:
        if to_queue is None and to_counter is None:
            raise QueueError("Hãy chọn hàng đợi hoặc quầy để chuyển số.")
        _, at, day = self._now()
        c = uow.conn
        t = self._get(c, ticket_id)
        allowed = [TicketState.WAITING, *ACTIVE_AT_COUNTER]
        self._require(t, allowed, "chuyển")
        if to_queue is not None:
            ok = c.execute(
                select(q.queue_queues.c.code).where(
                    q.queue_queues.c.code == to_queue, q.queue_queues.c.active.is_(True)
                )
            ).first()
            if ok is None:
                raise QueueError(f"Hàng đợi {to_queue} không tồn tại.")
        if to_counter is not None:
            self._counter(c, to_counter)
        from_queue, from_state = t.queue_code, t.state
        t = self._update(
            c,
            t,
            allowed,
            state=TicketState.WAITING,
            queue_code=to_queue or t.queue_code,
            target_counter=to_counter,
            front_at=at,
            counter_no=None,
        )
        self._event(
            uow,
            EventKind.TRANSFERRED,
            t,
            at,
            day,
            counter_no,
            officer,
            {
                "from_queue": from_queue,
                "to_queue": t.queue_code,
                "to_counter": to_counter,
                "from_state": from_state,
            },
        )
        return t

    def start(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._write(self._start_in, ticket_id, counter_no, officer)

    def _start_in(self, uow: UnitOfWork, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        t = self._move(
            uow.conn,
            t,
            [TicketState.CALLED, TicketState.RECALLED],
            "bắt đầu phục vụ",
            state=TicketState.SERVING,
            started_at=at,
            counter_no=counter_no,
            officer=officer,
        )
        self._event(uow, EventKind.STARTED, t, at, day, counter_no, officer)
        return t

    def finish(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._write(self._finish_in, ticket_id, counter_no, officer)

    def _finish_in(self, uow: UnitOfWork, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        t = self._move(
            uow.conn, t, [TicketState.SERVING], "kết thúc phục vụ", state=TicketState.DONE, finished_at=at
        )
        self._event(uow, EventKind.FINISHED, t, at, day, counter_no, officer)
        return t

    def rate(self, ticket_id: str, payload: dict[str, Any]) -> Ticket:
        """Record the citizen's rating of a finished visit (a validated RATED payload)."""
        return self._write(self._rate_in, ticket_id, payload)

    def _rate_in(self, uow: UnitOfWork, ticket_id: str, payload: dict[str, Any]) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        self._event(uow, EventKind.RATED, t, at, day, t.counter_no, "cong_dan", payload)
        return t

    def walk_in(
        self,
        counter_no: int,
        officer: str,
        queue_code: str | None = None,
        service_id: str | None = None,
        note: str = "",
    ) -> Ticket:
        """Serve someone without a ticket: a ticket-less service record, already serving."""
        return self._write(self._walk_in_in, counter_no, officer, queue_code, service_id, note)

    def _walk_in_in(
        self,
        uow: UnitOfWork,
        counter_no: int,
        officer: str,
        queue_code: str | None = None,
        service_id: str | None = None,
        note: str = "",
    ) -> Ticket:
        _, at, day = self._now()
        c = uow.conn
        counter = self._counter(c, counter_no)
        service_name = ""
        if service_id is not None:
            svc = c.execute(select(q.queue_services).where(q.queue_services.c.id == service_id)).first()
            if svc is None:
                raise QueueError("Dịch vụ đã chọn không tồn tại.")
            queue_code, service_name = svc.queue_code, svc.name
        queue_code = queue_code or (counter.queue_codes[0] if counter.queue_codes else "")
        self._close_active(uow, counter_no, officer, at, day)
        ticket_id = uuid7()
        c.execute(
            insert(q.queue_tickets).values(
                id=ticket_id,
                day=day,
                kind="walk_in",
                queue_code=queue_code,
                series=queue_code,
                number=None,
                label="",
                service_id=service_id or "",
                service_name=service_name,
                priority_reason=None,
                priority=False,
                state=TicketState.SERVING,
                reserved_at=at,
                counter_no=counter_no,
                officer=officer,
                called_at=at,
                started_at=at,
                dossier_ids=[],
                print_attempts=0,
                last_error="",
            )
        )
        t = self._get(c, ticket_id)
        self._event(uow, EventKind.WALK_IN, t, at, day, counter_no, officer, {"note": note})
        self._event(uow, EventKind.STARTED, t, at, day, counter_no, officer, {"walk_in": True})
        return t

    def link_dossier(self, ticket_id: str, dossier_id: str, counter_no: int, officer: str) -> Ticket:
        """Record that this visit produced (or concerned) the dossier ``dossier_id``."""
        return self._write(self._link_dossier_in, ticket_id, dossier_id, counter_no, officer)

    def _link_dossier_in(
        self, uow: UnitOfWork, ticket_id: str, dossier_id: str, counter_no: int, officer: str
    ) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        self._require(
            t,
            [
                s
                for s in TicketState
                if s not in (TicketState.PRINTING, TicketState.PRINT_FAILED, TicketState.CANCELLED)
            ],
            "gắn hồ sơ với",
        )
        if dossier_id not in t.dossier_ids:
            t = self._update(uow.conn, t, [t.state], dossier_ids=[*t.dossier_ids, dossier_id])
            self._event(
                uow, EventKind.DOSSIER_LINKED, t, at, day, counter_no, officer, {"dossier_id": dossier_id}
            )
        return t

    def cancel(self, ticket_id: str, counter_no: int | None, officer: str, reason: str = "") -> Ticket:
        return self._write(self._cancel_in, ticket_id, counter_no, officer, reason)

    def _cancel_in(
        self, uow: UnitOfWork, ticket_id: str, counter_no: int | None, officer: str, reason: str = ""
    ) -> Ticket:
        _, at, day = self._now()
        allowed = [TicketState.WAITING, TicketState.PRINT_FAILED, TicketState.PRINTING]
        t = self._get(uow.conn, ticket_id)
        t = self._move(uow.conn, t, allowed, "hủy", state=TicketState.CANCELLED)
        self._event(uow, EventKind.CANCELLED, t, at, day, counter_no, officer, {"reason": reason})
        return t

    # ------------------------------------------------------------- reading
    def status(self) -> QueueStatus:
        _, at, day = self._now()
        cfg = self.config()
        tc = q.queue_tickets.c
        with self.db.read() as conn:
            counts: dict[tuple[str, bool], int] = {}
            for r in conn.execute(
                select(tc.queue_code, tc.priority_reason.is_not(None), func.count())
                .where(tc.day == day, tc.state == TicketState.WAITING)
                .group_by(tc.queue_code, tc.priority_reason.is_not(None))
            ):
                counts[(r[0], bool(r[1]))] = int(r[2])
            last_called: dict[str, str] = {}
            for r in conn.execute(
                select(tc.queue_code, tc.label, func.max(tc.called_at))
                .where(tc.day == day, tc.called_at.is_not(None), tc.kind == "ticket")
                .group_by(tc.queue_code)
            ):
                last_called[r[0]] = r[1]
            active = {
                r.counter_no: _ticket(r)
                for r in conn.execute(select(q.queue_tickets).where(tc.state.in_(_ACTIVE), tc.day == day))
            }
            last_seq = conn.execute(select(func.max(q.queue_events.c.seq))).scalar() or 0
        queues = [
            QueueLength(
                code=qi.code,
                name=qi.name,
                waiting=counts.get((qi.code, False), 0) + counts.get((qi.code, True), 0),
                waiting_priority=counts.get((qi.code, True), 0),
                last_called=last_called.get(qi.code, ""),
            )
            for qi in cfg.queues
        ]
        counters = []
        for ci in cfg.counters:
            t = active.get(ci.no)
            counters.append(
                CounterNow(
                    ci.no,
                    ci.name,
                    t.id,
                    t.display_label,
                    t.state,
                    t.service_name,
                    t.started_at if t.state == TicketState.SERVING else t.called_at,
                )
                if t
                else CounterNow(ci.no, ci.name)
            )
        return QueueStatus(day=day, at=at, queues=queues, counters=counters, last_seq=int(last_seq))

    def recent_calls(self, limit: int = 10) -> list[CallRecord]:
        e = q.queue_events.c
        with self.db.read() as conn:
            rows = conn.execute(
                select(q.queue_events)
                .where(e.kind.in_([EventKind.CALLED, EventKind.RECALLED]))
                .order_by(e.seq.desc())
                .limit(limit)
            ).all()
        return [
            CallRecord(
                r.seq,
                r.at,
                r.ticket_id,
                r.ticket_label,
                int(r.counter_no or 0),
                str(r.payload.get("service_name", "")),
                r.kind == EventKind.RECALLED,
            )
            for r in rows
        ]

    def events_since(self, seq: int, limit: int = 500) -> list[QueueEvent]:
        e = q.queue_events.c
        with self.db.read() as conn:
            rows = conn.execute(select(q.queue_events).where(e.seq > seq).order_by(e.seq).limit(limit)).all()
        return [QueueEvent.from_dict(dict(r._mapping)) for r in rows]

    def events_for_days(self, first: str, last: str) -> list[QueueEvent]:
        e = q.queue_events.c
        with self.db.read() as conn:
            rows = conn.execute(
                select(q.queue_events).where(e.day >= first, e.day <= last).order_by(e.seq)
            ).all()
        return [QueueEvent.from_dict(dict(r._mapping)) for r in rows]


class LocalQueueClient:
    """In-process client for one-PC offices: the ``QueueApi`` over a ``QueueService``.

    Same interface as the LAN ``QueueClient``, so windows do not care which one
    they get.
    """

    def __init__(self, service: QueueService):
        self.service = service

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.service, name)


def _retry_unavailable(fn: Callable[[], Ticket], attempts: int = 3) -> Ticket:
    for i in range(attempts):
        try:
            return fn()
        except QueueUnavailable:
            if i == attempts - 1:
                raise
            time.sleep(0.3 * (i + 1))
    raise AssertionError("unreachable")


def print_reserved(
    api: QueueApi, printer: TicketPrinter, ticket: Ticket, unit_name: str, qr_text: str = ""
) -> IssueResult:
    """Print a reserved ticket and confirm it, or record the failure (phase 2)."""
    ahead = api.people_ahead(ticket.id)
    job = TicketPrintJob(
        unit_name=unit_name,
        number=ticket.label,
        service_name=ticket.service_name,
        people_ahead=ahead,
        issued_at=dt.datetime.fromisoformat(ticket.reserved_at),
        priority=ticket.priority,
        qr_text=qr_text,
    )
    try:
        printer.print_ticket(job)
    except PrinterError as exc:
        message = str(exc)
        failed = _retry_unavailable(lambda: api.mark_print_failed(ticket.id, message))
        return IssueResult(failed, False, ahead, message)
    except Exception:
        # A driver bug: the ticket must not linger as "printing"; record and re-raise.
        _retry_unavailable(lambda: api.mark_print_failed(ticket.id, "Lỗi không xác định của máy in."))
        raise
    # The paper is out: confirming must not be lost to a short network blip.
    confirmed = _retry_unavailable(lambda: api.confirm_printed(ticket.id))
    return IssueResult(confirmed, True, ahead)


def issue_with_printer(
    api: QueueApi,
    printer: TicketPrinter,
    service_id: str,
    priority_reason: str | None = None,
    unit_name: str = "",
) -> IssueResult:
    """Reserve a number, print it, then confirm (queued) or mark failed (not queued)."""
    ticket = api.reserve_ticket(service_id, priority_reason)
    return print_reserved(api, printer, ticket, unit_name)


def reprint_with_printer(
    api: QueueApi, printer: TicketPrinter, ticket_id: str, unit_name: str = ""
) -> IssueResult:
    """Print a failed ticket again with the same number."""
    ticket = api.begin_reprint(ticket_id)
    return print_reserved(api, printer, ticket, unit_name)
