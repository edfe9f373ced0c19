"""The queue's tickets and events in the station database (``uow.tickets``).

The hot path (every counter action, above all "call next") uses the DB-API cursor
of the SAME connection, inside the same IMMEDIATE transaction: building SQLAlchemy
expressions cost ~0.3 ms a statement, several times the SQL itself, and the write
lock is held meanwhile (8 counters queue behind it). The rules that decide what
to change live in ``desk_app.queue``; this class only reads and writes rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, tuple_, update

from desk_app.domain.queue import (
    ACTIVE_AT_COUNTER,
    CounterInfo,
    InvalidTicketAction,
    PriorityMode,
    QueueError,
    QueueEvent,
    QueueInfo,
    ServiceInfo,
    Ticket,
    TicketNotFound,
    TicketState,
)
from desk_app.store import queue_schema as q

DEFAULT_SETTINGS: dict[str, Any] = {
    "priority_mode": "strict",
    "interleave_every": 3,
    "no_show_tolerance_min": 10,
    "service_level_min": 15,
    "office_name": "Bộ phận Một cửa",
}


def ticket_from(data: dict[str, Any]) -> Ticket:
    ids = data.get("dossier_ids") or []
    data["dossier_ids"] = list(json.loads(ids) if isinstance(ids, str) else ids)
    return Ticket.from_dict(data)


def sql_value(value: Any) -> Any:
    """Python value -> SQLite parameter, as SQLAlchemy's JSON / Boolean types store them."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


class TicketRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    @property
    def raw(self) -> Any:
        """The DB-API connection under ``conn`` (same transaction)."""
        return self.conn.connection.driver_connection

    def settings(self) -> dict[str, Any]:
        values = dict(DEFAULT_SETTINGS)
        for key, value in self.raw.execute("SELECT key, value FROM queue_settings"):
            # JSON columns have NUMERIC affinity in SQLite: "3" comes back as the int 3.
            values[key] = json.loads(value) if isinstance(value, str) else value
        return values

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Ticket]:
        cur = self.raw.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [ticket_from(dict(zip(names, row, strict=True))) for row in cur.fetchall()]

    def get(self, ticket_id: str) -> Ticket:
        rows = self.fetch("SELECT * FROM queue_tickets WHERE id = ?", (ticket_id,))
        if not rows:
            raise TicketNotFound(f"Không tìm thấy số thứ tự (mã {ticket_id}).")
        return rows[0]

    def counter(self, counter_no: int) -> CounterInfo:
        row = self.raw.execute(
            "SELECT no, name, queue_codes FROM queue_counters WHERE no = ? AND active", (counter_no,)
        ).fetchone()
        if row is None:
            raise QueueError(f"Quầy số {counter_no} chưa được khai báo trong cấu hình xếp hàng.")
        return CounterInfo(no=row[0], name=row[1], queue_codes=list(json.loads(row[2])))

    def update(self, ticket: Ticket, expect: Iterable[str], **values: Any) -> Ticket:
        """Update guarded by the expected states (a second line of defence after the lock)."""
        states = [str(x) for x in expect]
        params = [sql_value(v) for v in values.values()]
        sql = (
            f"UPDATE queue_tickets SET {', '.join(f'{k} = ?' for k in values)} "
            f"WHERE id = ? AND state IN ({', '.join('?' * len(states))}) RETURNING *"
        )
        rows = self.fetch(sql, [*params, ticket.id, *states])
        if len(rows) != 1:
            raise InvalidTicketAction(
                f"Số {ticket.display_label} vừa được thay đổi ở quầy khác; hãy thử lại."
            )
        return rows[0]

    def add_event(self, row: dict[str, Any]) -> None:
        """One ``queue_events`` row (``row`` has every column, in table order)."""
        self.raw.execute(
            "INSERT INTO queue_events (id, at, day, kind, ticket_id, ticket_label, queue_code, counter_no, "
            "officer, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sql_value(v) for v in row.values()],
        )

    def heads(self, day: str, counter: CounterInfo) -> list[Ticket]:
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
        return self.fetch(" UNION ALL ".join(parts), params)

    def streaks(self, day: str) -> dict[str, int]:
        """Normal tickets called in a row per queue today (the interleaving policy's counter)."""
        return dict(
            self.raw.execute("SELECT queue_code, normal_streak FROM queue_series WHERE day = ?", (day,))
        )

    # ------------------------------------------------------------- configuration
    def active_config(self) -> tuple[list[QueueInfo], list[ServiceInfo], list[CounterInfo]]:
        """The active queues, services and counters, in display order."""
        c = self.conn
        queues = [
            QueueInfo(r.code, r.name, r.sort)
            for r in c.execute(
                select(q.queue_queues)
                .where(q.queue_queues.c.active.is_(True))
                .order_by(q.queue_queues.c.sort)
            )
        ]
        services = [
            ServiceInfo(r.id, r.name, r.queue_code, r.sort)
            for r in c.execute(
                select(q.queue_services)
                .where(q.queue_services.c.active.is_(True))
                .order_by(q.queue_services.c.sort)
            )
        ]
        counters = [
            CounterInfo(r.no, r.name, list(r.queue_codes))
            for r in c.execute(
                select(q.queue_counters)
                .where(q.queue_counters.c.active.is_(True))
                .order_by(q.queue_counters.c.no)
            )
        ]
        return queues, services, counters

    def put_setting(self, key: str, value: Any) -> None:
        self.conn.execute(q.queue_settings.delete().where(q.queue_settings.c.key == key))
        self.conn.execute(insert(q.queue_settings).values(key=key, value=value))

    def put_queue(self, code: str, name: str, sort: int, active: bool) -> None:
        self.conn.execute(q.queue_queues.delete().where(q.queue_queues.c.code == code))
        self.conn.execute(insert(q.queue_queues).values(code=code, name=name, sort=sort, active=active))

    def put_service(self, service_id: str, name: str, queue_code: str, sort: int, active: bool) -> None:
        self.conn.execute(q.queue_services.delete().where(q.queue_services.c.id == service_id))
        self.conn.execute(
            insert(q.queue_services).values(
                id=service_id, name=name, queue_code=queue_code, sort=sort, active=active
            )
        )

    def put_counter(self, no: int, name: str, queue_codes: Sequence[str], active: bool) -> None:
        self.conn.execute(q.queue_counters.delete().where(q.queue_counters.c.no == no))
        self.conn.execute(
            insert(q.queue_counters).values(no=no, name=name, queue_codes=list(queue_codes), active=active)
        )

    # ------------------------------------------------------------- events
    def events(
        self,
        *,
        after_seq: int | None = None,
        first_day: str | None = None,
        last_day: str | None = None,
        kinds: Iterable[str] = (),
        newest: int | None = None,
        limit: int | None = None,
    ) -> list[QueueEvent]:
        """Queue events by sequence number (``newest=N``: the last N, newest first)."""
        e = q.queue_events.c
        stmt = select(q.queue_events)
        if after_seq is not None:
            stmt = stmt.where(e.seq > after_seq)
        if first_day is not None:
            stmt = stmt.where(e.day >= first_day)
        if last_day is not None:
            stmt = stmt.where(e.day <= last_day)
        kinds = [str(k) for k in kinds]
        if kinds:
            stmt = stmt.where(e.kind.in_(kinds))
        if newest is not None:
            stmt = stmt.order_by(e.seq.desc()).limit(newest)
        else:
            stmt = stmt.order_by(e.seq)
            if limit is not None:
                stmt = stmt.limit(limit)
        return [QueueEvent.from_dict(dict(r._mapping)) for r in self.conn.execute(stmt).all()]

    # ------------------------------------------------------------- issuing and calling
    def service(self, service_id: str, active_only: bool = False) -> Any:
        """The service row (``id``, ``name``, ``queue_code``…) or None."""
        cond = [q.queue_services.c.id == service_id]
        if active_only:
            cond.append(q.queue_services.c.active.is_(True))
        return self.conn.execute(select(q.queue_services).where(*cond)).first()

    def queue_exists(self, code: str) -> bool:
        qq = q.queue_queues.c
        return (
            self.conn.execute(select(qq.code).where(qq.code == code, qq.active.is_(True))).first() is not None
        )

    def next_number(self, queue_code: str, day: str) -> int:
        """Take the next number of the day's series of ``queue_code`` (numbers restart each day)."""
        series = q.queue_series.c
        last = self.conn.execute(
            select(series.last_number).where(series.queue_code == queue_code, series.day == day)
        ).scalar()
        if last is None:
            self.conn.execute(
                insert(q.queue_series).values(queue_code=queue_code, day=day, last_number=1, normal_streak=0)
            )
            return 1
        number = int(last) + 1
        self.conn.execute(
            update(q.queue_series)
            .where(series.queue_code == queue_code, series.day == day)
            .values(last_number=number)
        )
        return number

    def insert(self, **values: Any) -> Ticket:
        """A new ticket row; returns it as stored."""
        self.conn.execute(insert(q.queue_tickets).values(**values))
        return self.get(str(values["id"]))

    def active_at_counter(self, counter_no: int) -> list[Ticket]:
        """The counter's called or serving tickets (normally one at most)."""
        states = [s.value for s in ACTIVE_AT_COUNTER]
        marks = ", ".join("?" * len(states))
        return self.fetch(
            f"SELECT * FROM queue_tickets WHERE counter_no = ? AND state IN ({marks})", (counter_no, *states)
        )

    def count_streak(self, queue_code: str, day: str, priority: bool) -> None:
        """A priority call resets the queue's run of normal calls; a normal one extends it."""
        self.raw.execute(
            "UPDATE queue_series SET normal_streak = CASE WHEN ? THEN 0 ELSE normal_streak + 1 END "
            "WHERE queue_code = ? AND day = ?",
            (priority, queue_code, day),
        )

    def count_ahead(self, t: Ticket, mode: str) -> int:
        """People called before ``t`` (same queue, today) under the priority ``mode``."""
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
            self.conn.execute(
                select(func.count()).select_from(q.queue_tickets).where(and_(*cond))
            ).scalar_one()
        )

    def today(self, day: str) -> tuple[dict[tuple[str, bool], int], dict[str, str], dict[int, Ticket], int]:
        """For the status: waiting counts by (queue, priority), last label called per queue,
        the active ticket per counter, and the last event number."""
        tc = q.queue_tickets.c
        counts: dict[tuple[str, bool], int] = {}
        for r in self.conn.execute(
            select(tc.queue_code, tc.priority_reason.is_not(None), func.count())
            .where(tc.day == day, tc.state == TicketState.WAITING)
            .group_by(tc.queue_code, tc.priority_reason.is_not(None))
        ):
            counts[(r[0], bool(r[1]))] = int(r[2])
        last_called: dict[str, str] = {}
        for r in self.conn.execute(
            select(tc.queue_code, tc.label, func.max(tc.called_at))
            .where(tc.day == day, tc.called_at.is_not(None), tc.kind == "ticket")
            .group_by(tc.queue_code)
        ):
            last_called[r[0]] = r[1]
        active_states = [s.value for s in ACTIVE_AT_COUNTER]
        active = {
            r.counter_no: ticket_from(dict(r._mapping))
            for r in self.conn.execute(
                select(q.queue_tickets).where(tc.state.in_(active_states), tc.day == day)
            )
        }
        last_seq = self.conn.execute(select(func.max(q.queue_events.c.seq))).scalar() or 0
        return counts, last_called, active, int(last_seq)
