"""Central server tables (SQLAlchemy Core). ``migrations/`` creates them.

The ``changes`` table is both the idempotency register of everything devices
push (``change_id`` is the client's event id) and the server-wide change log
devices pull from (``seq``). Payloads are stored as JSON *text*: the server
validates them once on the way in and serves them byte for byte on the way
out, which keeps pulls cheap.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

SeqType = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid

units = Table(
    "units",
    metadata,
    Column("code", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("created_at", String, nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String, primary_key=True),  # the station's own device id (UUIDv7)
    Column("unit_code", String, nullable=False),
    Column("name", Text, nullable=False, default=""),
    Column("slot", Integer, nullable=False),  # fallback code slot 0..19, unique per unit
    Column("token_hash", String, nullable=False, unique=True),  # sha256 of the bearer token
    Column("created_at", String, nullable=False),
    Column("revoked_at", String, nullable=True),
    Column("revoke_reason", Text, nullable=True),
    Index("ix_devices_unit", "unit_code"),
)

enrol_codes = Table(
    "enrol_codes",
    metadata,
    Column("code_hash", String, primary_key=True),
    Column("unit_code", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("expires_at", String, nullable=False),
    Column("used_at", String, nullable=True),
    Column("device_id", String, nullable=True),
)

changes = Table(
    "changes",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("change_id", String, nullable=False, unique=True),  # idempotency key (event id)
    Column("kind", String, nullable=False),  # event | ticket_event | calendar | procedure | ...
    Column("unit_code", String, nullable=False),  # "" = every unit (catalogue, national calendar)
    Column("target_unit_code", String, nullable=False, default=""),  # phi địa giới routing
    Column("dossier_id", String, nullable=True),
    Column("device_id", String, nullable=False, default=""),  # "" = written by the server/admin
    Column("payload", Text, nullable=False),  # JSON text, served as is
    Column("created_at", String, nullable=False),
    Index("ix_changes_unit_seq", "unit_code", "seq"),
    Index("ix_changes_target_seq", "target_unit_code", "seq"),
    Index("ix_changes_dossier", "dossier_id"),
    sqlite_autoincrement=True,
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("id", String, primary_key=True),
    Column("code", String, nullable=False),
    Column("unit_code", String, nullable=False),
    Column("target_unit_code", String, nullable=False, default=""),
    Column("received_at", String, nullable=False),
    Column("device_id", String, nullable=False),
    Index("ix_central_dossiers_code", "code"),
    Index("ix_central_dossiers_unit", "unit_code"),
    Index("ix_central_dossiers_target", "target_unit_code"),
)

unit_heads = Table(
    "unit_heads",
    metadata,
    Column("unit_code", String, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

lease_counters = Table(
    "lease_counters",
    metadata,
    Column("unit_code", String, primary_key=True),
    Column("day", String, primary_key=True),  # yymmdd
    Column("next_free", Integer, nullable=False),
)

lease_grants = Table(
    "lease_grants",
    metadata,
    Column("id", String, primary_key=True),  # client request id: a retried request gets the same block
    Column("unit_code", String, nullable=False),
    Column("day", String, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("device_id", String, nullable=False),
    Column("created_at", String, nullable=False),
    Index("ix_lease_grants_unit_day", "unit_code", "day"),
)
