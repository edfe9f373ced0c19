"""Central server tables (SQLAlchemy Core). ``migrations/`` creates them.

The ``changes`` table is both the idempotency register of everything devices
push (``change_id`` is the client's event id) and the server-wide change log
devices pull from (``seq``). Payloads are stored as JSON *text*: the server
validates them once on the way in and serves them byte for byte on the way
out, which keeps pulls cheap.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text, text

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

# ---------------------------------------------------------------- reporting (central.rollups, c0004)
REPORT_COUNTERS = (
    "rcv_online",
    "rcv_direct",
    "rcv_post",
    "n_open",
    "n_overdue",
    "early",
    "on_time",
    "late",
    "dropped",
    "digitised",
    "results_digitised",
    "results_signed",
    "comp_open",
    "reused_open",
    "comp",
    "reused",
    "supplement_requests",
    "refusals",
    "extensions",
    "returned_by_post",
    "rated_rcv",
    "dissat_rcv",
    "rated_open",
    "dissat_open",
)


def _counters() -> list[Column[int]]:
    return [Column(c, Integer, nullable=False, server_default="0") for c in REPORT_COUNTERS]


report_dossiers = Table(
    "report_dossiers",
    metadata,
    Column("dossier_id", String, primary_key=True),
    Column("code", String, nullable=False),
    Column("unit", String, nullable=False),  # competent unit
    Column("receiving_unit", String, nullable=False),
    Column("field", Text, nullable=False),
    Column("channel", String, nullable=False),
    Column("procedure_code", String, nullable=False),
    Column("procedure_name", Text, nullable=False),
    Column("applicant_name", Text, nullable=False),  # personal data: drill-down lists only
    Column("head_seq", SeqType, nullable=False),
    Column("received_us", SeqType, nullable=False),  # µs since 1970
    Column("due_us", SeqType, nullable=True),
    Column("finished_us", SeqType, nullable=True),
    Column("last_event_us", SeqType, nullable=False),
    Column("deadline_us", SeqType, nullable=True),
    Column("overdue_after_us", SeqType, nullable=True),
    Column("irregular", Integer, nullable=False),  # 0 rolled up, 1 computed exactly, 2 damaged
    Index("ix_report_dossiers_unit_received", "unit", "received_us"),
    Index("ix_report_dossiers_received", "received_us"),
    Index("ix_report_dossiers_last_event", "last_event_us"),
    Index(
        "ix_report_dossiers_open",
        "unit",
        "overdue_after_us",
        postgresql_where=text("finished_us IS NULL"),
        sqlite_where=text("finished_us IS NULL"),
    ),
    Index(
        "ix_report_dossiers_irregular",
        "unit",
        postgresql_where=text("irregular = 1"),
        sqlite_where=text("irregular = 1"),
    ),
)

report_steps = Table(
    "report_steps",
    metadata,
    Column("dossier_id", String, primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("at_us", SeqType, nullable=False),
    Column("strict", Integer, nullable=False),
    Column("unit", String, nullable=False),
    Column("field", Text, nullable=False),
    Column("channel", String, nullable=False),
    *_counters(),
    Index("ix_report_steps_at", "at_us"),
    Index("ix_report_steps_unit_at", "unit", "at_us"),
)

report_fixes = Table(
    "report_fixes",
    metadata,
    Column("dossier_id", String, primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("finished_us", SeqType, nullable=False),
    Column("at_us", SeqType, nullable=False),
    Column("unit", String, nullable=False),
    Column("field", Text, nullable=False),
    Column("channel", String, nullable=False),
    *_counters(),
    Index("ix_report_fixes_at", "at_us"),
)

report_rollups = Table(
    "report_rollups",
    metadata,
    Column("scope", String(1), primary_key=True),  # f: unit+field+channel, u: unit, p: field
    Column("grain", String(1), primary_key=True),  # d | m | y
    Column("bucket", String(10), primary_key=True),  # first day of the bucket
    Column("unit", String, primary_key=True),
    Column("field", Text, primary_key=True),
    Column("channel", String, primary_key=True),
    *_counters(),
    Index("ix_report_rollups_unit", "scope", "unit", "grain", "bucket"),
)

unit_freshness = Table(
    "unit_freshness",
    metadata,
    Column("unit_code", String, primary_key=True),
    Column("last_change_at", String, nullable=False),
)
