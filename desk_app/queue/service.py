"""Queue use cases: issue, call, recall, no-show, transfer, serve, walk-in, link dossier.

Each write action is a command of ``desk_app.queue.api``; its rule here is the
method registered with ``@handles``. The rows are read and written by the ticket
repository (``uow.tickets``, ``desk_app/store/queue_repository.py``); the pure
choice of the next ticket is ``desk_app.queue.rules.pick_next``.

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
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from desk_app.domain.errors import InputErrors
from desk_app.domain.ratings import CITIZEN_ACTOR, checked_rating_payload
from desk_app.ids import uuid7
from desk_app.queue.api import (
    COMMANDS,
    BeginReprint,
    CallNext,
    Cancel,
    Command,
    ConfirmPrinted,
    Finish,
    LinkDossier,
    MarkPrintFailed,
    NoShow,
    QueueApi,
    R,
    RateVisit,
    Recall,
    ReserveTicket,
    Start,
    Transfer,
    WalkIn,
)
from desk_app.queue.models import (
    ACTIVE_AT_COUNTER,
    STATE_LABELS,
    CallRecord,
    CounterInfo,
    CounterNow,
    EventKind,
    InvalidTicketAction,
    PriorityMode,
    PriorityReason,
    QueueConfig,
    QueueError,
    QueueEvent,
    QueueLength,
    QueueStatus,
    Ticket,
    TicketState,
)
from desk_app.queue.rules import format_label, pick_next
from desk_app.queue.ticket_printing import (  # noqa: F401 - re-exported (moved)
    issue_with_printer,
    print_reserved,
    reprint_with_printer,
)
from desk_app.store.db import Database, StoreError, describe_sqlite_error
from desk_app.store.queue_repository import DEFAULT_SETTINGS, TicketRepository
from desk_app.store.uow import UnitOfWork
from desk_app.workcalendar import VN_TZ, now_vn

Clock = Callable[[], dt.datetime]


_ACTIVE = tuple(s.value for s in ACTIVE_AT_COUNTER)


def iso(when: dt.datetime) -> str:
    """One fixed text format (+07:00, microseconds) so stored times sort as text."""
    return when.astimezone(VN_TZ).isoformat(timespec="microseconds")


def _state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


_T = TypeVar("_T")

#: Rule method for each command type (filled by ``@handles`` in ``QueueService``).
_HANDLERS: dict[type[Command[Any]], Callable[..., Any]] = {}


def handles(command: type[Command[Any]]) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Register the decorated ``_x_in(self, uow, **fields)`` method as the rule for ``command``."""

    def register(fn: Callable[..., _T]) -> Callable[..., _T]:
        if command in _HANDLERS:
            raise TypeError(f"two rules for {command.__name__}")
        _HANDLERS[command] = fn
        return fn

    return register


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


