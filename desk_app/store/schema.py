"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/`` create them.

Times are ISO-8601 text in Vietnam time (+07:00); one fixed offset keeps them
sortable as text. Ids are UUIDv7 text generated on the client.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

units = Table(
    "units",
    metadata,
    Column("code", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String, nullable=False),
    Column("form_set", String, nullable=False),
    Column("parent_name", Text, nullable=False, default=""),
    Column("place", Text, nullable=False, default=""),
    Column("address", Text, nullable=False, default=""),
    Column("phone", Text, nullable=False, default=""),
    Column("hours", JSON, nullable=False),
    Column("lookup_base_url", Text, nullable=False, default=""),
    Column("body_name", Text, nullable=False, default="", server_default=""),  # "" = default per level
)

users = Table(
    "users",
    metadata,
    Column("username", String, primary_key=True),
    Column("full_name", Text, nullable=False),
    Column("role", String, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("counter_no", Integer, nullable=True),
    Column("created_at", String, nullable=False),
)

procedures = Table(
    "procedures",
    metadata,
    Column("code", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_folded", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("level", String, nullable=False, default="xa"),
    Column("time_kind", String, nullable=False),
    Column("time_days", Integer, nullable=False, default=0),
    Column("fee", JSON, nullable=False),
    Column("result", Text, nullable=False, default=""),
    Column("lead_agency", Text, nullable=False, default=""),
    Column("components", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", String, nullable=False),
    Column("cutoff", String, nullable=False, default="hard", server_default="hard"),  # CutoffRule
    Column("source", Text, nullable=False, default="", server_default=""),
    Column("code_verified", Boolean, nullable=False, default=False, server_default=false()),
)

applicants = Table(
    "applicants",
    metadata,
    Column("id", String, primary_key=True),
    Column("full_name", Text, nullable=False),
    Column("name_folded", Text, nullable=False),
    Column("id_kind", String, nullable=False),
    Column("id_number", String, nullable=False, default=""),
    Column("birth_date", String, nullable=True),
    Column("phone", String, nullable=False, default=""),
    Column("email", String, nullable=False, default=""),
    Column("street", Text, nullable=False, default=""),
    Column("commune_code", String, nullable=False, default=""),
    Column("commune_name", Text, nullable=False, default=""),
    Column("province_code", String, nullable=False, default=""),
    Column("province_name", Text, nullable=False, default=""),
    Column("updated_at", String, nullable=False),
    Index("ix_applicants_id_number", "id_number"),
    Index("ix_applicants_phone", "phone"),
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("id", String, primary_key=True),
    Column("code", String, nullable=False, unique=True),
    Column("unit_code", String, nullable=False),
    Column("target_unit_code", String, nullable=False, default=""),
    Column("procedure_code", String, nullable=False),
    Column("procedure_name", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("applicant_id", String, ForeignKey("applicants.id"), nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("applicant_name_folded", Text, nullable=False),
    Column("applicant_id_number", String, nullable=False, default=""),
    Column("applicant_phone", String, nullable=False, default=""),
    Column("applicant_address", Text, nullable=False, default=""),
    Column("channel", String, nullable=False),
    Column("return_method", String, nullable=False),
    Column("return_address", Text, nullable=False, default=""),
    Column("received_at", String, nullable=False),
    Column("due_at", String, nullable=False),
    Column("status", String, nullable=False),
    Column("sets", Integer, nullable=False, default=1),
    Column("fee", Integer, nullable=False, default=0),
    Column("officer", String, nullable=False, default=""),
    Column("components", JSON, nullable=False),
    Column("logbook_volume", String, nullable=False, default=""),
    Column("logbook_number", Integer, nullable=False, default=0),
    Column("extensions", Integer, nullable=False, default=0),
    Column("has_conflict", Boolean, nullable=False, default=False),
    Column("last_hlc", String, nullable=False, default=""),
    Column("transferred_at", String, nullable=True),
    Column("result_ready_at", String, nullable=True),
    Column("returned_at", String, nullable=True),
    Column("extra", JSON, nullable=False),
    Index("ix_dossiers_applicant", "applicant_id"),
    Index("ix_dossiers_conflict", "has_conflict", sqlite_where=text("has_conflict = 1")),
    Index("ix_dossiers_id_number", "applicant_id_number"),
    Index("ix_dossiers_phone", "applicant_phone"),
    Index("ix_dossiers_status_due", "status", "due_at"),
    Index("ix_dossiers_due", "due_at"),
    Index("ix_dossiers_received", "received_at"),
    Index("ix_dossiers_field_received", "field", "received_at"),
    Index("ix_dossiers_officer_received", "officer", "received_at"),
)

dossier_events = Table(
    "dossier_events",
    metadata,
    Column("id", String, primary_key=True),
    Column("dossier_id", String, ForeignKey("dossiers.id"), nullable=False),
    Column("kind", String, nullable=False),
    Column("at", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("device_id", String, nullable=False),
    Column("hlc", String, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("conflict", Text, nullable=True),  # set when invalid after a sync merge
    Index("ix_events_dossier_hlc", "dossier_id", "hlc"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String, nullable=False, unique=True),
    Column("kind", String, nullable=False),  # "event", "applicant", "ticket", ...
    Column("entity_id", String, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", String, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("rejected", Boolean, nullable=False, default=False),  # refused by the server; kept for staff
    sqlite_autoincrement=True,
)

# Messages to citizens (e-mail, SMS, Zalo ZNS), written in the same transaction as the
# event they announce; ``id`` = "<event id>:<channel>" is the idempotency key.
notices = Table(
    "notices",
    metadata,
    Column("id", String, primary_key=True),
    Column("event_id", String, nullable=False),
    Column("dossier_id", String, nullable=False),
    Column("kind", String, nullable=False),  # received | supplement | late | result_ready
    Column("channel", String, nullable=False),  # email | sms | zalo
    Column("recipient", Text, nullable=False),
    Column("params", JSON, nullable=False),
    Column("status", String, nullable=False, default="pending"),  # pending | sending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", String, nullable=False),
    Column("claimed_until", String, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("provider_ref", Text, nullable=True),
    Column("created_at", String, nullable=False),
    Column("sent_at", String, nullable=True),
    Index("ix_notices_due", "status", "next_attempt_at"),
)

code_leases = Table(
    "code_leases",
    metadata,
    Column("id", String, primary_key=True),
    Column("unit_code", String, nullable=False),
    Column("day", String, nullable=False),  # yymmdd
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),  # inclusive
    Column("next", Integer, nullable=False),
    Column("source", String, nullable=False),  # server | local | fallback
    Column("created_at", String, nullable=False),
    Index("ix_leases_unit_day", "unit_code", "day"),
)

# Used only while the station is its own lease authority (not enrolled).
code_authority = Table(
    "code_authority",
    metadata,
    Column("unit_code", String, primary_key=True),
    Column("day", String, primary_key=True),
    Column("next_free", Integer, nullable=False),
)

calendar_overrides = Table(
    "calendar_overrides",
    metadata,
    Column("day", String, primary_key=True),  # YYYY-MM-DD
    Column("kind", String, nullable=False),  # off | work
    Column("note", Text, nullable=False, default=""),
    Column("source", String, nullable=False, default="local"),  # local | server
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String, primary_key=True),
    Column("at", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target", Text, nullable=False, default=""),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_at", "at"),
)

logbook_counters = Table(
    "logbook_counters",
    metadata,
    Column("volume", String, primary_key=True),  # e.g. "2026" (one volume a year)
    Column("last_number", Integer, nullable=False),
    UniqueConstraint("volume"),
)

# Full-text index over the folded applicant name; kept in step by triggers
# created in the migration (external-content FTS5 over dossiers.rowid).
FTS_DDL = [
    "CREATE VIRTUAL TABLE dossier_fts USING fts5(applicant_name_folded, content='dossiers', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER dossiers_ai AFTER INSERT ON dossiers BEGIN "
    "INSERT INTO dossier_fts(rowid, applicant_name_folded) "
    "VALUES (new.rowid, new.applicant_name_folded); END",
    "CREATE TRIGGER dossiers_ad AFTER DELETE ON dossiers BEGIN "
    "INSERT INTO dossier_fts(dossier_fts, rowid, applicant_name_folded) "
    "VALUES ('delete', old.rowid, old.applicant_name_folded); END",
    "CREATE TRIGGER dossiers_au AFTER UPDATE OF applicant_name_folded ON dossiers BEGIN "
    "INSERT INTO dossier_fts(dossier_fts, rowid, applicant_name_folded) "
    "VALUES ('delete', old.rowid, old.applicant_name_folded); "
    "INSERT INTO dossier_fts(rowid, applicant_name_folded) "
    "VALUES (new.rowid, new.applicant_name_folded); END",
]

# Content-addressed blobs kept in the ``files`` folder beside the database
# (desk_app.attachments.store); events reference them by sha256.
files = Table(
    "files",
    metadata,
    Column("sha256", String, primary_key=True),
    Column("size", Integer, nullable=False),
    Column("mime", String, nullable=False),
    Column("pages", Integer, nullable=False, default=0),
    Column("dossier_id", String, nullable=False, default=""),  # the first dossier whose event names it
    Column("created_at", String, nullable=False),
    Column("present", Boolean, nullable=False, default=True),  # False: known by reference, not fetched
    Column("uploaded_at", String, nullable=True),  # set when the server acknowledged the whole file
    Index("ix_files_pending_upload", "uploaded_at"),
)

# One report row per dossier (desk_app.reports.rows), rebuilt from the dossier's events
# by the transaction that appends one (desk_app.store.report_rows); ordered by received
# time so that a period's report reads one contiguous range.
dossier_report_rows = Table(
    "dossier_report_rows",
    metadata,
    Column("received_at", String, primary_key=True),
    Column("dossier_id", String, primary_key=True),
    Column("code", String, nullable=False),
    Column("field", Text, nullable=False),
    Column("procedure_code", String, nullable=False),
    Column("officer", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("competent_unit", String, nullable=False),
    Column("first_event_at", String, nullable=False),
    Column("last_event_at", String, nullable=False),
    Column("regular", Integer, nullable=False),
    Column("exact_from", String, nullable=False),
    Column("finished_at", String, nullable=True),
    Column("finish", String, nullable=False),
    Column("resolved_at", String, nullable=True),
    Column("dropped_at", String, nullable=True),
    Column("overdue_from", String, nullable=True),
    Column("deadline", String, nullable=True),
    Column("appointment", String, nullable=True),
    Column("paused_since", String, nullable=True),
    Column("supplement_requests", Integer, nullable=False),
    Column("over_limit_at", String, nullable=True),
    Column("conflicts", Integer, nullable=False),
    Column("flags", String, nullable=False),
    Column("components_digitised", Integer, nullable=False),
    Column("components_reused", Integer, nullable=False),
    Column("result_digitised", Integer, nullable=False),
    Column("result_signed", Integer, nullable=False),
    Column("component_files_at", String, nullable=False),
    Column("result_files_at", String, nullable=False),
    Column("rating", String, nullable=True),
    Column("long_lived", Integer, nullable=False),
    Column("settled", Integer, nullable=False),
    Index("ix_report_rows_dossier", "dossier_id", unique=True),
    Index("ix_report_rows_finished", "finished_at"),
    Index("ix_report_rows_unit_received", "competent_unit", "received_at"),
    Index("ix_report_rows_field_received", "field", "received_at"),
    Index("ix_report_rows_irregular", "exact_from", sqlite_where=text("regular = 0")),
    Index("ix_report_rows_long", "received_at", sqlite_where=text("long_lived = 1")),
    Index("ix_report_rows_unsettled_finished", "finished_at", sqlite_where=text("settled = 0")),
    sqlite_with_rowid=False,
)

# The events the period-only counters count (supplement requests, extensions, the
# refusal, the return by post), by time.
dossier_report_marks = Table(
    "dossier_report_marks",
    metadata,
    Column("at", String, primary_key=True),
    Column("dossier_id", String, primary_key=True),
    Column("kind", String, primary_key=True),
    Column("n", Integer, primary_key=True),
    Index("ix_report_marks_dossier", "dossier_id"),
    sqlite_with_rowid=False,
)

# The settled report rows summed per received day, finished day and the values a tally
# groups or filters by (desk_app.store.report_rows.day_entry): a year's finished dossiers
# are a few thousand lines here instead of hundreds of thousands of rows.
dossier_report_days = Table(
    "dossier_report_days",
    metadata,
    Column("received_day", String, primary_key=True),
    Column("finished_day", String, primary_key=True),
    Column("field", Text, primary_key=True),
    Column("channel", String, primary_key=True),
    Column("procedure_code", String, primary_key=True),
    Column("officer", String, primary_key=True),
    Column("competent_unit", String, primary_key=True),
    Column("finish", String, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("components_digitised", Integer, nullable=False),
    Column("components_reused", Integer, nullable=False),
    Column("digitised", Integer, nullable=False),
    Column("results_digitised", Integer, nullable=False),
    Column("results_signed", Integer, nullable=False),
    Column("rated", Integer, nullable=False),
    Column("dissatisfied", Integer, nullable=False),
    Index("ix_report_days_finished", "finished_day", "received_day"),
    sqlite_with_rowid=False,
)
