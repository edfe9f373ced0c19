"""Queue tables (SQLAlchemy Core) on the shared store ``metadata``.

Created by migration ``0002``. Times are ISO-8601 text in Vietnam time (+07:00),
like the rest of the store, so they sort as text. ``day`` is ``YYYY-MM-DD`` in
Vietnam time: the number series and "today's queue" are keyed by it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from desk_app.store.schema import metadata

# Key/value settings: policy mode, interleave N, no-show tolerance, service level...
queue_settings = Table(
    "queue_settings",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", JSON, nullable=False),
)

queue_queues = Table(
    "queue_queues",
    metadata,
    Column("code", String, primary_key=True),  # also the ticket prefix: "A"
    Column("name", Text, nullable=False),
    Column("sort", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
)

queue_services = Table(
    "queue_services",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("queue_code", String, nullable=False),
    Column("sort", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
)

queue_counters = Table(
    "queue_counters",
    metadata,
    Column("no", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("queue_codes", JSON, nullable=False),  # list of queue codes this counter serves
    Column("active", Boolean, nullable=False, default=True),
)

# Daily number series per queue, plus the interleave streak (normal tickets
# called in this queue since the last priority one).
queue_series = Table(
    "queue_series",
    metadata,
    Column("queue_code", String, primary_key=True),
    Column("day", String, primary_key=True),
    Column("last_number", Integer, nullable=False, default=0),
    Column("normal_streak", Integer, nullable=False, default=0),
)

# Current state of each ticket: a projection kept in step with queue_events in
# the same transaction (the events are the record; this row makes call-next fast).
queue_tickets = Table(
    "queue_tickets",
    metadata,
    Column("id", String, primary_key=True),
    Column("day", String, nullable=False),
    Column("kind", String, nullable=False, default="ticket"),  # ticket | walk_in
    Column("queue_code", String, nullable=False),  # current queue (changes on transfer)
    Column("series", String, nullable=False),  # queue whose number series issued it (fixed)
    Column("number", Integer, nullable=True),  # NULL for walk-ins
    Column("label", String, nullable=False),  # "A001"; "" for walk-ins
    Column("service_id", String, nullable=False, default=""),
    Column("service_name", Text, nullable=False, default=""),
    Column("priority_reason", String, nullable=True),  # None = normal ticket
    Column("priority", Boolean, nullable=False, default=False),  # = reason is not None (indexed)
    Column("state", String, nullable=False),
    Column("reserved_at", String, nullable=False),
    Column("issued_at", String, nullable=True),  # set when the print is confirmed
    Column("front_at", String, nullable=True),  # transferred "to the front": ordered by this
    Column("target_counter", Integer, nullable=True),  # transferred to one counter
    Column("counter_no", Integer, nullable=True),  # counter currently / last handling it
    Column("officer", String, nullable=False, default=""),
    Column("called_at", String, nullable=True),
    Column("started_at", String, nullable=True),
    Column("finished_at", String, nullable=True),
    Column("no_show_at", String, nullable=True),
    Column("dossier_ids", JSON, nullable=False),
    Column("print_attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    UniqueConstraint("series", "day", "number", name="uq_queue_tickets_number"),
    Index("ix_queue_tickets_day_state", "day", "state"),
    # "Oldest waiting (priority|normal) ticket of a queue today" is one index seek.
    Index("ix_queue_tickets_waiting", "queue_code", "day", "state", "priority", "issued_at", "id"),
    Index("ix_queue_tickets_counter", "counter_no", "state"),
)

# Append-only event log; ``seq`` is the cursor displays poll with.
queue_events = Table(
    "queue_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    Column("at", String, nullable=False),
    Column("day", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("ticket_id", String, nullable=False),
    Column("ticket_label", String, nullable=False, default=""),
    Column("queue_code", String, nullable=False, default=""),
    Column("counter_no", Integer, nullable=True),
    Column("officer", String, nullable=False, default=""),
    Column("payload", JSON, nullable=False),
    Index("ix_queue_events_day", "day"),
    Index("ix_queue_events_ticket", "ticket_id"),
    sqlite_autoincrement=True,
)