class QueueService(QueueApi):
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

    def run_command(self, uow: UnitOfWork, command: Command[R]) -> R:
        """Apply ``command``'s rule inside ``uow`` (the caller commits)."""
        result: R = _HANDLERS[type(command)](self, uow, **command.arguments())
        return result

    def execute(self, command: Command[R]) -> R:
        """One action, one write transaction."""
        result: R = self._write(self.run_command, command)
        return result

    def action(self, command: Command[Any] | str, *args: Any) -> Callable[[UnitOfWork], Any]:
        """``command`` to run inside someone else's transaction (group commit):
        ``run_group([svc.action(CallNext(1, "an")), ...])``; ``action("call_next", 1, "an")``
        builds the command from the ``COMMANDS`` table."""
        if isinstance(command, str):
            if command not in COMMANDS:
                raise ValueError(f"not a queue write action: {command}")
            command = COMMANDS[command](*args)
        cmd = command
        return lambda uow: self.run_command(uow, cmd)

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

    # The SQL lives in ``desk_app.store.queue_repository.TicketRepository`` (``uow.tickets``);
    # these delegates keep the rules below short.
    @staticmethod
    def _settings(conn: Connection) -> dict[str, Any]:
        return TicketRepository(conn).settings()

    @staticmethod
    def _get(conn: Connection, ticket_id: str) -> Ticket:
        return TicketRepository(conn).get(ticket_id)

    @staticmethod
    def _counter(conn: Connection, counter_no: int) -> CounterInfo:
        return TicketRepository(conn).counter(counter_no)

    def _update(self, conn: Connection, ticket: Ticket, expect: Iterable[str], **values: Any) -> Ticket:
        return TicketRepository(conn).update(ticket, expect, **values)

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
        uow.tickets.add_event(row)
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
        rows = uow.tickets.active_at_counter(counter_no)
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
            repo = TicketRepository(conn)
            s = repo.settings()
            queues, services, counters = repo.active_config()
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
                uow.tickets.put_setting(key, value)
            uow.commit()

    def save_queue(self, code: str, name: str, sort: int = 0, active: bool = True) -> None:
        code = code.strip().upper()
        if not code or not code.isalpha():
            raise QueueError("Ký hiệu hàng đợi phải là chữ cái (ví dụ A, B).")
        with UnitOfWork(self.db) as uow:
            uow.tickets.put_queue(code, name, sort, active)
            uow.commit()

    def save_service(
        self, service_id: str, name: str, queue_code: str, sort: int = 0, active: bool = True
    ) -> None:
        with UnitOfWork(self.db) as uow:
            uow.tickets.put_service(service_id, name, queue_code, sort, active)
            uow.commit()

    def save_counter(self, no: int, name: str, queue_codes: Sequence[str], active: bool = True) -> None:
        with UnitOfWork(self.db) as uow:
            uow.tickets.put_counter(no, name, queue_codes, active)
            uow.commit()

    # ------------------------------------------------------------- issuing

    @handles(ReserveTicket)
    def _reserve_ticket_in(
        self, uow: UnitOfWork, service_id: str, priority_reason: str | None = None
    ) -> Ticket:
        """Phase 1: take the next number of the day; the ticket is ``printing``, not queued."""
        if priority_reason is not None and priority_reason not in {p.value for p in PriorityReason}:
            raise QueueError(f"Lý do ưu tiên không hợp lệ: {priority_reason}.")
        _, at, day = self._now()
        svc = uow.tickets.service(service_id, active_only=True)
        if svc is None:
            raise QueueError("Dịch vụ đã chọn không còn được cung cấp; hãy chọn dịch vụ khác.")
        number = uow.tickets.next_number(svc.queue_code, day)
        ticket_id = uuid7()
        t = uow.tickets.insert(
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
        self._event(uow, EventKind.RESERVED, t, at, day, None, "", {"priority_reason": priority_reason})
        return t

    @handles(ConfirmPrinted)
    def _confirm_printed_in(self, uow: UnitOfWork, ticket_id: str) -> Ticket:
        """Phase 2 (success): the ticket printed, so it joins the queue now."""
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

    @handles(MarkPrintFailed)
    def _mark_print_failed_in(self, uow: UnitOfWork, ticket_id: str, error: str) -> Ticket:
        """Phase 2 (failure): not queued, not counted; can be reprinted."""
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

    @handles(BeginReprint)
    def _begin_reprint_in(self, uow: UnitOfWork, ticket_id: str) -> Ticket:
        """Back to ``printing`` with the same number, for another print attempt."""
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
            return TicketRepository(conn).count_ahead(t, str(mode))

    def ticket(self, ticket_id: str) -> Ticket:
        with self.db.read() as conn:
            return self._get(conn, ticket_id)

    # ------------------------------------------------------------- counter actions
    @handles(CallNext)
    def _call_next_in(self, uow: UnitOfWork, counter_no: int, officer: str) -> Ticket | None:
        """Atomically pick and mark the next ticket for this counter; None if nobody waits."""
        _, at, day = self._now()
        c = uow.conn
        counter = self._counter(c, counter_no)
        s = self._settings(c)
        candidates = uow.tickets.heads(day, counter)
        streaks = uow.tickets.streaks(day)
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
            uow.tickets.count_streak(chosen.queue_code, day, chosen.priority)
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

    @handles(Recall)
    def _recall_in(self, uow: UnitOfWork, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        """Call again: a called ticket (repeat) or a no-show within the tolerance."""
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

    @handles(NoShow)
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

    @handles(Transfer)
    def _transfer_in(
        self,
        uow: UnitOfWork,
        ticket_id: str,
        counter_no: int,
        officer: str,
        to_queue: str | None = None,
        to_counter: int | None = None,
    ) -> Ticket:
        """Send the ticket (same number) to another queue and/or counter, at the front."""
        if to_queue is None and to_counter is None:
            raise QueueError("Hãy chọn hàng đợi hoặc quầy để chuyển số.")
        _, at, day = self._now()
        c = uow.conn
        t = self._get(c, ticket_id)
        allowed = [TicketState.WAITING, *ACTIVE_AT_COUNTER]
        self._require(t, allowed, "chuyển")
        if to_queue is not None:
            if not uow.tickets.queue_exists(to_queue):
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

    @handles(Start)
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

    @handles(Finish)
    def _finish_in(self, uow: UnitOfWork, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        _, at, day = self._now()
        t = self._get(uow.conn, ticket_id)
        t = self._move(
            uow.conn, t, [TicketState.SERVING], "kết thúc phục vụ", state=TicketState.DONE, finished_at=at
        )
        self._event(uow, EventKind.FINISHED, t, at, day, counter_no, officer)
        return t

    @handles(RateVisit)
    def _rate_in(self, uow: UnitOfWork, ticket_id: str, payload: dict[str, Any]) -> Ticket:
        _, at, day = self._now()
        try:
            # Validated again here: over the LAN the payload comes from another station.
            payload = checked_rating_payload(payload)
        except InputErrors as exc:
            raise InvalidTicketAction(f"Đánh giá không hợp lệ: {exc}") from exc
        t = self._get(uow.conn, ticket_id)
        self._event(uow, EventKind.RATED, t, at, day, t.counter_no, CITIZEN_ACTOR, payload)
        return t

    @handles(WalkIn)
    def _walk_in_in(
        self,
        uow: UnitOfWork,
        counter_no: int,
        officer: str,
        queue_code: str | None = None,
        service_id: str | None = None,
        note: str = "",
    ) -> Ticket:
        """Serve someone without a ticket: a ticket-less service record, already serving."""
        _, at, day = self._now()
        c = uow.conn
        counter = self._counter(c, counter_no)
        service_name = ""
        if service_id is not None:
            svc = uow.tickets.service(service_id)
            if svc is None:
                raise QueueError("Dịch vụ đã chọn không tồn tại.")
            queue_code, service_name = svc.queue_code, svc.name
        queue_code = queue_code or (counter.queue_codes[0] if counter.queue_codes else "")
        self._close_active(uow, counter_no, officer, at, day)
        t = uow.tickets.insert(
            id=uuid7(),
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
        self._event(uow, EventKind.WALK_IN, t, at, day, counter_no, officer, {"note": note})
        self._event(uow, EventKind.STARTED, t, at, day, counter_no, officer, {"walk_in": True})
        return t

    @handles(LinkDossier)
    def _link_dossier_in(
        self, uow: UnitOfWork, ticket_id: str, dossier_id: str, counter_no: int, officer: str
    ) -> Ticket:
        """Record that this visit produced (or concerned) the dossier ``dossier_id``."""
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

    @handles(Cancel)
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
        with self.db.read() as conn:
            counts, last_called, active, last_seq = TicketRepository(conn).today(day)
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
        with self.db.read() as conn:
            rows = TicketRepository(conn).events(kinds=(EventKind.CALLED, EventKind.RECALLED), newest=limit)
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
        with self.db.read() as conn:
            return TicketRepository(conn).events(after_seq=seq, limit=limit)

    def events_for_days(self, first: str, last: str) -> list[QueueEvent]:
        with self.db.read() as conn:
            return TicketRepository(conn).events(first_day=first, last_day=last)


class LocalQueueClient(QueueApi):
    """In-process client for one-PC offices: the ``QueueApi`` over a ``QueueService``.

    Same interface as the LAN ``QueueClient``, so windows do not care which one
    they get.
    """

    def __init__(self, service: QueueService):
        self.service = service

    def execute(self, command: Command[R]) -> R:
        return self.service.execute(command)

    def config(self) -> QueueConfig:
        return self.service.config()

    def people_ahead(self, ticket_id: str) -> int:
        return self.service.people_ahead(ticket_id)

    def ticket(self, ticket_id: str) -> Ticket:
        return self.service.ticket(ticket_id)

    def status(self) -> QueueStatus:
        return self.service.status()

    def recent_calls(self, limit: int = 10) -> list[CallRecord]:
        return self.service.recent_calls(limit)

    def events_since(self, seq: int, limit: int = 500) -> list[QueueEvent]:
        return self.service.events_since(seq, limit)
